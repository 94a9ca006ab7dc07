#include "domain/user_directory.h"

#include <fmt/format.h>

#include "concord/base/secrets.h"
#include "domain/access.h"
#include "domain/validation.h"
#include "store/community_store.h"
#include "store/session_store.h"

namespace concord::communities::domain {
namespace {
const store::UserStore kUsers;
const store::SessionStore kSessions;
// A session's idle deadline is pushed back at most this often (a write), not at every request.
constexpr Millis kSessionTouchMillis = 5LL * 60 * 1000;
using db::Connection;
}  // namespace

UserDirectory::UserDirectory(Transactions& tx) : tx_(tx) {}

Result<User> UserDirectory::CreateUser(const Actor& actor, NewUser n) {
  if (!actor.admin) return PermissionDenied("only administrators can create users");
  CONCORD_ASSIGN_OR_RETURN(n.login, validation::Login(n.login));
  CONCORD_ASSIGN_OR_RETURN(n.email, validation::Email(n.email));
  CONCORD_ASSIGN_OR_RETURN(n.display_name, validation::Name(n.display_name, "displayName"));
  CONCORD_RETURN_IF_ERROR(validation::Password(n.password));
  CONCORD_ASSIGN_OR_RETURN(std::string hash, HashPassword(n.password));
  return tx_.Write([&](Connection& c) -> Result<User> {
    CONCORD_ASSIGN_OR_RETURN(auto by_login, kUsers.FindByLogin(c, n.login));
    if (by_login) {
      return std::unexpected(Error{
          ErrorCode::kAlreadyExists, fmt::format("the login '{}' is taken", n.login), "login", {}});
    }
    CONCORD_ASSIGN_OR_RETURN(auto by_email, kUsers.FindByEmail(c, n.email));
    if (by_email) {
      return std::unexpected(Error{
          ErrorCode::kAlreadyExists, fmt::format("the email '{}' is taken", n.email), "email", {}});
    }
    User u{UserId(NewUuid()), n.login, n.email, n.display_name, n.admin, false, NowMillis()};
    CONCORD_RETURN_IF_ERROR(kUsers.Insert(c, u, hash));
    return u;
  });
}

Result<Page<User>> UserDirectory::ListUsers(const Actor&, std::string after, int limit) {
  CONCORD_ASSIGN_OR_RETURN(limit, validation::Limit(limit));
  return tx_.Read([&](Connection& c) -> Result<Page<User>> {
    CONCORD_ASSIGN_OR_RETURN(auto rows, kUsers.List(c, after, limit + 1));
    return MakePage(std::move(rows), limit, [](const User& u) { return u.id.value(); });
  });
}

Result<User> UserDirectory::GetUser(const Actor& actor, const std::string& ref) {
  return tx_.Read([&](Connection& c) -> Result<User> {
    return ResolveUser(c, ref == "me" ? actor.id.value() : ref);
  });
}

Result<User> UserDirectory::SetUserDisabled(const Actor& actor, const UserId& id, bool disabled) {
  if (!actor.admin) return PermissionDenied("only administrators can disable or enable users");
  if (disabled && id == actor.id) {
    return FailedPrecondition("you cannot disable your own account");
  }
  auto r = tx_.Write([&](Connection& c) -> Result<User> {
    CONCORD_ASSIGN_OR_RETURN(User u, ResolveUser(c, id.value()));
    CONCORD_RETURN_IF_ERROR(kUsers.SetDisabled(c, u.id, disabled));
    if (disabled) CONCORD_RETURN_IF_ERROR(kSessions.DeleteForUser(c, u.id.value()));
    u.disabled = disabled;
    return u;
  });
  if (r) {
    for (const auto& changed : credentials_changed_) changed();
  }
  return r;
}

Result<User> UserDirectory::Verify(std::string_view login, std::string_view password) {
  // Verify against a dummy hash when the login is unknown, so that the answer takes as long
  // for a login that does not exist as for a wrong password.
  static const std::string kDummyHash = HashPassword("concord-dummy-password").value_or("");
  auto found = tx_.Read([&](Connection& c) { return kUsers.FindCredentials(c, login); });
  if (!found) return std::unexpected(found.error());
  const auto& hash = *found && (*found)->second ? *(*found)->second : kDummyHash;
  bool ok = VerifyPassword(password, hash);
  if (!ok || !*found || !(*found)->second || (*found)->first.disabled) {
    return Unauthenticated("invalid credentials");
  }
  return (*found)->first;
}

Result<StartedSession> UserDirectory::StartSession(const Actor& actor) {
  StartedSession out;
  out.token = RandomPassword(43);  // about 250 bits
  Millis now = NowMillis();
  store::SessionRow row{Sha256Hex(out.token),     actor.id.value(),
                        RandomPassword(32),       now,
                        now + kSessionIdleMillis, now + kSessionLifetimeMillis};
  CONCORD_ASSIGN_OR_RETURN(out.session.user, tx_.Write([&](Connection& c) -> Result<User> {
    CONCORD_RETURN_IF_ERROR(kSessions.DeleteEnded(c, now));
    CONCORD_ASSIGN_OR_RETURN(User u, ResolveUser(c, actor.id.value()));
    if (u.disabled) return Unauthenticated("invalid credentials");
    CONCORD_RETURN_IF_ERROR(kSessions.Insert(c, row));
    return u;
  }));
  out.session.csrf_token = row.csrf_token;
  out.session.expires_at = row.expires_at;
  return out;
}

Result<WebSession> UserDirectory::FindSession(std::string_view token) {
  if (token.empty() || token.size() > 256) return Unauthenticated("no such session");
  std::string hash = Sha256Hex(token);
  Millis now = NowMillis();
  CONCORD_ASSIGN_OR_RETURN(
      auto found,
      tx_.Read([&](Connection& c) -> Result<std::optional<std::pair<store::SessionRow, User>>> {
        CONCORD_ASSIGN_OR_RETURN(auto s, kSessions.Find(c, hash));
        if (!s) return std::optional<std::pair<store::SessionRow, User>>();
        CONCORD_ASSIGN_OR_RETURN(auto u, kUsers.FindById(c, UserId(s->user_id)));
        if (!u) return std::optional<std::pair<store::SessionRow, User>>();
        return std::make_optional(std::make_pair(*s, *u));
      }));
  if (!found || found->second.disabled || found->first.expires_at <= now ||
      found->first.idle_until <= now) {
    return Unauthenticated("the session has ended: sign in again");
  }
  if (found->first.idle_until - now < kSessionIdleMillis - kSessionTouchMillis) {
    CONCORD_RETURN_IF_ERROR(tx_.Write([&](Connection& c) -> Status {
      return kSessions.Touch(c, hash, std::min(now + kSessionIdleMillis, found->first.expires_at));
    }));
  }
  return WebSession{found->second, found->first.csrf_token, found->first.expires_at};
}

Status UserDirectory::EndSession(std::string_view token) {
  if (token.empty() || token.size() > 256) return Ok();
  std::string hash = Sha256Hex(token);
  CONCORD_RETURN_IF_ERROR(
      tx_.Write([&](Connection& c) -> Status { return kSessions.Delete(c, hash); }));
  CredentialsChanged();  // every cache that verified it forgets it
  return Ok();
}

Status UserDirectory::RestoreServiceAccount(const std::string& login, const std::string& password) {
  return SetServiceAccount(login, password, [](const std::string&) { return Ok(); });
}

Status UserDirectory::EnsureServiceAccount(
    const std::string& login, const std::function<Status(const std::string&)>& persist) {
  return SetServiceAccount(login, RandomPassword(32), persist);
}

Status UserDirectory::SetServiceAccount(const std::string& login, const std::string& password,
                                        const std::function<Status(const std::string&)>& persist) {
  CONCORD_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  auto r = tx_.Write([&](Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(auto existing, kUsers.FindByLogin(c, login));
    if (existing) {
      CONCORD_RETURN_IF_ERROR(kUsers.SetPassword(c, existing->id, hash));
    } else {
      User u{UserId(NewUuid()), login, login + "@localhost", "Concord system account", true, false,
             NowMillis()};
      CONCORD_RETURN_IF_ERROR(kUsers.Insert(c, u, hash));
    }
    return persist(password);
  });
  if (r) {
    for (const auto& changed : credentials_changed_) changed();
  }
  return r;
}

Result<bool> UserDirectory::RetireServiceAccount(const std::string& login) {
  CONCORD_ASSIGN_OR_RETURN(std::string hash, HashPassword(RandomPassword(32)));
  auto retired = tx_.Write([&](Connection& c) -> Result<bool> {
    CONCORD_ASSIGN_OR_RETURN(auto existing, kUsers.FindByLogin(c, login));
    if (!existing || existing->disabled) return false;
    CONCORD_RETURN_IF_ERROR(kUsers.SetPassword(c, existing->id, hash));
    CONCORD_RETURN_IF_ERROR(kUsers.SetDisabled(c, existing->id, true));
    return true;
  });
  if (retired && *retired) {
    for (const auto& changed : credentials_changed_) changed();
  }
  return retired;
}

Result<bool> UserDirectory::EnsureInitialAdmin(
    const std::function<Status(const std::string&)>& persist) {
  std::string password = RandomPassword(24);
  CONCORD_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  return tx_.Write([&](Connection& c) -> Result<bool> {
    CONCORD_ASSIGN_OR_RETURN(int64_t count, kUsers.Count(c));
    if (count > 0) return false;
    User u{UserId(NewUuid()), "admin", "admin@localhost", "Administrator", true, false,
           NowMillis()};
    CONCORD_RETURN_IF_ERROR(kUsers.Insert(c, u, hash));
    CONCORD_RETURN_IF_ERROR(persist(password));
    return true;
  });
}

}  // namespace concord::communities::domain
