#include "concord/communities/model.h"

#include <fmt/format.h>

namespace concord::communities {

std::string_view VisibilityName(Visibility v) {
  switch (v) {
    case Visibility::kPublic: return "public";
    case Visibility::kModerated: return "publicInviteOnly";
    case Visibility::kRestricted: return "private";
  }
  return "private";
}

std::vector<std::string> VisibilityNames() { return {"public", "publicInviteOnly", "private"}; }

Result<Visibility> ParseVisibility(std::string_view text, std::string_view field) {
  if (text == "public") return Visibility::kPublic;
  if (text == "publicInviteOnly") return Visibility::kModerated;
  if (text == "private") return Visibility::kRestricted;
  return InvalidArgument(std::string(field),
                         fmt::format("unknown visibility '{}'", text.substr(0, 60)),
                         VisibilityNames());
}

std::string_view RoleName(Role r) { return r == Role::kOwner ? "owner" : "member"; }

Result<Role> ParseRole(std::string_view text) {
  if (text == "owner" || text == "1") return Role::kOwner;
  if (text == "member" || text == "0") return Role::kMember;
  return InvalidArgument("role", fmt::format("unknown role '{}'", text.substr(0, 60)),
                         {"member", "owner"});
}

}  // namespace concord::communities
