#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "concord/base/log.h"
#include "server_impl.h"

namespace concord::http {

namespace {

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of cookie `name` in a Cookie header ("a=1; concord_session=x"), or ""; `count`
// receives how many times it is there.
std::string CookieValue(std::string_view header, std::string_view name, int* count) {
  std::string value;
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = Trimmed(header.substr(0, end));
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      if ((*count)++ == 0) value = std::string(pair.substr(name.size() + 1, 256));
    }
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return value;
}

// Whether `token` could be a session's at all (43 letters and digits, as sessions are made):
// anything else is refused without asking anyone.
bool SessionShaped(std::string_view token) {
  return token.size() == 43 && std::all_of(token.begin(), token.end(), [](char ch) {
           return std::isalnum(static_cast<unsigned char>(ch)) != 0;
         });
}

// The throttle's name for failed session lookups (not a login anyone can have).
constexpr std::string_view kSessionGuess = "(session)";

// Equal secrets, compared in constant time.
bool SameSecret(const std::string& given, const std::string& expected) {
  return !expected.empty() && given.size() == expected.size() &&
         sodium_memcmp(given.data(), expected.data(), given.size()) == 0;
}

bool IsLoopback(const std::string& address) {
  boost::system::error_code ec;
  auto a = net::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

}  // namespace

Server::Impl::Session::Session(std::shared_ptr<Impl> server, uint64_t id, tcp::socket socket,
                               std::string peer, bool counted)
    : server_(std::move(server)),
      id_(id),
      socket_(std::move(socket)),
      deadline_(server_->io),
      delay_(server_->io),
      peer_(std::move(peer)),
      counted_(counted),
      // What the parser may hold that is not body: headers, or a chunk's size line,
      // extensions and the trailer (beyond: 431 or 400, never unbounded memory).
      buffer_(server_->options.max_header_bytes + kPieceBytes) {}

Server::Impl::Session::~Session() {
  try {
    net::post(server_->io, [server = server_, id = id_, peer = std::move(peer_), counted = counted_,
                            streaming = streaming_] {
      if (streaming) --server->streamed_bodies;
      server->Release(id, peer, counted);
    });
  } catch (const std::exception&) {
    // Out of memory posting the release: the connection's slot stays counted.
    std::fputs("concord: could not release a connection's slot (out of memory)\n", stderr);
  }
}

void Server::Impl::Session::Start() { WaitForRequest(); }

void Server::Impl::Session::CloseIfIdle() {
  if (!in_handler_) Close();
}

void Server::Impl::Session::Close() {
  closed_ = true;
  beast::error_code ec;
  CancelDeadline();
  delay_.cancel();
  (void)socket_.shutdown(tcp::socket::shutdown_both, ec);
  (void)socket_.close(ec);
}

void Server::Impl::Session::SetDeadline(Clock::time_point when, bool reading_request) {
  deadline_.expires_at(when);
  // A deadline that passed just as it was replaced or cancelled must not count.
  uint64_t generation = ++deadline_generation_;
  deadline_.async_wait(
      [self = shared_from_this(), reading_request, generation](beast::error_code ec) {
        if (ec == net::error::operation_aborted || generation != self->deadline_generation_) return;
        self->timed_out_ = true;
        beast::error_code ignored;
        if (reading_request) {
          (void)self->socket_.cancel(ignored);
        } else {
          (void)self->socket_.close(ignored);
        }
      });
}

void Server::Impl::Session::CancelDeadline() {
  ++deadline_generation_;
  deadline_.cancel();
}

void Server::Impl::Session::WaitForRequest() {
  if (closed_ || server_->stopping) return Close();
  parser_.emplace();
  request_ = Request{};  // a refusal's log line must not name the previous request
  client_ = peer_;
  login_.clear();
  csrf_token_.clear();
  page_client_ = false;
  route_ = nullptr;  // the metrics name the route of this request, not the last one's
  parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_bytes));
  // The largest any route takes; the route's own limit is applied once it is known.
  parser_->body_limit(std::max(server_->options.max_body_bytes, server_->largest_body));
  timed_out_ = false;
  if (buffer_.size() > 0) return ReadHeader();
  // Idle: nothing is held but the socket, until the first byte or the idle deadline.
  SetDeadline(Clock::now() + server_->options.idle_timeout);
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
    if (ec || self->timed_out_) return self->Close();
    self->ReadHeader();
  });
}

