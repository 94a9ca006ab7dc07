#include "admin_api.h"

#include <fmt/format.h>

#include "concord/lifecycle/widgets.h"

namespace concord::admin {
namespace {

using nlohmann::json;

// The base path of `app`'s service: /<service>/api.
Result<std::string> ServiceApi(const std::string& app) {
  const auto* def = lifecycle::FindWidgetDef(app);
  if (!def || !def->remote) {
    return InvalidArgument("remoteAppDefId",
                           fmt::format("'{}' is not a remote application", app.substr(0, 40)),
                           lifecycle::RemoteWidgetDefIds());
  }
  return fmt::format("/{}/api", def->application);
}

}  // namespace

Result<std::vector<json>> AdminApi::QueuedEvents(const std::string& app) {
  std::vector<json> events;
  std::string after;
  while (true) {
    std::string path = "/communities/api/admin/queue/events?limit=500";
    if (!app.empty()) path += "&remoteAppDefId=" + http::UrlEncode(app);
    if (!after.empty()) path += "&after=" + http::UrlEncode(after);
    CONCORD_ASSIGN_OR_RETURN(auto page, client_.Get(path));
    for (auto& e : page["items"]) events.push_back(std::move(e));
    if (page["next"].is_null()) break;
    after = page["next"].get<std::string>();
  }
  return events;
}

Result<int64_t> AdminApi::LastAppliedSeq(const std::string& app) {
  CONCORD_ASSIGN_OR_RETURN(std::string base, ServiceApi(app));
  CONCORD_ASSIGN_OR_RETURN(auto p, client_.Get(base + "/admin/progress"));
  return p["lastAppliedEventSeq"].get<int64_t>();
}

Result<int64_t> AdminApi::HighestCommunityVersion(const std::string& app) {
  CONCORD_ASSIGN_OR_RETURN(std::string base, ServiceApi(app));
  CONCORD_ASSIGN_OR_RETURN(auto p, client_.Get(base + "/admin/progress"));
  if (!p.contains("highestCommunityVersion") || !p["highestCommunityVersion"].is_number_integer()) {
    return Unavailable(
        fmt::format("{}/admin/progress does not say highestCommunityVersion (a "
                    "service older than this command?)",
                    base));
  }
  return p["highestCommunityVersion"].get<int64_t>();
}

Result<AdminApi::Advanced> AdminApi::AdvanceEventSequence(int64_t at_least,
                                                          int64_t versions_at_least) {
  CONCORD_ASSIGN_OR_RETURN(
      auto a, client_.Post("/communities/api/admin/events/advance",
                           {{"atLeast", at_least}, {"versionAtLeast", versions_at_least}}));
  if (!a.contains("versionFloor") || !a["versionFloor"].is_number_integer()) {
    return Unavailable(
        "Communities did not say its versionFloor (a server older than this command?)");
  }
  return Advanced{a["assigned"].get<int64_t>(), a["versionFloor"].get<int64_t>()};
}

Result<int64_t> AdminApi::Resync(const std::string& app,
                                 const std::vector<std::string>& communities, int wait_seconds) {
  CONCORD_ASSIGN_OR_RETURN(
      auto done, client_.Post("/communities/api/admin/resync", {{"communities", communities},
                                                                {"widgetDefId", app},
                                                                {"waitSeconds", wait_seconds}}));
  return done["stillQueued"].get<int64_t>();
}

Result<Deletion> AdminApi::DeleteResources(const std::string& app,
                                           const std::vector<std::string>& ids) {
  CONCORD_ASSIGN_OR_RETURN(std::string base, ServiceApi(app));
  CONCORD_ASSIGN_OR_RETURN(
      auto d, client_.Post(fmt::format("{}/admin/resources/{}/delete", base, app), {{"ids", ids}}));
  Deletion out;
  out.deleted = d["deleted"].get<int64_t>();
  for (const auto& f : d["failed"]) {
    out.failed.emplace_back(f["id"].get<std::string>(), f["reason"].get<std::string>());
  }
  return out;
}

Result<std::vector<json>> AdminApi::Resources(const std::string& app, const std::string& query) {
  CONCORD_ASSIGN_OR_RETURN(std::string base, ServiceApi(app));
  CONCORD_ASSIGN_OR_RETURN(auto r,
                           client_.Get(fmt::format("{}/admin/resources/{}?{}", base, app, query)));
  std::vector<json> out;
  for (auto& item : r["items"]) out.push_back(std::move(item));
  return out;
}

Result<std::optional<ResourceInfo>> AdminApi::Resource(const std::string& app,
                                                       const std::string& id) {
  CONCORD_ASSIGN_OR_RETURN(std::string base, ServiceApi(app));
  auto r = client_.Get(fmt::format("{}/admin/resources/{}/{}", base, app, http::UrlEncode(id)));
  if (!r) {
    if (r.error().code == ErrorCode::kNotFound) return std::optional<ResourceInfo>{};
    return std::unexpected(r.error());
  }
  return ResourceInfo{(*r)["id"].get<std::string>(), r->value("trashed", false)};
}

Result<std::vector<WidgetInfo>> AdminApi::Widgets(const std::string& community) {
  CONCORD_ASSIGN_OR_RETURN(auto widgets,
                           client_.Get(fmt::format("/communities/api/communities/{}/widgets",
                                                   http::UrlEncode(community))));
  std::vector<WidgetInfo> out;
  for (const auto& w : widgets["items"]) {
    WidgetInfo info{w["instanceId"].get<std::string>(), w["widgetDefId"].get<std::string>(), {}};
    if (w.contains("remoteResourceId") && w["remoteResourceId"].is_string()) {
      info.resource_id = w["remoteResourceId"].get<std::string>();
    }
    out.push_back(std::move(info));
  }
  return out;
}

Status AdminApi::RemoveWidget(const std::string& community, const std::string& instance_id) {
  CONCORD_RETURN_IF_ERROR(
      client_.Delete(fmt::format("/communities/api/communities/{}/widgets/{}",
                                 http::UrlEncode(community), http::UrlEncode(instance_id))));
  return Ok();
}

Result<std::optional<std::string>> AdminApi::CommunityNamed(const std::string& name) {
  CONCORD_ASSIGN_OR_RETURN(
      auto found, client_.Get("/communities/api/communities?name=" + http::UrlEncode(name)));
  if (found["items"].empty()) return std::optional<std::string>{};
  return std::optional(found["items"][0]["uuid"].get<std::string>());
}

Result<std::string> AdminApi::CreateCommunity(const json& body) {
  CONCORD_ASSIGN_OR_RETURN(auto c, client_.Post("/communities/api/communities", body));
  return c["uuid"].get<std::string>();
}

std::vector<std::string> RouteToDeployment(http::Client& client) {
  auto view = client.Get("/communities/api/admin/deployment");
  std::vector<std::string> elsewhere;
  if (!view || !view->contains("applications")) return elsewhere;
  std::vector<std::pair<std::string, std::string>> routes;
  for (const auto& a : (*view)["applications"]) {
    std::string service = a.value("service", "");
    std::string url = a.value("url", "");
    if (service.empty() || url.empty()) continue;
    routes.emplace_back("/" + service + "/", url);
    elsewhere.push_back(service);
  }
  client.SetRoutes(std::move(routes));
  return elsewhere;
}

}  // namespace concord::admin
