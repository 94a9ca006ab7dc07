#include "concord/remoteapp/remote_app.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <map>
#include <utility>
#include <vector>

#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "concord/lifecycle/visibility.h"

namespace concord::remoteapp {
namespace {

using db::Connection;
using lifecycle::EventType;
using nlohmann::json;

constexpr std::string_view kColumns =
    "community_uuid, remote_app_def_id, widget_instance_id, resource_id, name, visibility, "
    "list_when_private, theme, owners_approve_content, viewers_flag_content, in_trash, version, "
    "applied_at";

SyncedCommunity FromRow(const db::Rows& r) {
  SyncedCommunity s;
  s.community = CommunityUuid(r.Text(0));
  s.remote_app_def_id = r.Text(1);
  if (auto w = r.OptText(2)) s.widget_instance_id = WidgetInstanceId(*w);
  s.resource_id = r.OptText(3);
  s.name = r.Text(4);
  s.visibility = r.Text(5);
  s.list_when_private = r.Bool(6);
  s.theme = r.Text(7);
  s.owners_approve_content = r.Bool(8);
  s.viewers_flag_content = r.Bool(9);
  s.in_trash = r.Bool(10);
  s.version = r.Int(11);
  s.applied_at = r.Int(12);
  return s;
}

Result<std::optional<SyncedCommunity>> One(db::Rows rows) {
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (!has) return std::optional<SyncedCommunity>{};
  return std::optional(FromRow(rows));
}

// Writes member rows (user id, role), many a statement: chunks of 64, 32, ... 1 rows, so seven
// statement texts in all (each prepared once by the connection) and no row twice in one
// statement (PostgreSQL refuses an upsert that would change a row twice). A row a statement
// cost a third of `concord populate`.
Status UpsertMembers(Connection& c, const CommunityUuid& community, const std::string& app,
                     const std::vector<std::pair<std::string, int64_t>>& rows) {
  static const std::array<std::string, 7> kSql = [] {
    std::array<std::string, 7> sql;
    for (size_t k = 0; k < sql.size(); ++k) {
      std::string& s = sql[k];
      s = "INSERT INTO synced_members (community_uuid, remote_app_def_id, user_id, role) VALUES ";
      for (size_t i = 0; i < (size_t{1} << k); ++i) {
        s += fmt::format("{}($1, $2, ${}, ${})", i == 0 ? "" : ", ", 3 + 2 * i, 4 + 2 * i);
      }
      s += " ON CONFLICT (community_uuid, remote_app_def_id, user_id) DO UPDATE SET role = "
           "excluded.role";
    }
    return sql;
  }();
  for (size_t from = 0; from < rows.size();) {
    size_t k = kSql.size() - 1;  // 64 rows
    while ((size_t{1} << k) > rows.size() - from) --k;
    size_t n = size_t{1} << k;
    db::Params params{db::Value(community.value()), db::Value(app)};
    params.reserve(2 + 2 * n);
    for (size_t i = from; i < from + n; ++i) {
      params.emplace_back(rows[i].first);
      params.emplace_back(rows[i].second);
    }
    CONCORD_RETURN_IF_ERROR(c.ExecuteParams(kSql[k], params));
    from += n;
  }
  return Ok();
}

// Whether the application held a record of the community before this write.
enum class Held { kRecord, kNoRecord };

// Brings the record's members to the state's: writes only the rows that differ (a rename, the
// most common change, writes none; rewriting them all was most of the cost of applying it).
Status WriteMembers(Connection& c, const std::string& app, const lifecycle::CommunityState& s,
                    Held held_before) {
  std::map<std::string, int64_t> wanted;  // a user listed twice takes the member role, as ever
  for (const auto& u : s.owners) wanted[u.value()] = static_cast<int64_t>(SyncedRole::kOwner);
  for (const auto& u : s.members) wanted[u.value()] = static_cast<int64_t>(SyncedRole::kMember);
  if (held_before == Held::kNoRecord) {
    // A new record: no rows to compare with (any left behind go), so no read, which on
    // PostgreSQL would be a round trip for every community populate or a resync writes.
    CONCORD_RETURN_IF_ERROR(
        c.Execute("DELETE FROM synced_members WHERE community_uuid = $1 AND remote_app_def_id = $2",
                  s.uuid, app));
    return UpsertMembers(c, s.uuid, app, {wanted.begin(), wanted.end()});
  }
  std::map<std::string, int64_t> held;
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows, c.Query("SELECT user_id, role FROM synced_members WHERE community_uuid = $1 "
                             "AND remote_app_def_id = $2",
                             s.uuid, app));
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    held.emplace(rows.Text(0), rows.Int(1));
  }
  for (const auto& [user, role] : held) {
    if (wanted.contains(user)) continue;
    CONCORD_RETURN_IF_ERROR(
        c.Execute("DELETE FROM synced_members WHERE community_uuid = $1 AND "
                  "remote_app_def_id = $2 AND user_id = $3",
                  s.uuid, app, user));
  }
  std::vector<std::pair<std::string, int64_t>> changed;
  changed.reserve(wanted.size());
  for (const auto& [user, role] : wanted) {
    auto it = held.find(user);
    if (it != held.end() && it->second == role) continue;
    changed.emplace_back(user, role);
  }
  return UpsertMembers(c, s.uuid, app, changed);
}

