#pragma once
// This process as one node of a deployment that spans processes and hosts (docs/deployment.md,
// "Several hosts and nodes"): who it is (GET /api/admin/node, every process), and, in a
// process that runs Communities, the deployment as a whole: the node registry it heartbeats
// into, where each application runs (GET /communities/api/admin/deployment, which the console
// and `concord recover` route by), and maintenance mode told to every process.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "concord/communities/cluster.h"
#include "concord/deployment/deployment.h"
#include "concord/http/server.h"
#include "concord/maintenance/maintenance.h"
#include "services.h"

namespace concord::cli {

// The version every node reports.
inline constexpr std::string_view kConcordVersion = "0.1.0";

struct NodeSelf {
  std::string node_id;
  std::string url;  // advertised
  std::vector<std::string> services;
  Millis started_at = 0;
};

// Where the others reach this process: [server] advertise_url, else the bound address (this
// host's name when it listens on every address).
std::string AdvertisedUrl(const deployment::Config& config, const std::string& host, int port);

// Where each application service runs, as this process's configuration says: here (`own_url`)
// for the services it runs, else [services.<service>] url and nodes, else the base URL of its
// handler under [lifecycle.handlers]. Services with none are left out.
std::map<std::string, deployment::Config::ServiceEndpoint> ApplicationEndpoints(
    const deployment::Config& config, const std::vector<std::string>& selected,
    const std::string& own_url);

// The addresses of every process this one knows of (Communities nodes, applications): let
// through maintenance mode. Host names are resolved.
std::vector<std::string> PeerAddresses(const std::vector<std::string>& urls);

// GET /api/admin/node on every process: what it is, its databases (without credentials) and
// the maintenance state it enforces.
nlohmann::json DescribeNode(const NodeSelf& self, const OpenedServices& services,
                            const std::filesystem::path& maintenance_file);
void MountNodeApi(http::Server& server, const NodeSelf& self, const OpenedServices& services,
                  const std::filesystem::path& maintenance_file);

// A Communities process's part in the deployment: it records itself in the node registry every
// two seconds (and as down when it stops), keeps its maintenance gate's peers up to date,
// describes the deployment (GET /communities/api/admin/deployment), and tells every process a
// maintenance change.
class DeploymentAgent {
 public:
  struct Options {
    NodeSelf self;
    std::shared_ptr<communities::Cluster> cluster;
    const OpenedServices* services = nullptr;
    std::filesystem::path maintenance_file;
    maintenance::Gate* gate = nullptr;
    std::vector<std::string> selected;
    std::string user;  // the node's system account, which it calls the others with
    std::string password;
    // The applications whose lease this node holds.
    std::function<std::vector<std::string>()> held;
  };
  explicit DeploymentAgent(Options options);
  ~DeploymentAgent();

  void Start();
  void Stop();
  // maintenance::Propagate: stores the state for the deployment and tells every other process.
  Result<nlohmann::json> Propagate(const maintenance::State& state);
  // A user was disabled or a password changed: the other Communities nodes forget the
  // credentials they verified (POST /api/admin/credentials/invalidate), without waiting.
  void CredentialsChanged();
  // The deployment as this node sees it (the JSON of GET /communities/api/admin/deployment).
  Result<nlohmann::json> View();

 private:
  void Beat();
  // Application processes whose maintenance state is not the deployment's are told it.
  void TellLateProcesses(const maintenance::State& deployment);
  // Every other process of the deployment: its URL and what it serves.
  std::vector<std::pair<std::string, std::string>> OtherProcesses();

  Options options_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  int64_t beats_ = 0;
  std::thread thread_;
};

}  // namespace concord::cli
