#include "concord/communities/dispatcher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <set>
#include <utility>

#include "delivery/worker.h"

namespace concord::communities {

void DeliveryProgress::Settled() {
  {
    std::lock_guard lock(mu_);
    ++count_;
  }
  changed_.notify_all();
}

uint64_t DeliveryProgress::Count() const {
  std::lock_guard lock(mu_);
  return count_;
}

void DeliveryProgress::WaitPast(uint64_t seen,
                                std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mu_);
  changed_.wait_until(lock, deadline, [&] { return count_ > seen; });
}

Dispatcher::Dispatcher(DispatcherOptions options) : options_(std::move(options)) {
  for (const auto& h : options_.handlers) {
    auto w = std::make_unique<Worker>();
    w->endpoint = h;
    w->options = &options_;
    w->tells_credentials = std::none_of(workers_.begin(), workers_.end(), [&](const auto& other) {
      return other.second->UrlBase() == w->UrlBase();
    });
    workers_[h.remote_app_def_id] = std::move(w);
  }
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  if (options_.cluster) {
    RenewLeases();  // before the workers start, so that a single node delivers at once
    if (!keeper_.joinable()) keeper_ = std::thread([this] { KeepLeases(); });
  }
  for (auto& [app, w] : workers_) {
    if (!w->thread.joinable()) w->thread = std::thread([w = w.get()] { w->Run(); });
  }
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(keeper_mu_);
    keeper_stopping_ = true;
  }
  keeper_wake_.notify_all();
  if (keeper_.joinable()) keeper_.join();
  bool delivered = false;
  for (auto& [app, w] : workers_) {
    {
      std::lock_guard lock(w->mu);
      w->stopping = true;
    }
    w->wake.notify_all();
  }
  for (auto& [app, w] : workers_) {
    if (w->thread.joinable()) {
      w->thread.join();
      delivered = true;
    }
  }
  // Give the leases up, so that another node takes them at once rather than once they expire.
  if (options_.cluster && delivered) {
    if (auto s = options_.cluster->ReleaseLeases(Applications()); !s) {
      spdlog::warn("could not give up the delivery leases: {}", s.error().message);
    }
  }
}

void Dispatcher::KeepLeases() {
  std::unique_lock lock(keeper_mu_);
  while (!keeper_stopping_) {
    keeper_wake_.wait_for(lock, options_.lease_renew, [&] { return keeper_stopping_; });
    if (keeper_stopping_) break;
    lock.unlock();
    RenewLeases();
    lock.lock();
  }
}

void Dispatcher::RenewLeases() {
  auto started = std::chrono::steady_clock::now();
  auto held = options_.cluster->AcquireLeases(Applications(), options_.lease_ttl);
  if (!held) {
    // The leases lapse here as they expire there: the workers stop delivering in time.
    spdlog::warn("could not renew the delivery leases: {}", held.error().message);
    return;
  }
  // Held until a little before they expire in the database, for clocks a little apart.
  int64_t until = (started + options_.lease_ttl - options_.lease_renew).time_since_epoch().count();
  for (auto& [app, w] : workers_) {
    if (!held->contains(app)) {
      w->lease_until = 0;
      continue;
    }
    bool gained = !w->Holds();
    w->lease_until = until;
    if (!gained) continue;
    spdlog::info("dispatcher {}: this node delivers to it now", app);
    {
      std::lock_guard wl(w->mu);
      w->notified = true;
      w->has_queued = true;
      w->next_retry = std::chrono::steady_clock::now();
    }
    w->wake.notify_one();
  }
}

