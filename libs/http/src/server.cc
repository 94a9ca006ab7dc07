#include "concord/http/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "concord/base/ids.h"

namespace concord::http {

std::optional<std::string> Request::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

Response Response::Json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::NoContent() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

int ErrorStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAborted: return 409;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kDeadlineExceeded: return 504;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

nlohmann::json ErrorJson(const Error& e) {
  nlohmann::json err = {{"code", ErrorCodeName(e.code)}, {"message", e.message}};
  if (!e.field.empty()) err["field"] = e.field;
  if (!e.accepted.empty()) err["accepted"] = e.accepted;
  return {{"error", err}};
}

struct Server::Impl {
  ServerOptions options;
  std::shared_ptr<Authenticator> authenticator;
  httplib::Server server;

  void Send(const Request* req, const httplib::Request& raw, httplib::Response& res,
            const Response& r, std::chrono::steady_clock::time_point start) {
    res.status = r.status;
    for (const auto& [k, v] : r.headers) res.set_header(k, v);
    if (r.stream) {
      res.set_chunked_content_provider(
          r.content_type, [stream = r.stream](size_t, httplib::DataSink& sink) {
            bool ok = stream([&](std::string_view chunk) {
              return sink.is_writable() && sink.write(chunk.data(), chunk.size());
            });
            if (ok) sink.done();
            return ok;
          });
    } else if (r.status != 204) {
      res.set_content(r.body, r.content_type);
    }
    auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count() /
              1000.0;
    // The target without its query string: queries may hold search terms, never credentials,
    // but keep the log line short and predictable.
    spdlog::info("{} {} {} {} {:.1f}ms user={}", raw.remote_addr, raw.method, raw.path, r.status,
                 ms, req && !req->principal.login.empty() ? req->principal.login : "-");
  }

  Response ErrorResponse(const Error& e) {
    Error shown = e;
    if (e.code == ErrorCode::kInternal) {
      std::string ref = NewUuid().substr(0, 8);
      spdlog::error("internal error (reference {}): {}", ref, e.message);
      shown.message = "internal error; the server log has the details (reference " + ref + ")";
      shown.field.clear();
      shown.accepted.clear();
    }
    Response r = Response::Json(ErrorStatus(e.code), ErrorJson(shown));
    if (e.code == ErrorCode::kUnauthenticated) {
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"" + options.realm + "\"");
    }
    return r;
  }

  Result<Principal> Authenticate(const httplib::Request& raw) {
    if (!raw.has_header("Authorization")) {
      return Unauthenticated("authentication required: use HTTP Basic");
    }
    CONCORD_ASSIGN_OR_RETURN(auto creds, ParseBasicAuth(raw.get_header_value("Authorization")));
    return authenticator->Authenticate(creds.first, creds.second);
  }

  httplib::Server::Handler Wrap(Handler handler) {
    return
        [this, handler = std::move(handler)](const httplib::Request& raw, httplib::Response& res) {
          auto start = std::chrono::steady_clock::now();
          Request req;
          auto principal = Authenticate(raw);
          if (!principal) {
            Send(nullptr, raw, res, ErrorResponse(principal.error()), start);
            return;
          }
          req.principal = std::move(*principal);
          req.method = raw.method;
          req.path = raw.path;
          for (size_t i = 1; i < raw.matches.size(); ++i) req.path_params.push_back(raw.matches[i]);
          for (const auto& [k, v] : raw.params) req.query.emplace(k, v);
          req.body = raw.body;
          req.client_address = raw.remote_addr;
          req.forwarded_for = raw.get_header_value("X-Forwarded-For");
          Response out;
          try {
            auto r = handler(req);
            out = r ? std::move(*r) : ErrorResponse(r.error());
          } catch (const std::exception& e) {
            out = ErrorResponse(Error{
                ErrorCode::kInternal, std::string("unhandled exception: ") + e.what(), {}, {}});
          } catch (...) {
            out = ErrorResponse(Error{ErrorCode::kInternal, "unhandled exception", {}, {}});
          }
          Send(&req, raw, res, out, start);
        };
  }
};

