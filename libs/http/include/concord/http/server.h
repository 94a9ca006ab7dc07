#pragma once
// The HTTP edge shared by every Concord service.
//
// A service registers handlers on a Server; the Server authenticates every request before any
// handler runs (HTTP Basic, through an Authenticator), runs each handler inside one guard that
// turns errors and exceptions into the one JSON error shape, and logs each request without
// its credentials.
//
// The edge is event-driven (Boost.Asio, docs/adr/0015): connections are read and written by one
// I/O thread, and only a request that has fully arrived, and whose caller is authenticated,
// reaches a worker. A slow or idle client costs memory, never a worker. Limits (ServerOptions):
// connections in total and per client address, header size and count (431), body size (413),
// deadlines for headers, for the whole request, for idle keep-alive connections and for each
// write; password checks run on a small pool of their own, and failed sign-ins are throttled
// per login and per client address (429). docs/security.md describes them all.
//
//   http::Server server(options, authenticator);
//   server.Get("/communities/api/communities/([^/]+)", http::Access::kCommunityRead,
//              [&](const http::Request& r) {
//     return GetCommunity(r.principal, r.path_params[0]);   // Result<http::Response>
//   });
//   CONCORD_ASSIGN_OR_RETURN(int port, server.Bind("127.0.0.1", 8080));
//   server.Run();   // until Stop()
//
// Error codes map to statuses in one table (ErrorStatus): INVALID_ARGUMENT 400,
// UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS /
// FAILED_PRECONDITION / ABORTED 409, INTERNAL 500, UNAVAILABLE 503, DEADLINE_EXCEEDED 504.
// An INTERNAL error's message goes to the log only; the client gets a reference to it.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "concord/base/error.h"
#include "concord/http/auth.h"
#include "concord/http/metrics.h"

namespace concord::http {

struct Request {
  std::string method;
  std::string path;
  std::vector<std::string> path_params;  // the pattern's capture groups, in order
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string client_address;  // the socket's peer
  std::string forwarded_for;   // X-Forwarded-For, every header line joined by ", "; "" if absent
  Principal principal;         // who is calling: authenticated on every route but kPublic ones
  std::string session_token;   // the session cookie's value (kSessionCookie), "" without one
  bool via_session = false;    // signed in by that cookie (not by HTTP Basic)
  // The client came over TLS: to a proxy among the trusted ones that says so
  // (X-Forwarded-Proto: https). Cookies are then marked Secure.
  bool secure = false;

  // The first value of query parameter `name`, if present.
  std::optional<std::string> Query(std::string_view name) const;
};

// Unknown query parameters are errors (kInvalidArgument naming it, with the `accepted` ones), so
// that a typo never silently widens a listing or changes what is measured.
Status CheckQuery(const Request& r, const std::vector<std::string>& accepted);

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set instead of `body` for a long reply sent as it is produced (chunked transfer): called
  // once the status and headers are out, with a writer that returns false when the client has
  // gone. Returning false aborts the reply, so the client sees it cut short, never complete.
  using Writer = std::function<bool(std::string_view)>;
  std::function<bool(const Writer& write)> stream;
  // Set instead of `body` for a file sent from disk (a download): the server sends it with its
  // Content-Length as the client takes it, 64 KiB at a time, without a worker; 404 if it cannot
  // be opened.
  std::filesystem::path file;

  static Response Json(int status, const nlohmann::json& body);
  static Response NoContent();
};

using Handler = std::function<Result<Response>(const Request&)>;

