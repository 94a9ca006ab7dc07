// `concord recover`: the reference's recovery procedure as one command (docs/recovery-runbook.md).
//
// Every step is a console command (tools/admin_console's table) or one of the few API calls
// behind them, run in the reference's order, so that the runbook and an administrator typing the
// seed text's lines do the same thing. The state of a run lives in its --out directory
// (recover-state.json): a run interrupted at any point is resumed by running the same command
// again, and every action is appended to audit.log there.
#include "recover_cmd.h"

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
#include "services.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kRetryTask = "LifecycleRetryQueuedEvents";
// How long after maintenance mode is turned on the runbook waits before it looks at anything:
// the server's Gate re-reads maintenance.json at most every 500 ms, and a user's request it let
// in just before must have committed (and its event been queued) by then.
constexpr Millis kMaintenanceSettleMillis = 1000;
const std::vector<std::string> kOrphanModes = {"report", "reassign", "quarantine", "delete"};

struct Flags {
  std::string data_dir = "./data";
  std::vector<std::string> restored;
  bool dry_run = false;
  std::string orphans = "report";
  std::string out;
  std::string locale = "en";
};

// The console's Session for the runbook: output goes to the terminal and to the audit log.
class RunbookSession : public admin::Session {
 public:
  RunbookSession(http::Client client, std::ofstream* audit)
      : client_(std::move(client)), audit_(audit) {}
  http::Client& client() override { return client_; }
  void Print(const std::string& text) override {
    std::cout << "    " << text << std::flush;
    Audit("output", text);
  }
  void Audit(std::string_view kind, std::string_view text) {
    if (!audit_ || !*audit_) return;
    std::string t(text);
    while (!t.empty() && t.back() == '\n') t.pop_back();
    *audit_ << json{{"time", FormatTimestamp(NowMillis())}, {"kind", kind}, {"text", t}}.dump()
            << "\n"
            << std::flush;
  }

 private:
  http::Client client_;
  std::ofstream* audit_;
};

struct Run {
  deployment::DataDir dir;
  fs::path out;
  std::vector<std::string> restored;  // services, as given
  bool communities_restored = false;
  std::vector<std::string> apps;  // the affected remoteAppDefIds
  std::string orphans;
  std::string locale;
  json state;
  std::unique_ptr<RunbookSession> session;

  // Durably: a run killed at any instant resumes from the last state saved, never from a torn
  // or lost one.
  Status SaveState() const {
    return WriteFileDurably(out / "recover-state.json", state.dump(2) + "\n", 0600);
  }

  // What a step has done item by item (an orphan, a batch, an application), in
  // recover-state.json's "done", so that a resumed step does each item once.
  const json* Done(const std::string& step, const std::string& item) const {
    auto d = state.find("done");
    if (d == state.end() || !d->contains(step) || !(*d)[step].contains(item)) return nullptr;
    return &(*d)[step][item];
  }
  // Records an item done and saves the state before the step goes on to the next one.
  Status MarkDone(const std::string& step, const std::string& item, json detail = true) {
    state["done"][step][item] = std::move(detail);
    return SaveState();
  }

