#include "reports_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include "concord/base/json_file.h"
#include "concord/http/client.h"
#include "concord/http/json_body.h"
#include "concord/lifecycle/widgets.h"
#include "concord/recovery/sync_report.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kKeptPerApplication = 20;
constexpr size_t kFailedKept = 3;
constexpr size_t kListed = 200;              // findings shown in the page; the files have all
constexpr uintmax_t kEmbedBytes = 8u << 20;  // larger reports are downloaded, not embedded

bool ValidId(const std::string& id) {
  static const std::regex kId("[A-Za-z0-9]{1,40}-[0-9]{8}T[0-9]{9}");
  return std::regex_match(id, kId);
}

std::string IdFor(const std::string& app, Millis now) {
  std::string stamp = FormatTimestamp(now);  // 2026-12-03T07:53:41.123Z
  std::string digits;
  for (char ch : stamp) {
    if (std::isdigit(static_cast<unsigned char>(ch)) || ch == 'T') digits.push_back(ch);
  }
  return app + "-" + digits;
}

// The first `kListed` findings (`key`: differences or orphans) of a report file, and how many
// it has.
json Findings(const fs::path& file, const char* key) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return {{"available", false}};
  if (size > kEmbedBytes) return {{"available", false}, {"tooLarge", true}};
  std::ifstream in(file);
  json all = json::parse(in, nullptr, false);
  json items = all.is_object() && all.contains(key) ? all[key] : json();
  if (!items.is_array()) return {{"available", false}};
  json shown = json::array();
  for (size_t i = 0; i < items.size() && i < kListed; ++i) shown.push_back(items[i]);
  return {{"available", true}, {"count", items.size()}, {"items", shown}};
}

}  // namespace

SyncReports::SyncReports(SyncReportsOptions options) : options_(std::move(options)) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options_.dir, ec)) {
    if (ValidId(e.path().filename().string()) && !fs::exists(e.path() / "summary.json", ec)) {
      fs::remove_all(e.path(), ec);
    }
  }
}

void SyncReports::RequestStop() {
  std::lock_guard lock(mu_);
  for (auto& w : workers_) w.thread.request_stop();
}

void SyncReports::Stop() {
  RequestStop();
  std::list<Worker> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& w : workers) w.thread.request_stop();
  workers.clear();  // joins
}

Result<json> SyncReports::Start(const std::string& app, const std::string& locale) {
  const auto* def = lifecycle::FindWidgetDef(app);
  if (!def || !def->remote) {
    return InvalidArgument("remoteAppDefId",
                           fmt::format("'{}' is not a remote application", app.substr(0, 40)));
  }
  std::string service(def->application);
  if (options_.service_url(service).empty()) {
    return Unavailable(fmt::format("where the {} service runs is not known here", service));
  }
  CONCORD_ASSIGN_OR_RETURN(std::string lang, recovery::ResolveLocale(locale));
  Millis now = NowMillis();
  json job = {{"id", IdFor(app, now)},
              {"remoteAppDefId", app},
              {"created", FormatTimestamp(now)},
              {"locale", lang},
              {"state", "running"}};
  std::lock_guard lock(mu_);
  if (!running_.insert(app).second) {
    return FailedPrecondition(fmt::format("a report or repair of {} is under way", app));
  }
  // The threads of reports made since the last one are joined here.
  std::erase_if(workers_, [](const Worker& w) { return w.finished->load(); });
  jobs_[job["id"]] = job;
  auto finished = std::make_shared<std::atomic<bool>>(false);
  workers_.push_back({.thread = std::jthread([this, job, finished](const std::stop_token& stop) {
                        Make(job, stop);
                        finished->store(true);
                      }),
                      .finished = finished});
  return job;
}

