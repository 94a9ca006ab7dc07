#include "concord/base/clock.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

namespace concord {

Millis NowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatTimestamp(Millis ms) {
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int frac = static_cast<int>(ms - static_cast<Millis>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

std::optional<Millis> ParseTimestamp(std::string_view t) {
  std::tm tm{};
  int frac = 0;
  char tail[8] = {};
  std::string s(t);
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%1s", &tm.tm_year, &tm.tm_mon,
                      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &frac, tail);
  if (n == 8 && tail[0] == 'Z') {
  } else {
    n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%1s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, tail);
    if (n != 7 || tail[0] != 'Z') return std::nullopt;
    frac = 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = timegm(&tm);
  return static_cast<Millis>(secs) * 1000 + frac;
}

}  // namespace concord
