#pragma once
// The News service's own SQL: what its boards hold besides the shared container columns.

#include <optional>
#include <string>

#include "concord/db/database.h"

namespace concord::news::store {

// Whether members may post on the board; nullopt when there is no such board.
Result<std::optional<bool>> PostingOpen(db::Connection& c, const std::string& board_id);

}  // namespace concord::news::store
