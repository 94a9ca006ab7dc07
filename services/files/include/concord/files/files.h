#pragma once
// The Files service (remoteAppDefId Files): each community's file library with folders and
// files, and each user's personal library, whose files may be shared with communities. File
// content is kept on disk (one file per stored file, named by its id) with a SHA-256 checksum in
// the database. Its view of each community is the shared synced record (libs/remoteapp), kept
// also for communities without the Files widget, because files may be shared with them.

#include <filesystem>
#include <memory>

#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::http {
class Server;
}

namespace concord::files {

// V001 (the shared synced record) and the service's own migrations.
db::MigrationList Migrations();

// This application as the registry knows it (application.cc; libs/apps).
const apps::Application& Describe();

// The service over its migrated database: what `concord serve` hosts.
std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context);

class FilesService final : public remoteapp::Service {
 public:
  // Over the service's own database, already migrated; content lives under `content_dir`.
  FilesService(std::shared_ptr<db::Database> database, std::filesystem::path content_dir);
  ~FilesService();

  // Mounts /files/api: the lifecycle handler and the content API (docs/http-api.md).
  void Mount(http::Server& server) override;
  remoteapp::RemoteApplication& application() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace concord::files
