#pragma once
// The mechanism every remote application shares: its synced community record, the lifecycle
// handler that keeps the record current, and access checks that follow the record. An
// application adds only its content, through ResourceHooks.
//
//   class BlogsContent : public remoteapp::ResourceHooks { ... };
//   remoteapp::RemoteApplication app({"blogs", {"Blog", "IdeationBlog"}, "/blogs/api"}, db,
//   content); app.Mount(server);   // POST /blogs/api/lifecycle/{remoteAppDefId}, GET
//   /blogs/api/synced/...
//
// Each event Communities logged (seq > 0) is applied exactly once per remoteAppDefId: the
// application records it (applied_events) in the transaction that applies it, and a second
// delivery of the same seq (Communities did not hear the first answer) is answered as a
// duplicate without applying it again. Applying is also idempotent by version: an event whose
// community version is not newer than the record's changes nothing (widget events excepted:
// remote.app.added for a widget instance that already has its resource answers that resource
// again), which keeps events without a seq (`concord populate`'s) and resyncs safe.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "concord/apps/application.h"
#include "concord/base/error.h"
#include "concord/base/principal.h"
#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/lifecycle/events.h"

namespace concord::http {
class Server;
}
namespace concord::xml {
class ExportWriter;
}

namespace concord::remoteapp {

struct SyncedCommunity {
  CommunityUuid community;
  std::string remote_app_def_id;
  std::optional<WidgetInstanceId> widget_instance_id;
  std::optional<std::string> resource_id;
  std::string name;
  std::string visibility;
  bool list_when_private = false;
  std::string theme;
  bool owners_approve_content = false;
  bool viewers_flag_content = false;
  bool in_trash = false;
  int64_t version = 0;
  Millis applied_at = 0;
};

enum class Access { kNone, kRead, kContribute, kOwn };

// What an application does with its own content when Communities says so.
class ResourceHooks {
 public:
  virtual ~ResourceHooks() = default;
  // remote.app.added: create the community's resource for `app` and return its id.
  virtual Result<std::string> CreateResource(db::Connection& c, const std::string& app,
                                             const lifecycle::LifecycleEvent& event) = 0;
  // remote.app.removed, community.prepare.delete: the resource goes to the application's trash.
  virtual Status RemoveResource(db::Connection& c, const std::string& app,
                                const std::string& resource_id) = 0;
  // An administrator's deletion of that one resource (an orphan, `POST .../admin/resources/
  // {app}/delete`): it alone goes to the application's trash, whatever RemoveResource does to
  // the community's other resources. By default the same as RemoveResource.
  virtual Status TrashResource(db::Connection& c, const std::string& app,
                               const std::string& resource_id) {
    return RemoveResource(c, app, resource_id);
  }
  // Sample data (`concord populate`): a little content in a new resource.
  virtual Status AddSampleContent(db::Connection& c, const std::string& app,
                                  const std::string& resource_id,
                                  const lifecycle::LifecycleEvent& event) = 0;
};

struct AppDefinition {
  std::string service;                       // "blogs"
  std::vector<std::string> remote_app_defs;  // {"Blog", "IdeationBlog"}
  std::string base_path;                     // "/blogs/api"
  // Applications that keep a record of communities without their widget (Files, Activities).
  bool tracks_communities_without_widget = false;
  // The table of the application's community-owned resources. Every application's has the
  // columns id, community_uuid, created and trashed_at; `title_column` names its title ("" if
  // it has none) and `app_column` the remoteAppDefId where one table serves several (Blogs).
  // Administrators' commands (assign, find, delete) work on it. Compile-time names only.
  struct ResourceTable {
    std::string table;
    std::string title_column;
    std::string app_column;
  } resources;
};

// The definition of a registered application (libs/apps): its service, remoteAppDefIds, base path
// /<service>/api and whether it tracks communities without its widget, from its description.
AppDefinition Define(const apps::Application& application, AppDefinition::ResourceTable resources);

class RemoteApplication;

// A remote application service as a host (`concord serve`) runs it: built over its migrated
// database by its Open(ServiceContext), it mounts its API and lifecycle handler.
struct ServiceContext {
  std::shared_ptr<db::Database> database;  // migrated with the application's Migrations()
  std::filesystem::path content_dir;       // <data dir>/<service>-content (has_content_store)
};
class Service {
 public:
  virtual ~Service() = default;
  // Mounts /<service>/api: the lifecycle handler and the content API (docs/http-api.md).
  virtual void Mount(http::Server& server) = 0;
  virtual RemoteApplication& application() = 0;
};

// A user's role in a synced record, as synced_members.role stores it.
enum class SyncedRole : int64_t { kMember = 0, kOwner = 1 };

// A community-owned resource, as administrators' commands see it.
struct Resource {
  std::string id;
  std::string community_uuid;
  std::string title;
  Millis created = 0;
  bool trashed = false;
};

// One lifecycle event an application applied (its row in applied_events).
struct AppliedEvent {
  int64_t seq = 0;
  std::string event_id;
  std::string event_type;
  std::string community_uuid;
  bool changed = false;    // it changed the synced record or a resource
  int64_t deliveries = 1;  // how often it arrived: more than 1 means duplicates were refused
  Millis applied_at = 0;
};

// The shared synced-record migration is libs/remoteapp/migrations/V001 (CMake variable
// CONCORD_SYNCED_RECORD_MIGRATIONS); an application's own migrations start at V002. Shared
// changes after that (applied_events.sql) are included by a numbered migration of each
// application (`-- @include`, cmake/concord.cmake).

// The most events one batched delivery may carry (POST {base}/lifecycle/{app}/batch).
inline constexpr size_t kMaxLifecycleBatch = 1000;

class RemoteApplication {
 public:
  RemoteApplication(AppDefinition definition, std::shared_ptr<db::Database> database,
                    ResourceHooks& hooks);

