// SQLite defaults, chosen once here for every Concord database:
//   journal_mode=WAL      readers never block the writer, and the writer never blocks readers
//   foreign_keys=ON       the schema's references are enforced
//   busy_timeout=10000    a writer waits up to 10 s for another writer instead of failing
//   synchronous=NORMAL    (default) safe against process crashes, may lose the last commits on
//                         power loss; a URL may ask for ?synchronous=full where that matters.
//   BEGIN IMMEDIATE       for write transactions, so they never fail later to upgrade a lock.
//   one writer in turn    a process's write transactions on one database wait for each other on
//                         a mutex (10 s at most) before BEGIN IMMEDIATE: woken as soon as the
//                         writer before them ends, rather than polling in SQLite's busy handler,
//                         which sleeps 1 to 100 ms between tries (under many writers, the
//                         sleeps were most of a write's time). Other processes' writers still
//                         meet the busy timeout.
#include "sqlite/sqlite_backend.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <unordered_map>

#include "indexes.h"

namespace concord::db::sqlite {
namespace {

// The one place where SQLite result codes become Concord errors.
Error FromSqlite(sqlite3* db, int rc, std::string_view doing) {
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  ErrorCode code = ErrorCode::kInternal;
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      code = (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
                 ? ErrorCode::kAlreadyExists
                 : ErrorCode::kFailedPrecondition;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN: code = ErrorCode::kUnavailable; break;
    case SQLITE_READONLY: code = ErrorCode::kFailedPrecondition; break;
    default: break;
  }
  return Error{code, fmt::format("database error while {}: {}", doing, detail), {}, {}};
}

class SqliteCursor final : public Cursor {
 public:
  SqliteCursor(sqlite3* db, sqlite3_stmt* stmt, bool owned, bool* busy_flag)
      : db_(db), stmt_(stmt), owned_(owned), busy_flag_(busy_flag) {}
  ~SqliteCursor() override {
    if (owned_) {
      sqlite3_finalize(stmt_);
    } else {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
      *busy_flag_ = false;
    }
  }

  Result<bool> Next() override {
    if (done_) return false;
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    done_ = true;
    if (rc == SQLITE_DONE) return false;
    return std::unexpected(FromSqlite(db_, rc, "reading rows"));
  }
  bool IsNull(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const override { return sqlite3_column_double(stmt_, col); }
  std::string_view TextView(int col) const override {
    const auto* p = sqlite3_column_text(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n))
             : std::string_view();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool owned_;
  bool* busy_flag_;
  bool done_ = false;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::shared_ptr<std::timed_mutex> writer)
      : db_(db), writer_(std::move(writer)) {}
  ~SqliteConnection() override {
    for (auto& [sql, entry] : cache_) sqlite3_finalize(entry.stmt);
    sqlite3_close_v2(db_);
    EndWrite();
  }

  Backend backend() const override { return Backend::kSqlite; }
  // A connection left inside a transaction (a ROLLBACK that failed) is closed rather than
  // pooled: closing rolls it back and lets the next writer in, on the thread that took it.
  bool reusable() const override { return sqlite3_get_autocommit(db_) != 0 && !writing_; }

  Result<int64_t> ExecuteParams(std::string_view sql, const Params& params) override {
    CONCORD_ASSIGN_OR_RETURN(Prepared p, Prepare(sql, params));
    int rc = sqlite3_step(p.stmt);
    while (rc == SQLITE_ROW) rc = sqlite3_step(p.stmt);  // e.g. a RETURNING clause nobody reads
    int64_t changes = sqlite3_changes64(db_);
    Done(p);
    if (rc != SQLITE_DONE) return std::unexpected(FromSqlite(db_, rc, "executing a statement"));
    return changes;
  }

  Result<Rows> QueryParams(std::string_view sql, const Params& params) override {
    CONCORD_ASSIGN_OR_RETURN(Prepared p, Prepare(sql, params));
    return Rows(std::make_unique<SqliteCursor>(db_, p.stmt, p.owned, p.busy));
  }

  Status ExecuteScript(std::string_view sql) override {
    std::string s(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
    if (err) sqlite3_free(err);
    if (rc != SQLITE_OK) return std::unexpected(FromSqlite(db_, rc, "running a script"));
    return Ok();
  }

  Status CopyTo(const std::filesystem::path& file) override {
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
      return FailedPrecondition(
          fmt::format("{} already exists; not overwriting it", file.string()));
    }
    // VACUUM INTO accepts an empty file: created here, so that the copy is its owner's only.
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    auto done = Execute("VACUUM INTO $1", file.string());
    if (!done) return std::unexpected(done.error());
    return Ok();
  }