// A request body taken piece by piece as it arrives, for a route whose bodies may be larger than
// memory should hold (a file upload: Server::PostStreamed). The server calls Write with each
// piece in order (64 KiB at most), on a worker, one at a time, and reads the next piece
// only once Write has returned: a slow disk slows the client down instead of filling memory.
// Once the whole body has arrived, Finish gives the reply. A sink destroyed without Finish (the
// client went away, the body grew too large or stopped arriving, Write failed) must undo what
// it wrote.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual Status Write(std::string_view piece) = 0;
  virtual Result<Response> Finish() = 0;
};
// Runs once the caller is signed in and the route found, before a byte of the body is read
// (`request.body` is empty): checks what it must (who may write, the query parameters) and
// returns the sink, or an error that is answered at once, the body never read.
using StreamedHandler = std::function<Result<std::unique_ptr<BodySink>>(const Request&)>;

// Who may call a route. Every route declares one when it is registered (there is no way to
// register a route without), `GET /api/admin/routes` lists them, docs/security.md ("Who may call
// what") gives each level's answers, and tests/e2e/access_matrix_e2e_test.cc calls every route of
// every service as every kind of caller against every kind of community to check them.
// Anonymous callers and disabled users get 401 everywhere, before any of this.
// The web pages' session cookie (docs/adr/0020-web-pages.md): a request without HTTP Basic
// credentials is signed in by it (Authenticator::VerifySession), and one that changes anything
// must then carry the session's CSRF token in X-CSRF-Token (403 before the handler runs).
inline constexpr std::string_view kSessionCookie = "concord_session";
// The principal of a request signed in with the scrape token (not a login anyone can have).
inline constexpr std::string_view kScraperLogin = "(metrics scraper)";

enum class Access {
  // Anyone, signed in or not: the web pages' document and assets only, which hold no data.
  kPublic,
  // The metrics (GET /metrics): administrators, or a scraper with the process's scrape token
  // (`Authorization: Bearer <token>`, ServerOptions::scrape_token). 403 to other users.
  kMetrics,
  // Administrators only (Communities' system accounts are administrators). The server itself
  // answers 403 to anyone else, before the handler runs.
  kAdministrator,
  // Anyone signed in. The answer is about the caller, or limited to what the caller may see
  // (the directory lists only the communities visible to them).
  kSignedIn,
  // A community's content, read: anyone signed in for a public or moderated community, its
  // members for a restricted one (404 to others, as if it did not exist); while the community
  // is in the trash, nobody (404). Checked by the service's one access check on the community
  // that the path's resource belongs to (RemoteApplication::AccessToCommunity in applications,
  // CommunitiesService in Communities).
  kCommunityRead,
  // A community's content, written: its members and administrators (403 to others who may read
  // it, 404 to the rest; nobody while it is in the trash). A handler may narrow this further
  // (an entry is deleted by its author or an owner).
  kCommunityWrite,
  // A community's settings and membership: its owners and administrators (403 to others who
  // may read it, 404 to the rest). The trash's own routes (restore, delete for good) are the
  // owners' of the trashed community. The membership routes also let a user join a public
  // community and leave one.
  kCommunityOwn,
  // A personal resource (a user's own file, folder or activity), changed or shared: its owner
  // and administrators (404 to those who may not see it, 403 to the others).
  kPersonalOwner,
};
std::string_view AccessName(Access access);

struct RouteInfo {
  std::string method;
  std::string pattern;  // the full-match regular expression it was registered with
  Access access;
};

// Splits a request target ("/a%20b?x=1&y=a+b") into its percent-decoded path and its query
// parameters (decoded, '+' as space), as the server does for every request. A malformed
// escape is kept as it is. Never fails.
void ParseTarget(std::string_view target, std::string& path,
                 std::multimap<std::string, std::string>& query);

// The HTTP status for an error code.
int ErrorStatus(ErrorCode code);
// The JSON error document: {"error": {"code", "message", "field"?, "accepted"?}}.
nlohmann::json ErrorJson(const Error& error);

// Decides, before authentication and routing, whether a request is served at all: returns the
// response to send instead (maintenance mode's 503), or nullopt to go on. Gets the socket's
// peer address and the X-Forwarded-For header ("" if absent; several header lines are joined
// with ", " in the order they came).
using Admission = std::function<std::optional<Response>(const std::string& remote_address,
                                                        const std::string& forwarded_for)>;
