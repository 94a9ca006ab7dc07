// Repairs started from a synchronization report (docs/http-api.md, "Synchronization reports"):
// the communities it found different resynced, its orphans moved to the application's trash or
// assigned back to their community. Each is checked against the present state first (a report
// is a picture of the past), can be asked for as a dry run, and is recorded in the report's
// actions.jsonl, which the report's page shows.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <map>
#include <set>

#include "concord/apps/registry.h"
#include "concord/base/clock.h"
#include "concord/http/client.h"
#include "concord/http/json_body.h"
#include "concord/lifecycle/widgets.h"
#include "reports_api.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kLookupBatch = 500;  // communities looked up, and resynced, per call
constexpr size_t kMaxOrphanIds = 1000;
constexpr size_t kShownActions = 50;

// The findings (`key`) of one of a report's JSON files; kFailedPrecondition if it has none.
Result<json> ReadFindings(const fs::path& file, const char* key) {
  std::ifstream in(file);
  if (!in) return FailedPrecondition("this report has no " + file.filename().string());
  json all = json::parse(in, nullptr, false);
  if (!all.is_object() || !all.contains(key) || !all[key].is_array()) {
    return FailedPrecondition(file.filename().string() + " is damaged: no " + key + " list");
  }
  return all[key];
}

std::string Text(const json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : "";
}

// `dryRun`: true or false, or absent; null is refused (a script meaning "unset" must not get a
// real run).
Result<std::optional<bool>> DryRun(http::JsonBody& body) {
  if (body.IsNull("dryRun")) {
    return InvalidArgument("dryRun", "dryRun must be true or false, not null", {"true", "false"});
  }
  return body.OptBool("dryRun");
}

int64_t Count(const json& o, const char* key) {
  return o.is_object() && o.contains(key) && o[key].is_number_integer() ? o[key].get<int64_t>() : 0;
}

}  // namespace

struct SyncReports::Repair {
  SyncReports& reports;
  std::string id;
  std::string app;
  std::string service;
  http::Client self;
  http::Client remote;

