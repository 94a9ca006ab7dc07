// Wikis' HTTP API (docs/http-api.md): routes and JSON only; the rules are the domain's.
#include "concord/base/text.h"
#include "concord/http/json_body.h"
#include "concord/remoteapp/routes.h"
#include "concord/wikis/wikis.h"
#include "domain/wikis.h"

namespace concord::wikis {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;

constexpr size_t kPageLength = 500000;

json PageJson(const domain::Page& p, bool with_content) {
  json j = {{"id", p.id},
            {"wikiId", p.wiki_id},
            {"title", p.title},
            {"author", p.author.value()},
            {"created", FormatTimestamp(p.created)},
            {"version", p.version},
            {"lastAuthor", p.last_author.value()},
            {"lastModified", FormatTimestamp(p.last_modified)}};
  if (with_content) j["content"] = p.content;
  return j;
}

struct NewPage {
  std::string title;
  std::string content;
};
Result<NewPage> ReadNewPage(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
  CONCORD_ASSIGN_OR_RETURN(std::string title, b.RequiredString("title"));
  CONCORD_ASSIGN_OR_RETURN(auto content, b.OptString("content"));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  NewPage out;
  CONCORD_ASSIGN_OR_RETURN(out.title, ValidSingleLine(title, "title", remoteapp::kTitleLength));
  CONCORD_ASSIGN_OR_RETURN(out.content, ValidText(content.value_or(""), "content", kPageLength));
  return out;
}

struct PageEdit {
  std::string content;
  std::optional<int64_t> version;
};
Result<PageEdit> ReadPageEdit(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
  CONCORD_ASSIGN_OR_RETURN(std::string content, b.RequiredString("content"));
  CONCORD_ASSIGN_OR_RETURN(auto version, b.OptInt("version"));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  CONCORD_ASSIGN_OR_RETURN(content, ValidText(content, "content", kPageLength));
  return PageEdit{std::move(content), version};
}

void MountApi(remoteapp::Routes& routes, remoteapp::ContentApplication& app) {
  auto& content = app.content();
  auto pages = std::make_shared<domain::WikiPages>(content);
  const std::string wiki = "/wikis/api/wikis/([^/]+)";
  const std::string page = "/wikis/api/pages/([^/]+)";
  routes.Get(wiki, http::Access::kCommunityRead,
             [&content](db::Connection& c, const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto w,
                                        content.Container(c, r.principal, r.path_params[0]));
               return Response::Json(200, {{"id", w.container.id},
                                           {"communityUuid", w.container.community.value()},
                                           {"title", w.container.title},
                                           {"created", FormatTimestamp(w.container.created)}});
             });
  routes.Get(wiki + "/pages", http::Access::kCommunityRead,
             [pages](db::Connection& c, const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto list, pages->Pages(c, r.principal, r.path_params[0],
                                                                r.Query("after").value_or("")));
               return Response::Json(200, remoteapp::PageJson(list, [](const domain::Page& p) {
                                       return PageJson(p, false);
                                     }));
             });
  routes.Post<NewPage>(
      wiki + "/pages", http::Access::kCommunityWrite, ReadNewPage,
      [pages](db::Connection& c, const Request& r, NewPage& body) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(
            auto p, pages->Create(c, r.principal, r.path_params[0], body.title, body.content));
        return Response::Json(201, PageJson(p, true));
      });
  routes.Get(page, http::Access::kCommunityRead,
             [pages](db::Connection& c, const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto p, pages->Get(c, r.principal, r.path_params[0]));
               return Response::Json(200, PageJson(p, true));
             });
  routes.Put<PageEdit>(
      page, http::Access::kCommunityWrite, ReadPageEdit,
      [pages](db::Connection& c, const Request& r, PageEdit& edit) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(
            auto p, pages->Edit(c, r.principal, r.path_params[0], edit.content, edit.version));
        return Response::Json(200, PageJson(p, true));
      });
  routes.Get(page + "/versions", http::Access::kCommunityRead,
             [pages](db::Connection& c, const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto versions,
                                        pages->Versions(c, r.principal, r.path_params[0]));
               json items = json::array();
               for (const auto& v : versions) {
                 items.push_back({{"version", v.version},
                                  {"author", v.author.value()},
                                  {"created", FormatTimestamp(v.created)},
                                  {"length", v.length}});
               }
               return Response::Json(200, {{"items", items}});
             });
  routes.Delete(page, http::Access::kCommunityWrite,
                [pages](db::Connection& c, const Request& r) -> Result<Response> {
                  CONCORD_RETURN_IF_ERROR(pages->Delete(c, r.principal, r.path_params[0]));
                  return Response::NoContent();
                });
}

}  // namespace

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return remoteapp::ContentService(context.database, domain::Definition(), domain::Wikis(),
                                   MountApi);
}

}  // namespace concord::wikis
