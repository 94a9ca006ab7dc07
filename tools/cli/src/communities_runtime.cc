#include "communities_runtime.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "concord/communities/service.h"
#include "concord/lifecycle/widgets.h"

namespace concord::cli {

namespace fs = std::filesystem;

Result<std::unique_ptr<CommunitiesRuntime>> PrepareCommunities(const deployment::DataDir& dir,
                                                               OpenedServices& services,
                                                               http::Server& server,
                                                               const std::string& node_id) {
  auto rt = std::make_unique<CommunitiesRuntime>();
  auto& communities = *services.communities;
  rt->cluster = std::make_shared<communities::Cluster>(services.communities_db, node_id);
  // The account the dispatcher delivers lifecycle events with: a new password at every start,
  // one account per node (a node renewing its password leaves the others' alone).
  rt->lifecycle_login = "concord-lifecycle-" + node_id.substr(0, 8);
  CONCORD_RETURN_IF_ERROR(
      communities.EnsureServiceAccount(rt->lifecycle_login, [&](const std::string& pw) -> Status {
        std::error_code ec;
        fs::remove(dir.LifecycleCredentials(), ec);
        rt->lifecycle_password = pw;
        return deployment::WriteCredentials(dir.LifecycleCredentials(), {rt->lifecycle_login, pw});
      }));
  // The one account every node shared before there were several (`concord-lifecycle`): nobody
  // delivers with it any more, so it must not stay an administrator with a known password.
  CONCORD_ASSIGN_OR_RETURN(bool retired, communities.RetireServiceAccount("concord-lifecycle"));
  if (retired) spdlog::info("disabled the system account concord-lifecycle (one per node now)");
  communities::MountHttpApi(server, communities);
  CommunitiesRuntime* r = rt.get();
  const auto& config = services.config;
  // The Communities scheduler (reference 5.1).
  CONCORD_ASSIGN_OR_RETURN(
      rt->tasks,
      scheduler::Scheduler::Create(
          services.communities_db,
          {{"fullDelete", config.full_delete_interval,
            [&communities]() -> Status {
              CONCORD_ASSIGN_OR_RETURN(int64_t n, communities.PurgeExpired(NowMillis()));
              if (n > 0) spdlog::info("fullDelete: purged {} communities from the trash", n);
              return Ok();
            }},
           {"LifecycleRetryQueuedEvents", config.retry_queued_events_interval,
            [r]() -> Status {
              if (!r->dispatcher) return Unavailable("the dispatcher is not running");
              auto outcome = r->dispatcher->Retry({});
              if (outcome.delivered > 0) {
                spdlog::info("retried {} queued lifecycle events", outcome.delivered);
              }
              if (!outcome.not_retried.empty()) {
                std::string why;
                for (const auto& [app, e] : outcome.not_retried) {
                  why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", app, e);
                }
                return Unavailable("queued lifecycle events not retried: " + why);
              }
              if (outcome.still_queued > 0) {
                return Unavailable(
                    fmt::format("{} lifecycle events are still queued", outcome.still_queued));
              }
              return Ok();
            }},
           {"EventLogCleanup", config.event_log_cleanup_interval,
            [&communities, days = config.event_log_retention_days]() -> Status {
              CONCORD_ASSIGN_OR_RETURN(
                  int64_t n, communities.TrimEventLog(NowMillis() - days * kMillisPerDay));
              if (n > 0) spdlog::info("EventLogCleanup: removed {} old lifecycle events", n);
              return Ok();
            }}}));
  communities::MountSchedulerApi(server, *rt->tasks);
  // The deployment as this node sees it: the console and `concord recover` route by it.
  server.Get("/communities/api/admin/deployment", http::Access::kAdministrator,
             [r](const http::Request&) -> Result<http::Response> {
               if (!r->agent) return Unavailable("this node is still starting");
               CONCORD_ASSIGN_OR_RETURN(auto view, r->agent->View());
               return http::Response::Json(200, view);
             });
  communities::MountSyncApi(server, communities);
  communities::MountResyncApi(server, communities);
  communities::MountQueueApi(
      server, communities,
      [r](const communities::RetryFilter& f) -> Result<communities::RetryOutcome> {
        if (!r->dispatcher) return Unavailable("the lifecycle dispatcher is not running yet");
        return r->dispatcher->Retry(f);
      });
  communities::MountEventLogApi(
      server, communities,
      [r](const std::string& app, int64_t after,
          bool forwarded) -> Result<communities::ReplayOutcome> {
        if (!r->dispatcher) return Unavailable("the lifecycle dispatcher is not running yet");
        return r->dispatcher->Replay(app, after, forwarded);
      });
  return rt;
}

void StartCommunities(CommunitiesRuntime& rt, OpenedServices& services,
                      const std::vector<std::string>& selected, const std::string& url,
                      DeploymentAgent::Options agent) {
  std::vector<communities::HandlerEndpoint> handlers;
  for (const auto& app : HostedRemoteApps(selected)) {
    const auto* def = lifecycle::FindWidgetDef(app);
    handlers.push_back({app, fmt::format("{}/{}/api/lifecycle/{}", url, def->application, app)});
  }
  for (const auto& [app, handler] : services.config.handler_urls) {
    auto it = std::find_if(handlers.begin(), handlers.end(),
                           [&](auto& h) { return h.remote_app_def_id == app; });
    if (it != handlers.end()) {
      it->url = handler;
    } else {
      handlers.push_back({app, handler});
    }
  }
  rt.dispatcher = std::make_unique<communities::Dispatcher>(communities::DispatcherOptions{
      .database = services.communities_db,
      .handlers = handlers,
      .user = rt.lifecycle_login,
      .password = rt.lifecycle_password,
      // Pausing the task pauses the workers' own retries too.
      .retry_paused =
          [tasks = rt.tasks.get()] {
            auto d = tasks->Details("LifecycleRetryQueuedEvents");
            return d && d->status == scheduler::TaskStatus::kSuspended;
          },
      .progress = services.deliveries,
      // Several nodes share a PostgreSQL database only: on SQLite (one node) there is nobody to
      // share the deliveries with, and no lease to renew every second.
      .cluster = services.communities_db->backend() == db::Backend::kPostgres
                     ? rt.cluster
                     : std::shared_ptr<communities::Cluster>()});
  *services.on_events = [d = rt.dispatcher.get()] { d->Notify(); };
  // The processes it delivers to, and the other Communities nodes (whose directories cache
  // verified credentials too), forget them.
  services.communities->OnCredentialsChanged([r = &rt] {
    r->dispatcher->CredentialsChanged();
    if (r->agent) r->agent->CredentialsChanged();
  });
  rt.dispatcher->Start();
  rt.tasks->Start();
  agent.cluster = rt.cluster;
  agent.user = rt.lifecycle_login;
  agent.password = rt.lifecycle_password;
  agent.held = [d = rt.dispatcher.get()] { return d->Held(); };
  rt.agent = std::make_unique<DeploymentAgent>(std::move(agent));
  rt.agent->Start();
}

}  // namespace concord::cli