  const AppDefinition& definition() const { return definition_; }

  // Applies one event delivered for `app`. Returns the reply body: {"applied": bool,
  // "resourceId": ...}, where "applied" says whether it changed anything; a seq already applied
  // for `app` changes nothing and answers {"applied": false, "duplicate": true, "resourceId"?}.
  // kInvalidArgument for an app this service does not serve. Trims the record of applied events
  // (TrimAppliedEvents) at most once an hour.
  Result<nlohmann::json> Apply(const std::string& app, const lifecycle::LifecycleEvent& event);
  // The same, inside a transaction the caller holds on this application's database. An event
  // with seq 0 (not from Communities' log: `concord populate`) is applied by version alone and
  // not recorded.
  Result<nlohmann::json> ApplyIn(db::Connection& c, const std::string& app,
                                 const lifecycle::LifecycleEvent& event);
  // Applies a batch of events (lifecycle events as JSON, in the order they were logged) for
  // `app` in one transaction. One result per event, in the same order: Apply's reply; or, for
  // an event refused (malformed, or ApplyIn's error other than kUnavailable), {"error": {...},
  // "status": HTTP status}, rolled back alone; or {"held": true} for an event of a community
  // whose earlier event in the batch was refused (not applied, so that each community's events
  // apply in order). kUnavailable (nothing applied) when the database is; kInvalidArgument for
  // an app this service does not serve.
  Result<std::vector<nlohmann::json>> ApplyBatch(const std::string& app,
                                                 const std::vector<nlohmann::json>& events);

  // The events `app` applied with a seq above `after_seq`, in seq order, at most `limit`.
  // kInvalidArgument for an app this service does not serve.
  Result<std::vector<AppliedEvent>> AppliedEvents(const std::string& app, int64_t after_seq,
                                                  int limit);
  // Forgets applied events recorded before `before`. Returns how many. A delivery of one of them
  // after that is applied by version alone again (harmless: Communities redelivers an event only
  // until it hears the answer, seconds later, not for days).
  Result<int64_t> TrimAppliedEvents(Millis before);
  // How long applied events are remembered ([lifecycle] event_log_retention_days; 30 days
  // unless set). Call before serving.
  void set_applied_event_retention(std::chrono::milliseconds retention) {
    applied_retention_ = retention;
  }
  std::chrono::milliseconds applied_event_retention() const { return applied_retention_; }

