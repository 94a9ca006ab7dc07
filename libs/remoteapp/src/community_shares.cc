// syncAllCommunityShares, the HTTP side both Files and Activities share.
#include <fmt/format.h>

#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "concord/lifecycle/visibility.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::remoteapp {

using nlohmann::json;

void MountCommunityShares(http::Server& server, const std::string& base_path,
                          const std::shared_ptr<db::Database>& database, CommunityShares& shares) {
  const std::string path = base_path + "/admin/shared-communities";
  server.Get(path, http::Access::kAdministrator,
             [database, &shares](const http::Request& r) -> Result<http::Response> {
               std::string after = r.Query("after").value_or("");
               if (!after.empty() && !IsUuid(after)) {
                 return InvalidArgument("after", "after must be a community uuid");
               }
               CONCORD_ASSIGN_OR_RETURN(
                   auto uuids, database->InTransaction(db::TxMode::kRead, [&](db::Connection& c) {
                     return shares.SharedCommunities(c, after, 1000);
                   }));
               json next = uuids.size() == 1000 ? json(uuids.back()) : json(nullptr);
               return http::Response::Json(200, {{"items", uuids}, {"next", next}});
             });
  server.Post(
      path + "/sync", http::Access::kAdministrator,
      [database, &shares](const http::Request& r) -> Result<http::Response> {
        CONCORD_ASSIGN_OR_RETURN(json body, http::ParseJson(r.body));
        if (!body.is_object() || !body.contains("communities") || !body["communities"].is_array()) {
          return InvalidArgument("communities", "communities: [{uuid, exists, name, visibility}]");
        }
        std::vector<CommunityTruth> truths;
        for (const auto& t : body["communities"]) {
          CommunityTruth truth{t.value("uuid", ""), t.value("exists", false), t.value("name", ""),
                               t.value("visibility", "")};
          if (!IsUuid(truth.uuid)) return InvalidArgument("uuid", "not a community uuid");
          if (truth.exists) CONCORD_RETURN_IF_ERROR(lifecycle::ParseVisibility(truth.visibility));
          truths.push_back(std::move(truth));
        }
        ShareSyncCounts total;
        CONCORD_RETURN_IF_ERROR(
            database->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Status {
              for (const auto& t : truths) {
                CONCORD_ASSIGN_OR_RETURN(auto n, shares.Sync(c, t));
                total.communities += 1;
                total.updated += n.updated;
                total.removed += n.removed;
              }
              return Ok();
            }));
        return http::Response::Json(200, {{"communities", total.communities},
                                          {"updated", total.updated},
                                          {"removed", total.removed}});
      });
}

}  // namespace concord::remoteapp