// Writes the community's attributes and membership from the event into the record.
Status WriteState(Connection& c, const std::string& app, const lifecycle::LifecycleEvent& e,
                  const std::optional<WidgetInstanceId>& widget,
                  const std::optional<std::string>& resource, Held held_before) {
  const auto& s = e.community;
  Millis now = NowMillis();
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO synced_communities (community_uuid, remote_app_def_id, widget_instance_id, "
      "resource_id, name, visibility, list_when_private, theme, owners_approve_content, "
      "viewers_flag_content, in_trash, version, applied_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
      "$8, "
      "$9, $10, $11, $12, $13) ON CONFLICT (community_uuid, remote_app_def_id) DO UPDATE SET "
      "widget_instance_id = $3, resource_id = $4, name = $5, visibility = $6, list_when_private = "
      "$7, "
      "theme = $8, owners_approve_content = $9, viewers_flag_content = $10, in_trash = $11, "
      "version = $12, applied_at = $13",
      s.uuid, app, widget ? std::optional(widget->value()) : std::nullopt, resource, s.name,
      s.visibility, s.list_when_private, s.theme, s.owners_approve_content, s.viewers_flag_content,
      s.in_trash, s.version, now));
  return WriteMembers(c, app, s, held_before);
}

// The id of the event recorded as applied for `app` at `seq`, if any.
Result<std::optional<std::string>> AppliedEventId(Connection& c, const std::string& app,
                                                  int64_t seq) {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT event_id FROM applied_events WHERE remote_app_def_id = $1 AND seq = $2", app,
              seq));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (!has) return std::optional<std::string>{};
  return std::optional(rows.Text(0));
}

Status DeleteRecord(Connection& c, const CommunityUuid& community, const std::string& app) {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("DELETE FROM synced_members WHERE community_uuid = $1 AND remote_app_def_id = $2",
                community, app));
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "DELETE FROM synced_communities WHERE community_uuid = $1 AND remote_app_def_id = $2",
      community, app));
  return Ok();
}

}  // namespace

AppDefinition Define(const apps::Application& application, AppDefinition::ResourceTable resources) {
  AppDefinition d;
  d.service = application.service;
  for (const auto& w : application.widgets) d.remote_app_defs.emplace_back(w.def_id);
  d.base_path = "/" + d.service + "/api";
  d.tracks_communities_without_widget = application.tracks_communities_without_widget;
  d.resources = std::move(resources);
  return d;
}

RemoteApplication::RemoteApplication(AppDefinition definition,
                                     std::shared_ptr<db::Database> database, ResourceHooks& hooks)
    : definition_(std::move(definition)), database_(std::move(database)), hooks_(hooks) {}

Result<std::optional<SyncedCommunity>> RemoteApplication::Find(Connection& c,
                                                               const CommunityUuid& community,
                                                               const std::string& app) {
  static const std::string sql =
      "SELECT " + std::string(kColumns) +
      " FROM synced_communities WHERE community_uuid = $1 AND remote_app_def_id = $2";
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.Query(sql, community, app));
  return One(std::move(rows));
}

Result<std::optional<SyncedCommunity>> RemoteApplication::FindByResource(
    Connection& c, const std::string& app, const std::string& resource_id) {
  static const std::string sql =
      "SELECT " + std::string(kColumns) +
      " FROM synced_communities WHERE resource_id = $1 AND remote_app_def_id = $2";
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.Query(sql, resource_id, app));
  return One(std::move(rows));
}

