#include "domain/access.h"

#include <fmt/format.h>

#include <algorithm>

#include "concord/lifecycle/widgets.h"
#include "domain/validation.h"
#include "store/community_store.h"

namespace concord::communities::domain {
namespace {
const store::CommunityStore kCommunities;
const store::UserStore kUsers;
using db::Connection;
}  // namespace

std::unexpected<Error> CommunityNotFound(const CommunityUuid& uuid) {
  return NotFound(fmt::format("community {} not found", uuid.value()));
}

std::unexpected<Error> NotAllowedToChange(const Community& c) {
  return PermissionDenied(fmt::format(
      "only the owners of community {} and administrators can change it", c.uuid.value()));
}

Result<LoadedCommunity> Load(Connection& c, const Actor& actor, const CommunityUuid& uuid) {
  CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(uuid.value()));
  CONCORD_ASSIGN_OR_RETURN(auto found, kCommunities.Find(c, uuid));
  if (!found) return CommunityNotFound(uuid);
  LoadedCommunity l;
  l.community = std::move(*found);
  CONCORD_ASSIGN_OR_RETURN(l.role, kCommunities.RoleOf(c, uuid, actor.id));
  l.can_manage = actor.admin || l.role == Role::kOwner;
  if (l.community.trash) {
    if (!l.can_manage) return CommunityNotFound(uuid);
    return NotFound(
        fmt::format("community {} is in the trash; restore it first "
                    "(POST /communities/api/trash/{}/restore)",
                    uuid.value(), uuid.value()));
  }
  if (l.community.visibility == Visibility::kRestricted && !l.role && !actor.admin) {
    if (!l.community.list_when_private) return CommunityNotFound(uuid);
    l.full = false;
  }
  return l;
}

Result<LoadedCommunity> LoadToChange(Connection& c, const Actor& actor, const CommunityUuid& uuid) {
  CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, Load(c, actor, uuid));
  if (!l.can_manage) return l.full ? NotAllowedToChange(l.community) : CommunityNotFound(uuid);
  return l;
}

Status Touch(Connection& c, Community& community, const Actor& actor) {
  CONCORD_ASSIGN_OR_RETURN(community.version, kCommunities.NextVersion(c, community.version));
  community.last_mod = std::max(NowMillis(), community.last_mod);
  community.last_mod_by = actor.id;
  return kCommunities.Update(c, community);
}

Result<User> ResolveUser(Connection& c, const std::string& ref) {
  std::optional<User> u;
  if (IsUuid(ref)) {
    CONCORD_ASSIGN_OR_RETURN(u, kUsers.FindById(c, UserId(ref)));
  } else if (ref.find('@') != std::string::npos) {
    CONCORD_ASSIGN_OR_RETURN(u, kUsers.FindByEmail(c, ref));
  } else {
    CONCORD_ASSIGN_OR_RETURN(u, kUsers.FindByLogin(c, ref));
  }
  if (!u) {
    return NotFound(
        fmt::format("no user '{}' (give a user id, login or email)", ref.substr(0, 100)));
  }
  return *u;
}

// Loads a trashed community that `actor` may act on in the trash (its owners, administrators).
Result<Community> LoadTrashed(Connection& c, const Actor& actor, const CommunityUuid& uuid) {
  CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(uuid.value()));
  CONCORD_ASSIGN_OR_RETURN(auto found, kCommunities.Find(c, uuid));
  if (!found) return CommunityNotFound(uuid);
  CONCORD_ASSIGN_OR_RETURN(auto role, kCommunities.RoleOf(c, uuid, actor.id));
  bool can_manage = actor.admin || role == Role::kOwner;
  bool visible = can_manage || role || found->visibility != Visibility::kRestricted;
  if (!found->trash) {
    if (!visible) return CommunityNotFound(uuid);
    return FailedPrecondition(fmt::format("community {} is not in the trash", uuid.value()));
  }
  if (!can_manage) return CommunityNotFound(uuid);
  return *found;
}

Status CheckRemoteDef(const std::string& widget_def_id) {
  const auto* def = lifecycle::FindWidgetDef(widget_def_id);
  if (!def || !def->remote) {
    return InvalidArgument(
        "widgetDefId",
        fmt::format("'{}' is not a remote application's widgetDefId", widget_def_id.substr(0, 60)),
        lifecycle::RemoteWidgetDefIds());
  }
  return Ok();
}

}  // namespace concord::communities::domain
