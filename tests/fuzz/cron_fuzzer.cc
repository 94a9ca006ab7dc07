// Cron expressions (libs/scheduler cron.h): Parse refuses or accepts, and an accepted schedule's
// NextAfter terminates. Seeds: tests/fuzz/corpus/cron/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "concord/scheduler/cron.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // a schedule is one short line; longer inputs only slow the search
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto schedule = concord::scheduler::CronSchedule::Parse(text);
  if (!schedule) return 0;
  // 2026-02-28T23:59:59Z, and the next two firings after it.
  concord::Millis t = 1'772'323'199'000;
  for (int i = 0; i < 3 && t >= 0; ++i) t = schedule->NextAfter(t);
  return 0;
}
