// The Forums service: its content rules, and what it does when Communities adds or removes a
// Forum widget. Access follows the application's own synced record.
#include <fmt/format.h>

#include "concord/base/text.h"
#include "concord/forums/forums.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "store/forum_store.h"

namespace concord::forums {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;
using remoteapp::Access;

const store::ForumStore kStore;
constexpr std::string_view kApp = "Forum";

json ForumJson(const store::Forum& f) {
  return {{"id", f.id},
          {"communityUuid", f.community.value()},
          {"name", f.name},
          {"created", FormatTimestamp(f.created)}};
}

json PostJson(const store::Post& p) {
  json j = {{"id", p.id},
            {"author", p.author.value()},
            {"content", p.content},
            {"created", FormatTimestamp(p.created)}};
  if (!p.title.empty()) j["title"] = p.title;
  return j;
}

}  // namespace

struct ForumsService::Impl final : remoteapp::ResourceHooks {
  std::shared_ptr<db::Database> db;
  remoteapp::RemoteApplication app;

  explicit Impl(std::shared_ptr<db::Database> database)
      : db(database), app(remoteapp::Define(Describe(), {"forums", "name", ""}), database, *this) {}

  Result<std::string> CreateResource(db::Connection& c, const std::string&,
                                     const lifecycle::LifecycleEvent& e) override {
    store::Forum f{NewUuid(), e.community.uuid, e.community.name, NowMillis(), std::nullopt};
    CONCORD_RETURN_IF_ERROR(kStore.InsertForum(c, f));
    return f.id;
  }

  // The widget's forum and every other forum of the community go to the Forums trash.
  Status RemoveResource(db::Connection& c, const std::string&, const std::string& id) override {
    CONCORD_ASSIGN_OR_RETURN(auto forum, kStore.FindForum(c, id));
    if (!forum) return Ok();
    CONCORD_ASSIGN_OR_RETURN(auto all, kStore.ForumsOf(c, forum->community));
    for (const auto& f : all) CONCORD_RETURN_IF_ERROR(kStore.TrashForum(c, f.id, NowMillis()));
    return kStore.TrashForum(c, id, NowMillis());
  }

  Status AddSampleContent(db::Connection& c, const std::string&, const std::string& id,
                          const lifecycle::LifecycleEvent& e) override {
    return kStore.InsertTopic(
        c, store::Post{NewUuid(), id,
                       e.community.owners.empty() ? e.actor : e.community.owners.front(),
                       "Introductions", "Say hello to " + e.community.name + ".", NowMillis()});
  }

  struct Loaded {
    store::Forum forum;
    Access access;
  };

  Result<Loaded> LoadForum(db::Connection& c, const http::Principal& who, const std::string& id) {
    CONCORD_ASSIGN_OR_RETURN(auto forum, kStore.FindForum(c, id));
    if (!forum || forum->trashed_at)
      return NotFound(fmt::format("forum {} not found", id.substr(0, 60)));
    CONCORD_ASSIGN_OR_RETURN(
        auto a, app.AccessToCommunity(c, std::string(kApp), forum->community, who, "forum", id));
    return Loaded{*forum, a.access};
  }

  Result<Loaded> LoadTopicForum(db::Connection& c, const http::Principal& who,
                                const std::string& topic_id, store::Post& topic) {
    return remoteapp::LoadChild(
        "topic", topic_id, [&] { return kStore.FindTopic(c, topic_id); },
        [&](const store::Post& x) { return LoadForum(c, who, x.parent_id); }, topic);
  }

