// concord-bench-lifecycle: how many community changes per second the API accepts and every
// application applies, on a populated deployment (its concord.toml picks SQLite or PostgreSQL),
// and how long each change takes from Communities' commit to the last application's (the
// event's `created` in Communities' log against each application's `appliedAt` of the same seq;
// one clock, one machine). With RATE, the changes are paced at RATE a second (open loop)
// rather than sent as fast as the clients go. The floor, in the same run: the same clients
// reading the same communities (HTTP, sign-in and one database read per request, no write, no
// event). See tools/bench/README.md.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "concord/apps/registry.h"
#include "concord/base/clock.h"
#include "concord/http/client.h"
#include "concord/testing/process.h"

namespace concord {
namespace {

namespace fs = std::filesystem;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Fail(const std::string& why) {
  std::cerr << "concord-bench-lifecycle: " << why << "\n";
  return 1;
}

// Runs `op(i)` for i in [0, n) on `clients` threads, each with its own keep-alive client;
// returns the seconds taken, or an error count through `failures`.
template <typename Op>
double OnClients(const testing::ConcordServer& server, int clients, int n,
                 std::atomic<int>& failures, Op op) {
  std::atomic<int> next{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(clients));
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&] {
      auto client = server.AdminClient();
      for (int i = next++; i < n; i = next++) {
        if (!op(client, i)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  return Seconds(start);
}

struct Latencies {
  size_t changes = 0;                // changes whose every application was found
  double p50 = 0, p99 = 0, max = 0;  // ms
};

// Change-to-applied for every event logged after `after`: the last recipient's appliedAt minus
// the event's created, in ms.
Result<Latencies> MeasureLatencies(http::Client& admin, int64_t after) {
  std::map<int64_t, std::pair<Millis, std::vector<std::string>>> events;  // seq → created, apps
  for (int64_t cursor = after;;) {
    CONCORD_ASSIGN_OR_RETURN(
        auto page,
        admin.Get(fmt::format("/communities/api/admin/events/log?after={}&limit=1000", cursor)));
    for (const auto& e : page["items"]) {
      std::vector<std::string> apps;
      if (e["recipients"].is_array()) {
        for (const auto& a : e["recipients"]) apps.push_back(a);
      }
      events[e["seq"].get<int64_t>()] = {
          ParseTimestamp(e["created"].get<std::string>()).value_or(0), apps};
    }
    if (page["next"].is_null()) break;
    cursor = page["next"].get<int64_t>();
  }
  std::map<int64_t, Millis> last_applied;  // seq → the latest appliedAt among its recipients
  std::map<int64_t, size_t> applied_by;    // seq → how many recipients applied it
  for (const auto* app : apps::All()) {
    for (const auto& w : app->widgets) {
      for (int64_t cursor = after;;) {
        CONCORD_ASSIGN_OR_RETURN(
            auto page, admin.Get(fmt::format("/{}/api/admin/applied/{}?after={}&limit=5000",
                                             app->service, w.def_id, cursor)));
        for (const auto& a : page["items"]) {
          int64_t seq = a["seq"];
          Millis at = ParseTimestamp(a["appliedAt"].get<std::string>()).value_or(0);
          last_applied[seq] = std::max(last_applied[seq], at);
          ++applied_by[seq];
        }
        if (page["next"].is_null()) break;
        cursor = page["next"].get<int64_t>();
      }
    }
  }
  std::vector<double> ms;
  for (const auto& [seq, e] : events) {
    if (applied_by[seq] < e.second.size() || e.second.empty()) continue;
    ms.push_back(static_cast<double>(last_applied[seq] - e.first));
  }
  Latencies out;
  out.changes = ms.size();
  if (ms.empty()) return out;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * static_cast<double>(ms.size())))];
  };
  out.p50 = at(0.50);
  out.p99 = at(0.99);
  out.max = ms.back();
  return out;
}

