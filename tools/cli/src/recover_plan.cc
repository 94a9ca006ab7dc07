// `concord recover`'s plan: every step of a run, in the reference's order
// (docs/recovery-runbook.md), each a console command or one of the few API calls behind them.
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

std::vector<Step> Steps(const Run& run) {
  std::vector<Step> steps;
  steps.push_back(
      {"maintenance-on", "Maintenance mode on (only this machine and the allow-list get in)",
       [](Run& r) -> Status {
         // Through the server: it enforces it before answering, and tells every
         // process of the deployment (a process not told fails the step).
         CONCORD_ASSIGN_OR_RETURN(
             auto st,
             r.session->client().Put(
                 "/api/admin/maintenance",
                 {{"enabled", true}, {"reason", "recovering after a restore (concord recover)"}}));
         r.Note(st.value("description", std::string("maintenance: on")));
         std::vector<std::string> untold;
         for (const auto& p : st.value("processes", json::array())) {
           if (!p.value("told", false)) {
             untold.push_back(fmt::format("{} ({}): {}", p.value("url", "?"),
                                          p.value("services", ""), p.value("error", "")));
           }
         }
         if (!untold.empty()) {
           return Unavailable(
               fmt::format("maintenance mode could not be turned on everywhere; still letting "
                           "users in: {}",
                           fmt::join(untold, "; ")));
         }
         // Requests let in just before finish first: nothing is looked at before
         // they are done.
         std::this_thread::sleep_for(std::chrono::milliseconds(kMaintenanceSettleMillis));
         return Ok();
       }});
  steps.push_back({"pause-retry-task", "Pause LifecycleRetryQueuedEvents", [](Run& r) -> Status {
                     return Discard(r.Command("CommunitiesScheduler", "pauseSchedulingTask",
                                              {std::string(kRetryTask)}));
                   }});
  steps.push_back(
      {"set-aside-queue",
       run.communities_restored
           ? "Set every queued event aside (to a file), then clear exactly those (the "
             "reference's clearQueuedEventsByResourceType, by the ids set aside)"
           : "Set the affected applications' queued events aside (to a file), then clear exactly "
             "those (the reference's clearQueuedEventsByRemoteAppDefId, by the ids set aside)",
       [](Run& r) -> Status {
         // An earlier attempt that wrote its file may not have cleared it: what it wrote is
         // cleared now, and what was queued since stays queued, for the next listing.
         if (JsonFields("recover-state.json", r.state).Has("setAsideFile")) {
           CONCORD_ASSIGN_OR_RETURN(
               std::string name, JsonFields("recover-state.json", r.state).String("setAsideFile"));
           CONCORD_RETURN_IF_ERROR(ClearSetAside(r, r.out / name));
           r.state.erase("setAsideFile");
           CONCORD_RETURN_IF_ERROR(r.SaveState());
         }
         r.state.erase("setAsideFile");  // a null one
         json events = json::array();
         std::vector<std::string> filters;
         if (r.communities_restored) {
           filters.push_back("");
         } else {
           filters = r.apps;
         }
         for (const auto& app : filters) {
           CONCORD_ASSIGN_OR_RETURN(auto queued, r.Api().QueuedEvents(app));
           for (auto& e : queued) events.push_back(std::move(e));
         }
         // Never overwrite what an earlier attempt set aside.
         fs::path file = r.out / "set-aside-events.json";
         for (int n = 2; fs::exists(file); ++n) {
           file = r.out / fmt::format("set-aside-events-{}.json", n);
         }
         // On disk for good (file and directory synced) before anything is cleared, and named
         // in the state: a run killed after this clears exactly this file's events.
         CONCORD_RETURN_IF_ERROR(WriteFileDurably(
             file,
             json{{"setAside", FormatTimestamp(NowMillis())}, {"events", events}}.dump(2) + "\n",
             0600));
         r.state["setAsideFile"] = file.filename().string();
         CONCORD_RETURN_IF_ERROR(r.SaveState());
         r.Note(fmt::format("{} queued events written to {} (they stay in the event log)",
                            events.size(), file.string()));
         r.TestHook("set-aside-written");
         CONCORD_RETURN_IF_ERROR(ClearSetAside(r, file));
         r.state.erase("setAsideFile");
         return Ok();
       }});
  if (run.communities_restored) {
    steps.push_back(
        // Not "advance-sequence", the id of the step before it also advanced versions: a run
        // begun by an older concord and resumed by this one advances the versions too (the
        // step is idempotent), rather than skipping it and resyncing too little.
        {"advance-sequence-and-versions",
         "Advance Communities' event sequence past every application's last applied event, and "
         "its community versions past every version an application holds",
         [](Run& r) -> Status {
           int64_t highest = 0, version = 0;
           for (const auto& app : r.apps) {
             CONCORD_ASSIGN_OR_RETURN(int64_t applied, r.Api().LastAppliedSeq(app));
             highest = std::max(highest, applied);
             CONCORD_ASSIGN_OR_RETURN(int64_t held, r.Api().HighestCommunityVersion(app));
             version = std::max(version, held);
           }
           CONCORD_ASSIGN_OR_RETURN(auto advanced, r.Api().AdvanceEventSequence(highest, version));
           r.Note(fmt::format(
               "the next lifecycle event gets a seq above {}, and a community's next change a "
               "version above {}",
               advanced.assigned, advanced.version_floor));
           return Ok();
         }});
  } else {
    steps.push_back({"replay", "Replay the events each restored application missed (replayEvents)",
                     [](Run& r) -> Status {
                       // Replay is idempotent; an application done is not replayed again.
                       for (const auto& app : r.apps) {
                         if (r.Done("replay", app)) continue;
                         CONCORD_ASSIGN_OR_RETURN(auto after, ReplayStart(r, app));
                         admin::Args args = {app};
                         if (after) args.push_back(*after);
                         CONCORD_ASSIGN_OR_RETURN(auto v, r.Command("CommunitiesRemoteAppService",
                                                                    "replayEvents", args));
                         CONCORD_RETURN_IF_ERROR(r.MarkDone("replay", app, json::parse(v.dump())));
                       }
                       json results = json::object();
                       for (const auto& app : r.apps) {
                         if (const json* d = r.Done("replay", app)) results[app] = *d;
                       }
                       r.state["replay"] = results;
                       return Ok();
                     }});
  }
  steps.push_back({"export-and-report",
                   "Export each affected application and generate its synchronization reports",
                   [](Run& r) -> Status {
                     CONCORD_ASSIGN_OR_RETURN(auto f, ExportAndReport(r, r.out / "before"));
                     r.state["before"] = {{"differences", f.differences},
                                          {"trashed", f.trashed},
                                          {"orphans", f.orphans}};
                     return Ok();
                   }});
  steps.push_back({"resume-retry-task", "Resume LifecycleRetryQueuedEvents", [](Run& r) -> Status {
                     return Discard(r.Command("CommunitiesScheduler", "resumeSchedulingTask",
                                              {std::string(kRetryTask)}));
                   }});
  steps.push_back(
      {"resync", "Resync the communities the reports list (resyncRemoteAppsForCommunityAndWidget)",
       [](Run& r) -> Status {
         // After a restore of Communities too: the versions advanced past everything an
         // application holds, a community the report finds in step takes every later change,
         // so only those that differ need their state sent again.
         for (const auto& app : r.apps) {
           if (r.Done("resync", app)) continue;
           CONCORD_ASSIGN_OR_RETURN(auto listed, Disagreeing(r.out / "before" / "reports" /
                                                             (app + "_communityDifferences.json")));
           // One community: the console's command, as an administrator would type it. More:
           // the same resync through its API, a hundred communities a call.
           if (listed.size() == 1) {
             CONCORD_RETURN_IF_ERROR(r.Command("CommunitiesRemoteAppService",
                                               "resyncRemoteAppsForCommunityAndWidget",
                                               {listed[0], app}));
             CONCORD_RETURN_IF_ERROR(r.MarkDone("resync", app));
             continue;
           }
           // A resync is safe to repeat; the batches done are recorded so that a resumed run
           // goes on where it stopped.
           size_t from = 0;
           if (const json* b = r.Done("resync-batches", app); b && b->is_number_unsigned()) {
             from = std::min(b->get<size_t>(), listed.size());
           }
           for (size_t i = from; i < listed.size(); i += 100) {
             std::vector<std::string> batch(
                 listed.begin() + static_cast<std::ptrdiff_t>(i),
                 listed.begin() + static_cast<std::ptrdiff_t>(std::min(listed.size(), i + 100)));
             r.session->Audit("command", fmt::format("POST /communities/api/admin/resync {} {}",
                                                     app, json(batch).dump()));
             CONCORD_ASSIGN_OR_RETURN(int64_t still_queued, r.Api().Resync(app, batch, 600));
             if (still_queued > 0) {
               return Unavailable(fmt::format(
                   "{} resync events for {} are not delivered yet: is the application running?",
                   still_queued, app));
             }
             r.Note(fmt::format("{}: resynced {} of {} communities", app,
                                std::min(listed.size(), i + 100), listed.size()));
             CONCORD_RETURN_IF_ERROR(
                 r.MarkDone("resync-batches", app, std::min(listed.size(), i + 100)));
             r.TestHook("resync-batch");
           }
           CONCORD_RETURN_IF_ERROR(r.MarkDone("resync", app));
         }
         return Ok();
       }});
  // Share repair (reference section 10), for each affected application that has it.
  std::vector<const apps::Application*> sharing;
  std::vector<std::string> described;
  for (const apps::Application* a : apps::All()) {
    if (a->shares.object.empty()) continue;
    bool affected = false;
    for (const auto& w : a->widgets) {
      affected =
          affected || std::find(run.apps.begin(), run.apps.end(), w.def_id) != run.apps.end();
    }
    if (!affected) continue;
    sharing.push_back(a);
    described.push_back(fmt::format("{}.{}", a->shares.object, a->shares.method));
    if (!a->shares.content_check.empty()) {
      described.push_back(fmt::format("{}.{}", a->shares.object, a->shares.content_check));
    }
  }
  if (!sharing.empty()) {
    steps.push_back(
        {"shares", fmt::format("Repair community shares ({})", fmt::join(described, ", ")),
         [sharing](Run& r) -> Status {
           for (const apps::Application* a : sharing) {
             std::string object(a->shares.object);
             CONCORD_RETURN_IF_ERROR(r.Command(object, std::string(a->shares.method), {}));
             if (a->shares.content_check.empty()) continue;
             // Content without a record is moved aside, into this run's folder.
             fs::path extra = r.out / ("extra-" + std::string(a->service));
             std::error_code ec;
             fs::create_directories(extra, ec);
             CONCORD_RETURN_IF_ERROR(
                 r.Command(object, std::string(a->shares.content_check), {extra.string()}));
           }
           return Ok();
         }});
  }
  steps.push_back(
      {"orphans",
       run.orphans == "report"       ? "Orphans: report only (--orphans report)"
       : run.orphans == "reassign"   ? "Orphans: assign each back to its community where only the "
                                       "widget is missing (assignRemoteApp)"
       : run.orphans == "quarantine" ? "Orphans: move each into a new restricted quarantine "
                                       "community owned by the administrator (assignRemoteApp)"
                                     : "Orphans: delete each into its application's trash",
       [](Run& r) -> Status {
         // Each orphan handled is recorded (recover-state.json, synced) before the next one, and
         // each action first looks whether an earlier, killed run already did it: a resumed run
         // handles every orphan exactly once.
         int64_t handled = 0, left = 0;
         for (const auto& app : r.apps) {
           // The whole report is checked before the first orphan is handled.
           CONCORD_ASSIGN_OR_RETURN(auto orphans,
                                    ReadOrphans(r.out / "before" / "reports" /
                                                (app + "_orphanedRemoteApplications.json")));
           std::vector<std::string> to_delete;
           for (const auto& o : orphans) {
             const std::string& id = o.id;
             const std::string& old = o.old_community;
             const std::string& reason = o.reason;
             std::string item = app + " " + id;
             if (r.Done("orphans", item)) {
               ++handled;
               continue;
             }
             if (r.orphans == "reassign" && reason == "widgetMissing") {
               CONCORD_RETURN_IF_ERROR(AssignOnce(r, app, id, old, old));
               r.TestHook("orphan-handled");
               CONCORD_RETURN_IF_ERROR(r.MarkDone("orphans", item, {{"assignedTo", old}}));
               ++handled;
             } else if (r.orphans == "quarantine") {
               CONCORD_ASSIGN_OR_RETURN(std::string uuid,
                                        QuarantineCommunity(r, app, id, old, reason));
               r.TestHook("quarantine-created");
               CONCORD_RETURN_IF_ERROR(AssignOnce(r, app, id, old, uuid));
               r.TestHook("orphan-handled");
               CONCORD_RETURN_IF_ERROR(r.MarkDone("orphans", item, {{"assignedTo", uuid}}));
               ++handled;
             } else if (r.orphans == "delete") {
               to_delete.push_back(id);
             } else {
               ++left;
               r.Note(fmt::format("{} orphan {} (community {}, {}): left as it is", app, id, old,
                                  reason));
             }
           }
           if (!to_delete.empty()) {
             r.session->Audit("command",
                              fmt::format("delete {} resources {}", app, json(to_delete).dump()));
             CONCORD_ASSIGN_OR_RETURN(admin::Deletion d, r.Api().DeleteResources(app, to_delete));
             int64_t deleted = d.deleted;
             std::set<std::string> failed;
             for (const auto& [fid, reason] : d.failed) {
               // Deleted by an earlier run that was killed before it recorded it: done.
               auto res = r.Api().Resource(app, fid);
               if (res && *res && (*res)->trashed) {
                 ++deleted;
                 continue;
               }
               failed.insert(fid);
               ++left;
               r.Note(fmt::format("{} orphan {} not deleted: {}", app, fid, reason));
             }
             r.TestHook("orphan-handled");
             for (const auto& id : to_delete) {
               if (!failed.contains(id)) {
                 CONCORD_RETURN_IF_ERROR(
                     r.MarkDone("orphans", app + " " + id, {{"deleted", true}}));
               }
             }
             handled += deleted;
             r.Note(fmt::format("{} {} orphans moved to the application's trash", app, deleted));
           }
         }
         r.state["orphansHandled"] = handled;
         r.state["orphansLeft"] = left;
         return Ok();
       }});
  steps.push_back({"verify", "Verify: a fresh export and report of every affected application",
                   [](Run& r) -> Status {
                     fs::path dir = r.out / "verification";
                     std::error_code ec;
                     fs::remove_all(dir, ec);
                     CONCORD_ASSIGN_OR_RETURN(auto f, ExportAndReport(r, dir));
                     r.state["verification"] = {{"differences", f.differences},
                                                {"trashed", f.trashed},
                                                {"orphans", f.orphans},
                                                {"reports", (dir / "reports").string()}};
                     return Ok();
                   }});
  steps.push_back(
      {"maintenance-off", "Maintenance mode off, if the verification found nothing left",
       [](Run& r) -> Status {
         const json& v = r.state["verification"];
         if (v["differences"].get<int64_t>() > 0 || v["orphans"].get<int64_t>() > 0) {
           r.Note(fmt::format(
               "maintenance mode stays ON: {} communities still differ and {} orphans remain "
               "(see {}). Handle them, then run this command again, or turn maintenance off "
               "with `concord maintenance off`.",
               v["differences"].get<int64_t>(), v["orphans"].get<int64_t>(),
               v["reports"].get<std::string>()));
           return Ok();
         }
         CONCORD_ASSIGN_OR_RETURN(
             auto st, r.session->client().Put("/api/admin/maintenance", {{"enabled", false}}));
         for (const auto& p : st.value("processes", json::array())) {
           if (!p.value("told", false)) {
             r.Note(fmt::format("{} ({}) was not told maintenance mode is off: {}",
                                p.value("url", "?"), p.value("services", ""),
                                p.value("error", "")));
           }
         }
         r.Note("maintenance mode off: the deployment agrees with itself again");
         return Ok();
       }});
  return steps;
}

}  // namespace concord::cli::recover
