#pragma once
// Wall-clock time as milliseconds since the Unix epoch, and its ISO 8601 text form.
// Every timestamp Concord stores is an int64 of milliseconds (UTC).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace concord {

using Millis = int64_t;

// Now, in milliseconds since the epoch.
Millis NowMillis();

// "2026-11-26T09:30:00.123Z".
std::string FormatTimestamp(Millis ms);

// Parses the form FormatTimestamp writes (the fraction is optional). nullopt if malformed.
std::optional<Millis> ParseTimestamp(std::string_view text);

constexpr Millis kMillisPerDay = 24LL * 3600 * 1000;

}  // namespace concord
