#pragma once
// SQL of the lifecycle event log and the delivery queue.

#include <optional>
#include <string>
#include <vector>

#include "concord/communities/model.h"
#include "concord/db/database.h"
#include "concord/lifecycle/events.h"

namespace concord::communities::store {

struct QueuedDelivery {
  int64_t seq = 0;
  std::string remote_app_def_id;
  CommunityUuid community;
  std::string event_type;
  EventId event_id;
  std::string state;  // pending | queued
  int64_t attempts = 0;
  std::optional<std::string> last_error;
  Millis inserted = 0;
  std::string payload;  // the event's JSON
};

// One entry of the event log, for replay.
struct LoggedEvent {
  int64_t seq = 0;
  std::string event_type;
  CommunityUuid community;
  std::string payload;
};

class EventStore {
 public:
  // Appends an event (its seq is assigned here: one more than the highest) and queues a delivery
  // to each of `apps`; a delivery goes straight to 'queued' when an earlier one for the same
  // application and community is queued, so that order is kept.
  Result<int64_t> Append(db::Connection& c, lifecycle::LifecycleEvent& event,
                         const std::vector<std::string>& apps) const;

  // Up to `limit` deliveries for `app` in `state`, oldest first, after `after_seq`.
  Result<std::vector<QueuedDelivery>> Deliveries(db::Connection& c, const std::string& app,
                                                 const std::string& state, int64_t after_seq,
                                                 int limit) const;
  Status Delivered(db::Connection& c, int64_t seq, const std::string& app) const;
  // Removes the deliveries of `seqs` to `app` from the queue, in one statement.
  Status DeliveredAll(db::Connection& c, const std::string& app,
                      const std::vector<int64_t>& seqs) const;
  // Marks this delivery and every later pending one for the same application and community
  // queued, recording the error.
  Status Failed(db::Connection& c, int64_t seq, const std::string& app,
                const CommunityUuid& community, const std::string& error, Millis now) const;
  // How many deliveries of events [first_seq, last_seq] are still in the queue (pending or
  // queued).
  Result<int64_t> CountUndelivered(db::Connection& c, int64_t first_seq, int64_t last_seq) const;
  // The administrators' view of the queue (every undelivered delivery, pending or queued).
  Result<std::vector<QueueSummary>> Summary(db::Connection& c) const;
  // Up to `limit` deliveries matching `f`, in (seq, application) order after the given key.
  Result<std::vector<QueuedEvent>> List(db::Connection& c, const QueuedEventFilter& f,
                                        int64_t after_seq, const std::string& after_app,
                                        int limit) const;
  // Removes the deliveries matching `f` without delivering them. Returns how many. The events
  // stay in the event log.
  Result<int64_t> Clear(db::Connection& c, const QueuedEventFilter& f) const;

  // Deletes log entries created before `before` that no delivery still needs. Returns how many.
  // The sequence never goes back: the highest seq trimmed is remembered.
  Result<int64_t> TrimLog(db::Connection& c, Millis before) const;

  // Up to `limit` log entries after `after_seq`, oldest first.
  Result<std::vector<LoggedEvent>> Log(db::Connection& c, int64_t after_seq, int limit) const;
  // Up to `limit` log entries after `after_seq`, oldest first; with `app` not empty, only those
  // queued for it.
  Result<std::vector<EventLogEntry>> Entries(db::Connection& c, int64_t after_seq,
                                             const std::string& app, int limit) const;
  // The lowest and highest seq still in the log (0, 0 when it is empty), and the highest seq
  // ever assigned (the log's, or what trims and AdvanceSequence remembered).
  struct Bounds {
    int64_t first = 0, last = 0, assigned = 0;
  };
  Result<Bounds> LogBounds(db::Connection& c) const;
  // The next event gets a seq above `at_least` (after a restore of Communities from a backup, so
  // that no application sees a seq twice).
  Status AdvanceSequence(db::Connection& c, int64_t at_least) const;
};

}  // namespace concord::communities::store
