// `concord`: the server and the operations CLI. See README.md and `concord --help`.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <thread>

#include "backup_cmd.h"
#include "cli_error.h"
#include "communities_runtime.h"
#include "concord/base/log.h"
#include "concord/communities/dispatcher.h"
#include "concord/communities/sample_data.h"
#include "concord/communities/service.h"
#include "concord/db/database.h"
#include "concord/deployment/deployment.h"
#include "concord/http/auth.h"
#include "concord/http/client.h"
#include "concord/http/server.h"
#include "concord/lifecycle/events.h"
#include "concord/lifecycle/widgets.h"
#include "concord/maintenance/maintenance.h"
#include "concord/scheduler/scheduler.h"
#include "maintenance_cmd.h"
#include "metrics_api.h"
#include "node.h"
#include "populate_cmd.h"
#include "recover_cmd.h"
#include "recovery_runs_api.h"
#include "reports_api.h"
#include "service_control.h"
#include "services.h"
#include "status_cmd.h"
#include "web_pages.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;

// The HTTP edge's settings: [server] in concord.toml over the server's defaults, and maintenance
// mode's gate, which also knows the trusted proxies.
http::ServerOptions ServerOptionsFrom(const deployment::Config& config, maintenance::Gate& gate) {
  http::ServerOptions o;
  o.threads = config.threads;
  o.admission = [g = &gate](const std::string& remote, const std::string& xff) {
    return g->Check(remote, xff);
  };
  o.client_address = [g = &gate](const std::string& remote, const std::string& xff) {
    return g->ClientAddress(remote, xff);
  };
  o.trusted_proxy = [g = &gate](const std::string& remote) { return g->IsTrustedProxy(remote); };
  auto set = [](auto& field, int value) {
    if (value > 0) field = static_cast<std::remove_reference_t<decltype(field)>>(value);
  };
  auto set_seconds = [](std::chrono::seconds& field, int value) {
    if (value > 0) field = std::chrono::seconds(value);
  };
  set(o.max_connections, config.max_connections);
  set(o.max_connections_per_client, config.max_connections_per_client);
  set(o.max_header_bytes, config.max_header_bytes);
  set(o.max_header_count, config.max_header_count);
  set(o.max_body_bytes, config.max_body_bytes);
  if (config.max_upload_bytes > 0) {
    o.max_streamed_body_bytes = static_cast<size_t>(config.max_upload_bytes);
  }
  set_seconds(o.streamed_body_stall_timeout, config.upload_stall_timeout_seconds);
  set_seconds(o.header_timeout, config.header_timeout_seconds);
  set_seconds(o.request_timeout, config.request_timeout_seconds);
  set_seconds(o.idle_timeout, config.idle_timeout_seconds);
  set(o.max_concurrent_verifications, config.max_concurrent_sign_ins);
  set(o.sign_in.free_failures, config.sign_in_free_failures);
  set_seconds(o.sign_in.max_lockout, config.sign_in_max_lockout_seconds);
  return o;
}

struct ServeFlags {
  std::string data_dir = "./data";
  std::string listen;
  std::string log_level;
  std::string log_format;
  std::vector<std::string> services;  // empty: all
};