void Server::Impl::Session::ReadHeader() {
  started_ = Clock::now();
  SetDeadline(started_ + server_->options.header_timeout, /*reading_request=*/true);
  bhttp::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

void Server::Impl::Session::OnHeader(beast::error_code ec) {
  if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::connection_reset) {
    return Close();
  }
  if (timed_out_) {
    return Finish(
        Refusal(408, ErrorCode::kDeadlineExceeded, "the request's headers did not arrive in time"),
        /*keep_alive=*/false);
  }
  if (ec == bhttp::error::header_limit) {
    return Finish(Refusal(431, ErrorCode::kInvalidArgument,
                          "the request's headers are larger than the server accepts", std::nullopt,
                          "headers"),
                  false);
  }
  if (ec == bhttp::error::body_limit) {
    return Finish(BodyTooLarge(), false);
  }
  if (ec) {
    return Finish(Refusal(400, ErrorCode::kInvalidArgument, "the request could not be parsed"),
                  false);
  }
  const auto& head = parser_->get();
  int count = 0;
  for (auto it = head.begin(); it != head.end(); ++it) ++count;
  if (count > server_->options.max_header_count) {
    return Finish(Refusal(431, ErrorCode::kInvalidArgument,
                          "the request has more header fields than the server accepts",
                          std::nullopt, "headers"),
                  false);
  }
  // Only the chunked coding is taken: another (gzip, chunked) would be stored undecoded.
  if (auto te = head[bhttp::field::transfer_encoding];
      !te.empty() && !beast::iequals(Trimmed(te), "chunked")) {
    return Finish(
        Refusal(501, ErrorCode::kInvalidArgument, "only the chunked transfer coding is accepted",
                std::nullopt, "Transfer-Encoding"),
        false);
  }
  has_body_ = parser_->chunked() || (parser_->content_length() && *parser_->content_length() > 0);
  request_.method = std::string(head.method_string());
  ParseTarget(head.target(), request_.path, request_.query);
  request_.client_address = peer_;
  std::string forwarded;
  for (auto [it, end] = head.equal_range("X-Forwarded-For"); it != end; ++it) {
    if (!forwarded.empty()) forwarded += ", ";
    forwarded.append(it->value());
  }
  request_.forwarded_for = forwarded;
  int cookies = 0;
  request_.session_token = CookieValue(head[bhttp::field::cookie], kSessionCookie, &cookies);
  csrf_token_ = std::string(head["X-CSRF-Token"]);
  // The pages (and anything holding the cookie, and a browser opening an address) never get a
  // Basic challenge: a browser would answer it with its own password prompt, and then send
  // that password along by itself.
  page_client_ = !head["X-Requested-With"].empty() || !request_.session_token.empty() ||
                 beast::iequals(Trimmed(head["Sec-Fetch-Mode"]), "navigate");
  client_ =
      server_->options.client_address ? server_->options.client_address(peer_, forwarded) : peer_;
  bool trusted = server_->options.trusted_proxy && server_->options.trusted_proxy(peer_);
  request_.secure = trusted && beast::iequals(Trimmed(head["X-Forwarded-Proto"]), "https");
  if (!forwarded.empty() && !trusted && IsLoopback(peer_)) {
    server_->NoteForwardedFrom(peer_);
  }
  if (server_->options.admission) {
    if (auto refusal = server_->options.admission(peer_, forwarded)) {
      return Finish(std::move(*refusal), !has_body_);
    }
  }
  // Two session cookies (one planted by a sibling site with a narrower path): neither is used.
  if (cookies > 1) {
    return Finish(Refusal(400, ErrorCode::kInvalidArgument,
                          "the request carries the session cookie twice: sign in again",
                          std::nullopt, "Cookie"),
                  !has_body_);
  }
  // A change a page of another site makes the browser send is refused, however it would be
  // signed in (a browser may add remembered Basic credentials by itself).
  bool reads = request_.method == "GET" || request_.method == "HEAD";
  if (!reads && beast::iequals(Trimmed(head["Sec-Fetch-Site"]), "cross-site")) {
    return Finish(
        Refusal(403, ErrorCode::kPermissionDenied, "a change sent from another site is refused",
                std::nullopt, "Sec-Fetch-Site"),
        !has_body_);
  }
  Authenticate(std::string(head[bhttp::field::authorization]));
}

