// What a request and a reply are made of: the Request and Response helpers, the one table from
// error codes to HTTP statuses and the one JSON error shape, and the request target's decoding.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <string_view>

#include "concord/http/server.h"

namespace concord::http {

std::optional<std::string> Request::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

Status CheckQuery(const Request& r, const std::vector<std::string>& accepted) {
  for (const auto& [k, v] : r.query) {
    if (std::find(accepted.begin(), accepted.end(), k) == accepted.end()) {
      return InvalidArgument(k, fmt::format("unknown query parameter '{}'", k.substr(0, 60)),
                             accepted);
    }
  }
  return Ok();
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

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kPublic: return "public";
    case Access::kMetrics: return "metrics";
    case Access::kAdministrator: return "administrator";
    case Access::kSignedIn: return "signed-in";
    case Access::kCommunityRead: return "community-read";
    case Access::kCommunityWrite: return "community-write";
    case Access::kCommunityOwn: return "community-own";
    case Access::kPersonalOwner: return "personal-owner";
  }
  return "unknown";
}

}  // namespace concord::http
