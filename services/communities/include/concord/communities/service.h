#pragma once
// The Communities service: communities, memberships, widgets, the trash and the user
// directory, with the rules the reference gives them. No SQL and no JSON here: the store
// (src/store) holds the SQL and the HTTP API (src/api, MountHttpApi) the JSON.
//
// Every operation takes the Actor on whose behalf it runs and applies the access rules:
//   - a restricted (`private`) community, and everything about it, is invisible to a
//     non-member (kNotFound, exactly as for a community that does not exist), except that a
//     restricted community with listWhenPrivate shows its listing (name, description, tags,
//     owners);
//   - public and moderated communities are visible to every authenticated user;
//   - only owners and administrators change a community (kPermissionDenied).
// Every change bumps the community's version and lastMod in the same transaction.
//
// Thread-safe: one instance serves all request threads.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "concord/communities/dispatcher.h"
#include "concord/communities/model.h"
#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/lifecycle/events.h"

namespace concord::http {
class Server;
class CachingAuthenticator;
}  // namespace concord::http
namespace concord::scheduler {
class Scheduler;
}  // namespace concord::scheduler

namespace concord::communities {
namespace domain {
class Transactions;
class EventPublisher;
class CommunityTrash;
class Membership;
class CommunityWidgets;
class QueueAdministration;
class SyncAdministration;
class UserDirectory;
}  // namespace domain

// The service's schema migrations (services/communities/migrations).
db::MigrationList Migrations();

struct CommunityDraft {
  std::string name;
  std::optional<std::string> handle;
  std::string description;
  std::vector<std::string> tags;
  Visibility visibility = Visibility::kPublic;
  bool list_when_private = false;
  std::string theme = "default";
  bool owners_approve_content = false;
  bool viewers_flag_content = false;
  std::optional<CommunityUuid> parent;
  // Administrators only: the first owner (user id, login or email) instead of the caller.
  std::optional<std::string> owner;
};

struct CommunityPatch {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> handle;  // a null inner value clears it
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> tags;
  std::optional<Visibility> visibility;
  std::optional<bool> list_when_private;
  std::optional<std::string> theme;
  std::optional<bool> owners_approve_content;
  std::optional<bool> viewers_flag_content;
  std::optional<int64_t> expected_version;  // if set, kAborted unless the version still matches
};

struct ListFilter {
  std::optional<Visibility> visibility;
  std::optional<UserId> member;
  std::optional<std::string> name;
  // Search: the name contains this (case-insensitive for ASCII letters), and it has this tag.
  std::optional<std::string> name_contains;
  std::optional<std::string> tag;
  std::optional<CommunityUuid> parent;
  std::string after;  // cursor: "" for the first page
  int limit = 50;     // 1..500
};

// A web page's session (docs/adr/0020-web-pages.md): its user, the CSRF token every change made
// with it carries, and when it ends at the latest.
struct WebSession {
  User user;
  std::string csrf_token;
  Millis expires_at = 0;
};
struct StartedSession {
  std::string token;  // for the cookie; the database keeps only its SHA-256
  WebSession session;
};
// A session ends after this long without a request, and this long after it started.
constexpr Millis kSessionIdleMillis = 2LL * 3600 * 1000;
constexpr Millis kSessionLifetimeMillis = 12LL * 3600 * 1000;

struct NewUser {
  std::string login;
  std::string email;
  std::string display_name;
  std::string password;
  bool admin = false;
};

// Which remote applications hear lifecycle events (the reference's widgets-config
// <lifecycle> blocks): every application listed here receives the events of communities that
// have its widget; those in `without_widget` also receive community events (not widget events)
// of communities without it (Files and Activities keep shares with such communities).
struct Subscriptions {
  std::vector<std::string> applications;  // remoteAppDefIds
  std::vector<std::string> without_widget;
  // The event types an application hears; an application not listed hears every type.
  std::map<std::string, std::set<lifecycle::EventType>> events;
};

struct ServiceOptions {
  std::shared_ptr<db::Database> database;
  int trash_retention_days = 30;
  Subscriptions subscriptions;
  // Called after a transaction that wrote lifecycle events has committed (wakes the dispatcher).
  std::function<void()> events_committed;
  // What the dispatcher reports as it delivers: Resync and AssignRemoteApp wait on it (and poll
  // the queue every 20 ms without it).
  std::shared_ptr<DeliveryProgress> deliveries;
};

class CommunitiesService {
 public:
  explicit CommunitiesService(ServiceOptions options);
  ~CommunitiesService();

