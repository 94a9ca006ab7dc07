#pragma once
// The recovery toolkit's side in Communities: what synchronization reports compare
// (SyncStates, SyncLookup), resyncRemoteApps (Resync) and assignRemoteApp, which publish events
// and wait for their delivery. The contracts are CommunitiesService's
// (include/concord/communities/service.h).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "concord/communities/model.h"
#include "concord/communities/service.h"
#include "domain/event_publisher.h"
#include "domain/queue_administration.h"
#include "domain/transactions.h"

namespace concord::communities::domain {

// Thread-safe.
class SyncAdministration {
 public:
  // `queue` tells whether events are queued (a resync's precondition); `deliveries`, if set,
  // wakes the wait for delivery.
  SyncAdministration(Transactions& tx, const EventPublisher& publisher, QueueAdministration& queue,
                     std::shared_ptr<DeliveryProgress> deliveries);

  Result<std::vector<SyncState>> SyncStates(const Actor& actor, const std::string& widget_def_id,
                                            const std::string& after, int limit);
  Result<std::vector<SyncState>> SyncLookup(const Actor& actor, const std::string& widget_def_id,
                                            const std::vector<std::string>& uuids);
  Result<CommunitiesService::ResyncOutcome> Resync(const Actor& actor,
                                                   const std::vector<CommunityUuid>& communities,
                                                   const std::optional<std::string>& widget_def_id,
                                                   std::chrono::milliseconds wait);
  Result<Widget> AssignRemoteApp(const Actor& actor, const std::string& remote_app_def_id,
                                 const std::string& resource_id, const CommunityUuid& old_community,
                                 const CommunityUuid& new_community, const std::string& ui_location,
                                 std::chrono::milliseconds wait);

 private:
  // Waits up to `wait` for the deliveries of events [first_seq, last_seq]; returns how many
  // are still undelivered.
  Result<int64_t> WaitForDelivery(int64_t first_seq, int64_t last_seq,
                                  std::chrono::milliseconds wait);

  Transactions& tx_;
  const EventPublisher& publisher_;
  QueueAdministration& queue_;
  std::shared_ptr<DeliveryProgress> deliveries_;
};

}  // namespace concord::communities::domain
