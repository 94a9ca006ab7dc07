#include "concord/http/auth.h"

#include <sodium.h>

#include <algorithm>

#include "concord/base/secrets.h"

namespace concord::http {

CachingAuthenticator::CachingAuthenticator(std::shared_ptr<Authenticator> inner,
                                           std::chrono::seconds ttl)
    : inner_(std::move(inner)), ttl_(ttl) {}

namespace {

// Length-prefix the login so that ("a:b", "c") and ("a", "b:c") differ.
std::string CacheKey(std::string_view login, std::string_view password) {
  return ProcessKeyedDigest(std::to_string(login.size()) + ":" + std::string(login) +
                            std::string(password));
}

}  // namespace

std::optional<Principal> CachingAuthenticator::Cached(std::string_view login,
                                                      std::string_view password) {
  std::string key = CacheKey(login, password);
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto it = cache_.find(key);
  if (it == cache_.end() || it->second.expires <= now) return std::nullopt;
  return it->second.principal;
}

Result<Principal> CachingAuthenticator::Authenticate(std::string_view login,
                                                     std::string_view password) {
  return AuthenticateFrom(login, password, {});
}

Result<Principal> CachingAuthenticator::AuthenticateFrom(std::string_view login,
                                                         std::string_view password,
                                                         std::string_view client_address) {
  std::string key = CacheKey(login, password);
  auto now = std::chrono::steady_clock::now();
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) {
      if (it->second.expires > now) return it->second.principal;
      cache_.erase(it);
    }
    generation = generation_;
  }
  CONCORD_ASSIGN_OR_RETURN(Principal p, inner_->AuthenticateFrom(login, password, client_address));
  std::lock_guard lock(mu_);
  if (generation == generation_) {  // not invalidated while we were verifying
    if (cache_.size() > 10000) cache_.clear();
    cache_[key] = Entry{p, now + ttl_};
  }
  return p;
}

std::optional<WebSession> CachingAuthenticator::CachedSession(std::string_view token) {
  std::string key = ProcessKeyedDigest(token);
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end() || it->second.expires <= now) return std::nullopt;
  return it->second.session;
}

Result<WebSession> CachingAuthenticator::VerifySession(std::string_view token) {
  if (auto cached = CachedSession(token)) return *cached;
  std::string key = ProcessKeyedDigest(token);
  auto now = std::chrono::steady_clock::now();
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    generation = generation_;
  }
  CONCORD_ASSIGN_OR_RETURN(WebSession s, inner_->VerifySession(token));
  std::lock_guard lock(mu_);
  if (generation == generation_) {
    if (sessions_.size() > 10000) sessions_.clear();
    // Never past the session's own end.
    auto left = std::chrono::milliseconds(std::max<int64_t>(0, s.expires_at - NowMillis()));
    sessions_[key] =
        SessionEntry{s, now + std::min<std::chrono::steady_clock::duration>(ttl_, left)};
  }
  return s;
}

void CachingAuthenticator::Invalidate() {
  std::lock_guard lock(mu_);
  cache_.clear();
  sessions_.clear();
  ++generation_;
}

namespace {

// Keys are bounded: a hostile login of a megabyte is remembered by its first 128 bytes.
std::string ThrottleKey(char kind, std::string_view value) {
  return std::string(1, kind) + ":" + std::string(value.substr(0, 128));
}

}  // namespace

SignInThrottle::Entry* SignInThrottle::Find(const std::string& key, Clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (now - it->second.last_failure > options_.forget_after && it->second.locked_until <= now) {
    entries_.erase(it);
    return nullptr;
  }
  return &it->second;
}

std::optional<std::chrono::seconds> SignInThrottle::LockedOut(std::string_view login,
                                                              std::string_view address,
                                                              Clock::time_point now) {
  std::lock_guard lock(mu_);
  std::optional<std::chrono::seconds> longest;
  for (const auto& key : {ThrottleKey('l', login), ThrottleKey('a', address)}) {
    Entry* e = Find(key, now);
    if (!e || e->locked_until <= now) continue;
    auto left = std::chrono::ceil<std::chrono::seconds>(e->locked_until - now);
    if (!longest || left > *longest) longest = left;
  }
  return longest;
}

SignInThrottle::Verdict SignInThrottle::Failed(std::string_view login, std::string_view address,
                                               Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (entries_.size() >= options_.max_tracked) Prune(now);
  int failures = 0;
  Clock::time_point locked_until = now;
  for (const auto& key : {ThrottleKey('l', login), ThrottleKey('a', address)}) {
    Entry* e = Find(key, now);
    if (!e) e = &entries_[key];
    e->failures += 1;
    e->last_failure = now;
    failures = std::max(failures, e->failures);
  }
  Verdict v;
  int over = failures - options_.free_failures;
  if (over <= 0) {
    auto delay = options_.first_delay * (int64_t{1} << std::min(failures - 1, 20));
    v.delay = std::min<std::chrono::milliseconds>(delay, options_.max_delay);
    return v;
  }
  auto lockout = options_.first_lockout * (int64_t{1} << std::min(over - 1, 20));
  v.lockout = std::min<std::chrono::seconds>(lockout, options_.max_lockout);
  locked_until = now + *v.lockout;
  for (const auto& key : {ThrottleKey('l', login), ThrottleKey('a', address)}) {
    Entry& e = entries_[key];
    e.locked_until = std::max(e.locked_until, locked_until);
  }
  return v;
}

void SignInThrottle::Succeeded(std::string_view login) {
  std::lock_guard lock(mu_);
  entries_.erase(ThrottleKey('l', login));
}

size_t SignInThrottle::Tracked() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void SignInThrottle::Prune(Clock::time_point now) {
  std::erase_if(entries_, [&](const auto& kv) {
    return now - kv.second.last_failure > options_.forget_after && kv.second.locked_until <= now;
  });
  // Still full: a flood of distinct logins or addresses. Keep those locked out now; the rest
  // start again from zero, which costs an attacker more than it costs a user.
  if (entries_.size() >= options_.max_tracked) {
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.locked_until <= now; });
  }
}

Result<std::pair<std::string, std::string>> ParseBasicAuth(std::string_view header) {
  constexpr std::string_view kPrefix = "Basic ";
  if (header.size() <= kPrefix.size() ||
      !std::equal(kPrefix.begin(), kPrefix.end(), header.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return Unauthenticated("authentication required: use HTTP Basic");
  }
  std::string_view b64 = header.substr(kPrefix.size());
  std::string decoded(b64.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                        b64.data(), b64.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return Unauthenticated("malformed Basic credentials");
  }
  decoded.resize(len);
  auto colon = decoded.find(':');
  if (colon == std::string::npos) return Unauthenticated("malformed Basic credentials");
  return std::pair{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

}  // namespace concord::http
