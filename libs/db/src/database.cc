#include "concord/db/database.h"

#include <fmt/format.h>

#include <algorithm>

#include "indexes.h"
#include "postgres/postgres_backend.h"
#include "sqlite/sqlite_backend.h"

namespace concord::db {

Result<Transaction> Transaction::Begin(Connection& connection, TxMode mode) {
  CONCORD_RETURN_IF_ERROR(connection.Begin(mode));
  return Transaction(&connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(other.connection_), open_(other.open_) {
  other.open_ = false;
}

Transaction::~Transaction() {
  if (open_) (void)connection_->Rollback();
}

Status Transaction::Commit() {
  if (!open_) return FailedPrecondition("transaction is no longer open");
  open_ = false;
  auto s = connection_->Commit();
  if (!s) (void)connection_->Rollback();
  return s;
}

Database::Database(Backend backend, std::string display_url, Factory factory, int max_connections)
    : backend_(backend),
      display_url_(std::move(display_url)),
      factory_(std::move(factory)),
      max_connections_(max_connections < 1 ? 1 : max_connections) {}

Result<std::shared_ptr<Database>> Database::Open(std::string_view url, const OpenOptions& options) {
  if (url.starts_with("sqlite:")) return sqlite::OpenSqlite(url, options);
  if (url.starts_with("postgresql:") || url.starts_with("postgres:")) {
    return postgres::OpenPostgres(url, options);
  }
  return InvalidArgument(
      "database", fmt::format("unknown database URL scheme in '{}'", url.substr(0, url.find(':'))),
      {"sqlite:", "postgresql:"});
}

Result<Database::Lease> Database::Acquire() {
  std::unique_ptr<Connection> conn;
  {
    std::unique_lock lock(mu_);
    available_.wait(
        lock, [&] { return suspended_ || !idle_.empty() || open_ < max_connections_ || writer_; });
    if (suspended_) return Unavailable(*suspended_);
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    } else if (open_ >= max_connections_) {
      // Every other connection is in use: the idle writer's serves (it is a writer no more).
      conn = std::move(writer_);
      writer_open_ = false;
    } else {
      ++open_;
    }
  }
  if (!conn) {
    auto made = factory_();
    if (!made) {
      std::lock_guard lock(mu_);
      --open_;
      Wake();
      return std::unexpected(std::move(made).error());
    }
    conn = std::move(*made);
  }
  // The lease keeps the pool alive even if the last other owner lets go first.
  auto self = shared_from_this();
  return Lease(conn.release(), [self](Connection* c) { self->Release(c); });
}

void Database::Release(Connection* c) {
  std::unique_ptr<Connection> closing;
  std::lock_guard lock(mu_);
  if (c->reusable()) {
    idle_.emplace_back(c);
  } else {
    closing.reset(c);  // broken: the next Acquire() opens a fresh one
    --open_;
  }
  Wake();
}

Result<Database::Lease> Database::AcquireWriter() {
  std::unique_ptr<Connection> conn;
  bool make = false;
  {
    std::unique_lock lock(mu_);
    // As long as it takes, as Acquire() waits for a connection: a write waits for the writes
    // before it (SQLite's busy timeout and PostgreSQL's lock then bound what a writer of
    // another process may hold).
    ++writers_waiting_;
    writable_.wait(lock, [&] {
      return suspended_ || writer_ ||
             (!writer_open_ && (!idle_.empty() || open_ < max_connections_));
    });
    --writers_waiting_;
    if (suspended_) return Unavailable(*suspended_);
    if (writer_) {
      conn = std::move(writer_);
    } else if (!idle_.empty()) {  // the first write, or the writer's connection broke
      conn = std::move(idle_.back());
      idle_.pop_back();
      writer_open_ = true;
    } else {
      ++open_;
      writer_open_ = true;
      make = true;
    }
  }
  if (make) {
    auto made = factory_();
    if (!made) {
      std::lock_guard lock(mu_);
      --open_;
      writer_open_ = false;
      Wake();
      return std::unexpected(std::move(made).error());
    }
    conn = std::move(*made);
  }
  auto self = shared_from_this();
  return Lease(conn.release(), [self](Connection* c) { self->ReleaseWriter(c); });
}

void Database::ReleaseWriter(Connection* c) {
  std::unique_ptr<Connection> closing;
  std::lock_guard lock(mu_);
  if (c->reusable()) {
    writer_.reset(c);
  } else {
    closing.reset(c);  // broken: the next writer opens a fresh one
    --open_;
    writer_open_ = false;
  }
  Wake();
}

void Database::Wake() {
  if (suspended_) {
    available_.notify_all();  // Suspend() waits for every connection to come back
    writable_.notify_all();
    return;
  }
  // One waiter of each kind: waking every waiter for one connection (16 writers queue for the
  // writer under load) cost more than the writes themselves.
  writable_.notify_one();
  available_.notify_one();
}

namespace {
// The databases whose write group this thread is running: a write on one of them from inside a
// member's `fn` (whichever member's) could only wait for the group it is in, and is refused.
thread_local std::vector<const Database*> running_groups;
// The most writers one group takes, and how long it goes on taking them: the rest wait for the
// next group (a group holds the database's write lock, which other processes wait for).
constexpr size_t kMostInGroup = 256;
constexpr auto kLongestGroup = std::chrono::milliseconds(50);
}  // namespace

struct Database::GroupMember {
  std::function<Status(Connection&)> fn;
  Status status;
  std::exception_ptr thrown;
  bool done = false;
};

Database::GroupOutcome Database::InWriteGroup(std::function<Status(Connection&)> fn) {
  if (std::find(running_groups.begin(), running_groups.end(), this) != running_groups.end()) {
    return {FailedPrecondition(fmt::format(
                "a write transaction on {} was started inside another on the same database",
                display_url_)),
            nullptr};
  }
  GroupMember me{std::move(fn), Ok(), nullptr, false};
  std::unique_lock lock(group_mu_);
  group_queue_.push_back(&me);
  while (!me.done) {
    if (group_running_) {
      group_done_.wait(lock);
      continue;
    }
    // Nobody runs a group: this writer runs the next one, with everybody waiting (itself too).
    size_t n = std::min(group_queue_.size(), kMostInGroup);
    std::vector<GroupMember*> members(group_queue_.begin(),
                                      group_queue_.begin() + static_cast<std::ptrdiff_t>(n));
    group_queue_.erase(group_queue_.begin(), group_queue_.begin() + static_cast<std::ptrdiff_t>(n));
    group_running_ = true;
    lock.unlock();
    size_t ran = 0;
    running_groups.push_back(this);
    try {
      ran = RunGroup(members);
    } catch (...) {
      // Not a member's `fn` (RunGroup catches those): memory, most likely. Nobody of this
      // group is left waiting for it.
      for (auto* m : members) {
        if (m->status)
          m->status =
              std::unexpected(Error{ErrorCode::kInternal, "the write group failed", {}, {}});
      }
      if (std::find(members.begin(), members.end(), &me) != members.end()) {
        me.thrown = std::current_exception();
      }
      ran = members.size();
    }
    running_groups.pop_back();
    lock.lock();
    // Those the group did not reach wait for the next one, first in line.
    group_queue_.insert(group_queue_.begin(), members.begin() + static_cast<std::ptrdiff_t>(ran),
                        members.end());
    for (size_t i = 0; i < ran; ++i) members[i]->done = true;
    group_running_ = false;
    group_done_.notify_all();
  }
  return {me.status, me.thrown};
}

size_t Database::RunGroup(const std::vector<GroupMember*>& members) {
  // The first `upto` members get `e` (those that had succeeded were rolled back with the rest).
  auto fail = [&](size_t upto, const Error& e) {
    for (size_t i = 0; i < upto; ++i) {
      if (members[i]->status) members[i]->status = std::unexpected(e);
    }
    return upto;
  };
  auto lease = AcquireWriter();
  if (!lease) return fail(members.size(), lease.error());
  Connection& c = **lease;
  if (auto begun = c.Begin(TxMode::kWrite); !begun) return fail(members.size(), begun.error());
  bool alone = members.size() == 1;
  auto started = std::chrono::steady_clock::now();
  size_t i = 0;
  for (; i < members.size(); ++i) {
    if (i > 0 && std::chrono::steady_clock::now() - started > kLongestGroup) break;
    auto* m = members[i];
    if (!alone) {
      if (auto s = c.ExecuteScript("SAVEPOINT concord_writer"); !s) {
        (void)c.Rollback();
        return fail(i, s.error());  // those not run yet wait for the next group
      }
    }
    Status ran;
    try {
      ran = m->fn(c);
    } catch (...) {
      m->thrown = std::current_exception();
      ran = std::unexpected(Error{ErrorCode::kInternal, "the write threw", {}, {}});
    }
    if (ran && !alone) {
      // A RELEASE that fails (PostgreSQL: a statement of this `fn` failed and was ignored) is
      // this writer's failure, undone below, not the group's.
      auto released = c.ExecuteScript("RELEASE SAVEPOINT concord_writer");
      if (!released) ran = std::unexpected(released.error());
    }
    if (ran) continue;
    m->status = ran;  // its own error; the others go on
    if (alone) {
      (void)c.Rollback();
      return 1;
    }
    auto undone = c.ExecuteScript("ROLLBACK TO SAVEPOINT concord_writer");
    if (undone) undone = c.ExecuteScript("RELEASE SAVEPOINT concord_writer");
    if (!undone) {
      (void)c.Rollback();
      return fail(i + 1, undone.error());
    }
  }
  if (auto committed = c.Commit(); !committed) {
    (void)c.Rollback();
    return fail(i, committed.error());
  }
  return i;
}

Status Database::Suspend(std::string reason, std::chrono::milliseconds wait) {
  std::vector<std::unique_ptr<Connection>> closing;
  {
    std::unique_lock lock(mu_);
    suspended_ = std::move(reason);
    available_.notify_all();  // waiters for a connection fail now
    writable_.notify_all();
    bool drained = available_.wait_for(
        lock, wait, [&] { return static_cast<int>(idle_.size()) + (writer_ ? 1 : 0) == open_; });
    if (!drained) {
      suspended_.reset();
      available_.notify_all();
      writable_.notify_all();
      return Unavailable(fmt::format("{} is still in use after {} ms; try again when it is idle",
                                     display_url_, wait.count()));
    }
    closing = std::move(idle_);
    idle_.clear();
    if (writer_) closing.push_back(std::move(writer_));
    writer_open_ = false;
    open_ = 0;
  }
  return Ok();  // `closing` closes every connection here, outside the lock
}

void Database::Resume() {
  std::lock_guard lock(mu_);
  suspended_.reset();
  available_.notify_all();
  writable_.notify_all();
}

Result<std::vector<std::string>> DropIndexesListedBy(Connection& c, std::string_view catalogue,
                                                     const std::vector<std::string>& tables) {
  std::vector<std::string> names;
  std::vector<std::string> rebuild;
  for (const auto& table : tables) {
    CONCORD_ASSIGN_OR_RETURN(Rows rows, c.Query(catalogue, table));
    while (true) {
      CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
      if (!has) break;
      names.push_back(rows.Text(0));
      rebuild.push_back(rows.Text(1));
    }
  }
  for (const auto& n : names) CONCORD_RETURN_IF_ERROR(c.ExecuteScript("DROP INDEX \"" + n + "\""));
  return rebuild;
}

bool Database::suspended() const {
  std::lock_guard lock(mu_);
  return suspended_.has_value();
}

}  // namespace concord::db
