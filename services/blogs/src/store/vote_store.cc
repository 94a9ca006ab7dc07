#include "store/vote_store.h"

namespace concord::blogs::store {

Result<bool> Vote(db::Connection& c, const std::string& entry_id, const UserId& user, Millis when) {
  CONCORD_ASSIGN_OR_RETURN(
      int64_t n, c.Execute("INSERT INTO votes (entry_id, user_id, created) VALUES ($1, $2, $3) "
                           "ON CONFLICT (entry_id, user_id) DO NOTHING",
                           entry_id, user, when));
  return n == 1;
}

}  // namespace concord::blogs::store
