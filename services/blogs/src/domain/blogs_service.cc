// The Blogs service: its content rules, and what it does when Communities adds or removes a
// Blog or IdeationBlog widget. Access follows the application's own synced record.
#include <fmt/format.h>

#include "concord/base/text.h"
#include "concord/blogs/blogs.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "store/blog_store.h"

namespace concord::blogs {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;
using remoteapp::Access;

const store::BlogStore kStore;

json BlogJson(const store::Blog& b, const remoteapp::SyncedCommunity& r, Access a) {
  return {{"id", b.id},
          {"remoteAppDefId", b.remote_app_def_id},
          {"communityUuid", b.community.value()},
          {"communityName", r.name},
          {"title", b.title},
          {"created", FormatTimestamp(b.created)},
          {"access", a == Access::kOwn          ? "owner"
                     : a == Access::kContribute ? "contributor"
                                                : "reader"}};
}

json EntryJson(const store::Entry& e) {
  return {{"id", e.id},       {"blogId", e.blog_id},   {"author", e.author.value()},
          {"title", e.title}, {"content", e.content},  {"created", FormatTimestamp(e.created)},
          {"votes", e.votes}, {"comments", e.comments}};
}

}  // namespace

struct BlogsService::Impl final : remoteapp::ResourceHooks {
  std::shared_ptr<db::Database> db;
  remoteapp::RemoteApplication app;

  explicit Impl(std::shared_ptr<db::Database> database)
      : db(database),
        app(remoteapp::Define(Describe(), {"blogs", "title", "remote_app_def_id"}), database,
            *this) {}

  Result<std::string> CreateResource(db::Connection& c, const std::string& app_def,
                                     const lifecycle::LifecycleEvent& e) override {
    store::Blog b{NewUuid(),        app_def,     e.community.uuid,
                  e.community.name, NowMillis(), std::nullopt};
    CONCORD_RETURN_IF_ERROR(kStore.InsertBlog(c, b));
    return b.id;
  }

  Status RemoveResource(db::Connection& c, const std::string&, const std::string& id) override {
    return kStore.TrashBlog(c, id, NowMillis());  // to the Blogs trash, as the reference's
  }

  Status AddSampleContent(db::Connection& c, const std::string&, const std::string& id,
                          const lifecycle::LifecycleEvent& e) override {
    return kStore.InsertEntry(
        c, store::Entry{NewUuid(), id,
                        e.community.owners.empty() ? e.actor : e.community.owners.front(),
                        "Welcome to " + e.community.name, "First post.", NowMillis()});
  }

  struct Loaded {
    store::Blog blog;
    remoteapp::SyncedCommunity record;
    Access access;
  };

  // The blog as `who` may see it: kNotFound when it does not exist, is in the trash, or belongs
  // to a community this application's record says `who` may not see.
  Result<Loaded> LoadBlog(db::Connection& c, const http::Principal& who, const std::string& id) {
    CONCORD_ASSIGN_OR_RETURN(auto blog, kStore.FindBlog(c, id));
    if (!blog || blog->trashed_at)
      return NotFound(fmt::format("blog {} not found", id.substr(0, 60)));
    CONCORD_ASSIGN_OR_RETURN(auto a, app.AccessToCommunity(c, blog->remote_app_def_id,
                                                           blog->community, who, "blog", id));
    auto record =
        a.record.value_or(remoteapp::SyncedCommunity{blog->community, blog->remote_app_def_id});
    return Loaded{*blog, record, a.access};
  }

  Result<Loaded> LoadEntryBlog(db::Connection& c, const http::Principal& who,
                               const std::string& entry_id, store::Entry& entry) {
    return remoteapp::LoadChild(
        "entry", entry_id, [&] { return kStore.FindEntry(c, entry_id); },
        [&](const store::Entry& x) { return LoadBlog(c, who, x.blog_id); }, entry);
  }

