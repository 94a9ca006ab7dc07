#pragma once
// The PostgreSQL backend's connection and cursor (libpq), private to libs/db. What the backend
// chooses, and why: postgres_connection.cc's opening comment and ADR 0018.

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "concord/db/database.h"
#include "indexes.h"

namespace concord::db::postgres {

namespace fs = std::filesystem;

// pg_type OIDs of the parameter types Concord sends.
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat8Oid = 701;

// Any advisory lock key will do, as long as every Concord process uses the same one: the
// write lock of the database the connection is in.
constexpr int64_t kWriteLockKey = 0x436f6e636f7264;  // "Concord"

std::string TrimNewline(std::string s);
// libpq's messages span lines ("...failed: Connection refused\n\tIs the server running...");
// Concord's errors are one line each.
std::string OneLine(std::string_view text);
// The one place where libpq failures become Concord errors.
Error FromPg(PGconn* conn, const PGresult* res, std::string_view doing);

// Runs a PostgreSQL client program (pg_dump, pg_restore; postgres_dump.cc). A `password` is
// given to it through a passfile in a private temporary directory, never on its command line.
// Its stderr is returned on failure; its stdout in `out` if given.
Status RunTool(const std::vector<std::string>& argv, const std::string& password,
               std::string* out = nullptr);

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
  PgConnection(PGconn* conn, std::string url, std::string password)
      : conn_(conn), url_(std::move(url)), password_(std::move(password)) {}
  ~PgConnection() override {
    (void)Settle();
    PQfinish(conn_);
  }

  Backend backend() const override { return Backend::kPostgres; }
  bool reusable() const override {
    return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

  Result<int64_t> ExecuteParams(std::string_view sql, const Params& params) override {
    if (bulk_) return Pipeline(sql, params);
    CONCORD_RETURN_IF_ERROR(Settle());
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
    CONCORD_RETURN_IF_ERROR(Settle());
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
    CONCORD_RETURN_IF_ERROR(Settle());
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
    // the server may lose the load, never corrupt it: it is one transaction). Statements are
    // pipelined (above). Off even if the pipeline's last statements failed.
    bulk_ = on;
    CONCORD_RETURN_IF_ERROR(Settle());
    return ExecuteScript(on ? "SET synchronous_commit = off" : "RESET synchronous_commit");
  }

  Result<std::vector<std::string>> DropSecondaryIndexes(
      const std::vector<std::string>& tables) override {
    // Not the indexes behind a constraint (primary key, unique).
    return DropIndexesListedBy(
        *this,
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = "
        "format('%I.%I', i.schemaname, i.indexname)::regclass)",
        tables);
  }

  Status Begin(TxMode mode) override {
    if (mode == TxMode::kRead) return ExecuteScript("BEGIN ISOLATION LEVEL REPEATABLE READ");
    return ExecuteScript(fmt::format("BEGIN; SELECT pg_advisory_xact_lock({})", kWriteLockKey));
  }
  Status Commit() override {
    CONCORD_RETURN_IF_ERROR(Settle());
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
    (void)Settle();                                     // a pipelined statement's error is moot now
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

  // Before anything else runs on the connection: a cursor still reading from the server takes
  // the rest of its rows into memory, and pipelined statements are read back (the first error
  // among them is returned).
  Status Settle() {
    if (streaming_ != nullptr) {
      streaming_->Detach();
      streaming_ = nullptr;
    }
    if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF) return Ok();
    Status drained = Drain();
    if (PQexitPipelineMode(conn_) == 0 && drained) {
      return std::unexpected(FromPg(conn_, nullptr, "leaving pipeline mode"));
    }
    return drained;
  }

  // Sends a statement in pipeline mode without waiting for its result.
  Result<int64_t> Pipeline(std::string_view sql, const Params& params) {
    if (streaming_ != nullptr) CONCORD_RETURN_IF_ERROR(Settle());
    std::string key = Key(sql, params);
    if (!prepared_.contains(key)) {
      // Preparing waits for the server: outside the pipeline (a few statements per load).
      CONCORD_RETURN_IF_ERROR(Settle());
      CONCORD_RETURN_IF_ERROR(Prepare(sql, params));
    }
    if (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && PQenterPipelineMode(conn_) == 0) {
      return std::unexpected(FromPg(conn_, nullptr, "entering pipeline mode"));
    }
    Bound b = Bind(params);
    if (PQsendQueryPrepared(conn_, prepared_[key].c_str(), static_cast<int>(params.size()),
                            b.values.data(), nullptr, nullptr, 0) == 0) {
      return std::unexpected(FromPg(conn_, nullptr, "sending a statement"));
    }
    // Read results back before the socket's buffers could fill both ways.
    if (++pipelined_ >= 256) CONCORD_RETURN_IF_ERROR(Drain());
    return 1;
  }

  // Reads every pipelined result up to a sync point; the first error among them.
  Status Drain() {
    if (PQpipelineSync(conn_) == 0) return std::unexpected(FromPg(conn_, nullptr, "syncing"));
    std::optional<Error> first;
    int ends = 0;  // each statement's results end with a NULL
    while (true) {
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) {
        if (PQstatus(conn_) == CONNECTION_BAD || ++ends > pipelined_ + 1) {
          if (!first) first = FromPg(conn_, nullptr, "reading pipelined results");
          break;
        }
        continue;
      }
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        break;
      }
      if ((st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED) && !first) {
        first = FromPg(conn_, r, "executing a statement");
      }
      PQclear(r);
      if (PQstatus(conn_) == CONNECTION_BAD) {
        if (!first) first = FromPg(conn_, nullptr, "reading pipelined results");
        break;
      }
    }
    pipelined_ = 0;
    if (first) return std::unexpected(*first);
    return Ok();
  }

  static Oid TypeOf(const Value& v) {
    if (std::holds_alternative<int64_t>(v)) return kInt8Oid;
    if (std::holds_alternative<double>(v)) return kFloat8Oid;
    if (std::holds_alternative<std::string>(v)) return kTextOid;
    return 0;  // NULL: the server infers the type from where it is used
  }

  // A statement and its parameters' types: what one prepared statement serves.
  static std::string Key(std::string_view sql, const Params& params) {
    std::string key(sql);
    key.push_back('\0');
    for (const Value& v : params) {
      Oid t = TypeOf(v);
      key.push_back(t == kInt8Oid ? 'i' : t == kFloat8Oid ? 'd' : t == kTextOid ? 's' : 'n');
    }
    return key;
  }

  // The name of the statement prepared on this connection for `sql` with these parameter
  // types; prepared on first use.
  Result<std::string> Prepare(std::string_view sql, const Params& params) {
    std::vector<Oid> types;
    types.reserve(params.size());
    for (const Value& v : params) types.push_back(TypeOf(v));
    std::string key = Key(sql, params);
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
  std::string url_;       // for pg_dump and pg_restore
  std::string password_;  // likewise: what it connected with, if Concord gave one
  std::unordered_map<std::string, std::string> prepared_;
  PgCursor* streaming_ = nullptr;
  bool bulk_ = false;  // TuneForBulkLoad(true): Execute pipelines
  int pipelined_ = 0;  // statements sent since the last sync
};

}  // namespace concord::db::postgres