  // Communities. Errors: kInvalidArgument (field named, accepted values listed), kNotFound,
  // kPermissionDenied, kAlreadyExists (handle taken, widget present), kFailedPrecondition (a
  // rule such as the last owner or subcommunity membership), kAborted (stale version).
  Result<Community> Create(const Actor& actor, CommunityDraft draft);
  Result<CommunityView> Get(const Actor& actor, const CommunityUuid& uuid);
  Result<Page<CommunityView>> List(const Actor& actor, ListFilter filter);
  Result<Community> Update(const Actor& actor, const CommunityUuid& uuid, CommunityPatch patch);
  // Moves a community (and its subcommunities) to the trash, forcing visibility to private.
  Result<Community> Trash(const Actor& actor, const CommunityUuid& uuid);

  // Trash: owners see and restore their own communities, administrators all of them.
  Result<Page<Community>> ListTrash(const Actor& actor, std::string after, int limit);
  // Restores the visibility it had; its subcommunities trashed with it come back too.
  Result<Community> Restore(const Actor& actor, const CommunityUuid& uuid);
  // Deletes a trashed community and its subcommunities for good.
  Status Purge(const Actor& actor, const CommunityUuid& uuid);
  // Purges every community in the trash for longer than the retention period. Returns the
  // number purged. Run by the server on a schedule.
  Result<int64_t> PurgeExpired(Millis now);
  int trash_retention_days() const { return options_.trash_retention_days; }

  // Members.
  Result<Page<Member>> ListMembers(const Actor& actor, const CommunityUuid& uuid,
                                   std::optional<Role> role, std::string after, int limit);
  Result<Member> GetMember(const Actor& actor, const CommunityUuid& uuid, const UserId& user);
  // Adds users (by id, login or email) with one role. All or nothing.
  Result<std::vector<Member>> AddMembers(const Actor& actor, const CommunityUuid& uuid,
                                         const std::vector<std::string>& users, Role role);
  Result<Member> SetRole(const Actor& actor, const CommunityUuid& uuid, const UserId& user,
                         Role role);
  Status RemoveMember(const Actor& actor, const CommunityUuid& uuid, const UserId& user);

  // Widgets.
  Result<std::vector<Widget>> ListWidgets(const Actor& actor, const CommunityUuid& uuid);
  Result<Widget> AddWidget(const Actor& actor, const CommunityUuid& uuid,
                           const std::string& widget_def_id,
                           std::optional<std::string> ui_location);
  Status RemoveWidget(const Actor& actor, const CommunityUuid& uuid, const WidgetInstanceId& id);

  // The user directory.
  Result<User> CreateUser(const Actor& actor, NewUser user);
  Result<Page<User>> ListUsers(const Actor& actor, std::string after, int limit);
  Result<User> GetUser(const Actor& actor, const std::string& ref);  // id, login, email or "me"
  Result<User> SetUserDisabled(const Actor& actor, const UserId& id, bool disabled);
  // kUnauthenticated with one message for unknown, disabled and wrong password.
  Result<User> Verify(std::string_view login, std::string_view password);
  // Creates the first administrator, login `admin` with a random password, if the directory is
  // empty. `persist` receives the password inside the transaction and must store it (the
  // credentials file); if it fails, no user is created. Returns true if the admin was created.
  Result<bool> EnsureInitialAdmin(
      const std::function<Status(const std::string& password)>& persist);

  // Creates, or resets the password of, an administrative system account (the lifecycle
  // dispatcher's): `persist` stores the password inside the same transaction.
  Status EnsureServiceAccount(const std::string& login,
                              const std::function<Status(const std::string& password)>& persist);
  // A new session for the caller (signed in with a password). Ended sessions are removed.
  Result<StartedSession> StartSession(const Actor& actor);
  // The session `token` names: kUnauthenticated when unknown, ended, or its user disabled.
  // Each use keeps it from ending idle (recorded at most every five minutes).
  Result<WebSession> FindSession(std::string_view token);
  // Signs out: the session ends (the credentials-changed callbacks run, so that every cache
  // forgets it). Ending an unknown session does nothing.
  Status EndSession(std::string_view token);
  // Disables a system account no longer used (and forgets its password), if it exists and is
  // enabled: true when it did.
  Result<bool> RetireServiceAccount(const std::string& login);
  // The same with a password the caller already holds: after Communities' database was
  // restored from a backup, the system account gets back the password the running dispatcher
  // uses (the backup holds an older one). Cached credentials are dropped.
  Status RestoreServiceAccount(const std::string& login, const std::string& password);

  // Removes the widget `widget_def_id` from every community that has it (the reference's
  // removeWidgetsByWidgetDefIdForAllComm), one community per transaction, each with its lifecycle
  // events, as if an owner had removed it. Communities in the trash keep theirs. Administrators
  // only. Returns how many were removed. kInvalidArgument for an unknown id (listing them),
  // kFailedPrecondition for Members and RecentUpdates, which cannot be removed.
  Result<int64_t> RemoveAllWidgets(const Actor& actor, const std::string& widget_def_id);

