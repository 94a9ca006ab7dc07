#include "store/event_store.h"

#include <fmt/format.h>

#include <algorithm>

namespace concord::communities::store {
namespace {
// The highest seq ever assigned: the log's, or the floor trims and restores leave behind.
constexpr std::string_view kAssignedSql =
    "SELECT MAX(s) FROM (SELECT MAX(seq) AS s FROM lifecycle_events UNION ALL "
    "SELECT floor AS s FROM lifecycle_sequence) AS assigned";
}  // namespace

Result<int64_t> EventStore::Append(db::Connection& c, lifecycle::LifecycleEvent& e,
                                   const std::vector<std::string>& apps) const {
  // The write transaction serializes writers, so MAX + 1 is race-free.
  CONCORD_ASSIGN_OR_RETURN(auto max, c.QueryInt(kAssignedSql));
  e.seq = max.value_or(0) + 1;
  std::string type(lifecycle::EventTypeName(e.type));
  std::string recipients;
  for (const auto& app : apps) recipients += (recipients.empty() ? "" : " ") + app;
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO lifecycle_events (seq, event_id, event_type, community_uuid, created, payload, "
      "recipients) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      e.seq, e.id, type, e.community.uuid, e.created, lifecycle::ToJson(e).dump(), recipients));
  for (const auto& app : apps) {
    CONCORD_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO event_queue (seq, remote_app_def_id, community_uuid, event_type, state, "
        "inserted) "
        "VALUES ($1, $2, $3, $4, CASE WHEN EXISTS (SELECT 1 FROM event_queue WHERE "
        "remote_app_def_id = $2 AND community_uuid = $3 AND state = 'queued') THEN 'queued' "
        "ELSE 'pending' END, $5)",
        e.seq, app, e.community.uuid, type, e.created));
  }
  return e.seq;
}

Result<std::vector<QueuedDelivery>> EventStore::Deliveries(db::Connection& c,
                                                           const std::string& app,
                                                           const std::string& state,
                                                           int64_t after_seq, int limit) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query(
          "SELECT q.seq, q.remote_app_def_id, q.community_uuid, q.event_type, e.event_id, q.state, "
          "q.attempts, q.last_error, q.inserted, e.payload FROM event_queue q "
          "JOIN lifecycle_events e ON e.seq = q.seq WHERE q.remote_app_def_id = $1 "
          "AND q.state = $2 AND q.seq > $3 ORDER BY q.seq LIMIT $4",
          app, state, after_seq, limit));
  std::vector<QueuedDelivery> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    out.push_back(QueuedDelivery{rows.Int(0), rows.Text(1), CommunityUuid(rows.Text(2)),
                                 rows.Text(3), EventId(rows.Text(4)), rows.Text(5), rows.Int(6),
                                 rows.OptText(7), rows.Int(8), rows.Text(9)});
  }
  return out;
}

Status EventStore::Delivered(db::Connection& c, int64_t seq, const std::string& app) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("DELETE FROM event_queue WHERE seq = $1 AND remote_app_def_id = $2", seq, app));
  return Ok();
}

Status EventStore::DeliveredAll(db::Connection& c, const std::string& app,
                                const std::vector<int64_t>& seqs) const {
  // Up to 64 a statement, its placeholders padded to a power of two with the last seq again:
  // seven statement texts in all, which the connection prepares once (a text per batch would
  // have filled its statement cache without end).
  constexpr size_t kMost = 64;
  for (size_t from = 0; from < seqs.size(); from += kMost) {
    size_t n = std::min(kMost, seqs.size() - from);
    size_t slots = 1;
    while (slots < n) slots *= 2;
    std::string sql = "DELETE FROM event_queue WHERE remote_app_def_id = $1 AND seq IN (";
    db::Params params{db::Value(app)};
    for (size_t i = 0; i < slots; ++i) {
      sql += fmt::format("{}${}", i == 0 ? "" : ",", i + 2);
      params.push_back(db::Value(seqs[from + std::min(i, n - 1)]));
    }
    sql += ")";
    CONCORD_RETURN_IF_ERROR(c.ExecuteParams(sql, params));
  }
  return Ok();
}

Status EventStore::Failed(db::Connection& c, int64_t seq, const std::string& app,
                          const CommunityUuid& community, const std::string& error,
                          Millis now) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "UPDATE event_queue SET state = 'queued', attempts = attempts + 1, last_error = $3, "
      "last_attempt = $4 WHERE seq = $1 AND remote_app_def_id = $2",
      seq, app, error.substr(0, 1000), now));
  CONCORD_RETURN_IF_ERROR(
      c.Execute("UPDATE event_queue SET state = 'queued' WHERE remote_app_def_id = $1 AND "
                "community_uuid = $2 "
                "AND state = 'pending' AND seq > $3",
                app, community, seq));
  return Ok();
}

namespace {
// The filter as parameters $1..$4: an empty string matches everything.
constexpr std::string_view kFilterSql =
    "($1 = '' OR q.remote_app_def_id = $1) AND ($2 = '' OR q.community_uuid = $2) AND "
    "($3 = '' OR q.event_type = $3) AND "
    "($4 = '' OR q.seq = (SELECT seq FROM lifecycle_events WHERE event_id = $4))";
}  // namespace

Result<std::vector<QueueSummary>> EventStore::Summary(db::Connection& c) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows, c.Query("SELECT remote_app_def_id, COUNT(*), MIN(inserted) FROM event_queue "
                             "GROUP BY remote_app_def_id ORDER BY remote_app_def_id"));
  std::vector<QueueSummary> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    out.push_back(QueueSummary{rows.Text(0), rows.Int(1), rows.Int(2)});
  }
  return out;
}

