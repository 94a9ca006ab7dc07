#include "concord/scheduler/cron.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <ctime>
#include <vector>

namespace concord::scheduler {
namespace {

struct FieldSpec {
  std::string_view name;
  int lo, hi;
  std::vector<std::string_view> names;  // names[i] is value lo + i
};

const std::array<FieldSpec, 6> kFields = {{
    {"second", 0, 59, {}},
    {"minute", 0, 59, {}},
    {"hourOfDay", 0, 23, {}},
    {"dayOfMonth", 1, 31, {}},
    {"month",
     1,
     12,
     {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
    {"dayOfWeek", 1, 7, {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}};

std::unexpected<Error> FieldError(const FieldSpec& f, std::string_view text, std::string_view why) {
  return InvalidArgument(
      std::string(f.name),
      fmt::format("cron field {} '{}' {}: use *, a number from {} to {}{}, a "
                  "range a-b, a list a,b or a step */n",
                  f.name, text.substr(0, 40), why, f.lo, f.hi,
                  f.names.empty() ? "" : " or a name such as " + std::string(f.names[0])));
}

Result<int> Value(const FieldSpec& f, std::string_view token, std::string_view whole) {
  for (size_t i = 0; i < f.names.size(); ++i) {
    if (token.size() == 3 && std::equal(token.begin(), token.end(), f.names[i].begin(),
                                        [](char a, char b) { return std::toupper(a) == b; })) {
      return f.lo + static_cast<int>(i);
    }
  }
  int v = 0;
  auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec != std::errc() || p != token.data() + token.size())
    return FieldError(f, whole, "is not understood");
  if (v < f.lo || v > f.hi) return FieldError(f, whole, "is out of range");
  return v;
}

// Sets bits lo..hi of `bits` per the field text.
template <size_t N>
Status ParseField(const FieldSpec& f, std::string_view text, std::bitset<N>& bits) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view part = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (part.empty()) return FieldError(f, text, "has an empty list item");
    int step = 1;
    if (auto slash = part.find('/'); slash != std::string_view::npos) {
      std::string_view s = part.substr(slash + 1);
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (ec != std::errc() || p != s.data() + s.size() || step < 1)
        return FieldError(f, text, "has a bad step");
      part = part.substr(0, slash);
    }
    int lo, hi;
    if (part == "*") {
      lo = f.lo;
      hi = f.hi;
    } else if (auto dash = part.find('-'); dash != std::string_view::npos) {
      CONCORD_ASSIGN_OR_RETURN(lo, Value(f, part.substr(0, dash), text));
      CONCORD_ASSIGN_OR_RETURN(hi, Value(f, part.substr(dash + 1), text));
      if (lo > hi) return FieldError(f, text, "has a range that runs backwards");
    } else {
      CONCORD_ASSIGN_OR_RETURN(lo, Value(f, part, text));
      hi = step > 1 ? f.hi : lo;  // "a/n" means from a, every n
    }
    // 64 bits: `v += step` must not overflow for a step as large as an int ("1/2147483647").
    for (int64_t v = lo; v <= hi; v += step) bits.set(static_cast<size_t>(v));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return Ok();
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expression) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < expression.size()) {
    while (i < expression.size() && expression[i] == ' ') ++i;
    size_t j = i;
    while (j < expression.size() && expression[j] != ' ') ++j;
    if (j > i) fields.push_back(expression.substr(i, j - i));
    i = j;
  }
  if (fields.size() != 6) {
    return InvalidArgument("interval",
                           fmt::format("a cron expression has 6 fields (second minute hourOfDay "
                                       "dayOfMonth month dayOfWeek), '{}' has {}",
                                       expression.substr(0, 80), fields.size()));
  }
  CronSchedule s;
  s.expression_ = std::string(expression);
  bool dom_any = fields[3] == "?", dow_any = fields[5] == "?";
  if (dom_any == dow_any) {
    return InvalidArgument(
        "dayOfMonth", "exactly one of dayOfMonth and dayOfWeek must be '?', e.g. \"0 0 3 ? * *\"");
  }
  CONCORD_RETURN_IF_ERROR(ParseField(kFields[0], fields[0], s.seconds_));
  CONCORD_RETURN_IF_ERROR(ParseField(kFields[1], fields[1], s.minutes_));
  CONCORD_RETURN_IF_ERROR(ParseField(kFields[2], fields[2], s.hours_));
  CONCORD_RETURN_IF_ERROR(ParseField(kFields[4], fields[4], s.months_));
  if (dom_any) {
    s.any_day_of_month_ = true;
    CONCORD_RETURN_IF_ERROR(ParseField(kFields[5], fields[5], s.days_of_week_));
  } else {
    CONCORD_RETURN_IF_ERROR(ParseField(kFields[3], fields[3], s.days_of_month_));
  }
  return s;
}

Millis CronSchedule::NextAfter(Millis after) const {
  std::time_t t = static_cast<std::time_t>(after / 1000) + 1;  // strictly after, whole seconds
  std::time_t limit = t + 5LL * 366 * 24 * 3600;
  std::tm tm{};
  while (t < limit) {
    gmtime_r(&t, &tm);
    if (!months_.test(static_cast<size_t>(tm.tm_mon) + 1)) {
      tm.tm_mon += 1;
      tm.tm_mday = 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      t = timegm(&tm);
      continue;
    }
    bool day_ok = any_day_of_month_ ? days_of_week_.test(static_cast<size_t>(tm.tm_wday) + 1)
                                    : days_of_month_.test(static_cast<size_t>(tm.tm_mday));
    if (!day_ok) {
      tm.tm_mday += 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      t = timegm(&tm);
      continue;
    }
    if (!hours_.test(static_cast<size_t>(tm.tm_hour))) {
      tm.tm_hour += 1;
      tm.tm_min = tm.tm_sec = 0;
      t = timegm(&tm);
      continue;
    }
    if (!minutes_.test(static_cast<size_t>(tm.tm_min))) {
      tm.tm_min += 1;
      tm.tm_sec = 0;
      t = timegm(&tm);
      continue;
    }
    if (!seconds_.test(static_cast<size_t>(tm.tm_sec))) {
      t += 1;
      continue;
    }
    return static_cast<Millis>(t) * 1000;
  }
  return -1;
}

}  // namespace concord::scheduler
