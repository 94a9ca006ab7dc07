#include "concord/base/text.h"

#include <fmt/format.h>

#include <cstdint>

namespace concord {

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) {
      return false;  // overlong
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

bool HasControlChars(std::string_view s, bool allow_newlines) {
  for (unsigned char c : s) {
    if (c == 0x7f) return true;
    if (c < 0x20) {
      if (c == '\t') continue;
      if (allow_newlines && (c == '\n' || c == '\r')) continue;
      return true;
    }
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

namespace {
// U+FFFE or U+FFFF: not characters (XML, which the exports are, cannot carry them).
bool HasNonCharacters(std::string_view v) {
  return v.find("\xEF\xBF\xBE") != std::string_view::npos ||
         v.find("\xEF\xBF\xBF") != std::string_view::npos;
}
}  // namespace

Result<std::string> ValidSingleLine(std::string_view value, std::string_view field,
                                    size_t max_chars) {
  std::string_view v = Trim(value);
  if (v.empty())
    return InvalidArgument(std::string(field), fmt::format("'{}' must not be empty", field));
  if (!IsValidUtf8(v) || HasControlChars(v, false)) {
    return InvalidArgument(std::string(field),
                           fmt::format("'{}' contains control characters", field));
  }
  if (HasNonCharacters(v)) {
    return InvalidArgument(
        std::string(field),
        fmt::format("'{}' contains U+FFFE or U+FFFF, which are not characters", field));
  }
  if (Utf8Length(v) > max_chars) {
    return InvalidArgument(std::string(field),
                           fmt::format("'{}' is longer than {} characters", field, max_chars));
  }
  return std::string(v);
}

Result<std::string> ValidText(std::string_view v, std::string_view field, size_t max_chars) {
  if (!IsValidUtf8(v) || HasControlChars(v, true)) {
    return InvalidArgument(std::string(field),
                           fmt::format("'{}' contains control characters", field));
  }
  if (HasNonCharacters(v)) {
    return InvalidArgument(
        std::string(field),
        fmt::format("'{}' contains U+FFFE or U+FFFF, which are not characters", field));
  }
  if (Utf8Length(v) > max_chars) {
    return InvalidArgument(std::string(field),
                           fmt::format("'{}' is longer than {} characters", field, max_chars));
  }
  return std::string(v);
}

std::string EscapeHtml(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

}  // namespace concord
