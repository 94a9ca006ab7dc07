// The record of the lifecycle events an application applied (applied_events): read by
// administrators, trimmed after the event log's retention.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "concord/http/server.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::remoteapp {

using nlohmann::json;

Result<std::vector<AppliedEvent>> RemoteApplication::AppliedEvents(const std::string& app,
                                                                   int64_t after_seq, int limit) {
  CONCORD_RETURN_IF_ERROR(CheckServes(app));
  return database_->InTransaction(
      db::TxMode::kRead, [&](db::Connection& c) -> Result<std::vector<AppliedEvent>> {
        CONCORD_ASSIGN_OR_RETURN(
            db::Rows rows,
            c.Query("SELECT seq, event_id, event_type, community_uuid, changed, deliveries, "
                    "applied_at FROM applied_events WHERE remote_app_def_id = $1 AND seq > $2 "
                    "ORDER BY seq LIMIT $3",
                    app, after_seq, limit));
        std::vector<AppliedEvent> out;
        while (true) {
          CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
          if (!has) break;
          out.push_back(AppliedEvent{rows.Int(0), rows.Text(1), rows.Text(2), rows.Text(3),
                                     rows.Bool(4), rows.Int(5), rows.Int(6)});
        }
        return out;
      });
}

Result<int64_t> RemoteApplication::TrimAppliedEvents(Millis before) {
  return database_->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) {
    return c.Execute("DELETE FROM applied_events WHERE applied_at < $1", before);
  });
}

namespace {

// A query parameter that must be a whole number in [low, high], or its default.
Result<int64_t> IntParam(const http::Request& r, const std::string& name, int64_t fallback,
                         int64_t low, int64_t high) {
  auto v = r.Query(name);
  if (!v) return fallback;
  bool digits = !v->empty() && v->size() <= 18 &&
                std::all_of(v->begin(), v->end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  int64_t n = digits ? std::stoll(*v) : -1;
  if (n < low || n > high) {
    return InvalidArgument(name,
                           fmt::format("{} must be a whole number from {} to {}", name, low, high));
  }
  return n;
}

}  // namespace

void RemoteApplication::MountAppliedEvents(http::Server& server) {
  server.Get(
      definition_.base_path + "/admin/applied/([^/]+)", http::Access::kAdministrator,
      [this](const http::Request& r) -> Result<http::Response> {
        for (const auto& [k, v] : r.query) {
          if (k != "after" && k != "limit") {
            return InvalidArgument(k, fmt::format("unknown query parameter '{}'", k.substr(0, 60)),
                                   {"after", "limit"});
          }
        }
        const std::string& app = r.path_params[0];
        CONCORD_ASSIGN_OR_RETURN(int64_t after,
                                 IntParam(r, "after", 0, 0, std::numeric_limits<int64_t>::max()));
        CONCORD_ASSIGN_OR_RETURN(int64_t limit, IntParam(r, "limit", 500, 1, 5000));
        CONCORD_ASSIGN_OR_RETURN(auto page, AppliedEvents(app, after, static_cast<int>(limit) + 1));
        json items = json::array();
        for (size_t i = 0; i < page.size() && i < static_cast<size_t>(limit); ++i) {
          const auto& a = page[i];
          items.push_back({{"seq", a.seq},
                           {"eventId", a.event_id},
                           {"eventType", a.event_type},
                           {"communityUuid", a.community_uuid},
                           {"changed", a.changed},
                           {"deliveries", a.deliveries},
                           {"appliedAt", FormatTimestamp(a.applied_at)}});
        }
        json next = page.size() > static_cast<size_t>(limit) ? json(page[limit - 1].seq) : nullptr;
        return http::Response::Json(200,
                                    {{"remoteAppDefId", app},
                                     {"retentionDays", applied_retention_.count() / kMillisPerDay},
                                     {"items", items},
                                     {"next", next}});
      });
}

}  // namespace concord::remoteapp
