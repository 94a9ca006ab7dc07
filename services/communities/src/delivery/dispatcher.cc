#include "concord/communities/dispatcher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <future>
#include <set>

#include "concord/http/client.h"
#include "store/community_store.h"
#include "store/event_store.h"

namespace concord::communities {
namespace {

const store::EventStore kEvents;
const store::CommunityStore kWidgets;

struct RetryRequest {
  RetryFilter filter;
  std::promise<RetryOutcome> done;
};

}  // namespace

struct Dispatcher::Worker {
  HandlerEndpoint endpoint;
  DispatcherOptions* options;
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
  bool notified = true;  // deliver what is pending at start-up
  std::vector<std::shared_ptr<RetryRequest>> retries;
  std::thread thread;

  // One attempt; on success records it (and a remote.app.added's resource id).
  Status Deliver(http::Client& client, const store::QueuedDelivery& d) {
    auto reply = client.Send("POST", UrlPath(), d.payload);
    std::string error;
    if (!reply) {
      error = reply.error().message;
    } else if (reply->status < 200 || reply->status > 299) {
      error = fmt::format("HTTP {}: {}", reply->status, reply->raw_body.substr(0, 300));
    }
    Millis now = NowMillis();
    if (!error.empty()) {
      CONCORD_RETURN_IF_ERROR(
          options->database->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) {
            return kEvents.Failed(c, d.seq, d.remote_app_def_id, d.community, error, now);
          }));
      return Unavailable(error);
    }
    return options->database->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Status {
      if (d.event_type == "remote.app.added" && reply->body.is_object() &&
          reply->body.contains("resourceId") && reply->body["resourceId"].is_string()) {
        auto payload = nlohmann::json::parse(d.payload, nullptr, false);
        std::string instance = payload.is_object() ? payload["widget"].value("instanceId", "") : "";
        CONCORD_RETURN_IF_ERROR(kWidgets.SetRemoteResource(
            c, WidgetInstanceId(instance), reply->body["resourceId"].get<std::string>()));
      }
      return kEvents.Delivered(c, d.seq, d.remote_app_def_id);
    });
  }

  std::string UrlPath() const {
    // endpoint.url is absolute; the client is bound to its scheme, host and port.
    auto p = endpoint.url.find('/', endpoint.url.find("//") + 2);
    return p == std::string::npos ? "/" : endpoint.url.substr(p);
  }
  std::string UrlBase() const {
    auto p = endpoint.url.find('/', endpoint.url.find("//") + 2);
    return endpoint.url.substr(0, p);
  }

  // Delivers pending deliveries in order.
  void DeliverPending(http::Client& client) {
    int64_t after = 0;
    while (true) {
      auto batch = options->database->InTransaction(db::TxMode::kRead, [&](db::Connection& c) {
        return kEvents.Deliveries(c, endpoint.remote_app_def_id, "pending", after, 100);
      });
      if (!batch) {
        spdlog::error("dispatcher {}: {}", endpoint.remote_app_def_id, batch.error().message);
        return;
      }
      if (batch->empty()) return;
      std::set<std::string> held;  // communities whose earlier delivery failed in this pass
      for (const auto& d : *batch) {
        after = d.seq;
        if (held.contains(d.community.value())) continue;  // already marked queued by Failed()
        auto s = Deliver(client, d);
        if (!s) {
          spdlog::warn("lifecycle event {} ({}) for {} queued: {}", d.seq, d.event_type,
                       d.remote_app_def_id, s.error().message);
          held.insert(d.community.value());
        }
      }
    }
  }

  RetryOutcome DeliverQueued(http::Client& client, const RetryFilter& f) {
    RetryOutcome out;
    int64_t after = 0;
    std::set<std::string> held;
    bool app_down = false;
    while (true) {
      auto batch = options->database->InTransaction(db::TxMode::kRead, [&](db::Connection& c) {
        return kEvents.Deliveries(c, endpoint.remote_app_def_id, "queued", after, 100);
      });
      if (!batch || batch->empty()) break;
      for (const auto& d : *batch) {
        after = d.seq;
        if (f.community_uuid && d.community.value() != *f.community_uuid) continue;
        if (app_down || held.contains(d.community.value())) {
          ++out.still_queued;
          continue;
        }
        auto s = Deliver(client, d);
        if (s) {
          ++out.delivered;
        } else {
          ++out.still_queued;
          held.insert(d.community.value());
          // Refused or unreachable: the application is down; stop hammering it.
          if (s.error().message.find("cannot reach") != std::string::npos) app_down = true;
        }
      }
    }
    return out;
  }

  void Run() {
    http::Client client({.url = UrlBase(),
                         .user = options->user,
                         .password = options->password,
                         .timeout = options->timeout});
    std::unique_lock lock(mu);
    while (true) {
      wake.wait(lock, [&] { return stopping || notified || !retries.empty(); });
      if (stopping) break;
      auto pending_retries = std::move(retries);
      retries.clear();
      notified = false;
      lock.unlock();
      for (auto& r : pending_retries) r->done.set_value(DeliverQueued(client, r->filter));
      DeliverPending(client);
      lock.lock();
    }
    for (auto& r : retries) r->done.set_value(RetryOutcome{});
  }
};

Dispatcher::Dispatcher(DispatcherOptions options) : options_(std::move(options)) {
  for (const auto& h : options_.handlers) {
    auto w = std::make_unique<Worker>();
    w->endpoint = h;
    w->options = &options_;
    workers_[h.remote_app_def_id] = std::move(w);
  }
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  for (auto& [app, w] : workers_) {
    if (!w->thread.joinable()) w->thread = std::thread([w = w.get()] { w->Run(); });
  }
}

void Dispatcher::Stop() {
  for (auto& [app, w] : workers_) {
    {
      std::lock_guard lock(w->mu);
      w->stopping = true;
    }
    w->wake.notify_all();
  }
  for (auto& [app, w] : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void Dispatcher::Notify() {
  for (auto& [app, w] : workers_) {
    {
      std::lock_guard lock(w->mu);
      w->notified = true;
    }
    w->wake.notify_one();
  }
}

RetryOutcome Dispatcher::Retry(const RetryFilter& filter) {
  std::vector<std::future<RetryOutcome>> futures;
  for (auto& [app, w] : workers_) {
    if (filter.remote_app_def_id && *filter.remote_app_def_id != app) continue;
    auto req = std::make_shared<RetryRequest>();
    req->filter = filter;
    futures.push_back(req->done.get_future());
    {
      std::lock_guard lock(w->mu);
      if (w->stopping || !w->thread.joinable()) {
        req->done.set_value(RetryOutcome{});
        continue;
      }
      w->retries.push_back(req);
    }
    w->wake.notify_one();
  }
  RetryOutcome total;
  for (auto& f : futures) {
    auto o = f.get();
    total.delivered += o.delivered;
    total.still_queued += o.still_queued;
  }
  return total;
}

std::vector<std::string> Dispatcher::Applications() const {
  std::vector<std::string> out;
  for (const auto& [app, w] : workers_) out.push_back(app);
  return out;
}

}  // namespace concord::communities
