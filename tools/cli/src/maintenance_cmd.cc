#include "maintenance_cmd.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "cli_error.h"
#include "concord/deployment/deployment.h"
#include "concord/http/client.h"
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
  std::vector<std::string> upstream;
  bool force = false;
};

std::string Operator() {
  const passwd* pw = getpwuid(getuid());
  return fmt::format("{} (concord maintenance)", pw ? pw->pw_name : std::to_string(getuid()));
}

// Through the server running on the data directory (or CONCORD_URL), when there is one: it
// enforces the change before answering and tells every other process of the deployment. Exit
// 1 when a process could not be told, unless --force. nullopt: no server to tell.
std::optional<int> ThroughServer(const Flags& f, const nlohmann::json& body) {
  deployment::DataDir dir{fs::absolute(f.data_dir)};
  if (!std::getenv("CONCORD_URL") && !deployment::ReadServerInfo(dir)) return std::nullopt;
  auto settings = deployment::ResolveClientSettings(dir);
  if (!settings) {
    // An application's data directory: no administrator here. Its own file, which it follows.
    std::cerr << "concord: warning: no administrator's credentials for the server running on "
              << dir.root.string()
              << " (admin.credentials, or CONCORD_USER and CONCORD_PASSWORD): only its "
                 "maintenance.json changes, which that process follows within a second; run "
                 "this against a Communities node to change the whole deployment\n";
    return std::nullopt;
  }
  http::Client client({.url = settings->url,
                       .user = settings->user,
                       .password = settings->password,
                       .timeout = std::chrono::seconds(60)});
  auto reply = client.Put("/api/admin/maintenance", body);
  if (!reply) return Fail("maintenance", reply.error());
  std::cout << (*reply)["description"].get<std::string>() << "\n";
  int untold = 0;
  // The processes of a deployment of several (one process: nothing to add).
  if (reply->contains("processes") && (*reply)["processes"].size() > 1) {
    for (const auto& p : (*reply)["processes"]) {
      bool told = p.value("told", false);
      if (!told) ++untold;
      std::cout << fmt::format("  {} {} ({}){}\n", told ? "told" : "NOT TOLD", p.value("url", "?"),
                               p.value("services", ""), told ? "" : ": " + p.value("error", ""));
    }
  }
  if (untold > 0 && !f.force) {
    std::cerr << fmt::format(
        "concord: maintenance: {} process(es) of the deployment could not be told and do not "
        "enforce this; bring them up (they take the deployment's state within seconds), or run "
        "again with --force to accept it\n",
        untold);
    return static_cast<int>(Exit::kFailed);
  }
  return 0;
}

// The failure to report when the data directory does not exist.
std::optional<int> NoDataDir(const deployment::DataDir& dir) {
  if (fs::is_directory(dir.root)) return std::nullopt;
  return Fail(
      "maintenance",
      InvalidArgument("data-dir", fmt::format("no data directory {}", dir.root.string())).error());
}