Server::Server(ServerOptions options, std::shared_ptr<Authenticator> authenticator)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->authenticator = std::move(authenticator);
  auto& s = impl_->server;
  // The library's defaults (Nagle on, 5 requests per connection) cost two orders of magnitude
  // in throughput: see shared/notes/measured-on-this-machine.md.
  s.set_tcp_nodelay(true);
  s.set_keep_alive_max_count(100000);
  // An idle keep-alive connection holds a worker in select() for this long, and a stopping
  // server waits for it: 2 s keeps shutdowns quick while bursts of calls share a connection.
  s.set_keep_alive_timeout(2);
  s.set_payload_max_length(impl_->options.max_body_bytes);
  s.set_read_timeout(impl_->options.read_timeout);
  if (impl_->options.admission) {
    s.set_pre_routing_handler([this](const httplib::Request& raw, httplib::Response& res) {
      auto start = std::chrono::steady_clock::now();
      auto refusal =
          impl_->options.admission(raw.remote_addr, raw.get_header_value("X-Forwarded-For"));
      if (!refusal) return httplib::Server::HandlerResponse::Unhandled;
      impl_->Send(nullptr, raw, res, *refusal, start);
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  int threads = impl_->options.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  // Requests that match no route: authenticate first, so that an anonymous client learns
  // nothing about which paths exist; then one JSON 404 (or the library's status, e.g. 413).
  // httplib calls this for every status >= 400, including replies our handlers already wrote.
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& raw,
             httplib::Response& res) -> httplib::Server::HandlerResponse {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        auto start = std::chrono::steady_clock::now();
        Response out;
        int status = res.status;
        auto principal = impl_->Authenticate(raw);
        if (!principal && status != 413 && status != 400) {
          out = impl_->ErrorResponse(principal.error());
        } else if (status == 413) {
          out = impl_->ErrorResponse(Error{ErrorCode::kInvalidArgument,
                                           "the request body is larger than the server accepts",
                                           "body",
                                           {}});
          out.status = 413;
        } else if (status == 404 || status == 405) {
          out = impl_->ErrorResponse(Error{
              ErrorCode::kNotFound, "no such resource: " + raw.method + " " + raw.path, {}, {}});
        } else {
          out = Response::Json(
              status,
              ErrorJson(Error{
                  ErrorCode::kInvalidArgument, "the request could not be processed", {}, {}}));
        }
        impl_->Send(nullptr, raw, res, out, start);
        return httplib::Server::HandlerResponse::Handled;
      }));
}

Server::~Server() { Stop(); }

void Server::Get(const std::string& p, Handler h) {
  impl_->server.Get(p, impl_->Wrap(std::move(h)));
}
void Server::Post(const std::string& p, Handler h) {
  impl_->server.Post(p, impl_->Wrap(std::move(h)));
}
void Server::Put(const std::string& p, Handler h) {
  impl_->server.Put(p, impl_->Wrap(std::move(h)));
}
void Server::Delete(const std::string& p, Handler h) {
  impl_->server.Delete(p, impl_->Wrap(std::move(h)));
}

Result<int> Server::Bind(const std::string& host, int port) {
  bool ok;
  int bound = port;
  if (port == 0) {
    bound = impl_->server.bind_to_any_port(host);
    ok = bound > 0;
  } else {
    ok = impl_->server.bind_to_port(host, port);
  }
  if (!ok) {
    return Unavailable("cannot listen on " + host + ":" + std::to_string(port) +
                       " (in use, or not an address of this machine)");
  }
  return bound;
}

bool Server::Run() { return impl_->server.listen_after_bind(); }

void Server::Stop() {
  if (impl_->server.is_running()) impl_->server.stop();
}

}  // namespace concord::http
