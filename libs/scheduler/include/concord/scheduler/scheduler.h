#pragma once
// Named tasks on cron schedules, with the reference's states (connections-admin.md 5.2):
// SCHEDULED (will run at its next fire time), RUNNING, SUSPENDED (will not run until resumed).
// Whether a task is suspended is stored in the hosting service's database (table
// `scheduled_tasks`, created by that service's migrations), so it survives restarts.
//
//   auto s = Scheduler::Create(db, {{"fullDelete", "0 0 3 ? * *", [&] { return PurgeTrash(); }}});
//   (*s)->Start();
//   (*s)->Pause("fullDelete");     // a run in progress finishes, and is not rescheduled
//
// Thread-safe. Each run happens on a thread of its own; a task never overlaps itself.
//
// Several processes over one database (Communities nodes) run each scheduled fire time once:
// the first to claim it (`claimed_fire`) runs it; pausing in one pauses it in all, since every
// run and Details() reads the suspended flag from the database.

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "concord/base/clock.h"
#include "concord/base/error.h"
#include "concord/db/database.h"
#include "concord/scheduler/cron.h"

namespace concord::scheduler {

struct TaskDefinition {
  std::string name;
  std::string interval;  // cron expression
  std::function<Status()> run;
};

enum class TaskStatus { kScheduled, kRunning, kSuspended };
std::string_view TaskStatusName(TaskStatus s);  // "SCHEDULED", "RUNNING", "SUSPENDED"

struct TaskDetails {
  std::string task_name;
  TaskStatus status = TaskStatus::kScheduled;
  std::string interval;
  std::optional<Millis> next_fire_time;  // none while suspended
  Millis current_server_time = 0;
  std::optional<Millis> last_started;
  std::optional<Millis> last_finished;
  std::string last_result;  // "ok", or the error of the last run
};

class Scheduler {
 public:
  // kInvalidArgument for a malformed interval (naming the task); errors from the database.
  static Result<std::unique_ptr<Scheduler>> Create(std::shared_ptr<db::Database> database,
                                                   std::vector<TaskDefinition> tasks);
  ~Scheduler();

  void Start();
  // Stops firing tasks and waits for runs in progress.
  void Stop();

  std::vector<std::string> TaskNames() const;
  // kInvalidArgument listing the task names if `name` is unknown (likewise below).
  Result<TaskDetails> Details(const std::string& name) const;
  // SUSPENDED; pausing a suspended task changes nothing.
  Status Pause(const std::string& name);
  // SCHEDULED again; resuming a task that is not suspended changes nothing.
  Status Resume(const std::string& name);
  // Runs the task now, suspended or not. Synchronous: waits until the run is over (its outcome
  // is then in Details().last_result). kFailedPrecondition if it is running already.
  Status ForceExecution(const std::string& name, bool synchronous);

 private:
  struct Task {
    TaskDefinition definition;
    CronSchedule schedule;
    bool suspended = false;
    bool running = false;
    Millis next_fire = -1;
    std::optional<Millis> last_started, last_finished;
    std::string last_result;
    std::thread worker;  // the current or last run; joined before the next
  };
  Scheduler(std::shared_ptr<db::Database> database) : database_(std::move(database)) {}
  Result<Task*> Find(const std::string& name) const;
  Status SetSuspended(const std::string& name, bool suspended);
  // Claims the run at `fire_time` for this process: false if the task is suspended or another
  // process (a node over the same database) claimed that fire time already.
  Result<bool> Claim(const std::string& name, Millis fire_time);
  void Loop();
  // Starts a run on its own thread; mu_ held.
  void Launch(Task& task);
  void Finish(Task& task, const Status& result);

  std::shared_ptr<db::Database> database_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, std::unique_ptr<Task>> tasks_;
  std::thread loop_;
  bool stopping_ = false;
  bool started_ = false;
};

}  // namespace concord::scheduler
