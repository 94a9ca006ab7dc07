// The News service's Status Updates: its content rules, and what it does when Communities adds
// or removes a StatusUpdates widget. Access follows the application's own synced record.
#include <fmt/format.h>

#include "concord/base/text.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "concord/news/news.h"
#include "store/news_store.h"

namespace concord::news {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;
using remoteapp::Access;

const store::NewsStore kStore;
constexpr std::string_view kApp = "StatusUpdates";

json MessageJson(const store::Message& m) {
  return {{"id", m.id},
          {"author", m.author.value()},
          {"content", m.content},
          {"created", FormatTimestamp(m.created)}};
}

Result<std::string> ReadContent(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
  CONCORD_ASSIGN_OR_RETURN(std::string content, b.RequiredString("content"));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  return ValidSingleLine(content, "content", 1000);  // a status update is short
}

}  // namespace

struct NewsService::Impl final : remoteapp::ResourceHooks {
  std::shared_ptr<db::Database> db;
  remoteapp::RemoteApplication app;

  explicit Impl(std::shared_ptr<db::Database> database)
      : db(database), app(remoteapp::Define(Describe(), {"boards", "", ""}), database, *this) {}

  Result<std::string> CreateResource(db::Connection& c, const std::string&,
                                     const lifecycle::LifecycleEvent& e) override {
    store::Board b{NewUuid(), e.community.uuid, NowMillis(), true, std::nullopt};
    CONCORD_RETURN_IF_ERROR(kStore.InsertBoard(c, b));
    return b.id;
  }

  Status RemoveResource(db::Connection& c, const std::string&, const std::string& id) override {
    return kStore.TrashBoard(c, id, NowMillis());
  }

  Status AddSampleContent(db::Connection& c, const std::string&, const std::string& id,
                          const lifecycle::LifecycleEvent& e) override {
    return kStore.InsertPost(
        c, store::Message{NewUuid(), id,
                          e.community.owners.empty() ? e.actor : e.community.owners.front(),
                          e.community.name + " is live.", NowMillis()});
  }

  struct Loaded {
    store::Board board;
    Access access;
  };

  Result<Loaded> LoadBoard(db::Connection& c, const http::Principal& who, const std::string& id) {
    CONCORD_ASSIGN_OR_RETURN(auto board, kStore.FindBoard(c, id));
    if (!board || board->trashed_at)
      return NotFound(fmt::format("status board {} not found", id.substr(0, 60)));
    CONCORD_ASSIGN_OR_RETURN(auto a, app.AccessToCommunity(c, std::string(kApp), board->community,
                                                           who, "status board", id));
    return Loaded{*board, a.access};
  }

  Result<Loaded> LoadPostBoard(db::Connection& c, const http::Principal& who,
                               const std::string& post_id, store::Message& post) {
    return remoteapp::LoadChild(
        "status update", post_id, [&] { return kStore.FindPost(c, post_id); },
        [&](const store::Message& x) { return LoadBoard(c, who, x.parent_id); }, post);
  }

  void Mount(http::Server& s) {
    app.Mount(s);
    s.Get("/news/api/boards/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadBoard(c, r.principal, r.path_params[0]));
              return Response::Json(200, {{"id", l.board.id},
                                          {"communityUuid", l.board.community.value()},
                                          {"postingOpen", l.board.posting_open},
                                          {"created", FormatTimestamp(l.board.created)}});
            });
          });
    s.Get("/news/api/boards/([^/]+)/posts", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadBoard(c, r.principal, r.path_params[0]));
              CONCORD_ASSIGN_OR_RETURN(auto posts,
                                       kStore.Posts(c, l.board.id, r.Query("after").value_or(""),
                                                    remoteapp::kPageSize + 1));
              return Response::Json(200, remoteapp::PageJson(posts, MessageJson));
            });
          });
    s.Post("/news/api/boards/([^/]+)/posts", http::Access::kCommunityWrite,
           [this](const Request& r) -> Result<Response> {
             CONCORD_ASSIGN_OR_RETURN(std::string content, ReadContent(r));
             return db->InTransaction(
                 db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
                   CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadBoard(c, r.principal, r.path_params[0]));
                   if (l.access == Access::kRead)
                     return PermissionDenied("only members of the community post status updates");
                   if (!l.board.posting_open) {
                     return FailedPrecondition(
                         "posting is switched off for this community's status updates; an owner "
                         "can switch it "
                         "on");
                   }
                   store::Message m{NewUuid(), l.board.id, r.principal.id, content, NowMillis()};
                   CONCORD_RETURN_IF_ERROR(kStore.InsertPost(c, m));
                   return Response::Json(201, MessageJson(m));
                 });
           });
    s.Get("/news/api/posts/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              store::Message p;
              CONCORD_RETURN_IF_ERROR(LoadPostBoard(c, r.principal, r.path_params[0], p));
              json j = MessageJson(p);
              CONCORD_ASSIGN_OR_RETURN(auto comments, kStore.Comments(c, p.id));
              j["comments"] = json::array();
              for (const auto& m : comments) j["comments"].push_back(MessageJson(m));
              return Response::Json(200, j);
            });
          });
    s.Delete(
        "/news/api/posts/([^/]+)", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            store::Message p;
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadPostBoard(c, r.principal, r.path_params[0], p));
            if (l.access != Access::kOwn && p.author != r.principal.id) {
              return PermissionDenied(
                  "only the author and the community's owners delete a status update");
            }
            CONCORD_RETURN_IF_ERROR(kStore.DeletePost(c, p.id));
            return Response::NoContent();
          });
        });
    s.Post(
        "/news/api/posts/([^/]+)/comments", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(std::string content, ReadContent(r));
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            store::Message p;
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadPostBoard(c, r.principal, r.path_params[0], p));
            if (l.access == Access::kRead)
              return PermissionDenied("only members of the community comment");
            store::Message m{NewUuid(), p.id, r.principal.id, content, NowMillis()};
            CONCORD_RETURN_IF_ERROR(kStore.InsertComment(c, m));
            return Response::Json(201, MessageJson(m));
          });
        });
  }
};

NewsService::NewsService(std::shared_ptr<db::Database> database)
    : impl_(std::make_unique<Impl>(std::move(database))) {}
NewsService::~NewsService() = default;

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return std::make_unique<NewsService>(context.database);
}
void NewsService::Mount(http::Server& server) { impl_->Mount(server); }
remoteapp::RemoteApplication& NewsService::application() { return impl_->app; }

}  // namespace concord::news