  // Sample data: applies `event` (remote.app.added for a widget of this application, or, for an
  // application that tracks communities without its widget, any community event), and gives a
  // new resource some content. Returns the resource id, if any.
  Result<std::optional<std::string>> Populate(db::Connection& c, const std::string& app,
                                              const lifecycle::LifecycleEvent& event);

  // The record, if this application knows the community.
  Result<std::optional<SyncedCommunity>> Find(db::Connection& c, const CommunityUuid& community,
                                              const std::string& app);
  // The record whose resource is `resource_id`.
  Result<std::optional<SyncedCommunity>> FindByResource(db::Connection& c, const std::string& app,
                                                        const std::string& resource_id);
  // What `principal` may do in the community, by this application's own record: a community in
  // the trash gives nothing to anybody (administrators and owners included, as in Communities);
  // otherwise administrators own everything; a restricted community gives nothing to
  // non-members; public and moderated ones let everybody read; members contribute; owners own.
  Result<Access> AccessOf(db::Connection& c, const SyncedCommunity& record,
                          const Principal& principal);

  struct CommunityAccess {
    std::optional<SyncedCommunity> record;  // none for an orphan (visible to administrators only)
    Access access = Access::kNone;
  };
  // What `principal` may do with `app`'s content of `community`: as AccessOf() by the record;
  // with no record (an orphan) administrators own it and nobody else sees it. kNotFound, with
  // "<what> <id> not found", when the answer is kNone: content a caller may not see does not
  // exist for that caller (for a trashed community's owners and administrators, the message
  // says that it is in the trash).
  Result<CommunityAccess> AccessToCommunity(db::Connection& c, const std::string& app,
                                            const CommunityUuid& community,
                                            const Principal& principal, std::string_view what,
                                            std::string_view id);

  // The highest event sequence applied.
  Result<int64_t> LastAppliedSeq();
  // The highest Communities version of any community this service holds (0 when none): what
  // Communities' version floor must pass after it is restored older than this service.
  Result<int64_t> HighestCommunityVersion();

  // The community-owned resources of `app` of one community, or with one title.
  Result<std::vector<Resource>> FindResources(const std::string& app,
                                              const std::optional<std::string>& community,
                                              const std::optional<std::string>& title);
  // Moves resources to the application's trash (RemoveResource) and forgets their synced
  // records, as the reference's deletion commands do. Returns, per id that could not be
  // deleted, why (unknown, already in the trash, not a community's).
  Result<std::vector<std::pair<std::string, std::string>>> DeleteResources(
      const std::string& app, const std::vector<std::string>& ids);

  // exportSyncedResourceInfo: writes every record of `app` that carries a resource, with its
  // members, in community order, from one consistent snapshot (docs/xml-export.md).
  // kInvalidArgument for an app this service does not serve.
  Status Export(const std::string& app, xml::ExportWriter& writer);

  // Mounts POST {base}/lifecycle/{remoteAppDefId} (administrators: the lifecycle system user)
  // and POST {base}/lifecycle/{remoteAppDefId}/batch (many events: ApplyBatch),
  // GET {base}/synced/{remoteAppDefId}/{communityUuid}, GET {base}/admin/applied/{remoteAppDefId}
  // (the applied events, a page after a seq) and GET {base}/admin/export/{remoteAppDefId}
  // (administrators; the export, streamed).
  void Mount(http::Server& server);

 private:
  Status CheckServes(const std::string& app) const;
  void MountExport(http::Server& server);
  void MountResourceAdmin(http::Server& server);
  Result<std::optional<Resource>> FindResourceById(db::Connection& c, const std::string& app,
                                                   const std::string& id);
  // The community's record no longer names a resource of `app` (deleted or moved away).
  Status ForgetResource(db::Connection& c, const CommunityUuid& community, const std::string& app);
  // remote.app.transfer (assignRemoteApp): the resource moves to the event's community.
  Result<nlohmann::json> Transfer(db::Connection& c, const std::string& app,
                                  const lifecycle::LifecycleEvent& e);

