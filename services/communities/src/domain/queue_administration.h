#pragma once
// The administrators' view of the lifecycle event queue (summary, listing, clearing) and of the
// event log (bounds, listing, trimming, advancing the sequence). The contracts are
// CommunitiesService's (include/concord/communities/service.h).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "concord/communities/model.h"
#include "concord/communities/service.h"
#include "domain/transactions.h"

namespace concord::communities::domain {

// Thread-safe.
class QueueAdministration {
 public:
  // `deliveries`, if set, is told when the queue is cleared.
  QueueAdministration(Transactions& tx, std::shared_ptr<DeliveryProgress> deliveries);

  static Status ValidateQueuedEventFilter(const QueuedEventFilter& filter);
  Result<std::vector<QueueSummary>> QueuedEventsSummary(const Actor& actor);
  Result<Page<QueuedEvent>> ListQueuedEvents(const Actor& actor, const QueuedEventFilter& filter,
                                             const std::string& after, int limit);
  Result<int64_t> ClearQueuedEvents(const Actor& actor, const QueuedEventFilter& filter);

  Result<int64_t> TrimEventLog(Millis before);
  Result<CommunitiesService::EventLogBounds> EventLog(const Actor& actor);
  Result<CommunitiesService::EventLogPage> ListEventLog(
      const Actor& actor, const std::optional<std::string>& remote_app_def_id, int64_t after_seq,
      int limit);
  Status AdvanceEventSequence(const Actor& actor, int64_t at_least, int64_t versions_at_least);

 private:
  Transactions& tx_;
  std::shared_ptr<DeliveryProgress> deliveries_;
};

}  // namespace concord::communities::domain
