#pragma once
// The domain's transactions on Communities' database: reads, and writes that wake the event
// dispatcher once they have committed (what they published is then there to deliver).

#include <functional>
#include <memory>
#include <utility>

#include "concord/db/database.h"

namespace concord::communities::domain {

// Thread-safe, as the Database it wraps.
class Transactions {
 public:
  Transactions(std::shared_ptr<db::Database> database, std::function<void()> events_committed)
      : database_(std::move(database)), events_committed_(std::move(events_committed)) {}

  // Runs `fn(db::Connection&)` in a read transaction; returns what it returns.
  template <typename F>
  auto Read(F&& fn) {
    return database_->InTransaction(db::TxMode::kRead, std::forward<F>(fn));
  }

  // Runs `fn(db::Connection&)` in a write transaction, committed if it returns no error; then
  // wakes the event dispatcher.
  template <typename F>
  auto Write(F&& fn) {
    auto result = database_->InTransaction(db::TxMode::kWrite, std::forward<F>(fn));
    if (result && events_committed_) events_committed_();
    return result;
  }

  db::Database& database() { return *database_; }

 private:
  std::shared_ptr<db::Database> database_;
  std::function<void()> events_committed_;
};

}  // namespace concord::communities::domain
