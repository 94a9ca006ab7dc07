#pragma once
// The Activities service (remoteAppDefId Activities): community activities (a community may own
// several) and personal activities, which may have users and communities as members; each
// activity has entries and to-dos. Its view of each community is the shared synced record
// (libs/remoteapp), kept also for communities without the Activities widget, because personal
// activities may have them as members.

#include <memory>

#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::activities {

// V001 (the shared synced record) and the service's own migrations.
db::MigrationList Migrations();

// This application as the registry knows it (application.cc; libs/apps).
const apps::Application& Describe();

// The service over its migrated database: what `concord serve` hosts.
std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context);

}  // namespace concord::activities