Result<std::vector<QueuedEvent>> EventStore::List(db::Connection& c, const QueuedEventFilter& f,
                                                  int64_t after_seq, const std::string& after_app,
                                                  int limit) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query(std::string("SELECT q.seq, e.event_id, q.event_type, q.remote_app_def_id, "
                          "q.community_uuid, q.state, q.attempts, q.last_error, q.inserted "
                          "FROM event_queue q JOIN lifecycle_events e ON e.seq = q.seq WHERE ") +
                  std::string(kFilterSql) +
                  " AND (q.seq > $5 OR (q.seq = $5 AND q.remote_app_def_id > $6)) "
                  "ORDER BY q.seq, q.remote_app_def_id LIMIT $7",
              f.remote_app_def_id.value_or(""), f.community ? f.community->value() : "",
              f.event_type.value_or(""), f.event_id ? f.event_id->value() : "", after_seq,
              after_app, limit));
  std::vector<QueuedEvent> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    out.push_back(QueuedEvent{rows.Int(0), EventId(rows.Text(1)), rows.Text(2), rows.Text(3),
                              CommunityUuid(rows.Text(4)), rows.Text(5), rows.Int(6),
                              rows.OptText(7), rows.Int(8)});
  }
  return out;
}

Result<int64_t> EventStore::Clear(db::Connection& c, const QueuedEventFilter& f) const {
  return c.Execute(std::string("DELETE FROM event_queue AS q WHERE ") + std::string(kFilterSql),
                   f.remote_app_def_id.value_or(""), f.community ? f.community->value() : "",
                   f.event_type.value_or(""), f.event_id ? f.event_id->value() : "");
}

Result<int64_t> EventStore::TrimLog(db::Connection& c, Millis before) const {
  CONCORD_ASSIGN_OR_RETURN(auto assigned, c.QueryInt(kAssignedSql));
  CONCORD_RETURN_IF_ERROR(AdvanceSequence(c, assigned.value_or(0)));
  return c.Execute(
      "DELETE FROM lifecycle_events WHERE created < $1 AND NOT EXISTS "
      "(SELECT 1 FROM event_queue q WHERE q.seq = lifecycle_events.seq)",
      before);
}

Result<std::vector<LoggedEvent>> EventStore::Log(db::Connection& c, int64_t after_seq,
                                                 int limit) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT seq, event_type, community_uuid, payload FROM lifecycle_events "
              "WHERE seq > $1 ORDER BY seq LIMIT $2",
              after_seq, limit));
  std::vector<LoggedEvent> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    out.push_back({rows.Int(0), rows.Text(1), CommunityUuid(rows.Text(2)), rows.Text(3)});
  }
  return out;
}

Result<std::vector<EventLogEntry>> EventStore::Entries(db::Connection& c, int64_t after_seq,
                                                       const std::string& app, int limit) const {
  // Application names are remote widget ids (letters only), so LIKE finds the whole word.
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT seq, event_id, event_type, community_uuid, created, recipients FROM "
              "lifecycle_events WHERE seq > $1 AND ($2 = '' OR (' ' || recipients || ' ') LIKE "
              "('% ' || $2 || ' %')) ORDER BY seq LIMIT $3",
              after_seq, app, limit));
  std::vector<EventLogEntry> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    EventLogEntry e{rows.Int(0), EventId(rows.Text(1)), rows.Text(2), CommunityUuid(rows.Text(3)),
                    rows.Int(4), std::nullopt};
    if (auto r = rows.OptText(5)) {
      std::vector<std::string> names;
      for (size_t at = 0; at < r->size();) {
        size_t end = r->find(' ', at);
        if (end == std::string::npos) end = r->size();
        if (end > at) names.push_back(r->substr(at, end - at));
        at = end + 1;
      }
      e.recipients = std::move(names);
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<int64_t> EventStore::CountUndelivered(db::Connection& c, int64_t first_seq,
                                             int64_t last_seq) const {
  CONCORD_ASSIGN_OR_RETURN(
      auto left, c.QueryInt("SELECT COUNT(*) FROM event_queue WHERE seq >= $1 AND seq <= $2",
                            first_seq, last_seq));
  return left.value_or(0);
}

Result<EventStore::Bounds> EventStore::LogBounds(db::Connection& c) const {
  Bounds b;
  CONCORD_ASSIGN_OR_RETURN(auto first, c.QueryInt("SELECT MIN(seq) FROM lifecycle_events"));
  CONCORD_ASSIGN_OR_RETURN(auto last, c.QueryInt("SELECT MAX(seq) FROM lifecycle_events"));
  CONCORD_ASSIGN_OR_RETURN(auto assigned, c.QueryInt(kAssignedSql));
  b.first = first.value_or(0);
  b.last = last.value_or(0);
  b.assigned = assigned.value_or(0);
  return b;
}

Status EventStore::AdvanceSequence(db::Connection& c, int64_t at_least) const {
  auto done = c.Execute(
      "INSERT INTO lifecycle_sequence (id, floor) VALUES (1, $1) ON CONFLICT (id) DO "
      "UPDATE SET floor = CASE WHEN lifecycle_sequence.floor > $1 THEN "
      "lifecycle_sequence.floor ELSE $1 END",
      at_least);
  if (!done) return std::unexpected(done.error());
  return Ok();
}

}  // namespace concord::communities::store
