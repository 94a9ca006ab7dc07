#include "concord/scheduler/cron.h"

#include <gtest/gtest.h>

namespace concord::scheduler {
namespace {

Millis At(const char* iso) { return *ParseTimestamp(iso); }
std::string Next(const char* cron, const char* after) {
  auto s = CronSchedule::Parse(cron);
  EXPECT_TRUE(s) << s.error().ToString();
  return FormatTimestamp(s->NextAfter(At(after)));
}

TEST(CronTest, TheReferenceSchedules) {
  // LifecycleRetryQueuedEvents: minute 1 of every third hour.
  EXPECT_EQ(Next("0 1 0-23/3 ? * *", "2026-11-26T01:30:00Z"), "2026-11-26T03:01:00.000Z");
  EXPECT_EQ(Next("0 1 0-23/3 ? * *", "2026-11-26T21:01:00Z"), "2026-11-27T00:01:00.000Z");
  // EventLogCleanup.
  EXPECT_EQ(Next("0 30 0-23/3 ? * *", "2026-11-26T00:00:00Z"), "2026-11-26T00:30:00.000Z");
  // fullDelete: 03:00 every day.
  EXPECT_EQ(Next("0 0 3 ? * *", "2026-11-26T03:00:00Z"), "2026-11-27T03:00:00.000Z");
  // S10's hourly example.
  EXPECT_EQ(Next("0 1 0-23/1 ? * *", "2026-11-26T05:01:00Z"), "2026-11-26T06:01:00.000Z");
}

TEST(CronTest, DaysMonthsNamesListsAndSteps) {
  // 2026-11-26 is a Thursday. Next Monday at 09:15:30.
  EXPECT_EQ(Next("30 15 9 ? * MON", "2026-11-26T12:00:00Z"), "2026-11-30T09:15:30.000Z");
  EXPECT_EQ(Next("30 15 9 ? * 2", "2026-11-26T12:00:00Z"), "2026-11-30T09:15:30.000Z");
  EXPECT_EQ(Next("0 0 0 1 JAN,jul ?", "2026-11-26T12:00:00Z"), "2027-01-01T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 12 29 FEB ?", "2026-11-26T12:00:00Z"), "2028-02-29T12:00:00.000Z");
  EXPECT_EQ(Next("*/15 * * ? * *", "2026-11-26T12:00:07Z"), "2026-11-26T12:00:15.000Z");
  EXPECT_EQ(Next("5/20 * * ? * *", "2026-11-26T12:00:26Z"), "2026-11-26T12:00:45.000Z");
  EXPECT_EQ(Next("0 0 0 31 * ?", "2026-11-26T12:00:00Z"), "2026-12-31T00:00:00.000Z");
}

TEST(CronTest, ImpossibleScheduleHasNoNextTime) {
  auto s = CronSchedule::Parse("0 0 0 31 FEB ?");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->NextAfter(At("2026-11-26T12:00:00Z")), -1);
}

TEST(CronTest, AStepLargerThanTheFieldMeansOnlyItsStart) {
  // Found by tests/fuzz (corpus/cron/step-int-max): the step once overflowed an int.
  EXPECT_EQ(Next("1/2147483647 0 0 ? * *", "2026-11-26T12:00:00Z"), "2026-11-27T00:00:01.000Z");
  EXPECT_EQ(Next("0 0 0 ? * */2147483647", "2026-11-26T12:00:00Z"), "2026-11-29T00:00:00.000Z");
}

TEST(CronTest, BadExpressionsNameTheField) {
  struct Case {
    const char* cron;
    const char* field;
  };
  for (const auto& c : std::vector<Case>{{"0 1 0-23/3 * * *", "dayOfMonth"},
                                         {"0 1 0-23/3 ? * ?", "dayOfMonth"},
                                         {"0 1 0-23/3 ? *", "interval"},
                                         {"60 * * ? * *", "second"},
                                         {"0 61 * ? * *", "minute"},
                                         {"0 0 24 ? * *", "hourOfDay"},
                                         {"0 0 0 32 * ?", "dayOfMonth"},
                                         {"0 0 0 ? 13 *", "month"},
                                         {"0 0 0 ? * 8", "dayOfWeek"},
                                         {"0 0 0 ? * FUN", "dayOfWeek"},
                                         {"0 0 5-1 ? * *", "hourOfDay"},
                                         {"0 */0 * ? * *", "minute"},
                                         {"0 1,,2 * ? * *", "minute"}}) {
    auto s = CronSchedule::Parse(c.cron);
    ASSERT_FALSE(s) << c.cron;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << c.cron;
    EXPECT_EQ(s.error().field, c.field) << c.cron << ": " << s.error().message;
  }
}

}  // namespace
}  // namespace concord::scheduler
