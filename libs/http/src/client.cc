#include "concord/http/client.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <map>

namespace concord::http {

struct Client::Impl {
  ClientOptions options;
  httplib::Client client;
  // Routed paths' processes, by base URL (SetRoutes).
  std::vector<std::pair<std::string, std::string>> routes;
  std::map<std::string, std::unique_ptr<httplib::Client>> routed;
  explicit Impl(ClientOptions o) : options(std::move(o)), client(options.url) {}

  void Configure(httplib::Client& c) const {
    c.set_tcp_nodelay(true);
    c.set_keep_alive(true);
    c.set_connection_timeout(std::chrono::seconds(10));
    c.set_read_timeout(options.timeout);
    c.set_write_timeout(options.timeout);
    if (!options.source_address.empty()) c.set_interface(options.source_address);
  }
  // The process that serves `path`, and its base URL.
  std::pair<httplib::Client*, std::string> For(std::string_view path) {
    for (const auto& [prefix, base] : routes) {
      if (!path.starts_with(prefix) || base == options.url) continue;
      auto& c = routed[base];
      if (!c) {
        c = std::make_unique<httplib::Client>(base);
        Configure(*c);
      }
      return {c.get(), base};
    }
    return {&client, options.url};
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  // cpp-httplib writes with plain send(): a server that answers before reading the whole body
  // (413, 401) and closes would otherwise kill the calling process with SIGPIPE. A write to a
  // closed socket is an error the client reports, never a signal.
  static const bool ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)ignored;
  impl_->Configure(impl_->client);
}

void Client::SetRoutes(std::vector<std::pair<std::string, std::string>> routes) {
  impl_->routes = std::move(routes);
  impl_->routed.clear();
}

Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Result<ClientReply> Client::Send(std::string_view method, std::string_view path,
                                 std::string_view body, bool authenticate,
                                 const std::vector<std::pair<std::string, std::string>>& extra) {
  auto [target, base] = impl_->For(path);
  if (!target->is_valid()) {
    return InvalidArgument("url", "'" + base + "' is not a valid http:// URL");
  }
  httplib::Headers headers;
  if (authenticate) {
    headers.emplace(
        httplib::make_basic_authentication_header(impl_->options.user, impl_->options.password));
  }
  for (const auto& [k, v] : extra) headers.emplace(k, v);
  std::string p(path);
  std::string b(body);
  auto call = [&]() -> std::optional<httplib::Result> {
    if (method == "GET") return target->Get(p, headers);
    if (method == "POST") return target->Post(p, headers, b, "application/json");
    if (method == "PUT") return target->Put(p, headers, b, "application/json");
    if (method == "DELETE") return target->Delete(p, headers, b, "application/json");
    return std::nullopt;
  };
  auto maybe = call();
  if (!maybe) {
    return InvalidArgument("method", "unsupported HTTP method", {"GET", "POST", "PUT", "DELETE"});
  }
  httplib::Result& r = *maybe;
  if (!r) {
    Error e{ErrorCode::kUnavailable,
            "cannot reach Concord at " + base + ": " + httplib::to_string(r.error()),
            "url",
            {}};
    return std::unexpected(std::move(e));
  }
  ClientReply reply;
  reply.status = r->status;
  reply.raw_body = r->body;
  for (const auto& [k, v] : r->headers) reply.headers.emplace_back(k, v);
  if (!r->body.empty()) {
    reply.body = nlohmann::json::parse(r->body, nullptr, false);
    if (reply.body.is_discarded()) reply.body = nullptr;
  }
  return reply;
}

namespace {

// The Error a non-2xx reply describes.
Error ErrorOf(const ClientReply& reply) {
  Error e{ErrorCode::kInternal, "HTTP " + std::to_string(reply.status), {}, {}};
  const auto& err = reply.body.is_object() ? reply.body.value("error", nlohmann::json()) : nullptr;
  if (err.is_object()) {
    static const std::pair<std::string_view, ErrorCode> kCodes[] = {
        {"INVALID_ARGUMENT", ErrorCode::kInvalidArgument},
        {"NOT_FOUND", ErrorCode::kNotFound},
        {"ALREADY_EXISTS", ErrorCode::kAlreadyExists},
        {"FAILED_PRECONDITION", ErrorCode::kFailedPrecondition},
        {"ABORTED", ErrorCode::kAborted},
        {"UNAVAILABLE", ErrorCode::kUnavailable},
        {"DEADLINE_EXCEEDED", ErrorCode::kDeadlineExceeded},
        {"PERMISSION_DENIED", ErrorCode::kPermissionDenied},
        {"UNAUTHENTICATED", ErrorCode::kUnauthenticated},
        {"INTERNAL", ErrorCode::kInternal}};
    std::string code = err.value("code", "");
    for (const auto& [name, c] : kCodes) {
      if (name == code) e.code = c;
    }
    e.message = err.value("message", e.message);
    e.field = err.value("field", "");
    if (err.contains("accepted") && err["accepted"].is_array()) {
      for (const auto& a : err["accepted"]) {
        if (a.is_string()) e.accepted.push_back(a.get<std::string>());
      }
    }
  } else if (reply.status == 401) {
    e.code = ErrorCode::kUnauthenticated;
  } else if (reply.status == 503) {
    e.code = ErrorCode::kUnavailable;
    if (reply.Header("X-Concord-Maintenance") == "on") {
      e.message =
          "Concord is in maintenance mode and this address is not allowed in (try again "
          "after " +
          reply.Header("Retry-After") + " s, or connect from an allowed address)";
    }
  }
  return e;
}

}  // namespace

Result<nlohmann::json> Client::Call(std::string_view method, std::string_view path,
                                    std::string_view body) {
  CONCORD_ASSIGN_OR_RETURN(ClientReply reply, Send(method, path, body));
  if (reply.status >= 200 && reply.status < 300) return reply.body;
  return std::unexpected(ErrorOf(reply));
}

Status Client::Download(std::string_view path, const std::function<bool(std::string_view)>& sink,
                        std::vector<std::pair<std::string, std::string>>* headers_out) {
  auto [target, base] = impl_->For(path);
  if (!target->is_valid()) {
    return InvalidArgument("url", "'" + base + "' is not a valid http:// URL");
  }
  httplib::Headers headers = {
      httplib::make_basic_authentication_header(impl_->options.user, impl_->options.password)};
  ClientReply reply;
  bool sink_failed = false;
  auto r = target->Get(
      std::string(path), headers,
      [&](const httplib::Response& response) {
        reply.status = response.status;
        for (const auto& [k, v] : response.headers) reply.headers.emplace_back(k, v);
        return true;
      },
      [&](const char* data, size_t length) {
        if (reply.status >= 200 && reply.status < 300) {
          if (!sink(std::string_view(data, length))) {
            sink_failed = true;
            return false;
          }
          return true;
        }
        reply.raw_body.append(data, length);
        return reply.raw_body.size() < (1 << 20);
      });
  if (sink_failed) return Unavailable("the download's destination stopped accepting data");
  if (!r) {
    return Unavailable("the download from " + base + std::string(path) +
                       " was cut short: " + httplib::to_string(r.error()));
  }
  if (headers_out) *headers_out = reply.headers;
  if (reply.status >= 200 && reply.status < 300) return Ok();
  reply.body = nlohmann::json::parse(reply.raw_body, nullptr, false);
  if (reply.body.is_discarded()) reply.body = nullptr;
  return std::unexpected(ErrorOf(reply));
}

Result<nlohmann::json> Client::Get(std::string_view path) { return Call("GET", path, ""); }
Result<nlohmann::json> Client::Post(std::string_view path, const nlohmann::json& body) {
  return Call("POST", path, body.dump());
}
Result<nlohmann::json> Client::Put(std::string_view path, const nlohmann::json& body) {
  return Call("PUT", path, body.dump());
}
Result<nlohmann::json> Client::Delete(std::string_view path) { return Call("DELETE", path, ""); }

std::string ClientReply::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return "";
}

bool Unreachable(const Error& error) {
  return error.code == ErrorCode::kUnavailable && error.field == "url";
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace concord::http
