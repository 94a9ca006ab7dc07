#include "concord/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

namespace concord::scheduler {
namespace {

namespace fs = std::filesystem;

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("concord-scheduler-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = *db::Database::Open("sqlite:s.db", {.base_dir = dir_});
    auto lease = *db_->Acquire();
    ASSERT_TRUE(lease->ExecuteScript(
        "CREATE TABLE scheduled_tasks (name TEXT PRIMARY KEY, suspended INTEGER NOT NULL DEFAULT 0,"
        " last_started BIGINT, last_finished BIGINT, last_result TEXT, claimed_fire BIGINT)"));
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }
  std::unique_ptr<Scheduler> Make(std::function<Status()> run,
                                  const std::string& interval = "* * * ? * *") {
    auto s = Scheduler::Create(db_, {{"EverySecond", interval, std::move(run)},
                                     {"Nightly", "0 0 3 ? * *", [] { return Ok(); }}});
    EXPECT_TRUE(s) << s.error().ToString();
    return std::move(*s);
  }
  fs::path dir_;
  std::shared_ptr<db::Database> db_;
};

TEST_F(SchedulerTest, RunsOnScheduleAndNotWhileSuspended) {
  std::atomic<int> runs{0};
  auto s = Make([&] {
    ++runs;
    return Ok();
  });
  s->Start();
  for (int i = 0; i < 300 && runs == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(runs, 1);
  ASSERT_TRUE(s->Pause("EverySecond"));
  auto d = s->Details("EverySecond");
  // A run may be finishing; once done the task reports SUSPENDED and no next fire time.
  for (int i = 0; i < 300 && d->status == TaskStatus::kRunning; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    d = s->Details("EverySecond");
  }
  EXPECT_EQ(d->status, TaskStatus::kSuspended);
  EXPECT_FALSE(d->next_fire_time);
  int before = runs;
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  EXPECT_EQ(runs, before);
  ASSERT_TRUE(s->Resume("EverySecond"));
  for (int i = 0; i < 300 && runs == before; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GT(runs, before);
}

TEST_F(SchedulerTest, SuspensionSurvivesARestart) {
  {
    auto s = Make([] { return Ok(); }, "0 0 3 ? * *");
    ASSERT_TRUE(s->Pause("EverySecond"));
    ASSERT_TRUE(s->Pause("EverySecond"));  // pausing twice changes nothing
  }
  auto again = Make([] { return Ok(); }, "0 0 3 ? * *");
  EXPECT_EQ(again->Details("EverySecond")->status, TaskStatus::kSuspended);
  EXPECT_EQ(again->Details("Nightly")->status, TaskStatus::kScheduled);
  ASSERT_TRUE(again->Details("Nightly")->next_fire_time);
}

TEST_F(SchedulerTest, ForcedRunReportsItsResultAndIsRecorded) {
  auto s = Make([] { return Unavailable("Blogs is down"); }, "0 0 3 ? * *");
  s->Start();
  ASSERT_TRUE(s->Pause("EverySecond"));
  // Forced even when suspended; the call succeeds once the run is over, whatever its outcome.
  ASSERT_TRUE(s->ForceExecution("EverySecond", /*synchronous=*/true));
  auto d = s->Details("EverySecond");
  ASSERT_TRUE(d->last_finished);
  EXPECT_NE(d->last_result.find("Blogs is down"), std::string::npos);
  s->Stop();
  auto again = Make([] { return Ok(); });
  EXPECT_NE(again->Details("EverySecond")->last_result.find("Blogs is down"), std::string::npos);
}

// Two nodes over one database: each fire time runs once across them, and pausing in one pauses
// in the other (and resuming in the other resumes it in both).
TEST_F(SchedulerTest, TwoProcessesOverOneDatabaseRunEachFireTimeOnce) {
  std::mutex mu;
  std::vector<int64_t> fired;  // the second each run started in
  auto record = [&] {
    std::lock_guard lock(mu);
    fired.push_back(NowMillis() / 1000);
    return Ok();
  };
  auto a = Make(record);
  auto b = Make(record);
  a->Start();
  b->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  {
    std::lock_guard lock(mu);
    // 3.5 s of a task due every second: 3 or 4 fire times, each run once (both nodes running
    // every one would make 6 to 8).
    EXPECT_GE(fired.size(), 2U);
    EXPECT_LE(fired.size(), 4U) << "a fire time ran on both";
  }
  ASSERT_TRUE(a->Pause("EverySecond"));
  EXPECT_EQ(b->Details("EverySecond")->status == TaskStatus::kRunning
                ? TaskStatus::kSuspended
                : b->Details("EverySecond")->status,
            TaskStatus::kSuspended);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // a run in progress ends
  size_t before = 0;
  {
    std::lock_guard lock(mu);
    before = fired.size();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(fired.size(), before) << "a task paused on one node ran on the other";
  }
  ASSERT_TRUE(b->Resume("EverySecond"));
  EXPECT_EQ(a->Details("EverySecond")->status == TaskStatus::kRunning
                ? TaskStatus::kScheduled
                : a->Details("EverySecond")->status,
            TaskStatus::kScheduled);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  std::lock_guard lock(mu);
  EXPECT_GT(fired.size(), before);
}

TEST_F(SchedulerTest, UnknownTaskNamesListTheKnownOnes) {
  auto s = Make([] { return Ok(); });
  auto d = s->Details("LifecycleRetryQueuedevents");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().field, "taskName");
  EXPECT_EQ(d.error().accepted, (std::vector<std::string>{"EverySecond", "Nightly"}));
  EXPECT_FALSE(s->Pause("nope"));
  EXPECT_FALSE(Scheduler::Create(db_, {{"Bad", "every hour", [] { return Ok(); }}}));
}

}  // namespace
}  // namespace concord::scheduler
