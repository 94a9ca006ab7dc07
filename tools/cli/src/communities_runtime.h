#pragma once
// What runs beside the Communities service in `concord serve`: the node's lifecycle system
// account, the dispatcher that delivers its events (leased per application when several nodes
// share the database), its scheduler, and the node's part in the deployment.

#include <memory>
#include <string>
#include <vector>

#include "concord/communities/cluster.h"
#include "concord/communities/dispatcher.h"
#include "concord/deployment/deployment.h"
#include "concord/http/server.h"
#include "concord/scheduler/scheduler.h"
#include "node.h"
#include "services.h"

namespace concord::cli {

struct CommunitiesRuntime {
  std::string lifecycle_login;  // this node's system account: concord-lifecycle-<node>
  std::string lifecycle_password;
  std::shared_ptr<communities::Cluster> cluster;
  std::unique_ptr<communities::Dispatcher> dispatcher;
  std::unique_ptr<scheduler::Scheduler> tasks;
  std::unique_ptr<DeploymentAgent> agent;
};

// Creates the node's system account (a new password at every start, in
// <data-dir>/lifecycle.credentials), mounts Communities' APIs and creates its scheduler.
Result<std::unique_ptr<CommunitiesRuntime>> PrepareCommunities(const deployment::DataDir& dir,
                                                               OpenedServices& services,
                                                               http::Server& server,
                                                               const std::string& node_id);

// Starts the dispatcher (deliveries go to each application's handler: in this process at
// `url`, or where [lifecycle.handlers] says), the scheduler and the deployment agent.
void StartCommunities(CommunitiesRuntime& rt, OpenedServices& services,
                      const std::vector<std::string>& selected, const std::string& url,
                      DeploymentAgent::Options agent);

}  // namespace concord::cli