void Server::Impl::Session::Authenticate(const std::string& header) {
  if (header.empty()) {
    // The pages' own files: "/" and "/ui/..." only (no routing of other anonymous requests).
    if (request_.path == "/" || request_.path.starts_with("/ui/")) {
      std::vector<std::string> unused;
      const Route* route = server_->Match(request_.method, request_.path, unused);
      if (route && route->access == Access::kPublic) {
        if (has_body_) {
          return Finish(Refusal(400, ErrorCode::kInvalidArgument, "the pages take no body",
                                std::nullopt, "body"),
                        false);
        }
        return Authenticated(Principal{});
      }
    }
    if (!request_.session_token.empty()) return AuthenticateSession();
    return Finish(
        server_->ErrorResponse(Unauthenticated("authentication required: use HTTP Basic").error()),
        !has_body_);
  }
  if (header.starts_with("Bearer ")) {
    // Only the metrics scraper signs in with a token, and only for the metrics.
    std::vector<std::string> unused;
    const Route* route = server_->Match(request_.method, request_.path, unused);
    if (route && route->access == Access::kMetrics &&
        SameSecret(std::string(Trimmed(std::string_view(header).substr(7))),
                   server_->options.scrape_token)) {
      return Authenticated(Principal{UserId(), std::string(kScraperLogin), false});
    }
    return Finish(server_->ErrorResponse(Unauthenticated("wrong scrape token").error()),
                  !has_body_);
  }
  auto creds = ParseBasicAuth(header);
  if (!creds) return Finish(server_->ErrorResponse(creds.error()), !has_body_);
  login_ = creds->first;
  if (auto cached = server_->authenticator->Cached(creds->first, creds->second)) {
    return Authenticated(std::move(*cached));
  }
  if (auto wait = server_->throttle.LockedOut(login_, client_, Clock::now())) {
    LogEvent(spdlog::level::warn, "sign-in refused: too many failures",
             {{"login", std::string_view(login_)},
              {"address", std::string_view(client_)},
              {"retry_after_s", static_cast<int64_t>(wait->count())}});
    return Finish(TooManyFailures(*wait), !has_body_);
  }
  auto self = shared_from_this();
  auto server = server_;
  bool queued = server_->verifiers->Submit(
      [self, server, creds = std::move(*creds), client = client_] {
        auto principal = server->authenticator->AuthenticateFrom(creds.first, creds.second, client);
        net::post(server->io, [self, principal = std::move(principal)]() mutable {
          self->Verified(std::move(principal));
        });
      },
      static_cast<size_t>(server_->options.max_queued_verifications));
  if (!queued) {
    Finish(Refusal(503, ErrorCode::kUnavailable,
                   "too many sign-ins are being checked; try again in a moment",
                   std::chrono::seconds(1)),
           !has_body_);
  }
}

void Server::Impl::Session::AuthenticateSession() {
  if (auto cached = server_->authenticator->CachedSession(request_.session_token)) {
    return SessionVerified(std::move(*cached));
  }
  // Guessing sessions is throttled per address like guessing passwords, and a token no session
  // could have costs no lookup.
  // Counted per address only: a shared name would let one guesser lock everybody out.
  login_ = std::string(kSessionGuess) + " " + client_;
  if (auto wait = server_->throttle.LockedOut(login_, client_, Clock::now())) {
    return Finish(TooManyFailures(*wait), !has_body_);
  }
  if (!SessionShaped(request_.session_token)) {
    return SessionVerified(Unauthenticated("the session has ended: sign in again"));
  }
  auto self = shared_from_this();
  auto server = server_;
  bool queued = server_->verifiers->Submit(
      [self, server, token = request_.session_token] {
        auto session = server->authenticator->VerifySession(token);
        net::post(server->io, [self, session = std::move(session)]() mutable {
          self->SessionVerified(std::move(session));
        });
      },
      static_cast<size_t>(server_->options.max_queued_verifications));
  if (!queued) {
    Finish(Refusal(503, ErrorCode::kUnavailable,
                   "too many sign-ins are being checked; try again in a moment",
                   std::chrono::seconds(1)),
           !has_body_);
  }
}

void Server::Impl::Session::SessionVerified(Result<WebSession> session) {
  if (closed_) return;
  if (!session && session.error().code == ErrorCode::kUnauthenticated) {
    auto verdict = server_->throttle.Failed(login_, client_, Clock::now());
    if (verdict.lockout) return Finish(TooManyFailures(*verdict.lockout), !has_body_);
  }
  if (!session) return Finish(server_->ErrorResponse(session.error()), !has_body_);
  request_.via_session = true;
  // A change made with the cookie must show the session's CSRF token, which only this site's
  // pages can read: a page elsewhere can make the browser send the cookie, not the token.
  bool reads = request_.method == "GET" || request_.method == "HEAD";
  if (!reads && !SameSecret(csrf_token_, session->csrf_token)) {
    LogEvent(spdlog::level::warn, "change refused: no CSRF token",
             {{"login", std::string_view(session->principal.login)},
              {"address", std::string_view(client_)},
              {"path", std::string_view(request_.path)}});
    return Finish(Refusal(403, ErrorCode::kPermissionDenied,
                          "this change needs the session's CSRF token in the X-CSRF-Token header "
                          "(the pages send it; reload the page)",
                          std::nullopt, "X-CSRF-Token"),
                  !has_body_);
  }
  Authenticated(std::move(session->principal));
}

