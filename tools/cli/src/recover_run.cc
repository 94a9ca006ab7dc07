// `concord recover`'s runner: the helpers its steps share (recover_run.h).
#include "recover_run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "cli_error.h"
#include "command.h"
#include "concord/apps/registry.h"
#include "concord/base/clock.h"
#include "concord/base/json_file.h"
#include "concord/deployment/deployment.h"
#include "concord/http/client.h"
#include "concord/lifecycle/widgets.h"
#include "concord/maintenance/maintenance.h"
#include "concord/recovery/sync_report.h"
#include "recover_files.h"
#include "recover_run.h"
#include "services.h"

namespace concord::cli::recover {

std::string UiLocation(const std::string& app) {
  const apps::Widget* w = apps::FindWidget(app);
  return w ? std::string(w->ui_location) : "col2";
}

std::string ServiceOf(const std::string& app) {
  return std::string(lifecycle::FindWidgetDef(app)->application);
}

// Exports and reports every affected application into `dir`: the runbook's eyes.
Result<Findings> ExportAndReport(Run& r, const fs::path& dir) {
  Findings f;
  for (const char* sub : {"exports", "reports"}) {
    std::error_code ec;
    fs::create_directories(dir / sub, ec);
    if (ec) {
      return Unavailable(fmt::format("cannot create {}: {}", (dir / sub).string(), ec.message()));
    }
  }
  for (const auto& app : r.apps) {
    fs::path file = dir / "exports" / (app + ".xml");
    r.session->Audit("command", fmt::format("export {} to {}", app, file.string()));
    CONCORD_RETURN_IF_ERROR(admin::ExportApp(*r.session, app, file));
    auto source = recovery::HttpCommunitySource(r.session->client());
    CONCORD_ASSIGN_OR_RETURN(
        auto summary,
        recovery::GenerateSyncReports(file, dir / "reports", *source, r.locale, NowMillis()));
    int64_t trashed = 0;
    CONCORD_ASSIGN_OR_RETURN(
        auto listed, Disagreeing(dir / "reports" / (app + "_communityDifferences.json"), &trashed));
    auto real = static_cast<int64_t>(listed.size());
    f.differences += real;
    f.trashed += trashed;
    f.orphans += summary.orphans;
    r.Note(fmt::format("{}: {} resources, {} communities differ, {} in the trash, {} orphans", app,
                       summary.resources, real, trashed, summary.orphans));
  }
  return f;
}

// Clears from the queue exactly the events a set-aside file lists (by application, 500 ids a
// call): an event queued after the listing is not in the file and stays queued. Clearing an
// event twice clears nothing the second time, so this is safe to repeat.
Status ClearSetAside(Run& r, const fs::path& file) {
  CONCORD_ASSIGN_OR_RETURN(auto by_app, ReadSetAside(file));
  for (const auto& [app, ids] : by_app) {
    for (size_t i = 0; i < ids.size(); i += 500) {
      admin::Value batch = admin::Value::array();
      for (size_t k = i; k < std::min(ids.size(), i + 500); ++k) batch.push_back(ids[k]);
      CONCORD_RETURN_IF_ERROR(r.Command("CommunitiesQEventService",
                                        "clearQueuedEventsByRemoteAppDefIdAndEventIds",
                                        {app, batch}));
    }
  }
  return Ok();
}

// Where the replay of `app` starts: after the last event it applied (nullopt: the command
// asks the application), unless this run set aside one of its events older than that. A
// delivery queued for one community waits behind that community's failed one while others go
// on, so the application's last seq can be past events it never applied; set aside and cleared,
// they would never reach it. Then the replay starts just before the oldest of them: the
// application answers those it applied already as duplicates and applies the others, in order.
Result<std::optional<int64_t>> ReplayStart(Run& r, const std::string& app) {
  std::optional<int64_t> lowest;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(r.out, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with("set-aside-events") || !name.ends_with(".json")) continue;
    CONCORD_ASSIGN_OR_RETURN(JsonFields file, ReadJsonFile(entry.path()));
    CONCORD_ASSIGN_OR_RETURN(auto events, file.Objects("events"));
    for (const auto& e : events) {
      CONCORD_ASSIGN_OR_RETURN(std::string of, e.String("remoteAppDefId"));
      if (of != app) continue;
      CONCORD_ASSIGN_OR_RETURN(int64_t seq, e.Int("seq"));
      if (!lowest || seq < *lowest) lowest = seq;
    }
  }
  if (ec) return Unavailable(fmt::format("cannot list {}: {}", r.out.string(), ec.message()));
  if (!lowest) return std::optional<int64_t>{};
  CONCORD_ASSIGN_OR_RETURN(int64_t applied, r.Api().LastAppliedSeq(app));
  if (*lowest > applied) return std::optional<int64_t>{};
  r.Note(fmt::format(
      "{}: replaying from seq {} (the oldest event set aside), below its last applied seq {}", app,
      *lowest, applied));
  return std::optional(*lowest - 1);
}

