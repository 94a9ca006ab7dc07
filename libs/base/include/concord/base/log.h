#pragma once
// Logging: one setup for every Concord binary, and log lines nobody can forge.
//
// Every message passes through one formatter that escapes what a client could have put in it
// (a decoded path, a login): control characters, and in the JSON format quotes and
// backslashes, so that one call always writes exactly one line. Two formats:
//
//   text  2026-12-01T06:00:00.123 INFO  GET /communities/api/communities 200 1.2ms user=admin
//   json  {"time":"2026-12-01T06:00:00.123Z","level":"info","message":"...","status":200,...}
//
//   InitLogging("info", LogFormat::kJson);
//   LogEvent(spdlog::level::info, "request", {{"method", "GET"}, {"status", 200}});
//
// LogEvent writes structured fields: members of the JSON object, or `key=value` pairs (values
// quoted and escaped when they need it) after the message in text.

#include <spdlog/spdlog.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "concord/base/error.h"

namespace concord {

enum class LogFormat { kText, kJson };

// kInvalidArgument (field `field`) unless `text` is "text" or "json".
[[nodiscard]] Result<LogFormat> ParseLogFormat(std::string_view text,
                                               std::string_view field = "log_format");

// Replaces the default logger with one writing to stderr in `format` at `level` ("trace",
// "debug", "info", "warn", "error"). Call once, before other threads log.
void InitLogging(const std::string& level, LogFormat format = LogFormat::kText);

// The format InitLogging set (kText before it is called).
LogFormat CurrentLogFormat();

// `text` with every control character, DEL, and invalid UTF-8 escaped (\n, \r, \t, \xNN), so
// that it can never start a new log line. Quotes and backslashes stay as they are.
std::string EscapeForLog(std::string_view text);

using LogValue = std::variant<std::string_view, int64_t, double, bool>;
using LogField = std::pair<std::string_view, LogValue>;

// One log line with a message and named fields (see the file comment).
void LogEvent(spdlog::level::level_enum level, std::string_view message,
              std::initializer_list<LogField> fields);

}  // namespace concord
