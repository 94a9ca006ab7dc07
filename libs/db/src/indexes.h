#pragma once
// Shared by the backends' DropSecondaryIndexes: only the catalogue query differs.

#include <string>
#include <string_view>
#include <vector>

#include "concord/db/database.h"

namespace concord::db {

// Runs `catalogue` (one parameter, the table; rows of index name and the statement that builds
// it) for each of `tables`, drops every index it lists, and returns the statements.
Result<std::vector<std::string>> DropIndexesListedBy(Connection& c, std::string_view catalogue,
                                                     const std::vector<std::string>& tables);

}  // namespace concord::db
