// The administrators' commands on community-owned resources that every application shares:
// find them (the fetch commands of an application's orphan deletion), delete them to the
// application's trash (its remove commands; libs/apps' OrphanDeletion),
// and look one up (assignRemoteApp checks the resource exists before it assigns it).
#include <fmt/format.h>

#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::remoteapp {

using nlohmann::json;

Result<std::vector<Resource>> RemoteApplication::FindResources(
    const std::string& app, const std::optional<std::string>& community,
    const std::optional<std::string>& title) {
  CONCORD_RETURN_IF_ERROR(CheckServes(app));
  const auto& t = definition_.resources;
  if (title && t.title_column.empty()) {
    return InvalidArgument("name", fmt::format("{} resources have no name", app));
  }
  std::string title_expr = t.title_column.empty() ? "''" : t.title_column;
  std::string sql = "SELECT id, community_uuid, " + title_expr + ", created, trashed_at FROM " +
                    t.table + " WHERE community_uuid IS NOT NULL AND " +
                    (community ? "community_uuid = $1" : title_expr + " = $1") +
                    (t.app_column.empty() ? "" : " AND " + t.app_column + " = $2") +
                    " ORDER BY created, id LIMIT 1000";
  std::string key = community ? *community : title.value_or("");
  return database_->InTransaction(
      db::TxMode::kRead, [&](db::Connection& c) -> Result<std::vector<Resource>> {
        auto rows = t.app_column.empty() ? c.Query(sql, key) : c.Query(sql, key, app);
        if (!rows) return std::unexpected(rows.error());
        std::vector<Resource> out;
        while (true) {
          CONCORD_ASSIGN_OR_RETURN(bool has, rows->Next());
          if (!has) break;
          out.push_back(Resource{rows->Text(0), rows->Text(1), rows->Text(2), rows->Int(3),
                                 !rows->IsNull(4)});
        }
        return out;
      });
}

Result<std::vector<std::pair<std::string, std::string>>> RemoteApplication::DeleteResources(
    const std::string& app, const std::vector<std::string>& ids) {
  CONCORD_RETURN_IF_ERROR(CheckServes(app));
  std::vector<std::pair<std::string, std::string>> failed;
  for (const auto& id : ids) {
    auto s = database_->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Status {
      CONCORD_ASSIGN_OR_RETURN(auto r, FindResourceById(c, app, id));
      if (!r) return NotFound("no such resource");
      if (r->community_uuid.empty()) return FailedPrecondition("not a community's resource");
      if (r->trashed) return FailedPrecondition("already in the trash");
      CONCORD_RETURN_IF_ERROR(hooks_.TrashResource(c, app, id));
      CONCORD_ASSIGN_OR_RETURN(auto record, FindByResource(c, app, id));
      if (record) CONCORD_RETURN_IF_ERROR(ForgetResource(c, record->community, app));
      return Ok();
    });
    if (!s) failed.emplace_back(id, s.error().message);
  }
  return failed;
}

namespace {

json ResourceJson(const Resource& r) {
  return {{"id", r.id},
          {"communityUuid", r.community_uuid},
          {"title", r.title},
          {"created", FormatTimestamp(r.created)},
          {"trashed", r.trashed}};
}

}  // namespace

void RemoteApplication::MountResourceAdmin(http::Server& server) {
  const std::string base = definition_.base_path + "/admin/resources/([^/]+)";
  server.Get(
      base, http::Access::kAdministrator, [this](const http::Request& r) -> Result<http::Response> {
        auto community = r.Query("community");
        auto name = r.Query("name");
        if (community.has_value() == name.has_value()) {
          return InvalidArgument("community", "give either community (a uuid) or name",
                                 {"community", "name"});
        }
        if (community && !IsUuid(*community)) {
          return InvalidArgument(
              "community", fmt::format("'{}' is not a community uuid", community->substr(0, 60)));
        }
        CONCORD_ASSIGN_OR_RETURN(auto found, FindResources(r.path_params[0], community, name));
        json items = json::array();
        for (const auto& f : found) items.push_back(ResourceJson(f));
        return http::Response::Json(200, {{"items", items}});
      });
  server.Get(base + "/([^/]+)", http::Access::kAdministrator,
             [this](const http::Request& r) -> Result<http::Response> {
               CONCORD_RETURN_IF_ERROR(CheckServes(r.path_params[0]));
               auto lease = database_->Acquire();
               if (!lease) return std::unexpected(lease.error());
               CONCORD_ASSIGN_OR_RETURN(
                   auto found, FindResourceById(**lease, r.path_params[0], r.path_params[1]));
               if (!found || found->community_uuid.empty()) {
                 return NotFound(fmt::format("{} has no community resource {}", r.path_params[0],
                                             r.path_params[1].substr(0, 60)));
               }
               return http::Response::Json(200, ResourceJson(*found));
             });
  server.Post(
      base + "/delete", http::Access::kAdministrator,
      [this](const http::Request& r) -> Result<http::Response> {
        CONCORD_ASSIGN_OR_RETURN(auto body, http::JsonBody::Parse(r.body));
        CONCORD_ASSIGN_OR_RETURN(auto ids, body.OptStringList("ids"));
        CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
        if (!ids) return InvalidArgument("ids", "ids: the resources to delete");
        CONCORD_ASSIGN_OR_RETURN(auto failed, DeleteResources(r.path_params[0], *ids));
        json f = json::array();
        for (const auto& [id, why] : failed) f.push_back({{"id", id}, {"reason", why}});
        return http::Response::Json(
            200, {{"deleted", static_cast<int64_t>(ids->size() - failed.size())}, {"failed", f}});
      });
}

}  // namespace concord::remoteapp
