#pragma once
// A consistent copy of one service's database and the facts a backup manifest records about it:
// `concord backup` writes them for the services of its data directory, and every process
// serves them for its own (GET /api/admin/services/{name}/backup), so that a backup of the
// whole deployment reaches services on other hosts.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "concord/db/database.h"

namespace concord::cli {

// Writes a consistent copy of a service's database into `to` and describes it (schemaVersion,
// the last event seq it wrote or applied, format, file, bytes). SQLite: a database file
// (<service>.db); PostgreSQL: a pg_dump archive (<service>.dump) taken in the snapshot the facts
// are read in.
Result<nlohmann::json> CopyDatabase(db::Database& db, const std::filesystem::path& to,
                                    const std::string& service);

}  // namespace concord::cli
