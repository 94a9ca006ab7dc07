#include "domain/membership.h"

#include <fmt/format.h>

#include <set>

#include "domain/access.h"
#include "domain/validation.h"
#include "store/community_store.h"

namespace concord::communities::domain {
namespace {
const store::CommunityStore kCommunities;
const store::UserStore kUsers;
using db::Connection;
using lifecycle::EventType;
}  // namespace

Membership::Membership(Transactions& tx, const EventPublisher& publisher)
    : tx_(tx), publisher_(publisher) {}

Result<Page<Member>> Membership::ListMembers(const Actor& actor, const CommunityUuid& uuid,
                                             std::optional<Role> role, std::string after,
                                             int limit) {
  CONCORD_ASSIGN_OR_RETURN(limit, validation::Limit(limit));
  return tx_.Read([&](Connection& c) -> Result<Page<Member>> {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, Load(c, actor, uuid));
    // A listed restricted community shows its owners to everyone, and nothing more.
    if (!l.full && role != Role::kOwner) return CommunityNotFound(uuid);
    CONCORD_ASSIGN_OR_RETURN(auto rows, kCommunities.Members(c, uuid, role, after, limit + 1));
    return MakePage(std::move(rows), limit, [](const Member& m) { return m.user.value(); });
  });
}

Result<Member> Membership::GetMember(const Actor& actor, const CommunityUuid& uuid,
                                     const UserId& user) {
  return tx_.Read([&](Connection& c) -> Result<Member> {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, Load(c, actor, uuid));
    CONCORD_ASSIGN_OR_RETURN(auto m, kCommunities.FindMember(c, uuid, user));
    // A listed restricted community shows its owners, and nobody else, to non-members.
    if (!m || (!l.full && m->role != Role::kOwner)) {
      if (!l.full) return CommunityNotFound(uuid);
      return NotFound(
          fmt::format("user {} is not a member of community {}", user.value(), uuid.value()));
    }
    return *m;
  });
}

Result<std::vector<Member>> Membership::AddMembers(const Actor& actor, const CommunityUuid& uuid,
                                                   const std::vector<std::string>& refs,
                                                   Role role) {
  if (refs.empty()) return InvalidArgument("users", "name at least one user to add");
  if (refs.size() > 1000) return InvalidArgument("users", "add at most 1000 users at a time");
  return tx_.Write([&](Connection& c) -> Result<std::vector<Member>> {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, Load(c, actor, uuid));
    if (!l.full) return CommunityNotFound(uuid);
    Community& x = l.community;
    std::vector<User> users;
    std::set<UserId> seen;
    for (const auto& ref : refs) {
      CONCORD_ASSIGN_OR_RETURN(User u, ResolveUser(c, ref));
      if (seen.insert(u.id).second) users.push_back(std::move(u));
    }
    bool self_join = users.size() == 1 && users[0].id == actor.id && role == Role::kMember;
    if (!l.can_manage) {
      if (!self_join) return NotAllowedToChange(x);
      if (x.visibility != Visibility::kPublic) {
        return PermissionDenied(fmt::format(
            "community {} is moderated: ask one of its owners to add you", uuid.value()));
      }
    }
    Millis now = NowMillis();
    std::vector<Member> added;
    for (const auto& u : users) {
      if (u.disabled) return FailedPrecondition(fmt::format("user {} is disabled", u.login));
      CONCORD_ASSIGN_OR_RETURN(auto existing, kCommunities.RoleOf(c, uuid, u.id));
      if (existing) {
        return AlreadyExists(
            fmt::format("{} is already a {} of community {}; change a role with PUT .../members/{}",
                        u.login, RoleName(*existing), uuid.value(), u.id.value()));
      }
      if (x.parent) {
        CONCORD_ASSIGN_OR_RETURN(auto in_parent, kCommunities.RoleOf(c, *x.parent, u.id));
        if (!in_parent) {
          return FailedPrecondition(fmt::format(
              "{} is not a member of the parent community {}; a subcommunity's members must "
              "belong to its parent",
              u.login, x.parent->value()));
        }
      }
      CONCORD_RETURN_IF_ERROR(kCommunities.InsertMember(c, uuid, u.id, role, now));
      added.push_back(Member{u.id, u.login, u.email, u.display_name, role, now});
    }
    x.member_count += static_cast<int64_t>(added.size());
    CONCORD_RETURN_IF_ERROR(Touch(c, x, actor));
    CONCORD_RETURN_IF_ERROR(publisher_.Publish(c, EventType::kMembersAdded, x, actor));
    return added;
  });
}

