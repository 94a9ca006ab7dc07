#include "concord/base/log.h"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace concord {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};

// LogEvent hands the formatter a message that starts with this byte, followed by the JSON
// members it has already rendered. An ordinary message cannot start with it: messages begin
// with Concord's own words, and anything a client supplied is escaped before it is written.
constexpr char kStructured = '\x1e';

// Length of the valid UTF-8 sequence starting at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return n;
}

void AppendEscaped(std::string& out, std::string_view s, bool json) {
  for (size_t i = 0; i < s.size();) {
    char ch = s[i];
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      size_t n = Utf8Length(s, i);
      if (n > 0) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += json ? fmt::format("\\u00{:02x}", c) : fmt::format("\\x{:02x}", c);
        ++i;
      }
      continue;
    }
    switch (ch) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += json ? "\\\"" : "\""; break;
      case '\\': out += json ? "\\\\" : "\\"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += json ? fmt::format("\\u{:04x}", c) : fmt::format("\\x{:02x}", c);
        } else {
          out += ch;
        }
    }
    ++i;
  }
}

std::string Timestamp(const spdlog::details::log_msg& msg, bool utc_suffix) {
  auto t = std::chrono::system_clock::to_time_t(msg.time);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()) % 1000;
  std::tm tm{};
  if (utc_suffix) {
    gmtime_r(&t, &tm);
  } else {
    localtime_r(&t, &tm);
  }
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms.count(),
                     utc_suffix ? "Z" : "");
}

// One line per message, whatever the message holds.
class SafeFormatter final : public spdlog::formatter {
 public:
  explicit SafeFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    auto level_name = spdlog::level::to_string_view(msg.level);
    std::string_view level(level_name.data(), level_name.size());
    std::string line;
    if (format_ == LogFormat::kJson) {
      line = fmt::format(R"({{"time":"{}","level":"{}")", Timestamp(msg, true), level);
      if (!text.empty() && text[0] == kStructured) {
        line.append(text.substr(1));  // already `,"message":...` rendered by LogEvent
      } else {
        line += R"(,"message":")";
        AppendEscaped(line, text, true);
        line += '"';
      }
      line += "}\n";
    } else {
      line = fmt::format("{} {:<5} ", Timestamp(msg, false), level);
      if (!text.empty() && text[0] == kStructured) text.remove_prefix(1);
      AppendEscaped(line, text, false);
      line += '\n';
    }
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<SafeFormatter>(format_);
  }

 private:
  LogFormat format_;
};

// A field's value: JSON always quotes strings; text quotes them only when they hold a space,
// a quote or '=' (or are empty), so that `key=value` pairs stay unambiguous.
void AppendValue(std::string& out, const LogValue& v, bool json) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          bool quote = json || x.empty() || x.find_first_of(" \"=") != std::string_view::npos;
          if (!quote) {
            AppendEscaped(out, x, false);
          } else {
            out += '"';
            AppendEscaped(out, x, true);  // quotes and backslashes escaped inside quotes
            out += '"';
          }
        } else if constexpr (std::is_same_v<T, bool>) {
          out += x ? "true" : "false";
        } else {
          out += fmt::format("{}", x);
        }
      },
      v);
}

}  // namespace

Result<LogFormat> ParseLogFormat(std::string_view text, std::string_view field) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return InvalidArgument(std::string(field),
                         fmt::format("unknown log format '{}'", EscapeForLog(text.substr(0, 40))),
                         {"text", "json"});
}

void InitLogging(const std::string& level, LogFormat format) {
  g_format = format;
  auto logger = std::make_shared<spdlog::logger>("concord",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(std::make_unique<SafeFormatter>(format));
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

LogFormat CurrentLogFormat() { return g_format; }

std::string EscapeForLog(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendEscaped(out, text, false);
  return out;
}

void LogEvent(spdlog::level::level_enum level, std::string_view message,
              std::initializer_list<LogField> fields) {
  if (!spdlog::default_logger_raw()->should_log(level)) return;
  std::string line(1, kStructured);
  if (g_format == LogFormat::kJson) {
    line += R"(,"message":")";
    AppendEscaped(line, message, true);
    line += '"';
    for (const auto& [key, value] : fields) {
      line += ",\"";
      AppendEscaped(line, key, true);
      line += "\":";
      AppendValue(line, value, true);
    }
  } else {
    // Escaped here, so the formatter's own pass leaves it as it is.
    AppendEscaped(line, message, false);
    for (const auto& [key, value] : fields) {
      line += ' ';
      line.append(key);
      line += '=';
      AppendValue(line, value, false);
    }
  }
  spdlog::log(level, "{}", line);
}

}  // namespace concord
