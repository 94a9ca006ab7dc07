#include "domain/validation.h"

#include <fmt/format.h>

#include <algorithm>

#include "concord/base/ids.h"
#include "concord/base/text.h"

namespace concord::communities::validation {
namespace {

// Echo at most this much of a rejected value in a message.
std::string Shown(std::string_view v) {
  if (!IsValidUtf8(v) || HasControlChars(v, false)) return "(unprintable)";
  if (v.size() <= 60) return std::string(v);
  return std::string(v.substr(0, 57)) + "...";
}

bool IsTokenChar(char c, std::string_view extra) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         extra.find(c) != std::string_view::npos;
}

}  // namespace

Result<std::string> Name(std::string_view value, std::string_view field) {
  return ValidSingleLine(value, field, 256);
}

Result<std::string> Handle(std::string_view v) {
  bool ok = !v.empty() && v.size() <= 64 && v.front() != '-' &&
            std::all_of(v.begin(), v.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            });
  if (!ok) {
    return InvalidArgument("handle", fmt::format("'{}' is not a handle: use 1 to 64 lower-case "
                                                 "letters, digits and '-', not starting with '-'",
                                                 Shown(v)));
  }
  return std::string(v);
}

Result<std::string> Description(std::string_view v) { return ValidText(v, "description", 20000); }

Result<std::vector<std::string>> Tags(const std::vector<std::string>& value) {
  std::vector<std::string> out;
  for (const auto& raw : value) {
    std::string t = AsciiLower(Trim(raw));
    bool ok = !t.empty() && Utf8Length(t) <= 64 && IsValidUtf8(t) && !HasControlChars(t, false) &&
              t.find_first_of(" ,\t") == std::string::npos;
    if (!ok) {
      return InvalidArgument("tags", fmt::format("'{}' is not a tag: tags are 1 to 64 characters "
                                                 "without spaces or commas",
                                                 Shown(raw)));
    }
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
  }
  if (out.size() > 30) return InvalidArgument("tags", "a community has at most 30 tags");
  return out;
}

Result<std::string> Theme(std::string_view v) {
  bool ok = !v.empty() && v.size() <= 64 &&
            std::all_of(v.begin(), v.end(), [](char c) { return IsTokenChar(c, "-_"); });
  if (!ok) {
    return InvalidArgument("theme", fmt::format("'{}' is not a theme name: use 1 to 64 letters, "
                                                "digits, '-' and '_'",
                                                Shown(v)));
  }
  return std::string(v);
}

Result<std::string> Login(std::string_view v) {
  bool ok = !v.empty() && v.size() <= 64 && v.find('@') == std::string_view::npos &&
            std::all_of(v.begin(), v.end(), [](char c) { return IsTokenChar(c, "-_."); });
  if (!ok || IsUuid(v)) {
    return InvalidArgument("login", fmt::format("'{}' is not a login: use 1 to 64 letters, digits, "
                                                "'.', '-' and '_'",
                                                Shown(v)));
  }
  return std::string(v);
}

Result<std::string> Email(std::string_view v) {
  auto at = v.find('@');
  bool ok = v.size() <= 254 && at != std::string_view::npos && at > 0 && at + 1 < v.size() &&
            v.find('@', at + 1) == std::string_view::npos && IsValidUtf8(v) &&
            !HasControlChars(v, false) && v.find_first_of(" \t,;<>\"") == std::string_view::npos;
  if (!ok) return InvalidArgument("email", fmt::format("'{}' is not an email address", Shown(v)));
  return std::string(v);
}

Status Password(std::string_view v) {
  if (v.size() < 8)
    return InvalidArgument("password", "the password must have at least 8 characters");
  if (v.size() > 1024)
    return InvalidArgument("password", "the password is longer than 1024 characters");
  return Ok();
}

Result<int> Limit(std::optional<int64_t> value) {
  if (!value) return 50;
  if (*value < 1 || *value > 500) {
    return InvalidArgument("limit", fmt::format("limit must be from 1 to 500, not {}", *value));
  }
  return static_cast<int>(*value);
}

Status CommunityUuidText(std::string_view v, std::string_view field) {
  if (!IsUuid(v)) {
    return InvalidArgument(
        std::string(field),
        fmt::format("'{}' is not a community uuid (8-4-4-4-12 lower-case hex)", Shown(v)));
  }
  return Ok();
}

}  // namespace concord::communities::validation
