#pragma once
// Validation and clean-up of text that comes from users: names, descriptions, tags.

#include <string>
#include <string_view>

#include "concord/base/error.h"

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

// A one-line text from a user (a name, a title): trimmed, not empty, valid UTF-8 without control
// characters, at most `max_chars` characters. kInvalidArgument naming `field` otherwise.
Result<std::string> ValidSingleLine(std::string_view value, std::string_view field,
                                    size_t max_chars);
// A longer text (a description, an entry's content): valid UTF-8, control characters only as
// line breaks and tabs, at most `max_chars` characters; may be empty.
Result<std::string> ValidText(std::string_view value, std::string_view field, size_t max_chars);

// `s` with &, <, >, " and ' replaced by character references: safe as HTML text and inside a
// quoted attribute value.
std::string EscapeHtml(std::string_view s);

}  // namespace concord
