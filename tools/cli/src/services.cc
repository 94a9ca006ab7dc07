#include "services.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "concord/apps/registry.h"
#include "concord/base/secrets.h"
#include "concord/lifecycle/events.h"
#include "concord/lifecycle/widgets.h"

namespace concord::cli {

namespace {

// Databases opened before anything was written (PreflightDatabases), by service.
using OpenedDatabases = std::map<std::string, std::shared_ptr<db::Database>>;

// A service's database: the one the preflight opened, or opened now; migrated and claimed for
// this deployment.
Result<std::shared_ptr<db::Database>> Prepare(const deployment::DataDir& dir,
                                              const deployment::Config& config,
                                              OpenedDatabases& opened, const std::string& service,
                                              db::MigrationList migrations,
                                              const std::string& deployment_id) {
  std::shared_ptr<db::Database> database;
  if (auto it = opened.find(service); it != opened.end()) {
    database = it->second;
  } else {
    CONCORD_ASSIGN_OR_RETURN(database, OpenServiceDatabase(dir, config, service));
  }
  CONCORD_RETURN_IF_ERROR(db::Migrate(*database, migrations, service));
  CONCORD_RETURN_IF_ERROR(db::ClaimDatabase(*database, service, deployment_id));
  return database;
}

// An application service over its database (concord.toml's, by default in the data
// directory), migrated.
Result<HostedApplication> Host(const deployment::DataDir& dir, const deployment::Config& config,
                               OpenedDatabases& opened, const std::string& deployment_id,
                               const HostableApplication& kind) {
  const apps::Application& a = kind.describe();
  HostedApplication h;
  h.service = a.service;
  for (const auto& w : a.widgets) h.remote_apps.emplace_back(w.def_id);
  h.migrations = kind.migrations();
  CONCORD_ASSIGN_OR_RETURN(h.database,
                           Prepare(dir, config, opened, h.service, h.migrations, deployment_id));
  std::shared_ptr<remoteapp::Service> instance =
      kind.open({.database = h.database, .content_dir = ContentDir(dir, config, h.service)});
  h.mount = [instance](http::Server& server) { instance->Mount(server); };
  h.application = &instance->application();
  h.instance = instance;
  return h;
}

bool Selected(const std::vector<std::string>& services, const std::string& name) {
  return std::find(services.begin(), services.end(), name) != services.end();
}

Result<std::vector<HostedApplication>> HostApplications(const deployment::DataDir& dir,
                                                        const deployment::Config& config,
                                                        OpenedDatabases& opened,
                                                        const std::string& deployment_id,
                                                        const std::vector<std::string>& services) {
  std::vector<HostedApplication> out;
  for (const auto& k : HostableApplications()) {
    if (!Selected(services, std::string(k.describe().service))) continue;
    CONCORD_ASSIGN_OR_RETURN(auto h, Host(dir, config, opened, deployment_id, k));
    out.push_back(std::move(h));
  }
  return out;
}

// Before anything is written: every selected service's PostgreSQL database opened (reachable,
// credentials accepted, text sorted byte-wise) and checked (a schema this Concord knows, this
// deployment's own). Any failure is bad configuration (exit 2), naming the service.
Result<OpenedDatabases> PreflightDatabases(const deployment::DataDir& dir,
                                           const deployment::Config& config,
                                           const std::vector<std::string>& services,
                                           const std::string& deployment_id) {
  OpenedDatabases opened;
  for (const auto& service : services) {
    if (config.Storage(service).database.starts_with("sqlite:")) continue;
    auto refuse = [&](Error e) -> Error {
      e.code = ErrorCode::kInvalidArgument;
      if (!e.message.starts_with("the " + service + " database")) {
        e.message = fmt::format("the {} database: {}", service, e.message);
      }
      e.field = service + ".database";
      return e;
    };
    auto db = OpenServiceDatabase(dir, config, service);
    if (!db) return std::unexpected(refuse(db.error()));
    if (auto s = db::CheckDatabase(**db, MigrationsOf(service), service, deployment_id); !s) {
      return std::unexpected(refuse(s.error()));
    }
    opened[service] = *db;
  }
  return opened;
}

}  // namespace

std::vector<std::string> ServiceNames() {
  std::vector<std::string> out = {"communities"};
  for (const auto& name : apps::ServiceNames()) out.push_back(name);
  return out;
}

std::vector<std::string> ContentStoreNames() {
  std::vector<std::string> out;
  for (const apps::Application* a : apps::All()) {
    if (a->has_content_store) out.push_back(std::string(a->service) + "-content");
  }
  return out;
}

std::optional<std::string> ContentStoreOwner(const std::string& name) {
  for (const apps::Application* a : apps::All()) {
    if (a->has_content_store && name == std::string(a->service) + "-content") {
      return std::string(a->service);
    }
  }
  return std::nullopt;
}

db::MigrationList MigrationsOf(const std::string& service) {
  if (service == "communities") return communities::Migrations();
  for (const auto& k : HostableApplications()) {
    if (k.describe().service == service) return k.migrations();
  }
  return {};
}

std::string DatabaseUrl(const deployment::Config& config, const std::string& service) {
  return config.Storage(service).database;
}

Result<std::shared_ptr<db::Database>> OpenServiceDatabase(const deployment::DataDir& dir,
                                                          const deployment::Config& config,
                                                          const std::string& service,
                                                          int max_connections) {
  deployment::ServiceStorage st = config.Storage(service);
  auto db = db::Database::Open(st.database, {.base_dir = dir.root,
                                             .max_connections = max_connections,
                                             .password_file = st.password_file});
  if (!db) {
    // Name the service and where its database is configured, whatever went wrong.
    Error e = db.error();
    e.message = fmt::format("the {} database: {}", service, e.message);
    if (e.field.empty()) e.field = service + ".database";
    return std::unexpected(e);
  }
  return db;
}

std::filesystem::path ContentDir(const deployment::DataDir& dir, const deployment::Config& config,
                                 const std::string& service) {
  std::string configured = config.Storage(service).content_dir;
  if (configured.empty()) return dir.root / (service + "-content");
  std::filesystem::path p(configured);
  return p.is_absolute() ? p : dir.root / p;
}

std::vector<std::string> HostedRemoteApps(const std::vector<std::string>& services) {
  std::vector<std::string> out;
  for (const apps::Application* a : apps::All()) {
    if (!Selected(services, std::string(a->service))) continue;
    for (const auto& w : a->widgets) out.emplace_back(w.def_id);
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
  // The deployment's id, without creating it yet: a data directory that never ran has none, and
  // any database already claimed is then another deployment's.
  std::string known_id;
  std::error_code ec;
  if (std::filesystem::exists(dir.DeploymentId(), ec)) {
    CONCORD_ASSIGN_OR_RETURN(known_id, deployment::LoadOrCreateDeploymentId(dir));
  }
  CONCORD_ASSIGN_OR_RETURN(OpenedDatabases opened,
                           PreflightDatabases(dir, s.config, services, known_id));
  CONCORD_ASSIGN_OR_RETURN(std::string deployment_id, deployment::LoadOrCreateDeploymentId(dir));
  CONCORD_ASSIGN_OR_RETURN(s.applications,
                           HostApplications(dir, s.config, opened, deployment_id, services));
  // Applied events are remembered as long as Communities keeps its event log.
  for (auto& a : s.applications) {
    a.application->set_applied_event_retention(
        std::chrono::days(s.config.event_log_retention_days));
  }
  if (!Selected(services, "communities")) return s;
  // Every application with a handler hears lifecycle events: those served here, and those
  // configured under [lifecycle.handlers].
  communities::Subscriptions subscriptions{.applications = HostedRemoteApps(services)};
  for (const apps::Application* a : apps::All()) {
    if (!a->tracks_communities_without_widget) continue;
    for (const auto& w : a->widgets) subscriptions.without_widget.emplace_back(w.def_id);
  }
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
  CONCORD_ASSIGN_OR_RETURN(s.communities_db, Prepare(dir, s.config, opened, "communities",
                                                     communities::Migrations(), deployment_id));
  auto on_events = s.on_events;
  s.communities = std::make_unique<communities::CommunitiesService>(
      communities::ServiceOptions{.database = s.communities_db,
                                  .trash_retention_days = s.config.trash_retention_days,
                                  .subscriptions = subscriptions,
                                  .events_committed =
                                      [on_events] {
                                        if (*on_events) (*on_events)();
                                      },
                                  .deliveries = s.deliveries});
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
