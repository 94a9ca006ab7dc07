#pragma once
// libs/db: a thin SQL interface, not an ORM. One interface, one folder per backend.
//
//   CONCORD_ASSIGN_OR_RETURN(auto db, db::Database::Open("sqlite:communities.db", {.base_dir =
//   dir})); CONCORD_RETURN_IF_ERROR(db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) ->
//   Status {
//     CONCORD_RETURN_IF_ERROR(c.Execute("INSERT INTO t (a, b) VALUES ($1, $2)", 1, "x"));
//     return Ok();
//   }));
//
// SQL is written once for every backend: positional parameters `$1`, `$2`, ... (PostgreSQL's
// form, which the SQLite backend binds by name), `ON CONFLICT` and `RETURNING` where needed.
// Where dialects really differ, the caller's store branches on backend(), never its domain.
//
// Errors from a backend are translated in exactly one place per backend: constraint
// violations become kAlreadyExists (unique) or kFailedPrecondition (foreign key, check, not
// null); a busy or locked database, or a lost connection, kUnavailable; a serialization
// failure or deadlock kAborted; anything else kInternal.
//
// Isolation, the same on every backend: write transactions (TxMode::kWrite) of one database run
// one at a time, so a read-then-write inside one needs no row lock; a read transaction sees one
// snapshot throughout.
//
// Thread safety: a Database is shared by all threads; a Connection (and the Rows it returns)
// belongs to one thread at a time, from Acquire() until its lease ends.

#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "concord/base/error.h"
#include "concord/base/ids.h"

namespace concord::db {

enum class Backend { kSqlite, kPostgres };

// A statement parameter: NULL, an integer, a real or a text.
using Value = std::variant<std::monostate, int64_t, double, std::string>;
using Params = std::vector<Value>;

inline Value ToValue(std::nullptr_t) { return std::monostate{}; }
inline Value ToValue(bool b) { return int64_t{b ? 1 : 0}; }
template <std::integral T>
requires(!std::same_as<T, bool>) Value ToValue(T v) { return static_cast<int64_t>(v); }
inline Value ToValue(double v) { return v; }
inline Value ToValue(std::string v) { return Value(std::move(v)); }
inline Value ToValue(std::string_view v) { return std::string(v); }
inline Value ToValue(const char* v) { return std::string(v); }
template <typename Tag>
Value ToValue(const StrongId<Tag>& id) {
  return id.value();
}
template <typename T>
Value ToValue(const std::optional<T>& v) {
  return v ? ToValue(*v) : Value{};
}
inline Value ToValue(Value v) { return v; }

// A backend's result cursor. Implemented per backend; used through Rows.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual Result<bool> Next() = 0;
  virtual bool IsNull(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  virtual double Double(int col) const = 0;
  // Valid until the next call to Next(): no copy.
  virtual std::string_view TextView(int col) const = 0;
  std::string Text(int col) const { return std::string(TextView(col)); }
};

// A forward-only stream of result rows. Rows are read one at a time, so a query over a
// million rows holds one row in memory. Column accessors are valid after Next() returned true.
class Rows {
 public:
  explicit Rows(std::unique_ptr<Cursor> cursor) : cursor_(std::move(cursor)) {}

  // Advances to the next row: true if there is one, false at the end, an error if the backend
  // failed mid-stream.
  [[nodiscard]] Result<bool> Next() { return cursor_->Next(); }

  bool IsNull(int col) const { return cursor_->IsNull(col); }
  int64_t Int(int col) const { return cursor_->Int(col); }
  double Double(int col) const { return cursor_->Double(col); }
  bool Bool(int col) const { return cursor_->Int(col) != 0; }
  std::string Text(int col) const { return cursor_->Text(col); }
  // The column's text without a copy, valid until the next Next(): for loops that stream
  // millions of rows and would otherwise allocate a string per value.
  std::string_view TextView(int col) const { return cursor_->TextView(col); }
  std::optional<std::string> OptText(int col) const {
    return IsNull(col) ? std::nullopt : std::optional(Text(col));
  }
  std::optional<int64_t> OptInt(int col) const {
    return IsNull(col) ? std::nullopt : std::optional(Int(col));
  }

 private:
  std::unique_ptr<Cursor> cursor_;
};

enum class TxMode {
  kRead,   // a consistent snapshot for reading
  kWrite,  // takes the write lock at BEGIN (SQLite: BEGIN IMMEDIATE), so it never fails later
           // for lock upgrade
};

// One database session. Statements are prepared once per connection and cached.
class Connection {
 public:
  virtual ~Connection() = default;

  virtual Backend backend() const = 0;
  // False once the session is broken (the server went away) or was left inside a transaction:
  // the pool then closes it instead of lending it again.
  virtual bool reusable() const { return true; }

