#include "concord/scheduler/scheduler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace concord::scheduler {

std::string_view TaskStatusName(TaskStatus s) {
  switch (s) {
    case TaskStatus::kScheduled: return "SCHEDULED";
    case TaskStatus::kRunning: return "RUNNING";
    case TaskStatus::kSuspended: return "SUSPENDED";
  }
  return "SCHEDULED";
}

Result<std::unique_ptr<Scheduler>> Scheduler::Create(std::shared_ptr<db::Database> database,
                                                     std::vector<TaskDefinition> tasks) {
  std::unique_ptr<Scheduler> s(new Scheduler(std::move(database)));
  Millis now = NowMillis();
  for (auto& def : tasks) {
    auto schedule = CronSchedule::Parse(def.interval);
    if (!schedule) {
      Error e = schedule.error();
      e.message = fmt::format("task {}: {}", def.name, e.message);
      return std::unexpected(e);
    }
    auto task = std::make_unique<Task>(Task{std::move(def), *schedule});
    task->next_fire = task->schedule.NextAfter(now);
    s->tasks_[task->definition.name] = std::move(task);
  }
  CONCORD_RETURN_IF_ERROR(
      s->database_->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Status {
        CONCORD_ASSIGN_OR_RETURN(db::Rows rows,
                                 c.Query("SELECT name, suspended, last_started, last_finished, "
                                         "last_result FROM scheduled_tasks"));
        while (true) {
          CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
          if (!has) break;
          auto it = s->tasks_.find(rows.Text(0));
          if (it == s->tasks_.end()) continue;  // a task this version no longer has
          it->second->suspended = rows.Bool(1);
          it->second->last_started = rows.OptInt(2);
          it->second->last_finished = rows.OptInt(3);
          it->second->last_result = rows.OptText(4).value_or("");
        }
        return Ok();
      }));
  return s;
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  loop_ = std::thread([this] { Loop(); });
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (loop_.joinable()) loop_.join();
  // No run starts once stopping_ is set; wait for those in progress (outside the lock, which
  // a finishing run needs).
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, t] : tasks_) {
      if (t->worker.joinable()) workers.push_back(std::move(t->worker));
    }
  }
  for (auto& w : workers) w.join();
}

std::vector<std::string> Scheduler::TaskNames() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  names.reserve(tasks_.size());
  for (const auto& [name, t] : tasks_) names.push_back(name);
  return names;
}

Result<Scheduler::Task*> Scheduler::Find(const std::string& name) const {
  auto it = tasks_.find(name);
  if (it == tasks_.end()) {
    std::vector<std::string> names;
    names.reserve(tasks_.size());
    for (const auto& [n, t] : tasks_) names.push_back(n);
    return InvalidArgument(
        "taskName",
        fmt::format("unknown task '{}' (task names are case-sensitive)", name.substr(0, 60)),
        names);
  }
  return it->second.get();
}

Result<TaskDetails> Scheduler::Details(const std::string& name) const {
  {
    std::lock_guard lock(mu_);
    CONCORD_RETURN_IF_ERROR(Find(name));
  }
  // What the database says: another node may have paused, resumed or run the task.
  auto row = database_->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(db::Rows rows,
                             c.Query("SELECT suspended, last_started, last_finished, last_result "
                                     "FROM scheduled_tasks WHERE name = $1",
                                     name));
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) return Ok();
    std::lock_guard lock(mu_);
    Task* t = tasks_.at(name).get();
    t->suspended = rows.Bool(0);
    if (!t->running) {
      t->last_started = rows.OptInt(1);
      t->last_finished = rows.OptInt(2);
      t->last_result = rows.OptText(3).value_or("");
    }
    return Ok();
  });
  if (!row) return std::unexpected(row.error());
  std::lock_guard lock(mu_);
  CONCORD_ASSIGN_OR_RETURN(Task * t, Find(name));
  TaskDetails d;
  d.task_name = name;
  d.status = t->running     ? TaskStatus::kRunning
             : t->suspended ? TaskStatus::kSuspended
                            : TaskStatus::kScheduled;
  d.interval = t->definition.interval;
  if (!t->suspended && t->next_fire >= 0) d.next_fire_time = t->next_fire;
  d.current_server_time = NowMillis();
  d.last_started = t->last_started;
  d.last_finished = t->last_finished;
  d.last_result = t->last_result;
  return d;
}

