// PostgreSQL defaults, chosen once here for every Concord database (docs/deployment.md):
//   TxMode::kWrite   BEGIN (READ COMMITTED), then pg_advisory_xact_lock: write transactions of
//                    one database run one at a time, as SQLite's BEGIN IMMEDIATE makes them, so
//                    every read-then-write in the services stays correct without row locks.
//   TxMode::kRead    BEGIN ISOLATION LEVEL REPEATABLE READ: one snapshot for the whole
//                    transaction, as a SQLite read transaction sees.
//   Results          streamed in libpq's single-row mode, so an export of a million rows holds
//                    one row; a statement issued while a result is still streaming first reads
//                    the rest of that result into memory (nested queries stay correct).
//   Parameters       text, typed: integers int8, reals float8, strings text.
//   Collation        the database must sort text byte-wise (LC_COLLATE C): reports merge
//                    streams in id order, and SQLite compares bytes.
#include "postgres/postgres_backend.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <deque>
#include <fstream>
#include <sstream>
#include <unordered_map>

extern char** environ;

namespace concord::db::postgres {
namespace {

namespace fs = std::filesystem;

// pg_type OIDs of the parameter types Concord sends.
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat8Oid = 701;

// Any advisory lock key will do, as long as every Concord process uses the same one: the
// write lock of the database the connection is in.
constexpr int64_t kWriteLockKey = 0x436f6e636f7264;  // "Concord"

std::string TrimNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// libpq's messages span lines ("...failed: Connection refused\n\tIs the server running...");
// Concord's errors are one line each.
std::string OneLine(std::string_view text) {
  std::string out;
  bool space = false;
  for (char ch : text) {
    if (ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(ch);
  }
  return out;
}

// The one place where libpq failures become Concord errors.
Error FromPg(PGconn* conn, const PGresult* res, std::string_view doing) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string detail =
      OneLine(res != nullptr && *PQresultErrorMessage(res) != '\0' ? PQresultErrorMessage(res)
                                                                   : PQerrorMessage(conn));
  std::string_view s = state != nullptr ? state : "";
  ErrorCode code = ErrorCode::kInternal;
  // The server went away or never answered; connection exceptions (08), insufficient
  // resources (53), the server shutting down (57P), a lock not available (55P03).
  bool unavailable = conn == nullptr || PQstatus(conn) == CONNECTION_BAD || s.starts_with("08") ||
                     s.starts_with("53") || s.starts_with("57P") || s == "55P03";
  if (unavailable) {
    code = ErrorCode::kUnavailable;
  } else if (s == "23505") {
    code = ErrorCode::kAlreadyExists;  // unique_violation
  } else if (s.starts_with("23") || s == "25006") {
    // Foreign key, check, not null; a read-only transaction (a standby).
    code = ErrorCode::kFailedPrecondition;
  } else if (s == "40001" || s == "40P01") {
    code = ErrorCode::kAborted;  // serialization failure, deadlock: retry the whole operation
  } else if (s == "57014") {
    code = ErrorCode::kDeadlineExceeded;  // statement timeout or cancel
  } else if (s.starts_with("22")) {
    code = ErrorCode::kInvalidArgument;  // data exception: a value the column cannot hold
  }
  // field "database": the HTTP edge logs the details of an unavailable database and shows
  // clients a short message (libs/http/src/server.cc).
  return Error{code,
               fmt::format("database error while {}: {}", doing, detail),
               code == ErrorCode::kUnavailable ? "database" : "",
               {}};
}

class PgConnection;

// One result being read: rows come one PGresult at a time from the server (single-row mode),
// or from `buffered_` once another statement needed the connection.
class PgCursor final : public Cursor {
 public:
  explicit PgCursor(PgConnection* owner) : owner_(owner) {}
  ~PgCursor() override;

