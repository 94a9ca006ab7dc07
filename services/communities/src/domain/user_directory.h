#pragma once
// The user directory: users, sign-in verification, the first administrator and the system
// accounts, and the callbacks run when credentials change. The contracts are
// CommunitiesService's (include/concord/communities/service.h).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "concord/communities/model.h"
#include "concord/communities/service.h"
#include "domain/transactions.h"

namespace concord::communities::domain {

// Thread-safe once the callbacks are added (before serving requests).
class UserDirectory {
 public:
  explicit UserDirectory(Transactions& tx);

  Result<User> CreateUser(const Actor& actor, NewUser user);
  Result<Page<User>> ListUsers(const Actor& actor, std::string after, int limit);
  Result<User> GetUser(const Actor& actor, const std::string& ref);
  Result<User> SetUserDisabled(const Actor& actor, const UserId& id, bool disabled);
  Result<User> Verify(std::string_view login, std::string_view password);
  Result<bool> EnsureInitialAdmin(
      const std::function<Status(const std::string& password)>& persist);
  Status EnsureServiceAccount(const std::string& login,
                              const std::function<Status(const std::string& password)>& persist);
  Status RestoreServiceAccount(const std::string& login, const std::string& password);
  Result<bool> RetireServiceAccount(const std::string& login);
  Result<StartedSession> StartSession(const Actor& actor);
  Result<WebSession> FindSession(std::string_view token);
  Status EndSession(std::string_view token);

  void OnCredentialsChanged(std::function<void()> callback) {
    credentials_changed_.push_back(std::move(callback));
  }

 private:
  void CredentialsChanged() {
    for (const auto& changed : credentials_changed_) changed();
  }
  Status SetServiceAccount(const std::string& login, const std::string& password,
                           const std::function<Status(const std::string&)>& persist);

  Transactions& tx_;
  std::vector<std::function<void()>> credentials_changed_;
};

}  // namespace concord::communities::domain
