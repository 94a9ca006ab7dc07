#include "database_copy.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Facts about a database for the manifest, read on `c`: its schema, and how far it followed
// the lifecycle events (an application: the last it applied; Communities: the last it wrote).
Result<json> DescribeOn(db::Connection& c, const std::string& service) {
  CONCORD_ASSIGN_OR_RETURN(auto version, c.QueryInt("SELECT MAX(version) FROM schema_migrations"));
  json out = {{"schemaVersion", version.value_or(0)}};
  if (service == "communities") {
    CONCORD_ASSIGN_OR_RETURN(auto seq, c.QueryInt("SELECT MAX(seq) FROM lifecycle_events"));
    out["lastEventSeq"] = seq.value_or(0);
  } else {
    CONCORD_ASSIGN_OR_RETURN(auto seq,
                             c.QueryInt("SELECT last_seq FROM lifecycle_progress WHERE id = 1"));
    out["lastAppliedEventSeq"] = seq.value_or(0);
  }
  return out;
}

}  // namespace

Result<json> CopyDatabase(db::Database& db, const fs::path& to, const std::string& service) {
  CONCORD_ASSIGN_OR_RETURN(auto lease, db.Acquire());
  json out;
  fs::path copy;
  if (db.backend() == db::Backend::kSqlite) {
    copy = to / (service + ".db");
    CONCORD_RETURN_IF_ERROR(lease->CopyTo(copy));
    CONCORD_ASSIGN_OR_RETURN(auto copied, db::Database::Open("sqlite:" + copy.string(), {}));
    CONCORD_ASSIGN_OR_RETURN(auto read, copied->Acquire());
    CONCORD_ASSIGN_OR_RETURN(out, DescribeOn(*read, service));
    out["format"] = "sqlite";
  } else {
    copy = to / (service + ".dump");
    auto tx = db::Transaction::Begin(*lease, db::TxMode::kRead);
    if (!tx) return std::unexpected(tx.error());
    CONCORD_ASSIGN_OR_RETURN(out, DescribeOn(*lease, service));
    CONCORD_RETURN_IF_ERROR(lease->CopyTo(copy));  // pg_dump in this transaction's snapshot
    CONCORD_RETURN_IF_ERROR(tx->Commit());
    out["format"] = "pg_dump";
  }
  out["file"] = copy.filename().string();
  std::error_code ec;
  out["bytes"] = static_cast<int64_t>(fs::file_size(copy, ec));
  return out;
}

}  // namespace concord::cli
