#pragma once
// The Forums service (remoteAppDefId Forum): each community's forums (a community may own
// several), their topics and replies. Its view of each community is the shared synced record
// (libs/remoteapp), and access to content follows that record.

#include <memory>

#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::forums {

// V001 (the shared synced record) and the service's own migrations.
db::MigrationList Migrations();

// This application as the registry knows it (application.cc; libs/apps).
const apps::Application& Describe();

// The service over its migrated database: what `concord serve` hosts.
std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context);

}  // namespace concord::forums