// Assigns orphan `id` of `app` to community `target`, unless it already is (an earlier run that
// was killed after the assignment, before it recorded it): assignRemoteApp refuses a community
// that has the widget already.
Status AssignOnce(Run& r, const std::string& app, const std::string& id, const std::string& old,
                  const std::string& target) {
  CONCORD_ASSIGN_OR_RETURN(auto widgets, r.Api().Widgets(target));
  for (const auto& w : widgets) {
    if (w.def_id == app && w.resource_id == id) {
      r.Note(
          fmt::format("{} orphan {} is in community {} already (an earlier run)", app, id, target));
      return Ok();
    }
  }
  return Discard(r.Command("CommunitiesRemoteAppService", "assignRemoteApp",
                           {app, id, old, target, UiLocation(app)}));
}

// The quarantine community of orphan `id` of `app`: the one an earlier run made (recorded in the
// state, or, if it was killed before recording it, found by its name), or a new one. Without
// the default widget of `app`, whose place the orphan takes.
Result<std::string> QuarantineCommunity(Run& r, const std::string& app, const std::string& id,
                                        const std::string& old, const std::string& reason) {
  std::string item = app + " " + id;
  std::string name = fmt::format("Quarantine: {} {}", app, id.substr(0, 60));
  std::string uuid;
  if (const json* made = r.Done("quarantine-communities", item); made && made->is_string()) {
    uuid = made->get<std::string>();
  } else {
    CONCORD_ASSIGN_OR_RETURN(auto found, r.Api().CommunityNamed(name));
    if (found) {
      uuid = *found;
      r.Note(fmt::format("quarantine community {} ({}) was made by an earlier run", uuid, name));
    } else {
      CONCORD_ASSIGN_OR_RETURN(
          uuid, r.Api().CreateCommunity(
                    {{"name", name},
                     {"visibility", "private"},
                     {"description", fmt::format("Set aside by concord recover: {} resource {} "
                                                 "of community {} ({}).",
                                                 app, id, old, reason)}}));
      r.TestHook("quarantine-posted");
    }
    CONCORD_RETURN_IF_ERROR(r.MarkDone("quarantine-communities", item, uuid));
  }
  // A new community has the default widgets: the quarantined resource takes the place of that
  // application's.
  CONCORD_ASSIGN_OR_RETURN(auto widgets, r.Api().Widgets(uuid));
  for (const auto& w : widgets) {
    if (w.def_id == app && w.resource_id != id) {
      if (auto gone = r.Api().RemoveWidget(uuid, w.instance_id); !gone) {
        return Unavailable(
            fmt::format("cannot prepare quarantine community {}: {}", uuid, gone.error().message));
      }
    }
  }
  return uuid;
}

}  // namespace concord::cli::recover
