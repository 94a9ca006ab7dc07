#pragma once
// Who is calling, and how a service finds out.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "concord/base/clock.h"
#include "concord/base/error.h"
#include "concord/base/ids.h"
#include "concord/base/principal.h"

namespace concord::http {

using Principal = concord::Principal;  // libs/base: domain code names it without HTTP

// A web page's session (docs/adr/0020-web-pages.md): whose it is, the token every change made
// with it must carry, and when it ends at the latest.
struct WebSession {
  Principal principal;
  std::string csrf_token;
  Millis expires_at = 0;
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
  // The same for a sign-in from `client_address` (the client the server judged the request by,
  // behind trusted proxies): an implementation that asks another service passes it on, so that
  // the other service throttles that client rather than this host. Default: Authenticate.
  [[nodiscard]] virtual Result<Principal> AuthenticateFrom(std::string_view login,
                                                           std::string_view password,
                                                           std::string_view /*client_address*/) {
    return Authenticate(login, password);
  }
  // The answer when it is known without the slow check (a recent verification of the same
  // credentials), else nullopt. Cheap: the server asks it on its I/O thread. Default: nullopt.
  virtual std::optional<Principal> Cached(std::string_view /*login*/,
                                          std::string_view /*password*/) {
    return std::nullopt;
  }
  // The session a cookie's token names: kUnauthenticated when there is none (unknown, ended,
  // or its user disabled). Default: no sessions.
  [[nodiscard]] virtual Result<WebSession> VerifySession(std::string_view /*token*/) {
    return Unauthenticated("this process keeps no sessions: sign in with HTTP Basic");
  }
  // The same when known without asking (a recent verification). Cheap. Default: nullopt.
  virtual std::optional<WebSession> CachedSession(std::string_view /*token*/) {
    return std::nullopt;
  }
};

// Remembers successful verifications for `ttl`, so that HTTP Basic on every request does not
// pay for an Argon2id verification (about 170 ms) each time. Entries are keyed by a
// process-keyed digest of the credentials; the credentials themselves are never kept.
// Thread-safe.
class CachingAuthenticator final : public Authenticator {
 public:
  CachingAuthenticator(std::shared_ptr<Authenticator> inner, std::chrono::seconds ttl);
  Result<Principal> Authenticate(std::string_view login, std::string_view password) override;
  Result<Principal> AuthenticateFrom(std::string_view login, std::string_view password,
                                     std::string_view client_address) override;
  std::optional<Principal> Cached(std::string_view login, std::string_view password) override;
  Result<WebSession> VerifySession(std::string_view token) override;
  std::optional<WebSession> CachedSession(std::string_view token) override;
  // Forgets every cached verification, sessions included (call when a user is disabled or
  // changes password, or a session ends).
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
  struct SessionEntry {
    WebSession session;
    std::chrono::steady_clock::time_point expires;
  };
  std::unordered_map<std::string, SessionEntry> sessions_;
  uint64_t generation_ = 0;
};

// Failed sign-ins: each failure, counted per login and per client address, holds back its 401
// a little longer (first_delay, doubling up to max_delay); after `free_failures` of them, that
// login or address is refused with 429 and Retry-After (first_lockout, doubling up to
// max_lockout) without its password being checked. Failures are forgotten `forget_after` the
// last one; a success clears the login's count (never the address's).
struct SignInThrottleOptions {
  int free_failures = 5;
  std::chrono::milliseconds first_delay{100};
  std::chrono::milliseconds max_delay{1600};
  std::chrono::seconds first_lockout{2};
  std::chrono::seconds max_lockout{900};
  std::chrono::seconds forget_after{900};
  size_t max_tracked = 100000;  // logins and addresses remembered at once
};

class SignInThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit SignInThrottle(SignInThrottleOptions options) : options_(options) {}

  // Before a password is checked: how long `login` or `address` is still locked out, if it is.
  std::optional<std::chrono::seconds> LockedOut(std::string_view login, std::string_view address,
                                                Clock::time_point now);
  struct Verdict {
    std::chrono::milliseconds delay{0};           // hold the 401 back this long
    std::optional<std::chrono::seconds> lockout;  // or answer 429 with this Retry-After
  };
  // After a failed check: what to answer.
  Verdict Failed(std::string_view login, std::string_view address, Clock::time_point now);
  // After a successful check: the login's failures are forgotten.
  void Succeeded(std::string_view login);
  // How many logins and addresses are remembered (for tests and status).
  size_t Tracked() const;

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point last_failure;
    Clock::time_point locked_until;
  };
  Entry* Find(const std::string& key, Clock::time_point now);
  void Prune(Clock::time_point now);

  SignInThrottleOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

// Parses an "Authorization: Basic ..." header value into login and password.
[[nodiscard]] Result<std::pair<std::string, std::string>> ParseBasicAuth(std::string_view header);

}  // namespace concord::http
