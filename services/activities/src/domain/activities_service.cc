// The Activities service: its content rules, and what it does when Communities adds or removes
// an Activities widget. A community activity's access follows the Activities record of its
// community; a personal activity's, its owner and members (users, and the members of member
// communities by the Activities record of each).
#include <fmt/format.h>

#include "concord/activities/activities.h"
#include "concord/base/text.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "store/activity_store.h"

namespace concord::activities {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;
using remoteapp::Access;

const store::ActivityStore kStore;
const std::string kApp = "Activities";

json ActivityJson(const store::Activity& a) {
  json j = {{"id", a.id}, {"title", a.title}, {"created", FormatTimestamp(a.created)}};
  j["communityUuid"] = a.community ? json(a.community->value()) : json(nullptr);
  j["owner"] = a.owner ? json(a.owner->value()) : json(nullptr);
  return j;
}

json EntryJson(const store::Entry& e) {
  return {{"id", e.id},       {"activityId", e.activity_id},
          {"type", e.kind},   {"author", e.author.value()},
          {"title", e.title}, {"content", e.content},
          {"done", e.done},   {"created", FormatTimestamp(e.created)}};
}

}  // namespace

struct ActivitiesService::Impl final : remoteapp::ResourceHooks, remoteapp::CommunityShares {
  std::shared_ptr<db::Database> db;
  remoteapp::RemoteApplication app;

  explicit Impl(std::shared_ptr<db::Database> database)
      : db(database),
        app(remoteapp::Define(Describe(), {"activities", "title", ""}), database, *this) {}

  Result<std::string> CreateResource(db::Connection& c, const std::string&,
                                     const lifecycle::LifecycleEvent& e) override {
    store::Activity a{NewUuid(),        e.community.uuid, std::nullopt,
                      e.community.name, NowMillis(),      std::nullopt};
    CONCORD_RETURN_IF_ERROR(kStore.InsertActivity(c, a));
    return a.id;
  }

  // The community's activities go to the Activities trash (as deleteActivities does).
  Status RemoveResource(db::Connection& c, const std::string&, const std::string& id) override {
    CONCORD_ASSIGN_OR_RETURN(auto a, kStore.FindActivity(c, id));
    if (!a || !a->community) return Ok();
    CONCORD_ASSIGN_OR_RETURN(auto all, kStore.OfCommunity(c, *a->community));
    for (const auto& x : all) CONCORD_RETURN_IF_ERROR(kStore.TrashActivity(c, x.id, NowMillis()));
    return kStore.TrashActivity(c, id, NowMillis());
  }

  Status AddSampleContent(db::Connection& c, const std::string&, const std::string& id,
                          const lifecycle::LifecycleEvent& e) override {
    return kStore.InsertEntry(
        c, store::Entry{NewUuid(), id, "todo",
                        e.community.owners.empty() ? e.actor : e.community.owners.front(),
                        "Plan the next meeting", "", false, NowMillis()});
  }

  struct Loaded {
    store::Activity activity;
    Access access;
  };

  Result<Access> PersonalAccess(db::Connection& c, const store::Activity& a,
                                const http::Principal& who) {
    if (who.admin || a.owner == who.id) return Access::kOwn;
    CONCORD_ASSIGN_OR_RETURN(auto members, kStore.Members(c, a.id));
    for (const auto& m : members) {
      if (m.type == "user" && m.id == who.id.value()) return Access::kContribute;
    }
    for (const auto& m : members) {
      if (m.type != "community") continue;
      CONCORD_ASSIGN_OR_RETURN(auto record, app.Find(c, CommunityUuid(m.id), kApp));
      if (!record || record->in_trash) continue;
      CONCORD_ASSIGN_OR_RETURN(Access in_community, app.AccessOf(c, *record, who));
      if (in_community == Access::kContribute || in_community == Access::kOwn)
        return Access::kContribute;
    }
    return Access::kNone;
  }

  Result<Loaded> LoadActivity(db::Connection& c, const http::Principal& who,
                              const std::string& id) {
    auto not_found = [&] {
      return NotFound(fmt::format("activity {} not found", id.substr(0, 60)));
    };
    CONCORD_ASSIGN_OR_RETURN(auto a, kStore.FindActivity(c, id));
    if (!a || a->trashed_at) return not_found();
    if (a->community) {
      CONCORD_ASSIGN_OR_RETURN(auto access,
                               app.AccessToCommunity(c, kApp, *a->community, who, "activity", id));
      return Loaded{*a, access.access};
    }
    CONCORD_ASSIGN_OR_RETURN(Access access, PersonalAccess(c, *a, who));
    if (access == Access::kNone) return not_found();
    return Loaded{*a, access};
  }

  Result<Loaded> LoadEntryActivity(db::Connection& c, const http::Principal& who,
                                   const std::string& entry_id, store::Entry& entry) {
    return remoteapp::LoadChild(
        "entry", entry_id, [&] { return kStore.FindEntry(c, entry_id); },
        [&](const store::Entry& x) { return LoadActivity(c, who, x.activity_id); }, entry);
  }

