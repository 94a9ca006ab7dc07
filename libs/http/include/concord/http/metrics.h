#pragma once
// What a process counts, in Prometheus' text exposition format (version 0.0.4), served at
// GET /metrics (docs/http-api.md, "Metrics"): the server's requests by route, method and status
// with their latencies, failed sign-ins, and whatever the services add (deliveries and queue
// depth per application). Debian packages no Prometheus client library for C++; the format is
// a few lines of text per family, written here with every label value escaped.
//
//   auto& m = server.metrics();
//   m.AddFamily("concord_queue_depth", "gauge", "Deliveries waiting, per application",
//               [] { return std::vector<http::Sample>{{{{"app", "Blog"}}, 3}}; });
//   std::string text = m.Text();

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace concord::http {

struct Sample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

// Thread-safe.
class Metrics {
 public:
  // Upper bounds of the latency histogram's buckets, in seconds.
  static constexpr std::array<double, 10> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,  1,     2.5,  10};

  // One request answered: the route's pattern ("" when none matched), method, status, time.
  void Request(std::string_view route, std::string_view method, int status, double seconds);
  void SignInFailed() { ++sign_in_failures_; }
  // A family computed when scraped (`type`: counter or gauge).
  void AddFamily(std::string name, std::string type, std::string help,
                 std::function<std::vector<Sample>()> samples);
  // The exposition of every family.
  std::string Text() const;

 private:
  struct RequestKey {
    std::string route, method;
    int status;
    bool operator<(const RequestKey& o) const {
      return std::tie(route, method, status) < std::tie(o.route, o.method, o.status);
    }
  };
  struct Latency {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    std::string name, type, help;
    std::function<std::vector<Sample>()> samples;
  };
  mutable std::mutex mu_;
  std::map<RequestKey, uint64_t> requests_;
  std::map<std::string, Latency> latency_;  // by route
  std::atomic<uint64_t> sign_in_failures_{0};
  std::vector<Family> families_;
};

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string EscapeLabelValue(std::string_view value);

}  // namespace concord::http