  void Mount(http::Server& s) {
    app.Mount(s);
    s.Get("/blogs/api/blogs/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadBlog(c, r.principal, r.path_params[0]));
              return Response::Json(200, BlogJson(l.blog, l.record, l.access));
            });
          });
    s.Get("/blogs/api/blogs/([^/]+)/entries", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadBlog(c, r.principal, r.path_params[0]));
              CONCORD_ASSIGN_OR_RETURN(auto entries,
                                       kStore.Entries(c, l.blog.id, r.Query("after").value_or(""),
                                                      remoteapp::kPageSize + 1));
              return Response::Json(200, remoteapp::PageJson(entries, EntryJson));
            });
          });
    s.Post("/blogs/api/blogs/([^/]+)/entries", http::Access::kCommunityWrite,
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
                   CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadBlog(c, r.principal, r.path_params[0]));
                   if (l.access == Access::kRead) {
                     return PermissionDenied("only members of the community write in its blog");
                   }
                   store::Entry e{NewUuid(), l.blog.id, r.principal.id, title, text, NowMillis()};
                   CONCORD_RETURN_IF_ERROR(kStore.InsertEntry(c, e));
                   return Response::Json(201, EntryJson(e));
                 });
           });
    s.Get("/blogs/api/entries/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              store::Entry e;
              CONCORD_ASSIGN_OR_RETURN(Loaded l,
                                       LoadEntryBlog(c, r.principal, r.path_params[0], e));
              (void)l;
              json j = EntryJson(e);
              CONCORD_ASSIGN_OR_RETURN(auto comments, kStore.Comments(c, e.id));
              j["commentList"] = json::array();
              for (const auto& m : comments) {
                j["commentList"].push_back({{"id", m.id},
                                            {"author", m.author.value()},
                                            {"content", m.content},
                                            {"created", FormatTimestamp(m.created)}});
              }
              return Response::Json(200, j);
            });
          });
    s.Delete(
        "/blogs/api/entries/([^/]+)", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            store::Entry e;
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadEntryBlog(c, r.principal, r.path_params[0], e));
            if (l.access != Access::kOwn && e.author != r.principal.id) {
              return PermissionDenied("only the author and the community's owners delete an entry");
            }
            CONCORD_RETURN_IF_ERROR(kStore.DeleteEntry(c, e.id));
            return Response::NoContent();
          });
        });
    s.Post(
        "/blogs/api/entries/([^/]+)/comments", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
          CONCORD_ASSIGN_OR_RETURN(std::string content, b.RequiredString("content"));
          CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
          CONCORD_ASSIGN_OR_RETURN(content, ValidSingleLine(content, "content", 20000));
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            store::Entry e;
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadEntryBlog(c, r.principal, r.path_params[0], e));
            if (l.access == Access::kRead)
              return PermissionDenied("only members of the community comment");
            store::Comment m{NewUuid(), e.id, r.principal.id, content, NowMillis()};
            CONCORD_RETURN_IF_ERROR(kStore.InsertComment(c, m));
            return Response::Json(201, {{"id", m.id},
                                        {"entryId", e.id},
                                        {"author", m.author.value()},
                                        {"content", m.content},
                                        {"created", FormatTimestamp(m.created)}});
          });
        });
    s.Post(
        "/blogs/api/entries/([^/]+)/votes", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            store::Entry e;
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadEntryBlog(c, r.principal, r.path_params[0], e));
            if (l.blog.remote_app_def_id != "IdeationBlog") {
              return FailedPrecondition("votes are for ideas in an ideation blog");
            }
            if (l.access == Access::kRead)
              return PermissionDenied("only members of the community vote");
            CONCORD_ASSIGN_OR_RETURN(bool counted,
                                     kStore.Vote(c, e.id, r.principal.id, NowMillis()));
            if (!counted) return AlreadyExists("you have voted for this idea already");
            CONCORD_ASSIGN_OR_RETURN(auto after, kStore.FindEntry(c, e.id));
            return Response::Json(201, EntryJson(*after));
          });
        });
  }
};

BlogsService::BlogsService(std::shared_ptr<db::Database> database)
    : impl_(std::make_unique<Impl>(std::move(database))) {}
BlogsService::~BlogsService() = default;

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return std::make_unique<BlogsService>(context.database);
}
void BlogsService::Mount(http::Server& server) { impl_->Mount(server); }
remoteapp::RemoteApplication& BlogsService::application() { return impl_->app; }

}  // namespace concord::blogs