int Serve(const ServeFlags& flags) {
  deployment::DataDir dir{fs::absolute(flags.data_dir)};
  auto early = deployment::LoadConfig(dir);
  auto format = ParseLogFormat(!flags.log_format.empty() ? flags.log_format
                               : early                   ? early->log_format
                                                         : "text",
                               "--log-format");
  InitLogging(!flags.log_level.empty() ? flags.log_level
              : early                  ? early->log_level
                                       : "info",
              format.value_or(LogFormat::kText));
  if (!early) return Fail("serve", early.error());
  if (!format) return Fail("serve", format.error());
  std::vector<std::string> selected = flags.services.empty() ? ServiceNames() : flags.services;
  bool with_communities =
      std::find(selected.begin(), selected.end(), "communities") != selected.end();

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto lock = deployment::Lock::Acquire(dir, "concord serve");
  if (!lock) return Fail("serve", lock.error());
  auto services = OpenServices(dir, selected);
  if (!services) return Fail("serve", services.error());
  std::string listen = flags.listen.empty() ? services->config.listen : flags.listen;
  auto address = deployment::ParseListen(listen);
  if (!address) return Fail("serve", address.error());

  // Who is calling: the directory in this process, or the Communities service elsewhere.
  std::shared_ptr<http::CachingAuthenticator> authenticator;
  if (with_communities) {
    authenticator = communities::MakeAuthenticator(*services->communities);
  } else if (services->config.communities_urls.empty()) {
    return Fail("serve",
                Error{ErrorCode::kInvalidArgument,
                      "without the communities service, [services] communities_url in concord.toml "
                      "must say where Communities runs",
                      "services.communities_url",
                      {}});
  } else {
    authenticator = communities::MakeRemoteAuthenticator(services->config.communities_urls);
  }
  // Maintenance mode: checked before anything else, for every request.
  auto gate = maintenance::Gate::Create(dir.Maintenance(), services->config.trusted_proxies);
  if (!gate) return Fail("serve", gate.error());
  auto scrape_token = LoadOrCreateScrapeToken(dir.root);
  if (!scrape_token) return Fail("serve", scrape_token.error());
  http::ServerOptions server_options = ServerOptionsFrom(services->config, **gate);
  server_options.scrape_token = *scrape_token;
  http::Server server(std::move(server_options), authenticator);
  MountMetrics(server);
  auto node_id = deployment::LoadOrCreateNodeId(dir);
  if (!node_id) return Fail("serve", node_id.error());
  NodeSelf self{.node_id = *node_id, .services = selected, .started_at = NowMillis()};
  std::unique_ptr<CommunitiesRuntime> runtime;
  std::unique_ptr<DeliveryMetrics> delivery_metrics;
  std::unique_ptr<SyncReports> sync_reports;
  // A change of maintenance mode made here goes to the whole deployment (Communities knows it).
  maintenance::MountMaintenanceApi(
      server, dir.Maintenance(), **gate,
      [&runtime, &self](const maintenance::State& s) -> Result<nlohmann::json> {
        if (runtime && runtime->agent) return runtime->agent->Propagate(s);
        nlohmann::json only = {{"url", self.url}, {"services", self.services}, {"told", true}};
        return nlohmann::json{{"processes", nlohmann::json::array({only})}, {"complete", true}};
      });
  MountNodeApi(server, self, *services, dir.Maintenance());
  server.Get(
      "/api/admin/server", http::Access::kAdministrator,
      [&server](const http::Request&) -> Result<http::Response> {
        nlohmann::json warnings = nlohmann::json::array();
        if (auto proxy = server.Warnings().untrusted_local_proxy) {
          warnings.push_back(fmt::format(
              "requests with X-Forwarded-For arrive from {}, which is not in [server] "
              "trusted_proxies: behind that proxy every user looks like {} (exempt from "
              "maintenance "
              "mode) and sign-in throttling cannot tell users apart; add it to trusted_proxies",
              *proxy, *proxy));
        }
        return http::Response::Json(200, {{"warnings", warnings}});
      });
  communities::MountCredentialsApi(server, authenticator);
  MountServiceControlApi(server, *services, [&](const std::string& service) -> Status {
    if (service != "communities" || !runtime) return Ok();
    return services->communities->RestoreServiceAccount(runtime->lifecycle_login,
                                                        runtime->lifecycle_password);
  });
  if (with_communities) {
    auto rt = PrepareCommunities(dir, *services, server, *node_id);
    if (!rt) return Fail("serve", rt.error());
    runtime = std::move(*rt);
    delivery_metrics = std::make_unique<DeliveryMetrics>(server, *runtime);
    sync_reports = std::make_unique<SyncReports>(SyncReportsOptions{
        .dir = dir.root / "sync-reports",
        .service_url =
            [&](const std::string& service) {
              auto endpoints = ApplicationEndpoints(services->config, selected, self.url);
              auto it = endpoints.find(service);
              return it == endpoints.end() ? std::string() : it->second.url;
            },
        .self_url = [&self] { return self.url; },
        .credentials =
            [r = runtime.get()] {
              return std::make_pair(r->lifecycle_login, r->lifecycle_password);
            }});
    sync_reports->Mount(server);
    MountRecoveryRuns(server, dir.root / "recovery");
    MountWebPages(server, services->config.web_root.empty() ? DefaultWebRoot()
                                                            : fs::path(services->config.web_root));
  }
  for (const auto& app : services->applications) app.mount(server);

  // Everything that can fail at start-up comes before the server announces itself.
  auto port = server.Bind(address->first, address->second);
  if (!port) return Fail("serve", port.error());
  std::string host =
      address->first.find(':') != std::string::npos ? "[" + address->first + "]" : address->first;
  std::string url = fmt::format("http://{}:{}", host, *port);
  self.url = AdvertisedUrl(services->config, address->first, *port);
  if (runtime) {
    StartCommunities(*runtime, *services, selected, url,
                     {.self = self,
                      .services = &*services,
                      .maintenance_file = dir.Maintenance(),
                      .gate = gate->get(),
                      .selected = selected});
    delivery_metrics->Start();
  } else {
    // The Communities nodes pass maintenance mode here (they deliver, and tell it to change).
    (*gate)->SetPeers(PeerAddresses(services->config.communities_urls));
  }
  if (auto s = deployment::WriteServerInfo(dir, {url, ::getpid()}); !s)
    return Fail("serve", s.error());

  std::mutex mu;
  bool stopping = false;
  std::thread signals([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    spdlog::info("received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    {
      std::lock_guard l(mu);
      stopping = true;
    }
    // The dispatcher first: its idle keep-alive connections would hold server workers.
    // (Requests still finishing may Notify() it: harmless once stopped.)
    if (runtime) runtime->dispatcher->Stop();
    if (sync_reports) sync_reports->RequestStop();
    server.Stop();
  });

  spdlog::info("Concord is serving {} ({}; data directory {})", url, fmt::join(selected, ", "),
               dir.root.string());
  std::error_code creds_ec;
  if (with_communities && fs::exists(dir.Credentials(), creds_ec)) {
    spdlog::info("log in as 'admin' with the password in {}", dir.Credentials().string());
  }
  bool ok = server.Run();
  if (!ok) {
    std::lock_guard l(mu);
    if (!stopping) spdlog::error("the HTTP server stopped unexpectedly");
  }
  // Wake the signal thread if the server ended on its own.
  {
    std::lock_guard l(mu);
    if (!stopping) {
      stopping = true;
      // Not a thread being terminated: the signal thread waits in sigwait for this very signal.
      pthread_kill(signals.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
    }
  }
  signals.join();
  if (sync_reports) sync_reports->Stop();  // reports being made are abandoned, not kept half made
  if (delivery_metrics) delivery_metrics->Stop();
  if (runtime) {
    runtime->tasks->Stop();
    *services->on_events = nullptr;
    runtime->dispatcher->Stop();
    runtime->agent->Stop();
  }
  std::error_code ec;
  fs::remove(dir.ServerInfo(), ec);
  spdlog::info("stopped");
  return ok ? 0 : 1;
}

}  // namespace