  Status ReplaceFrom(const std::filesystem::path& file) override {
    sqlite3* src = nullptr;
    int rc = sqlite3_open_v2(file.c_str(), &src, SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) {
      Error e = FromSqlite(src, rc, fmt::format("opening {}", file.string()));
      sqlite3_close_v2(src);
      return std::unexpected(e);
    }
    // Check it is a database before touching ours (a damaged copy fails here, not half-way).
    std::string verdict;
    rc = sqlite3_exec(
        src, "PRAGMA quick_check(1)",
        [](void* out, int, char** values, char**) {
          *static_cast<std::string*>(out) = values[0] ? values[0] : "";
          return 0;
        },
        &verdict, nullptr);
    if (rc != SQLITE_OK || verdict != "ok") {
      Error e = rc != SQLITE_OK
                    ? FromSqlite(src, rc, fmt::format("checking {}", file.string()))
                    : Error{ErrorCode::kFailedPrecondition,
                            fmt::format("{} is damaged: {}", file.string(), verdict.substr(0, 200)),
                            "",
                            {}};
      sqlite3_close_v2(src);
      return std::unexpected(e);
    }
    for (auto& [sql, entry] : cache_) sqlite3_finalize(entry.stmt);
    cache_.clear();
    sqlite3_backup* b = sqlite3_backup_init(db_, "main", src, "main");
    if (b == nullptr) {
      Error e = FromSqlite(db_, sqlite3_errcode(db_), "starting the restore");
      sqlite3_close_v2(src);
      return std::unexpected(e);
    }
    rc = sqlite3_backup_step(b, -1);  // every page, in one step: readers wait, nothing mixes
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
      Error e = FromSqlite(db_, rc, fmt::format("restoring from {}", file.string()));
      sqlite3_close_v2(src);
      return std::unexpected(e);
    }
    sqlite3_close_v2(src);
    return Ok();
  }

  Result<bool> TableExists(std::string_view table) override {
    CONCORD_ASSIGN_OR_RETURN(
        auto n,
        QueryInt("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1", table));
    return n.value_or(0) > 0;
  }

  Status TuneForBulkLoad(bool on, int64_t cache_kib) override {
    // WAL stays consistent after a process crash without the fsync.
    return ExecuteScript(
        on ? fmt::format("PRAGMA cache_size = -{}; PRAGMA synchronous = OFF", cache_kib)
           : std::string("PRAGMA cache_size = -2000; PRAGMA synchronous = NORMAL"));
  }

  Result<std::vector<std::string>> DropSecondaryIndexes(
      const std::vector<std::string>& tables) override {
    // sql IS NULL: the automatic indexes of PRIMARY KEY and UNIQUE constraints.
    return DropIndexesListedBy(*this,
                               "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql "
                               "IS NOT NULL AND tbl_name = $1",
                               tables);
  }

  Status Begin(TxMode mode) override {
    if (mode != TxMode::kWrite) return ExecuteScript("BEGIN DEFERRED");
    bool took = false;
    if (writer_ && !writing_) {
      if (!writer_->try_lock_for(std::chrono::seconds(10))) {
        return Unavailable(
            "database error while beginning a write: another write of this "
            "process has held the database for 10 s");
      }
      writing_ = took = true;
    }
    auto begun = ExecuteScript("BEGIN IMMEDIATE");
    if (!begun && took) EndWrite();
    return begun;
  }
  Status Commit() override {
    auto committed = ExecuteScript("COMMIT");
    if (sqlite3_get_autocommit(db_)) EndWrite();  // ended (a failed COMMIT may leave it open)
    return committed;
  }
  Status Rollback() override {
    Status rolled_back = Ok();
    if (!sqlite3_get_autocommit(db_)) rolled_back = ExecuteScript("ROLLBACK");
    if (sqlite3_get_autocommit(db_)) EndWrite();
    return rolled_back;
  }

 private:
  // Lets the next writer of this process in.
  void EndWrite() {
    if (writing_) writer_->unlock();
    writing_ = false;
  }

  struct CacheEntry {
    sqlite3_stmt* stmt = nullptr;
    bool busy = false;
  };
  struct Prepared {
    sqlite3_stmt* stmt;
    bool owned;  // a one-off statement, finalized after use (its cached twin was in use)
    bool* busy;
  };

