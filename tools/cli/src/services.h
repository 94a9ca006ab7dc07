#pragma once
// Opening a deployment's services from its data directory: shared by `serve` and the offline
// commands (`populate`), so that both migrate and initialize the databases the same way.

#include <functional>
#include <memory>

#include "concord/blogs/blogs.h"
#include "concord/communities/service.h"
#include "concord/deployment/deployment.h"

namespace concord::cli {

struct OpenedServices {
  deployment::Config config;
  std::shared_ptr<db::Database> communities_db;
  std::shared_ptr<db::Database> blogs_db;
  std::unique_ptr<communities::CommunitiesService> communities;
  std::unique_ptr<blogs::BlogsService> blogs;
  // Called when lifecycle events have been committed; serve points it at the dispatcher.
  std::shared_ptr<std::function<void()>> on_events = std::make_shared<std::function<void()>>();
};

// The remote applications this binary serves in-process, by remoteAppDefId.
std::vector<std::string> InProcessApplications();

// Loads the configuration, opens and migrates every service database, and creates the first
// administrator (writing <data-dir>/admin.credentials) if the user directory is empty.
Result<OpenedServices> OpenServices(const deployment::DataDir& dir);

// Sets up logging to stderr at `level` ("trace" ... "error").
void InitLogging(const std::string& level);

}  // namespace concord::cli