int Main(int argc, char** argv);

}  // namespace concord::cli

// An exception that reaches here is a bug: say so in one line, exit 1 (README, "Exit codes").
int main(int argc, char** argv) {
  try {
    return concord::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "concord: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "concord: internal error\n";
  }
  return 1;
}

int concord::cli::Main(int argc, char** argv) {
  // Everything Concord writes (databases, backups, reports, exports, credentials) is its
  // owner's only, whatever the umask it was started with (docs/configuration.md, "Files").
  ::umask(077);
  CLI::App app{"Concord: Communities and their remote applications, kept in step."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "concord 0.1.0");

  ServeFlags serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run Concord's services");
  serve_cmd->add_option("--data-dir", serve.data_dir, "Data directory")->capture_default_str();
  serve_cmd->add_option("--listen", serve.listen,
                        "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks one)");
  serve_cmd
      ->add_option("--services", serve.services,
                   "Services to run here, comma-separated (default: all): " +
                       fmt::format("{}", fmt::join(ServiceNames(), ", ")))
      ->delimiter(',');
  serve_cmd->add_option(
      "--log-format", serve.log_format,
      "text, or json for one JSON object per line (default: [server] log_format)");
  serve_cmd->add_option("--log-level", serve.log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

  std::string populate_dir = "./data";
  int64_t populate_count = 0;
  uint64_t populate_seed = 1;
  auto* populate_cmd =
      app.add_subcommand("populate", "Fill a stopped, empty deployment with sample data");
  populate_cmd->add_option("--data-dir", populate_dir, "Data directory")->capture_default_str();
  populate_cmd->add_option("--communities", populate_count, "How many communities")
      ->required()
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  populate_cmd->add_option("--seed", populate_seed, "Random seed (same seed, same data)")
      ->capture_default_str();

  std::string status_dir = "./data";
  bool status_json = false;
  auto* status_cmd = app.add_subcommand(
      "status", "Tell whether Concord is running, and list every service and node it knows of");
  status_cmd->add_option("--data-dir", status_dir, "Data directory")->capture_default_str();
  status_cmd->add_flag("--json", status_json, "Print the deployment as JSON (for scripts)");

  auto maintenance_cmd = AddMaintenanceCommand(app);
  auto backup_cmds = AddBackupCommands(app);
  auto recover_cmd = AddRecoverCommand(app);

  CLI11_PARSE(app, argc, argv);
  if (int rc = maintenance_cmd(); rc >= 0) return rc;
  if (int rc = backup_cmds(); rc >= 0) return rc;
  if (int rc = recover_cmd(); rc >= 0) return rc;
  if (*serve_cmd) return Serve(serve);
  if (*populate_cmd) return Populate(populate_dir, populate_count, populate_seed);
  if (*status_cmd) return StatusCommand(status_dir, status_json);
  return static_cast<int>(Exit::kRefused);  // no subcommand
}