Result<Access> RemoteApplication::AccessOf(Connection& c, const SyncedCommunity& record,
                                           const Principal& principal) {
  // As in Communities: a community in the trash does not exist for anybody, its owners and
  // administrators included, until it is restored. Checked before anything else.
  if (record.in_trash) return Access::kNone;
  if (principal.admin) return Access::kOwn;
  CONCORD_ASSIGN_OR_RETURN(
      auto role, c.QueryInt("SELECT role FROM synced_members WHERE community_uuid = $1 AND "
                            "remote_app_def_id = $2 AND user_id = $3",
                            record.community, record.remote_app_def_id, principal.id));
  if (role) {
    return static_cast<SyncedRole>(*role) == SyncedRole::kOwner ? Access::kOwn
                                                                : Access::kContribute;
  }
  // A record whose visibility is not a known one (it can only come from a damaged database)
  // is treated as restricted: closed rather than open.
  auto visibility = lifecycle::ParseVisibility(record.visibility);
  if (!visibility || *visibility == lifecycle::Visibility::kRestricted) return Access::kNone;
  return Access::kRead;
}

Result<RemoteApplication::CommunityAccess> RemoteApplication::AccessToCommunity(
    Connection& c, const std::string& app, const CommunityUuid& community, const Principal& who,
    std::string_view what, std::string_view id) {
  CommunityAccess out;
  CONCORD_ASSIGN_OR_RETURN(out.record, Find(c, community, app));
  if (out.record) {
    CONCORD_ASSIGN_OR_RETURN(out.access, AccessOf(c, *out.record, who));
  } else {
    out.access = who.admin ? Access::kOwn : Access::kNone;
  }
  if (out.access == Access::kNone) {
    if (out.record && out.record->in_trash) {
      // Those who may restore it learn why, as Communities tells them; others learn nothing.
      CONCORD_ASSIGN_OR_RETURN(
          auto role, c.QueryInt("SELECT role FROM synced_members WHERE community_uuid = $1 AND "
                                "remote_app_def_id = $2 AND user_id = $3",
                                community, app, who.id));
      if (who.admin || (role && static_cast<SyncedRole>(*role) == SyncedRole::kOwner)) {
        return NotFound(
            fmt::format("{} {} not found: community {} is in the trash; restore it first "
                        "(POST /communities/api/trash/{}/restore)",
                        what, id.substr(0, 60), community.value(), community.value()));
      }
    }
    return NotFound(fmt::format("{} {} not found", what, id.substr(0, 60)));
  }
  return out;
}

Result<int64_t> RemoteApplication::LastAppliedSeq() {
  auto lease = database_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  CONCORD_ASSIGN_OR_RETURN(
      auto seq, (*lease)->QueryInt("SELECT last_seq FROM lifecycle_progress WHERE id = 1"));
  return seq.value_or(0);
}

Result<int64_t> RemoteApplication::HighestCommunityVersion() {
  auto lease = database_->Acquire();
  if (!lease) return std::unexpected(lease.error());
  CONCORD_ASSIGN_OR_RETURN(auto version,
                           (*lease)->QueryInt("SELECT MAX(version) FROM synced_communities"));
  return version.value_or(0);
}

void RemoteApplication::TrimAppliedEventsIfDue() {
  // The record of applied events is trimmed at most once an hour (and first at start-up), by
  // the delivery that notices; a failed trim is tried again an hour later.
  Millis now = NowMillis();
  Millis last = last_trim_.load();
  if (now - last < Millis{3600} * 1000 || !last_trim_.compare_exchange_strong(last, now)) return;
  auto trimmed = TrimAppliedEvents(now - applied_retention_.count());
  if (!trimmed) {
    spdlog::warn("{}: cannot trim the applied lifecycle events: {}", definition_.service,
                 trimmed.error().message);
  } else if (*trimmed > 0) {
    spdlog::info("{}: forgot {} applied lifecycle events older than {} days", definition_.service,
                 *trimmed, applied_retention_.count() / kMillisPerDay);
  }
}

Result<json> RemoteApplication::Apply(const std::string& app, const lifecycle::LifecycleEvent& e) {
  TrimAppliedEventsIfDue();
  return database_->InTransaction(
      db::TxMode::kWrite, [&](Connection& c) -> Result<json> { return ApplyIn(c, app, e); });
}

