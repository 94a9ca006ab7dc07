#include "concord/http/server.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <regex>
#include <thread>
#include <unordered_map>

#include "concord/base/ids.h"
#include "concord/base/log.h"

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

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// A fixed set of threads taking tasks from one queue.
class TaskPool {
 public:
  explicit TaskPool(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~TaskPool() { Join(); }

  // Queues `task`, unless `max_waiting` tasks already wait (0: no bound). False if refused.
  bool Submit(std::function<void()> task, size_t max_waiting = 0) {
    {
      std::lock_guard lock(mu_);
      if (closed_ || (max_waiting > 0 && queue_.size() >= max_waiting)) return false;
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
  }

  // Runs what is queued, then ends the threads.
  void Join() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return closed_ || !queue_.empty(); });
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool closed_ = false;
  std::vector<std::thread> threads_;
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; `plus_is_space` for query strings. A malformed escape stays as it is.
std::string Decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += plus_is_space && s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

std::string AddressText(const tcp::endpoint& endpoint) {
  auto a = endpoint.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

std::string_view Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsLoopback(const std::string& address) {
  boost::system::error_code ec;
  auto a = net::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

}  // namespace

void ParseTarget(std::string_view target, std::string& path,
                 std::multimap<std::string, std::string>& query) {
  auto q = target.find('?');
  path = Decode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      query.emplace(Decode(pair.substr(0, eq), true), eq == std::string_view::npos
                                                          ? std::string()
                                                          : Decode(pair.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
}

namespace {

struct Route {
  std::string method;
  std::string source;  // the pattern as registered
  std::regex pattern;
  Access access;
  Handler handler;           // or, for a route whose body is taken as it arrives:
  StreamedHandler streamed;  // (PostStreamed)
};

// What a streamed body or a file is read in: 64 KiB at a time.
constexpr size_t kPieceBytes = 64 * 1024;
// The status logged for a request whose client went away before its answer (nginx's).
constexpr int kClientClosed = 499;

// A file sent as it is read, a piece at a time, by the I/O thread (Response::file): no worker
// waits for the client, and memory is one piece per download.
struct FileBody {
  struct value_type {
    std::shared_ptr<void> open;  // closes the file when the last copy goes
    int fd = -1;
    uint64_t size = 0;
  };
  static uint64_t size(const value_type& v) { return v.size; }
  class writer {
   public:
    using const_buffers_type = net::const_buffer;
    template <bool isRequest, class Fields>
    writer(const bhttp::header<isRequest, Fields>&, const value_type& v)
        : file_(v), piece_(kPieceBytes) {}
    void init(beast::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      if (sent_ >= file_.size) return boost::none;
      size_t want = static_cast<size_t>(std::min<uint64_t>(piece_.size(), file_.size - sent_));
      ssize_t n = ::pread(file_.fd, piece_.data(), want, static_cast<off_t>(sent_));
      if (n <= 0) {  // shorter than it was: the client sees the reply cut short
        ec = boost::system::errc::make_error_code(boost::system::errc::io_error);
        return boost::none;
      }
      sent_ += static_cast<uint64_t>(n);
      return std::make_pair(net::const_buffer(piece_.data(), static_cast<size_t>(n)),
                            sent_ < file_.size);
    }

   private:
    const value_type& file_;
    std::vector<char> piece_;
    uint64_t sent_ = 0;
  };
};

// A request body the session may take away between reads. Unlike Beast's string_body it reserves
// nothing from Content-Length, which for a streamed upload may be a gigabyte that is never held.
struct PieceBody {
  using value_type = std::string;
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(bhttp::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>&, beast::error_code& ec) { ec = {}; }
    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      size_t n = 0;
      for (auto b : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  class Session;

  ServerOptions options;
  std::shared_ptr<Authenticator> authenticator;
  SignInThrottle throttle;
  std::vector<Route> routes;
  size_t largest_body = 0;  // the largest body any route takes (streamed routes')

  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  net::steady_timer accept_pause{io};
  std::unique_ptr<TaskPool> workers;
  std::unique_ptr<TaskPool> verifiers;

  // I/O thread only.
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions;
  uint64_t next_session = 0;
  std::unordered_map<std::string, int> per_client;
  int in_handlers = 0;
  int streamed_bodies = 0;  // uploads being received
  bool stopping = false;

  mutable std::mutex warnings_mu;
  ServerWarnings warnings;

  Impl(ServerOptions o, std::shared_ptr<Authenticator> a)
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

  Response ErrorResponse(const Error& e) const {
    Error shown = e;
    if (e.code == ErrorCode::kInternal) {
      std::string ref = NewUuid().substr(0, 8);
      LogEvent(spdlog::level::err, "internal error",
               {{"reference", std::string_view(ref)}, {"detail", std::string_view(e.message)}});
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

  static Response Refusal(int status, ErrorCode code, std::string message,
                          std::optional<std::chrono::seconds> retry_after = std::nullopt,
                          std::string field = {}) {
    Response r =
        Response::Json(status, ErrorJson(Error{code, std::move(message), std::move(field), {}}));
    if (retry_after) r.headers.emplace_back("Retry-After", std::to_string(retry_after->count()));
    return r;
  }

  // A body whose framing is wrong, or whose chunk extensions or trailer outgrow the read buffer.
  static Response FramingRefusal(beast::error_code ec) {
    if (ec == bhttp::error::buffer_overflow) {
      return Refusal(400, ErrorCode::kInvalidArgument,
                     "a chunk's extensions or the trailer are larger than the server accepts",
                     std::nullopt, "body");
    }
    return Refusal(400, ErrorCode::kInvalidArgument, "the request body could not be parsed",
                   std::nullopt, "body");
  }

  // Refused from Content-Length before the body is read, or while it is read (chunked).
  static Response BodyTooLarge() {
    return Refusal(413, ErrorCode::kInvalidArgument,
                   "the request body is larger than the server accepts", std::nullopt, "body");
  }

  // Finds the handler for a request; nullptr when no route matches.
  const Route* Match(const std::string& method, const std::string& path,
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

  // Whether `route` (nullptr: none matched) may be called by this caller: the error to answer
  // instead, if not.
  static std::optional<Error> Refuse(const Route* route, const Request& req) {
    if (!route) {
      return Error{
          ErrorCode::kNotFound, "no such resource: " + req.method + " " + req.path, {}, {}};
    }
    if (route->access == Access::kAdministrator && !req.principal.admin) {
      return Error{ErrorCode::kPermissionDenied,
                   "only administrators may call " + req.method + " " + req.path,
                   {},
                   {}};
    }
    return std::nullopt;
  }

  // The one guard: runs `f` (returning Result<T>), turning errors and exceptions into an error.
  template <typename F>
  auto Guarded(F&& f) const -> decltype(f()) {
    try {
      return f();
    } catch (const std::exception& e) {
      return Internal(std::string("unhandled exception: ") + e.what());
    } catch (...) {
      return Internal("unhandled exception");
    }
  }

  // On a worker: the route's handler (found by the I/O thread for a request with a body,
  // here otherwise), inside the one guard. A streamed route without a body is an empty one.
  Response Handle(Request& req, const Route* route, bool routed) const {
    if (!routed) route = Match(req.method, req.path, req.path_params);
    if (auto refusal = Refuse(route, req)) return ErrorResponse(*refusal);
    auto r = Guarded([&]() -> Result<Response> {
      if (!route->streamed) return route->handler(req);
      CONCORD_ASSIGN_OR_RETURN(std::unique_ptr<BodySink> sink, route->streamed(req));
      return sink->Finish();
    });
    return r ? std::move(*r) : ErrorResponse(r.error());
  }

  void NoteForwardedFrom(const std::string& remote) {
    std::lock_guard lock(warnings_mu);
    if (warnings.untrusted_local_proxy) return;
    warnings.untrusted_local_proxy = remote;
    LogEvent(spdlog::level::warn,
             "requests with X-Forwarded-For come from a local address that is not a trusted "
             "proxy: add the reverse proxy to [server] trusted_proxies in concord.toml, or every "
             "user looks like that address (which maintenance mode lets in)",
             {{"address", std::string_view(remote)}});
  }

  void StartAccept();
  void BeginShutdown();
  void Release(uint64_t id, const std::string& peer, bool counted);
  void HandlerFinished() {
    --in_handlers;
    if (stopping && in_handlers == 0) guard.reset();
  }
};

// One connection, driven by the I/O thread. Every member is touched on that thread only,
// except where a worker waits for a write it asked for (WriteChunk).
class Server::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Impl> server, uint64_t id, tcp::socket socket, std::string peer,
          bool counted)
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

  // The last reference may be a worker's: the bookkeeping goes back to the I/O thread.
  ~Session() {
    net::post(server_->io, [server = server_, id = id_, peer = std::move(peer_), counted = counted_,
                            streaming = streaming_] {
      if (streaming) --server->streamed_bodies;
      server->Release(id, peer, counted);
    });
  }

  void Start() { WaitForRequest(); }

  // Closes the connection unless a handler is working on its request.
  void CloseIfIdle() {
    if (!in_handler_) Close();
  }

  void Close() {
    closed_ = true;
    beast::error_code ec;
    CancelDeadline();
    delay_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  // From a worker: writes one chunk of a streamed reply and waits for it (write_timeout at
  // most). False when the client has gone or stopped reading.
  bool WriteChunk(std::string data, bool last) {
    auto done = std::make_shared<std::promise<bool>>();
    auto result = done->get_future();
    net::post(server_->io, [self = shared_from_this(), data = std::move(data), last, done] {
      self->AsyncWriteChunk(std::move(data), last, done);
    });
    if (result.wait_for(server_->options.write_timeout + std::chrono::seconds(1)) !=
        std::future_status::ready) {
      net::post(server_->io, [self = shared_from_this()] { self->Close(); });
      return false;
    }
    return result.get();
  }

 private:
  // When the deadline passes, a request still arriving is cut short (its read ends, and the
  // client is told 408); anything else (an idle wait, a write) closes the connection.
  void SetDeadline(Clock::time_point when, bool reading_request = false) {
    deadline_.expires_at(when);
    // A deadline that passed just as it was replaced or cancelled must not count.
    uint64_t generation = ++deadline_generation_;
    deadline_.async_wait(
        [self = shared_from_this(), reading_request, generation](beast::error_code ec) {
          if (ec == net::error::operation_aborted || generation != self->deadline_generation_)
            return;
          self->timed_out_ = true;
          beast::error_code ignored;
          if (reading_request) {
            self->socket_.cancel(ignored);
          } else {
            self->socket_.close(ignored);
          }
        });
  }

  void CancelDeadline() {
    ++deadline_generation_;
    deadline_.cancel();
  }

  void WaitForRequest() {
    if (closed_ || server_->stopping) return Close();
    parser_.emplace();
    request_ = Request{};  // a refusal's log line must not name the previous request
    client_ = peer_;
    login_.clear();
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

  void ReadHeader() {
    started_ = Clock::now();
    SetDeadline(started_ + server_->options.header_timeout, /*reading_request=*/true);
    bhttp::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset) {
      return Close();
    }
    if (timed_out_) {
      return Finish(Refusal(408, ErrorCode::kDeadlineExceeded,
                            "the request's headers did not arrive in time"),
                    /*keep_alive=*/false);
    }
    if (ec == bhttp::error::header_limit) {
      return Finish(Refusal(431, ErrorCode::kInvalidArgument,
                            "the request's headers are larger than the server accepts",
                            std::nullopt, "headers"),
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
    client_ =
        server_->options.client_address ? server_->options.client_address(peer_, forwarded) : peer_;
    bool trusted = server_->options.trusted_proxy && server_->options.trusted_proxy(peer_);
    if (!forwarded.empty() && !trusted && IsLoopback(peer_)) {
      server_->NoteForwardedFrom(peer_);
    }
    if (server_->options.admission) {
      if (auto refusal = server_->options.admission(peer_, forwarded)) {
        return Finish(std::move(*refusal), !has_body_);
      }
    }
    Authenticate(std::string(head[bhttp::field::authorization]));
  }

  // Cached credentials are answered here; anything else waits for one of the few verifiers,
  // so that guessing never takes workers or memory from signed-in users.
  void Authenticate(const std::string& header) {
    if (header.empty()) {
      return Finish(server_->ErrorResponse(
                        Unauthenticated("authentication required: use HTTP Basic").error()),
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
          auto principal =
              server->authenticator->AuthenticateFrom(creds.first, creds.second, client);
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

  Response TooManyFailures(std::chrono::seconds wait) const {
    return Refusal(429, ErrorCode::kUnavailable,
                   "too many failed sign-ins for this login or address; try again later", wait);
  }

  void Verified(Result<Principal> principal) {
    if (closed_) return;
    if (principal) {
      server_->throttle.Succeeded(login_);
      return Authenticated(std::move(*principal));
    }
    if (principal.error().code != ErrorCode::kUnauthenticated) {
      return Finish(server_->ErrorResponse(principal.error()), !has_body_);
    }
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

  void Authenticated(Principal principal) {
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
    size_t limit = route_->streamed ? server_->options.max_streamed_body_bytes
                                    : server_->options.max_body_bytes;
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

  // Answers `Expect: 100-continue` if the client asked for it, then runs `read`.
  void ContinueThen(std::function<void()> read) {
    const auto& head = parser_->get();
    if (!beast::iequals(head[bhttp::field::expect], "100-continue")) return read();
    auto cont = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
    net::async_write(socket_, net::buffer(*cont),
                     [self = shared_from_this(), cont, read](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       read();
                     });
  }

  // A streamed route: its handler decides on a worker, before any of the body is read, whether
  // the body is wanted; then each piece goes to the sink as it arrives (ReadPiece).
  void BeginStreamed() {
    CancelDeadline();
    // Each streamed body holds a file of the handler's besides its socket: bounded, so that
    // uploads cannot take every file descriptor from other requests.
    if (server_->streamed_bodies >= server_->options.max_streamed_bodies) {
      LogEvent(spdlog::level::warn, "upload refused: too many uploads at once",
               {{"client", std::string_view(client_)}});
      return Finish(Refusal(503, ErrorCode::kUnavailable,
                            "the server is taking as many uploads as it can; try again shortly",
                            std::chrono::seconds(5)),
                    false);
    }
    ++server_->streamed_bodies;
    streaming_ = true;
    // Reads of up to 64 KiB while the body arrives (a buffer read empty reads 512 bytes at a time).
    buffer_.reserve(kPieceBytes);
    in_handler_ = true;
    ++server_->in_handlers;
    auto self = shared_from_this();
    server_->workers->Submit([self] {
      auto sink = self->server_->Guarded([&] { return self->route_->streamed(self->request_); });
      net::post(self->server_->io, [self, sink = std::move(sink)]() mutable {
        self->in_handler_ = false;
        self->server_->HandlerFinished();
        if (!sink) return self->Finish(self->server_->ErrorResponse(sink.error()), false);
        self->sink_ = std::move(*sink);
        self->ContinueThen([self] { self->ReadPiece(); });
      });
    });
  }

  // `progress`: body bytes arrived since the last read, so the stall deadline starts again
  // (bytes of chunk framing, extensions or trailers do not count).
  void ReadPiece(bool progress = true) {
    if (closed_) return DropSink();
    if (progress) {
      SetDeadline(Clock::now() + server_->options.streamed_body_stall_timeout,
                  /*reading_request=*/true);
    }
    bhttp::async_read_some(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnPiece(ec); });
  }

  void OnPiece(beast::error_code ec) {
    if (timed_out_) {
      DropSink();
      return Finish(Refusal(408, ErrorCode::kDeadlineExceeded, "the request body stopped arriving"),
                    false);
    }
    if (ec == bhttp::error::body_limit) {
      DropSink();
      return Finish(BodyTooLarge(), false);
    }
    if (ec) {
      DropSink();
      if (ec == net::error::eof || ec == net::error::connection_reset ||
          ec == bhttp::error::partial_message) {
        Log(kClientClosed);
        return Close();  // the client went away
      }
      return Finish(FramingRefusal(ec), false);
    }
    std::string piece = std::move(parser_->get().body());
    parser_->get().body().clear();
    bool done = parser_->is_done();
    if (piece.empty() && !done) return ReadPiece(/*progress=*/false);
    CancelDeadline();
    // The sink writes on a worker; the next piece is read once it has.
    in_handler_ = true;
    ++server_->in_handlers;
    if (done) keep_alive_ = parser_->get().keep_alive();
    auto self = shared_from_this();
    server_->workers->Submit([self, piece = std::move(piece), done] {
      const Impl& server = *self->server_;
      std::optional<Response> out;
      auto written = server.Guarded([&]() -> Result<Response> {
        CONCORD_RETURN_IF_ERROR(self->sink_->Write(piece));
        if (!done) return Response{};
        return self->sink_->Finish();
      });
      if (!written) {
        out = server.ErrorResponse(written.error());
      } else if (done) {
        out = std::move(*written);
      }
      if (out) self->sink_.reset();  // undone unless finished
      net::post(self->server_->io, [self, out = std::move(out), done]() mutable {
        self->in_handler_ = false;
        self->server_->HandlerFinished();
        if (!out) return self->ReadPiece();
        self->EndStreaming();
        self->Finish(std::move(*out), done && self->keep_alive_);
      });
    });
  }

  // The sink of an upload that will not finish: undone on a worker (it may touch the disk).
  void DropSink() {
    EndStreaming();
    if (!sink_) return;
    server_->workers->Submit([sink = std::shared_ptr<BodySink>(std::move(sink_))] {});
  }

  // A streamed body is over (finished, refused or cut off): its slot and its buffer go back.
  void EndStreaming() {
    if (!streaming_) return;
    streaming_ = false;
    --server_->streamed_bodies;
    if (buffer_.size() == 0) buffer_.shrink_to_fit();
  }

  void OnBody(beast::error_code ec) {
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

  void Dispatch() {
    CancelDeadline();
    in_handler_ = true;
    ++server_->in_handlers;
    keep_alive_ = parser_->get().keep_alive();
    head_only_ = parser_->get().method() == bhttp::verb::head;
    http11_ = parser_->get().version() >= 11;
    auto self = shared_from_this();
    server_->workers->Submit([self] {
      Response out = self->server_->Handle(self->request_, self->route_, self->routed_);
      if (out.stream) return self->Stream(std::move(out));
      net::post(self->server_->io, [self, out = std::move(out)]() mutable {
        self->in_handler_ = false;
        self->server_->HandlerFinished();
        self->Finish(std::move(out), self->keep_alive_);
      });
    });
  }

  // Writes a complete reply, logs it, and reads the next request or closes.
  void Finish(Response r, bool keep_alive) {
    if (closed_) return;
    keep_alive = keep_alive && !server_->stopping && !timed_out_;
    if (!r.file.empty()) return SendFile(std::move(r), keep_alive);
    Log(r.status);
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->insert(k, v);
    if (r.status != 204 && r.status != 304) res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    if (head_only_) res->body().clear();  // Content-Length stays that of the full reply
    head_only_ = false;
    SetDeadline(Clock::now() + server_->options.write_timeout);
    auto sr = std::make_shared<bhttp::serializer<false, bhttp::string_body>>(*res);
    bhttp::async_write(
        socket_, *sr,
        [self = shared_from_this(), res, sr, keep_alive](beast::error_code ec, size_t) {
          if (ec) return self->Close();
          if (!keep_alive) return self->Linger();
          self->WaitForRequest();
        });
  }

  // A file (Response::file) with its Content-Length, sent by this thread a piece at a time as
  // the client takes it; the write deadline starts again with each piece.
  void SendFile(Response r, bool keep_alive) {
    int fd = ::open(r.file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      if (fd >= 0) ::close(fd);
      return Finish(server_->ErrorResponse(
                        Error{ErrorCode::kNotFound, "the file is no longer there", {}, {}}),
                    keep_alive);
    }
    Log(r.status);
    auto res = std::make_shared<bhttp::response<FileBody>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->insert(k, v);
    res->body().open = std::shared_ptr<void>(nullptr, [fd](void*) { ::close(fd); });
    res->body().fd = fd;
    res->body().size = static_cast<uint64_t>(st.st_size);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    auto sr = std::make_shared<bhttp::serializer<false, FileBody>>(*res);
    auto after = [self = shared_from_this(), res, sr, keep_alive](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      self->CancelDeadline();
      if (!keep_alive) return self->Linger();
      self->WaitForRequest();
    };
    SetDeadline(Clock::now() + server_->options.write_timeout);
    if (head_only_) {
      head_only_ = false;
      return bhttp::async_write_header(socket_, *sr, std::move(after));
    }
    WriteSome(res, sr, std::move(after));
  }

  template <typename Res, typename Serializer, typename After>
  void WriteSome(std::shared_ptr<Res> res, std::shared_ptr<Serializer> sr, After after) {
    SetDeadline(Clock::now() + server_->options.write_timeout);
    bhttp::async_write_some(socket_, *sr,
                            [self = shared_from_this(), res, sr, after = std::move(after)](
                                beast::error_code ec, size_t n) mutable {
                              if (ec || sr->is_done()) return after(ec, n);
                              self->WriteSome(res, sr, std::move(after));
                            });
  }

  // A reply sent before the request's body was read (413, 401, a refusal): the client may
  // still be writing it, and closing now would reset the connection before it reads the
  // reply. Stop sending, discard what still comes for a short while (as web servers' lingering
  // close does), then close.
  void Linger() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    SetDeadline(Clock::now() + std::chrono::seconds(2));
    DiscardInput(0);
  }

  void DiscardInput(size_t discarded) {
    constexpr size_t kMaxDiscarded = 64 * 1024 * 1024;
    if (closed_ || discarded > kMaxDiscarded) return Close();
    auto scratch = std::make_shared<std::array<char, 16384>>();
    socket_.async_read_some(net::buffer(*scratch), [self = shared_from_this(), scratch, discarded](
                                                       beast::error_code ec, size_t n) {
      if (ec) return self->Close();
      self->DiscardInput(discarded + n);
    });
  }

  // On the worker: the status line and headers, then each piece the handler writes, each
  // waited for. The worker stays with the reply for its whole length, as a long export must.
  // HTTP/1.0 has no chunked coding: such a reply ends when the connection closes. HEAD gets the
  // status line and headers only.
  void Stream(Response r) {
    auto self = shared_from_this();
    bool chunked = http11_;
    bool head_only = head_only_;
    if (!chunked) keep_alive_ = false;
    std::ostringstream head;
    head << "HTTP/1.1 " << r.status << " "
         << bhttp::obsolete_reason(static_cast<bhttp::status>(r.status)) << "\r\n";
    if (!r.content_type.empty()) head << "Content-Type: " << r.content_type << "\r\n";
    for (const auto& [k, v] : r.headers) head << k << ": " << v << "\r\n";
    if (chunked) head << "Transfer-Encoding: chunked\r\n";
    if (!keep_alive_) head << "Connection: close\r\n";
    head << "\r\n";
    bool ok = WriteChunk(head.str(), false);
    if (ok && !head_only) {
      ok = r.stream([&](std::string_view chunk) {
        if (chunk.empty()) return true;
        if (!chunked) return WriteChunk(std::string(chunk), false);
        std::ostringstream framed;
        framed << std::hex << chunk.size() << "\r\n";
        std::string data = framed.str();
        data.append(chunk);
        data += "\r\n";
        return WriteChunk(std::move(data), false);
      });
      if (ok && chunked) ok = WriteChunk("0\r\n\r\n", true);
    }
    net::post(server_->io, [self, ok, status = r.status] {
      self->head_only_ = false;
      self->in_handler_ = false;
      self->server_->HandlerFinished();
      self->Log(status);
      if (!ok || !self->keep_alive_ || self->server_->stopping) return self->Close();
      self->WaitForRequest();
    });
  }

  void AsyncWriteChunk(std::string data, bool, std::shared_ptr<std::promise<bool>> done) {
    if (closed_) return done->set_value(false);
    SetDeadline(Clock::now() + server_->options.write_timeout);
    auto buffer = std::make_shared<std::string>(std::move(data));
    net::async_write(socket_, net::buffer(*buffer),
                     [self = shared_from_this(), buffer, done](beast::error_code ec, size_t) {
                       self->CancelDeadline();
                       done->set_value(!ec);
                     });
  }

  void Log(int status) {
    auto ms =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count() /
        1000.0;
    // The path without its query string: queries may hold search terms, never credentials,
    // but keep the line short and predictable. Every value is escaped by LogEvent.
    const std::string& who = request_.principal.login;
    LogEvent(spdlog::level::info, "request",
             {{"client", std::string_view(client_.empty() ? peer_ : client_)},
              {"method", std::string_view(request_.method)},
              {"path", std::string_view(request_.path)},
              {"status", static_cast<int64_t>(status)},
              {"ms", ms},
              {"user", std::string_view(who.empty() ? std::string_view("-") : who)}});
  }

  std::shared_ptr<Impl> server_;
  uint64_t id_;
  tcp::socket socket_;
  net::steady_timer deadline_;
  net::steady_timer delay_;
  std::string peer_;
  bool counted_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<PieceBody>> parser_;
  Request request_;
  const Route* route_ = nullptr;  // found before the body is read (routed_)
  bool routed_ = false;
  std::unique_ptr<BodySink> sink_;  // a streamed body's, while it arrives
  std::string client_;
  std::string login_;
  Clock::time_point started_ = Clock::now();
  bool has_body_ = false;
  bool keep_alive_ = true;
  bool head_only_ = false;
  bool http11_ = true;
  bool streaming_ = false;  // a streamed body holds one of the server's upload slots
  bool in_handler_ = false;
  bool timed_out_ = false;
  uint64_t deadline_generation_ = 0;
  bool closed_ = false;
};

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
    socket.set_option(tcp::no_delay(true), peer_ec);
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
      socket.non_blocking(true, ignored);
      socket.write_some(net::buffer(*text), ignored);
      socket.close(ignored);
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
  acceptor.close(ec);
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
  Stop();
  impl_->workers->Join();
  impl_->verifiers->Join();
  // Whatever the workers posted after the loop ended still holds sessions: let it run (they
  // are closed) so that nothing keeps the server alive.
  impl_->io.restart();
  impl_->io.poll();
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

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kAdministrator: return "administrator";
    case Access::kSignedIn: return "signed-in";
    case Access::kCommunityRead: return "community-read";
    case Access::kCommunityWrite: return "community-write";
    case Access::kCommunityOwn: return "community-own";
    case Access::kPersonalOwner: return "personal-owner";
  }
  return "unknown";
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
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(1024, ec);
  if (ec) {
    beast::error_code ignored;
    a.close(ignored);
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

ServerWarnings Server::Warnings() const {
  std::lock_guard lock(impl_->warnings_mu);
  return impl_->warnings;
}

}  // namespace concord::http