  Result<std::string> ReadTitle(JsonBody& b) {
    CONCORD_ASSIGN_OR_RETURN(std::string title, b.RequiredString("title"));
    return ValidSingleLine(title, "title", 256);
  }

  // AccessControlService.syncAllCommunityShares (reference section 10): communities that are
  // members of activities.
  Result<std::vector<std::string>> SharedCommunities(db::Connection& c, const std::string& after,
                                                     int limit) override {
    CONCORD_ASSIGN_OR_RETURN(
        db::Rows rows,
        c.Query("SELECT DISTINCT member_id FROM activity_members WHERE member_type = 'community' "
                "AND member_id > $1 ORDER BY member_id LIMIT $2",
                after, limit));
    std::vector<std::string> out;
    while (true) {
      CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
      if (!has) break;
      out.push_back(rows.Text(0));
    }
    return out;
  }
  Result<remoteapp::ShareSyncCounts> Sync(db::Connection& c,
                                          const remoteapp::CommunityTruth& t) override {
    remoteapp::ShareSyncCounts n;
    if (!t.exists) {  // gone: removed from the activities' membership
      CONCORD_ASSIGN_OR_RETURN(
          n.removed, c.Execute("DELETE FROM activity_members WHERE member_type = 'community' AND "
                               "member_id = $1",
                               t.uuid));
      return n;
    }
    CONCORD_ASSIGN_OR_RETURN(
        n.updated,
        c.Execute(
            "UPDATE activity_members SET community_name = $2, community_visibility = $3 "
            "WHERE member_type = 'community' AND member_id = $1 AND "
            "(COALESCE(community_name, '') <> $2 OR COALESCE(community_visibility, '') <> $3)",
            t.uuid, t.name, t.visibility));
    return n;
  }

