#pragma once
// A community's visibility, as the reference names it (connections-admin.md, section 2) and as
// lifecycle events, synced records and exports carry it: `public`, `publicInviteOnly`
// (moderated: anyone reads, joining needs an invitation) or `private` (restricted: members only).
// Decisions are made on the enum; the names are the wire form.

#include <string>
#include <string_view>
#include <vector>

#include "concord/base/error.h"

namespace concord::lifecycle {

enum class Visibility { kPublic, kModerated, kRestricted };

std::string_view VisibilityName(Visibility v);  // "public", "publicInviteOnly", "private"
// kInvalidArgument (field `field`) listing the accepted values if `text` is none of them.
Result<Visibility> ParseVisibility(std::string_view text, std::string_view field = "visibility");
std::vector<std::string> VisibilityNames();

}  // namespace concord::lifecycle
