#include "concord/http/auth.h"

#include <sodium.h>

#include "concord/base/secrets.h"

namespace concord::http {

CachingAuthenticator::CachingAuthenticator(std::shared_ptr<Authenticator> inner,
                                           std::chrono::seconds ttl)
    : inner_(std::move(inner)), ttl_(ttl) {}

Result<Principal> CachingAuthenticator::Authenticate(std::string_view login,
                                                     std::string_view password) {
  // Length-prefix the login so that ("a:b", "c") and ("a", "b:c") differ.
  std::string key = ProcessKeyedDigest(std::to_string(login.size()) + ":" + std::string(login) +
                                       std::string(password));
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
  CONCORD_ASSIGN_OR_RETURN(Principal p, inner_->Authenticate(login, password));
  std::lock_guard lock(mu_);
  if (generation == generation_) {  // not invalidated while we were verifying
    if (cache_.size() > 10000) cache_.clear();
    cache_[key] = Entry{p, now + ttl_};
  }
  return p;
}

void CachingAuthenticator::Invalidate() {
  std::lock_guard lock(mu_);
  cache_.clear();
  ++generation_;
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
