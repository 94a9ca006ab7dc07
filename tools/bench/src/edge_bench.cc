// concord-bench-edge: the HTTP edge under the attacks of the hardening issue, against a real
// `concord serve` on a fresh deployment. For each attack it prints what a signed-in user saw
// meanwhile (latency of a small GET, p50 and max) beside the same figure measured without any
// attack in the same run, the server's resident memory (now and its peak, VmRSS and VmHWM), and
// what the attackers got. See tools/bench/README.md.
//
//   CONCORD_BIN_DIR=build/bin build/bin/concord-bench-edge [--seconds N]
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "concord/http/client.h"
#include "concord/testing/process.h"

namespace fs = std::filesystem;
using namespace concord;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double StatusMb(int pid, const char* key) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key)) return std::stod(line.substr(std::string_view(key).size())) / 1024;
  }
  return -1;
}

void ResetPeak(int pid) { std::ofstream(fmt::format("/proc/{}/clear_refs", pid)) << "5"; }

int Connect(int port, const std::string& from) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, from.c_str(), &local.sin_addr);
  (void)::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval wait{10, 0};  // a server that never answers must not hang the benchmark
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait);
  return fd;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// A signed-in user asking for one community, again and again, while `running`.
struct Probe {
  std::vector<double> ms;
  int failures = 0;
  void Run(const std::string& url, const std::string& password, const std::atomic<bool>& running) {
    http::Client c({.url = url, .user = "admin", .password = password, .timeout = 30s});
    // Signed in: the first request (an Argon2id check, unless cached) is not counted.
    if (!c.Get("/communities/api/communities?limit=1")) ++failures;
    while (running) {
      auto t = Clock::now();
      auto r = c.Get("/communities/api/communities?limit=1");
      ms.push_back(Ms(Clock::now() - t));
      if (!r) ++failures;
      std::this_thread::sleep_for(50ms);
    }
  }
  std::string Summary() {
    if (ms.empty()) return "no requests";
    std::sort(ms.begin(), ms.end());
    return fmt::format("p50 {:.1f} ms, max {:.1f} ms over {} requests, {} failed",
                       ms[ms.size() / 2], ms.back(), ms.size(), failures);
  }
  double Max() const { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }
};

struct Attack {
  std::string name;
  std::function<std::string(const std::atomic<bool>& running)> run;  // returns what it got
};

}  // namespace

int main(int argc, char** argv) {
  int seconds = 60;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--seconds") seconds = std::stoi(argv[i + 1]);
  }
  testing::TempDir dir("bench-edge");
  testing::ConcordServer server(dir.path());
  if (auto s = server.Start(); !s) {
    std::cerr << "concord-bench-edge: " << s.error().message << "\n";
    return 1;
  }
  int pid = server.pid();
  std::string url = server.url();
  int port = std::stoi(url.substr(url.rfind(':') + 1));
  std::string password = server.AdminPassword();

  std::vector<Attack> attacks = {
      {"none (baseline)",
       [&](const std::atomic<bool>& running) {
         while (running) std::this_thread::sleep_for(50ms);
         return std::string("-");
       }},
      {"64 slow clients (one header byte every 2 s)",
       [&](const std::atomic<bool>& running) {
         std::vector<int> fds;
         for (int i = 0; i < 64; ++i) {
           int fd = Connect(port, "127.0.0.2");
           if (fd >= 0 && SendAll(fd, "GET /communities/api/status HTTP/1.1\r\nHost: x\r\nX-A: ")) {
             fds.push_back(fd);
           }
         }
         int cut = 0;
         while (running) {
           for (auto& fd : fds) {
             if (fd >= 0 && !SendAll(fd, "a")) {
               ::close(fd);
               fd = -1;
               ++cut;
             }
           }
           for (int k = 0; k < 40 && running; ++k) std::this_thread::sleep_for(50ms);
         }
         for (int fd : fds) {
           if (fd >= 0) ::close(fd);
         }
         return fmt::format("{} connections opened, {} cut off by the server", fds.size(), cut);
       }},
      {"16 password guessers (16 addresses, 16 logins)",
       [&](const std::atomic<bool>& running) {
         std::map<int, int> statuses;
         std::mutex mu;
         std::vector<std::thread> threads;
         threads.reserve(16);
         for (int i = 0; i < 16; ++i) {
           threads.emplace_back([&, i] {
             http::Client c({.url = url,
                             .user = i == 0 ? "admin" : fmt::format("user{:06}", i),
                             .password = "guess",
                             .timeout = 30s,
                             .source_address = fmt::format("127.0.1.{}", i + 1)});
             while (running) {
               auto r = c.Send("GET", "/communities/api/status", "");
               std::lock_guard l(mu);
               ++statuses[r ? r->status : 0];
             }
           });
         }
         for (auto& t : threads) t.join();
         std::string out;
         for (auto [status, n] : statuses) out += fmt::format("{}: {}  ", status, n);
         return out;
       }},
      {"header flood (one connection, up to 4 million headers)",
       [&](const std::atomic<bool>&) {
         int fd = Connect(port, "127.0.0.3");
         SendAll(fd, "GET /communities/api/status HTTP/1.1\r\nHost: x\r\n");
         std::string block;
         for (int i = 0; i < 1000; ++i) block += "X-F: 1\r\n";
         int sent = 0;
         while (sent < 4000 && SendAll(fd, block)) ++sent;
         char buf[256] = {};
         ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
         ::close(fd);
         std::string reply = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
         return fmt::format(
             "{} thousand headers sent (after its reply the server discards input "
             "for 2 s at most, then closes); reply '{}'",
             sent, reply.substr(0, reply.find('\r')));
       }},
      {"deep JSON (8 bodies of 4 MB of '[', signed in)",
       [&](const std::atomic<bool>&) {
         std::string deep(4 * 1024 * 1024 - 16, '[');
         std::vector<std::thread> threads;
         std::atomic<int> refused{0};
         threads.reserve(8);
         for (int i = 0; i < 8; ++i) {
           threads.emplace_back([&] {
             http::Client c({.url = url, .user = "admin", .password = password, .timeout = 60s});
             auto r = c.Send("POST", "/communities/api/communities", deep);
             if (r && r->status == 400) ++refused;
           });
         }
         for (auto& t : threads) t.join();
         return fmt::format("{} of 8 refused with 400", refused.load());
       }},
  };

  std::cout << fmt::format("concord-bench-edge: {} s per attack, server pid {}\n", seconds, pid);
  double baseline_max = 0;
  for (const auto& attack : attacks) {
    ResetPeak(pid);
    double rss_before = StatusMb(pid, "VmRSS:");
    std::atomic<bool> running{true};
    Probe probe;
    std::thread user([&] { probe.Run(url, password, running); });
    std::string got;
    std::thread attacker([&] { got = attack.run(running); });
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    running = false;
    attacker.join();
    user.join();
    if (baseline_max == 0) baseline_max = std::max(probe.Max(), 0.1);
    std::cout << fmt::format(
        "{}\n  signed-in user: {} (max {:.1f}x the baseline's)\n  server: {:.0f} MB before, "
        "{:.0f} MB after, peak {:.0f} MB\n  attackers got: {}\n",
        attack.name, probe.Summary(), probe.Max() / baseline_max, rss_before,
        StatusMb(pid, "VmRSS:"), StatusMb(pid, "VmHWM:"), got);
  }
  server.Stop();
  return 0;
}
