#include "maintenance_cmd.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli_error.h"
#include "concord/deployment/deployment.h"
#include "concord/maintenance/maintenance.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;

struct Flags {
  std::string data_dir = "./data";
  std::vector<std::string> allow;
  std::string page;
  std::string reason;
  int retry_after = 0;
  std::string page_path = "/upgrading.htm";
  std::string upstream;
};

std::string Operator() {
  const passwd* pw = getpwuid(getuid());
  return fmt::format("{} (concord maintenance)", pw ? pw->pw_name : std::to_string(getuid()));
}

int On(const Flags& f) {
  deployment::DataDir dir{fs::absolute(f.data_dir)};
  if (!fs::is_directory(dir.root)) {
    return Fail("maintenance",
                InvalidArgument("data-dir", fmt::format("no data directory {}", dir.root.string()))
                    .error());
  }
  auto state = maintenance::Load(dir.Maintenance());
  if (!state) return Fail("maintenance", state.error());
  if (!state->enabled) {
    state->since = NowMillis();
    state->by = Operator();
  }
  state->enabled = true;
  if (!f.allow.empty()) state->allow = f.allow;
  if (!f.reason.empty()) state->reason = f.reason;
  if (f.retry_after > 0) state->retry_after_seconds = f.retry_after;
  if (!f.page.empty()) {
    std::ifstream in(f.page, std::ios::binary);
    if (!in)
      return Fail("maintenance",
                  InvalidArgument("page", fmt::format("cannot read the page {}", f.page)).error());
    std::stringstream text;
    text << in.rdbuf();
    state->page = text.str();
  }
  if (auto s = maintenance::Save(dir.Maintenance(), *state); !s)
    return Fail("maintenance", s.error());
  std::cout << maintenance::Describe(*state) << "\n";
  return 0;
}

int Off(const Flags& f) {
  deployment::DataDir dir{fs::absolute(f.data_dir)};
  if (!fs::is_directory(dir.root)) {
    return Fail("maintenance",
                InvalidArgument("data-dir", fmt::format("no data directory {}", dir.root.string()))
                    .error());
  }
  maintenance::State off;
  if (auto s = maintenance::Save(dir.Maintenance(), off); !s) return Fail("maintenance", s.error());
  std::cout << maintenance::Describe(off) << "\n";
  return 0;
}

// Exit status 0 when on, 1 when off, 2 when it cannot tell: `if concord maintenance status`.
int ShowStatus(const Flags& f) {
  deployment::DataDir dir{fs::absolute(f.data_dir)};
  auto state = maintenance::Load(dir.Maintenance());
  if (!state) return Fail("maintenance", state.error(), Exit::kRefused);  // 1 would read "off"
  std::cout << maintenance::Describe(*state) << "\n";
  return static_cast<int>(state->enabled ? Exit::kOk : Exit::kFailed);
}

// The addresses to let in at a proxy: the local host, what maintenance mode allows, --allow.
Result<std::vector<std::string>> ProxyAllowList(const Flags& f) {
  deployment::DataDir dir{fs::absolute(f.data_dir)};
  auto state = maintenance::Load(dir.Maintenance());
  std::vector<std::string> allow = {"127.0.0.1", "::1"};
  if (state) {
    for (const auto& a : state->allow) allow.push_back(a);
  }
  for (const auto& a : f.allow) allow.push_back(a);
  CONCORD_RETURN_IF_ERROR(maintenance::ParseRanges(allow, "allow"));
  return allow;
}

std::string Upstream(const Flags& f) {
  if (!f.upstream.empty()) return f.upstream;
  deployment::DataDir dir{fs::absolute(f.data_dir)};
  if (auto info = deployment::ReadServerInfo(dir)) return info->url;
  if (auto config = deployment::LoadConfig(dir)) return "http://" + config->listen;
  return "http://127.0.0.1:8080";
}

concord::Status CheckPagePath(const std::string& p) {
  bool ok = p.size() > 1 && p[0] == '/';
  for (char ch : p) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '/' || ch == '.' ||
                ch == '-' || ch == '_');
  }
  if (!ok) {
    return InvalidArgument("page-path",
                           "--page-path must be a URL path such as /upgrading.htm (letters, "
                           "digits, / . - _)");
  }
  return Ok();
}