Result<std::string> ReadPage(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("page", fmt::format("cannot read the page {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int On(const Flags& f) {
  deployment::DataDir dir{fs::absolute(f.data_dir)};
  if (auto missing = NoDataDir(dir)) return *missing;
  std::string page;
  if (!f.page.empty()) {
    auto read = ReadPage(f.page);
    if (!read) return Fail("maintenance", read.error());
    page = *read;
  }
  nlohmann::json body = {{"enabled", true}};
  if (!f.allow.empty()) body["allow"] = f.allow;
  if (!f.reason.empty()) body["reason"] = f.reason;
  if (f.retry_after > 0) body["retryAfterSeconds"] = f.retry_after;
  if (!page.empty()) body["page"] = page;
  if (auto rc = ThroughServer(f, body)) return *rc;
  // No server running: the file, which the server obeys (and makes the deployment's) at start.
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
  if (!page.empty()) state->page = page;
  state->changed_at = NowMillis();
  if (auto s = maintenance::Save(dir.Maintenance(), *state); !s)
    return Fail("maintenance", s.error());
  std::cout << maintenance::Describe(*state) << "\n";
  return 0;
}

int Off(const Flags& f) {
  deployment::DataDir dir{fs::absolute(f.data_dir)};
  if (auto missing = NoDataDir(dir)) return *missing;
  if (auto rc = ThroughServer(f, {{"enabled", false}})) return *rc;
  maintenance::State off;
  off.changed_at = NowMillis();
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

// One group of servers behind the proxy: the paths under `location` go to `servers`.
struct UpstreamGroup {
  std::string name;                  // concord_communities, concord_forums, ...
  std::string location;              // "/", "/forums/"
  std::vector<std::string> servers;  // host:port
};

std::string HostPort(const std::string& url) {
  std::string rest = url.substr(url.find("//") == std::string::npos ? 0 : url.find("//") + 2);
  return rest.substr(0, rest.find('/'));
}

// --upstream (one group for everything), else the deployment the running server describes
// (its Communities nodes, and each application where it runs), else the server alone.
std::vector<UpstreamGroup> Upstreams(const Flags& f) {
  if (!f.upstream.empty()) {
    UpstreamGroup g{"concord", "/", {}};
    for (const auto& u : f.upstream) g.servers.push_back(HostPort(u));
    return {g};
  }
  deployment::DataDir dir{fs::absolute(f.data_dir)};
  std::string url = "http://127.0.0.1:8080";
  if (auto info = deployment::ReadServerInfo(dir)) {
    url = info->url;
    if (auto settings = deployment::ResolveClientSettings(dir)) {
      http::Client client({.url = settings->url,
                           .user = settings->user,
                           .password = settings->password,
                           .timeout = std::chrono::seconds(20)});
      if (auto view = client.Get("/communities/api/admin/deployment")) {
        std::vector<UpstreamGroup> groups;
        UpstreamGroup communities{"concord_communities", "/", {}};
        for (const auto& n : (*view)["communities"]) {
          communities.servers.push_back(HostPort(n.value("url", "")));
        }
        groups.push_back(communities);
        for (const auto& a : (*view)["applications"]) {
          UpstreamGroup g{
              "concord_" + a.value("service", ""), "/" + a.value("service", "") + "/", {}};
          for (const auto& n : a["nodes"]) g.servers.push_back(HostPort(n.value("url", "")));
          // Served by the Communities nodes themselves: no group of its own.
          if (g.servers != communities.servers) groups.push_back(g);
        }
        return groups;
      }
    }
  } else if (auto config = deployment::LoadConfig(dir)) {
    url = "http://" + config->listen;
  }
  return {{"concord", "/", {HostPort(url)}}};
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
  auto groups = Upstreams(f);
  std::cout << fmt::format(
      "# Concord behind Apache httpd (mod_proxy, mod_proxy_balancer, mod_lbmethod_byrequests,\n"
      "# mod_proxy_hcheck). Each node is checked every 5 s; an HTTP answer below 500 (Concord\n"
      "# answers 401 without credentials) or 503 (maintenance mode, which turns the check away\n"
      "# too) means up, and a node that fails leaves the balancer until it answers again.\n"
      "ProxyHCExpr concord_up {{%{{REQUEST_STATUS}} -lt 500 || %{{REQUEST_STATUS}} -eq 503}}\n");
  for (const auto& g : groups) {
    std::cout << fmt::format("<Proxy \"balancer://{}\">\n", g.name);
    int route = 0;
    for (const auto& server : g.servers) {
      std::cout << fmt::format(
          "    BalancerMember \"http://{}\" route=n{} hcmethod=GET hcuri=/api/admin/node "
          "hcexpr=concord_up hcinterval=5 hcfails=2 hcpasses=1\n",
          server, ++route);
    }
    if (g.location == "/") {
      // The dashboard's reports live on the node that made them: a browser stays on one node.
      std::cout << "    ProxySet stickysession=CONCORD_ROUTE\n";
    }
    std::cout << "</Proxy>\n";
    if (g.location == "/") {
      std::cout << "Header add Set-Cookie \"CONCORD_ROUTE=.%{BALANCER_WORKER_ROUTE}e; path=/; "
                   "HttpOnly; SameSite=Strict\" env=BALANCER_ROUTE_CHANGED  # mod_headers\n";
    }
  }
  // The longest paths first: Apache takes the first ProxyPass that matches.
  for (auto it = groups.rbegin(); it != groups.rend(); ++it) {
    std::cout << fmt::format("ProxyPass \"{0}\" \"balancer://{1}{0}\"\n", it->location, it->name);
  }
  std::cout
      << "# Client addresses reach Concord in X-Forwarded-For (mod_proxy adds it); list this\n"
         "# proxy in every process's concord.toml: [server] trusted_proxies = "
         "[\"<proxy address>\"]\n";
  std::cout << fmt::format(
      "\n# Maintenance mode at the proxy, the reference's way: users get the page, the addresses\n"
      "# below get through. Put the page at <DocumentRoot>{0}; remove this block afterwards.\n"
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
      "ProxyPass {0} !\n"
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
  auto groups = Upstreams(f);
  std::cout
      << "# Concord behind nginx, in maintenance: only the allowed addresses get through (each\n"
         "# location's allow and deny lines); for normal running, remove those lines.\n"
         "# In the http { } block: one upstream per service, each of its nodes taken out for 10 s\n"
         "# after 2 failed attempts (nginx's passive health checks; a request that fails to\n"
         "# connect or times out goes to the next node).\n";
  for (const auto& g : groups) {
    std::cout << fmt::format("upstream {} {{\n", g.name);
    if (g.location == "/") {
      // The dashboard's reports live on the node that made them: a browser (its session) stays
      // on one node; scripts without a session spread by address.
      std::cout << "    hash $cookie_concord_session$remote_addr consistent;\n";
    }
    for (const auto& server : g.servers) {
      std::cout << fmt::format("    server {} max_fails=2 fail_timeout=10s;\n", server);
    }
    std::cout << "    keepalive 16;\n}\n";
  }
  std::cout << fmt::format(
      "\n# In the server {{ }} block. Maintenance mode at the proxy (optional; Concord's own\n"
      "# `concord maintenance on` needs none of this): users get the page with 503 and\n"
      "# Retry-After, the addresses in each location get through. Put the page in\n"
      "# /var/www/concord-maintenance{0}.\n"
      "error_page 403 =503 {0};\n"
      "location = {0} {{\n"
      "    root /var/www/concord-maintenance;\n"
      "    add_header Retry-After 300 always;\n"
      "    internal;\n"
      "}}\n",
      f.page_path);
  for (const auto& g : groups) {
    std::cout << fmt::format("location {} {{\n", g.location);
    for (const auto& a : *allow) std::cout << "    allow " << a << ";\n";
    std::cout << fmt::format(
        "    deny all;  # maintenance: everybody else gets the page; remove with the allow lines\n"
        "    proxy_pass http://{};\n"
        "    proxy_next_upstream error timeout;\n"
        "    proxy_http_version 1.1;\n"
        "    proxy_set_header Connection \"\";\n"
        "    proxy_set_header Host $host;\n"
        "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "    proxy_set_header X-Forwarded-Proto $scheme;\n"
        "}}\n",
        g.name);
  }
  std::cout
      << "# Concord believes X-Forwarded-For only from the proxies listed in every process's\n"
         "# concord.toml: [server] trusted_proxies = [\"<this proxy's address>\"]\n";
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
  for (auto* sub : {apache, nginx}) {
    sub->add_option("--upstream", flags->upstream,
                    "A Concord node's URL, once per node (default: the deployment the running "
                    "server describes: its Communities nodes and where each application runs)");
  }
  for (auto* sub : {on, off}) {
    sub->add_flag("--force", flags->force,
                  "Succeed even if a process of the deployment could not be told");
  }
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