Status Scheduler::SetSuspended(const std::string& name, bool suspended) {
  {
    std::lock_guard lock(mu_);
    CONCORD_ASSIGN_OR_RETURN(Task * t, Find(name));
    (void)t;
  }
  // Persist first: the state must survive a restart before we report success.
  CONCORD_RETURN_IF_ERROR(
      database_->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Status {
        CONCORD_RETURN_IF_ERROR(
            c.Execute("INSERT INTO scheduled_tasks (name, suspended) VALUES ($1, $2) "
                      "ON CONFLICT (name) DO UPDATE SET suspended = $2",
                      name, suspended));
        return Ok();
      }));
  {
    std::lock_guard lock(mu_);
    Task* t = tasks_.at(name).get();
    if (t->suspended != suspended) {
      t->suspended = suspended;
      // A resumed task runs at its next scheduled time, not at once (as the reference's).
      if (!suspended) t->next_fire = t->schedule.NextAfter(NowMillis());
      spdlog::info("task {} {}", name, suspended ? "suspended" : "resumed");
    }
  }
  changed_.notify_all();
  return Ok();
}

Status Scheduler::Pause(const std::string& name) { return SetSuspended(name, true); }
Status Scheduler::Resume(const std::string& name) { return SetSuspended(name, false); }

void Scheduler::Launch(Task& task) {
  // The previous run has finished (running is false), so this join returns at once.
  if (task.worker.joinable()) task.worker.join();
  task.running = true;
  task.last_started = NowMillis();
  task.worker = std::thread([this, &task] {
    Status result = Internal("the task threw an exception");
    try {
      result = task.definition.run();
    } catch (const std::exception& e) {
      result = Internal(std::string("the task threw: ") + e.what());
    }
    Finish(task, result);
  });
}

void Scheduler::Finish(Task& task, const Status& result) {
  Millis finished = NowMillis();
  std::string text = result ? "ok" : result.error().ToString();
  if (!result) spdlog::error("task {} failed: {}", task.definition.name, result.error().message);
  auto saved = database_->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Status {
    CONCORD_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO scheduled_tasks (name, suspended, last_started, last_finished, last_result) "
        "VALUES ($1, 0, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET last_started = $2, "
        "last_finished = $3, last_result = $4",
        task.definition.name, task.last_started, finished, text));
    return Ok();
  });
  if (!saved)
    spdlog::warn("could not record the run of task {}: {}", task.definition.name,
                 saved.error().message);
  {
    std::lock_guard lock(mu_);
    task.running = false;
    task.last_finished = finished;
    task.last_result = text;
  }
  changed_.notify_all();
}

Status Scheduler::ForceExecution(const std::string& name, bool synchronous) {
  std::unique_lock lock(mu_);
  CONCORD_ASSIGN_OR_RETURN(Task * t, Find(name));
  if (t->running) return FailedPrecondition(fmt::format("task {} is running now", name));
  if (stopping_ || !started_) return Unavailable("the scheduler is not running");
  Launch(*t);
  if (!synchronous) return Ok();
  changed_.wait(lock, [&] { return !t->running; });
  return Ok();
}

Result<bool> Scheduler::Claim(const std::string& name, Millis fire_time) {
  return database_->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<bool> {
    CONCORD_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO scheduled_tasks (name, suspended) VALUES ($1, 0) ON CONFLICT (name) DO "
        "NOTHING",
        name));
    CONCORD_ASSIGN_OR_RETURN(db::Rows rows,
                             c.Query("SELECT suspended, claimed_fire FROM scheduled_tasks WHERE "
                                     "name = $1",
                                     name));
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) return false;
    bool suspended = rows.Bool(0);
    std::optional<int64_t> claimed = rows.OptInt(1);
    {
      std::lock_guard lock(mu_);
      tasks_.at(name)->suspended = suspended;
    }
    if (suspended || (claimed && *claimed >= fire_time)) return false;
    CONCORD_RETURN_IF_ERROR(
        c.Execute("UPDATE scheduled_tasks SET claimed_fire = $2 WHERE name = $1", name, fire_time));
    return true;
  });
}

void Scheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    Millis now = NowMillis();
    Millis earliest = now + 60'000;
    std::vector<std::pair<std::string, Millis>> due;
    for (auto& [name, t] : tasks_) {
      if (t->next_fire < 0) continue;
      if (t->next_fire <= now) {
        // Fire once even if several fire times were missed, then schedule the next. Whether it
        // is suspended is the database's to say (another node may have paused or resumed it).
        due.emplace_back(name, t->next_fire);
        t->next_fire = t->schedule.NextAfter(now);
      }
      if (t->next_fire >= 0) earliest = std::min(earliest, t->next_fire);
    }
    if (!due.empty()) {
      lock.unlock();
      std::vector<std::string> claimed;
      for (const auto& [name, fire_time] : due) {
        auto mine = Claim(name, fire_time);
        if (!mine) {
          spdlog::warn("task {}: could not claim its run: {}", name, mine.error().message);
        } else if (*mine) {
          claimed.push_back(name);
        }
      }
      lock.lock();
      for (const auto& name : claimed) {
        Task& t = *tasks_.at(name);
        if (!t.running && !stopping_) Launch(t);
      }
      continue;
    }
    changed_.wait_until(lock,
                        std::chrono::system_clock::time_point(std::chrono::milliseconds(earliest)));
  }
}

}  // namespace concord::scheduler
