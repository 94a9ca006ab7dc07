#include "store/board_store.h"

namespace concord::news::store {

Result<std::optional<bool>> PostingOpen(db::Connection& c, const std::string& board_id) {
  CONCORD_ASSIGN_OR_RETURN(auto open,
                           c.QueryInt("SELECT posting_open FROM boards WHERE id = $1", board_id));
  if (!open) return std::optional<bool>{};
  return std::optional<bool>(*open != 0);
}

}  // namespace concord::news::store
