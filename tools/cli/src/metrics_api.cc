#include "metrics_api.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "concord/base/json_file.h"
#include "concord/base/secrets.h"

namespace concord::cli {
namespace fs = std::filesystem;

Result<std::string> LoadOrCreateScrapeToken(const fs::path& data_dir) {
  fs::path file = data_dir / "metrics.token";
  std::error_code ec;
  if (fs::exists(file, ec)) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::string token = text.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
    if (token.size() < 16) {
      return InvalidArgument("metrics.token",
                             file.string() +
                                 " holds no usable token (16 characters at least): "
                                 "remove it to have a new one made");
    }
    return token;
  }
  std::string token = RandomPassword(32);
  CONCORD_RETURN_IF_ERROR(WriteFileDurably(file, token + "\n", 0600));
  return token;
}

void MountMetrics(http::Server& server) {
  server.Get("/metrics", http::Access::kMetrics,
             [&server](const http::Request&) -> Result<http::Response> {
               http::Response r;
               r.content_type = "text/plain; version=0.0.4; charset=utf-8";
               r.body = server.metrics().Text();
               return r;
             });
}

DeliveryMetrics::DeliveryMetrics(http::Server& server, CommunitiesRuntime& runtime)
    : runtime_(runtime) {
  auto per_app = [this](int index) {
    std::vector<http::Sample> out;
    for (const auto& [app, v] : Recent().apps) out.push_back({{{"app", app}}, double(v[index])});
    return out;
  };
  server.metrics().AddFamily("concord_lifecycle_queue_pending", "gauge",
                             "Lifecycle deliveries not yet tried, per application",
                             [per_app] { return per_app(0); });
  server.metrics().AddFamily("concord_lifecycle_queue_queued", "gauge",
                             "Lifecycle deliveries queued after a failed attempt, per application",
                             [per_app] { return per_app(1); });
  server.metrics().AddFamily("concord_lifecycle_deliveries_total", "counter",
                             "Lifecycle events this node delivered since it started, per "
                             "application",
                             [per_app] { return per_app(2); });
  server.metrics().AddFamily("concord_lifecycle_delivery_failures_total", "counter",
                             "Delivery attempts that failed (the event stays queued), per "
                             "application",
                             [per_app] { return per_app(3); });
  server.Get("/communities/api/admin/metrics/history", http::Access::kAdministrator,
             [this](const http::Request&) -> Result<http::Response> {
               return http::Response::Json(200, History());
             });
}

DeliveryMetrics::~DeliveryMetrics() { Stop(); }

DeliveryMetrics::Sample DeliveryMetrics::Take() const {
  Sample s;
  s.at = NowMillis();
  if (runtime_.dispatcher) {
    for (const auto& [app, attempts] : runtime_.dispatcher->Attempts()) {
      s.apps[app] = {0, 0, attempts.first, attempts.second};
    }
  }
  if (auto counts = runtime_.cluster->DeliveryCounts()) {
    for (const auto& [app, c] : *counts) {
      s.apps[app][0] = c.pending;
      s.apps[app][1] = c.queued;
    }
  }
  return s;
}

DeliveryMetrics::Sample DeliveryMetrics::Recent() const {
  std::lock_guard lock(recent_mu_);
  if (NowMillis() - recent_.at > 1000) recent_ = Take();
  return recent_;
}

void DeliveryMetrics::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      Sample s = Take();
      lock.lock();
      samples_.push_back(std::move(s));
      if (samples_.size() > kSamples) samples_.pop_front();
      wake_.wait_for(lock, kInterval, [&] { return stopping_; });
    }
  });
}

void DeliveryMetrics::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

nlohmann::json DeliveryMetrics::History() const {
  nlohmann::json samples = nlohmann::json::array();
  std::lock_guard lock(mu_);
  for (const auto& s : samples_) {
    nlohmann::json apps = nlohmann::json::object();
    for (const auto& [app, v] : s.apps) {
      apps[app] = {{"pending", v[0]}, {"queued", v[1]}, {"delivered", v[2]}, {"failed", v[3]}};
    }
    samples.push_back({{"at", s.at}, {"apps", apps}});
  }
  return {{"intervalSeconds", kInterval.count()}, {"samples", samples}};
}

}  // namespace concord::cli
