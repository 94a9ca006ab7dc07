#pragma once
// Several Communities nodes over one database (docs/deployment.md, "Several nodes").
//
// Each node (a `concord serve` with Communities, its own data directory and node id) records
// itself in the shared database every few seconds (`Heartbeat`), so that every node knows the
// others, where they are and whether they are up. Lifecycle delivery is leased per application:
// only the node holding an application's lease delivers to it, so each application's events
// leave in sequence order from one place whichever node wrote them. A lease lasts `ttl` unless
// renewed; a node that dies stops renewing, and another takes the lease once it expired. A node
// restarted with the same id takes its own lease back at once.
//
//   Cluster cluster(db, node_id);
//   auto held = cluster.AcquireLeases({"Blog", "Forum"}, std::chrono::seconds(5));
//
// Thread-safe (every call is one transaction).

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "concord/base/clock.h"
#include "concord/base/error.h"
#include "concord/db/database.h"

namespace concord::communities {

// A node not seen for this long is down.
inline constexpr Millis kNodeDownAfterMillis = 15'000;
// A node not seen for this long (it died and never came back) leaves the registry.
inline constexpr Millis kForgetNodeAfterMillis = 24LL * 3600 * 1000;

struct NodeRecord {
  std::string node_id;
  std::string url;                    // where the other nodes and the console reach it
  std::vector<std::string> services;  // what it serves
  std::string version;
  std::string details;  // JSON object: databases, maintenance, ... (GET /api/admin/node)
  Millis started_at = 0;
  Millis last_seen = 0;
  bool Up(Millis now) const { return now - last_seen < kNodeDownAfterMillis; }
};

struct LeaseRecord {
  std::string remote_app_def_id;
  std::string node_id;
  Millis expires_at = 0;
};

class Cluster {
 public:
  Cluster(std::shared_ptr<db::Database> database, std::string node_id)
      : database_(std::move(database)), node_id_(std::move(node_id)) {}

  const std::string& node_id() const { return node_id_; }

  // Records this node as up now (its row is created or replaced); forgets nodes not seen for
  // kForgetNodeAfterMillis.
  Status Heartbeat(const NodeRecord& self);
  // A clean stop: this node leaves the registry, and gives up its leases.
  Status Leave();
  // Every node ever recorded, this one included, by URL.
  Result<std::vector<NodeRecord>> Nodes() const;

  // Takes or renews the lease of each of `apps` that is free, expired or this node's already,
  // until now + `ttl`. Returns the applications this node holds now.
  Result<std::set<std::string>> AcquireLeases(const std::vector<std::string>& apps,
                                              std::chrono::milliseconds ttl);
  Status ReleaseLeases(const std::vector<std::string>& apps);
  Result<std::vector<LeaseRecord>> Leases() const;
  // The node holding `app`'s lease when it is another node's and not expired.
  Result<std::optional<NodeRecord>> Holder(const std::string& app) const;

  // Undelivered deliveries per application: {pending, queued}.
  struct Deliveries {
    int64_t pending = 0;
    int64_t queued = 0;
  };
  Result<std::map<std::string, Deliveries>> DeliveryCounts() const;

  // Settings every node shares (the deployment's maintenance state): the value, if any.
  Result<std::optional<std::string>> Setting(const std::string& name) const;
  Status SetSetting(const std::string& name, const std::string& value);

 private:
  std::shared_ptr<db::Database> database_;
  std::string node_id_;
};

}  // namespace concord::communities
