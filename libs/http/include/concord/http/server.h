#pragma once
// The HTTP edge shared by every Concord service.
//
// A service registers handlers on a Server; the Server authenticates every request before any
// handler runs (HTTP Basic, through an Authenticator), runs each handler inside one guard that
// turns errors and exceptions into the one JSON error shape, and logs each request without
// its credentials.
//
//   http::Server server(options, authenticator);
//   server.Get("/communities/api/communities/([^/]+)", [&](const http::Request& r) {
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

namespace concord::http {

struct Request {
  std::string method;
  std::string path;
  std::vector<std::string> path_params;  // the pattern's capture groups, in order
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string client_address;  // the socket's peer
  std::string forwarded_for;   // the X-Forwarded-For header, "" if absent
  Principal principal;         // who is calling: always authenticated

  // The first value of query parameter `name`, if present.
  std::optional<std::string> Query(std::string_view name) const;
};

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

  static Response Json(int status, const nlohmann::json& body);
  static Response NoContent();
};

using Handler = std::function<Result<Response>(const Request&)>;

// The HTTP status for an error code.
int ErrorStatus(ErrorCode code);
// The JSON error document: {"error": {"code", "message", "field"?, "accepted"?}}.
nlohmann::json ErrorJson(const Error& error);

// Decides, before authentication and routing, whether a request is served at all: returns the
// response to send instead (maintenance mode's 503), or nullopt to go on. Gets the socket's
// peer address and the X-Forwarded-For header ("" if absent).
using Admission = std::function<std::optional<Response>(const std::string& remote_address,
                                                        const std::string& forwarded_for)>;

struct ServerOptions {
  int threads = 16;     // worker threads; a long request holds one
  Admission admission;  // optional
  size_t max_body_bytes = 4 * 1024 * 1024;
  std::chrono::seconds read_timeout{30};
  std::string realm = "Concord";
};

class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<Authenticator> authenticator);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers a handler for a method and a full-match regular expression over the path.
  void Get(const std::string& pattern, Handler handler);
  void Post(const std::string& pattern, Handler handler);
  void Put(const std::string& pattern, Handler handler);
  void Delete(const std::string& pattern, Handler handler);

  // Binds the listening socket; port 0 picks a free port. Returns the bound port, or
  // kUnavailable (with the address) if it cannot bind.
  [[nodiscard]] Result<int> Bind(const std::string& host, int port);
  // Serves until Stop() is called (from any thread). Returns false if the loop failed.
  bool Run();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace concord::http