  // What synchronization reports compare (administrators only): communities with a widget
  // `widget_def_id`, trashed ones included, in uuid order after `after` (1 to 1000 a page).
  Result<std::vector<SyncState>> SyncStates(const Actor& actor, const std::string& widget_def_id,
                                            const std::string& after, int limit);
  // The given communities (at most 1000) that exist, with their widget `widget_def_id` if any.
  Result<std::vector<SyncState>> SyncLookup(const Actor& actor, const std::string& widget_def_id,
                                            const std::vector<std::string>& uuids);

  // resyncRemoteApps... (reference section 8.2): sends each community's whole current state
  // (visibility, theme, moderation, and in Concord also name and membership) to the remote
  // applications of its widgets (only `widget_def_id`'s if given), applied whatever version
  // they hold, the widget's resource re-created where the application lacks it. Then waits up to
  // `wait` for the deliveries. Refused (kFailedPrecondition) while events for those applications
  // are queued: the reference requires an empty queue. Trashed and unknown communities:
  // kNotFound.
  struct ResyncOutcome {
    int64_t communities = 0;
    int64_t events = 0;
    int64_t still_queued = 0;  // after the wait
  };
  Result<ResyncOutcome> Resync(const Actor& actor, const std::vector<CommunityUuid>& communities,
                               const std::optional<std::string>& widget_def_id,
                               std::chrono::milliseconds wait);

  // assignRemoteApp (reference section 8.3): binds an application's existing resource
  // `resource_id` (an orphan) to a new widget in `new_community` (the same community as before
  // if only the widget was lost), and tells the application (remote.app.transfer), which moves
  // the resource; waits up to `wait` for it. kFailedPrecondition if the community already has
  // that widget (saying how to remove it); kInvalidArgument for a bad id or uiLocation;
  // kNotFound for a missing or trashed community; kUnavailable if the application has not
  // taken it within `wait` (the event stays queued).
  Result<Widget> AssignRemoteApp(const Actor& actor, const std::string& remote_app_def_id,
                                 const std::string& resource_id, const CommunityUuid& old_community,
                                 const CommunityUuid& new_community, const std::string& ui_location,
                                 std::chrono::milliseconds wait);

  // The queue of lifecycle events not yet delivered (reference section 6). Administrators only
  // (kPermissionDenied). kInvalidArgument names a bad filter value: a remoteAppDefId that is not
  // a remote application (the valid ones listed), an unknown event type, a malformed uuid.
  Result<std::vector<QueueSummary>> QueuedEventsSummary(const Actor& actor);
  // Pages in (event sequence, application) order; `after` is the previous page's `next`.
  Result<Page<QueuedEvent>> ListQueuedEvents(const Actor& actor, const QueuedEventFilter& filter,
                                             const std::string& after, int limit);
  // Removes the matching events from the queue without delivering them; they stay in the event
  // log (for replay) until EventLogCleanup trims it. Returns how many deliveries were removed.
  // With `filter.event_ids` (at most kMaxEventIdsPerCall), exactly those events: what was set
  // aside, and nothing queued since.
  Result<int64_t> ClearQueuedEvents(const Actor& actor, const QueuedEventFilter& filter);
  // The checks of a queue filter, also applied by the retry API.
  static Status ValidateQueuedEventFilter(const QueuedEventFilter& filter);
  static constexpr size_t kMaxEventIdsPerCall = 500;

  // EventLogCleanup: deletes event-log entries older than `before` that no delivery needs.
  Result<int64_t> TrimEventLog(Millis before);
  // The event log's first and last seq still held, the highest ever assigned, and the floor
  // every community's next version is above (AdvanceEventSequence).
  struct EventLogBounds {
    int64_t first = 0, last = 0, assigned = 0, version_floor = 0;
  };
  Result<EventLogBounds> EventLog(const Actor& actor);
  // The event log's entries after seq `after_seq`, oldest first, `limit` (1 to 1000) a page,
  // only those queued for `remote_app_def_id` if given. `next` is the last seq shown when there
  // are more. Administrators only; kInvalidArgument for a bad limit or an application that is
  // not a remote one.
  struct EventLogPage {
    std::vector<EventLogEntry> items;
    std::optional<int64_t> next;
  };
  Result<EventLogPage> ListEventLog(const Actor& actor,
                                    const std::optional<std::string>& remote_app_def_id,
                                    int64_t after_seq, int limit);
  // After Communities was restored from a backup older than an application: the next event
  // gets a seq above `at_least` (the highest any application applied), and every community's
  // next change a version above `versions_at_least` (the highest any application holds), so
  // that no seq comes round twice and every application takes each later change as newer than
  // what it holds. Neither ever goes down; each is at most kMaxSequence (kInvalidArgument
  // naming atLeast or versionAtLeast otherwise). Administrators only.
  Status AdvanceEventSequence(const Actor& actor, int64_t at_least, int64_t versions_at_least);
  // 2^53 - 1: the largest whole number a JSON reader that uses doubles (a browser) reads exactly.
  static constexpr int64_t kMaxSequence = (int64_t{1} << 53) - 1;

