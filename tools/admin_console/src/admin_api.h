#pragma once
// The admin API calls the console's commands and `concord recover`'s steps make besides the
// reference's commands, as typed functions: the paths, bodies and answers of docs/http-api.md in
// one place, so that no step builds an HTTP request by hand.
//
//   admin::AdminApi api(session.client());
//   CONCORD_ASSIGN_OR_RETURN(int64_t seq, api.LastAppliedSeq("Forum"));

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "concord/base/error.h"
#include "concord/http/client.h"

namespace concord::admin {

// A community's widget (GET /communities/api/communities/{uuid}/widgets).
struct WidgetInfo {
  std::string instance_id;
  std::string def_id;
  std::optional<std::string> resource_id;  // remote widgets, once bound
};

// What an application's resource deletion did (POST /<service>/api/admin/resources/{app}/delete).
struct Deletion {
  int64_t deleted = 0;
  std::vector<std::pair<std::string, std::string>> failed;  // id, reason
};

// A community-owned resource of an application, as administrators see it.
struct ResourceInfo {
  std::string id;
  bool trashed = false;
};

// Sends each application's paths (/<service>/...) where the application runs, as the
// Communities node `client` is connected to describes the deployment (GET
// /communities/api/admin/deployment): the console and `concord recover` then reach applications
// in other processes and on other hosts with no proxy. Routes nothing when connected to a
// process that does not run Communities, or to an older one. Returns the services routed
// elsewhere.
std::vector<std::string> RouteToDeployment(http::Client& client);

class AdminApi {
 public:
  explicit AdminApi(http::Client& client) : client_(client) {}

  // Every queued lifecycle event, all pages; of one application (remoteAppDefId) or, with "",
  // of all.
  Result<std::vector<nlohmann::json>> QueuedEvents(const std::string& app);
  // The last lifecycle event seq the application serving `app` applied.
  Result<int64_t> LastAppliedSeq(const std::string& app);
  // The highest Communities version of a community the service serving `app` holds.
  Result<int64_t> HighestCommunityVersion(const std::string& app);
  // Moves Communities' event sequence to at least `at_least` and its communities' version floor
  // to at least `versions_at_least`; where both are now.
  struct Advanced {
    int64_t assigned = 0, version_floor = 0;
  };
  Result<Advanced> AdvanceEventSequence(int64_t at_least, int64_t versions_at_least);
  // Resyncs `communities`' widget `app`, waiting up to `wait_seconds` for delivery; how many of
  // the events are still queued afterwards.
  Result<int64_t> Resync(const std::string& app, const std::vector<std::string>& communities,
                         int wait_seconds);
  // Moves resources of `app` to its application's trash.
  Result<Deletion> DeleteResources(const std::string& app, const std::vector<std::string>& ids);
  // The community-owned resources of `app` a query selects ("community=<uuid>", "name=<name>"):
  // each {id, communityUuid, title, created, trashed}.
  Result<std::vector<nlohmann::json>> Resources(const std::string& app, const std::string& query);
  // A resource of `app` by id, or nullopt when the application has none by that id.
  Result<std::optional<ResourceInfo>> Resource(const std::string& app, const std::string& id);
  Result<std::vector<WidgetInfo>> Widgets(const std::string& community);
  Status RemoveWidget(const std::string& community, const std::string& instance_id);
  // The uuid of a community named exactly `name` (the first), or nullopt.
  Result<std::optional<std::string>> CommunityNamed(const std::string& name);
  // Creates a community from its JSON body; its uuid.
  Result<std::string> CreateCommunity(const nlohmann::json& body);

 private:
  http::Client& client_;
};

}  // namespace concord::admin
