#pragma once
// The Blogs service (remoteAppDefIds Blog and IdeationBlog): each community's blog or ideation
// blog, with entries (ideas, in an ideation blog), comments and votes. Its view of each
// community is the shared synced record (libs/remoteapp), and access to content follows that
// record: a restricted community's blog does not exist for a non-member (404).

#include <memory>

#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::blogs {

// V001 (the shared synced record) and the service's own migrations.
db::MigrationList Migrations();

// This application as the registry knows it (application.cc; libs/apps).
const apps::Application& Describe();

// The service over its migrated database: what `concord serve` hosts.
std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context);

}  // namespace concord::blogs