void SyncReports::Make(const json& job, const std::stop_token& stop) {
  std::string id = job["id"];
  std::string app = job["remoteAppDefId"];
  std::error_code ec;
  // Nothing here may throw out of the thread (that would end the process).
  try {
    Result<json> made = [&]() -> Result<json> {
      try {
        return Run(job, stop);
      } catch (const std::exception& e) {
        return Internal(e.what());
      }
    }();
    if (stop.stop_requested()) {
      fs::remove_all(options_.dir / id, ec);  // cut short by a stop: nothing half made is kept
    } else {
      json summary = made ? *made : job;
      if (!made) {
        fs::remove_all(options_.dir / id, ec);
        fs::create_directories(options_.dir / id, ec);
        summary["state"] = "failed";
        summary["error"] = made.error().message;
        spdlog::warn("the synchronization report {} failed: {}", id, made.error().message);
        summary["files"] = json::array();
      }
      std::string text = summary.dump(2, ' ', false, json::error_handler_t::replace);
      if (auto w = WriteFileDurably(options_.dir / id / "summary.json", text, 0600); !w) {
        fs::remove_all(options_.dir / id, ec);
      }
      Prune(app);
    }
  } catch (const std::exception& e) {
    spdlog::error("the synchronization report {} failed: {}", id, e.what());
    fs::remove_all(options_.dir / id, ec);
  }
  std::lock_guard lock(mu_);
  jobs_.erase(id);
  running_.erase(app);
}

Result<json> SyncReports::Run(const json& job, const std::stop_token& stop) {
  const std::string app = job["remoteAppDefId"];
  std::string service(lifecycle::FindWidgetDef(app)->application);
  std::string url = options_.service_url(service);
  auto [user, password] = options_.credentials();
  fs::path dir = options_.dir / job["id"].get<std::string>();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Unavailable(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  fs::path export_file = dir / "export.xml";
  auto made = [&]() -> Result<recovery::ReportSummary> {
    http::Client remote(
        {.url = url, .user = user, .password = password, .timeout = std::chrono::seconds(3600)});
    std::ofstream out(export_file, std::ios::binary);
    CONCORD_RETURN_IF_ERROR(remote.Download(
        fmt::format("/{}/api/admin/export/{}", service, app), [&](std::string_view chunk) {
          out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
          return static_cast<bool>(out) && !stop.stop_requested();
        }));
    out.close();
    if (stop.stop_requested()) return Unavailable("stopped");
    http::Client self({.url = options_.self_url(),
                       .user = user,
                       .password = password,
                       .timeout = std::chrono::seconds(600)});
    auto source = recovery::HttpCommunitySource(self);
    return recovery::GenerateSyncReports(
        export_file, dir, *source, job["locale"].get<std::string>(),
        ParseTimestamp(job["created"].get<std::string>()).value_or(NowMillis()));
  }();
  fs::remove(export_file, ec);  // as large as the application's data: not kept
  CONCORD_RETURN_IF_ERROR(made);
  json files = json::array();
  for (const auto& f : made->files) files.push_back(f.filename().string());
  json summary = job;
  summary["state"] = "done";
  summary["resources"] = made->resources;
  summary["differences"] = made->differences;
  summary["orphans"] = made->orphans;
  summary["files"] = files;
  return summary;
}

// Keeps the last 20 reports of `app` that were made, and the last 3 that failed (failures
// never push out a good report, nor the repairs recorded in it).
void SyncReports::Prune(const std::string& app) const {
  std::vector<std::string> done, failed;
  std::error_code ec;
  for (fs::directory_iterator e(options_.dir, ec), end; !ec && e != end; e.increment(ec)) {
    std::string name = e->path().filename().string();
    if (!ValidId(name) || !name.starts_with(app + "-")) continue;
    std::ifstream in(e->path() / "summary.json");
    json s = json::parse(in, nullptr, false);
    (s.is_object() && s.value("state", "done") == "failed" ? failed : done).push_back(name);
  }
  for (auto* ids : {&done, &failed}) {
    size_t keep = ids == &done ? kKeptPerApplication : kFailedKept;
    std::sort(ids->begin(), ids->end());
    for (size_t i = 0; i + keep < ids->size(); ++i) fs::remove_all(options_.dir / (*ids)[i], ec);
  }
}

Result<json> SyncReports::List() const {
  std::vector<json> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options_.dir, ec)) {
    if (!ValidId(e.path().filename().string())) continue;
    std::ifstream in(e.path() / "summary.json");
    json s = json::parse(in, nullptr, false);
    if (s.is_object()) out.push_back(s);
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, job] : jobs_) out.push_back(job);
  }
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
    return a.value("created", "") > b.value("created", "");
  });
  return json{{"items", out}};
}