Result<json> RemoteApplication::ApplyIn(Connection& c, const std::string& app,
                                        const lifecycle::LifecycleEvent& e) {
  const auto& served = definition_.remote_app_defs;
  if (std::find(served.begin(), served.end(), app) == served.end()) {
    return InvalidArgument(
        "remoteAppDefId",
        fmt::format("the {} service does not serve '{}'", definition_.service, app.substr(0, 60)),
        served);
  }
  bool logged = e.seq > 0;  // from Communities' event log (populate's events have no seq)
  if (logged) {
    CONCORD_ASSIGN_OR_RETURN(auto seen, AppliedEventId(c, app, e.seq));
    if (seen && *seen == e.id.value()) {
      // Delivered again: Communities did not hear our answer (killed, or timed out). The same
      // answer, nothing applied.
      CONCORD_RETURN_IF_ERROR(
          c.Execute("UPDATE applied_events SET deliveries = deliveries + 1 WHERE "
                    "remote_app_def_id = $1 AND seq = $2",
                    app, e.seq));
      spdlog::debug("{}: lifecycle event {} ({}) for {} delivered again; applied already",
                    definition_.service, e.seq, lifecycle::EventTypeName(e.type), app);
      json reply = {{"applied", false}, {"duplicate", true}};
      if (e.widget) {
        CONCORD_ASSIGN_OR_RETURN(auto record, Find(c, e.community.uuid, app));
        if (record && record->widget_instance_id == e.widget->instance_id && record->resource_id)
          reply["resourceId"] = *record->resource_id;
      }
      return reply;
    }
    if (seen) {
      // The same seq for another event: Communities' sequence went back (a restore of its
      // database without `concord recover`'s advance step). Apply it, by version as ever.
      spdlog::warn(
          "{}: lifecycle event seq {} arrived as event {} after event {}: Communities' sequence "
          "went back (restored without advancing it?); applying it by version",
          definition_.service, e.seq, e.id.value(), *seen);
    }
  }
  CONCORD_ASSIGN_OR_RETURN(json reply, ApplyState(c, app, e));
  if (logged) {
    CONCORD_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO applied_events (remote_app_def_id, seq, event_id, event_type, "
        "community_uuid, changed, deliveries, applied_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7) "
        "ON CONFLICT (remote_app_def_id, seq) DO UPDATE SET event_id = $3, event_type = $4, "
        "community_uuid = $5, changed = $6, deliveries = 1, applied_at = $7",
        app, e.seq, e.id.value(), std::string(lifecycle::EventTypeName(e.type)), e.community.uuid,
        reply.value("applied", false), NowMillis()));
  }
  if (!logged) return reply;  // populate's: no seq to record
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO lifecycle_progress (id, last_seq, applied_at) VALUES (1, $1, $2) "
      "ON CONFLICT (id) DO UPDATE SET last_seq = CASE WHEN lifecycle_progress.last_seq > $1 "
      "THEN lifecycle_progress.last_seq ELSE $1 END, applied_at = $2",
      e.seq, NowMillis()));
  return reply;
}

