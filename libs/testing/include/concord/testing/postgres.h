#pragma once
// Test support: databases on the suite's throwaway PostgreSQL server (tests/pg/cluster.sh, the
// ctest fixture `pg_server`, which sets CONCORD_TEST_PG_DIR for the tests that require it).
//
//   auto pg = testing::PostgresServer::FromEnvironment();   // nullopt: not under that fixture
//   auto url = pg->CreateDatabase("forums");                 // a new, empty database's URL
//   // ... database = url, password_file = pg->password_file()

#include <filesystem>
#include <optional>
#include <string>

#include "concord/base/error.h"
#include "concord/db/database.h"

namespace concord::testing {

class PostgresServer {
 public:
  // The server the fixture started; nullopt if CONCORD_TEST_PG_DIR is not set.
  static std::optional<PostgresServer> FromEnvironment();

  // Creates a database with a unique name starting with `prefix` (letters, digits, _), owned by
  // the role `concord`, and returns its URL (no password in it).
  Result<std::string> CreateDatabase(std::string_view prefix) const;
  // Drops it (and any session still connected to it).
  Status DropDatabase(const std::string& url) const;

  // postgresql://concord@127.0.0.1:PORT/ (append a database name).
  const std::string& base_url() const { return base_url_; }
  // The role's password, in a file of mode 0600.
  const std::filesystem::path& password_file() const { return password_file_; }
  int port() const { return port_; }
  // The directory the fixture keeps its state in (tests/pg/cluster.sh's DIR).
  const std::filesystem::path& state_dir() const { return state_dir_; }

 private:
  std::filesystem::path state_dir_;
  std::string base_url_;
  std::filesystem::path password_file_;
  int port_ = 0;
};

// The storage backend end-to-end tests run on: "sqlite" (default) or "postgres", from
// CONCORD_TEST_BACKEND (ctest registers suites a second time with it set: <suite>_pg).
bool TestOnPostgres();

// With TestOnPostgres(): puts every service of the data directory's deployment on a database of
// its own on the fixture's server (created the first time, remembered in
// <data_dir>/.test-databases), by setting `database` and `password_file` in concord.toml's
// service sections unless a test set them. ConcordServer::Start and RunConcord call it, so a
// test written for SQLite runs unchanged on PostgreSQL. Without: does nothing.
Status PrepareTestBackend(const std::filesystem::path& data_dir);

// Opens a service's database as the deployment in `data_dir` has it (SQLite file or
// PostgreSQL), for tests that look inside or tamper with one.
Result<std::shared_ptr<db::Database>> OpenTestDatabase(const std::filesystem::path& data_dir,
                                                       const std::string& service);

// A DBA's copy of a service's database taken while Concord is stopped, and its restore with the
// database's own tools: SQLite, the file copied (with -wal and -shm); PostgreSQL, pg_dump into
// <backup_dir>/<service>.dump and pg_restore --clean back into the service's database.
Status SaveTestDatabase(const std::filesystem::path& data_dir, const std::string& service,
                        const std::filesystem::path& backup_dir);
Status RestoreTestDatabase(const std::filesystem::path& backup_dir, const std::string& service,
                           const std::filesystem::path& data_dir);

}  // namespace concord::testing
