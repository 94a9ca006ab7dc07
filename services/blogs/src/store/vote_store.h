#pragma once
// The Blogs service's own SQL: votes for ideas.

#include <string>

#include "concord/base/clock.h"
#include "concord/db/database.h"

namespace concord::blogs::store {

// Records `user`'s vote for an entry; false when that user had voted for it already.
Result<bool> Vote(db::Connection& c, const std::string& entry_id, const UserId& user, Millis when);

}  // namespace concord::blogs::store
