#include "concord/http/server.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "concord/base/ids.h"
#include "concord/base/log.h"
#include "server_impl.h"

namespace concord::http {

namespace {

std::string AddressText(const tcp::endpoint& endpoint) {
  auto a = endpoint.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

}  // namespace

Server::Impl::Impl(ServerOptions o, std::shared_ptr<Authenticator> a)
    : options(std::move(o)), authenticator(std::move(a)), throttle(options.sign_in) {
  // Each connection is a file descriptor: use what the system allows, and keep some for
  // databases and files.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    if (limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      setrlimit(RLIMIT_NOFILE, &limit);
      getrlimit(RLIMIT_NOFILE, &limit);
    }
    // Each upload holds a file besides its socket: room for them too.
    auto usable = static_cast<int64_t>(limit.rlim_cur) - 256 - options.max_streamed_bodies;
    if (usable < options.max_connections) {
      options.max_connections = static_cast<int>(std::max<int64_t>(usable, 16));
    }
  }
  workers = std::make_unique<TaskPool>(std::max(1, options.threads));
  verifiers = std::make_unique<TaskPool>(std::max(1, options.max_concurrent_verifications));
}

Response Server::Impl::ErrorResponse(const Error& e) const {
  Error shown = e;
  if (e.code == ErrorCode::kInternal) {
    std::string ref = NewUuid().substr(0, 8);
    LogEvent(spdlog::level::err, "internal error",
             {{"reference", std::string_view(ref)}, {"detail", std::string_view(e.message)}});
    shown.message = "internal error; the server log has the details (reference " + ref + ")";
    shown.field.clear();
    shown.accepted.clear();
  } else if (e.code == ErrorCode::kUnavailable && e.field == "database") {
    // A database server that went away: its address and libpq's words are for the log, not
    // for every client.
    std::string ref = NewUuid().substr(0, 8);
    LogEvent(spdlog::level::warn, "database unavailable",
             {{"reference", std::string_view(ref)}, {"detail", std::string_view(e.message)}});
    shown.message = "the database is unavailable; try again shortly (reference " + ref + ")";
  }
  Response r = Response::Json(ErrorStatus(e.code), ErrorJson(shown));
  if (e.code == ErrorCode::kUnauthenticated) {
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"" + options.realm + "\"");
  }
  if (e.code == ErrorCode::kUnavailable && e.field == "database") {
    r.headers.emplace_back("Retry-After", "5");
  }
  return r;
}

Response Server::Impl::Refusal(int status, ErrorCode code, std::string message,
                               std::optional<std::chrono::seconds> retry_after, std::string field) {
  Response r =
      Response::Json(status, ErrorJson(Error{code, std::move(message), std::move(field), {}}));
  if (retry_after) r.headers.emplace_back("Retry-After", std::to_string(retry_after->count()));
  return r;
}

Response Server::Impl::FramingRefusal(beast::error_code ec) {
  if (ec == bhttp::error::buffer_overflow) {
    return Refusal(400, ErrorCode::kInvalidArgument,
                   "a chunk's extensions or the trailer are larger than the server accepts",
                   std::nullopt, "body");
  }
  return Refusal(400, ErrorCode::kInvalidArgument, "the request body could not be parsed",
                 std::nullopt, "body");
}

Response Server::Impl::BodyTooLarge() {
  return Refusal(413, ErrorCode::kInvalidArgument,
                 "the request body is larger than the server accepts", std::nullopt, "body");
}

const Route* Server::Impl::Match(const std::string& method, const std::string& path,
                                 std::vector<std::string>& params) const {
  const std::string& m = method == "HEAD" ? std::string("GET") : method;
  for (const auto& route : routes) {
    if (route.method != m) continue;
    std::smatch match;
    if (std::regex_match(path, match, route.pattern)) {
      for (size_t i = 1; i < match.size(); ++i) params.push_back(match[i]);
      return &route;
    }
  }
  return nullptr;
}

