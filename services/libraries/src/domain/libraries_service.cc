// The Libraries service: its content rules, and what it does when Communities adds or removes
// a Library widget. Access follows the application's own synced record.
#include <fmt/format.h>

#include "concord/base/text.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "concord/libraries/libraries.h"
#include "store/library_store.h"

namespace concord::libraries {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;
using remoteapp::Access;

const store::LibraryStore kStore;
constexpr std::string_view kApp = "Library";

json DocumentJson(const store::Document& d, bool with_content) {
  json j = {{"id", d.id},
            {"libraryId", d.library_id},
            {"title", d.title},
            {"author", d.author.value()},
            {"created", FormatTimestamp(d.created)},
            {"size", d.content.size()}};
  if (with_content) j["content"] = d.content;
  return j;
}

}  // namespace

struct LibrariesService::Impl final : remoteapp::ResourceHooks {
  std::shared_ptr<db::Database> db;
  remoteapp::RemoteApplication app;

  explicit Impl(std::shared_ptr<db::Database> database)
      : db(database),
        app(remoteapp::Define(Describe(), {"libraries", "title", ""}), database, *this) {}

  Result<std::string> CreateResource(db::Connection& c, const std::string&,
                                     const lifecycle::LifecycleEvent& e) override {
    store::Library l{NewUuid(), e.community.uuid, e.community.name, NowMillis(), std::nullopt};
    CONCORD_RETURN_IF_ERROR(kStore.InsertLibrary(c, l));
    return l.id;
  }

  Status RemoveResource(db::Connection& c, const std::string&, const std::string& id) override {
    return kStore.TrashLibrary(c, id, NowMillis());
  }

  Status AddSampleContent(db::Connection& c, const std::string&, const std::string& id,
                          const lifecycle::LifecycleEvent& e) override {
    return kStore.InsertDocument(
        c, store::Document{NewUuid(), id, "Charter", "What " + e.community.name + " is for.",
                           e.community.owners.empty() ? e.actor : e.community.owners.front(),
                           NowMillis()});
  }

  struct Loaded {
    store::Library library;
    Access access;
  };

  Result<Loaded> LoadLibrary(db::Connection& c, const http::Principal& who, const std::string& id) {
    CONCORD_ASSIGN_OR_RETURN(auto library, kStore.FindLibrary(c, id));
    if (!library || library->trashed_at)
      return NotFound(fmt::format("library {} not found", id.substr(0, 60)));
    CONCORD_ASSIGN_OR_RETURN(auto a, app.AccessToCommunity(c, std::string(kApp), library->community,
                                                           who, "library", id));
    return Loaded{*library, a.access};
  }

  Result<Loaded> LoadDocumentLibrary(db::Connection& c, const http::Principal& who,
                                     const std::string& doc_id, store::Document& doc) {
    return remoteapp::LoadChild(
        "document", doc_id, [&] { return kStore.FindDocument(c, doc_id); },
        [&](const store::Document& x) { return LoadLibrary(c, who, x.library_id); }, doc);
  }

  void Mount(http::Server& s) {
    app.Mount(s);
    s.Get("/libraries/api/libraries/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadLibrary(c, r.principal, r.path_params[0]));
              return Response::Json(200, {{"id", l.library.id},
                                          {"communityUuid", l.library.community.value()},
                                          {"title", l.library.title},
                                          {"created", FormatTimestamp(l.library.created)}});
            });
          });
    s.Get("/libraries/api/libraries/([^/]+)/documents", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadLibrary(c, r.principal, r.path_params[0]));
              CONCORD_ASSIGN_OR_RETURN(
                  auto docs, kStore.Documents(c, l.library.id, r.Query("after").value_or(""),
                                              remoteapp::kPageSize + 1));
              return Response::Json(200, remoteapp::PageJson(docs, [](const auto& x) {
                                      return DocumentJson(x, false);
                                    }));
            });
          });
    s.Post(
        "/libraries/api/libraries/([^/]+)/documents", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
          CONCORD_ASSIGN_OR_RETURN(std::string title, b.RequiredString("title"));
          CONCORD_ASSIGN_OR_RETURN(auto content, b.OptString("content"));
          CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
          CONCORD_ASSIGN_OR_RETURN(title, ValidSingleLine(title, "title", 256));
          CONCORD_ASSIGN_OR_RETURN(std::string text,
                                   ValidText(content.value_or(""), "content", 1000000));
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadLibrary(c, r.principal, r.path_params[0]));
            if (l.access == Access::kRead)
              return PermissionDenied("only members of the community add documents");
            store::Document d{NewUuid(), l.library.id, title, text, r.principal.id, NowMillis()};
            CONCORD_RETURN_IF_ERROR(kStore.InsertDocument(c, d));
            return Response::Json(201, DocumentJson(d, false));
          });
        });
    s.Get("/libraries/api/documents/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              store::Document d;
              CONCORD_RETURN_IF_ERROR(LoadDocumentLibrary(c, r.principal, r.path_params[0], d));
              return Response::Json(200, DocumentJson(d, true));
            });
          });
    s.Delete("/libraries/api/documents/([^/]+)", http::Access::kCommunityWrite,
             [this](const Request& r) -> Result<Response> {
               return db->InTransaction(
                   db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
                     store::Document d;
                     CONCORD_ASSIGN_OR_RETURN(
                         Loaded l, LoadDocumentLibrary(c, r.principal, r.path_params[0], d));
                     if (l.access != Access::kOwn && d.author != r.principal.id) {
                       return PermissionDenied(
                           "only the author and the community's owners delete a document");
                     }
                     CONCORD_RETURN_IF_ERROR(kStore.DeleteDocument(c, d.id));
                     return Response::NoContent();
                   });
             });
  }
};

LibrariesService::LibrariesService(std::shared_ptr<db::Database> database)
    : impl_(std::make_unique<Impl>(std::move(database))) {}
LibrariesService::~LibrariesService() = default;

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return std::make_unique<LibrariesService>(context.database);
}
void LibrariesService::Mount(http::Server& server) { impl_->Mount(server); }
remoteapp::RemoteApplication& LibrariesService::application() { return impl_->app; }

}  // namespace concord::libraries