Result<json> RemoteApplication::ApplyState(Connection& c, const std::string& app,
                                           const lifecycle::LifecycleEvent& e) {
  // remote.app.* events are about this application's own widget; widget.added and
  // widget.removed are about any widget of the community and only carry its new state.
  bool widget_event = e.type == EventType::kRemoteAppAdded ||
                      e.type == EventType::kRemoteAppRemoved ||
                      e.type == EventType::kRemoteAppTransfer;
  if (widget_event && (!e.widget || e.widget->widget_def_id != app)) {
    return InvalidArgument("widget", fmt::format("a {} event for {} must name a {} widget",
                                                 lifecycle::EventTypeName(e.type), app, app));
  }
  CONCORD_ASSIGN_OR_RETURN(auto record, Find(c, e.community.uuid, app));
  bool newer = !record || e.community.version > record->version;
  json reply = {{"applied", false}};
  switch (e.type) {
    case EventType::kRemoteAppAdded: {
      // Ours already: the same widget (delivered twice), or, in a resync, another instance
      // that Communities binds to the resource this record holds (the widget was removed and
      // the resource assigned back after the backup Communities was restored from): the record
      // follows Communities' widget rather than a new resource being made.
      bool ours = record && record->resource_id &&
                  (record->widget_instance_id == e.widget->instance_id ||
                   (e.resync && e.widget->remote_resource_id == record->resource_id));
      if (ours) {
        reply["resourceId"] = *record->resource_id;  // delivered twice: the same answer
        if (e.resync) {  // an administrator's resync: the state, whatever version we hold
          CONCORD_RETURN_IF_ERROR(
              WriteState(c, app, e, e.widget->instance_id, record->resource_id, Held::kRecord));
          reply["applied"] = true;
        }
        break;
      }
      CONCORD_ASSIGN_OR_RETURN(std::string resource, hooks_.CreateResource(c, app, e));
      CONCORD_RETURN_IF_ERROR(WriteState(c, app, e, e.widget->instance_id, resource,
                                         record ? Held::kRecord : Held::kNoRecord));
      reply = {{"applied", true}, {"resourceId", resource}};
      break;
    }
    case EventType::kRemoteAppRemoved: {
      if (!record || record->widget_instance_id != e.widget->instance_id) break;  // not ours
      if (record->resource_id)
        CONCORD_RETURN_IF_ERROR(hooks_.RemoveResource(c, app, *record->resource_id));
      if (definition_.tracks_communities_without_widget) {
        CONCORD_RETURN_IF_ERROR(WriteState(c, app, e, std::nullopt, std::nullopt, Held::kRecord));
      } else {
        CONCORD_RETURN_IF_ERROR(DeleteRecord(c, e.community.uuid, app));
      }
      reply["applied"] = true;
      break;
    }
    case EventType::kPrepareDelete: {
      if (!record) break;
      if (record->resource_id)
        CONCORD_RETURN_IF_ERROR(hooks_.RemoveResource(c, app, *record->resource_id));
      CONCORD_RETURN_IF_ERROR(DeleteRecord(c, e.community.uuid, app));
      reply["applied"] = true;
      break;
    }
    case EventType::kRemoteAppTransfer:
      if (e.transfer_from) {
        CONCORD_ASSIGN_OR_RETURN(reply, Transfer(c, app, e));
        break;
      }
      [[fallthrough]];
    case EventType::kWidgetAdded:
    case EventType::kWidgetRemoved:
    default: {
      if (!record && !definition_.tracks_communities_without_widget)
        break;                         // not a community we serve
      if (!newer && !e.resync) break;  // stale or repeated: we know a newer state already
      CONCORD_RETURN_IF_ERROR(WriteState(
          c, app, e, record ? record->widget_instance_id : std::nullopt,
          record ? record->resource_id : std::nullopt, record ? Held::kRecord : Held::kNoRecord));
      reply["applied"] = true;
      break;
    }
  }
  return reply;
}

Result<std::optional<std::string>> RemoteApplication::Populate(Connection& c,
                                                               const std::string& app,
                                                               const lifecycle::LifecycleEvent& e) {
  CONCORD_ASSIGN_OR_RETURN(json reply, ApplyIn(c, app, e));
  if (!reply.contains("resourceId")) return std::optional<std::string>{};
  std::string resource = reply["resourceId"];
  CONCORD_RETURN_IF_ERROR(hooks_.AddSampleContent(c, app, resource, e));
  return std::optional(resource);
}

json SyncedJson(const SyncedCommunity& r) {
  return {{"communityUuid", r.community.value()},
          {"remoteAppDefId", r.remote_app_def_id},
          {"widgetInstanceId",
           r.widget_instance_id ? json(r.widget_instance_id->value()) : json(nullptr)},
          {"resourceId", r.resource_id ? json(*r.resource_id) : json(nullptr)},
          {"name", r.name},
          {"visibility", r.visibility},
          {"listWhenPrivate", r.list_when_private},
          {"theme", r.theme},
          {"ownersApproveContent", r.owners_approve_content},
          {"viewersFlagContent", r.viewers_flag_content},
          {"inTrash", r.in_trash},
          {"version", r.version},
          {"appliedAt", FormatTimestamp(r.applied_at)}};
}

Result<std::optional<Resource>> RemoteApplication::FindResourceById(Connection& c,
                                                                    const std::string& app,
                                                                    const std::string& id) {
  const auto& t = definition_.resources;
  std::string sql = "SELECT id, COALESCE(community_uuid, ''), " +
                    (t.title_column.empty() ? std::string("''") : t.title_column) +
                    ", created, trashed_at FROM " + t.table + " WHERE id = $1";
  auto rows = t.app_column.empty() ? c.Query(sql, id)
                                   : c.Query(sql + " AND " + t.app_column + " = $2", id, app);
  if (!rows) return std::unexpected(rows.error());
  CONCORD_ASSIGN_OR_RETURN(bool has, rows->Next());
  if (!has) return std::optional<Resource>();
  return std::optional(
      Resource{rows->Text(0), rows->Text(1), rows->Text(2), rows->Int(3), !rows->IsNull(4)});
}

