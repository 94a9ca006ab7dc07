#pragma once
// Validation and clean-up of text that comes from users: names, descriptions, tags.

#include <string>
#include <string_view>

namespace concord {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool IsValidUtf8(std::string_view s);

// True when `s` contains an ASCII control character other than tab, newline and carriage return.
bool HasControlChars(std::string_view s, bool allow_newlines);

// `s` without leading and trailing ASCII white space.
std::string_view Trim(std::string_view s);

// Number of code points in valid UTF-8 `s`.
size_t Utf8Length(std::string_view s);

// ASCII lower-case copy.
std::string AsciiLower(std::string_view s);

}  // namespace concord
