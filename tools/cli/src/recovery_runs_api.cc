#include "recovery_runs_api.h"

#include <algorithm>
#include <deque>
#include <fstream>
#include <regex>

#include "recover_files.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kAuditLines = 500;  // the end of the audit log a page shows

bool ValidName(const std::string& name) {
  static const std::regex kName("[A-Za-z0-9][A-Za-z0-9._-]{0,79}");
  return std::regex_match(name, kName) && name.find("..") == std::string::npos;
}

// A run's summary from its recover-state.json; null when it has none or it is damaged (then
// `error` says why).
json Summary(const fs::path& dir) {
  json out = {{"name", dir.filename().string()}};
  auto state = LoadRecoverState(dir / "recover-state.json");
  if (!state) {
    out["error"] = state.error().message;
    return out;
  }
  const json& doc = state->document;
  out["restored"] = state->restored;
  out["orphans"] = state->orphans;
  out["started"] = doc.value("started", "");
  out["completed"] = state->completed;
  out["ended"] = std::find(state->completed.begin(), state->completed.end(), "maintenance-off") !=
                 state->completed.end();
  // The steps planned ({id, title}), written by the run (none from runs before it wrote them).
  out["plan"] = json::array();
  if (doc.contains("plan") && doc["plan"].is_array()) {
    for (const auto& step : doc["plan"]) {
      if (step.is_object() && step.contains("id") && step["id"].is_string() &&
          step.contains("title") && step["title"].is_string()) {
        out["plan"].push_back({{"id", step["id"]}, {"title", step["title"]}});
      }
    }
  }
  out["verification"] = nullptr;
  if (state->verification) {
    out["verification"] = {
        {"differences", state->verification->differences},
        {"orphans", state->verification->orphans},
        {"clean", state->verification->differences == 0 && state->verification->orphans == 0}};
  }
  return out;
}

}  // namespace

void MountRecoveryRuns(http::Server& server, const fs::path& recovery_dir) {
  const std::string base = "/communities/api/admin/recovery-runs";
  server.Get(base, http::Access::kAdministrator,
             [recovery_dir](const http::Request& r) -> Result<http::Response> {
               CONCORD_RETURN_IF_ERROR(http::CheckQuery(r, {}));
               std::vector<json> runs;
               std::error_code ec;
               for (const auto& e : fs::directory_iterator(recovery_dir, ec)) {
                 std::string name = e.path().filename().string();
                 if (!e.is_directory() || !ValidName(name)) continue;
                 if (!fs::exists(e.path() / "recover-state.json")) continue;
                 runs.push_back(Summary(e.path()));
               }
               std::sort(runs.begin(), runs.end(), [](const json& a, const json& b) {
                 return a.value("started", "") > b.value("started", "");
               });
               return http::Response::Json(200, {{"items", runs}});
             });
  server.Get(base + "/([^/]+)", http::Access::kAdministrator,
             [recovery_dir](const http::Request& r) -> Result<http::Response> {
               CONCORD_RETURN_IF_ERROR(http::CheckQuery(r, {}));
               const std::string& name = r.path_params[0];
               if (!ValidName(name) || !fs::exists(recovery_dir / name / "recover-state.json")) {
                 return NotFound("no such recovery run: " + name.substr(0, 80));
               }
               json run = Summary(recovery_dir / name);
               std::deque<std::string> lines;
               std::ifstream in(recovery_dir / name / "audit.log");
               for (std::string line; std::getline(in, line);) {
                 lines.push_back(line.substr(0, 2000));
                 if (lines.size() > kAuditLines) lines.pop_front();
               }
               run["audit"] = lines;
               return http::Response::Json(200, run);
             });
}

}  // namespace concord::cli
