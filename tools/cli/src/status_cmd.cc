#include "status_cmd.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_error.h"
#include "concord/deployment/deployment.h"
#include "concord/http/client.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Text(const json& j, const char* key, const std::string& fallback = "-") {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return fallback;
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string MaintenanceText(const json& m) {
  if (!m.is_object()) return "unknown";
  return m.value("enabled", false) ? "ON" : "off";
}

// One block per kind of process: where, up or down, version, database, what it holds.
void PrintDeployment(const json& view) {
  std::cout << "\nCommunities nodes (one database; the holder of an application's lease "
               "delivers to it):\n";
  for (const auto& n : view["communities"]) {
    std::string db = "-";
    if (n["databases"].is_object()) db = Text(n["databases"], "communities");
    std::cout << fmt::format(
        "  {:<30} {:<4} {:<6} {}{}\n    database {}; maintenance {}; leases: {}\n", Text(n, "url"),
        n.value("up", false) ? "up" : "DOWN", Text(n, "version"),
        n.value("nodeId", "").substr(0, 8), n.value("self", false) ? " (answering this)" : "", db,
        MaintenanceText(n["maintenance"]),
        n["leases"].empty() ? "none" : fmt::format("{}", fmt::join(n["leases"], ", ")));
  }
  std::cout << "\nApplications:\n";
  for (const auto& a : view["applications"]) {
    std::cout << fmt::format("  {} at {} (last applied event {})\n", Text(a, "service"),
                             Text(a, "url"), Text(a, "lastAppliedEventSeq", "unknown"));
    for (const auto& [app, d] : a["deliveries"].items()) {
      std::cout << fmt::format("    {}: {} pending, {} queued\n", app,
                               d.value("pending", int64_t{0}), d.value("queued", int64_t{0}));
    }
    for (const auto& n : a["nodes"]) {
      if (!n.value("up", false)) {
        std::cout << fmt::format("    node {} DOWN: {}\n", Text(n, "url"), Text(n, "error"));
        continue;
      }
      std::string db = "-";
      if (n["databases"].is_object()) db = Text(n["databases"], Text(a, "service").c_str());
      std::cout << fmt::format("    node {} up, {}, database {}, maintenance {}\n", Text(n, "url"),
                               Text(n, "version"), db, MaintenanceText(n["maintenance"]));
    }
  }
  std::cout << "\nMaintenance mode (the deployment's): "
            << (view["maintenance"].is_object() ? Text(view["maintenance"], "description", "off")
                                                : std::string("never set through a node"))
            << "\n";
}

}  // namespace

int StatusCommand(const std::string& data_dir, bool as_json) {
  deployment::DataDir dir{fs::absolute(data_dir)};
  // Other local users must not read the password hashes and the content (0700, 0600).
  size_t loose = 0;
  for (const auto& [path, mode] : deployment::FindLooseModes(dir, 10, &loose)) {
    std::cerr << fmt::format(
        "concord: warning: {} has mode {:04o}: other local users can reach it (chmod {} {})\n",
        path.string(), static_cast<unsigned>(mode), fs::is_directory(path) ? "700" : "600",
        path.string());
  }
  if (loose > 10) {
    std::cerr << fmt::format("concord: warning: and {} more with a mode looser than 0700/0600\n",
                             loose - 10);
  }
  auto settings = deployment::ResolveClientSettings(dir);
  if (!settings) return Fail("status", settings.error());
  http::Client client({.url = settings->url,
                       .user = settings->user,
                       .password = settings->password,
                       .timeout = std::chrono::seconds(10)});
  auto status = client.Get("/communities/api/status");
  if (!status) return Fail("status", status.error());
  std::cout << fmt::format("Concord is running at {} (server time {}, signed in as {})\n",
                           settings->url, (*status)["serverTime"].get<std::string>(),
                           (*status)["user"].get<std::string>());
  // What the running server noticed (administrators only; others see the line above).
  if (auto server = client.Get("/api/admin/server")) {
    for (const auto& w : (*server)["warnings"]) {
      std::cerr << "concord: warning: " << w.get<std::string>() << "\n";
    }
  }
  auto view = client.Get("/communities/api/admin/deployment");
  if (!view) {
    // A process without Communities, or a caller who is not an administrator: this one only.
    if (as_json) std::cout << json{{"url", settings->url}, {"up", true}}.dump(2) << "\n";
    return 0;
  }
  if (as_json) {
    std::cout << view->dump(2) << "\n";
  } else {
    PrintDeployment(*view);
  }
  bool all_up = true;
  for (const auto& n : (*view)["communities"]) all_up = all_up && n.value("up", false);
  for (const auto& a : (*view)["applications"]) {
    for (const auto& n : a["nodes"]) all_up = all_up && n.value("up", false);
  }
  return all_up ? 0 : static_cast<int>(Exit::kFailed);
}

}  // namespace concord::cli
