// `concord recover`: the reference's recovery procedure as one command (docs/recovery-runbook.md).
// This file parses the command line and drives the run; the plan (the steps) is recover_plan.cc,
// the runner's state and shared helpers recover_run.h.
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

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "admin_api.h"
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

namespace concord::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using recover::Run;
using recover::RunbookSession;
using recover::Steps;

const std::vector<std::string> kOrphanModes = {"report", "reassign", "quarantine", "delete"};

struct Flags {
  std::string data_dir = "./data";
  std::vector<std::string> restored;
  bool dry_run = false;
  std::string orphans = "report";
  std::string out;
  std::string locale = "en";
};

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
  // The plan, for the dashboard's view of the run (GET /communities/api/admin/recovery-runs).
  r.state["plan"] = json::array();
  for (const auto& step : steps)
    r.state["plan"].push_back({{"id", step.id}, {"title", step.title}});
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
  // Each application where it runs (the deployment Communities describes).
  (void)admin::RouteToDeployment(r.session->client());
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
    auto step_start = std::chrono::steady_clock::now();
    auto s = step.run(r);
    double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
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
    // How long each step took (its last attempt): where a slow recovery spends its time.
    r.state["seconds"][step.id] = std::round(took * 100) / 100;
    std::cout << fmt::format("    ({:.1f} s)\n", took);
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
