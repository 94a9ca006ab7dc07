#pragma once
// The SQLite backend of libs/db. Private to the library.

#include <memory>
#include <string_view>

#include "concord/db/database.h"

namespace concord::db::sqlite {

// Opens "sqlite:<path>[?synchronous=normal|full]" or "sqlite::memory:".
Result<std::shared_ptr<Database>> OpenSqlite(std::string_view url, const OpenOptions& options);

}  // namespace concord::db::sqlite