  Result<Prepared> Prepare(std::string_view sql, const Params& params) {
    Prepared p{nullptr, false, nullptr};
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end() || it->second.busy) {
      sqlite3_stmt* stmt = nullptr;
      int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                  SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return std::unexpected(FromSqlite(db_, rc, "preparing a statement"));
      if (it == cache_.end()) {
        it = cache_.emplace(std::string(sql), CacheEntry{stmt, false}).first;
        p.stmt = stmt;
      } else {
        p.stmt = stmt;
        p.owned = true;
      }
    } else {
      p.stmt = it->second.stmt;
    }
    if (!p.owned) {
      it->second.busy = true;
      p.busy = &it->second.busy;
    }
    if (auto s = Bind(p.stmt, params); !s) {
      Done(p);
      return std::unexpected(s.error());
    }
    return p;
  }

  void Done(const Prepared& p) {
    if (p.owned) {
      sqlite3_finalize(p.stmt);
    } else {
      sqlite3_reset(p.stmt);
      sqlite3_clear_bindings(p.stmt);
      *p.busy = false;
    }
  }

  // Binds $1..$N by name, so a statement may use them in any order or more than once.
  Status Bind(sqlite3_stmt* stmt, const Params& params) {
    int count = sqlite3_bind_parameter_count(stmt);
    if (count > static_cast<int>(params.size())) {
      return Internal(
          fmt::format("statement expects parameters up to ${}, got {}", count, params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      std::string name = fmt::format("${}", i + 1);
      int idx = sqlite3_bind_parameter_index(stmt, name.c_str());
      if (idx == 0) continue;  // this parameter is not used by the statement
      const Value& v = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(stmt, idx);
      } else if (auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, idx, *d);
      } else {
        const auto& s = std::get<std::string>(v);
        rc = sqlite3_bind_text64(stmt, idx, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) return std::unexpected(FromSqlite(db_, rc, "binding parameters"));
    }
    return Ok();
  }

  sqlite3* db_;
  std::shared_ptr<std::timed_mutex> writer_;  // shared by the database's connections
  bool writing_ = false;                      // this connection holds `writer_`
  std::unordered_map<std::string, CacheEntry> cache_;
};

struct SqliteUrl {
  std::string path;  // ":memory:" or a file path
  bool synchronous_full = false;
};

Result<SqliteUrl> ParseUrl(std::string_view url, const OpenOptions& options) {
  std::string_view rest = url.substr(std::string_view("sqlite:").size());
  SqliteUrl out;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (query == "synchronous=full") {
      out.synchronous_full = true;
    } else if (query != "synchronous=normal") {
      return InvalidArgument("database", fmt::format("unsupported SQLite URL option '{}'", query),
                             {"synchronous=normal", "synchronous=full"});
    }
  }
  if (rest.starts_with("//")) rest.remove_prefix(2);  // sqlite:///abs/path also accepted
  if (rest.empty()) return InvalidArgument("database", "the SQLite URL names no file");
  if (rest == ":memory:") {
    out.path = ":memory:";
  } else {
    std::filesystem::path p(rest);
    out.path = (p.is_absolute() ? p : options.base_dir / p).lexically_normal().string();
  }
  return out;
}

Result<std::unique_ptr<Connection>> Connect(const SqliteUrl& url,
                                            const std::shared_ptr<std::timed_mutex>& writer) {
  // A new database file is its owner's only; SQLite gives its -wal and -shm the same mode.
  if (url.path != ":memory:" && !url.path.empty()) {
    int fd = ::open(url.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(url.path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e = FromSqlite(db, rc, "opening the database");
    e.code = ErrorCode::kUnavailable;
    sqlite3_close_v2(db);
    return std::unexpected(e);
  }
  auto conn = std::make_unique<SqliteConnection>(db, writer);
  sqlite3_busy_timeout(db, 10000);
  std::string pragmas = "PRAGMA foreign_keys=ON;";
  if (url.path != ":memory:") pragmas += "PRAGMA journal_mode=WAL;";
  pragmas += url.synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
  CONCORD_RETURN_IF_ERROR(conn->ExecuteScript(pragmas));
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace

Result<std::shared_ptr<Database>> OpenSqlite(std::string_view url, const OpenOptions& options) {
  CONCORD_ASSIGN_OR_RETURN(SqliteUrl parsed, ParseUrl(url, options));
  // Each connection to ":memory:" would be a separate database: keep exactly one.
  int max = parsed.path == ":memory:" ? 1 : options.max_connections;
  auto db = std::make_shared<Database>(
      Backend::kSqlite, "sqlite:" + parsed.path,
      [parsed, writer = std::make_shared<std::timed_mutex>()] { return Connect(parsed, writer); },
      max);
  // Open one connection now, so that a bad path fails at start-up with a clear message.
  CONCORD_ASSIGN_OR_RETURN(auto lease, db->Acquire());
  return db;
}

}  // namespace concord::db::sqlite
