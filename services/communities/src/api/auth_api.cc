// Who is calling: the user directory as the HTTP edge's Authenticator (in Communities' process,
// and for applications in processes of their own, over HTTP), the web pages' sessions
// (POST, GET and DELETE /communities/api/session; docs/adr/0020-web-pages.md), and
// POST /api/admin/credentials/invalidate.
#include <fmt/format.h>

#include <atomic>

#include "concord/base/clock.h"
#include "concord/communities/service.h"
#include "concord/http/client.h"
#include "concord/http/server.h"

namespace concord::communities {
namespace {

using http::Request;
using http::Response;
using nlohmann::json;

constexpr std::string_view kCookie = "concord_session";

http::WebSession EdgeSession(const WebSession& s) {
  return http::WebSession{http::Principal{s.user.id, s.user.login, s.user.admin}, s.csrf_token,
                          s.expires_at};
}

class DirectoryAuthenticator final : public http::Authenticator {
 public:
  explicit DirectoryAuthenticator(CommunitiesService& svc) : svc_(svc) {}
  Result<http::Principal> Authenticate(std::string_view login, std::string_view password) override {
    CONCORD_ASSIGN_OR_RETURN(User u, svc_.Verify(login, password));
    return http::Principal{u.id, u.login, u.admin};
  }
  Result<http::WebSession> VerifySession(std::string_view token) override {
    CONCORD_ASSIGN_OR_RETURN(WebSession s, svc_.FindSession(token));
    return EdgeSession(s);
  }

 private:
  CommunitiesService& svc_;
};

class RemoteDirectory final : public http::Authenticator {
 public:
  explicit RemoteDirectory(std::vector<std::string> urls) : urls_(std::move(urls)) {}
  Result<http::Principal> Authenticate(std::string_view login, std::string_view password) override {
    return AuthenticateFrom(login, password, {});
  }
  // The client's address goes along as X-Forwarded-For: Communities believes it when this
  // host is among its trusted proxies, and then throttles failed sign-ins per client rather
  // than per application host (docs/security.md).
  Result<http::Principal> AuthenticateFrom(std::string_view login, std::string_view password,
                                           std::string_view client_address) override {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!client_address.empty()) headers.emplace_back("X-Forwarded-For", client_address);
    CONCORD_ASSIGN_OR_RETURN(http::ClientReply me, Ask(std::string(login), std::string(password),
                                                       "/communities/api/users/me", headers));
    return http::Principal{UserId(me.body.value("id", "")), me.body.value("login", ""),
                           me.body.value("admin", false)};
  }
  // A session cookie: Communities, which keeps the sessions, says whose it is.
  Result<http::WebSession> VerifySession(std::string_view token) override {
    CONCORD_ASSIGN_OR_RETURN(http::ClientReply s,
                             Ask("", "", "/communities/api/session",
                                 {{"Cookie", fmt::format("{}={}", kCookie, token)},
                                  {"X-Requested-With", "concord-web"}}));
    const json& user = s.body.contains("user") ? s.body["user"] : json::object();
    if (!user.is_object()) return Unavailable("the Communities directory answered no user");
    return http::WebSession{http::Principal{UserId(user.value("id", "")), user.value("login", ""),
                                            user.value("admin", false)},
                            s.body.value("csrfToken", ""), s.body.value("expiresMs", int64_t{0})};
  }

 private:
  // GET `path` on the Communities nodes in turn, starting with the last one that answered: a
  // node that cannot be reached, or answers 5xx, hands the question to the next.
  Result<http::ClientReply> Ask(const std::string& user, const std::string& password,
                                const std::string& path,
                                const std::vector<std::pair<std::string, std::string>>& headers) {
    size_t first = preferred_.load();
    std::string failures;
    for (size_t k = 0; k < urls_.size(); ++k) {
      size_t i = (first + k) % urls_.size();
      const std::string& url = urls_[i];
      http::Client client(
          {.url = url, .user = user, .password = password, .timeout = std::chrono::seconds(10)});
      auto reply = client.Send("GET", path, "", !user.empty(), headers);
      if (!reply || reply->status >= 500) {
        failures +=
            fmt::format("{}{}: {}", failures.empty() ? "" : "; ", url,
                        reply ? fmt::format("HTTP {}", reply->status) : reply.error().message);
        continue;
      }
      preferred_ = i;
      if (reply->status == 401) return Unauthenticated("invalid credentials");
      if (reply->status == 429) {
        return Unavailable("too many failed sign-ins for this login or address; try again later");
      }
      if (reply->status != 200 || !reply->body.is_object()) {
        return Unavailable(
            fmt::format("the Communities directory at {} answered {}", url, reply->status));
      }
      return std::move(*reply);
    }
    return Unavailable("the Communities directory cannot be reached: " + failures);
  }

