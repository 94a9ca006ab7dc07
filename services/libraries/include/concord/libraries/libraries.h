#pragma once
// The Libraries service (remoteAppDefId Library), standing in for an external content manager:
// each community's document library and its documents. Its view of each community is the
// shared synced record (libs/remoteapp), and access to content follows that record.

#include <memory>

#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::http {
class Server;
}

namespace concord::libraries {

// V001 (the shared synced record) and the service's own migrations.
db::MigrationList Migrations();

// This application as the registry knows it (application.cc; libs/apps).
const apps::Application& Describe();

// The service over its migrated database: what `concord serve` hosts.
std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context);

class LibrariesService final : public remoteapp::Service {
 public:
  // Over the service's own database, already migrated.
  explicit LibrariesService(std::shared_ptr<db::Database> database);
  ~LibrariesService();

  // Mounts /libraries/api: the lifecycle handler and the content API (docs/http-api.md).
  void Mount(http::Server& server) override;
  remoteapp::RemoteApplication& application() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace concord::libraries
