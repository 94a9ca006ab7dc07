#pragma once
// SQL of the node registry, the delivery leases and the deployment's shared settings.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "concord/communities/cluster.h"
#include "concord/db/database.h"

namespace concord::communities::store {

class ClusterStore {
 public:
  Status PutNode(db::Connection& c, const NodeRecord& node, const std::string& services) const;
  Status DeleteNode(db::Connection& c, const std::string& node_id) const;
  Result<int64_t> ForgetNodesSeenBefore(db::Connection& c, Millis before) const;
  Result<std::vector<NodeRecord>> Nodes(db::Connection& c) const;
  Result<std::optional<NodeRecord>> Node(db::Connection& c, const std::string& node_id) const;

  Result<std::optional<LeaseRecord>> Lease(db::Connection& c, const std::string& app) const;
  Status PutLease(db::Connection& c, const LeaseRecord& lease) const;
  Status DeleteLease(db::Connection& c, const std::string& app, const std::string& node_id) const;
  Result<std::vector<LeaseRecord>> Leases(db::Connection& c) const;

  // Calls `fn(app, queued, count)` for each application and delivery state in the queue.
  Status DeliveryCounts(db::Connection& c,
                        const std::function<void(const std::string&, bool, int64_t)>& fn) const;

  Result<std::optional<std::string>> Setting(db::Connection& c, const std::string& name) const;
  Status PutSetting(db::Connection& c, const std::string& name, const std::string& value) const;
};

}  // namespace concord::communities::store