int ApacheConfig(const Flags& f) {
  if (auto s = CheckPagePath(f.page_path); !s) return Fail("maintenance", s.error());
  auto allow = ProxyAllowList(f);
  if (!allow) return Fail("maintenance", allow.error());
  std::cout << fmt::format(
      "# Maintenance mode at Apache httpd (or IBM HTTP Server), the reference's way: users get\n"
      "# the maintenance page, the addresses below get through. Put the page at\n"
      "# <DocumentRoot>{0}, add this to httpd.conf and restart httpd; remove it afterwards.\n"
      "ErrorDocument 401 {0}\n"
      "ErrorDocument 403 {0}\n"
      "<Location />\n"
      "    Order Deny,Allow\n"
      "    Deny from all\n",
      f.page_path);
  for (const auto& a : *allow) std::cout << "    Allow from " << a << "\n";
  std::cout << fmt::format(
      "</Location>\n"
      "<Location {0}>\n"
      "    Order Allow,Deny\n"
      "    Allow from all\n"
      "</Location>\n"
      "# Apache 2.4 without mod_access_compat: in <Location />, instead of Order/Deny/Allow,\n"
      "#     Require ip {1}\n"
      "# and in <Location {0}>: Require all granted\n",
      f.page_path, fmt::join(*allow, " "));
  return 0;
}

int NginxConfig(const Flags& f) {
  if (auto s = CheckPagePath(f.page_path); !s) return Fail("maintenance", s.error());
  auto allow = ProxyAllowList(f);
  if (!allow) return Fail("maintenance", allow.error());
  std::string upstream = Upstream(f);
  std::cout << fmt::format(
      "# Maintenance mode at nginx: inside the server {{ }} block that proxies Concord. Users get\n"
      "# the page with 503 and Retry-After; the addresses below get through. Put the page in\n"
      "# /var/www/concord-maintenance{0}, reload nginx; remove this afterwards.\n"
      "error_page 403 =503 {0};\n"
      "location = {0} {{\n"
      "    root /var/www/concord-maintenance;\n"
      "    add_header Retry-After 300 always;\n"
      "    internal;\n"
      "}}\n"
      "location / {{\n",
      f.page_path);
  for (const auto& a : *allow) std::cout << "    allow " << a << ";\n";
  std::cout << fmt::format(
      "    deny all;\n"
      "    proxy_pass {};\n"
      "    proxy_set_header Host $host;\n"
      "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
      "}}\n"
      "# Concord believes X-Forwarded-For only from the proxies listed in concord.toml:\n"
      "# [server] trusted_proxies = [\"<this proxy's address>\"]\n",
      upstream);
  return 0;
}

}  // namespace

std::function<int()> AddMaintenanceCommand(CLI::App& app) {
  auto flags = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand(
      "maintenance", "Keep users out while you repair a deployment (503 with a maintenance page)");
  cmd->require_subcommand(1);
  auto data_dir = [&](CLI::App* sub) {
    sub->add_option("--data-dir", flags->data_dir, "Data directory")->capture_default_str();
  };
  auto* on = cmd->add_subcommand("on", "Turn maintenance mode on (the running server follows)");
  data_dir(on);
  on->add_option("--allow", flags->allow,
                 "Addresses and CIDR ranges let in besides the local host, comma-separated")
      ->delimiter(',');
  on->add_option("--page", flags->page, "An HTML file to show instead of the default page");
  on->add_option("--reason", flags->reason, "Why, shown by status and on the default page");
  on->add_option("--retry-after", flags->retry_after, "Retry-After in seconds (default 300)")
      ->check(CLI::Range(1, 86400));
  auto* off = cmd->add_subcommand("off", "Turn maintenance mode off");
  data_dir(off);
  auto* status = cmd->add_subcommand(
      "status", "Print one line; exit status 0 when on, 1 when off, 2 on error");
  data_dir(status);
  auto* apache = cmd->add_subcommand(
      "apache-config", "Print the Apache httpd configuration that blocks users at the proxy");
  auto* nginx = cmd->add_subcommand("nginx-config",
                                    "Print the nginx configuration that blocks users at the proxy");
  for (auto* sub : {apache, nginx}) {
    data_dir(sub);
    sub->add_option("--allow", flags->allow, "More addresses or CIDR ranges to let in")
        ->delimiter(',');
    sub->add_option("--page-path", flags->page_path, "The page's URL path")->capture_default_str();
  }
  nginx->add_option("--upstream", flags->upstream,
                    "Concord's URL (default: the running server's, from the data directory)");
  return [=]() -> int {
    if (!*cmd) return -1;
    if (*on) return On(*flags);
    if (*off) return Off(*flags);
    if (*status) return ShowStatus(*flags);
    if (*apache) return ApacheConfig(*flags);
    if (*nginx) return NginxConfig(*flags);
    return static_cast<int>(Exit::kRefused);  // no subcommand
  };
}

}  // namespace concord::cli
