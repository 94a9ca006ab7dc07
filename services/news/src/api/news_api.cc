// Status Updates' HTTP API (docs/http-api.md): routes and JSON only; the rules are the domain's.
#include "concord/news/news.h"
#include "concord/remoteapp/routes.h"
#include "domain/news.h"

namespace concord::news {
namespace {

using nlohmann::json;

void MountApi(remoteapp::Routes& routes, remoteapp::ContentApplication& app) {
  auto& content = app.content();
  remoteapp::MountThreads(
      routes, content,
      {.container_path = "/news/api/boards",
       .container_json = [](db::Connection& c, const remoteapp::Visible& v) -> Result<json> {
         CONCORD_ASSIGN_OR_RETURN(bool open, domain::PostingOpen(c, v));
         return json{{"id", v.container.id},
                     {"communityUuid", v.container.community.value()},
                     {"postingOpen", open},
                     {"created", FormatTimestamp(v.container.created)}};
       },
       .items = {&domain::kPosts, "posts", {}},
       .item_path = "/news/api/posts",
       .item_detail = [&content](db::Connection& c,
                                 const remoteapp::Content::Loaded& l) -> Result<json> {
         json j = remoteapp::ItemJson(domain::kPosts, l.item);
         CONCORD_ASSIGN_OR_RETURN(auto comments, content.Thread(c, domain::kComments, l.item.id));
         j["comments"] = json::array();
         for (const auto& m : comments) {
           j["comments"].push_back(remoteapp::ItemJson(domain::kComments, m));
         }
         return j;
       },
       .replies = {&domain::kComments, "comments", {}},
       .before_add = domain::CheckPostingOpen});
}

}  // namespace

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return remoteapp::ContentService(context.database, domain::Definition(), domain::Boards(),
                                   MountApi);
}

}  // namespace concord::news
