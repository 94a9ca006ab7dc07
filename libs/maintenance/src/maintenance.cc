#include "concord/maintenance/maintenance.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "concord/base/json_file.h"
#include "concord/base/text.h"
#include "concord/http/json_body.h"

namespace concord::maintenance {
namespace {

constexpr size_t kMaxPageBytes = 1 << 20;

// The address's family and bytes; IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) become IPv4.
bool ParseAddress(std::string_view text, int& family, unsigned char bytes[16]) {
  std::string s(text);
  // A scope id (fe80::1%eth0) names an interface, not part of the address.
  if (auto pct = s.find('%'); pct != std::string::npos) s.resize(pct);
  if (inet_pton(AF_INET, s.c_str(), bytes) == 1) {
    family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), bytes) == 1) {
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes, kMapped, 12) == 0) {
      std::memmove(bytes, bytes + 12, 4);
      family = AF_INET;
    } else {
      family = AF_INET6;
    }
    return true;
  }
  return false;
}

bool IsLocalHost(std::string_view address) {
  int family = 0;
  unsigned char b[16] = {};
  if (!ParseAddress(address, family, b)) return false;
  if (family == AF_INET) return b[0] == 127 && b[1] == 0 && b[2] == 0 && b[3] == 1;
  static const unsigned char kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(b, kLoopback6, 16) == 0;
}

std::string Shown(std::string_view s) {
  std::string out;
  for (char ch : s.substr(0, 80)) out += (ch >= 0x20 && ch < 0x7f) ? ch : '?';
  return out;
}

}  // namespace

Result<AddressRange> AddressRange::Parse(std::string_view text, std::string_view field) {
  AddressRange r;
  r.text_ = std::string(text);
  std::string_view address = text;
  int prefix = -1;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    auto digits = text.substr(slash + 1);
    int p = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) p = -1;
    prefix = p;
    if (prefix < 0) {
      return InvalidArgument(std::string(field),
                             fmt::format("'{}' is not an address or CIDR range", Shown(text)));
    }
  }
  if (!ParseAddress(address, r.family_, r.bytes_)) {
    return InvalidArgument(
        std::string(field),
        fmt::format(
            "'{}' is not an address or CIDR range (e.g. 10.0.0.5, 192.168.0.0/16, fd00::/8)",
            Shown(text)));
  }
  int max = r.family_ == AF_INET ? 32 : 128;
  // An IPv4-mapped IPv6 range ::ffff:a.b.c.d/n counts its prefix over the IPv6 bits.
  if (prefix > max && r.family_ == AF_INET && address.find(':') != std::string_view::npos) {
    prefix -= 96;
  }
  if (prefix > max) {
    return InvalidArgument(
        std::string(field),
        fmt::format("'{}': the prefix length must be at most {}", Shown(text), max));
  }
  r.prefix_ = prefix < 0 ? max : prefix;
  return r;
}

