// The Wikis service: its content rules, and what it does when Communities adds or removes a
// Wiki widget. Access follows the application's own synced record.
#include <fmt/format.h>

#include "concord/base/text.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "concord/wikis/wikis.h"
#include "store/wiki_store.h"

namespace concord::wikis {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;
using remoteapp::Access;

const store::WikiStore kStore;
constexpr std::string_view kApp = "Wiki";

json PageJson(const store::Page& p, bool with_content) {
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

}  // namespace

struct WikisService::Impl final : remoteapp::ResourceHooks {
  std::shared_ptr<db::Database> db;
  remoteapp::RemoteApplication app;

  explicit Impl(std::shared_ptr<db::Database> database)
      : db(database), app(remoteapp::Define(Describe(), {"wikis", "title", ""}), database, *this) {}

  Result<std::string> CreateResource(db::Connection& c, const std::string&,
                                     const lifecycle::LifecycleEvent& e) override {
    store::Wiki w{NewUuid(), e.community.uuid, e.community.name, NowMillis(), std::nullopt};
    CONCORD_RETURN_IF_ERROR(kStore.InsertWiki(c, w));
    return w.id;
  }

  Status RemoveResource(db::Connection& c, const std::string&, const std::string& id) override {
    return kStore.TrashWiki(c, id, NowMillis());  // to the Wikis trash
  }

  Status AddSampleContent(db::Connection& c, const std::string&, const std::string& id,
                          const lifecycle::LifecycleEvent& e) override {
    Millis now = NowMillis();
    UserId author = e.community.owners.empty() ? e.actor : e.community.owners.front();
    return kStore.InsertPage(c, store::Page{NewUuid(), id, "Home", author, now, 1,
                                            "The " + e.community.name + " wiki.", author, now});
  }

  struct Loaded {
    store::Wiki wiki;
    Access access;
  };

  Result<Loaded> LoadWiki(db::Connection& c, const http::Principal& who, const std::string& id) {
    CONCORD_ASSIGN_OR_RETURN(auto wiki, kStore.FindWiki(c, id));
    if (!wiki || wiki->trashed_at)
      return NotFound(fmt::format("wiki {} not found", id.substr(0, 60)));
    CONCORD_ASSIGN_OR_RETURN(
        auto a, app.AccessToCommunity(c, std::string(kApp), wiki->community, who, "wiki", id));
    return Loaded{*wiki, a.access};
  }

  Result<Loaded> LoadPageWiki(db::Connection& c, const http::Principal& who,
                              const std::string& page_id, store::Page& page) {
    return remoteapp::LoadChild(
        "page", page_id, [&] { return kStore.FindPage(c, page_id); },
        [&](const store::Page& x) { return LoadWiki(c, who, x.wiki_id); }, page);
  }

