// Forums' HTTP API (docs/http-api.md): routes and JSON only; the rules are the domain's.
#include <fmt/format.h>

#include "concord/base/text.h"
#include "concord/forums/forums.h"
#include "concord/http/json_body.h"
#include "concord/remoteapp/routes.h"
#include "domain/forums.h"

namespace concord::forums {
namespace {

using http::Request;
using http::Response;
using nlohmann::json;

json ForumJson(const remoteapp::Container& f) {
  return {{"id", f.id},
          {"communityUuid", f.community.value()},
          {"name", f.title},
          {"created", FormatTimestamp(f.created)}};
}

Result<std::string> ReadName(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(http::JsonBody b, http::JsonBody::Parse(r.body));
  CONCORD_ASSIGN_OR_RETURN(std::string name, b.RequiredString("name"));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  return ValidSingleLine(name, "name", remoteapp::kTitleLength);
}

void MountApi(remoteapp::Routes& routes, remoteapp::ContentApplication& app) {
  auto& content = app.content();
  const std::string app_id = app.application().definition().remote_app_defs.front();
  const std::string community = "/forums/api/communities/([^/]+)/forums";
  routes.Get(community, http::Access::kCommunityRead,
             [&content, app_id](db::Connection& c, const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(
                   auto forums,
                   content.ContainersOf(c, r.principal, app_id, CommunityUuid(r.path_params[0])));
               json items = json::array();
               for (const auto& f : forums.containers) items.push_back(ForumJson(f));
               return Response::Json(200, {{"items", items}});
             });
  routes.Post<std::string>(
      community, http::Access::kCommunityOwn, ReadName,
      [&content, app_id](db::Connection& c, const Request& r,
                         std::string& name) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(
            auto f,
            content.AddContainer(c, r.principal, app_id, CommunityUuid(r.path_params[0]), name));
        return Response::Json(201, ForumJson(f));
      });
  remoteapp::MountThreads(
      routes, content,
      {.container_path = "/forums/api/forums",
       .container_json = [](db::Connection&, const remoteapp::Visible& v) -> Result<json> {
         return ForumJson(v.container);
       },
       .container_delete = true,
       .items = {&domain::kTopics, "topics", {}},
       .item_path = "/forums/api/topics",
       .item_detail = [&content](db::Connection& c,
                                 const remoteapp::Content::Loaded& l) -> Result<json> {
         json j = remoteapp::ItemJson(domain::kTopics, l.item);
         j["forumId"] = l.item.parent_id;
         CONCORD_ASSIGN_OR_RETURN(auto replies, content.Thread(c, domain::kReplies, l.item.id));
         j["replies"] = json::array();
         for (const auto& p : replies)
           j["replies"].push_back(remoteapp::ItemJson(domain::kReplies, p));
         return j;
       },
       .replies = {&domain::kReplies, "replies", {}}});
}

}  // namespace

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return remoteapp::ContentService(context.database, domain::Definition(), domain::Forums(),
                                   MountApi);
}

}  // namespace concord::forums
