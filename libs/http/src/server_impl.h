#pragma once
// What the HTTP server's source files share, inside libs/http (the contract is
// concord/http/server.h):
//
//   server.cc                 Server, and Server::Impl: binding, accepting within the connection
//                             limits, shutdown, routing, the one guard, error replies.
//   session.cc                Session: one connection; reading a request's headers, admission,
//                             authentication, a whole body, dispatch to a worker.
//   session_streamed_body.cc  Session: a streamed route's body, piece by piece to its BodySink.
//   session_reply.cc          Session: writing replies (complete, files, streamed), keep-alive,
//                             lingering close, the request's log line.
//   messages.cc               Request and Response helpers, the error table, target decoding.
//   task_pool.h               The workers' and the verifiers' thread pools.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <unordered_map>
#include <vector>

#include "concord/http/auth.h"
#include "concord/http/server.h"
#include "task_pool.h"

namespace concord::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Route {
  std::string method;
  std::string source;  // the pattern as registered
  std::regex pattern;
  Access access;
  Handler handler;           // or, for a route whose body is taken as it arrives:
  StreamedHandler streamed;  // (PostStreamed)
};

// What a streamed body or a file is read in: 64 KiB at a time.
constexpr size_t kPieceBytes = size_t{64} * 1024;
// The status logged for a request whose client went away before its answer (nginx's).
constexpr int kClientClosed = 499;

// A request body the session may take away between reads. Unlike Beast's string_body it reserves
// nothing from Content-Length, which for a streamed upload may be a gigabyte that is never held.
struct PieceBody {
  using value_type = std::string;
  class reader {  // NOLINT(readability-identifier-naming): Beast's Body names it so
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

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  class Session;

  ServerOptions options;
  std::shared_ptr<Authenticator> authenticator;
  Metrics metrics;
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

  // Raises the file descriptor limit as far as allowed, lowers max_connections to fit it, and
  // starts the pools.
  Impl(ServerOptions o, std::shared_ptr<Authenticator> a);

  // The reply for an error: a kInternal message is logged and the client gets a reference to
  // it; a kUnauthenticated reply asks for Basic credentials.
  Response ErrorResponse(const Error& e) const;

  // A refusal of the edge's own (a limit, a deadline), with Retry-After when given.
  static Response Refusal(int status, ErrorCode code, std::string message,
                          std::optional<std::chrono::seconds> retry_after = std::nullopt,
                          std::string field = {});

  // A body whose framing is wrong, or whose chunk extensions or trailer outgrow the read buffer.
  static Response FramingRefusal(beast::error_code ec);

  // Refused from Content-Length before the body is read, or while it is read (chunked).
  static Response BodyTooLarge();

  // Finds the handler for a request; nullptr when no route matches.
  const Route* Match(const std::string& method, const std::string& path,
                     std::vector<std::string>& params) const;

  // Whether `route` (nullptr: none matched) may be called by this caller: the error to answer
  // instead, if not.
  static std::optional<Error> Refuse(const Route* route, const Request& req);

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
  // `route`: the route it was routed to (found here unless `routed`), for the metrics.
  Response Handle(Request& req, const Route*& route, bool routed) const;

  // Warns once (and says so in Warnings()) that X-Forwarded-For comes from a local address
  // that is not a trusted proxy.
  void NoteForwardedFrom(const std::string& remote);

