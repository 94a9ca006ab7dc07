#pragma once
// A community's members: listing them, adding users, changing roles, removing (or leaving,
// with the subcommunities). The contracts are CommunitiesService's
// (include/concord/communities/service.h).

#include <optional>
#include <string>
#include <vector>

#include "concord/communities/model.h"
#include "domain/event_publisher.h"
#include "domain/transactions.h"

namespace concord::communities::domain {

// Thread-safe.
class Membership {
 public:
  Membership(Transactions& tx, const EventPublisher& publisher);

  Result<Page<Member>> ListMembers(const Actor& actor, const CommunityUuid& uuid,
                                   std::optional<Role> role, std::string after, int limit);
  Result<Member> GetMember(const Actor& actor, const CommunityUuid& uuid, const UserId& user);
  Result<std::vector<Member>> AddMembers(const Actor& actor, const CommunityUuid& uuid,
                                         const std::vector<std::string>& users, Role role);
  Result<Member> SetRole(const Actor& actor, const CommunityUuid& uuid, const UserId& user,
                         Role role);
  Status RemoveMember(const Actor& actor, const CommunityUuid& uuid, const UserId& user);

 private:
  Transactions& tx_;
  const EventPublisher& publisher_;
};

}  // namespace concord::communities::domain
