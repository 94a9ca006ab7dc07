// `concord`: the server and the operations CLI. See README.md and `concord --help`.
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <thread>

#include "concord/communities/dispatcher.h"
#include "concord/communities/sample_data.h"
#include "concord/communities/service.h"
#include "concord/deployment/deployment.h"
#include "concord/http/auth.h"
#include "concord/http/client.h"
#include "concord/http/server.h"
#include "concord/lifecycle/widgets.h"
#include "concord/scheduler/scheduler.h"
#include "services.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;

int Fail(const Error& e) {
  std::cerr << "concord: " << e.message;
  if (!e.accepted.empty())
    std::cerr << " (accepted: " << fmt::format("{}", fmt::join(e.accepted, ", ")) << ")";
  std::cerr << "\n";
  return e.code == ErrorCode::kInvalidArgument ? 2 : 1;
}

struct ServeFlags {
  std::string data_dir = "./data";
  std::string listen;
  std::string log_level;
};

int Serve(const ServeFlags& flags) {
  deployment::DataDir dir{fs::absolute(flags.data_dir)};
  auto early = deployment::LoadConfig(dir);
  InitLogging(!flags.log_level.empty() ? flags.log_level : early ? early->log_level : "info");
  if (!early) return Fail(early.error());

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto lock = deployment::Lock::Acquire(dir, "concord serve");
  if (!lock) return Fail(lock.error());
  auto services = OpenServices(dir);
  if (!services) return Fail(services.error());
  std::string listen = flags.listen.empty() ? services->config.listen : flags.listen;
  auto address = deployment::ParseListen(listen);
  if (!address) return Fail(address.error());

  auto& communities = *services->communities;
  // The account the dispatcher delivers lifecycle events with: a new password at every start.
  std::string lifecycle_password;
  auto account =
      communities.EnsureServiceAccount("concord-lifecycle", [&](const std::string& pw) -> Status {
        std::error_code ec;
        fs::remove(dir.LifecycleCredentials(), ec);
        lifecycle_password = pw;
        return deployment::WriteCredentials(dir.LifecycleCredentials(), {"concord-lifecycle", pw});
      });
  if (!account) return Fail(account.error());

  auto authenticator = communities::MakeAuthenticator(communities);
  http::Server server({.threads = services->config.threads}, authenticator);
  communities::MountHttpApi(server, communities);
  for (const auto& app : services->applications) app.mount(server);
  std::unique_ptr<communities::Dispatcher> dispatcher;
  // The Communities scheduler (reference 5.1). fullDelete purges the trash.
  auto tasks = scheduler::Scheduler::Create(
      services->communities_db,
      {{"fullDelete", services->config.full_delete_interval,
        [&communities]() -> Status {
          CONCORD_ASSIGN_OR_RETURN(int64_t n, communities.PurgeExpired(NowMillis()));
          if (n > 0) spdlog::info("fullDelete: purged {} communities from the trash", n);
          return Ok();
        }},
       {"LifecycleRetryQueuedEvents", services->config.retry_queued_events_interval,
        [&dispatcher]() -> Status {
          if (!dispatcher) return Unavailable("the dispatcher is not running");
          auto outcome = dispatcher->Retry({});
          if (outcome.delivered > 0)
            spdlog::info("retried {} queued lifecycle events", outcome.delivered);
          if (outcome.still_queued > 0) {
            return Unavailable(
                fmt::format("{} lifecycle events are still queued", outcome.still_queued));
          }
          return Ok();
        }},
       {"EventLogCleanup", services->config.event_log_cleanup_interval,
        [&communities, days = services->config.event_log_retention_days]() -> Status {
          CONCORD_ASSIGN_OR_RETURN(int64_t n,
                                   communities.TrimEventLog(NowMillis() - days * kMillisPerDay));
          if (n > 0) spdlog::info("EventLogCleanup: removed {} old lifecycle events", n);
          return Ok();
        }}});
  if (!tasks) return Fail(tasks.error());
  communities::MountSchedulerApi(server, **tasks);

  // Everything that can fail at start-up comes before the server announces itself.
  auto port = server.Bind(address->first, address->second);
  if (!port) return Fail(port.error());
  std::string host =
      address->first.find(':') != std::string::npos ? "[" + address->first + "]" : address->first;
  std::string url = fmt::format("http://{}:{}", host, *port);
  // Deliveries go to each application's handler: here, or where [lifecycle.handlers] says.
  std::vector<communities::HandlerEndpoint> handlers;
  for (const auto& app : InProcessApplications()) {
    const auto* def = lifecycle::FindWidgetDef(app);
    handlers.push_back({app, fmt::format("{}/{}/api/lifecycle/{}", url, def->application, app)});
  }
  for (const auto& [app, handler] : services->config.handler_urls) {
    auto it = std::find_if(handlers.begin(), handlers.end(),
                           [&](auto& h) { return h.remote_app_def_id == app; });
    if (it != handlers.end()) {
      it->url = handler;
    } else {
      handlers.push_back({app, handler});
    }
  }
  dispatcher = std::make_unique<communities::Dispatcher>(
      communities::DispatcherOptions{.database = services->communities_db,
                                     .handlers = handlers,
                                     .user = "concord-lifecycle",
                                     .password = lifecycle_password});
  *services->on_events = [d = dispatcher.get()] { d->Notify(); };
  if (auto s = deployment::WriteServerInfo(dir, {url, ::getpid()}); !s) return Fail(s.error());

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
    dispatcher->Stop();
    server.Stop();
  });
  dispatcher->Start();
  (*tasks)->Start();

  spdlog::info("Concord is serving {} (data directory {})", url, dir.root.string());
  spdlog::info("log in as 'admin' with the password in {}", dir.Credentials().string());
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
      pthread_kill(signals.native_handle(), SIGTERM);
    }
  }
  signals.join();
  (*tasks)->Stop();
  *services->on_events = nullptr;
  dispatcher->Stop();
  std::error_code ec;
  fs::remove(dir.ServerInfo(), ec);
  spdlog::info("stopped");
  return ok ? 0 : 1;
}