  Result<bool> Next() override;
  bool IsNull(int col) const override { return PQgetisnull(row_, 0, col) != 0; }
  int64_t Int(int col) const override {
    const char* v = PQgetvalue(row_, 0, col);
    int n = PQgetlength(row_, 0, col);
    if (n == 1 && (v[0] == 't' || v[0] == 'f')) return v[0] == 't' ? 1 : 0;  // a boolean
    int64_t out = 0;
    auto [p, ec] = std::from_chars(v, v + n, out);
    if (ec == std::errc() && p == v + n) return out;
    double d = 0;
    std::from_chars(v, v + n, d);  // a numeric (SUM of bigints)
    return static_cast<int64_t>(d);
  }
  double Double(int col) const override {
    const char* v = PQgetvalue(row_, 0, col);
    double out = 0;
    std::from_chars(v, v + PQgetlength(row_, 0, col), out);
    return out;
  }
  std::string_view TextView(int col) const override {
    return {PQgetvalue(row_, 0, col), static_cast<size_t>(PQgetlength(row_, 0, col))};
  }

  // Reads the next result from the server: a row, the end, or an error.
  Status Receive();
  // Reads the rest of the result into memory, so that the connection can run something else.
  void Detach();

 private:
  friend class PgConnection;
  void Clear(PGresult*& r) {
    if (r != nullptr) PQclear(r);
    r = nullptr;
  }

  PgConnection* owner_;
  bool attached_ = true;            // still reading from the server
  std::deque<PGresult*> buffered_;  // received, not yet handed out
  std::optional<Error> error_;      // the result ended in this error
  PGresult* row_ = nullptr;         // the current row
};

class PgConnection final : public Connection {
 public:
  PgConnection(PGconn* conn, std::string url, std::string password_file)
      : conn_(conn), url_(std::move(url)), password_file_(std::move(password_file)) {}
  ~PgConnection() override {
    if (streaming_ != nullptr) streaming_->Detach();
    PQfinish(conn_);
  }

  Backend backend() const override { return Backend::kPostgres; }
  bool reusable() const override {
    return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

  Result<int64_t> ExecuteParams(std::string_view sql, const Params& params) override {
    Settle();
    CONCORD_ASSIGN_OR_RETURN(std::string name, Prepare(sql, params));
    Bound b = Bind(params);
    PGresult* res = PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()),
                                   b.values.data(), nullptr, nullptr, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      Error e = FromPg(conn_, res, "executing a statement");
      PQclear(res);
      return std::unexpected(e);
    }
    const char* n = PQcmdTuples(res);
    int64_t changed = 0;
    if (n != nullptr && *n != '\0') std::from_chars(n, n + std::strlen(n), changed);
    PQclear(res);
    return changed;
  }

  Result<Rows> QueryParams(std::string_view sql, const Params& params) override {
    Settle();
    CONCORD_ASSIGN_OR_RETURN(std::string name, Prepare(sql, params));
    Bound b = Bind(params);
    if (PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(params.size()), b.values.data(),
                            nullptr, nullptr, 0) == 0) {
      return std::unexpected(FromPg(conn_, nullptr, "sending a query"));
    }
    PQsetSingleRowMode(conn_);
    auto cursor = std::make_unique<PgCursor>(this);
    streaming_ = cursor.get();
    // The first result now, so that a bad statement fails here rather than at Next().
    CONCORD_RETURN_IF_ERROR(cursor->Receive());
    if (cursor->error_) {
      Error e = *cursor->error_;
      return std::unexpected(e);
    }
    return Rows(std::move(cursor));
  }

