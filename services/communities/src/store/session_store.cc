#include "store/session_store.h"

namespace concord::communities::store {

Status SessionStore::Insert(db::Connection& c, const SessionRow& s) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at, idle_until, "
      "expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
      s.token_hash, s.user_id, s.csrf_token, s.created_at, s.idle_until, s.expires_at));
  return Ok();
}

Result<std::optional<SessionRow>> SessionStore::Find(db::Connection& c,
                                                     const std::string& token_hash) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT token_hash, user_id, csrf_token, created_at, idle_until, expires_at FROM "
              "web_sessions WHERE token_hash = $1",
              token_hash));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (!has) return std::optional<SessionRow>();
  return SessionRow{rows.Text(0), rows.Text(1), rows.Text(2),
                    rows.Int(3),  rows.Int(4),  rows.Int(5)};
}

Status SessionStore::Touch(db::Connection& c, const std::string& token_hash,
                           Millis idle_until) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("UPDATE web_sessions SET idle_until = $2 WHERE token_hash = $1",
                                    token_hash, idle_until));
  return Ok();
}

Status SessionStore::Delete(db::Connection& c, const std::string& token_hash) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM web_sessions WHERE token_hash = $1", token_hash));
  return Ok();
}

Status SessionStore::DeleteForUser(db::Connection& c, const std::string& user_id) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM web_sessions WHERE user_id = $1", user_id));
  return Ok();
}

Result<int64_t> SessionStore::DeleteEnded(db::Connection& c, Millis now) const {
  return c.Execute("DELETE FROM web_sessions WHERE expires_at <= $1 OR idle_until <= $1", now);
}

}  // namespace concord::communities::store