  // Runs a statement and returns the number of rows it changed.
  [[nodiscard]] virtual Result<int64_t> ExecuteParams(std::string_view sql,
                                                      const Params& params) = 0;
  // Runs a query and returns its rows as a stream.
  [[nodiscard]] virtual Result<Rows> QueryParams(std::string_view sql, const Params& params) = 0;
  // Runs several statements separated by ';' with no parameters (migrations).
  [[nodiscard]] virtual Status ExecuteScript(std::string_view sql) = 0;

  // Writes a consistent copy of the whole database to `file` (which must not exist), while
  // other sessions keep reading and writing. SQLite: VACUUM INTO.
  [[nodiscard]] virtual Status CopyTo(const std::filesystem::path& file) = 0;
  // Replaces the whole database with the copy in `file` (one written by CopyTo). Other
  // sessions must be closed (Database::Suspend). SQLite: the online backup API.
  [[nodiscard]] virtual Status ReplaceFrom(const std::filesystem::path& file) = 0;

  // Whether the table exists (in the connection's schema), without creating anything.
  [[nodiscard]] virtual Result<bool> TableExists(std::string_view table) = 0;

  // A bulk load (`concord populate` into an empty database, one long write transaction, nobody
  // else connected): on, the backend's settings for it (SQLite: a page cache of `cache_kib` and
  // no fsync; PostgreSQL: asynchronous commit for this session); off, its defaults again.
  [[nodiscard]] virtual Status TuneForBulkLoad(bool on, int64_t cache_kib) = 0;
  // Drops the secondary indexes of `tables` (not those behind a primary key or a unique
  // constraint) and returns the statements that build them again: a bulk load builds each
  // index once, at the end, by sorting. Call it inside the load's transaction.
  [[nodiscard]] virtual Result<std::vector<std::string>> DropSecondaryIndexes(
      const std::vector<std::string>& tables) = 0;

  [[nodiscard]] virtual Status Begin(TxMode mode) = 0;
  [[nodiscard]] virtual Status Commit() = 0;
  [[nodiscard]] virtual Status Rollback() = 0;

  template <typename... A>
  [[nodiscard]] Result<int64_t> Execute(std::string_view sql, A&&... args) {
    return ExecuteParams(sql, Params{ToValue(std::forward<A>(args))...});
  }
  template <typename... A>
  [[nodiscard]] Result<Rows> Query(std::string_view sql, A&&... args) {
    return QueryParams(sql, Params{ToValue(std::forward<A>(args))...});
  }
  // The first column of the first row as an integer; nullopt if there is no row or it is NULL.
  template <typename... A>
  [[nodiscard]] Result<std::optional<int64_t>> QueryInt(std::string_view sql, A&&... args) {
    CONCORD_ASSIGN_OR_RETURN(Rows rows, Query(sql, std::forward<A>(args)...));
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) return std::optional<int64_t>{};
    return rows.OptInt(0);
  }
  // The first column of every row as text (a page of ids: bound it with LIMIT).
  template <typename... A>
  [[nodiscard]] Result<std::vector<std::string>> QueryTexts(std::string_view sql, A&&... args) {
    CONCORD_ASSIGN_OR_RETURN(Rows rows, Query(sql, std::forward<A>(args)...));
    std::vector<std::string> out;
    while (true) {
      CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
      if (!has) break;
      out.push_back(rows.Text(0));
    }
    return out;
  }
};

// A transaction that rolls back unless Commit() succeeded.
class [[nodiscard]] Transaction {
 public:
  static Result<Transaction> Begin(Connection& connection, TxMode mode);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  [[nodiscard]] Status Commit();
  Connection& connection() { return *connection_; }

 private:
  explicit Transaction(Connection* c) : connection_(c) {}
  Connection* connection_;
  bool open_ = true;
};

struct OpenOptions {
  // Relative file paths in a URL are resolved against this directory (a deployment's data dir).
  std::filesystem::path base_dir = ".";
  // Most connections kept open at once; Acquire() waits when all are in use.
  int max_connections = 8;
  // PostgreSQL: a file holding the password (mode 0600; relative paths resolve against
  // base_dir). Empty: libpq's passfile (PGPASSFILE, ~/.pgpass) or none.
  std::filesystem::path password_file;
};

// A pool of connections to one database.
class Database : public std::enable_shared_from_this<Database> {
 public:
  using Lease = std::unique_ptr<Connection, std::function<void(Connection*)>>;

  // Opens a database by URL; the scheme picks the backend:
  //   sqlite:/abs/path.db  sqlite:relative.db  sqlite::memory:   (query: ?synchronous=full|normal)
  //   postgresql://user@host:5432/dbname?sslmode=verify-full      (libpq's URI; postgres:// too)
  // kInvalidArgument for an unknown scheme or malformed URL, kUnavailable if it cannot be opened
  // (a PostgreSQL server that does not answer or refuses the credentials), kFailedPrecondition
  // for a PostgreSQL database that does not sort text byte-wise or an unreadable password file.
  static Result<std::shared_ptr<Database>> Open(std::string_view url, const OpenOptions& options);

