#pragma once
// The metrics of a process (docs/http-api.md, "Metrics"): GET /metrics in Prometheus' text
// format, for administrators or a scraper with the token in <data-dir>/metrics.token; in a
// Communities process also each application's deliveries and queue depth, sampled every 10 s
// for the last hour (GET /communities/api/admin/metrics/history), which the dashboard charts.

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "communities_runtime.h"
#include "concord/base/error.h"
#include "concord/http/server.h"

namespace concord::cli {

// The scrape token: read from <data-dir>/metrics.token, made (random, mode 0600) if missing.
Result<std::string> LoadOrCreateScrapeToken(const std::filesystem::path& data_dir);

// GET /metrics.
void MountMetrics(http::Server& server);

// A Communities process's delivery figures: added to the server's metrics, and sampled.
class DeliveryMetrics {
 public:
  static constexpr std::chrono::seconds kInterval{10};
  static constexpr size_t kSamples = 360;  // an hour

  DeliveryMetrics(http::Server& server, CommunitiesRuntime& runtime);
  ~DeliveryMetrics();
  void Start();
  void Stop();

 private:
  struct Sample {
    Millis at = 0;
    std::map<std::string, std::array<int64_t, 4>> apps;  // pending, queued, delivered, failed
  };
  Sample Take() const;
  // Take(), at most once a second (a scrape reads four families of one sample).
  Sample Recent() const;
  nlohmann::json History() const;  // this node's samples
  // Every Communities node's deliveries summed per interval, with this node's queue depth.
  nlohmann::json DeploymentHistory() const;
  std::chrono::milliseconds interval_ = kInterval;

  CommunitiesRuntime& runtime_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<Sample> samples_;
  mutable std::mutex recent_mu_;
  mutable Sample recent_;
  std::thread thread_;
};

}  // namespace concord::cli
