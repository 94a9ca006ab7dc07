#pragma once
// The Wikis service (remoteAppDefId Wiki): each community's wiki library, its pages and every
// version of each page. Its view of each community is the shared synced record
// (libs/remoteapp), and access to content follows that record.

#include <memory>

#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::wikis {

// V001 (the shared synced record) and the service's own migrations.
db::MigrationList Migrations();

// This application as the registry knows it (application.cc; libs/apps).
const apps::Application& Describe();

// The service over its migrated database: what `concord serve` hosts.
std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context);

}  // namespace concord::wikis