std::optional<Error> Server::Impl::Refuse(const Route* route, const Request& req) {
  if (!route) {
    return Error{ErrorCode::kNotFound, "no such resource: " + req.method + " " + req.path, {}, {}};
  }
  bool scraper = req.principal.login == kScraperLogin && req.principal.id.value().empty();
  if (route->access == Access::kMetrics && !req.principal.admin && !scraper) {
    return Error{ErrorCode::kPermissionDenied,
                 "only administrators and the metrics scraper may call " + req.path,
                 {},
                 {}};
  }
  if (route->access == Access::kAdministrator && !req.principal.admin) {
    return Error{ErrorCode::kPermissionDenied,
                 "only administrators may call " + req.method + " " + req.path,
                 {},
                 {}};
  }
  return std::nullopt;
}

Response Server::Impl::Handle(Request& req, const Route*& route, bool routed) const {
  if (!routed) route = Match(req.method, req.path, req.path_params);
  if (auto refusal = Refuse(route, req)) return ErrorResponse(*refusal);
  auto r = Guarded([&]() -> Result<Response> {
    if (!route->streamed) return route->handler(req);
    CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<BodySink> sink, route->streamed(req));
    return sink->Finish();
  });
  return r ? std::move(*r) : ErrorResponse(r.error());
}

void Server::Impl::NoteForwardedFrom(const std::string& remote) {
  std::lock_guard lock(warnings_mu);
  if (warnings.untrusted_local_proxy) return;
  warnings.untrusted_local_proxy = remote;
  LogEvent(spdlog::level::warn,
           "requests with X-Forwarded-For come from a local address that is not a trusted "
           "proxy: add the reverse proxy to [server] trusted_proxies in concord.toml, or every "
           "user looks like that address (which maintenance mode lets in)",
           {{"address", std::string_view(remote)}});
}

void Server::Impl::HandlerFinished() {
  --in_handlers;
  if (stopping && in_handlers == 0) guard.reset();
}

void Server::Impl::Release(uint64_t id, const std::string& peer, bool counted) {
  sessions.erase(id);
  if (counted) {
    if (auto it = per_client.find(peer); it != per_client.end() && --it->second <= 0) {
      per_client.erase(it);
    }
  }
}

void Server::Impl::StartAccept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (self->stopping || !self->acceptor.is_open()) return;
    if (ec) {
      // Out of file descriptors, most likely: wait a little rather than spin.
      LogEvent(spdlog::level::warn, "cannot accept a connection",
               {{"error", std::string_view(ec.message())}});
      self->accept_pause.expires_after(std::chrono::milliseconds(100));
      self->accept_pause.async_wait([self](beast::error_code) { self->StartAccept(); });
      return;
    }
    beast::error_code peer_ec;
    auto endpoint = socket.remote_endpoint(peer_ec);
    if (peer_ec) return self->StartAccept();
    std::string peer = AddressText(endpoint);
    (void)socket.set_option(tcp::no_delay(true), peer_ec);
    bool trusted = self->options.trusted_proxy && self->options.trusted_proxy(peer);
    std::string_view refusal;
    if (static_cast<int>(self->sessions.size()) >= self->options.max_connections) {
      refusal = "the server has as many connections as it accepts";
    } else if (!trusted && self->per_client[peer] >= self->options.max_connections_per_client) {
      refusal = "too many connections from this address";
    }
    if (!refusal.empty()) {
      if (self->per_client[peer] == 0) self->per_client.erase(peer);
      LogEvent(spdlog::level::warn, "connection refused",
               {{"client", std::string_view(peer)}, {"reason", refusal}});
      // A short answer, written without waiting: the socket is closed whatever happens.
      auto text = std::make_shared<std::string>(
          "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n"
          "Content-Length: 0\r\n\r\n");
      beast::error_code ignored;
      (void)socket.non_blocking(true, ignored);
      socket.write_some(net::buffer(*text), ignored);
      (void)socket.close(ignored);
      return self->StartAccept();
    }
    if (!trusted) ++self->per_client[peer];
    uint64_t id = ++self->next_session;
    auto session = std::make_shared<Session>(self, id, std::move(socket), peer, !trusted);
    self->sessions.emplace(id, session);
    session->Start();
    self->StartAccept();
  });
}

