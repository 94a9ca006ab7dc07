#include "store/cluster_store.h"

#include <fmt/format.h>

#include <sstream>

namespace concord::communities::store {
namespace {

constexpr std::string_view kNodeColumns =
    "node_id, url, services, version, details, started_at, last_seen";

std::vector<std::string> SplitServices(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

NodeRecord NodeFrom(const db::Rows& rows) {
  return NodeRecord{.node_id = rows.Text(0),
                    .url = rows.Text(1),
                    .services = SplitServices(rows.Text(2)),
                    .version = rows.Text(3),
                    .details = rows.Text(4),
                    .started_at = rows.Int(5),
                    .last_seen = rows.Int(6)};
}

}  // namespace

Status ClusterStore::PutNode(db::Connection& c, const NodeRecord& n,
                             const std::string& services) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO deployment_nodes (node_id, url, services, version, details, started_at, "
      "last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (node_id) DO UPDATE SET "
      "url = $2, services = $3, version = $4, details = $5, started_at = $6, last_seen = $7",
      n.node_id, n.url, services, n.version, n.details, n.started_at, n.last_seen));
  return Ok();
}

Status ClusterStore::DeleteNode(db::Connection& c, const std::string& node_id) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM deployment_nodes WHERE node_id = $1", node_id));
  return Ok();
}

Result<int64_t> ClusterStore::ForgetNodesSeenBefore(db::Connection& c, Millis before) const {
  return c.Execute("DELETE FROM deployment_nodes WHERE last_seen < $1", before);
}

Result<std::vector<NodeRecord>> ClusterStore::Nodes(db::Connection& c) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query(fmt::format("SELECT {} FROM deployment_nodes ORDER BY url, node_id", kNodeColumns)));
  std::vector<NodeRecord> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    out.push_back(NodeFrom(rows));
  }
  return out;
}

Result<std::optional<NodeRecord>> ClusterStore::Node(db::Connection& c,
                                                     const std::string& node_id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query(fmt::format("SELECT {} FROM deployment_nodes WHERE node_id = $1", kNodeColumns),
              node_id));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (!has) return std::optional<NodeRecord>();
  return std::optional(NodeFrom(rows));
}

Result<std::optional<LeaseRecord>> ClusterStore::Lease(db::Connection& c,
                                                       const std::string& app) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT node_id, expires_at FROM delivery_leases WHERE remote_app_def_id = $1", app));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (!has) return std::optional<LeaseRecord>();
  return std::optional(LeaseRecord{app, rows.Text(0), rows.Int(1)});
}

Status ClusterStore::PutLease(db::Connection& c, const LeaseRecord& l) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO delivery_leases (remote_app_def_id, node_id, expires_at) VALUES "
                "($1, $2, $3) ON CONFLICT (remote_app_def_id) DO UPDATE SET node_id = $2, "
                "expires_at = $3",
                l.remote_app_def_id, l.node_id, l.expires_at));
  return Ok();
}

Status ClusterStore::DeleteLease(db::Connection& c, const std::string& app,
                                 const std::string& node_id) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "DELETE FROM delivery_leases WHERE remote_app_def_id = $1 AND node_id = $2", app, node_id));
  return Ok();
}

Result<std::vector<LeaseRecord>> ClusterStore::Leases(db::Connection& c) const {
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows,
                           c.Query("SELECT remote_app_def_id, node_id, expires_at FROM "
                                   "delivery_leases ORDER BY remote_app_def_id"));
  std::vector<LeaseRecord> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    out.push_back({rows.Text(0), rows.Text(1), rows.Int(2)});
  }
  return out;
}

Status ClusterStore::DeliveryCounts(
    db::Connection& c, const std::function<void(const std::string&, bool, int64_t)>& fn) const {
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows,
                           c.Query("SELECT remote_app_def_id, state, COUNT(*) FROM event_queue "
                                   "GROUP BY remote_app_def_id, state"));
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    fn(rows.Text(0), rows.TextView(1) == "queued", rows.Int(2));
  }
  return Ok();
}

Result<std::optional<std::string>> ClusterStore::Setting(db::Connection& c,
                                                         const std::string& name) const {
  CONCORD_ASSIGN_OR_RETURN(
      auto values, c.QueryTexts("SELECT value FROM deployment_settings WHERE name = $1", name));
  if (values.empty()) return std::optional<std::string>();
  return std::optional(values[0]);
}

Status ClusterStore::PutSetting(db::Connection& c, const std::string& name,
                                const std::string& value) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO deployment_settings (name, value) VALUES ($1, $2) ON CONFLICT "
                "(name) DO UPDATE SET value = $2",
                name, value));
  return Ok();
}

}  // namespace concord::communities::store
