#pragma once
// The trash: moving communities (with their subcommunities) to it, listing, restoring and
// purging them, and purging what stayed longer than the retention period. The contracts are
// CommunitiesService's (include/concord/communities/service.h).

#include <string>

#include "concord/communities/model.h"
#include "domain/event_publisher.h"
#include "domain/transactions.h"

namespace concord::communities::domain {

// Thread-safe.
class CommunityTrash {
 public:
  CommunityTrash(Transactions& tx, const EventPublisher& publisher, int retention_days);

  Result<Community> Trash(const Actor& actor, const CommunityUuid& uuid);
  Result<Page<Community>> ListTrash(const Actor& actor, std::string after, int limit);
  Result<Community> Restore(const Actor& actor, const CommunityUuid& uuid);
  Status Purge(const Actor& actor, const CommunityUuid& uuid);
  Result<int64_t> PurgeExpired(Millis now);

 private:
  // Purges a community and its subcommunities, telling each application first.
  Status PurgeTree(db::Connection& c, const CommunityUuid& uuid, const Actor& actor);

  Transactions& tx_;
  const EventPublisher& publisher_;
  int retention_days_;
};

}  // namespace concord::communities::domain