  void Mount(http::Server& s) {
    app.Mount(s);
    s.Get("/forums/api/communities/([^/]+)/forums", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CommunityUuid community(r.path_params[0]);
              CONCORD_RETURN_IF_ERROR(app.AccessToCommunity(
                  c, std::string(kApp), community, r.principal, "community", community.value()));
              CONCORD_ASSIGN_OR_RETURN(auto forums, kStore.ForumsOf(c, community));
              json items = json::array();
              for (const auto& f : forums) items.push_back(ForumJson(f));
              return Response::Json(200, {{"items", items}});
            });
          });
    s.Post("/forums/api/communities/([^/]+)/forums", http::Access::kCommunityOwn,
           [this](const Request& r) -> Result<Response> {
             CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
             CONCORD_ASSIGN_OR_RETURN(std::string name, b.RequiredString("name"));
             CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
             CONCORD_ASSIGN_OR_RETURN(name, ValidSingleLine(name, "name", 256));
             return db->InTransaction(
                 db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
                   CommunityUuid community(r.path_params[0]);
                   CONCORD_ASSIGN_OR_RETURN(
                       auto a, app.AccessToCommunity(c, std::string(kApp), community, r.principal,
                                                     "community", community.value()));
                   if (!a.record)
                     return NotFound(fmt::format("community {} has no forums", community.value()));
                   if (a.access != Access::kOwn)
                     return PermissionDenied("only the community's owners create forums");
                   store::Forum f{NewUuid(), community, name, NowMillis(), std::nullopt};
                   CONCORD_RETURN_IF_ERROR(kStore.InsertForum(c, f));
                   return Response::Json(201, ForumJson(f));
                 });
           });
    s.Get("/forums/api/forums/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadForum(c, r.principal, r.path_params[0]));
              return Response::Json(200, ForumJson(l.forum));
            });
          });
    s.Delete(
        "/forums/api/forums/([^/]+)", http::Access::kCommunityOwn,
        [this](const Request& r) -> Result<Response> {
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadForum(c, r.principal, r.path_params[0]));
            if (l.access != Access::kOwn)
              return PermissionDenied("only the community's owners delete forums");
            CONCORD_RETURN_IF_ERROR(kStore.TrashForum(c, l.forum.id, NowMillis()));
            return Response::NoContent();
          });
        });
    s.Get("/forums/api/forums/([^/]+)/topics", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadForum(c, r.principal, r.path_params[0]));
              CONCORD_ASSIGN_OR_RETURN(auto topics,
                                       kStore.Topics(c, l.forum.id, r.Query("after").value_or(""),
                                                     remoteapp::kPageSize + 1));
              return Response::Json(200, remoteapp::PageJson(topics, PostJson));
            });
          });
    s.Post("/forums/api/forums/([^/]+)/topics", http::Access::kCommunityWrite,
           [this](const Request& r) -> Result<Response> {
             CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
             CONCORD_ASSIGN_OR_RETURN(std::string title, b.RequiredString("title"));
             CONCORD_ASSIGN_OR_RETURN(auto content, b.OptString("content"));
             CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
             CONCORD_ASSIGN_OR_RETURN(title, ValidSingleLine(title, "title", 256));
             CONCORD_ASSIGN_OR_RETURN(std::string text,
                                      ValidText(content.value_or(""), "content", 100000));
             return db->InTransaction(
                 db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
                   CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadForum(c, r.principal, r.path_params[0]));
                   if (l.access == Access::kRead)
                     return PermissionDenied("only members of the community start topics");
                   store::Post t{NewUuid(), l.forum.id, r.principal.id, title, text, NowMillis()};
                   CONCORD_RETURN_IF_ERROR(kStore.InsertTopic(c, t));
                   return Response::Json(201, PostJson(t));
                 });
           });
    s.Get("/forums/api/topics/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              store::Post t;
              CONCORD_RETURN_IF_ERROR(LoadTopicForum(c, r.principal, r.path_params[0], t));
              json j = PostJson(t);
              j["forumId"] = t.parent_id;
              CONCORD_ASSIGN_OR_RETURN(auto replies, kStore.Replies(c, t.id));
              j["replies"] = json::array();
              for (const auto& p : replies) j["replies"].push_back(PostJson(p));
              return Response::Json(200, j);
            });
          });
    s.Delete(
        "/forums/api/topics/([^/]+)", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            store::Post t;
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadTopicForum(c, r.principal, r.path_params[0], t));
            if (l.access != Access::kOwn && t.author != r.principal.id) {
              return PermissionDenied("only the author and the community's owners delete a topic");
            }
            CONCORD_RETURN_IF_ERROR(kStore.DeleteTopic(c, t.id));
            return Response::NoContent();
          });
        });
    s.Post(
        "/forums/api/topics/([^/]+)/replies", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
          CONCORD_ASSIGN_OR_RETURN(std::string content, b.RequiredString("content"));
          CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
          CONCORD_ASSIGN_OR_RETURN(content, ValidSingleLine(content, "content", 20000));
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            store::Post t;
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadTopicForum(c, r.principal, r.path_params[0], t));
            if (l.access == Access::kRead)
              return PermissionDenied("only members of the community reply");
            store::Post reply{NewUuid(), t.id, r.principal.id, "", content, NowMillis()};
            CONCORD_RETURN_IF_ERROR(kStore.InsertReply(c, reply));
            return Response::Json(201, PostJson(reply));
          });
        });
  }
};

ForumsService::ForumsService(std::shared_ptr<db::Database> database)
    : impl_(std::make_unique<Impl>(std::move(database))) {}
ForumsService::~ForumsService() = default;

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return std::make_unique<ForumsService>(context.database);
}
void ForumsService::Mount(http::Server& server) { impl_->Mount(server); }
remoteapp::RemoteApplication& ForumsService::application() { return impl_->app; }

}  // namespace concord::forums
