#pragma once
// For Communities' tests: a migrated Communities database of its own, in a temporary directory
// of this test process.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "concord/communities/service.h"
#include "concord/db/database.h"
#include "concord/db/migration.h"

namespace concord::communities {

// A new database `name`.db (one left by an earlier run is removed first).
inline std::shared_ptr<db::Database> FreshDatabase(const std::string& name) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("concord-communities-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::remove(dir / (name + ".db"));
  auto db = db::Database::Open("sqlite:" + name + ".db", {.base_dir = dir});
  EXPECT_TRUE(db) << db.error().ToString();
  EXPECT_TRUE(db::Migrate(**db, Migrations(), "communities"));
  return *db;
}

}  // namespace concord::communities
