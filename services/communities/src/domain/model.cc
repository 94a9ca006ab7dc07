#include "concord/communities/model.h"

#include <fmt/format.h>

namespace concord::communities {

std::string_view RoleName(Role r) { return r == Role::kOwner ? "owner" : "member"; }

Result<Role> ParseRole(std::string_view text) {
  if (text == "owner" || text == "1") return Role::kOwner;
  if (text == "member" || text == "0") return Role::kMember;
  return InvalidArgument("role", fmt::format("unknown role '{}'", text.substr(0, 60)),
                         {"member", "owner"});
}

}  // namespace concord::communities