Response Server::Impl::Session::TooManyFailures(std::chrono::seconds wait) const {
  return Refusal(429, ErrorCode::kUnavailable,
                 "too many failed sign-ins for this login or address; try again later", wait);
}

void Server::Impl::Session::Verified(Result<Principal> principal) {
  if (closed_) return;
  if (principal) {
    server_->throttle.Succeeded(login_);
    return Authenticated(std::move(*principal));
  }
  if (principal.error().code != ErrorCode::kUnauthenticated) {
    return Finish(server_->ErrorResponse(principal.error()), !has_body_);
  }
  server_->metrics.SignInFailed();
  auto verdict = server_->throttle.Failed(login_, client_, Clock::now());
  LogEvent(
      spdlog::level::warn, "sign-in failed",
      {{"login", std::string_view(login_)},
       {"address", std::string_view(client_)},
       {"locked_out_s", static_cast<int64_t>(verdict.lockout ? verdict.lockout->count() : 0)}});
  if (verdict.lockout) return Finish(TooManyFailures(*verdict.lockout), !has_body_);
  // The 401 waits on a timer of the I/O thread: a guesser holds nothing while it waits.
  delay_.expires_after(verdict.delay);
  delay_.async_wait([self = shared_from_this(), error = principal.error()](beast::error_code ec) {
    if (ec || self->closed_) return;
    self->Finish(self->server_->ErrorResponse(error), !self->has_body_);
  });
}

void Server::Impl::Session::Authenticated(Principal principal) {
  request_.principal = std::move(principal);
  route_ = nullptr;
  routed_ = false;
  if (!has_body_) return Dispatch();
  // A body is read only for an authenticated caller, and only up to what its route takes.
  route_ = server_->Match(request_.method, request_.path, request_.path_params);
  routed_ = true;
  if (auto refusal = Impl::Refuse(route_, request_)) {
    return Finish(server_->ErrorResponse(*refusal), false);
  }
  size_t limit =
      route_->streamed ? server_->options.max_streamed_body_bytes : server_->options.max_body_bytes;
  if (auto length = parser_->content_length(); length && *length > limit) {
    return Finish(BodyTooLarge(), false);
  }
  parser_->body_limit(limit);  // a chunked body counts down from here
  if (route_->streamed) return BeginStreamed();
  // The whole body, within the whole request's deadline.
  SetDeadline(started_ + server_->options.request_timeout, /*reading_request=*/true);
  ContinueThen([self = shared_from_this()] {
    bhttp::async_read(self->socket_, self->buffer_, *self->parser_,
                      [self](beast::error_code ec, size_t) { self->OnBody(ec); });
  });
}

void Server::Impl::Session::ContinueThen(const std::function<void()>& read) {
  const auto& head = parser_->get();
  if (!beast::iequals(head[bhttp::field::expect], "100-continue")) return read();
  auto cont = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
  net::async_write(socket_, net::buffer(*cont),
                   [self = shared_from_this(), cont, read](beast::error_code ec, size_t) {
                     if (ec) return self->Close();
                     read();
                   });
}

void Server::Impl::Session::OnBody(beast::error_code ec) {
  if (timed_out_) {
    return Finish(
        Refusal(408, ErrorCode::kDeadlineExceeded, "the request body did not arrive in time"),
        false);
  }
  if (ec == bhttp::error::body_limit) {
    return Finish(BodyTooLarge(), false);
  }
  if (ec == net::error::eof || ec == net::error::connection_reset ||
      ec == bhttp::error::partial_message) {
    Log(kClientClosed);
    return Close();
  }
  if (ec) return Finish(FramingRefusal(ec), false);
  request_.body = std::move(parser_->get().body());
  Dispatch();
}

void Server::Impl::Session::Dispatch() {
  CancelDeadline();
  in_handler_ = true;
  ++server_->in_handlers;
  keep_alive_ = parser_->get().keep_alive();
  head_only_ = parser_->get().method() == bhttp::verb::head;
  http11_ = parser_->get().version() >= 11;
  auto self = shared_from_this();
  server_->workers->Submit([self] {
    Response out = self->server_->Handle(self->request_, self->route_, self->routed_);
    if (out.stream) return self->Stream(out);
    net::post(self->server_->io, [self, out = std::move(out)]() mutable {
      self->in_handler_ = false;
      self->server_->HandlerFinished();
      self->Finish(std::move(out), self->keep_alive_);
    });
  });
}

}  // namespace concord::http