  Status ExecuteScript(std::string_view sql) override {
    Settle();
    PGresult* res = PQexec(conn_, std::string(sql).c_str());
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
      Error e = FromPg(conn_, res, "running a script");
      PQclear(res);
      return std::unexpected(e);
    }
    PQclear(res);
    return Ok();
  }

  Status CopyTo(const fs::path& file) override;
  Status ReplaceFrom(const fs::path& file) override;

  Result<bool> TableExists(std::string_view table) override {
    CONCORD_ASSIGN_OR_RETURN(auto n, QueryInt("SELECT COUNT(*) FROM pg_tables WHERE schemaname = "
                                              "current_schema() AND tablename = $1",
                                              table));
    return n.value_or(0) > 0;
  }

  Status TuneForBulkLoad(bool on, int64_t) override {
    // The server's cache is the server's; a commit need not wait for the WAL flush (a crash of
    // the server may lose the load, never corrupt it: it is one transaction).
    return ExecuteScript(on ? "SET synchronous_commit = off" : "RESET synchronous_commit");
  }

  Result<std::vector<std::string>> DropSecondaryIndexes(
      const std::vector<std::string>& tables) override {
    std::vector<std::string> names;
    std::vector<std::string> rebuild;
    for (const auto& table : tables) {
      CONCORD_ASSIGN_OR_RETURN(
          Rows rows, Query("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = "
                           "current_schema() AND i.tablename = $1 AND NOT EXISTS (SELECT 1 FROM "
                           "pg_constraint k WHERE k.conindid = format('%I.%I', i.schemaname, "
                           "i.indexname)::regclass)",
                           table));
      while (true) {
        CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
        if (!has) break;
        names.push_back(rows.Text(0));
        rebuild.push_back(rows.Text(1));
      }
    }
    for (const auto& n : names) CONCORD_RETURN_IF_ERROR(ExecuteScript("DROP INDEX \"" + n + "\""));
    return rebuild;
  }

  Status Begin(TxMode mode) override {
    if (mode == TxMode::kRead) return ExecuteScript("BEGIN ISOLATION LEVEL REPEATABLE READ");
    return ExecuteScript(fmt::format("BEGIN; SELECT pg_advisory_xact_lock({})", kWriteLockKey));
  }
  Status Commit() override {
    Settle();
    PGresult* res = PQexec(conn_, "COMMIT");
    // COMMIT of a transaction that failed earlier answers ROLLBACK: report it as a failure.
    bool rolled_back =
        PQresultStatus(res) == PGRES_COMMAND_OK && std::string_view(PQcmdStatus(res)) == "ROLLBACK";
    if (PQresultStatus(res) != PGRES_COMMAND_OK || rolled_back) {
      Error e = rolled_back ? Error{ErrorCode::kAborted,
                                    "database error while committing: the transaction had failed "
                                    "and was rolled back",
                                    {},
                                    {}}
                            : FromPg(conn_, res, "committing");
      PQclear(res);
      return std::unexpected(e);
    }
    PQclear(res);
    return Ok();
  }
  Status Rollback() override {
    if (PQstatus(conn_) != CONNECTION_OK) return Ok();  // the server ended it already
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE && streaming_ == nullptr) return Ok();
    return ExecuteScript("ROLLBACK");
  }

  PGconn* raw() { return conn_; }
  void Released(PgCursor* c) {
    if (streaming_ == c) streaming_ = nullptr;
  }

 private:
  struct Bound {
    std::vector<std::string> texts;
    std::vector<const char*> values;
  };

  // A cursor still reading from the server takes the rest of its rows into memory.
  void Settle() {
    if (streaming_ != nullptr) {
      streaming_->Detach();
      streaming_ = nullptr;
    }
  }

  // The name of the statement prepared on this connection for `sql` with these parameter
  // types; prepared on first use.
  Result<std::string> Prepare(std::string_view sql, const Params& params) {
    std::vector<Oid> types;
    types.reserve(params.size());
    std::string key(sql);
    key.push_back('\0');
    for (const Value& v : params) {
      Oid t = 0;  // NULL: the server infers the type from where it is used
      if (std::holds_alternative<int64_t>(v)) t = kInt8Oid;
      if (std::holds_alternative<double>(v)) t = kFloat8Oid;
      if (std::holds_alternative<std::string>(v)) t = kTextOid;
      types.push_back(t);
      key.push_back(t == kInt8Oid ? 'i' : t == kFloat8Oid ? 'd' : t == kTextOid ? 's' : 'n');
    }
    if (auto it = prepared_.find(key); it != prepared_.end()) return it->second;
    std::string name = fmt::format("concord_{}", prepared_.size() + 1);
    PGresult* res = PQprepare(conn_, name.c_str(), std::string(sql).c_str(),
                              static_cast<int>(types.size()), types.data());
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      Error e = FromPg(conn_, res, "preparing a statement");
      PQclear(res);
      return std::unexpected(e);
    }
    PQclear(res);
    prepared_.emplace(std::move(key), name);
    return name;
  }

  static Bound Bind(const Params& params) {
    Bound b;
    b.texts.reserve(params.size());
    for (const Value& v : params) {
      if (auto* n = std::get_if<int64_t>(&v)) {
        b.texts.push_back(std::to_string(*n));
      } else if (auto* d = std::get_if<double>(&v)) {
        b.texts.push_back(fmt::format("{}", *d));
      } else if (auto* s = std::get_if<std::string>(&v)) {
        b.texts.push_back(*s);
      } else {
        b.texts.emplace_back();
      }
    }
    for (size_t i = 0; i < params.size(); ++i) {
      b.values.push_back(std::holds_alternative<std::monostate>(params[i]) ? nullptr
                                                                           : b.texts[i].c_str());
    }
    return b;
  }

  PGconn* conn_;
  std::string url_;            // for pg_dump and pg_restore
  std::string password_file_;  // likewise
  std::unordered_map<std::string, std::string> prepared_;
  PgCursor* streaming_ = nullptr;
};

