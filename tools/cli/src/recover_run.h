#pragma once
// `concord recover`'s runner (internal to tools/cli): a run's state (recover-state.json, saved
// durably, with what each step has done item by item), its audit log, the console session its
// steps use, and the helpers the steps share. The plan, the list of steps, is recover_plan.cc;
// parsing the command line and driving the steps, recover_cmd.cc.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "admin_api.h"
#include "command.h"
#include "concord/base/clock.h"
#include "concord/base/error.h"
#include "concord/base/json_file.h"
#include "concord/deployment/deployment.h"
#include "concord/http/client.h"

namespace concord::cli::recover {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kRetryTask = "LifecycleRetryQueuedEvents";
// How long after maintenance mode is turned on the runbook waits before it looks at anything:
// the server's Gate re-reads maintenance.json at most every 500 ms, and a user's request it let
// in just before must have committed (and its event been queued) by then.
constexpr Millis kMaintenanceSettleMillis = 1000;

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
    if (where != point || ++hook_hits[where] != nth) return;
    if (action == "kill") ::kill(::getpid(), SIGKILL);
    if (action == "wait") {
      fs::path flag = out / ("hook-" + where);
      std::ofstream(flag) << "remove this file to let concord recover go on\n";
      for (int i = 0; i < 1200 && fs::exists(flag); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  std::map<std::string, int> hook_hits;

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
  // The admin API's typed calls, over the run's session.
  admin::AdminApi Api() { return admin::AdminApi(session->client()); }

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

// The remoteAppDefId's uiLocation, and the service that serves it (the registry's).
std::string UiLocation(const std::string& app);
std::string ServiceOf(const std::string& app);

struct Findings {
  int64_t differences = 0;  // real disagreements
  int64_t trashed = 0;      // trashed communities listed with nothing else
  int64_t orphans = 0;
};

// Exports and reports every affected application into `dir`: the runbook's eyes.
Result<Findings> ExportAndReport(Run& r, const fs::path& dir);
// Clears exactly the queued events a set-aside file lists.
Status ClearSetAside(Run& r, const fs::path& file);
// Where the replay of `app` starts (nullopt: after what it applied).
Result<std::optional<int64_t>> ReplayStart(Run& r, const std::string& app);
// Assigns orphan `id` of `app` to community `target` once.
Status AssignOnce(Run& r, const std::string& app, const std::string& id, const std::string& old,
                  const std::string& target);
// The quarantine community of orphan `id` of `app`.
Result<std::string> QuarantineCommunity(Run& r, const std::string& app, const std::string& id,
                                        const std::string& old, const std::string& reason);

// The plan: every step of a run, in the reference's order (recover_plan.cc).
std::vector<Step> Steps(const Run& run);

}  // namespace concord::cli::recover