  void MountAppliedEvents(http::Server& server);
  // POST {base}/lifecycle/{remoteAppDefId}/batch: {"events": [...]} → {"results": [...]}.
  void MountLifecycleBatch(http::Server& server);
  // Trims the applied events (TrimAppliedEvents) at most once an hour, first when called first.
  void TrimAppliedEventsIfDue();
  // What ApplyIn does once it knows the event is not a duplicate.
  Result<nlohmann::json> ApplyState(db::Connection& c, const std::string& app,
                                    const lifecycle::LifecycleEvent& e);

  AppDefinition definition_;
  std::shared_ptr<db::Database> database_;
  ResourceHooks& hooks_;
  std::chrono::milliseconds applied_retention_ = std::chrono::hours(24 * 30);
  std::atomic<Millis> last_trim_{0};
};

nlohmann::json SyncedJson(const SyncedCommunity& record);

// Loads what a child object (an entry, a topic, a page) hangs on, so that a child of a container
// the caller may not see does not exist for the caller either. `find()` returns the child if it
// exists (Result<std::optional<Child>>); `load_parent(child)` the container as the caller may see
// it. A missing child or a kNotFound from the container gives NotFound("<what> <id> not found");
// any other error (the database failing) is returned as it is.
template <typename Child, typename Find, typename LoadParent>
auto LoadChild(std::string_view what, std::string_view id, Find&& find, LoadParent&& load_parent,
               Child& child) -> decltype(load_parent(child)) {
  auto not_found = [&] {
    return NotFound(std::string(what) + " " + std::string(id.substr(0, 60)) + " not found");
  };
  auto found = find();
  if (!found) return std::unexpected(found.error());
  if (!*found) return not_found();
  auto parent = load_parent(**found);
  if (!parent) {
    if (parent.error().code == ErrorCode::kNotFound) return not_found();
    return parent;
  }
  child = std::move(**found);
  return parent;
}

// Items per page in the applications' content listings.
constexpr size_t kPageSize = 100;

// A content listing read with kPageSize + 1 rows: {"items": the first kPageSize as JSON,
// "next": the cursor (the last item's id) if there were more, else null}.
template <typename Row, typename ToJson>
nlohmann::json PageJson(const std::vector<Row>& rows, ToJson&& to_json) {
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = 0; i < rows.size() && i < kPageSize; ++i) items.push_back(to_json(rows[i]));
  nlohmann::json next = rows.size() > kPageSize ? nlohmann::json(rows[kPageSize - 1].id) : nullptr;
  return {{"items", items}, {"next", next}};
}

}  // namespace concord::remoteapp

namespace concord::remoteapp {

// What an application that shares its content with communities without their widget (Files'
// file and folder shares, Activities' community members) does for syncAllCommunityShares
// (reference section 10).
struct CommunityTruth {
  std::string uuid;
  bool exists = false;     // false: the community is gone
  std::string name;        // when it exists
  std::string visibility;  // public, publicInviteOnly, private
};
struct ShareSyncCounts {
  int64_t communities = 0;  // looked at
  int64_t updated = 0;      // share rows whose name or visibility was brought up to date
  int64_t removed = 0;      // share rows removed (community gone, or the rule forbids it now)
};
class CommunityShares {
 public:
  virtual ~CommunityShares() = default;
  // The communities shared with, in uuid order after `after`.
  virtual Result<std::vector<std::string>> SharedCommunities(db::Connection& c,
                                                             const std::string& after,
                                                             int limit) = 0;
  // Brings the shares with one community in line with what Communities says of it.
  virtual Result<ShareSyncCounts> Sync(db::Connection& c, const CommunityTruth& truth) = 0;
};

// Mounts GET {base}/admin/shared-communities?after=&limit= ({"items": [uuids], "next"}) and
// POST {base}/admin/shared-communities/sync ({"communities": [{uuid, exists, name,
// visibility}]} -> counts), administrators only.
void MountCommunityShares(http::Server& server, const std::string& base_path,
                          const std::shared_ptr<db::Database>& database, CommunityShares& shares);

}  // namespace concord::remoteapp
