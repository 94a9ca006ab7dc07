#include "concord/db/migration.h"

#include <fmt/format.h>

#include "concord/base/clock.h"

namespace concord::db {
namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";

}  // namespace

Result<int> SchemaVersion(Database& db) {
  return db.InTransaction(TxMode::kWrite, [](Connection& c) -> Result<int> {
    CONCORD_RETURN_IF_ERROR(c.Execute(kCreateTable));
    CONCORD_ASSIGN_OR_RETURN(auto v, c.QueryInt("SELECT MAX(version) FROM schema_migrations"));
    return static_cast<int>(v.value_or(0));
  });
}

Status Migrate(Database& db, MigrationList migrations, std::string_view component) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i + 1)) {
      return FailedPrecondition(
          fmt::format("{} migrations are not numbered 1, 2, 3...: found V{:03}", component,
                      migrations[i].version));
    }
  }
  CONCORD_ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  if (current > static_cast<int>(migrations.size())) {
    return FailedPrecondition(
        fmt::format("the {} database {} has schema version {}, newer than this Concord knows ({}); "
                    "run a newer Concord or restore a matching backup",
                    component, db.display_url(), current, migrations.size()));
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    CONCORD_RETURN_IF_ERROR(db.InTransaction(TxMode::kWrite, [&](Connection& c) -> Status {
      // Re-check inside the write lock: another process may have migrated meanwhile.
      CONCORD_ASSIGN_OR_RETURN(auto v, c.QueryInt("SELECT MAX(version) FROM schema_migrations"));
      if (v.value_or(0) >= m.version) return Ok();
      if (auto s = c.ExecuteScript(m.sql); !s) {
        auto e = s.error();
        e.message = fmt::format("{} migration V{:03}__{} failed: {}", component, m.version, m.name,
                                e.message);
        return std::unexpected(e);
      }
      CONCORD_RETURN_IF_ERROR(
          c.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    m.version, m.name, NowMillis()));
      return Ok();
    }));
  }
  return Ok();
}

namespace {

constexpr std::string_view kCreateDeployment =
    "CREATE TABLE IF NOT EXISTS concord_deployment ("
    " id BIGINT PRIMARY KEY CHECK (id = 1),"
    " deployment_id TEXT NOT NULL,"
    " claimed_at BIGINT NOT NULL)";

Status SameDeployment(Database& db, std::string_view component, std::string_view theirs,
                      std::string_view ours) {
  if (theirs == ours) return Ok();
  return FailedPrecondition(
      fmt::format("the {} database {} belongs to another Concord deployment ({}; this one is {}): "
                  "point [{}] database at this deployment's own, or, to add this process to that "
                  "deployment (another node), copy deployment.id from its first node's data "
                  "directory",
                  component, db.display_url(), theirs, ours.empty() ? "new" : ours, component));
}

}  // namespace

Status CheckDatabase(Database& db, MigrationList migrations, std::string_view component,
                     std::string_view deployment_id) {
  return db.InTransaction(TxMode::kRead, [&](Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(bool versioned, c.TableExists("schema_migrations"));
    if (versioned) {
      CONCORD_ASSIGN_OR_RETURN(auto v, c.QueryInt("SELECT MAX(version) FROM schema_migrations"));
      if (v.value_or(0) > static_cast<int64_t>(migrations.size())) {
        return FailedPrecondition(fmt::format(
            "the {} database {} has schema version {}, newer than this Concord knows ({}); "
            "run a newer Concord or restore a matching backup",
            component, db.display_url(), *v, migrations.size()));
      }
    }
    CONCORD_ASSIGN_OR_RETURN(bool claimed, c.TableExists("concord_deployment"));
    if (!claimed) return Ok();
    CONCORD_ASSIGN_OR_RETURN(auto ids,
                             c.QueryTexts("SELECT deployment_id FROM concord_deployment"));
    if (ids.empty()) return Ok();
    return SameDeployment(db, component, ids[0], deployment_id);
  });
}

Status ClaimDatabase(Database& db, std::string_view component, std::string_view deployment_id,
                     bool take_over) {
  return db.InTransaction(TxMode::kWrite, [&](Connection& c) -> Status {
    CONCORD_RETURN_IF_ERROR(c.Execute(kCreateDeployment));
    if (take_over) CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM concord_deployment"));
    CONCORD_ASSIGN_OR_RETURN(auto ids,
                             c.QueryTexts("SELECT deployment_id FROM concord_deployment"));
    if (!ids.empty()) return SameDeployment(db, component, ids[0], deployment_id);
    CONCORD_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO concord_deployment (id, deployment_id, claimed_at) VALUES (1, $1, $2)",
        deployment_id, NowMillis()));
    return Ok();
  });
}

}  // namespace concord::db