int Run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: concord-bench-lifecycle DATA_DIR [CHANGES=2000] [CLIENTS=16] [RATE]   "
                 "(a populated, stopped deployment; RATE: changes a second, paced)\n";
    return 2;
  }
  fs::path dir = fs::absolute(argv[1]);
  int changes = argc > 2 ? std::atoi(argv[2]) : 2000;
  int clients = argc > 3 ? std::atoi(argv[3]) : 16;
  double rate = argc > 4 ? std::atof(argv[4]) : 0;
  if (changes < 1 || clients < 1 || rate < 0) {
    return Fail("CHANGES and CLIENTS must be positive, RATE positive if given");
  }

  testing::ConcordServer server(dir);
  if (auto s = server.Start(); !s) return Fail(s.error().message);
  auto admin = server.AdminClient();
  std::vector<std::string> uuids;
  std::string after;
  while (static_cast<int>(uuids.size()) < changes) {
    auto page = admin.Get("/communities/api/communities?limit=500" +
                          (after.empty() ? "" : "&after=" + after));
    if (!page) return Fail(page.error().message);
    if ((*page)["items"].empty()) break;
    for (const auto& c : (*page)["items"]) uuids.push_back(c["uuid"]);
    if ((*page)["next"].is_null()) break;
    after = (*page)["next"].get<std::string>();
  }
  if (static_cast<int>(uuids.size()) < changes) {
    return Fail(fmt::format("the deployment has {} communities; populate at least {}", uuids.size(),
                            changes));
  }
  const std::string base = "/communities/api/communities/";

  // Floor: the same clients reading the same communities, twice (the second, warm, counts).
  std::atomic<int> failures{0};
  auto read = [&](http::Client& c, int i) { return c.Get(base + uuids[i]).has_value(); };
  OnClients(server, clients, changes, failures, read);
  double floor = OnClients(server, clients, changes, failures, read);

  // Renames, each a change every application with a widget in that community must apply. The
  // names are new to this run (a name the community already has changes nothing).
  const auto run = std::chrono::system_clock::now().time_since_epoch().count();
  auto log = admin.Get("/communities/api/admin/events");
  if (!log) return Fail(log.error().message);
  const int64_t before = (*log)["assigned"];
  auto start = std::chrono::steady_clock::now();
  double accepted = OnClients(server, clients, changes, failures, [&](http::Client& c, int i) {
    if (rate > 0) {  // change i is due at start + i / RATE
      std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                std::chrono::duration<double>(i / rate)));
    }
    return c.Put(base + uuids[i], {{"name", fmt::format("Bench rename {} {}", run, i)}})
        .has_value();
  });
  if (!testing::WaitForEmptyQueue(admin)) {
    // WaitForEmptyQueue gives up after 10 s: keep waiting, reporting, up to 10 minutes.
    for (int i = 0; i < 600 && !testing::WaitForEmptyQueue(admin); ++i) {
    }
  }
  double applied = Seconds(start);
  auto events = admin.Get("/communities/api/admin/queue/events?limit=1");
  bool drained = events && (*events)["items"].empty();
  auto latencies = MeasureLatencies(admin, before);
  server.Stop();
  if (!latencies) return Fail(latencies.error().message);
  if (failures > 0) return Fail(fmt::format("{} requests failed", failures.load()));
  if (!drained) return Fail("the delivery queue did not drain");

  fmt::print("{} changes, {} clients{} ({})\n", changes, clients,
             rate > 0 ? fmt::format(", paced at {:.0f}/s", rate) : "", dir.string());
  fmt::print("floor (reads):        {:8.0f} requests/s  ({:.2f} s)\n", changes / floor, floor);
  fmt::print("accepted (renames):   {:8.0f} changes/s   ({:.2f} s)  {:.2f}x the floor's time\n",
             changes / accepted, accepted, accepted / floor);
  fmt::print("applied everywhere:   {:8.0f} changes/s   ({:.2f} s)  {:.2f}x the floor's time\n",
             changes / applied, applied, applied / floor);
  fmt::print("change to applied:    p50 {:.0f} ms, p99 {:.0f} ms, max {:.0f} ms  ({} events)\n",
             latencies->p50, latencies->p99, latencies->max, latencies->changes);
  return 0;
}

}  // namespace
}  // namespace concord

int main(int argc, char** argv) {
  try {
    return concord::Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "concord-bench-lifecycle: " << e.what() << "\n";
    return 1;
  }
}
