#pragma once
// The Files service (remoteAppDefId Files): each community's file library with folders and
// files, and each user's personal library, whose files may be shared with communities. File
// content is kept on disk (one file per stored file, named by its id) with a SHA-256 checksum in
// the database. Its view of each community is the shared synced record (libs/remoteapp), kept
// also for communities without the Files widget, because files may be shared with them.

#include <memory>

#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::files {

// V001 (the shared synced record) and the service's own migrations.
db::MigrationList Migrations();

// This application as the registry knows it (application.cc; libs/apps).
const apps::Application& Describe();

// The service over its migrated database: what `concord serve` hosts.
std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context);

}  // namespace concord::files