  // Adds a callback run after a change that must end cached authentications (a user
  // disabled, a service account's password reset), in the order they were added. Add them
  // before serving requests.
  void OnCredentialsChanged(std::function<void()> callback);

  db::Database& database() { return *options_.database; }

 private:
  // The parts of the domain this facade forwards to (services/communities/src/domain), each
  // responsible for one family of the operations above.
  ServiceOptions options_;
  std::unique_ptr<domain::Transactions> transactions_;
  std::unique_ptr<domain::EventPublisher> publisher_;
  std::unique_ptr<domain::CommunityTrash> trash_;
  std::unique_ptr<domain::Membership> membership_;
  std::unique_ptr<domain::CommunityWidgets> widgets_;
  std::unique_ptr<domain::QueueAdministration> queue_;
  std::unique_ptr<domain::SyncAdministration> sync_;
  std::unique_ptr<domain::UserDirectory> users_;
};

// Mounts the HTTP API (docs/http-api.md) under /communities/api on `server`, the web pages'
// sessions included (MountSessionApi).
void MountHttpApi(http::Server& server, CommunitiesService& service);

// POST, GET and DELETE /communities/api/session: signing in (HTTP Basic), who the session is,
// signing out (docs/http-api.md, "Sessions").
void MountSessionApi(http::Server& server, CommunitiesService& service);

// Mounts the administrators' API of the Communities scheduler under
// /communities/api/admin/scheduler (docs/http-api.md).
void MountSchedulerApi(http::Server& server, scheduler::Scheduler& scheduler);

// Retries queued deliveries (the dispatcher's Retry); kUnavailable when no dispatcher runs.
using RetryFunction = std::function<Result<RetryOutcome>(const RetryFilter&)>;

// Mounts the administrators' API of the lifecycle event queue under
// /communities/api/admin/queue, and POST /communities/api/admin/widgets/{defId}/remove-all
// (docs/http-api.md).
void MountQueueApi(http::Server& server, CommunitiesService& service, const RetryFunction& retry);

// Replays the event log to an application (the dispatcher's Replay).
// (application, after seq, forwarded from another node)
using ReplayFunction = std::function<Result<ReplayOutcome>(const std::string&, int64_t, bool)>;

// Mounts the event log's administrators' API (docs/http-api.md, "Event log and replay"):
// GET /communities/api/admin/events (bounds), POST .../replay, POST .../advance.
void MountEventLogApi(http::Server& server, CommunitiesService& service,
                      const ReplayFunction& replay);

// Mounts GET /communities/api/admin/sync/{widgetDefId} and POST .../lookup: what the
// synchronization reports compare with an application's export (docs/http-api.md).
void MountSyncApi(http::Server& server, CommunitiesService& service);

// Mounts POST /communities/api/admin/resync (docs/http-api.md).
void MountResyncApi(http::Server& server, CommunitiesService& service);

// An Authenticator over the user directory, with a short cache of verified credentials; it
// forgets them when the service reports a change.
std::shared_ptr<http::CachingAuthenticator> MakeAuthenticator(CommunitiesService& service);

// How long a process without Communities trusts a verification it got from the directory. The
// directory tells every process it delivers lifecycle events to when credentials change
// (MountCredentialsApi); this bounds what a process that could not be told keeps.
constexpr std::chrono::seconds kRemoteCredentialCacheTtl{5};

// For services in another process: an Authenticator that asks the Communities directory at
// `communities_url` (GET /communities/api/users/me with the caller's credentials), with a cache
// of verified credentials for kRemoteCredentialCacheTtl. kUnavailable when the directory cannot
// be reached.
std::shared_ptr<http::CachingAuthenticator> MakeRemoteAuthenticator(
    std::vector<std::string> communities_urls);

// Mounts POST /api/admin/credentials/invalidate (administrators, i.e. the lifecycle system
// account of the Communities process): `cache` forgets every verification, 204. Communities
// calls it on every process it delivers lifecycle events to when a user is disabled or a
// password changes, so that the change takes effect there at once.
void MountCredentialsApi(http::Server& server,
                         const std::shared_ptr<http::CachingAuthenticator>& cache);

}  // namespace concord::communities