  // Accepts connections until the server stops, refusing those beyond the limits with a 503.
  void StartAccept();
  // Stops accepting and closes idle connections; the loop ends once no handler runs.
  void BeginShutdown();
  // A session has ended: it no longer counts against the limits.
  void Release(uint64_t id, const std::string& peer, bool counted);
  // A handler has returned; the last one to return while stopping lets the loop end.
  void HandlerFinished();
};

// One connection, driven by the I/O thread. Every member is touched on that thread only,
// except where a worker waits for a write it asked for (WriteChunk).
class Server::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Impl> server, uint64_t id, tcp::socket socket, std::string peer,
          bool counted);

  // The last reference may be a worker's: the bookkeeping goes back to the I/O thread.
  ~Session();

  // Waits for the connection's first request.
  void Start();

  // Closes the connection unless a handler is working on its request.
  void CloseIfIdle();

  // Closes the connection now, and cancels its timers: what is pending on them ends.
  void Close();

  // From a worker: writes one chunk of a streamed reply and waits for it (write_timeout at
  // most). False when the client has gone or stopped reading.
  bool WriteChunk(std::string data, bool last);

 private:
  // Reading a request (session.cc).

  // When the deadline passes, a request still arriving is cut short (its read ends, and the
  // client is told 408); anything else (an idle wait, a write) closes the connection.
  void SetDeadline(Clock::time_point when, bool reading_request = false);
  void CancelDeadline();

  // Makes ready for the next request and waits for its first byte (idle_timeout at most),
  // unless it has already arrived; closes instead once the server is stopping.
  void WaitForRequest();
  // Reads the request line and the headers (header_timeout at most).
  void ReadHeader();
  // Answers a failed read, or checks the headers against the limits, takes the target and the
  // client's address, asks ServerOptions::admission, then authenticates.
  void OnHeader(beast::error_code ec);

  // Cached credentials are answered here; anything else waits for one of the few verifiers,
  // so that guessing never takes workers or memory from signed-in users.
  void Authenticate(const std::string& header);
  // Signs in by the session cookie: a cached session at once, else on a verifier.
  void AuthenticateSession();
  // Back from a verifier: signed in (a change only with the session's CSRF token), or 401.
  void SessionVerified(Result<WebSession> session);
  // The 429 for a login or an address locked out for `wait`.
  Response TooManyFailures(std::chrono::seconds wait) const;
  // Back from a verifier: signed in, or a failure the throttle counts and answers.
  void Verified(Result<Principal> principal);
  // Dispatches a request without a body; routes one with a body, then reads the body (whole,
  // or streamed to its route's sink).
  void Authenticated(Principal principal);

  // Answers `Expect: 100-continue` if the client asked for it, then runs `read`.
  void ContinueThen(const std::function<void()>& read);

  // The whole body has arrived, or could not: dispatches the request, or answers why not.
  void OnBody(beast::error_code ec);
  // Runs the request's handler on a worker, then writes its reply (or streams it, there).
  void Dispatch();

  // A streamed body (session_streamed_body.cc).

  // A streamed route: its handler decides on a worker, before any of the body is read, whether
  // the body is wanted; then each piece goes to the sink as it arrives (ReadPiece).
  void BeginStreamed();
  // `progress`: body bytes arrived since the last read, so the stall deadline starts again
  // (bytes of chunk framing, extensions or trailers do not count).
  void ReadPiece(bool progress = true);
  // A piece has arrived (the sink takes it on a worker; then the next piece is read, or at the
  // end the reply written), or the read failed.
  void OnPiece(beast::error_code ec);
  // The sink of an upload that will not finish: undone on a worker (it may touch the disk).
  void DropSink();
  // A streamed body is over (finished, refused or cut off): its slot and its buffer go back.
  void EndStreaming();

  // Writing the reply (session_reply.cc).

  // Writes a complete reply, logs it, and reads the next request or closes.
  void Finish(Response r, bool keep_alive);
  // A file (Response::file) with its Content-Length, sent by this thread a piece at a time as
  // the client takes it; the write deadline starts again with each piece.
  void SendFile(const Response& r, bool keep_alive);
  // Writes what `sr` serializes, each piece within write_timeout; then `after`.
  template <typename Res, typename Serializer, typename After>
  void WriteSome(const std::shared_ptr<Res>& res, const std::shared_ptr<Serializer>& sr,
                 After after);

  // A reply sent before the request's body was read (413, 401, a refusal): the client may
  // still be writing it, and closing now would reset the connection before it reads the
  // reply. Stop sending, discard what still comes for a short while (as web servers' lingering
  // close does), then close.
  void Linger();
  void DiscardInput(size_t discarded);

  // On the worker: the status line and headers, then each piece the handler writes, each
  // waited for. The worker stays with the reply for its whole length, as a long export must.
  // HTTP/1.0 has no chunked coding: such a reply ends when the connection closes. HEAD gets the
  // status line and headers only.
  void Stream(const Response& r);
  // On the I/O thread, for WriteChunk: writes `data`, then says whether it was written.
  void AsyncWriteChunk(std::string data, bool, const std::shared_ptr<std::promise<bool>>& done);

  // The request's log line: client, method, path, status, time taken and user.
  void Log(int status);

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
  std::string csrf_token_;    // X-CSRF-Token
  bool page_client_ = false;  // the pages (X-Requested-With, or the cookie): no Basic challenge
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

}  // namespace concord::http
