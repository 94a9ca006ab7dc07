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
    // Reused from batch to batch, so that its strings keep their capacity: a million resources
    // do not cost a million rounds of allocation.
    std::vector<xml::SyncedResource> batch(kBatch);
    while (true) {
      size_t n = 0;
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
          xml::SyncedResource& r = batch[n++];
          r.community_uuid.assign(rows.TextView(0));
          r.object_identifying_id.assign(rows.TextView(1));
          if (rows.IsNull(2)) {
            r.widget_instance_id.reset();
          } else {
            r.widget_instance_id.emplace(rows.TextView(2));
          }
          r.version = rows.Int(3);
          r.in_trash = rows.Bool(4);
          r.name.assign(rows.TextView(5));
          r.visibility.assign(rows.TextView(6));
          r.list_when_private = rows.Bool(7);
          r.theme.assign(rows.TextView(8));
          r.owners_approve_content = rows.Bool(9);
          r.viewers_flag_content = rows.Bool(10);
          // Emptied, and given back when a large community made them big: otherwise every slot
          // would keep the largest membership it ever held, and memory would grow with the
          // number of communities exported (seen at a million).
          for (auto* people : {&r.owners, &r.members}) {
            people->clear();
            if (people->capacity() > 256) people->shrink_to_fit();
          }
        }
      }
      if (n == 0) break;
      // The batch's members in one range scan of the primary key (community, application,
      // user). Asking SQLite for user order too would make it sort what the scan already
      // yields in that order; the order is checked below instead of assumed.
      {
        CONCORD_ASSIGN_OR_RETURN(
            db::Rows rows,
            c.Query("SELECT community_uuid, user_id, role FROM synced_members WHERE "
                    "remote_app_def_id = $1 AND community_uuid > $2 AND community_uuid <= $3 "
                    "ORDER BY community_uuid, remote_app_def_id",
                    app, after, batch[n - 1].community_uuid));
        size_t i = 0;
        while (true) {
          CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
          if (!has) break;
          std::string_view community = rows.TextView(0);
          while (i < n && batch[i].community_uuid < community) ++i;
          if (i == n || batch[i].community_uuid != community) continue;  // no resource
          bool owner = static_cast<SyncedRole>(rows.Int(2)) == SyncedRole::kOwner;
          (owner ? batch[i].owners : batch[i].members).emplace_back(rows.TextView(1));
        }
      }
      for (size_t k = 0; k < n; ++k) {
        for (auto* people : {&batch[k].owners, &batch[k].members}) {
          if (!std::is_sorted(people->begin(), people->end())) {
            std::sort(people->begin(), people->end());
          }
        }
        CONCORD_RETURN_IF_ERROR(writer.Add(batch[k]));
      }
      after = batch[n - 1].community_uuid;
      if (n < static_cast<size_t>(kBatch)) break;
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
  // How far this application followed Communities' lifecycle events: where a replay starts,
  // and the newest community version it holds (where Communities' versions resume after a
  // restore of Communities).
  server.Get(definition_.base_path + "/admin/progress", http::Access::kAdministrator,
             [this](const http::Request&) -> Result<http::Response> {
               CONCORD_ASSIGN_OR_RETURN(int64_t seq, LastAppliedSeq());
               CONCORD_ASSIGN_OR_RETURN(int64_t version, HighestCommunityVersion());
               return http::Response::Json(200, {{"service", definition_.service},
                                                 {"remoteAppDefIds", definition_.remote_app_defs},
                                                 {"lastAppliedEventSeq", seq},
                                                 {"highestCommunityVersion", version}});
             });
  server.Get(definition_.base_path + "/admin/export/([^/]+)", http::Access::kAdministrator,
             [this](const http::Request& r) -> Result<http::Response> {
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
