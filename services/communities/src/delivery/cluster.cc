#include "concord/communities/cluster.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "store/cluster_store.h"

namespace concord::communities {
namespace {
const store::ClusterStore kCluster;
}  // namespace

Status Cluster::Heartbeat(const NodeRecord& self) {
  NodeRecord n = self;
  n.node_id = node_id_;
  n.last_seen = NowMillis();
  return database_->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Status {
    // A node that died (it did not leave) is shown as down for a day, then forgotten.
    CONCORD_RETURN_IF_ERROR(
        kCluster.ForgetNodesSeenBefore(c, n.last_seen - kForgetNodeAfterMillis));
    return kCluster.PutNode(c, n, fmt::format("{}", fmt::join(n.services, ",")));
  });
}

Status Cluster::Leave() {
  return database_->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(auto leases, kCluster.Leases(c));
    for (const auto& l : leases) {
      if (l.node_id == node_id_) {
        CONCORD_RETURN_IF_ERROR(kCluster.DeleteLease(c, l.remote_app_def_id, node_id_));
      }
    }
    return kCluster.DeleteNode(c, node_id_);
  });
}

Result<std::vector<NodeRecord>> Cluster::Nodes() const {
  return database_->InTransaction(db::TxMode::kRead,
                                  [&](db::Connection& c) { return kCluster.Nodes(c); });
}

Result<std::set<std::string>> Cluster::AcquireLeases(const std::vector<std::string>& apps,
                                                     std::chrono::milliseconds ttl) {
  // One write transaction: writers are serialized (SQLite's BEGIN IMMEDIATE, PostgreSQL's
  // advisory lock), so two nodes never both see a lease free and both take it.
  return database_->InTransaction(
      db::TxMode::kWrite, [&](db::Connection& c) -> Result<std::set<std::string>> {
        Millis now = NowMillis();
        std::set<std::string> held;
        for (const auto& app : apps) {
          CONCORD_ASSIGN_OR_RETURN(auto lease, kCluster.Lease(c, app));
          if (lease && lease->node_id != node_id_ && lease->expires_at > now) continue;
          CONCORD_RETURN_IF_ERROR(kCluster.PutLease(c, {app, node_id_, now + ttl.count()}));
          held.insert(app);
        }
        return held;
      });
}

Status Cluster::ReleaseLeases(const std::vector<std::string>& apps) {
  return database_->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Status {
    for (const auto& app : apps) CONCORD_RETURN_IF_ERROR(kCluster.DeleteLease(c, app, node_id_));
    return Ok();
  });
}

Result<std::vector<LeaseRecord>> Cluster::Leases() const {
  return database_->InTransaction(db::TxMode::kRead,
                                  [&](db::Connection& c) { return kCluster.Leases(c); });
}

Result<std::optional<NodeRecord>> Cluster::Holder(const std::string& app) const {
  return database_->InTransaction(
      db::TxMode::kRead, [&](db::Connection& c) -> Result<std::optional<NodeRecord>> {
        CONCORD_ASSIGN_OR_RETURN(auto lease, kCluster.Lease(c, app));
        if (!lease || lease->node_id == node_id_ || lease->expires_at <= NowMillis()) {
          return std::optional<NodeRecord>();
        }
        return kCluster.Node(c, lease->node_id);
      });
}

Result<std::map<std::string, Cluster::Deliveries>> Cluster::DeliveryCounts() const {
  return database_->InTransaction(
      db::TxMode::kRead, [&](db::Connection& c) -> Result<std::map<std::string, Deliveries>> {
        std::map<std::string, Deliveries> out;
        CONCORD_RETURN_IF_ERROR(
            kCluster.DeliveryCounts(c, [&](const std::string& app, bool queued, int64_t n) {
              (queued ? out[app].queued : out[app].pending) += n;
            }));
        return out;
      });
}

Result<std::optional<std::string>> Cluster::Setting(const std::string& name) const {
  return database_->InTransaction(db::TxMode::kRead,
                                  [&](db::Connection& c) { return kCluster.Setting(c, name); });
}

Status Cluster::SetSetting(const std::string& name, const std::string& value) {
  return database_->InTransaction(
      db::TxMode::kWrite, [&](db::Connection& c) { return kCluster.PutSetting(c, name, value); });
}

}  // namespace concord::communities
