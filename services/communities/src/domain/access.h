#pragma once
// Loading a community as a caller may see it, and the checks and small pieces that every part
// of the domain shares (errors, the user a reference names, a change's version bump, paging).

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "concord/base/error.h"
#include "concord/communities/model.h"
#include "concord/db/database.h"

namespace concord::communities::domain {

// A community as the caller sees it.
struct LoadedCommunity {
  Community community;
  std::optional<Role> role;  // the caller's
  bool full = true;          // the caller sees all of it (not only a listing)
  bool can_manage = false;   // an owner or an administrator
};

// The community as `actor` may see it: kNotFound if invisible (or in the trash),
// kInvalidArgument for a malformed uuid.
Result<LoadedCommunity> Load(db::Connection& c, const Actor& actor, const CommunityUuid& uuid);
// The same, and kPermissionDenied unless `actor` is an owner or an administrator.
Result<LoadedCommunity> LoadToChange(db::Connection& c, const Actor& actor,
                                     const CommunityUuid& uuid);
// A trashed community that `actor` may act on in the trash (its owners, administrators):
// kFailedPrecondition if it is not in the trash, kNotFound if `actor` may not see it.
Result<Community> LoadTrashed(db::Connection& c, const Actor& actor, const CommunityUuid& uuid);

// The user named by id, email or login; kNotFound.
Result<User> ResolveUser(db::Connection& c, const std::string& ref);

// Records a change to `community` by `actor`: bumps its version and lastMod, and stores it.
Status Touch(db::Connection& c, Community& community, const Actor& actor);

std::unexpected<Error> CommunityNotFound(const CommunityUuid& uuid);
std::unexpected<Error> NotAllowedToChange(const Community& c);
// kInvalidArgument (listing the valid ones) unless `widget_def_id` is a remote application's.
Status CheckRemoteDef(const std::string& widget_def_id);

// Keyset paging: ask the store for one row more than the page, to know whether there is a next.
template <typename T, typename Key>
Page<T> MakePage(std::vector<T> rows, int limit, Key&& key) {
  Page<T> page;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<size_t>(limit));
    page.next = key(rows.back());
  }
  page.items = std::move(rows);
  return page;
}

}  // namespace concord::communities::domain