// The client a request comes from: the peer, or the address a trusted proxy saw.
using ClientAddressOf =
    std::function<std::string(const std::string& remote_address, const std::string& forwarded_for)>;
// Whether a peer address is one of the deployment's trusted reverse proxies.
using IsTrustedProxy = std::function<bool(const std::string& remote_address)>;

struct ServerOptions {
  int threads = 16;                // workers running handlers; slow or idle connections hold none
  Admission admission;             // optional
  ClientAddressOf client_address;  // optional: default, the peer
  IsTrustedProxy trusted_proxy;    // optional: default, none
  size_t max_body_bytes = size_t{4} << 20;  // larger: 413
  // Routes registered with PostStreamed (uploads): their body is never held whole in memory.
  size_t max_streamed_body_bytes = size_t{1} << 30;      // larger: 413
  std::chrono::seconds streamed_body_stall_timeout{30};  // no body byte for this long: 408
  int max_streamed_bodies = 256;  // received at once (each holds a file too); beyond: 503
  size_t max_header_bytes = size_t{16} << 10;  // request line and headers; larger: 431
  int max_header_count = 100;                  // more: 431
  std::chrono::seconds header_timeout{10};     // first byte of a request to its last header
  std::chrono::seconds request_timeout{60};    // first byte to the end of its body
  std::chrono::seconds idle_timeout{5};        // a keep-alive connection waiting for a request
  std::chrono::seconds write_timeout{30};      // any one write to a client that stops reading
  int max_connections = 4096;                  // in total (capped by the open files limit)
  int max_connections_per_client = 128;        // per peer address; trusted proxies exempt
  int max_concurrent_verifications = 2;        // password checks (Argon2id: 64 MiB each)
  int max_queued_verifications = 64;           // waiting beyond these: 503 with Retry-After
  SignInThrottleOptions sign_in;
  std::string realm = "Concord";
  // The token a metrics scraper shows (`Authorization: Bearer`) for kMetrics routes; empty: none.
  std::string scrape_token;
};

// What the edge has noticed that an administrator should fix (shown by `concord status`).
struct ServerWarnings {
  // Requests came from a local address with X-Forwarded-For, and that address is not a trusted
  // proxy: a reverse proxy on this host is not in [server] trusted_proxies, so every user looks
  // like the proxy (and the local host is exempt from maintenance mode).
  std::optional<std::string> untrusted_local_proxy;
};

class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<Authenticator> authenticator);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers a handler for a method and a full-match regular expression over the path, with
  // who may call it. A server starts with one route of its own: `GET /api/admin/routes`
  // (administrators), every route's method, pattern and access level as JSON.
  void Get(const std::string& pattern, Access access, Handler handler);
  void Post(const std::string& pattern, Access access, Handler handler);
  void Put(const std::string& pattern, Access access, Handler handler);
  void Delete(const std::string& pattern, Access access, Handler handler);
  // A POST route whose body is taken as it arrives (BodySink), up to max_streamed_body_bytes
  // and with no whole-request deadline: it must only keep arriving (streamed_body_stall_timeout).
  void PostStreamed(const std::string& pattern, Access access, StreamedHandler handler);

  // Every registered route, in the order they were registered.
  std::vector<RouteInfo> Routes() const;

  // Binds the listening socket; port 0 picks a free port. Returns the bound port, or
  // kUnavailable (with the address) if it cannot bind.
  [[nodiscard]] Result<int> Bind(const std::string& host, int port);
  // Serves until Stop() is called (from any thread), on the calling thread and the workers;
  // returns once requests in progress have been answered. Returns false if the loop failed.
  bool Run();
  // Stops accepting and closes idle connections; does not wait (Run returns when done).
  void Stop();

  ServerWarnings Warnings() const;
  // What this server counts (requests, latencies, failed sign-ins), and where services add
  // their own families.
  Metrics& metrics();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace concord::http