  void Mount(http::Server& s) {
    app.Mount(s);
    remoteapp::MountCommunityShares(s, "/activities/api", db, *this);
    s.Get("/activities/api/communities/([^/]+)/activities", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CommunityUuid community(r.path_params[0]);
              CONCORD_RETURN_IF_ERROR(app.AccessToCommunity(c, kApp, community, r.principal,
                                                            "community", community.value()));
              CONCORD_ASSIGN_OR_RETURN(auto all, kStore.OfCommunity(c, community));
              json items = json::array();
              for (const auto& a : all) items.push_back(ActivityJson(a));
              return Response::Json(200, {{"items", items}});
            });
          });
    s.Post(
        "/activities/api/communities/([^/]+)/activities", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
          CONCORD_ASSIGN_OR_RETURN(std::string title, ReadTitle(b));
          CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            CommunityUuid community(r.path_params[0]);
            CONCORD_ASSIGN_OR_RETURN(auto a, app.AccessToCommunity(c, kApp, community, r.principal,
                                                                   "community", community.value()));
            if (!a.record || !a.record->widget_instance_id) {
              return FailedPrecondition(
                  fmt::format("community {} has no Activities widget", community.value()));
            }
            if (a.access == Access::kRead)
              return PermissionDenied("only members of the community start activities");
            store::Activity x{NewUuid(), community, std::nullopt, title, NowMillis(), std::nullopt};
            CONCORD_RETURN_IF_ERROR(kStore.InsertActivity(c, x));
            return Response::Json(201, ActivityJson(x));
          });
        });
    s.Post("/activities/api/activities", http::Access::kSignedIn,
           [this](const Request& r) -> Result<Response> {
             CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
             CONCORD_ASSIGN_OR_RETURN(std::string title, ReadTitle(b));
             CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
             return db->InTransaction(db::TxMode::kWrite,
                                      [&](db::Connection& c) -> Result<Response> {
                                        store::Activity x{NewUuid(), std::nullopt, r.principal.id,
                                                          title,     NowMillis(),  std::nullopt};
                                        CONCORD_RETURN_IF_ERROR(kStore.InsertActivity(c, x));
                                        return Response::Json(201, ActivityJson(x));
                                      });
           });
    s.Get("/activities/api/activities/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadActivity(c, r.principal, r.path_params[0]));
              json j = ActivityJson(l.activity);
              CONCORD_ASSIGN_OR_RETURN(auto members, kStore.Members(c, l.activity.id));
              j["members"] = json::array();
              for (const auto& m : members) {
                json mj = {{"type", m.type}, {"id", m.id}};
                if (m.type == "community") {
                  mj["communityName"] = m.community_name.value_or("");
                  mj["communityVisibility"] = m.community_visibility.value_or("");
                }
                j["members"].push_back(mj);
              }
              return Response::Json(200, j);
            });
          });
    s.Delete(
        "/activities/api/activities/([^/]+)", http::Access::kCommunityOwn,
        [this](const Request& r) -> Result<Response> {
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadActivity(c, r.principal, r.path_params[0]));
            if (l.access != Access::kOwn)
              return PermissionDenied("only the activity's owners delete it");
            CONCORD_RETURN_IF_ERROR(kStore.TrashActivity(c, l.activity.id, NowMillis()));
            return Response::NoContent();
          });
        });
    // A personal activity's owner adds a user or a community as a member.
    s.Post(
        "/activities/api/activities/([^/]+)/members", http::Access::kPersonalOwner,
        [this](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
          CONCORD_ASSIGN_OR_RETURN(auto user, b.OptString("user"));
          CONCORD_ASSIGN_OR_RETURN(auto community, b.OptString("community"));
          CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
          if (user.has_value() == community.has_value()) {
            return InvalidArgument(
                "user", "give either 'user' (a user id) or 'community' (a community uuid)");
          }
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadActivity(c, r.principal, r.path_params[0]));
            if (l.activity.community) {
              return FailedPrecondition(
                  "a community activity's members are its community's members");
            }
            if (l.access != Access::kOwn)
              return PermissionDenied("only the activity's owner adds members");
            store::Member m;
            if (user) {
              if (!IsUuid(*user)) return InvalidArgument("user", "'user' must be a user id");
              m = {"user", *user, std::nullopt, std::nullopt};
            } else {
              if (!IsUuid(*community))
                return InvalidArgument("community", "'community' must be a community uuid");
              CONCORD_ASSIGN_OR_RETURN(
                  auto a, app.AccessToCommunity(c, kApp, CommunityUuid(*community), r.principal,
                                                "community", *community));
              if (!a.record) return NotFound(fmt::format("community {} not found", *community));
              m = {"community", *community, a.record->name, a.record->visibility};
            }
            CONCORD_RETURN_IF_ERROR(kStore.AddMember(c, l.activity.id, m));
            return Response::Json(201, {{"type", m.type}, {"id", m.id}});
          });
        });
    s.Get("/activities/api/activities/([^/]+)/entries", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadActivity(c, r.principal, r.path_params[0]));
              CONCORD_ASSIGN_OR_RETURN(
                  auto entries, kStore.Entries(c, l.activity.id, r.Query("after").value_or(""),
                                               remoteapp::kPageSize + 1));
              return Response::Json(200, remoteapp::PageJson(entries, EntryJson));
            });
          });
    s.Post(
        "/activities/api/activities/([^/]+)/entries", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
          CONCORD_ASSIGN_OR_RETURN(std::string title, ReadTitle(b));
          CONCORD_ASSIGN_OR_RETURN(auto content, b.OptString("content"));
          CONCORD_ASSIGN_OR_RETURN(auto type, b.OptString("type"));
          CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
          std::string kind = type.value_or("entry");
          if (kind != "entry" && kind != "todo")
            return InvalidArgument("type", "unknown entry type", {"entry", "todo"});
          CONCORD_ASSIGN_OR_RETURN(std::string text,
                                   ValidText(content.value_or(""), "content", 100000));
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadActivity(c, r.principal, r.path_params[0]));
            if (l.access == Access::kRead)
              return PermissionDenied("only the activity's members add entries");
            store::Entry e{NewUuid(), l.activity.id, kind,  r.principal.id,
                           title,     text,          false, NowMillis()};
            CONCORD_RETURN_IF_ERROR(kStore.InsertEntry(c, e));
            return Response::Json(201, EntryJson(e));
          });
        });
    s.Put("/activities/api/entries/([^/]+)", http::Access::kCommunityWrite,
          [this](const Request& r) -> Result<Response> {
            CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
            CONCORD_ASSIGN_OR_RETURN(auto done, b.OptBool("done"));
            CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
            if (!done) return InvalidArgument("done", "'done' is required", {"true", "false"});
            return db->InTransaction(
                db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
                  store::Entry e;
                  CONCORD_ASSIGN_OR_RETURN(Loaded l,
                                           LoadEntryActivity(c, r.principal, r.path_params[0], e));
                  if (l.access == Access::kRead)
                    return PermissionDenied("only the activity's members complete to-dos");
                  if (e.kind != "todo") return FailedPrecondition("only a to-do can be done");
                  CONCORD_RETURN_IF_ERROR(kStore.SetDone(c, e.id, *done));
                  e.done = *done;
                  return Response::Json(200, EntryJson(e));
                });
          });
  }
};

ActivitiesService::ActivitiesService(std::shared_ptr<db::Database> database)
    : impl_(std::make_unique<Impl>(std::move(database))) {}
ActivitiesService::~ActivitiesService() = default;

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return std::make_unique<ActivitiesService>(context.database);
}
void ActivitiesService::Mount(http::Server& server) { impl_->Mount(server); }
remoteapp::RemoteApplication& ActivitiesService::application() { return impl_->app; }

}  // namespace concord::activities
