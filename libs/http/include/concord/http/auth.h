#pragma once
// Who is calling, and how a service finds out.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "concord/base/error.h"
#include "concord/base/ids.h"

namespace concord::http {

struct Principal {
  UserId id;
  std::string login;
  bool admin = false;
};

// Checks a login and password. Implemented by the Communities user directory in-process, and
// (for applications running in processes of their own) by a client of it.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // kUnauthenticated when the login is unknown, disabled or the password is wrong (one message
  // for all three, so that a caller cannot probe which logins exist).
  [[nodiscard]] virtual Result<Principal> Authenticate(std::string_view login,
                                                       std::string_view password) = 0;
};

// Remembers successful verifications for `ttl`, so that HTTP Basic on every request does not
// pay for an Argon2id verification (about 170 ms) each time. Entries are keyed by a
// process-keyed digest of the credentials; the credentials themselves are never kept.
// Thread-safe.
class CachingAuthenticator final : public Authenticator {
 public:
  CachingAuthenticator(std::shared_ptr<Authenticator> inner, std::chrono::seconds ttl);
  Result<Principal> Authenticate(std::string_view login, std::string_view password) override;
  // Forgets every cached verification (call when a user is disabled or changes password).
  void Invalidate();

 private:
  struct Entry {
    Principal principal;
    std::chrono::steady_clock::time_point expires;
  };
  std::shared_ptr<Authenticator> inner_;
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;
  uint64_t generation_ = 0;
};

// Parses an "Authorization: Basic ..." header value into login and password.
[[nodiscard]] Result<std::pair<std::string, std::string>> ParseBasicAuth(std::string_view header);

}  // namespace concord::http