Result<std::optional<NodeRecord>> Dispatcher::HolderFor(Worker& w) {
  if (w.Holds()) return std::optional<NodeRecord>();
  {
    // A stopping node takes no lease (it would hold it, undelivered, until it expires).
    std::lock_guard lock(keeper_mu_);
    if (keeper_stopping_) return Unavailable("this Communities node is stopping");
  }
  CONCORD_ASSIGN_OR_RETURN(auto holder, options_.cluster->Holder(w.endpoint.remote_app_def_id));
  if (holder) return holder;
  // Nobody holds it (its holder stopped or died): take it now.
  auto started = std::chrono::steady_clock::now();
  CONCORD_ASSIGN_OR_RETURN(auto held, options_.cluster->AcquireLeases(
                                          {w.endpoint.remote_app_def_id}, options_.lease_ttl));
  if (held.empty()) return options_.cluster->Holder(w.endpoint.remote_app_def_id);
  w.lease_until = (started + options_.lease_ttl - options_.lease_renew).time_since_epoch().count();
  return std::optional<NodeRecord>();
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

void Dispatcher::CredentialsChanged() {
  for (auto& [app, w] : workers_) {
    if (!w->tells_credentials) continue;
    {
      std::lock_guard lock(w->mu);
      w->credentials_changed = true;
    }
    w->wake.notify_one();
  }
}

RetryOutcome Dispatcher::Retry(const RetryFilter& filter) {
  std::vector<std::future<RetryOutcome>> futures;
  RetryOutcome total;
  for (auto& [app, w] : workers_) {
    if (filter.remote_app_def_id && *filter.remote_app_def_id != app) continue;
    if (options_.cluster) {
      auto holder = HolderFor(*w);
      if (!holder) {
        total.not_retried.emplace_back(app, holder.error().message);
        continue;
      }
      if (*holder && filter.forwarded) {
        total.not_retried.emplace_back(
            app, fmt::format("the node {} delivers to it now; retry again", (*holder)->url));
        continue;
      }
      if (*holder) {
        // Another node delivers to this application: the retry runs there, in order.
        auto o = ForwardRetry(**holder, app, filter);
        if (o) {
          total.delivered += o->delivered;
          total.still_queued += o->still_queued;
          for (auto& n : o->not_retried) total.not_retried.push_back(std::move(n));
        } else {
          spdlog::warn("{}", o.error().message);
          total.not_retried.emplace_back(app, o.error().message);
        }
        continue;
      }
    }
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
  for (auto& f : futures) {
    auto o = f.get();
    total.delivered += o.delivered;
    total.still_queued += o.still_queued;
  }
  return total;
}

Result<ReplayOutcome> Dispatcher::Replay(const std::string& app, int64_t after_seq,
                                         bool forwarded) {
  auto it = workers_.find(app);
  if (it == workers_.end()) {
    return InvalidArgument(
        "remoteAppDefId",
        fmt::format("no application '{}' hears lifecycle events here", app.substr(0, 40)),
        Applications());
  }
  if (after_seq < 0) return InvalidArgument("afterSeq", "afterSeq must be 0 or more");
  if (options_.cluster) {
    CONCORD_ASSIGN_OR_RETURN(auto holder, HolderFor(*it->second));
    if (holder && forwarded) {
      return Unavailable(fmt::format(
          "the node {} delivers to {} now (the lease moved while the replay was forwarded); "
          "replay again",
          holder->url, app));
    }
    if (holder) return ForwardReplay(*holder, app, after_seq);
  }
  auto req = std::make_shared<ReplayRequest>();
  req->after_seq = after_seq;
  auto done = req->done.get_future();
  {
    std::lock_guard lock(it->second->mu);
    if (it->second->stopping || !it->second->thread.joinable()) {
      return Unavailable("the lifecycle dispatcher is not running");
    }
    it->second->replays.push_back(req);
  }
  it->second->wake.notify_one();
  return done.get();
}

std::vector<std::string> Dispatcher::Applications() const {
  std::vector<std::string> out;
  out.reserve(workers_.size());
  for (const auto& [app, w] : workers_) out.push_back(app);
  return out;
}

std::map<std::string, std::pair<int64_t, int64_t>> Dispatcher::Attempts() const {
  std::map<std::string, std::pair<int64_t, int64_t>> out;
  for (const auto& [app, w] : workers_) out[app] = {w->delivered.load(), w->failed.load()};
  return out;
}

std::vector<std::string> Dispatcher::Held() const {
  std::vector<std::string> out;
  for (const auto& [app, w] : workers_) {
    if (w->Holds()) out.push_back(app);
  }
  return out;
}

}  // namespace concord::communities
