#pragma once
// Maintenance mode: while it is on, Concord turns away every request from an address outside
// the allow-list with 503, a Retry-After header and the maintenance page, so that nobody uses a
// deployment under repair while the administrator keeps working from an allowed address (the
// reference blocks users at the HTTP server in the same way; connections-admin.md 4.2 step 1).
//
// The state lives in <data-dir>/maintenance.json, so it survives restarts and is shared by the
// `concord maintenance` command and the running server, which notices a change within a
// second:
//
//   CONCORD_RETURN_IF_ERROR(maintenance::Save(dir.Maintenance(), {.enabled = true, ...}));
//   maintenance::Gate gate(dir.Maintenance(), trusted_proxies);   // in the server
//   if (auto refusal = gate.Check(remote_addr, forwarded_for)) send(*refusal);
//
// The local host (127.0.0.1 and ::1) is always allowed; every other address, other loopback
// addresses such as 127.0.0.2 included, must be on the allow-list.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "concord/base/clock.h"
#include "concord/base/error.h"
#include "concord/http/server.h"

namespace concord::maintenance {

namespace fs = std::filesystem;

// One address or a CIDR range, IPv4 or IPv6 ("10.1.2.3", "192.168.0.0/16", "fd00::/8").
class AddressRange {
 public:
  // kInvalidArgument (field `field`) naming the text if it is neither.
  static Result<AddressRange> Parse(std::string_view text, std::string_view field = "allow");
  // Whether `address` (as a socket reports it; IPv4-mapped IPv6 counts as IPv4) is inside.
  bool Contains(std::string_view address) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  int family_ = 0;  // AF_INET or AF_INET6
  unsigned char bytes_[16] = {};
  int prefix_ = 0;
};

// Parses a list; the first bad entry fails the whole list.
Result<std::vector<AddressRange>> ParseRanges(const std::vector<std::string>& texts,
                                              std::string_view field);

struct State {
  bool enabled = false;
  std::vector<std::string> allow;  // addresses and CIDR ranges besides the local host
  std::string page;                // the HTML page; empty for the default one
  int retry_after_seconds = 300;   // what Retry-After tells clients
  Millis since = 0;                // when it was turned on
  std::string by;                  // who turned it on
  std::string reason;              // optional, shown in `status` and on the default page
  // When the state last changed (on, off, or a new allow-list), by the clock of the host that
  // changed it: of two states, the later change wins (a deployment's hosts keep their clocks
  // in step, as NTP does). 0 for a file written before Concord recorded it.
  Millis changed_at = 0;
};

// The state in `file`; a missing file means off. kInvalidArgument for a damaged file.
Result<State> Load(const fs::path& file);
// Writes the state atomically (a temporary file renamed over it). Validates the allow-list
// (kInvalidArgument naming the bad entry) and the page (UTF-8, at most 1 MiB) first.
Status Save(const fs::path& file, const State& state);
// One line for people and scripts: "maintenance: on since ... by ...; allowed: ..." or
// "maintenance: off".
std::string Describe(const State& state);
// The page shown when none is given (the reason, if any, escaped).
std::string DefaultPage(const State& state);

// The server's check, one per process. Thread-safe. It re-reads the file when it changes
// (checked at most every 500 ms), and keeps the last good state if the file is damaged.
class Gate {
 public:
  // kInvalidArgument naming a bad trusted proxy entry.
  static Result<std::unique_ptr<Gate>> Create(fs::path file,
                                              const std::vector<std::string>& trusted_proxies);
  // The refusal to send instead of serving the request, or nullopt to serve it. The client is
  // `remote_address`, or, when that is a trusted proxy, the last address in `forwarded_for`
  // (X-Forwarded-For) that is not itself a trusted proxy.
  std::optional<http::Response> Check(const std::string& remote_address,
                                      const std::string& forwarded_for);
  // Whether `client` (an address as ClientAddress returns it) may come in while on: the local
  // host, or inside one of `state`'s allowed ranges.
  static bool Allowed(const State& state, const std::string& client);
  // Reads the file now (a change made through the API is enforced from the next request on).
  void Reload();
  // The deployment's own processes (their addresses): always let in, like the local host, so
  // that deliveries, sign-in checks and the deployment's commands go on while users are out.
  void SetPeers(const std::vector<std::string>& addresses);
  // Whether `remote_address` is one of the trusted proxies.
  bool IsTrustedProxy(std::string_view remote_address) const;
  // The client address Check() judged by.
  std::string ClientAddress(const std::string& remote_address,
                            const std::string& forwarded_for) const;

 private:
  Gate(fs::path file, std::vector<AddressRange> trusted)
      : file_(std::move(file)), trusted_(std::move(trusted)) {}
  void Refresh(bool force = false);

  fs::path file_;
  std::vector<AddressRange> trusted_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point checked_{};
  fs::file_time_type mtime_{};
  bool exists_ = false;
  State state_;
  std::vector<AddressRange> allowed_;
  std::vector<AddressRange> peers_;
  std::string page_;
};

// Tells the deployment's other processes a new state (PUT /api/admin/maintenance?scope=process
// on each), returning {"processes": [{"url", "services", "told", "error"?}], "complete": bool}.
using Propagate = std::function<Result<nlohmann::json>(const State&)>;

// Mounts GET and PUT /api/admin/maintenance (docs/http-api.md) on `server`: administrators read
// and change the state in `file`, enforced by `gate` before the reply. A change that would shut
// out the caller's own address is refused (kFailedPrecondition naming it). Unless the request
// says `scope=process`, `propagate` (if set) tells the rest of the deployment, and the reply
// lists every process and whether it was told.
void MountMaintenanceApi(http::Server& server, const fs::path& file, Gate& gate,
                         const Propagate& propagate = {});

// The state as the API shows it.
nlohmann::json ToJson(const State& state);

}  // namespace concord::maintenance
