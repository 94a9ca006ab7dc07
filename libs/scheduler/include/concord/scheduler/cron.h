#pragma once
// Cron schedules in the reference's syntax (WebSphere scheduler, connections-admin.md 5.1):
//
//   second minute hourOfDay dayOfMonth month dayOfWeek       e.g. "0 1 0-23/3 ? * *"
//
// Each field takes `*`, a number, a range `a-b`, a list `a,b,c`, and steps `*/n`, `a/n`,
// `a-b/n`. Months may be JAN..DEC, days of week SUN..SAT (numeric 1 = Sunday .. 7 = Saturday).
// dayOfMonth and dayOfWeek are mutually exclusive: exactly one of them must be `?`.
// Schedules are evaluated in UTC.

#include <bitset>
#include <string>
#include <string_view>

#include "concord/base/clock.h"
#include "concord/base/error.h"

namespace concord::scheduler {

class CronSchedule {
 public:
  // kInvalidArgument naming the field that is wrong and what it accepts.
  static Result<CronSchedule> Parse(std::string_view expression);

  // The first time strictly after `after` (to the second) that matches; -1 if none within
  // five years (e.g. "0 0 0 31 FEB ?").
  Millis NextAfter(Millis after) const;

  const std::string& expression() const { return expression_; }

 private:
  std::string expression_;
  std::bitset<60> seconds_, minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<8> days_of_week_;    // 1..7, 1 = Sunday
  bool any_day_of_month_ = false;  // dayOfMonth is '?'
};

}  // namespace concord::scheduler