bool AddressRange::Contains(std::string_view address) const {
  int family = 0;
  unsigned char b[16] = {};
  if (!ParseAddress(address, family, b) || family != family_) return false;
  int full = prefix_ / 8, rest = prefix_ % 8;
  if (std::memcmp(b, bytes_, full) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (b[full] & mask) == (bytes_[full] & mask);
}

Result<std::vector<AddressRange>> ParseRanges(const std::vector<std::string>& texts,
                                              std::string_view field) {
  std::vector<AddressRange> out;
  for (const auto& t : texts) {
    CONCORD_ASSIGN_OR_RETURN(auto r, AddressRange::Parse(t, field));
    out.push_back(std::move(r));
  }
  return out;
}

Result<State> Load(const fs::path& file) {
  State s;
  auto read = ReadJsonFile(file);
  if (!read && read.error().code == ErrorCode::kNotFound) return s;  // no file: off
  auto fields = [&]() -> Status {
    CONCORD_RETURN_IF_ERROR(read);
    const JsonFields& j = *read;
    CONCORD_ASSIGN_OR_RETURN(s.enabled, j.Bool("enabled"));
    CONCORD_ASSIGN_OR_RETURN(s.allow, j.Strings("allow", {}));
    CONCORD_ASSIGN_OR_RETURN(s.page, j.String("page", ""));
    CONCORD_ASSIGN_OR_RETURN(int64_t retry, j.Int("retryAfterSeconds", 300));
    if (retry < 1 || retry > 86400) {
      return std::unexpected(j.Invalid("retryAfterSeconds", "must be from 1 to 86400"));
    }
    s.retry_after_seconds = static_cast<int>(retry);
    CONCORD_ASSIGN_OR_RETURN(s.since, j.Int("since", 0));
    CONCORD_ASSIGN_OR_RETURN(s.by, j.String("by", ""));
    CONCORD_ASSIGN_OR_RETURN(s.reason, j.String("reason", ""));
    CONCORD_ASSIGN_OR_RETURN(s.changed_at, j.Int("changedAt", 0));
    return Ok();
  }();
  if (!fields) {
    Error e = fields.error();
    e.message = fmt::format(
        "{} is damaged: {}; remove it, or turn maintenance mode on or off again to rewrite it",
        file.filename().string(), e.message);
    return std::unexpected(std::move(e));
  }
  return s;
}

Status Save(const fs::path& file, const State& s) {
  CONCORD_RETURN_IF_ERROR(ParseRanges(s.allow, "allow"));
  if (s.page.size() > kMaxPageBytes) {
    return InvalidArgument("page", "the maintenance page must be at most 1 MiB");
  }
  if (!IsValidUtf8(s.page)) return InvalidArgument("page", "the maintenance page is not UTF-8");
  if (s.retry_after_seconds < 1 || s.retry_after_seconds > 86400) {
    return InvalidArgument("retryAfter", "Retry-After must be from 1 to 86400 seconds");
  }
  CONCORD_RETURN_IF_ERROR(ValidText(s.reason, "reason", 500));
  nlohmann::json j = {{"enabled", s.enabled}, {"allow", s.allow},
                      {"page", s.page},       {"retryAfterSeconds", s.retry_after_seconds},
                      {"since", s.since},     {"by", s.by},
                      {"reason", s.reason},   {"changedAt", s.changed_at}};
  return WriteFileDurably(file, j.dump(2) + "\n", 0600);
}

std::string Describe(const State& s) {
  if (!s.enabled) return "maintenance: off";
  std::string allowed = "local host";
  for (const auto& a : s.allow) allowed += ", " + a;
  std::string line =
      fmt::format("maintenance: on since {}{}; allowed: {}", FormatTimestamp(s.since),
                  s.by.empty() ? "" : " by " + s.by, allowed);
  if (!s.reason.empty()) line += "; reason: " + s.reason;
  return line;
}

std::string DefaultPage(const State& s) {
  std::string reason = s.reason.empty() ? "" : "<p>" + EscapeHtml(s.reason) + "</p>\n";
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Down for maintenance</title></head>\n<body>\n"
      "<h1>Down for maintenance</h1>\n"
      "<p>This site is temporarily unavailable because of scheduled maintenance work. Please "
      "try again later.</p>\n{}</body></html>\n",
      reason);
}

Result<std::unique_ptr<Gate>> Gate::Create(fs::path file,
                                           const std::vector<std::string>& trusted_proxies) {
  CONCORD_ASSIGN_OR_RETURN(auto trusted, ParseRanges(trusted_proxies, "server.trusted_proxies"));
  auto gate = std::unique_ptr<Gate>(new Gate(std::move(file), std::move(trusted)));
  // A damaged file at start-up is an error the administrator must see now, not a silent "off".
  CONCORD_ASSIGN_OR_RETURN(State s, Load(gate->file_));
  CONCORD_ASSIGN_OR_RETURN(gate->allowed_, ParseRanges(s.allow, "allow"));
  gate->state_ = std::move(s);
  gate->page_ = gate->state_.page.empty() ? DefaultPage(gate->state_) : gate->state_.page;
  std::error_code ec;
  gate->exists_ = fs::exists(gate->file_, ec);
  if (gate->exists_) gate->mtime_ = fs::last_write_time(gate->file_, ec);
  gate->checked_ = std::chrono::steady_clock::now();
  if (gate->state_.enabled) spdlog::warn("{}", Describe(gate->state_));
  return gate;
}

void Gate::Reload() {
  std::lock_guard lock(mu_);
  Refresh(/*force=*/true);
}

