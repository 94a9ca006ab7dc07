#pragma once
// Numbered, forward-only schema migrations, one list per service, applied at start-up.
//
// A service keeps its migrations as services/<svc>/migrations/V001__init.sql, V002__..., and
// the build compiles them in (cmake: concord_migrations(target dir namespace)), giving
// `<namespace>::Migrations()`. Start-up then calls Migrate(db, Migrations(), "communities").

#include <span>
#include <string_view>

#include "concord/base/error.h"
#include "concord/db/database.h"

namespace concord::db {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};
using MigrationList = std::span<const Migration>;

// Applies every migration newer than the database's version, in order, each in its own write
// transaction, and records it in the table `schema_migrations`.
// kFailedPrecondition if the database was written by a newer schema than `migrations` knows
// (say, a backup from a later Concord) or the list is not numbered 1, 2, 3, ...
[[nodiscard]] Status Migrate(Database& db, MigrationList migrations, std::string_view component);

// The highest migration version applied, 0 for an empty database.
[[nodiscard]] Result<int> SchemaVersion(Database& db);

// Checks, writing nothing, that Migrate could run: kFailedPrecondition naming `component` and
// the database if it holds a schema newer than `migrations`, or belongs to another deployment
// than `deployment_id` (ClaimDatabase).
[[nodiscard]] Status CheckDatabase(Database& db, MigrationList migrations,
                                   std::string_view component, std::string_view deployment_id);

// Records that the database belongs to the deployment `deployment_id` (the table
// concord_deployment, one row), the first time; kFailedPrecondition if it belongs to another:
// a URL pointing at another deployment's database must not mix two deployments' data.
// With `take_over`, it belongs to `deployment_id` whatever it said (a restore an administrator
// forced).
[[nodiscard]] Status ClaimDatabase(Database& db, std::string_view component,
                                   std::string_view deployment_id, bool take_over = false);

}  // namespace concord::db