Result<json> SyncReports::Read(const std::string& id) const {
  if (!ValidId(id)) return NotFound("no such report");
  {
    std::lock_guard lock(mu_);
    if (auto it = jobs_.find(id); it != jobs_.end()) return it->second;
  }
  std::ifstream in(options_.dir / id / "summary.json");
  json s = json::parse(in, nullptr, false);
  if (!s.is_object()) return NotFound("no such report: " + id);
  std::string app = s.value("remoteAppDefId", "");
  s["communityDifferences"] =
      Findings(options_.dir / id / (app + "_communityDifferences.json"), "differences");
  s["orphanedRemoteApplications"] =
      Findings(options_.dir / id / (app + "_orphanedRemoteApplications.json"), "orphans");
  CONCORD_ASSIGN_OR_RETURN(s["actions"], Repairs(id));
  return s;
}

void SyncReports::Mount(http::Server& server) {
  const std::string base = "/communities/api/admin/sync-reports";
  server.Post(base, http::Access::kAdministrator,
              [this](const http::Request& r) -> Result<http::Response> {
                CONCORD_RETURN_IF_ERROR(http::CheckQuery(r, {}));
                CONCORD_ASSIGN_OR_RETURN(auto body, http::JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(std::string app, body.RequiredString("remoteAppDefId"));
                CONCORD_ASSIGN_OR_RETURN(auto locale, body.OptString("locale"));
                CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
                CONCORD_ASSIGN_OR_RETURN(json job, Start(app, locale.value_or("en")));
                return http::Response::Json(202, job);
              });
  MountRepairs(server);
  server.Get(base, http::Access::kAdministrator,
             [this](const http::Request& r) -> Result<http::Response> {
               CONCORD_RETURN_IF_ERROR(http::CheckQuery(r, {}));
               CONCORD_ASSIGN_OR_RETURN(json list, List());
               return http::Response::Json(200, list);
             });
  server.Get(base + "/([^/]+)", http::Access::kAdministrator,
             [this](const http::Request& r) -> Result<http::Response> {
               CONCORD_RETURN_IF_ERROR(http::CheckQuery(r, {}));
               CONCORD_ASSIGN_OR_RETURN(json report, Read(r.path_params[0]));
               return http::Response::Json(200, report);
             });
  // One of its files, to keep: only a name the summary lists.
  server.Get(
      base + "/([^/]+)/files/([^/]+)", http::Access::kAdministrator,
      [this](const http::Request& r) -> Result<http::Response> {
        CONCORD_RETURN_IF_ERROR(http::CheckQuery(r, {}));
        CONCORD_ASSIGN_OR_RETURN(json report, Read(r.path_params[0]));
        const std::string& name = r.path_params[1];
        const json& files = report["files"];
        if (!files.is_array() || std::find(files.begin(), files.end(), json(name)) == files.end()) {
          return NotFound("no such file in this report: " + name.substr(0, 80));
        }
        http::Response out;
        out.content_type =
            name.ends_with(".html") ? "text/html; charset=utf-8" : "application/json";
        out.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + "\"");
        out.file = options_.dir / r.path_params[0] / name;
        return out;
      });
}

}  // namespace concord::cli
