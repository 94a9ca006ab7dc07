#pragma once
// Checks and normalization of user-supplied values. Each returns the cleaned value or
// kInvalidArgument naming the field and, where there is a fixed set, the accepted values.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "concord/base/error.h"

namespace concord::communities::validation {

Result<std::string> Name(std::string_view value, std::string_view field = "name");
Result<std::string> Handle(std::string_view value);
Result<std::string> Description(std::string_view value);
Result<std::vector<std::string>> Tags(const std::vector<std::string>& value);
Result<std::string> Theme(std::string_view value);
Result<std::string> Login(std::string_view value);
Result<std::string> Email(std::string_view value);
Status Password(std::string_view value);
Result<int> Limit(std::optional<int64_t> value);
Status CommunityUuidText(std::string_view value, std::string_view field = "communityUuid");

}  // namespace concord::communities::validation