  // For tests: CONCORD_RECOVER_TEST_HOOK=kill@POINT#N SIGKILLs this process the Nth time it
  // reaches POINT (a real crash, nothing saved after); wait@POINT#N creates <out>/hook-POINT and
  // waits until it is removed (at most 120 s). Without the variable, nothing.
  void TestHook(std::string_view point) {
    const char* env = std::getenv("CONCORD_RECOVER_TEST_HOOK");
    if (!env) return;
    std::string spec(env);
    auto at = spec.find('@');
    if (at == std::string::npos) return;
    std::string action = spec.substr(0, at), where = spec.substr(at + 1);
    int nth = 1;
    if (auto hash = where.find('#'); hash != std::string::npos) {
      nth = std::atoi(where.substr(hash + 1).c_str());
      where = where.substr(0, hash);
    }
    if (where != point || ++hook_hits_[where] != nth) return;
    if (action == "kill") ::kill(::getpid(), SIGKILL);
    if (action == "wait") {
      fs::path flag = out / ("hook-" + where);
      std::ofstream(flag) << "remove this file to let concord recover go on\n";
      for (int i = 0; i < 1200 && fs::exists(flag); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  std::map<std::string, int> hook_hits_;

  // Runs a console command as a step, writing it to the audit log first.
  Result<admin::Value> Command(std::string_view service, std::string_view name,
                               const admin::Args& args) {
    std::vector<std::string> shown;
    for (const auto& a : args) shown.push_back(a.dump());
    std::string line = fmt::format("{}.{}({})", service, name, fmt::join(shown, ", "));
    std::cout << "  > " << line << "\n";
    session->Audit("command", line);
    auto r = admin::RunCommand(*session, service, name, args);
    if (!r) {
      session->Audit("error", r.error().message);
      return std::unexpected(r.error());
    }
    if (r->is_number_integer() && r->get<int64_t>() == 0 &&
        (name == "pauseSchedulingTask" || name == "resumeSchedulingTask")) {
      return Unavailable(fmt::format("{} returned 0 (failed)", line));
    }
    return r;
  }
  void Note(const std::string& text) {
    std::cout << "    " << text << "\n";
    session->Audit("note", text);
  }
};

struct Step {
  std::string id;
  std::string title;
  std::function<Status(Run&)> run;
};

template <typename T>
Status Discard(const Result<T>& r) {
  if (!r) return std::unexpected(r.error());
  return Ok();
}

std::string UiLocation(const std::string& app) {
  const apps::Widget* w = apps::FindWidget(app);
  return w ? std::string(w->ui_location) : "col2";
}

std::string ServiceOf(const std::string& app) {
  return std::string(lifecycle::FindWidgetDef(app)->application);
}

struct Findings {
  int64_t differences = 0;  // real disagreements
  int64_t trashed = 0;      // trashed communities listed with nothing else
  int64_t orphans = 0;
};

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
  CONCORD_ASSIGN_OR_RETURN(auto progress, r.session->client().Get(fmt::format(
                                              "/{}/api/admin/progress", ServiceOf(app))));
  int64_t applied = progress["lastAppliedEventSeq"].get<int64_t>();
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
  CONCORD_ASSIGN_OR_RETURN(auto widgets, r.session->client().Get(fmt::format(
                                             "/communities/api/communities/{}/widgets", target)));
  for (const auto& w : widgets["items"]) {
    if (w["widgetDefId"] == app && w.value("remoteResourceId", json()) == json(id)) {
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
    CONCORD_ASSIGN_OR_RETURN(
        auto found,
        r.session->client().Get("/communities/api/communities?name=" + http::UrlEncode(name)));
    if (!found["items"].empty()) {
      uuid = found["items"][0]["uuid"].get<std::string>();
      r.Note(fmt::format("quarantine community {} ({}) was made by an earlier run", uuid, name));
    } else {
      CONCORD_ASSIGN_OR_RETURN(
          auto c, r.session->client().Post(
                      "/communities/api/communities",
                      {{"name", name},
                       {"visibility", "private"},
                       {"description", fmt::format("Set aside by concord recover: {} resource {} "
                                                   "of community {} ({}).",
                                                   app, id, old, reason)}}));
      uuid = c["uuid"].get<std::string>();
      r.TestHook("quarantine-posted");
    }
    CONCORD_RETURN_IF_ERROR(r.MarkDone("quarantine-communities", item, uuid));
  }
  // A new community has the default widgets: the quarantined resource takes the place of that
  // application's.
  CONCORD_ASSIGN_OR_RETURN(auto widgets, r.session->client().Get(fmt::format(
                                             "/communities/api/communities/{}/widgets", uuid)));
  for (const auto& w : widgets["items"]) {
    if (w["widgetDefId"] == app && w.value("remoteResourceId", json()) != json(id)) {
      CONCORD_ASSIGN_OR_RETURN(
          auto gone,
          r.session->client().Send("DELETE",
                                   fmt::format("/communities/api/communities/{}/widgets/{}", uuid,
                                               w["instanceId"].get<std::string>()),
                                   ""));
      if (gone.status != 204) {
        return Unavailable(fmt::format("cannot prepare quarantine community {}: {}", uuid,
                                       gone.raw_body.substr(0, 200)));
      }
    }
  }
  return uuid;
}

std::vector<Step> Steps(const Run& run) {
  std::vector<Step> steps;
  steps.push_back({"maintenance-on",
                   "Maintenance mode on (only this machine and the allow-list get in)",
                   [](Run& r) -> Status {
                     CONCORD_ASSIGN_OR_RETURN(auto st, maintenance::Load(r.dir.Maintenance()));
                     if (!st.enabled) {
                       st.enabled = true;
                       st.since = NowMillis();
                       st.by = "concord recover";
                     }
                     st.reason = "recovering after a restore (concord recover)";
                     CONCORD_RETURN_IF_ERROR(maintenance::Save(r.dir.Maintenance(), st));
                     r.Note(maintenance::Describe(st));
                     // The server reads the file at most every 500 ms, and requests it let in
                     // just before finish after that: nothing is looked at before they are done.
                     Millis settled = st.since + kMaintenanceSettleMillis;
                     if (Millis now = NowMillis(); now < settled) {
                       std::this_thread::sleep_for(std::chrono::milliseconds(settled - now));
                     }
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
           std::string after;
           while (true) {
             std::string path = "/communities/api/admin/queue/events?limit=500";
             if (!app.empty()) path += "&remoteAppDefId=" + app;
             if (!after.empty()) path += "&after=" + http::UrlEncode(after);
             CONCORD_ASSIGN_OR_RETURN(auto page, r.session->client().Get(path));
             for (const auto& e : page["items"]) events.push_back(e);
             if (page["next"].is_null()) break;
             after = page["next"].get<std::string>();
           }
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
        {"advance-sequence",
         "Advance Communities' event sequence past every application's last applied event",
         [](Run& r) -> Status {
           int64_t highest = 0;
           std::set<std::string> services;
           for (const auto& app : r.apps) services.insert(ServiceOf(app));
           for (const auto& s : services) {
             CONCORD_ASSIGN_OR_RETURN(
                 auto p, r.session->client().Get(fmt::format("/{}/api/admin/progress", s)));
             highest = std::max(highest, p["lastAppliedEventSeq"].get<int64_t>());
           }
           CONCORD_ASSIGN_OR_RETURN(
               auto a, r.session->client().Post("/communities/api/admin/events/advance",
                                                {{"atLeast", highest}}));
           r.Note(fmt::format("the next lifecycle event gets a seq above {}",
                              a["assigned"].get<int64_t>()));
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
      {"resync",
       run.communities_restored
           ? "Resync every community's applications (resyncRemoteAppsForAllCommunities)"
           : "Resync the communities the reports list (resyncRemoteAppsForCommunityAndWidget)",
       [](Run& r) -> Status {
         for (const auto& app : r.apps) {
           if (r.communities_restored) {
             if (r.Done("resync", app)) continue;
             CONCORD_RETURN_IF_ERROR(r.Command("CommunitiesRemoteAppService",
                                               "resyncRemoteAppsForAllCommunities", {app}));
             CONCORD_RETURN_IF_ERROR(r.MarkDone("resync", app));
             continue;
           }
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
             CONCORD_ASSIGN_OR_RETURN(
                 auto done,
                 r.session->client().Post(
                     "/communities/api/admin/resync",
                     {{"communities", batch}, {"widgetDefId", app}, {"waitSeconds", 600}}));
             if (done["stillQueued"].get<int64_t>() > 0) {
               return Unavailable(fmt::format(
                   "{} resync events for {} are not delivered yet: is the application running?",
                   done["stillQueued"].get<int64_t>(), app));
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
             std::string path =
                 fmt::format("/{}/api/admin/resources/{}/delete", ServiceOf(app), app);
             r.session->Audit("command", fmt::format("POST {} {}", path, json(to_delete).dump()));
             CONCORD_ASSIGN_OR_RETURN(auto d, r.session->client().Post(path, {{"ids", to_delete}}));
             int64_t deleted = d["deleted"].get<int64_t>();
             std::set<std::string> failed;
             for (const auto& f : d["failed"]) {
               std::string fid = f["id"].get<std::string>();
               // Deleted by an earlier run that was killed before it recorded it: done.
               auto res = r.session->client().Get(fmt::format(
                   "/{}/api/admin/resources/{}/{}", ServiceOf(app), app, http::UrlEncode(fid)));
               if (res && res->value("trashed", false)) {
                 ++deleted;
                 continue;
               }
               failed.insert(fid);
               ++left;
               r.Note(fmt::format("{} orphan {} not deleted: {}", app, fid,
                                  f["reason"].get<std::string>()));
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
         CONCORD_RETURN_IF_ERROR(maintenance::Save(r.dir.Maintenance(), maintenance::State{}));
         r.Note("maintenance mode off: the deployment agrees with itself again");
         return Ok();
       }});
  return steps;
}

int Recover(const Flags& f) {
  Run r;
  r.dir = deployment::DataDir{fs::absolute(f.data_dir)};
  if (!fs::is_directory(r.dir.root)) {
    return Fail("recover", InvalidArgument("data-dir",
                                           fmt::format("no data directory {}", r.dir.root.string()))
                               .error());
  }
  if (std::find(kOrphanModes.begin(), kOrphanModes.end(), f.orphans) == kOrphanModes.end()) {
    return Fail(
        "recover",
        InvalidArgument("orphans", fmt::format("unknown --orphans '{}'", f.orphans), kOrphanModes)
            .error());
  }
  auto locale = recovery::ResolveLocale(f.locale);
  if (!locale) return Fail("recover", locale.error());
  r.locale = *locale;
  r.orphans = f.orphans;
  auto known = ServiceNames();
  for (const auto& store : ContentStoreNames()) known.push_back(store);
  std::set<std::string> services;
  for (const auto& list : f.restored) {
    std::stringstream in(list);
    std::string name;
    while (std::getline(in, name, ',')) {
      if (name.empty()) continue;
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        return Fail("recover",
                    InvalidArgument("restored",
                                    fmt::format("unknown service '{}'", name.substr(0, 40)), known)
                        .error());
      }
      // A content store restored means its application's records may disagree with it.
      services.insert(ContentStoreOwner(name).value_or(name));
    }
  }
  if (services.empty()) {
    return Fail(
        "recover",
        InvalidArgument("restored",
                        "name the restored services, comma-separated: --restored " + known.front(),
                        known)
            .error());
  }
  r.restored.assign(services.begin(), services.end());
  r.communities_restored = services.contains("communities");
  r.apps = r.communities_restored ? HostedRemoteApps(ServiceNames()) : HostedRemoteApps(r.restored);
  r.out = f.out.empty() ? r.dir.root / "recovery" / "latest" : fs::absolute(f.out);

  auto steps = Steps(r);
  std::cout << fmt::format(
      "Recovery of {} after a restore of {} ({}).\nAffected applications: {}\nPlan:\n",
      r.dir.root.string(), fmt::join(r.restored, ", "),
      r.communities_restored ? "Communities restored: every application is affected"
                             : "only applications restored",
      fmt::join(r.apps, ", "));
  for (size_t i = 0; i < steps.size(); ++i) {
    std::cout << fmt::format("  {:>2}. {}\n", i + 1, steps[i].title);
  }
  std::cout << fmt::format("Reports, exports, set-aside events and the audit log go to {}\n",
                           r.out.string());
  if (f.dry_run) {
    std::cout << "Dry run: nothing was done.\n";
    return 0;
  }

  // A run already in this directory is resumed, if it is the same recovery.
  std::error_code ec;
  fs::create_directories(r.out, ec);
  if (ec)
    return Fail("recover", Unavailable(fmt::format("cannot create {}", r.out.string())).error());
  if (fs::exists(r.out / "recover-state.json")) {
    auto st = LoadRecoverState(r.out / "recover-state.json");
    if (!st) return Fail("recover", st.error());
    if (st->restored != r.restored || st->orphans != r.orphans) {
      return Fail("recover",
                  FailedPrecondition(
                      fmt::format("{} holds a run for --restored {} --orphans {}; run that again "
                                  "to resume it, or give another --out",
                                  r.out.string(), fmt::join(st->restored, ","), st->orphans))
                      .error());
    }
    r.state = std::move(st->document);
    // A run that ended NOT recovered is verified again: the administrator handled what it found
    // (or a change still in flight then has arrived since), as its last note asked.
    const json& completed = r.state["completed"];
    bool ended =
        std::find(completed.begin(), completed.end(), "maintenance-off") != completed.end();
    if (ended && r.state.contains("verification") &&
        (r.state["verification"]["differences"].get<int64_t>() > 0 ||
         r.state["verification"]["orphans"].get<int64_t>() > 0)) {
      json again = json::array();
      for (const auto& id : completed) {
        if (id != "verify" && id != "maintenance-off") again.push_back(id);
      }
      r.state["completed"] = again;
      std::cout << "The last run ended NOT recovered: verifying again.\n";
    }
  } else {
    r.state = {{"restored", r.restored},
               {"orphans", r.orphans},
               {"started", FormatTimestamp(NowMillis())},
               {"completed", json::array()}};
  }
  auto settings = deployment::ResolveClientSettings(r.dir);
  if (!settings) return Fail("recover", settings.error());
  std::ofstream audit(r.out / "audit.log", std::ios::app);
  r.session =
      std::make_unique<RunbookSession>(http::Client({.url = settings->url,
                                                     .user = settings->user,
                                                     .password = settings->password,
                                                     .timeout = std::chrono::seconds(3600)}),
                                       &audit);
  r.session->Audit("start", fmt::format("concord recover --restored {} --orphans {} (by uid {})",
                                        fmt::join(r.restored, ","), r.orphans, getuid()));
  if (auto s = r.SaveState(); !s) return Fail("recover", s.error());

  for (size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    const auto& done = r.state["completed"];
    if (std::find(done.begin(), done.end(), step.id) != done.end()) {
      std::cout << fmt::format("{:>2}. {}: done in an earlier run\n", i + 1, step.title);
      continue;
    }
    std::cout << fmt::format("{:>2}. {}\n", i + 1, step.title);
    r.session->Audit("step", step.id);
    auto s = step.run(r);
    if (!s) {
      r.session->Audit("failed", step.id + ": " + s.error().message);
      (void)r.SaveState();
      std::cerr << fmt::format(
          "concord recover: step {} ({}) failed: {}\nFix the cause and run the same command "
          "again: it resumes at this step. Maintenance mode stays on.\n",
          i + 1, step.id, s.error().message);
      // A damaged file the step read (its field is named) is bad input, as a bad argument is.
      return s.error().code == ErrorCode::kInvalidArgument ? 2 : 1;
    }
    r.state["completed"].push_back(step.id);
    if (auto saved = r.SaveState(); !saved) return Fail("recover", saved.error());
  }
  const json& v = r.state["verification"];
  bool clean = v["differences"].get<int64_t>() == 0 && v["orphans"].get<int64_t>() == 0;
  r.session->Audit("end", clean ? "verified: no difference, no orphan" : "differences remain");
  std::cout << fmt::format("{}: {} communities differ, {} orphans in the final report ({}).\n",
                           clean ? "Recovered" : "NOT recovered", v["differences"].get<int64_t>(),
                           v["orphans"].get<int64_t>(), v["reports"].get<std::string>());
  if (clean) {
    // The next run starts afresh: this one is kept under its start time.
    std::string stamp = r.state.value("started", "run");
    std::replace(stamp.begin(), stamp.end(), ':', '-');
    if (f.out.empty()) {
      fs::rename(r.out, r.out.parent_path() / stamp, ec);
      if (!ec) std::cout << "This run's files: " << (r.out.parent_path() / stamp).string() << "\n";
    }
  }
  return static_cast<int>(clean ? Exit::kOk : Exit::kFailed);
}

}  // namespace

std::function<int()> AddRecoverCommand(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "recover", "Run the recovery procedure after a restore, end to end, and verify it");
  cmd->add_option("--data-dir", flags->data_dir, "The deployment's data directory")
      ->capture_default_str();
  auto restorable_names = ServiceNames();
  for (const auto& store : ContentStoreNames()) restorable_names.push_back(store);
  std::string restorable = fmt::format("{}", fmt::join(restorable_names, ", "));
  cmd->add_option("--restored", flags->restored,
                  "The restored services, comma-separated (" + restorable + ")")
      ->required();
  cmd->add_flag("--dry-run", flags->dry_run, "Print the plan and stop");
  cmd->add_option("--orphans", flags->orphans, "report, reassign, quarantine or delete")
      ->capture_default_str();
  cmd->add_option("--out", flags->out,
                  "Where exports, reports, set-aside events, state and audit log go (default "
                  "<data-dir>/recovery/latest)");
  cmd->add_option("--locale", flags->locale, "The reports' language: en, de or fr")
      ->capture_default_str();
  return [cmd, flags]() -> int { return cmd->parsed() ? Recover(*flags) : -1; };
}

}  // namespace concord::cli