int Populate(const std::string& data_dir, int64_t count, uint64_t seed) {
  deployment::DataDir dir{fs::absolute(data_dir)};
  InitLogging("info");
  auto lock = deployment::Lock::Acquire(dir, "concord populate");
  if (!lock) return Fail(lock.error());
  auto services = OpenServices(dir);
  if (!services) return Fail(services.error());
  auto start = std::chrono::steady_clock::now();
  int64_t last_report = 0;
  auto report = communities::Populate(
      *services->communities_db, {.communities = count, .seed = seed, .progress = [&](int64_t n) {
                                    if (n - last_report >= 50000 || n == count) {
                                      spdlog::info("populate: {} of {} communities", n, count);
                                      last_report = n;
                                    }
                                  }});
  if (!report) return Fail(report.error());
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fs::path sample_creds = dir.root / "sample-users.credentials";
  std::error_code ec;
  fs::remove(sample_creds, ec);
  if (auto s = deployment::WriteCredentials(sample_creds, {"user000000", report->sample_password});
      !s) {
    return Fail(s.error());
  }
  std::cout << fmt::format(
      "populated {} communities ({} subcommunities), {} users, {} memberships, {} widgets in "
      "{:.1f} s\n"
      "sample users user000000 ... user{:06} share the password in {}\n",
      report->communities, report->subcommunities, report->users, report->memberships,
      report->widgets, secs, report->users - 1, sample_creds.string());
  return 0;
}

int Status(const std::string& data_dir) {
  deployment::DataDir dir{fs::absolute(data_dir)};
  auto settings = deployment::ResolveClientSettings(dir);
  if (!settings) return Fail(settings.error());
  http::Client client({.url = settings->url,
                       .user = settings->user,
                       .password = settings->password,
                       .timeout = std::chrono::seconds(10)});
  auto status = client.Get("/communities/api/status");
  if (!status) return Fail(status.error());
  std::cout << fmt::format("Concord is running at {} (server time {}, signed in as {})\n",
                           settings->url, (*status)["serverTime"].get<std::string>(),
                           (*status)["user"].get<std::string>());
  return 0;
}

}  // namespace
}  // namespace concord::cli

int main(int argc, char** argv) {
  using namespace concord::cli;
  CLI::App app{"Concord: Communities and their remote applications, kept in step."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "concord 0.1.0");

  ServeFlags serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run Concord's services");
  serve_cmd->add_option("--data-dir", serve.data_dir, "Data directory")->capture_default_str();
  serve_cmd->add_option("--listen", serve.listen,
                        "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks one)");
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
  auto* status_cmd = app.add_subcommand("status", "Tell whether Concord is running and reachable");
  status_cmd->add_option("--data-dir", status_dir, "Data directory")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (*serve_cmd) return Serve(serve);
  if (*populate_cmd) return Populate(populate_dir, populate_count, populate_seed);
  if (*status_cmd) return Status(status_dir);
  return 2;
}
