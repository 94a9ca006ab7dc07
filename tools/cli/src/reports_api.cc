#include "reports_api.h"

#include <fmt/format.h>

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

Result<json> SyncReports::Run(const std::string& app, const std::string& locale) {
  const auto* def = lifecycle::FindWidgetDef(app);
  if (!def || !def->remote) {
    return InvalidArgument("remoteAppDefId",
                           fmt::format("'{}' is not a remote application", app.substr(0, 40)));
  }
  std::string service(def->application);
  std::string url = options_.service_url(service);
  if (url.empty()) {
    return Unavailable(fmt::format("where the {} service runs is not known here", service));
  }
  CONCORD_ASSIGN_OR_RETURN(std::string lang, recovery::ResolveLocale(locale));
  auto [user, password] = options_.credentials();
  Millis now = NowMillis();
  std::string id = IdFor(app, now);
  fs::path dir = options_.dir / id;
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
          return static_cast<bool>(out);
        }));
    out.close();
    http::Client self({.url = options_.self_url(),
                       .user = user,
                       .password = password,
                       .timeout = std::chrono::seconds(600)});
    auto source = recovery::HttpCommunitySource(self);
    return recovery::GenerateSyncReports(export_file, dir, *source, lang, now);
  }();
  fs::remove(export_file, ec);  // as large as the application's data: not kept
  if (!made) {
    fs::remove_all(dir, ec);
    return std::unexpected(made.error());
  }
  json files = json::array();
  for (const auto& f : made->files) files.push_back(f.filename().string());
  json summary = {{"id", id},
                  {"remoteAppDefId", app},
                  {"created", FormatTimestamp(now)},
                  {"locale", lang},
                  {"resources", made->resources},
                  {"differences", made->differences},
                  {"orphans", made->orphans},
                  {"files", files}};
  CONCORD_RETURN_IF_ERROR(WriteFileDurably(dir / "summary.json", summary.dump(2), 0600));
  Prune(app);
  return summary;
}

void SyncReports::Prune(const std::string& app) const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(options_.dir, ec)) {
    std::string name = e.path().filename().string();
    if (ValidId(name) && name.starts_with(app + "-")) ids.push_back(name);
  }
  std::sort(ids.begin(), ids.end());
  for (size_t i = 0; i + kKeptPerApplication < ids.size(); ++i) {
    fs::remove_all(options_.dir / ids[i], ec);
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
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
    return a.value("created", "") > b.value("created", "");
  });
  return json{{"items", out}};
}

Result<json> SyncReports::Read(const std::string& id) const {
  if (!ValidId(id)) return NotFound("no such report");
  std::ifstream in(options_.dir / id / "summary.json");
  json s = json::parse(in, nullptr, false);
  if (!s.is_object()) return NotFound("no such report: " + id);
  std::string app = s.value("remoteAppDefId", "");
  s["communityDifferences"] =
      Findings(options_.dir / id / (app + "_communityDifferences.json"), "differences");
  s["orphanedRemoteApplications"] =
      Findings(options_.dir / id / (app + "_orphanedRemoteApplications.json"), "orphans");
  return s;
}

void SyncReports::Mount(http::Server& server) {
  const std::string base = "/communities/api/admin/sync-reports";
  server.Post(
      base, http::Access::kAdministrator, [this](const http::Request& r) -> Result<http::Response> {
        CONCORD_ASSIGN_OR_RETURN(auto body, http::JsonBody::Parse(r.body));
        CONCORD_ASSIGN_OR_RETURN(std::string app, body.RequiredString("remoteAppDefId"));
        CONCORD_ASSIGN_OR_RETURN(auto locale, body.OptString("locale"));
        CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
        {
          std::lock_guard lock(mu_);
          if (!running_.insert(app).second) {
            return FailedPrecondition(fmt::format("a report of {} is being made already", app));
          }
        }
        // Released however the run ends (an exception included).
        std::unique_ptr<void, std::function<void(void*)>> release(this, [this, app](void*) {
          std::lock_guard lock(mu_);
          running_.erase(app);
        });
        auto made = Run(app, locale.value_or("en"));
        CONCORD_RETURN_IF_ERROR(made);
        return http::Response::Json(201, *made);
      });
  server.Get(base, http::Access::kAdministrator,
             [this](const http::Request&) -> Result<http::Response> {
               CONCORD_ASSIGN_OR_RETURN(json list, List());
               return http::Response::Json(200, list);
             });
  server.Get(base + "/([^/]+)", http::Access::kAdministrator,
             [this](const http::Request& r) -> Result<http::Response> {
               CONCORD_ASSIGN_OR_RETURN(json report, Read(r.path_params[0]));
               return http::Response::Json(200, report);
             });
  // One of its files, to keep: only a name the summary lists.
  server.Get(
      base + "/([^/]+)/files/([^/]+)", http::Access::kAdministrator,
      [this](const http::Request& r) -> Result<http::Response> {
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
