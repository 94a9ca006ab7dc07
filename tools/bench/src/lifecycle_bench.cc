// concord-bench-lifecycle: how many community changes per second the API accepts and every
// application applies, on a populated deployment (its concord.toml picks SQLite or PostgreSQL).
// The floor, in the same run: the same clients reading the same communities (HTTP, sign-in and
// one database read per request, no write, no event). See tools/bench/README.md.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

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

int Run(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: concord-bench-lifecycle DATA_DIR [CHANGES=2000] [CLIENTS=16]   (a "
                 "populated, stopped deployment)\n";
    return 2;
  }
  fs::path dir = fs::absolute(argv[1]);
  int changes = argc > 2 ? std::atoi(argv[2]) : 2000;
  int clients = argc > 3 ? std::atoi(argv[3]) : 16;
  if (changes < 1 || clients < 1) return Fail("CHANGES and CLIENTS must be positive");

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
  auto start = std::chrono::steady_clock::now();
  double accepted = OnClients(server, clients, changes, failures, [&](http::Client& c, int i) {
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
  server.Stop();
  if (failures > 0) return Fail(fmt::format("{} requests failed", failures.load()));
  if (!drained) return Fail("the delivery queue did not drain");

  fmt::print("{} changes, {} clients ({})\n", changes, clients, dir.string());
  fmt::print("floor (reads):        {:8.0f} requests/s  ({:.2f} s)\n", changes / floor, floor);
  fmt::print("accepted (renames):   {:8.0f} changes/s   ({:.2f} s)  {:.2f}x the floor's time\n",
             changes / accepted, accepted, accepted / floor);
  fmt::print("applied everywhere:   {:8.0f} changes/s   ({:.2f} s)  {:.2f}x the floor's time\n",
             changes / applied, applied, applied / floor);
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