  // uuid -> the resource id its `app` widget is bound to ("" when bound to none), for the
  // communities among `uuids` that exist and have the widget.
  Result<std::map<std::string, std::string>> Widgets(const std::vector<std::string>& uuids) {
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < uuids.size(); i += kLookupBatch) {
      std::vector<std::string> batch(
          uuids.begin() + static_cast<std::ptrdiff_t>(i),
          uuids.begin() + static_cast<std::ptrdiff_t>(std::min(uuids.size(), i + kLookupBatch)));
      CONCORD_ASSIGN_OR_RETURN(
          json found,
          self.Post(fmt::format("/communities/api/admin/sync/{}/lookup", app), {{"uuids", batch}}));
      for (const auto& c : found.value("items", json::array())) {
        const json& w = c.contains("widget") ? c["widget"] : json();
        if (w.is_object()) out[Text(c, "uuid")] = Text(w, "resourceId");
      }
    }
    return out;
  }

  Result<json> Resync(bool dry_run) {
    CONCORD_ASSIGN_OR_RETURN(
        json differences,
        ReadFindings(reports.options_.dir / id / (app + "_communityDifferences.json"),
                     "differences"));
    std::vector<std::string> uuids;
    std::set<std::string> seen;
    for (const auto& d : differences) {
      std::string uuid = Text(d, "communityUuid");
      if (!uuid.empty() && seen.insert(uuid).second) uuids.push_back(uuid);
    }
    CONCORD_ASSIGN_OR_RETURN(auto widgets, Widgets(uuids));
    std::vector<std::string> todo;
    json gone = json::array();  // deleted since, or without the widget now
    for (const auto& u : uuids) {
      if (widgets.contains(u)) {
        todo.push_back(u);
      } else {
        gone.push_back(u);
      }
    }
    json out = {{"dryRun", dry_run},
                {"communities", todo.size()},
                {"skipped", gone},
                {"events", 0},
                {"stillQueued", 0}};
    if (dry_run) {
      out["items"] = todo;
      return out;
    }
    // A batch that fails ends the repair: what the batches before it did is answered, and
    // recorded, with the error (`resynced` of `communities`).
    int64_t events = 0, still_queued = 0;
    size_t resynced = 0;
    for (size_t i = 0; i < todo.size(); i += kLookupBatch) {
      std::vector<std::string> batch(
          todo.begin() + static_cast<std::ptrdiff_t>(i),
          todo.begin() + static_cast<std::ptrdiff_t>(std::min(todo.size(), i + kLookupBatch)));
      auto done = self.Post("/communities/api/admin/resync",
                            {{"communities", batch}, {"widgetDefId", app}, {"waitSeconds", 120}});
      if (!done) {
        out["error"] = done.error().message;
        break;
      }
      events += Count(*done, "events");
      still_queued += Count(*done, "stillQueued");
      resynced += batch.size();
    }
    out["resynced"] = resynced;
    out["events"] = events;
    out["stillQueued"] = still_queued;
    return out;
  }

  Result<json> Orphans(const std::vector<std::string>& ids, const std::string& action,
                       bool dry_run) {
    if (action != "delete" && action != "reassign") {
      return InvalidArgument("action", "action must be delete or reassign", {"delete", "reassign"});
    }
    std::set<std::string> distinct(ids.begin(), ids.end());
    if (distinct.size() != ids.size()) {
      return InvalidArgument("ids", "ids lists an orphan more than once");
    }
    if (ids.empty() || ids.size() > kMaxOrphanIds) {
      return InvalidArgument("ids",
                             fmt::format("ids: 1 to {} orphans of this report", kMaxOrphanIds));
    }
    CONCORD_ASSIGN_OR_RETURN(
        json listed,
        ReadFindings(reports.options_.dir / id / (app + "_orphanedRemoteApplications.json"),
                     "orphans"));
    std::map<std::string, json> orphans;
    for (const auto& o : listed) orphans[Text(o, "objectIdentifyingId")] = o;
    // Every id is checked before anything changes.
    for (const auto& oid : ids) {
      auto it = orphans.find(oid);
      if (it == orphans.end()) {
        return InvalidArgument(
            "ids", fmt::format("'{}' is not an orphan of this report", oid.substr(0, 80)));
      }
      if (action == "reassign" && Text(it->second, "reason") != "widgetMissing") {
        return InvalidArgument(
            "ids",
            fmt::format("orphan {} cannot be assigned back: its community {} ({}); delete "
                        "it, or assign it to another community with assignRemoteApp",
                        oid, Text(it->second, "oldCommunityUuid"), Text(it->second, "reason")));
      }
    }
    // Still orphans now? The application still has each, outside its trash, and no community's
    // widget has claimed it since the report.
    json refused = json::array();
    std::vector<std::string> ready;
    std::map<std::string, std::string> community_of;
    for (const auto& oid : ids) {
      auto res = remote.Get(
          fmt::format("/{}/api/admin/resources/{}/{}", service, app, http::UrlEncode(oid)));
      if (!res) {
        if (res.error().code != ErrorCode::kNotFound) return std::unexpected(res.error());
        refused.push_back({{"id", oid}, {"reason", "the application no longer has it"}});
        continue;
      }
      if (res->is_object() && res->contains("trashed") && (*res)["trashed"] == true) {
        refused.push_back({{"id", oid}, {"reason", "in the application's trash already"}});
        continue;
      }
      community_of[oid] = Text(*res, "communityUuid");
      ready.push_back(oid);
    }
    std::vector<std::string> communities;
    communities.reserve(community_of.size());
    for (const auto& [oid, uuid] : community_of) communities.push_back(uuid);
    CONCORD_ASSIGN_OR_RETURN(auto widgets, Widgets(communities));
    std::vector<std::string> todo;
    for (const auto& oid : ready) {
      auto w = widgets.find(community_of[oid]);
      if (w != widgets.end() && w->second == oid) {
        refused.push_back(
            {{"id", oid},
             {"reason", fmt::format("community {} has claimed it since the report", w->first)}});
      } else if (action == "reassign" &&
                 community_of[oid] != Text(orphans[oid], "oldCommunityUuid")) {
        refused.push_back(
            {{"id", oid},
             {"reason", fmt::format("it belongs to community {} since the report, not {}",
                                    community_of[oid], Text(orphans[oid], "oldCommunityUuid"))}});
      } else if (action == "reassign" && w != widgets.end()) {
        refused.push_back(
            {{"id", oid},
             {"reason", fmt::format("community {} has the widget again, bound to another resource",
                                    w->first)}});
      } else {
        todo.push_back(oid);
      }
    }
    json out = {{"dryRun", dry_run}, {"action", action}, {"items", todo}, {"refused", refused}};
    if (dry_run || todo.empty()) return out;
    if (action == "delete") {
      auto d = remote.Post(fmt::format("/{}/api/admin/resources/{}/delete", service, app),
                           {{"ids", todo}});
      if (d) {
        if (d->is_object() && d->contains("failed") && (*d)["failed"].is_array()) {
          for (const auto& f : (*d)["failed"]) refused.push_back(f);
        }
        out["deleted"] = Count(*d, "deleted");
      } else {
        // Cut short (a timeout): what happened is asked for, one by one.
        out["error"] = d.error().message;
        int64_t trashed = 0;
        for (const auto& oid : todo) {
          auto now = remote.Get(
              fmt::format("/{}/api/admin/resources/{}/{}", service, app, http::UrlEncode(oid)));
          if (now && now->is_object() && now->contains("trashed") && (*now)["trashed"] == true) {
            ++trashed;
          }
        }
        out["deleted"] = trashed;
      }
    } else {
      const apps::Widget* widget = apps::FindWidget(app);
      std::string location = widget ? std::string(widget->ui_location) : "col2";
      int64_t assigned = 0;
      for (const auto& oid : todo) {
        const std::string old = Text(orphans[oid], "oldCommunityUuid");
        auto a = self.Post("/communities/api/admin/assign", {{"remoteAppDefId", app},
                                                             {"objectIdentifyingId", oid},
                                                             {"oldCommunityUuid", old},
                                                             {"newCommunityUuid", old},
                                                             {"uiLocation", location}});
        if (a) {
          ++assigned;
        } else {
          refused.push_back({{"id", oid}, {"reason", a.error().message}});
          if (a.error().code == ErrorCode::kUnavailable) {  // not another resource's fault
            out["error"] = a.error().message;
            break;
          }
        }
      }
      out["reassigned"] = assigned;
    }
    out["refused"] = refused;
    return out;
  }
};