  Backend backend() const { return backend_; }
  // The URL with any password removed, for logs and messages.
  const std::string& display_url() const { return display_url_; }

  // A connection for the calling thread; returned to the pool when the lease ends.
  // kUnavailable while the database is suspended.
  [[nodiscard]] Result<Lease> Acquire();
  // The pool's one connection for write transactions (InTransaction's kWrite): writers of this
  // process take it in turn (waiting as long as it takes, as Acquire does), and its page cache
  // stays warm from one write to the next (SQLite discards a connection's cache whenever another
  // connection wrote). kUnavailable while the database is suspended.
  [[nodiscard]] Result<Lease> AcquireWriter();

  // Takes the database offline (a restore swaps it): new Acquire() calls fail with
  // kUnavailable naming `reason`; waits up to `wait` for the leases in use to come back, then
  // closes every connection. kUnavailable (and still online) if they do not come back in time.
  [[nodiscard]] Status Suspend(std::string reason, std::chrono::milliseconds wait);
  // Back online: the next Acquire() opens a fresh connection to whatever the database is now.
  void Resume();
  bool suspended() const;

  // Runs `fn(connection)` in a transaction and commits if it returns a value; rolls back and
  // returns its error otherwise. `fn` returns Status or Result<T>.
  //
  // Write transactions commit in groups (group commit): the writers that arrive while a group
  // runs are run together next, by one of them, in one transaction on the writer connection,
  // each in a savepoint of its own (alone, without one). Each returns once its group has
  // committed: its own error if its `fn` failed (rolled back to its savepoint, the others
  // unaffected), the commit's error if the commit failed. One commit (one WAL write, one disk
  // flush where commits are durable) serves many writers. `fn` may thus run on another
  // writer's thread; an exception it throws is rethrown on its own thread. `fn` may not start
  // a write transaction on the same database (kFailedPrecondition: it could only deadlock).
  template <typename F>
  auto InTransaction(TxMode mode, F&& fn) -> std::invoke_result_t<F, Connection&> {
    using R = std::invoke_result_t<F, Connection&>;
    if (mode == TxMode::kWrite) {
      std::optional<R> result;
      GroupOutcome o = InWriteGroup([&](Connection& c) -> Status {
        result.emplace(fn(c));
        if (!*result) return std::unexpected(result->error());
        return Ok();
      });
      if (o.thrown) std::rethrow_exception(o.thrown);
      if (!result)
        return R(std::unexpected(o.status ? Error{ErrorCode::kInternal, "not run", {}, {}}
                                          : o.status.error()));
      if (!*result) return std::move(*result);
      if (!o.status) return R(std::unexpected(o.status.error()));
      return std::move(*result);
    }
    auto lease = Acquire();
    if (!lease) return R(std::unexpected(std::move(lease).error()));
    auto tx = Transaction::Begin(**lease, mode);
    if (!tx) return R(std::unexpected(std::move(tx).error()));
    R result = fn(**lease);
    if (!result) return result;
    if (auto c = tx->Commit(); !c) return R(std::unexpected(std::move(c).error()));
    return result;
  }

  // What a writer's turn in a group came to: the commit's status (or why it did not run), and
  // what its `fn` threw, if it did.
  struct GroupOutcome {
    Status status;
    std::exception_ptr thrown;
  };
  // InTransaction's write path, its `fn` type-erased.
  GroupOutcome InWriteGroup(std::function<Status(Connection&)> fn);

  using Factory = std::function<Result<std::unique_ptr<Connection>>()>;
  Database(Backend backend, std::string display_url, Factory factory, int max_connections);

 private:
  void Release(Connection* c);
  void ReleaseWriter(Connection* c);
  struct GroupMember;
  // Runs one group's writers in one transaction (InWriteGroup's leader). Returns how many of
  // them it settled (their status set); the others, from there on, wait for the next group.
  size_t RunGroup(const std::vector<GroupMember*>& members);
  // A connection came back (or a slot freed): wakes one waiting reader and one waiting writer.
  void Wake();

  Backend backend_;
  std::string display_url_;
  Factory factory_;
  int max_connections_;
  mutable std::mutex mu_;
  std::condition_variable available_;  // readers (Acquire) and Suspend wait here
  std::condition_variable writable_;   // writers (AcquireWriter) wait here
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // connections open, the writer's included
  // The writer's connection while it is idle; `writer_open_` while it exists (idle or leased).
  std::unique_ptr<Connection> writer_;
  bool writer_open_ = false;
  int writers_waiting_ = 0;  // in AcquireWriter
  // Group commit: writers waiting for a group, and whether one of them is running a group now.
  std::mutex group_mu_;
  std::condition_variable group_done_;
  std::vector<GroupMember*> group_queue_;
  bool group_running_ = false;
  std::optional<std::string> suspended_;  // why, while suspended
};

}  // namespace concord::db
