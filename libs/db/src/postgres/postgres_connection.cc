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
//   Bulk loads       between TuneForBulkLoad(true) and (false), statements run through
//                    libpq's pipeline mode: sent without waiting for their results, read 256
//                    at a time and before anything else runs; Execute then answers 1 row
//                    changed, and an error surfaces at the next statement or the commit.
//   Collation        the database must sort text byte-wise (LC_COLLATE C): reports merge
//                    streams in id order, and SQLite compares bytes.
#include "postgres/postgres_connection.h"

namespace concord::db::postgres {

std::string TrimNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

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

Error FromPg(PGconn* conn, const PGresult* res, std::string_view doing) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  // The server's primary message only: its DETAIL may quote the row's values ("Key
  // (email)=(...) already exists"), which are not for every client.
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string detail =
      OneLine(primary != nullptr                                     ? primary
              : res != nullptr && *PQresultErrorMessage(res) != '\0' ? PQresultErrorMessage(res)
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

PgCursor::~PgCursor() {
  // An abandoned result's remaining rows are read and dropped, not kept.
  if (attached_) {
    while (PGresult* r = PQgetResult(owner_->raw())) {
      bool stuck = PQresultStatus(r) == PGRES_COPY_OUT || PQresultStatus(r) == PGRES_COPY_IN ||
                   PQstatus(owner_->raw()) == CONNECTION_BAD;
      PQclear(r);
      if (stuck) break;
    }
    attached_ = false;
    owner_->Released(this);
  }
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
      // The rest, up to the end (Concord never issues COPY, whose results would repeat).
      while (PGresult* rest = PQgetResult(owner_->raw())) {
        bool stuck = PQresultStatus(rest) == PGRES_COPY_OUT ||
                     PQresultStatus(rest) == PGRES_COPY_IN ||
                     PQstatus(owner_->raw()) == CONNECTION_BAD;
        PQclear(rest);
        if (stuck) break;
      }
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

}  // namespace concord::db::postgres