Result<json> SyncReports::Repairs(const std::string& id) const {
  json actions = json::array();
  std::ifstream in(options_.dir / id / "actions.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    json a = json::parse(line, nullptr, false);
    if (a.is_object()) actions.push_back(std::move(a));
  }
  if (actions.size() > kShownActions) {
    actions.erase(actions.begin(), actions.end() - static_cast<std::ptrdiff_t>(kShownActions));
  }
  return actions;
}

void SyncReports::MountRepairs(http::Server& server) {
  const std::string base = "/communities/api/admin/sync-reports/([^/]+)";
  auto start = [this](const http::Request& r) -> Result<Repair> {
    CONCORD_ASSIGN_OR_RETURN(json report, Read(r.path_params[0]));
    if (report.value("state", "done") != "done") {
      return FailedPrecondition(fmt::format("report {} is {}: only a finished one can be acted on",
                                            r.path_params[0], report.value("state", "")));
    }
    std::string app = report.value("remoteAppDefId", "");
    const auto* def = lifecycle::FindWidgetDef(app);
    if (!def || !def->remote) return FailedPrecondition("the report names no remote application");
    std::string service(def->application);
    std::string url = options_.service_url(service);
    if (url.empty()) {
      return Unavailable(fmt::format("where the {} service runs is not known here", service));
    }
    auto [user, password] = options_.credentials();
    auto timeout = std::chrono::seconds(600);
    return Repair{
        .reports = *this,
        .id = r.path_params[0],
        .app = app,
        .service = service,
        .self = http::Client(
            {.url = options_.self_url(), .user = user, .password = password, .timeout = timeout}),
        .remote =
            http::Client({.url = url, .user = user, .password = password, .timeout = timeout}),
    };
  };
  // One repair at a time per report's application, as its reports are made one at a time.
  auto guarded = [this](const std::string& app, auto&& body) -> Result<json> {
    {
      std::lock_guard lock(mu_);
      if (!running_.insert(app).second) {
        return FailedPrecondition(fmt::format("a report or repair of {} is under way", app));
      }
    }
    std::unique_ptr<void, std::function<void(void*)>> release(this, [this, app](void*) {
      std::lock_guard lock(mu_);
      running_.erase(app);
    });
    return body();
  };
  // Called while the application's repair is held: one line, written at once.
  auto record = [this](const Repair& repair, const http::Request& r, const json& done) {
    json line = done;
    line["at"] = FormatTimestamp(NowMillis());
    line["by"] = r.principal.login;
    spdlog::info("synchronization report {}: {} by {}: {}", repair.id, line.value("action", ""),
                 r.principal.login, done.dump(-1, ' ', false, json::error_handler_t::replace));
    std::ofstream out(options_.dir / repair.id / "actions.jsonl", std::ios::app);
    out << line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n" << std::flush;
  };
  server.Post(base + "/resync", http::Access::kAdministrator,
              [=](const http::Request& r) -> Result<http::Response> {
                CONCORD_RETURN_IF_ERROR(http::CheckQuery(r, {}));
                CONCORD_ASSIGN_OR_RETURN(auto body, http::JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(auto dry_run, DryRun(body));
                CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
                CONCORD_ASSIGN_OR_RETURN(Repair repair, start(r));
                CONCORD_ASSIGN_OR_RETURN(json done, guarded(repair.app, [&]() -> Result<json> {
                                           CONCORD_ASSIGN_OR_RETURN(
                                               json out, repair.Resync(dry_run.value_or(false)));
                                           if (!dry_run.value_or(false)) {
                                             json line = out;
                                             line["action"] = "resync";
                                             record(repair, r, line);
                                           }
                                           return out;
                                         }));
                return http::Response::Json(200, done);
              });
  server.Post(base + "/orphans", http::Access::kAdministrator,
              [=](const http::Request& r) -> Result<http::Response> {
                CONCORD_RETURN_IF_ERROR(http::CheckQuery(r, {}));
                CONCORD_ASSIGN_OR_RETURN(auto body, http::JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(auto ids, body.OptStringList("ids"));
                CONCORD_ASSIGN_OR_RETURN(auto action, body.RequiredString("action"));
                CONCORD_ASSIGN_OR_RETURN(auto dry_run, DryRun(body));
                CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
                CONCORD_ASSIGN_OR_RETURN(Repair repair, start(r));
                CONCORD_ASSIGN_OR_RETURN(
                    json done, guarded(repair.app, [&]() -> Result<json> {
                      CONCORD_ASSIGN_OR_RETURN(
                          json out, repair.Orphans(ids.value_or(std::vector<std::string>{}), action,
                                                   dry_run.value_or(false)));
                      if (!dry_run.value_or(false) && !out["items"].empty()) {
                        record(repair, r, out);
                      }
                      return out;
                    }));
                return http::Response::Json(200, done);
              });
}

}  // namespace concord::cli
