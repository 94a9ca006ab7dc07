#include "concord/lifecycle/visibility.h"

#include <fmt/format.h>

namespace concord::lifecycle {

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

}  // namespace concord::lifecycle
