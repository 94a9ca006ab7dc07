#pragma once
// Synchronization reports run by a Communities process, for the dashboard
// (docs/http-api.md, "Synchronization reports"): an application's export is fetched from where
// it runs, compared with Communities (libs/recovery, as generateSyncReports does), and kept
// under <data-dir>/sync-reports/<id>/ with a summary; the last 20 per application are kept.
// A report is made in the background (at a million communities it takes minutes, longer than a
// proxy waits for an answer): POST answers 202 with its id, GET says `running` until it is
// `done` or `failed`. A run cut short by a stop or a kill leaves no folder behind.
// A report's findings can be repaired from it (report_repair.cc): its differing communities
// resynced, its orphans moved to the application's trash or assigned back.

#include <atomic>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <stop_token>
#include <string>
#include <thread>

#include "concord/http/server.h"

namespace concord::cli {

struct SyncReportsOptions {
  std::filesystem::path dir;  // <data-dir>/sync-reports
  // The base URL of the process that runs `service` ("" if unknown), and of this process.
  std::function<std::string(const std::string& service)> service_url;
  std::function<std::string()> self_url;
  // The account the process calls the applications and itself with (an administrator).
  std::function<std::pair<std::string, std::string>()> credentials;
};

class SyncReports {
 public:
  // Removes the folders of runs a killed process left unfinished.
  explicit SyncReports(SyncReportsOptions options);
  ~SyncReports() { Stop(); }
  SyncReports(const SyncReports&) = delete;
  SyncReports& operator=(const SyncReports&) = delete;
  // Tells the reports being made to stop (before the server stops: a report then cut short is
  // abandoned, not kept as failed).
  void RequestStop();
  // Ends the reports being made (their folders removed) and waits for their threads.
  void Stop();
  // POST, GET /communities/api/admin/sync-reports, GET .../{id}, GET .../{id}/files/{name},
  // POST .../{id}/resync, POST .../{id}/orphans.
  void Mount(http::Server& server);

 private:
  struct Repair;
  void MountRepairs(http::Server& server);
  // The repairs made from report `id` (its actions.jsonl), the last 50.
  Result<nlohmann::json> Repairs(const std::string& id) const;
  // Starts a report of `app` in the background: its summary with state `running`.
  Result<nlohmann::json> Start(const std::string& app, const std::string& locale);
  // Makes it (on the report's own thread) and writes its summary, `done` or `failed`.
  void Make(const nlohmann::json& job, const std::stop_token& stop);
  Result<nlohmann::json> Run(const nlohmann::json& job, const std::stop_token& stop);
  Result<nlohmann::json> List() const;
  Result<nlohmann::json> Read(const std::string& id) const;
  void Prune(const std::string& app) const;

  SyncReportsOptions options_;
  mutable std::mutex mu_;
  std::set<std::string> running_;               // applications whose report or repair is under way
  std::map<std::string, nlohmann::json> jobs_;  // id -> summary, of the reports being made
  struct Worker {
    std::jthread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  std::list<Worker> workers_;
};

}  // namespace concord::cli
