#pragma once
// SQL of the web pages' sessions (migration V008).

#include <optional>
#include <string>

#include "concord/base/clock.h"
#include "concord/db/database.h"

namespace concord::communities::store {

struct SessionRow {
  std::string token_hash;
  std::string user_id;
  std::string csrf_token;
  Millis created_at = 0;
  Millis idle_until = 0;
  Millis expires_at = 0;
};

class SessionStore {
 public:
  Status Insert(db::Connection& c, const SessionRow& s) const;
  Result<std::optional<SessionRow>> Find(db::Connection& c, const std::string& token_hash) const;
  Status Touch(db::Connection& c, const std::string& token_hash, Millis idle_until) const;
  Status Delete(db::Connection& c, const std::string& token_hash) const;
  Status DeleteForUser(db::Connection& c, const std::string& user_id) const;
  // Sessions past their end (idle or expired) at `now`.
  Result<int64_t> DeleteEnded(db::Connection& c, Millis now) const;
};

}  // namespace concord::communities::store
