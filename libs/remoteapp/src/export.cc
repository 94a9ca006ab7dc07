// exportSyncedResourceInfo, for every application at once: the synced records that carry a
// resource, with their members, streamed in community order (docs/xml-export.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "concord/http/server.h"
#include "concord/remoteapp/remote_app.h"
#include "concord/xml/synced_resources.h"

namespace concord::remoteapp {

namespace {
constexpr int kBatch = 500;
}  // namespace

Status RemoteApplication::Export(const std::string& app, xml::ExportWriter& writer) {
  CONCORD_RETURN_IF_ERROR(CheckServes(app));
  CONCORD_ASSIGN_OR_RETURN(int64_t seq, LastAppliedSeq());
  CONCORD_RETURN_IF_ERROR(writer.Begin(
      {.remote_app_def_id = app, .exported = NowMillis(), .last_applied_event_seq = seq}));
  // One read transaction: the export is one consistent snapshot of the database, however long
  // it takes (WAL readers do not hold up writers).
  return database_->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Status {
    std::string after;
    while (true) {
      std::vector<xml::SyncedResource> batch;
      {
        CONCORD_ASSIGN_OR_RETURN(
            db::Rows rows,
            c.Query("SELECT community_uuid, resource_id, widget_instance_id, version, in_trash, "
                    "name, visibility, list_when_private, theme, owners_approve_content, "
                    "viewers_flag_content FROM synced_communities WHERE remote_app_def_id = $1 "
                    "AND resource_id IS NOT NULL AND community_uuid > $2 "
                    "ORDER BY community_uuid LIMIT $3",
                    app, after, kBatch));
        while (true) {
          CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
          if (!has) break;
          xml::SyncedResource r;
          r.community_uuid = rows.Text(0);
          r.object_identifying_id = rows.Text(1);
          r.widget_instance_id = rows.OptText(2);
          r.version = rows.Int(3);
          r.in_trash = rows.Bool(4);
          r.name = rows.Text(5);
          r.visibility = rows.Text(6);
          r.list_when_private = rows.Bool(7);
          r.theme = rows.Text(8);
          r.owners_approve_content = rows.Bool(9);
          r.viewers_flag_content = rows.Bool(10);
          batch.push_back(std::move(r));
        }
      }
      if (batch.empty()) break;
      // The batch's members in one range scan of the primary key.
      {
        CONCORD_ASSIGN_OR_RETURN(
            db::Rows rows,
            c.Query("SELECT community_uuid, user_id, role FROM synced_members WHERE "
                    "remote_app_def_id = $1 AND community_uuid > $2 AND community_uuid <= $3 "
                    "ORDER BY community_uuid, user_id",
                    app, after, batch.back().community_uuid));
        size_t i = 0;
        while (true) {
          CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
          if (!has) break;
          std::string community = rows.Text(0);
          while (i < batch.size() && batch[i].community_uuid < community) ++i;
          if (i == batch.size() || batch[i].community_uuid != community) continue;  // no resource
          (rows.Int(2) == 1 ? batch[i].owners : batch[i].members).push_back(rows.Text(1));
        }
      }
      for (const auto& r : batch) CONCORD_RETURN_IF_ERROR(writer.Add(r));
      after = batch.back().community_uuid;
      if (batch.size() < static_cast<size_t>(kBatch)) break;
    }
    return writer.End();
  });
}

Status RemoteApplication::CheckServes(const std::string& app) const {
  const auto& defs = definition_.remote_app_defs;
  if (std::find(defs.begin(), defs.end(), app) == defs.end()) {
    return InvalidArgument(
        "remoteAppDefId",
        fmt::format("the {} service does not serve '{}'", definition_.service, app.substr(0, 40)),
        defs);
  }
  return Ok();
}

void RemoteApplication::MountExport(http::Server& server) {
  server.Get(definition_.base_path + "/admin/export/([^/]+)",
             [this](const http::Request& r) -> Result<http::Response> {
               if (!r.principal.admin) return PermissionDenied("only administrators export");
               std::string app = r.path_params[0];
               CONCORD_RETURN_IF_ERROR(CheckServes(app));
               http::Response out;
               out.content_type = "application/xml; charset=utf-8";
               out.stream = [this, app](const http::Response::Writer& write) {
                 xml::ExportWriter writer(write);
                 auto s = Export(app, writer);
                 if (!s) spdlog::error("export of {} failed: {}", app, s.error().message);
                 return static_cast<bool>(s);
               };
               return out;
             });
}

}  // namespace concord::remoteapp
