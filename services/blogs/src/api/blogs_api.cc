// Blogs' HTTP API (docs/http-api.md): routes and JSON only; the rules are the domain's.
#include "concord/blogs/blogs.h"
#include "concord/remoteapp/routes.h"
#include "domain/blogs.h"

namespace concord::blogs {
namespace {

using http::Request;
using http::Response;
using nlohmann::json;
using remoteapp::Access;

json EntryJson(const remoteapp::Item& e) {
  json j = remoteapp::ItemJson(domain::kEntries, e);
  j["blogId"] = e.parent_id;
  j["votes"] = e.counts.at(domain::kVotes);
  j["comments"] = e.counts.at(domain::kComments);
  return j;
}

void MountApi(remoteapp::Routes& routes, remoteapp::ContentApplication& app) {
  auto& content = app.content();
  remoteapp::MountThreads(
      routes, content,
      {.container_path = "/blogs/api/blogs",
       .container_json = [](db::Connection&, const remoteapp::Visible& v) -> Result<json> {
         const auto& b = v.container;
         return json{{"id", b.id},
                     {"remoteAppDefId", b.app},
                     {"communityUuid", b.community.value()},
                     {"communityName", v.record.name},
                     {"title", b.title},
                     {"created", FormatTimestamp(b.created)},
                     {"access", v.access == Access::kOwn          ? "owner"
                                : v.access == Access::kContribute ? "contributor"
                                                                  : "reader"}};
       },
       .items = {&domain::kEntries, "entries", EntryJson},
       .item_path = "/blogs/api/entries",
       .item_detail = [&content](db::Connection& c,
                                 const remoteapp::Content::Loaded& l) -> Result<json> {
         json j = EntryJson(l.item);
         CONCORD_ASSIGN_OR_RETURN(auto comments,
                                  content.Thread(c, domain::kEntryComments, l.item.id));
         j["commentList"] = json::array();
         for (const auto& m : comments) {
           j["commentList"].push_back(remoteapp::ItemJson(domain::kEntryComments, m));
         }
         return j;
       },
       .replies = {&domain::kEntryComments, "comments", [](const remoteapp::Item& m) {
                     json j = remoteapp::ItemJson(domain::kEntryComments, m);
                     j["entryId"] = m.parent_id;
                     return j;
                   }}});
  routes.Post("/blogs/api/entries/([^/]+)/votes", http::Access::kCommunityWrite,
              [&content](db::Connection& c, const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(auto entry,
                                         domain::Vote(c, content, r.principal, r.path_params[0]));
                return Response::Json(201, EntryJson(entry));
              });
}

}  // namespace

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return remoteapp::ContentService(context.database, domain::Definition(), domain::Blogs(),
                                   MountApi);
}

}  // namespace concord::blogs