  void Mount(http::Server& s) {
    app.Mount(s);
    s.Get("/wikis/api/wikis/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadWiki(c, r.principal, r.path_params[0]));
              return Response::Json(200, {{"id", l.wiki.id},
                                          {"communityUuid", l.wiki.community.value()},
                                          {"title", l.wiki.title},
                                          {"created", FormatTimestamp(l.wiki.created)}});
            });
          });
    s.Get("/wikis/api/wikis/([^/]+)/pages", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadWiki(c, r.principal, r.path_params[0]));
              CONCORD_ASSIGN_OR_RETURN(auto pages,
                                       kStore.Pages(c, l.wiki.id, r.Query("after").value_or(""),
                                                    remoteapp::kPageSize + 1));
              return Response::Json(200, remoteapp::PageJson(pages, [](const auto& x) {
                                      return PageJson(x, false);
                                    }));
            });
          });
    s.Post("/wikis/api/wikis/([^/]+)/pages", http::Access::kCommunityWrite,
           [this](const Request& r) -> Result<Response> {
             CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
             CONCORD_ASSIGN_OR_RETURN(std::string title, b.RequiredString("title"));
             CONCORD_ASSIGN_OR_RETURN(auto content, b.OptString("content"));
             CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
             CONCORD_ASSIGN_OR_RETURN(title, ValidSingleLine(title, "title", 256));
             CONCORD_ASSIGN_OR_RETURN(std::string text,
                                      ValidText(content.value_or(""), "content", 500000));
             return db->InTransaction(
                 db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
                   CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadWiki(c, r.principal, r.path_params[0]));
                   if (l.access == Access::kRead)
                     return PermissionDenied("only members of the community write in its wiki");
                   Millis now = NowMillis();
                   store::Page p{NewUuid(), l.wiki.id,      title, r.principal.id, now, 1,
                                 text,      r.principal.id, now};
                   if (auto s = kStore.InsertPage(c, p); !s) {
                     if (s.error().code == ErrorCode::kAlreadyExists) {
                       return std::unexpected(
                           Error{ErrorCode::kAlreadyExists,
                                 fmt::format("the wiki has a page titled '{}' already", title),
                                 "title",
                                 {}});
                     }
                     return std::unexpected(s.error());
                   }
                   return Response::Json(201, PageJson(p, true));
                 });
           });
    s.Get("/wikis/api/pages/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              store::Page p;
              CONCORD_RETURN_IF_ERROR(LoadPageWiki(c, r.principal, r.path_params[0], p));
              return Response::Json(200, PageJson(p, true));
            });
          });
    s.Put(
        "/wikis/api/pages/([^/]+)", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
          CONCORD_ASSIGN_OR_RETURN(std::string content, b.RequiredString("content"));
          CONCORD_ASSIGN_OR_RETURN(auto expected, b.OptInt("version"));
          CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
          CONCORD_ASSIGN_OR_RETURN(content, ValidText(content, "content", 500000));
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            store::Page p;
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadPageWiki(c, r.principal, r.path_params[0], p));
            if (l.access == Access::kRead)
              return PermissionDenied("only members of the community edit its wiki");
            if (expected && *expected != p.version) {
              return MakeError(
                  ErrorCode::kAborted,
                  fmt::format("page {} is at version {}, not {}: reload it and edit again", p.id,
                              p.version, *expected));
            }
            Millis now = NowMillis();
            CONCORD_RETURN_IF_ERROR(
                kStore.AddVersion(c, p.id, p.version + 1, r.principal.id, content, now));
            CONCORD_ASSIGN_OR_RETURN(auto updated, kStore.FindPage(c, p.id));
            return Response::Json(200, PageJson(*updated, true));
          });
        });
    s.Get("/wikis/api/pages/([^/]+)/versions", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              store::Page p;
              CONCORD_RETURN_IF_ERROR(LoadPageWiki(c, r.principal, r.path_params[0], p));
              CONCORD_ASSIGN_OR_RETURN(auto versions, kStore.Versions(c, p.id));
              json items = json::array();
              for (const auto& v : versions) {
                items.push_back({{"version", v.version},
                                 {"author", v.author.value()},
                                 {"created", FormatTimestamp(v.created)},
                                 {"length", v.length}});
              }
              return Response::Json(200, {{"items", items}});
            });
          });
    s.Delete(
        "/wikis/api/pages/([^/]+)", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            store::Page p;
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadPageWiki(c, r.principal, r.path_params[0], p));
            if (l.access != Access::kOwn && p.author != r.principal.id) {
              return PermissionDenied(
                  "only the page's author and the community's owners delete a page");
            }
            CONCORD_RETURN_IF_ERROR(kStore.DeletePage(c, p.id));
            return Response::NoContent();
          });
        });
  }
};

WikisService::WikisService(std::shared_ptr<db::Database> database)
    : impl_(std::make_unique<Impl>(std::move(database))) {}
WikisService::~WikisService() = default;

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return std::make_unique<WikisService>(context.database);
}
void WikisService::Mount(http::Server& server) { impl_->Mount(server); }
remoteapp::RemoteApplication& WikisService::application() { return impl_->app; }

}  // namespace concord::wikis
