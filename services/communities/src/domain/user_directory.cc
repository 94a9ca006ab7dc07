#include "domain/user_directory.h"

#include <fmt/format.h>

#include "concord/base/secrets.h"
#include "domain/access.h"
#include "domain/validation.h"
#include "store/community_store.h"

namespace concord::communities::domain {
namespace {
const store::UserStore kUsers;
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