Status RemoteApplication::ForgetResource(Connection& c, const CommunityUuid& community,
                                         const std::string& app) {
  // An application that keeps every community keeps the record, without the resource.
  if (definition_.tracks_communities_without_widget) {
    CONCORD_RETURN_IF_ERROR(c.Execute(
        "UPDATE synced_communities SET resource_id = NULL, widget_instance_id = NULL WHERE "
        "community_uuid = $1 AND remote_app_def_id = $2",
        community, app));
    return Ok();
  }
  return DeleteRecord(c, community, app);
}

Result<json> RemoteApplication::Transfer(Connection& c, const std::string& app,
                                         const lifecycle::LifecycleEvent& e) {
  const auto& t = definition_.resources;
  const std::string& id = e.widget->remote_resource_id.value_or("");
  CONCORD_ASSIGN_OR_RETURN(auto found, FindResourceById(c, app, id));
  if (!found || found->community_uuid.empty()) {
    return NotFound(fmt::format("{} has no community resource {}", app, id.substr(0, 60)));
  }
  CONCORD_ASSIGN_OR_RETURN(auto current, Find(c, e.community.uuid, app));
  // Delivered twice. (The same resource under another widget instance is an orphan assigned
  // back to its own community: the record follows the new widget, below.)
  if (current && current->resource_id && *current->resource_id == id &&
      current->widget_instance_id == e.widget->instance_id) {
    return json{{"applied", false}, {"resourceId", id}};
  }
  CONCORD_RETURN_IF_ERROR(
      c.Execute("UPDATE " + t.table + " SET community_uuid = $1, trashed_at = NULL WHERE id = $2",
                e.community.uuid, id));
  // The old community's record, if it still names this resource, is forgotten; the new one's
  // is written from the event, bound to the resource.
  CONCORD_ASSIGN_OR_RETURN(auto old, FindByResource(c, app, id));
  if (old && old->community != e.community.uuid) {
    CONCORD_RETURN_IF_ERROR(ForgetResource(c, old->community, app));
  }
  CONCORD_RETURN_IF_ERROR(
      WriteState(c, app, e, e.widget->instance_id, id, current ? Held::kRecord : Held::kNoRecord));
  return json{{"applied", true}, {"resourceId", id}};
}

void RemoteApplication::Mount(http::Server& server) {
  MountExport(server);
  MountResourceAdmin(server);
  MountAppliedEvents(server);
  MountLifecycleBatch(server);
  server.Post(definition_.base_path + "/lifecycle/([^/]+)", http::Access::kAdministrator,
              [this](const http::Request& r) -> Result<http::Response> {
                CONCORD_ASSIGN_OR_RETURN(json parsed, http::ParseJson(r.body));
                CONCORD_ASSIGN_OR_RETURN(auto event, lifecycle::EventFromJson(parsed));
                CONCORD_ASSIGN_OR_RETURN(json reply, Apply(r.path_params[0], event));
                return http::Response::Json(200, reply);
              });
  server.Get(
      definition_.base_path + "/synced/([^/]+)/([^/]+)", http::Access::kAdministrator,
      [this](const http::Request& r) -> Result<http::Response> {
        auto lease = database_->Acquire();
        if (!lease) return std::unexpected(lease.error());
        CONCORD_ASSIGN_OR_RETURN(auto record,
                                 Find(**lease, CommunityUuid(r.path_params[1]), r.path_params[0]));
        if (!record) {
          return NotFound(fmt::format("{} has no record of community {}",
                                      r.path_params[0].substr(0, 40),
                                      r.path_params[1].substr(0, 40)));
        }
        json j = SyncedJson(*record);
        json owners = json::array(), members = json::array();
        CONCORD_ASSIGN_OR_RETURN(
            db::Rows rows,
            (*lease)->Query("SELECT user_id, role FROM synced_members WHERE community_uuid = $1 "
                            "AND remote_app_def_id = $2 ORDER BY user_id",
                            record->community, record->remote_app_def_id));
        while (true) {
          CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
          if (!has) break;
          bool owner = static_cast<SyncedRole>(rows.Int(1)) == SyncedRole::kOwner;
          (owner ? owners : members).push_back(rows.Text(0));
        }
        j["owners"] = owners;
        j["members"] = members;
        return http::Response::Json(200, j);
      });
}

}  // namespace concord::remoteapp