void Gate::SetPeers(const std::vector<std::string>& addresses) {
  std::vector<AddressRange> peers;
  for (const auto& a : addresses) {
    auto r = AddressRange::Parse(a, "peer");
    if (r) peers.push_back(*r);
  }
  std::lock_guard lock(mu_);
  peers_ = std::move(peers);
}

void Gate::Refresh(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - checked_ < std::chrono::milliseconds(500)) return;
  checked_ = now;
  std::error_code ec;
  bool exists = fs::exists(file_, ec);
  fs::file_time_type mtime{};
  if (exists) mtime = fs::last_write_time(file_, ec);
  if (!force && exists == exists_ && mtime == mtime_) return;
  auto s = Load(file_);
  if (!s) {
    spdlog::error("{} (keeping the previous maintenance state)", s.error().message);
    return;
  }
  auto allowed = ParseRanges(s->allow, "allow");
  if (!allowed) {
    spdlog::error("maintenance.json: {} (keeping the previous state)", allowed.error().message);
    return;
  }
  exists_ = exists;
  mtime_ = mtime;
  if (s->enabled != state_.enabled) {
    spdlog::warn("{}", Describe(*s));
  }
  state_ = std::move(*s);
  allowed_ = std::move(*allowed);
  page_ = state_.page.empty() ? DefaultPage(state_) : state_.page;
}

bool Gate::IsTrustedProxy(std::string_view remote) const {
  for (const auto& t : trusted_) {
    if (t.Contains(remote)) return true;
  }
  return false;
}

std::string Gate::ClientAddress(const std::string& remote, const std::string& forwarded) const {
  auto trusted = [&](std::string_view a) { return IsTrustedProxy(a); };
  if (forwarded.empty() || !trusted(remote)) return remote;
  // X-Forwarded-For: client, proxy1, proxy2. Walk from the right, past our own proxies: the
  // first address not among them is the one a trusted proxy saw. Entries further left were
  // written by the client and prove nothing.
  std::string client = remote;
  size_t end = forwarded.size();
  while (end > 0) {
    size_t comma = forwarded.rfind(',', end - 1);
    size_t begin = comma == std::string::npos ? 0 : comma + 1;
    std::string entry(Trim(std::string_view(forwarded).substr(begin, end - begin)));
    if (entry.empty()) break;
    client = entry;
    if (!trusted(entry)) break;
    if (comma == std::string::npos) break;
    end = comma;
  }
  return client;
}

bool Gate::Allowed(const State& state, const std::string& client) {
  if (IsLocalHost(client)) return true;
  auto ranges = ParseRanges(state.allow, "allow");
  if (!ranges) return false;
  for (const auto& a : *ranges) {
    if (a.Contains(client)) return true;
  }
  return false;
}

std::optional<http::Response> Gate::Check(const std::string& remote, const std::string& forwarded) {
  std::lock_guard lock(mu_);
  Refresh();
  if (!state_.enabled) return std::nullopt;
  std::string client = ClientAddress(remote, forwarded);
  if (IsLocalHost(client)) return std::nullopt;
  for (const auto& p : peers_) {
    if (p.Contains(client)) return std::nullopt;  // the deployment's own processes
  }
  for (const auto& a : allowed_) {
    if (a.Contains(client)) return std::nullopt;
  }
  http::Response r;
  r.status = 503;
  r.content_type = "text/html; charset=utf-8";
  r.body = page_;
  r.headers.emplace_back("Retry-After", std::to_string(state_.retry_after_seconds));
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Concord-Maintenance", "on");
  // The administrator's own page may style itself and show images; it runs no script.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src * data:; "
                         "font-src *; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  return r;
}

namespace {

nlohmann::json StateJson(const State& s) {
  return {{"enabled", s.enabled},
          {"allow", s.allow},
          {"customPage", !s.page.empty()},
          {"retryAfterSeconds", s.retry_after_seconds},
          {"since", s.enabled ? nlohmann::json(FormatTimestamp(s.since)) : nlohmann::json(nullptr)},
          {"by", s.enabled ? nlohmann::json(s.by) : nlohmann::json(nullptr)},
          {"reason", s.reason},
          {"changedAt", s.changed_at > 0 ? nlohmann::json(FormatTimestamp(s.changed_at))
                                         : nlohmann::json(nullptr)},
          {"changedAtMs", s.changed_at},
          {"description", Describe(s)}};
}

}  // namespace