PgCursor::~PgCursor() {
  if (attached_) Detach();
  Clear(row_);
  for (PGresult* r : buffered_) PQclear(r);
}

Status PgCursor::Receive() {
  PGresult* r = PQgetResult(owner_->raw());
  if (r == nullptr) {  // the end of the results
    attached_ = false;
    owner_->Released(this);
    return Ok();
  }
  switch (PQresultStatus(r)) {
    case PGRES_SINGLE_TUPLE: buffered_.push_back(r); return Ok();
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
      PQclear(r);  // the end of the rows: NULL follows
      return Receive();
    default:
      error_ = FromPg(owner_->raw(), r, "reading rows");
      PQclear(r);
      while (PGresult* rest = PQgetResult(owner_->raw())) PQclear(rest);
      attached_ = false;
      owner_->Released(this);
      return Ok();
  }
}

void PgCursor::Detach() {
  while (attached_) (void)Receive();
}

Result<bool> PgCursor::Next() {
  Clear(row_);
  if (buffered_.empty() && attached_) CONCORD_RETURN_IF_ERROR(Receive());
  if (!buffered_.empty()) {
    row_ = buffered_.front();
    buffered_.pop_front();
    return true;
  }
  if (error_) return std::unexpected(*error_);
  return false;
}

// Runs a PostgreSQL client program (pg_dump, pg_restore) with the connection's URL and, if the
// password comes from a file, that file as its passfile. Its stderr is returned on failure.
Status RunTool(const std::vector<std::string>& argv, const std::string& password_file,
               const fs::path& work_dir, std::string* out = nullptr) {
  fs::path passfile;
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("PGPASSFILE=") || kv.starts_with("PGPASSWORD=")) continue;
    env_strings.emplace_back(kv);
  }
  if (!password_file.empty()) {
    // libpq's passfile: "*:*:*:*:password", with ':' and '\' escaped.
    std::ifstream in(password_file);
    std::string password;
    std::getline(in, password);
    std::string escaped;
    for (char ch : TrimNewline(password)) {
      if (ch == ':' || ch == '\\') escaped.push_back('\\');
      escaped.push_back(ch);
    }
    passfile = work_dir / fmt::format(".concord-pgpass-{}", ::getpid());
    int fd = ::open(passfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Unavailable(fmt::format("cannot write {}", passfile.string()));
    std::string line = "*:*:*:*:" + escaped + "\n";
    bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!written) return Unavailable(fmt::format("cannot write {}", passfile.string()));
    env_strings.push_back("PGPASSFILE=" + passfile.string());
  }
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  std::vector<std::string> copy = argv;
  args.reserve(copy.size() + 1);
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);

  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    return Unavailable("cannot create a pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  std::string stdout_text;
  std::string stderr_text;
  if (rc == 0) {
    // Read both pipes to their end (stderr is small; stdout is a table of contents at most).
    char buf[4096];
    for (int fd : {out_pipe[0], err_pipe[0]}) {
      ssize_t n = 0;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        (fd == out_pipe[0] ? stdout_text : stderr_text).append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  if (rc == 0) ::waitpid(pid, &status, 0);
  if (!passfile.empty()) fs::remove(passfile);
  if (rc != 0) {
    return Unavailable(fmt::format("cannot run {} ({}): install PostgreSQL's client programs",
                                   argv[0], std::strerror(rc)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Unavailable(fmt::format("{} failed: {}", argv[0], OneLine(stderr_text).substr(0, 2000)));
  }
  if (out != nullptr) *out = std::move(stdout_text);
  return Ok();
}

Status PgConnection::CopyTo(const fs::path& file) {
  std::error_code ec;
  if (fs::exists(file, ec)) {
    return FailedPrecondition(fmt::format("{} already exists; not overwriting it", file.string()));
  }
  // The dump is its owner's only, as a SQLite copy is.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  // pg_dump reads one snapshot: consistent while other sessions write. Inside a transaction,
  // that transaction's own, so that what the caller read there describes the dump exactly.
  std::vector<std::string> args = {"pg_dump",         "--format=custom", "--no-owner",
                                   "--no-privileges", "--no-password",   "--file=" + file.string(),
                                   "--dbname=" + url_};
  if (PQtransactionStatus(conn_) == PQTRANS_INTRANS) {
    auto snapshot = QueryTexts("SELECT pg_export_snapshot()");
    if (!snapshot) return std::unexpected(snapshot.error());
    args.push_back("--snapshot=" + snapshot->at(0));
  }
  auto s = RunTool(args, password_file_, file.parent_path());
  if (!s) fs::remove(file, ec);
  return s;
}

Status PgConnection::ReplaceFrom(const fs::path& file) {
  // Check it is a dump before touching the database (a damaged copy fails here).
  std::string toc;
  CONCORD_RETURN_IF_ERROR(
      RunTool({"pg_restore", "--list", file.string()}, "", file.parent_path(), &toc));
  // Tables the dump does not hold (made by a later migration) would survive --clean and then
  // stand in the way of that migration: drop them first, in one transaction.
  std::vector<std::string> in_dump;
  std::istringstream lines(toc);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(";")) continue;
    auto at = line.find(" TABLE public ");
    if (at == std::string::npos) continue;
    std::istringstream rest(line.substr(at + 14));
    std::string name;
    rest >> name;
    in_dump.push_back(name);
  }
  if (in_dump.empty()) {
    return FailedPrecondition(
        fmt::format("{} holds no tables: not a Concord backup", file.string()));
  }
  prepared_.clear();
  CONCORD_RETURN_IF_ERROR(ExecuteScript("DEALLOCATE ALL"));
  CONCORD_RETURN_IF_ERROR(ExecuteScript("BEGIN"));
  CONCORD_ASSIGN_OR_RETURN(
      auto tables, QueryTexts("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"));
  for (const auto& t : tables) {
    if (std::find(in_dump.begin(), in_dump.end(), t) != in_dump.end()) continue;
    if (auto s = ExecuteScript(fmt::format("DROP TABLE IF EXISTS \"{}\" CASCADE", t)); !s) {
      (void)ExecuteScript("ROLLBACK");
      return s;
    }
  }
  CONCORD_RETURN_IF_ERROR(ExecuteScript("COMMIT"));
  return RunTool(
      {"pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
       "--no-owner", "--no-privileges", "--no-password", "--dbname=" + url_, file.string()},
      password_file_, file.parent_path());
}

// Reads the password file, which must be readable by its owner only.
Result<std::string> ReadPasswordFile(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return FailedPrecondition(fmt::format("cannot read the database password file {}: {}",
                                          file.string(), std::strerror(errno)));
  }
  if ((st.st_mode & 077) != 0) {
    return FailedPrecondition(
        fmt::format("the database password file {} is readable by others (mode {:o}): chmod 600 it",
                    file.string(), st.st_mode & 0777));
  }
  std::ifstream in(file);
  std::string password;
  std::getline(in, password);
  password = TrimNewline(password);
  if (password.empty()) {
    return FailedPrecondition(fmt::format("the database password file {} is empty", file.string()));
  }
  return password;
}

Result<std::unique_ptr<Connection>> Connect(const std::string& url, const std::string& password,
                                            const std::string& password_file,
                                            const std::string& display) {
  // Defaults first: the URL's own settings, then the password file, override them.
  std::vector<const char*> keys = {"connect_timeout", "application_name", "dbname"};
  std::vector<const char*> values = {"10", "concord", url.c_str()};
  if (!password.empty()) {
    keys.push_back("password");
    values.push_back(password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string why = conn != nullptr ? OneLine(PQerrorMessage(conn)) : "out of memory";
    PQfinish(conn);
    Error e{ErrorCode::kUnavailable,
            fmt::format("cannot connect to the database {}: {}", display, why),
            "database",
            {}};
    return std::unexpected(e);
  }
  // The server's notices ("relation already exists, skipping") are not errors: not on stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Connection>(std::make_unique<PgConnection>(conn, url, password_file));
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  // user:password@host → user@host
  if (auto scheme = out.find("://"); scheme != std::string::npos) {
    auto at = out.find('@', scheme + 3);
    auto slash = out.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      auto colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  // ?password=...&... → removed
  for (auto p = out.find("password="); p != std::string::npos; p = out.find("password=", p)) {
    if (p > 0 && out[p - 1] != '?' && out[p - 1] != '&') {
      ++p;
      continue;
    }
    auto end = out.find('&', p);
    out.erase(p, end == std::string::npos ? std::string::npos : end - p + 1);
  }
  while (!out.empty() && (out.back() == '&' || out.back() == '?')) out.pop_back();
  return out;
}

Result<std::shared_ptr<Database>> OpenPostgres(std::string_view url, const OpenOptions& options) {
  std::string display = RedactUrl(url);
  std::string target(url);
  // libpq knows postgresql:// and postgres://; anything else is a typo worth naming.
  if (!target.starts_with("postgresql://") && !target.starts_with("postgres://")) {
    return InvalidArgument("database",
                           fmt::format("'{}' is not a PostgreSQL URI", display.substr(0, 200)),
                           {"postgresql://user@host:5432/dbname"});
  }
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(target.c_str(), &err);
  if (parsed == nullptr) {
    std::string why = err != nullptr ? OneLine(err) : "malformed";
    PQfreemem(err);
    return InvalidArgument(
        "database", fmt::format("malformed PostgreSQL URI {}: {}", display.substr(0, 200), why));
  }
  PQconninfoFree(parsed);
  std::string password;
  std::string password_file;
  if (!options.password_file.empty()) {
    fs::path file = options.password_file.is_absolute() ? options.password_file
                                                        : options.base_dir / options.password_file;
    CONCORD_ASSIGN_OR_RETURN(password, ReadPasswordFile(file));
    password_file = file.string();
  }
  auto db = std::make_shared<Database>(
      Backend::kPostgres, display,
      [target, password, password_file, display] {
        return Connect(target, password, password_file, display);
      },
      options.max_connections);
  // One connection now, so that an unreachable server or refused credentials fail at start-up
  // with the database named; and the checks Concord relies on.
  CONCORD_ASSIGN_OR_RETURN(auto lease, db->Acquire());
  // Byte order puts 'B' (0x42) before 'a' (0x61); every locale's order (libc or ICU) puts 'a'
  // first.
  CONCORD_ASSIGN_OR_RETURN(auto rows,
                           lease->Query("SELECT ('a' < 'B')::int, datcollate FROM "
                                        "pg_database WHERE datname = current_database()"));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (has && rows.Int(0) != 0) {
    return FailedPrecondition(fmt::format(
        "the database {} sorts text by a locale (collation '{}'); Concord compares ids byte by "
        "byte: create it with CREATE DATABASE ... TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'",
        display, rows.Text(1)));
  }
  return db;
}

}  // namespace concord::db::postgres