  std::vector<std::string> urls_;
  std::atomic<size_t> preferred_{0};
};

json SessionJson(const WebSession& s) {
  return {{"user",
           {{"id", s.user.id.value()},
            {"login", s.user.login},
            {"displayName", s.user.display_name},
            {"admin", s.user.admin}}},
          {"csrfToken", s.csrf_token},
          {"expires", FormatTimestamp(s.expires_at)},
          {"expiresMs", s.expires_at}};
}

// The cookie: only this site's requests carry it (SameSite=Strict), no script reads it
// (HttpOnly), and only over TLS when the client came over TLS.
std::string SessionCookie(const Request& r, const std::string& token, int64_t max_age_seconds) {
  return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}", kCookie, token,
                     max_age_seconds, r.secure ? "; Secure" : "");
}

}  // namespace

std::shared_ptr<http::CachingAuthenticator> MakeRemoteAuthenticator(
    std::vector<std::string> communities_urls) {
  return std::make_shared<http::CachingAuthenticator>(
      std::make_shared<RemoteDirectory>(std::move(communities_urls)), kRemoteCredentialCacheTtl);
}

void MountCredentialsApi(http::Server& server,
                         const std::shared_ptr<http::CachingAuthenticator>& cache) {
  server.Post("/api/admin/credentials/invalidate", http::Access::kAdministrator,
              [cache](const http::Request&) -> Result<http::Response> {
                cache->Invalidate();
                return http::Response::NoContent();
              });
}

std::shared_ptr<http::CachingAuthenticator> MakeAuthenticator(CommunitiesService& svc) {
  auto cache = std::make_shared<http::CachingAuthenticator>(
      std::make_shared<DirectoryAuthenticator>(svc), std::chrono::seconds(60));
  std::weak_ptr<http::CachingAuthenticator> weak = cache;
  svc.OnCredentialsChanged([weak] {
    if (auto c = weak.lock()) c->Invalidate();
  });
  return cache;
}

void MountSessionApi(http::Server& server, CommunitiesService& svc) {
  const std::string path = "/communities/api/session";
  // Signing in: the caller proved who they are with HTTP Basic (through the sign-in throttle).
  server.Post(path, http::Access::kSignedIn, [&svc](const Request& r) -> Result<Response> {
    if (r.via_session) {
      return InvalidArgument("Authorization",
                             "sign in with the login and password (HTTP Basic): a session does "
                             "not make another");
    }
    if (!r.body.empty() && r.body != "{}") {
      return InvalidArgument("body",
                             "signing in takes no body: send the login and password "
                             "as HTTP Basic credentials");
    }
    CONCORD_ASSIGN_OR_RETURN(StartedSession s,
                             svc.StartSession(Actor{r.principal.id, r.principal.admin}));
    // The browser's previous session, if it sent one, ends: one cookie, one session.
    if (!r.session_token.empty()) CONCORD_RETURN_IF_ERROR(svc.EndSession(r.session_token));
    Response out = Response::Json(201, SessionJson(s.session));
    out.headers.emplace_back(
        "Set-Cookie", SessionCookie(r, s.token, (s.session.expires_at - NowMillis()) / 1000));
    out.headers.emplace_back("Cache-Control", "no-store");
    return out;
  });
  // Who the session is (and its CSRF token, which the pages send with every change).
  // Signed in with HTTP Basic instead: who the caller is, without a session.
  server.Get(path, http::Access::kSignedIn, [&svc](const Request& r) -> Result<Response> {
    WebSession s;
    if (r.session_token.empty()) {
      CONCORD_ASSIGN_OR_RETURN(s.user, svc.GetUser(Actor{r.principal.id, r.principal.admin}, "me"));
    } else {
      CONCORD_ASSIGN_OR_RETURN(s, svc.FindSession(r.session_token));
    }
    json body = SessionJson(s);
    if (r.session_token.empty()) body["csrfToken"] = body["expires"] = body["expiresMs"] = nullptr;
    Response out = Response::Json(200, body);
    out.headers.emplace_back("Cache-Control", "no-store");
    return out;
  });
  // Signing out: the session ends everywhere at once, and the cookie is cleared.
  server.Delete(path, http::Access::kSignedIn, [&svc](const Request& r) -> Result<Response> {
    if (!r.session_token.empty()) CONCORD_RETURN_IF_ERROR(svc.EndSession(r.session_token));
    Response out = Response::NoContent();
    out.headers.emplace_back("Set-Cookie", SessionCookie(r, "", 0));
    return out;
  });
}

}  // namespace concord::communities