Result<Member> Membership::SetRole(const Actor& actor, const CommunityUuid& uuid,
                                   const UserId& user, Role role) {
  return tx_.Write([&](Connection& c) -> Result<Member> {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, LoadToChange(c, actor, uuid));
    CONCORD_ASSIGN_OR_RETURN(auto current, kCommunities.RoleOf(c, uuid, user));
    if (!current) {
      return NotFound(
          fmt::format("user {} is not a member of community {}", user.value(), uuid.value()));
    }
    CONCORD_ASSIGN_OR_RETURN(auto u, kUsers.FindById(c, user));
    Member m{user, u->login, u->email, u->display_name, role, 0};
    if (*current == role) return m;
    if (*current == Role::kOwner) {
      CONCORD_ASSIGN_OR_RETURN(int64_t owners, kCommunities.CountOwners(c, uuid));
      if (owners <= 1) {
        return FailedPrecondition(
            fmt::format("{} is the last owner of community {}; make another member an owner first",
                        u->login, uuid.value()));
      }
    }
    CONCORD_RETURN_IF_ERROR(kCommunities.UpdateRole(c, uuid, user, role));
    CONCORD_RETURN_IF_ERROR(Touch(c, l.community, actor));
    CONCORD_RETURN_IF_ERROR(publisher_.Publish(c, EventType::kMembersModified, l.community, actor));
    return m;
  });
}

Status Membership::RemoveMember(const Actor& actor, const CommunityUuid& uuid, const UserId& user) {
  return tx_.Write([&](Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, Load(c, actor, uuid));
    bool leaving = user == actor.id;
    if (!l.can_manage && !(leaving && l.role)) {
      return l.full ? NotAllowedToChange(l.community) : CommunityNotFound(uuid);
    }
    CONCORD_ASSIGN_OR_RETURN(auto current, kCommunities.RoleOf(c, uuid, user));
    if (!current) {
      return NotFound(
          fmt::format("user {} is not a member of community {}", user.value(), uuid.value()));
    }
    auto last_owner = [&](const CommunityUuid& in) -> Result<bool> {
      CONCORD_ASSIGN_OR_RETURN(auto r, kCommunities.RoleOf(c, in, user));
      if (r != Role::kOwner) return false;
      CONCORD_ASSIGN_OR_RETURN(int64_t owners, kCommunities.CountOwners(c, in));
      return owners <= 1;
    };
    CONCORD_ASSIGN_OR_RETURN(bool is_last, last_owner(uuid));
    if (is_last) {
      return FailedPrecondition(fmt::format(
          "user {} is the last owner of community {} and cannot be removed; make another member "
          "an owner first",
          user.value(), uuid.value()));
    }
    // Leaving a community means leaving its subcommunities too.
    CONCORD_ASSIGN_OR_RETURN(auto subs, kCommunities.SubcommunitiesOfMember(c, uuid, user));
    for (const auto& s : subs) {
      CONCORD_ASSIGN_OR_RETURN(bool last_in_sub, last_owner(s));
      if (last_in_sub) {
        return FailedPrecondition(
            fmt::format("user {} is the last owner of subcommunity {}; make another member an "
                        "owner there first",
                        user.value(), s.value()));
      }
    }
    for (const auto& s : subs) {
      CONCORD_ASSIGN_OR_RETURN(auto sub, kCommunities.Find(c, s));
      CONCORD_RETURN_IF_ERROR(kCommunities.DeleteMember(c, s, user));
      sub->member_count -= 1;
      CONCORD_RETURN_IF_ERROR(Touch(c, *sub, actor));
      CONCORD_RETURN_IF_ERROR(publisher_.Publish(c, EventType::kMembersRemoved, *sub, actor));
    }
    CONCORD_RETURN_IF_ERROR(kCommunities.DeleteMember(c, uuid, user));
    l.community.member_count -= 1;
    CONCORD_RETURN_IF_ERROR(Touch(c, l.community, actor));
    CONCORD_RETURN_IF_ERROR(publisher_.Publish(c, EventType::kMembersRemoved, l.community, actor));
    return Ok();
  });
}

}  // namespace concord::communities::domain
