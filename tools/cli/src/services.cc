#include "services.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <type_traits>

#include "concord/activities/activities.h"
#include "concord/base/secrets.h"
#include "concord/blogs/blogs.h"
#include "concord/files/files.h"
#include "concord/forums/forums.h"
#include "concord/libraries/libraries.h"
#include "concord/lifecycle/events.h"
#include "concord/lifecycle/widgets.h"
#include "concord/news/news.h"
#include "concord/wikis/wikis.h"

namespace concord::cli {

namespace {

// Every remote application service has the same shape: built over its migrated database, it
// mounts its API and lifecycle handler.
template <typename Service>
Result<HostedApplication> Host(const deployment::DataDir& dir, std::string service,
                               std::vector<std::string> remote_apps, db::MigrationList migrations) {
  HostedApplication h;
  h.service = service;
  h.remote_apps = std::move(remote_apps);
  h.migrations = migrations;
  CONCORD_ASSIGN_OR_RETURN(h.database,
                           db::Database::Open("sqlite:" + service + ".db", {.base_dir = dir.root}));
  CONCORD_RETURN_IF_ERROR(db::Migrate(*h.database, migrations, service));
  std::shared_ptr<Service> instance;
  if constexpr (std::is_constructible_v<Service, std::shared_ptr<db::Database>,
                                        std::filesystem::path>) {
    instance = std::make_shared<Service>(h.database, dir.root / (service + "-content"));  // Files
  } else {
    instance = std::make_shared<Service>(h.database);
  }
  h.mount = [instance](http::Server& server) { instance->Mount(server); };
  h.application = &instance->application();
  h.instance = instance;
  return h;
}

struct HostedKind {
  const char* service;
  std::vector<std::string> remote_apps;
  Result<HostedApplication> (*open)(const deployment::DataDir&, std::string,
                                    std::vector<std::string>);
  db::MigrationList (*migrations)();
};

// The remote application services this binary hosts. Adding an application is one line here.
template <typename Service, db::MigrationList (*kMigrations)()>
Result<HostedApplication> Open(const deployment::DataDir& dir, std::string service,
                               std::vector<std::string> remote_apps) {
  return Host<Service>(dir, std::move(service), std::move(remote_apps), kMigrations());
}

// The remote application services this binary hosts. Adding an application is one line here.
const std::vector<HostedKind>& Kinds() {
  static const std::vector<HostedKind> kinds = {
      {"blogs",
       {"Blog", "IdeationBlog"},
       &Open<blogs::BlogsService, &blogs::Migrations>,
       &blogs::Migrations},
      {"forums", {"Forum"}, &Open<forums::ForumsService, &forums::Migrations>, &forums::Migrations},
      {"wikis", {"Wiki"}, &Open<wikis::WikisService, &wikis::Migrations>, &wikis::Migrations},
      {"news", {"StatusUpdates"}, &Open<news::NewsService, &news::Migrations>, &news::Migrations},
      {"libraries",
       {"Library"},
       &Open<libraries::LibrariesService, &libraries::Migrations>,
       &libraries::Migrations},
      {"activities",
       {"Activities"},
       &Open<activities::ActivitiesService, &activities::Migrations>,
       &activities::Migrations},
      {"files", {"Files"}, &Open<files::FilesService, &files::Migrations>, &files::Migrations},
  };
  return kinds;
}

bool Selected(const std::vector<std::string>& services, const std::string& name) {
  return std::find(services.begin(), services.end(), name) != services.end();
}

Result<std::vector<HostedApplication>> HostApplications(const deployment::DataDir& dir,
                                                        const std::vector<std::string>& services) {
  std::vector<HostedApplication> out;
  for (const auto& k : Kinds()) {
    if (!Selected(services, k.service)) continue;
    CONCORD_ASSIGN_OR_RETURN(auto h, k.open(dir, k.service, k.remote_apps));
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace

std::vector<std::string> ServiceNames() {
  std::vector<std::string> out = {"communities"};
  for (const auto& k : Kinds()) out.push_back(k.service);
  return out;
}

db::MigrationList MigrationsOf(const std::string& service) {
  if (service == "communities") return communities::Migrations();
  for (const auto& k : Kinds()) {
    if (k.service == service) return k.migrations();
  }
  return {};
}

std::string DatabaseUrl(const deployment::Config& config, const std::string& service) {
  return service == "communities" ? config.communities_database : "sqlite:" + service + ".db";
}

std::vector<std::string> HostedRemoteApps(const std::vector<std::string>& services) {
  std::vector<std::string> out;
  for (const auto& k : Kinds()) {
    if (Selected(services, k.service))
      out.insert(out.end(), k.remote_apps.begin(), k.remote_apps.end());
  }
  return out;
}

Result<OpenedServices> OpenServices(const deployment::DataDir& dir,
                                    const std::vector<std::string>& services) {
  CONCORD_RETURN_IF_ERROR(InitSecrets());
  auto known = ServiceNames();
  for (const auto& name : services) {
    if (!Selected(known, name)) {
      return InvalidArgument("services", fmt::format("unknown service '{}'", name.substr(0, 40)),
                             known);
    }
  }
  if (services.empty()) return InvalidArgument("services", "name at least one service", known);
  OpenedServices s;
  CONCORD_ASSIGN_OR_RETURN(s.config, deployment::LoadConfig(dir));
  if (auto id = deployment::LoadOrCreateDeploymentId(dir); !id) return std::unexpected(id.error());
  CONCORD_ASSIGN_OR_RETURN(s.applications, HostApplications(dir, services));
  // Applied events are remembered as long as Communities keeps its event log.
  for (auto& a : s.applications) {
    a.application->set_applied_event_retention(
        std::chrono::days(s.config.event_log_retention_days));
  }
  if (!Selected(services, "communities")) return s;
  // Every application with a handler hears lifecycle events: those served here, and those
  // configured under [lifecycle.handlers].
  communities::Subscriptions subscriptions{.applications = HostedRemoteApps(services),
                                           .without_widget = {"Activities", "Files"}};
  for (const auto& [app, names] : s.config.event_subscriptions) {
    if (!lifecycle::FindWidgetDef(app) || !lifecycle::FindWidgetDef(app)->remote) {
      return InvalidArgument("lifecycle.events." + app,
                             fmt::format("'{}' is not a remote application", app.substr(0, 40)),
                             lifecycle::RemoteWidgetDefIds());
    }
    auto& types = subscriptions.events[app];
    for (const auto& name : names) {
      auto type = lifecycle::ParseEventType(name);
      if (!type) {
        auto e = type.error();
        e.field = "lifecycle.events." + app;
        return std::unexpected(e);
      }
      types.insert(*type);
    }
  }
  for (const auto& [app, url] : s.config.handler_urls) {
    if (std::find(subscriptions.applications.begin(), subscriptions.applications.end(), app) ==
        subscriptions.applications.end()) {
      subscriptions.applications.push_back(app);
    }
  }
  CONCORD_ASSIGN_OR_RETURN(s.communities_db,
                           db::Database::Open(s.config.communities_database,
                                              {.base_dir = dir.root, .max_connections = 8}));
  CONCORD_RETURN_IF_ERROR(db::Migrate(*s.communities_db, communities::Migrations(), "communities"));
  auto on_events = s.on_events;
  s.communities = std::make_unique<communities::CommunitiesService>(
      communities::ServiceOptions{.database = s.communities_db,
                                  .trash_retention_days = s.config.trash_retention_days,
                                  .subscriptions = subscriptions,
                                  .events_committed = [on_events] {
                                    if (*on_events) (*on_events)();
                                  }});
  CONCORD_ASSIGN_OR_RETURN(
      bool created, s.communities->EnsureInitialAdmin([&](const std::string& password) {
        return deployment::WriteCredentials(dir.Credentials(), {"admin", password});
      }));
  if (created) {
    spdlog::info("created the administrator 'admin'; its password is in {}",
                 dir.Credentials().string());
  }
  return s;
}

}  // namespace concord::cli