void Server::Impl::BeginShutdown() {
  stopping = true;
  beast::error_code ec;
  (void)acceptor.close(ec);
  accept_pause.cancel();
  std::vector<std::shared_ptr<Session>> open;
  for (auto& [ptr, weak] : sessions) {
    if (auto s = weak.lock()) open.push_back(std::move(s));
  }
  for (auto& s : open) s->CloseIfIdle();
  if (in_handlers == 0) guard.reset();
}

Server::Server(ServerOptions options, std::shared_ptr<Authenticator> authenticator)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(authenticator))) {
  Get("/api/admin/routes", Access::kAdministrator, [this](const Request&) -> Result<Response> {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : Routes()) {
      items.push_back(
          {{"method", r.method}, {"pattern", r.pattern}, {"access", AccessName(r.access)}});
    }
    return Response::Json(200, {{"items", items}});
  });
}

Server::~Server() {
  try {
    Stop();
    impl_->workers->Join();
    impl_->verifiers->Join();
    // Whatever the workers posted after the loop ended still holds sessions: let it run (they
    // are closed) so that nothing keeps the server alive.
    impl_->io.restart();
    impl_->io.poll();
  } catch (const std::exception& e) {
    spdlog::error("the HTTP server did not stop cleanly: {}", e.what());
  }
}

void Server::Get(const std::string& p, Access a, Handler h) {
  impl_->routes.push_back({"GET", p, std::regex(p), a, std::move(h)});
}
void Server::Post(const std::string& p, Access a, Handler h) {
  impl_->routes.push_back({"POST", p, std::regex(p), a, std::move(h)});
}
void Server::Put(const std::string& p, Access a, Handler h) {
  impl_->routes.push_back({"PUT", p, std::regex(p), a, std::move(h)});
}
void Server::Delete(const std::string& p, Access a, Handler h) {
  impl_->routes.push_back({"DELETE", p, std::regex(p), a, std::move(h)});
}
void Server::PostStreamed(const std::string& p, Access a, StreamedHandler h) {
  impl_->routes.push_back({"POST", p, std::regex(p), a, nullptr, std::move(h)});
  impl_->largest_body = std::max(impl_->largest_body, impl_->options.max_streamed_body_bytes);
}

std::vector<RouteInfo> Server::Routes() const {
  std::vector<RouteInfo> out;
  out.reserve(impl_->routes.size());
  for (const auto& r : impl_->routes) out.push_back({r.method, r.source, r.access});
  return out;
}

Result<int> Server::Bind(const std::string& host, int port) {
  auto fail = [&](const std::string& why) -> Result<int> {
    return Unavailable("cannot listen on " + host + ":" + std::to_string(port) + " (" + why + ")");
  };
  beast::error_code ec;
  tcp::resolver resolver(impl_->io);
  auto found = resolver.resolve(host, std::to_string(port),
                                tcp::resolver::numeric_service | tcp::resolver::passive, ec);
  if (ec || found.empty()) return fail("not an address of this machine");
  tcp::endpoint endpoint = *found.begin();
  auto& a = impl_->acceptor;
  (void)a.open(endpoint.protocol(), ec);
  if (!ec) (void)a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) (void)a.bind(endpoint, ec);
  if (!ec) (void)a.listen(1024, ec);
  if (ec) {
    beast::error_code ignored;
    (void)a.close(ignored);
    return fail(ec == net::error::address_in_use ? "in use"
                                                 : "in use, or not an address of this machine");
  }
  return static_cast<int>(a.local_endpoint().port());
}

bool Server::Run() {
  if (!impl_->acceptor.is_open()) return false;
  impl_->guard.emplace(impl_->io.get_executor());
  impl_->StartAccept();
  bool ok = true;
  try {
    impl_->io.run();
  } catch (const std::exception& e) {
    LogEvent(spdlog::level::err, "the HTTP server's loop failed",
             {{"error", std::string_view(e.what())}});
    ok = false;
  }
  return ok;
}

void Server::Stop() {
  net::post(impl_->io, [impl = impl_] { impl->BeginShutdown(); });
}

Metrics& Server::metrics() { return impl_->metrics; }

ServerWarnings Server::Warnings() const {
  std::lock_guard lock(impl_->warnings_mu);
  return impl_->warnings;
}

}  // namespace concord::http
