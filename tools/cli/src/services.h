#pragma once
// Opening a deployment's services from its data directory: shared by `serve` and the offline
// commands (`populate`), so that both migrate and initialize the databases the same way.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "concord/communities/service.h"
#include "concord/db/migration.h"
#include "concord/deployment/deployment.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::http {
class Server;
}

namespace concord::cli {

// What `concord serve` can host of a registered application (its folder's public header):
// generated from CONCORD_APPLICATIONS (tools/cli/CMakeLists.txt), in the registry's order.
struct HostableApplication {
  const apps::Application& (*describe)();
  db::MigrationList (*migrations)();
  std::unique_ptr<remoteapp::Service> (*open)(const remoteapp::ServiceContext&);
};
const std::vector<HostableApplication>& HostableApplications();

// A remote application service hosted by this process, with its database.
struct HostedApplication {
  std::string service;                   // "blogs": its database is <service>.db
  std::vector<std::string> remote_apps;  // the remoteAppDefIds it serves
  std::shared_ptr<db::Database> database;
  std::function<void(http::Server&)> mount;
  db::MigrationList migrations;
  remoteapp::RemoteApplication* application = nullptr;  // the shared lifecycle mechanism
  std::shared_ptr<void> instance;                       // keeps the service alive
};

struct OpenedServices {
  deployment::Config config;
  std::shared_ptr<db::Database> communities_db;
  std::unique_ptr<communities::CommunitiesService> communities;
  std::vector<HostedApplication> applications;
  // Called when lifecycle events have been committed; serve points it at the dispatcher.
  std::shared_ptr<std::function<void()>> on_events = std::make_shared<std::function<void()>>();
  // What the dispatcher reports as it delivers, for the waits of resync and assignment.
  std::shared_ptr<communities::DeliveryProgress> deliveries =
      std::make_shared<communities::DeliveryProgress>();
};

// Every service name `--services` accepts: "communities" and the application services.
std::vector<std::string> ServiceNames();

// The content stores beside the databases ("files-content": an application's with
// has_content_store), which backup, restore and recover name like services.
std::vector<std::string> ContentStoreNames();
// The service whose content store `name` is ("files" for "files-content"), if it is one.
std::optional<std::string> ContentStoreOwner(const std::string& name);

// The schema migrations of a service ("communities" or an application service); empty for an
// unknown name.
db::MigrationList MigrationsOf(const std::string& service);

// The database URL of a service in a deployment configured by `config`.
std::string DatabaseUrl(const deployment::Config& config, const std::string& service);
// Opens a service's database where `config` places it (SQLite in the data directory by
// default, or PostgreSQL with its password file); errors name the service.
Result<std::shared_ptr<db::Database>> OpenServiceDatabase(const deployment::DataDir& dir,
                                                          const deployment::Config& config,
                                                          const std::string& service,
                                                          int max_connections = 8);
// An application's content store directory (<data-dir>/<service>-content unless configured).
std::filesystem::path ContentDir(const deployment::DataDir& dir, const deployment::Config& config,
                                 const std::string& service);

// The remoteAppDefIds hosted by the selected application services.
std::vector<std::string> HostedRemoteApps(const std::vector<std::string>& services);

// Loads the configuration and opens and migrates the databases of the selected services (all by
// default). With Communities selected, it creates the first administrator (writing
// <data-dir>/admin.credentials) if the user directory is empty. kInvalidArgument for an unknown
// service name.
Result<OpenedServices> OpenServices(const deployment::DataDir& dir,
                                    const std::vector<std::string>& services = ServiceNames());

// Sets up logging to stderr at `level` ("trace" ... "error").

}  // namespace concord::cli
