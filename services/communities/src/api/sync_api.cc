// What the synchronization reports compare an application's export with
// (docs/http-api.md, "Synchronization state").
#include <fmt/format.h>

#include "concord/communities/service.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"

namespace concord::communities {
namespace {

using http::Request;
using http::Response;
using nlohmann::json;

json StateJson(const SyncState& s) {
  const auto& c = s.community;
  json owners = json::array(), members = json::array();
  for (const auto& o : s.owners) {
    owners.push_back({{"id", o.user.value()},
                      {"login", o.login},
                      {"email", o.email},
                      {"displayName", o.display_name}});
  }
  for (const auto& m : s.members) members.push_back(m.value());
  json widget = nullptr;
  if (s.widget) {
    widget = {{"instanceId", s.widget->instance_id.value()},
              {"resourceId",
               s.widget->remote_resource_id ? json(*s.widget->remote_resource_id) : json(nullptr)},
              {"uiLocation", s.widget->ui_location}};
  }
  return {{"uuid", c.uuid.value()},
          {"name", c.name},
          {"visibility", VisibilityName(c.visibility)},
          {"listWhenPrivate", c.list_when_private},
          {"theme", c.theme},
          {"ownersApproveContent", c.owners_approve_content},
          {"viewersFlagContent", c.viewers_flag_content},
          {"version", c.version},
          {"trashed", c.trash.has_value()},
          {"visibilityBeforeTrash",
           c.trash ? json(VisibilityName(c.trash->visibility_before)) : json(nullptr)},
          {"widget", widget},
          {"owners", owners},
          {"members", members}};
}

Actor ActorOf(const Request& r) { return Actor{r.principal.id, r.principal.admin}; }

}  // namespace

void MountSyncApi(http::Server& server, CommunitiesService& service) {
  const std::string base = "/communities/api/admin/sync/([^/]+)";
  server.Get(base, http::Access::kAdministrator, [&service](const Request& r) -> Result<Response> {
    for (const auto& [k, v] : r.query) {
      if (k != "after" && k != "limit") {
        return InvalidArgument(k, fmt::format("unknown query parameter '{}'", k.substr(0, 60)),
                               {"after", "limit"});
      }
    }
    int limit = 500;
    if (auto v = r.Query("limit")) {
      bool digits = !v->empty() && v->size() < 6 &&
                    std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) return InvalidArgument("limit", "limit must be from 1 to 1000");
      limit = std::stoi(*v);
    }
    CONCORD_ASSIGN_OR_RETURN(auto states, service.SyncStates(ActorOf(r), r.path_params[0],
                                                             r.Query("after").value_or(""), limit));
    json items = json::array();
    for (const auto& s : states) items.push_back(StateJson(s));
    json next = static_cast<int>(states.size()) == limit
                    ? json(states.back().community.uuid.value())
                    : json(nullptr);
    return Response::Json(200, {{"items", items}, {"next", next}});
  });
  server.Post(base + "/lookup", http::Access::kAdministrator,
              [&service](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(auto body, http::JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(auto uuids, body.OptStringList("uuids"));
                CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
                if (!uuids) return InvalidArgument("uuids", "uuids: the communities to look up");
                CONCORD_ASSIGN_OR_RETURN(auto states,
                                         service.SyncLookup(ActorOf(r), r.path_params[0], *uuids));
                json items = json::array();
                for (const auto& s : states) items.push_back(StateJson(s));
                return Response::Json(200, {{"items", items}});
              });
}

void MountResyncApi(http::Server& server, CommunitiesService& service) {
  server.Post("/communities/api/admin/assign", http::Access::kAdministrator,
              [&service](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(auto body, http::JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(auto app, body.RequiredString("remoteAppDefId"));
                CONCORD_ASSIGN_OR_RETURN(auto id, body.RequiredString("objectIdentifyingId"));
                CONCORD_ASSIGN_OR_RETURN(auto old_uuid, body.RequiredString("oldCommunityUuid"));
                CONCORD_ASSIGN_OR_RETURN(auto new_uuid, body.RequiredString("newCommunityUuid"));
                CONCORD_ASSIGN_OR_RETURN(auto location, body.RequiredString("uiLocation"));
                CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
                CONCORD_ASSIGN_OR_RETURN(
                    auto w, service.AssignRemoteApp(ActorOf(r), app, id, CommunityUuid(old_uuid),
                                                    CommunityUuid(new_uuid), location,
                                                    std::chrono::seconds(60)));
                return Response::Json(200, {{"instanceId", w.instance_id.value()},
                                            {"communityUuid", w.community.value()},
                                            {"widgetDefId", w.widget_def_id},
                                            {"resourceId", w.remote_resource_id.value_or("")}});
              });
  server.Post("/communities/api/admin/resync", http::Access::kAdministrator,
              [&service](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(auto body, http::JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(auto communities, body.OptStringList("communities"));
                CONCORD_ASSIGN_OR_RETURN(auto widget, body.OptString("widgetDefId"));
                CONCORD_ASSIGN_OR_RETURN(auto wait, body.OptInt("waitSeconds"));
                CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
                if (!communities || communities->empty()) {
                  return InvalidArgument("communities", "communities: the uuids to resync");
                }
                if (wait && (*wait < 0 || *wait > 3600)) {
                  return InvalidArgument("waitSeconds", "waitSeconds must be from 0 to 3600");
                }
                std::vector<CommunityUuid> uuids;
                for (const auto& u : *communities) uuids.emplace_back(u);
                CONCORD_ASSIGN_OR_RETURN(auto out,
                                         service.Resync(ActorOf(r), uuids, widget,
                                                        std::chrono::seconds(wait.value_or(120))));
                return Response::Json(200, {{"communities", out.communities},
                                            {"events", out.events},
                                            {"stillQueued", out.still_queued}});
              });
}

}  // namespace concord::communities
