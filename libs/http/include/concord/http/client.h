#pragma once
// A JSON client for Concord's HTTP APIs, used by the `concord` CLI, concord-admin, the tests,
// and (later) by services that call each other across processes.
//
//   http::Client client({.url = "http://127.0.0.1:8080", .user = "admin", .password = pw});
//   CONCORD_ASSIGN_OR_RETURN(nlohmann::json c, client.Get("/communities/api/communities/" + id));
//
// A non-2xx reply becomes the Error its JSON body describes (same code, message, field and
// accepted values); a connection failure becomes kUnavailable. Thread-compatible: one Client
// per thread.

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "concord/base/error.h"

namespace concord::http {

struct ClientOptions {
  std::string url;  // http://host:port
  std::string user;
  std::string password;
  std::chrono::seconds timeout{120};
  // Binds the client's socket to this local address before connecting (tests use it to call
  // from 127.0.0.2); empty: the system chooses.
  std::string source_address;
};

struct ClientReply {
  int status = 0;
  nlohmann::json body;  // null when the reply had no body or was not JSON
  std::string raw_body;
  std::vector<std::pair<std::string, std::string>> headers;
  // The first value of header `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  Result<nlohmann::json> Get(std::string_view path);
  Result<nlohmann::json> Post(std::string_view path, const nlohmann::json& body);
  Result<nlohmann::json> Put(std::string_view path, const nlohmann::json& body);
  Result<nlohmann::json> Delete(std::string_view path);

  // A GET whose body is passed to `sink` as it arrives (for exports larger than memory). A
  // non-2xx reply becomes its Error; a reply cut short, or a sink that returns false, is
  // kUnavailable.
  // `headers`, if given, receives the reply's headers.
  Status Download(std::string_view path, const std::function<bool(std::string_view)>& sink,
                  std::vector<std::pair<std::string, std::string>>* headers = nullptr);

  // Sends the paths under each prefix ("/forums/") to another process (its base URL): the
  // deployment's applications where they run (GET /communities/api/admin/deployment says),
  // while everything else goes to `url`. Replaces the previous routes.
  void SetRoutes(std::vector<std::pair<std::string, std::string>> routes);

  // The raw exchange, whatever the status: for tests and tools that check statuses themselves.
  Result<ClientReply> Send(std::string_view method, std::string_view path, std::string_view body,
                           bool authenticate = true,
                           const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  Result<nlohmann::json> Call(std::string_view method, std::string_view path,
                              std::string_view body);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether `error`, from a Client call, says the server could not be reached at all (no
// connection, or the connection broke before an answer): kUnavailable naming the field "url".
// Any answer the server gave, refusals and 5xx included, is not this.
bool Unreachable(const Error& error);

// Percent-encodes a path segment or query value.
std::string UrlEncode(std::string_view s);

}  // namespace concord::http