void MountMaintenanceApi(http::Server& server, const fs::path& file, Gate& gate,
                         const Propagate& propagate) {
  const std::string path = "/api/admin/maintenance";
  server.Get(path, http::Access::kAdministrator,
             [file](const http::Request&) -> Result<http::Response> {
               CONCORD_ASSIGN_OR_RETURN(State s, Load(file));
               return http::Response::Json(200, StateJson(s));
             });
  server.Put(path, http::Access::kAdministrator,
             [file, &gate, propagate](const http::Request& r) -> Result<http::Response> {
               // scope=process: one process of the deployment told by another (no further telling).
               auto scope = r.Query("scope").value_or("deployment");
               if (scope != "process" && scope != "deployment") {
                 return InvalidArgument("scope", "scope is 'deployment' (the default) or 'process'",
                                        {"deployment", "process"});
               }
               bool process_only = scope == "process";
               CONCORD_ASSIGN_OR_RETURN(auto body, http::JsonBody::Parse(r.body));
               CONCORD_ASSIGN_OR_RETURN(auto enabled, body.OptBool("enabled"));
               CONCORD_ASSIGN_OR_RETURN(auto allow, body.OptStringList("allow"));
               CONCORD_ASSIGN_OR_RETURN(auto page, body.OptString("page"));
               CONCORD_ASSIGN_OR_RETURN(auto retry_after, body.OptInt("retryAfterSeconds"));
               CONCORD_ASSIGN_OR_RETURN(auto reason, body.OptString("reason"));
               std::optional<std::string> by;
               std::optional<int64_t> since;
               std::optional<int64_t> changed_at;
               if (process_only) {
                 CONCORD_ASSIGN_OR_RETURN(by, body.OptString("by"));
                 CONCORD_ASSIGN_OR_RETURN(since, body.OptInt("since"));
                 CONCORD_ASSIGN_OR_RETURN(changed_at, body.OptInt("changedAt"));
               }
               CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
               if (!enabled)
                 return InvalidArgument("enabled", "say whether maintenance mode is on",
                                        {"true", "false"});
               CONCORD_ASSIGN_OR_RETURN(State s, Load(file));
               if (*enabled) {
                 if (!s.enabled) {
                   s.since = NowMillis();
                   s.by = r.principal.login;
                 }
                 s.enabled = true;
                 if (allow) s.allow = *allow;
                 if (page) s.page = *page;
                 if (reason) s.reason = *reason;
                 if (by) s.by = *by;
                 if (since) s.since = *since;
                 if (retry_after) {
                   if (*retry_after < 1 || *retry_after > 86400) {
                     return InvalidArgument("retryAfterSeconds",
                                            "Retry-After must be from 1 to 86400 seconds");
                   }
                   s.retry_after_seconds = static_cast<int>(*retry_after);
                 }
                 std::string client = gate.ClientAddress(r.client_address, r.forwarded_for);
                 CONCORD_RETURN_IF_ERROR(ParseRanges(s.allow, "allow"));
                 if (!process_only && !Gate::Allowed(s, client)) {
                   return FailedPrecondition(fmt::format(
                       "this would shut you out: your address {} is not on the allow-list; add it",
                       client));
                 }
               } else {
                 s = State{};
               }
               // Told by another process: the time of the change it tells, not of the telling.
               s.changed_at = changed_at.value_or(NowMillis());
               CONCORD_RETURN_IF_ERROR(Save(file, s));
               gate.Reload();  // enforced from the next request on, before answering
               spdlog::warn("{} (set by {})", Describe(s), r.principal.login);
               nlohmann::json out = StateJson(s);
               if (!process_only && propagate) {
                 CONCORD_ASSIGN_OR_RETURN(nlohmann::json told, propagate(s));
                 out["processes"] = told["processes"];
                 out["complete"] = told["complete"];
               }
               return http::Response::Json(200, out);
             });
}

nlohmann::json ToJson(const State& s) { return StateJson(s); }

}  // namespace concord::maintenance
