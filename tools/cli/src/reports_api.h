#pragma once
// Synchronization reports run by a Communities process, for the dashboard
// (docs/http-api.md, "Synchronization reports"): an application's export is fetched from where
// it runs, compared with Communities (libs/recovery, as generateSyncReports does), and kept
// under <data-dir>/sync-reports/<id>/ with a summary; the last 20 per application are kept.

#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <string>

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
  explicit SyncReports(SyncReportsOptions options) : options_(std::move(options)) {}
  // POST, GET /communities/api/admin/sync-reports, GET .../{id}, GET .../{id}/files/{name}.
  void Mount(http::Server& server);

 private:
  Result<nlohmann::json> Run(const std::string& app, const std::string& locale);
  Result<nlohmann::json> List() const;
  Result<nlohmann::json> Read(const std::string& id) const;
  void Prune(const std::string& app) const;

  SyncReportsOptions options_;
  std::mutex mu_;
  std::set<std::string> running_;  // applications whose report is being made
};

}  // namespace concord::cli
