#include "metrics_api.h"

#include <spdlog/spdlog.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "concord/base/json_file.h"
#include "concord/base/secrets.h"
#include "concord/http/client.h"

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
  // Tests sample faster than every 10 s (CONCORD_METRICS_INTERVAL_MS), to see a sample or two.
  if (const char* ms = std::getenv("CONCORD_METRICS_INTERVAL_MS"); ms && std::atoll(ms) > 0) {
    interval_ = std::chrono::milliseconds(std::atoll(ms));
  }
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
             [this](const http::Request& r) -> Result<http::Response> {
               CONCORD_RETURN_IF_ERROR(http::CheckQuery(r, {"scope"}));
               auto scope = r.Query("scope").value_or("deployment");
               if (r.query.count("scope") > 1 || (scope != "node" && scope != "deployment")) {
                 return InvalidArgument("scope", "scope must be node or deployment (once)",
                                        {"node", "deployment"});
               }
               if (scope == "node") {
                 auto own = History();
                 own["scope"] = "node";
                 return http::Response::Json(200, own);
               }
               return http::Response::Json(200, DeploymentHistory());
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
      wake_.wait_for(lock, interval_, [&] { return stopping_; });
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
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(interval_).count();
  nlohmann::json interval =
      ms % 1000 == 0 ? nlohmann::json(ms / 1000) : nlohmann::json(static_cast<double>(ms) / 1000.0);
  return {{"intervalSeconds", interval}, {"samples", samples}};
}

// Deliveries are made by the node holding each application's lease, which moves: the history
// of the deployment sums every Communities node's deliveries, bucket by sampling interval.
// Queue depth is the deployment's already (one queue in Communities' database): this node's.
nlohmann::json DeliveryMetrics::DeploymentHistory() const {
  using nlohmann::json;
  json own = History();
  json nodes = json::array();
  std::vector<json> histories{own};
  auto records = runtime_.cluster->Nodes();
  Millis now = NowMillis();
  if (records) {
    // Each other node once: a record left by this node's earlier identity, at its URL, is this
    // node, and two records of one URL are one process.
    std::set<std::string> seen;
    for (const auto& n : *records) {
      if (n.node_id == runtime_.cluster->node_id()) seen.insert(n.url);
    }
    for (const auto& n : *records) {
      if (!n.Up(now) || n.url.empty() || !seen.insert(n.url).second) continue;
      http::Client other({.url = n.url,
                          .user = runtime_.lifecycle_login,
                          .password = runtime_.lifecycle_password,
                          .timeout = std::chrono::seconds(2)});
      auto h = other.Get("/communities/api/admin/metrics/history?scope=node");
      if (h && h->is_object() && h->contains("samples") && (*h)["samples"].is_array()) {
        histories.push_back(std::move(*h));
        nodes.push_back({{"url", n.url}, {"included", true}});
      } else {
        nodes.push_back({{"url", n.url},
                         {"included", false},
                         {"error", h ? std::string("not a history") : h.error().message}});
      }
    }
  }
  auto bucket_ms = std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::milliseconds>(interval_).count());
  // Per bucket and application: the deliveries and failures each node made since its previous
  // sample (a node's restart counts from zero again), and this node's queue depth.
  struct Bucket {
    Millis at = 0;
    std::map<std::string, std::array<int64_t, 2>> depth;   // this node's: pending, queued
    std::map<std::string, std::array<int64_t, 2>> counts;  // every node's: delivered, failed
  };
  std::map<int64_t, Bucket> buckets;
  for (size_t h = 0; h < histories.size(); ++h) {
    const json& samples = histories[h]["samples"];
    std::map<std::string, std::array<int64_t, 2>> previous;
    for (const auto& sample : samples) {
      if (!sample.is_object() || !sample.contains("at") || !sample["at"].is_number_integer() ||
          !sample.contains("apps") || !sample["apps"].is_object()) {
        continue;
      }
      Millis at = sample["at"].get<Millis>();
      Bucket& b = buckets[at / bucket_ms];
      if (h == 0 || b.at == 0) b.at = at;
      for (const auto& [app, v] : sample["apps"].items()) {
        if (!v.is_object()) continue;
        // Another node's answer is read field by field: a wrong type counts as nothing.
        auto number = [&v](const char* key) {
          return v.contains(key) && v[key].is_number_integer() ? v[key].get<int64_t>() : 0;
        };
        auto& cell = b.counts[app];
        if (h == 0) b.depth[app] = {number("pending"), number("queued")};
        std::array<int64_t, 2> counters = {number("delivered"), number("failed")};
        if (auto p = previous.find(app); p != previous.end()) {
          for (int i = 0; i < 2; ++i) {
            int64_t delta = counters[i] - p->second[i];
            cell[i] += delta >= 0 ? delta : counters[i];
          }
        }
        previous[app] = counters;
      }
    }
  }
  // Back to counters (running sums), the shape the dashboard reads.
  json samples = json::array();
  std::map<std::string, std::array<int64_t, 2>> total;
  std::map<std::string, std::array<int64_t, 2>> depth;  // the last this node saw
  for (const auto& [key, b] : buckets) {
    json apps = json::object();
    for (const auto& [app, d] : b.depth) depth[app] = d;
    for (const auto& [app, v] : b.counts) {
      auto& t = total[app];
      t[0] += v[0];
      t[1] += v[1];
      const auto& d = depth[app];
      apps[app] = {{"pending", d[0]}, {"queued", d[1]}, {"delivered", t[0]}, {"failed", t[1]}};
    }
    samples.push_back({{"at", b.at}, {"apps", apps}});
  }
  return {{"intervalSeconds", own["intervalSeconds"]},
          {"samples", samples},
          {"scope", "deployment"},
          {"otherNodes", nodes}};
}

}  // namespace concord::cli
