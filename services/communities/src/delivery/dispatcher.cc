#include "concord/communities/dispatcher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <set>
#include <utility>

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

struct ReplayRequest {
  int64_t after_seq = 0;
  std::promise<Result<ReplayOutcome>> done;
};

}  // namespace

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

struct Dispatcher::Worker {
  HandlerEndpoint endpoint;
  DispatcherOptions* options;
  // Until when (steady clock, ns) this node holds the application's lease: set by the keeper.
  std::atomic<int64_t> lease_until{0};
  std::atomic<int64_t> delivered{0}, failed{0};  // attempts since start
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
  bool notified = true;            // deliver what is pending at start-up
  bool tells_credentials = false;  // the one worker for its process (scheme, host, port)
  bool credentials_changed = false;
  // Queued deliveries may be waiting (at start-up: maybe, from before): retried on their own at
  // `next_retry`, with a back-off that doubles while they keep failing.
  bool has_queued = true;
  std::chrono::milliseconds backoff{0};
  std::chrono::steady_clock::time_point next_retry = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<RetryRequest>> retries;
  std::vector<std::shared_ptr<ReplayRequest>> replays;
  std::thread thread;

  // Whether this node may deliver on its own (it holds the lease, or there is no cluster).
  bool Holds() const {
    return !options->cluster ||
           std::chrono::steady_clock::now().time_since_epoch().count() < lease_until.load();
  }

  // One attempt; on success records it (and a remote.app.added's resource id). Either way,
  // tells whoever waits for deliveries.
  Status Deliver(http::Client& client, const store::QueuedDelivery& d) {
    auto status = Attempt(client, d);
    (status ? delivered : failed)++;
    if (options->progress) options->progress->Settled();
    return status;
  }

  Status Attempt(http::Client& client, const store::QueuedDelivery& d) {
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
      if (!reply) return std::unexpected(reply.error());  // says whether it was unreachable
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

  // A delivery failed (or some still wait): the next retry of the queue, after a back-off that
  // starts at retry_backoff_first and doubles up to retry_backoff_max.
  void ScheduleRetry() {
    backoff = backoff.count() == 0 ? options->retry_backoff_first
                                   : std::min(backoff * 2, options->retry_backoff_max);
    has_queued = true;
    next_retry = std::chrono::steady_clock::now() + backoff;
  }
  void QueueEmpty() {
    has_queued = false;
    backoff = std::chrono::milliseconds(0);
  }

  // The worker's own retry of everything queued, when it is due.
  void RetryQueuedIfDue(http::Client& client) {
    if (!has_queued || std::chrono::steady_clock::now() < next_retry) return;
    if (options->retry_paused && options->retry_paused()) {
      // Paused: look again in a moment (resuming needs no call into the dispatcher).
      next_retry = std::chrono::steady_clock::now() + options->retry_backoff_first;
      return;
    }
    if (!Holds()) return;
    RetryOutcome o = DeliverQueued(client, {}, false);
    if (o.delivered > 0) {
      spdlog::info("dispatcher {}: delivered {} queued lifecycle events",
                   endpoint.remote_app_def_id, o.delivered);
    }
    if (o.still_queued == 0) {
      QueueEmpty();
    } else {
      ScheduleRetry();
    }
  }

  // Delivers pending deliveries in order. Returns whether one failed (and was queued).
  bool DeliverPending(http::Client& client) {
    int64_t after = 0;
    std::set<std::string> held;  // communities whose earlier delivery failed in this pass
    while (true) {
      auto batch = options->database->InTransaction(db::TxMode::kRead, [&](db::Connection& c) {
        return kEvents.Deliveries(c, endpoint.remote_app_def_id, "pending", after, 100);
      });
      if (!batch) {
        spdlog::error("dispatcher {}: {}", endpoint.remote_app_def_id, batch.error().message);
        return false;
      }
      if (batch->empty()) return !held.empty();
      for (const auto& d : *batch) {
        after = d.seq;
        if (!Holds()) return !held.empty();                // another node delivers from now on
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

  // `asked`: a retry someone asked for, which runs whether or not the lease is still held
  // (delivering twice is harmless: the application answers a duplicate); the worker's own
  // retries need the lease.
  RetryOutcome DeliverQueued(http::Client& client, const RetryFilter& f, bool asked) {
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
        if (app_down || held.contains(d.community.value()) || (!asked && !Holds())) {
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
          if (http::Unreachable(s.error())) app_down = true;
        }
      }
    }
    return out;
  }

  Result<ReplayOutcome> Replay(http::Client& client, int64_t after_seq) {
    const std::string& app = endpoint.remote_app_def_id;
    ReplayOutcome out;
    out.remote_app_def_id = app;
    out.after_seq = after_seq;
    out.last_seq = after_seq;
    CONCORD_ASSIGN_OR_RETURN(auto bounds,
                             options->database->InTransaction(
                                 db::TxMode::kRead, [&](auto& c) { return kEvents.LogBounds(c); }));
    if (after_seq > bounds.assigned) {
      out.application_ahead = true;
      return out;
    }
    if (after_seq < bounds.assigned && (bounds.first == 0 || bounds.first > after_seq + 1)) {
      out.missing_first = after_seq + 1;
      out.missing_last = bounds.first == 0 ? bounds.assigned : bounds.first - 1;
    }
    std::set<std::string> held;  // communities whose earlier event the application refused
    int64_t cursor = after_seq;
    while (true) {
      CONCORD_ASSIGN_OR_RETURN(
          auto batch, options->database->InTransaction(
                          db::TxMode::kRead, [&](auto& c) { return kEvents.Log(c, cursor, 200); }));
      if (batch.empty()) break;
      for (const auto& e : batch) {
        cursor = out.last_seq = e.seq;
        auto payload = nlohmann::json::parse(e.payload, nullptr, false);
        std::string widget_def, instance;
        if (payload.is_object() && payload.contains("widget") && payload["widget"].is_object()) {
          widget_def = payload["widget"].value("widgetDefId", "");
          instance = payload["widget"].value("instanceId", "");
        }
        // remote.app.* events are about one application's widget: only that one hears them.
        if (e.event_type.starts_with("remote.app.") && widget_def != app) {
          ++out.skipped;
          continue;
        }
        if (held.contains(e.community.value())) continue;
        if (e.event_type == "remote.app.added") {
          // A widget removed since: its removal follows in the log; creating a resource only
          // to trash it again would leave litter in the application.
          CONCORD_ASSIGN_OR_RETURN(
              auto widgets, options->database->InTransaction(db::TxMode::kRead, [&](auto& c) {
                return kWidgets.Widgets(c, e.community);
              }));
          bool exists = std::any_of(widgets.begin(), widgets.end(), [&](const auto& w) {
            return w.instance_id.value() == instance;
          });
          if (!exists) {
            ++out.skipped;
            continue;
          }
        }
        auto reply = client.Send("POST", UrlPath(), e.payload);
        std::string error;
        if (!reply) {
          error = reply.error().message;
        } else if (reply->status < 200 || reply->status > 299) {
          error = fmt::format("HTTP {}: {}", reply->status, reply->raw_body.substr(0, 300));
        }
        if (!error.empty()) {
          out.failures.push_back(fmt::format("seq {} ({}) for community {}: {}", e.seq,
                                             e.event_type, e.community.value(), error));
          held.insert(e.community.value());
          if (!reply && http::Unreachable(reply.error())) return out;  // application down
          continue;
        }
        ++out.replayed;
        if (reply->body.is_object() && reply->body.value("applied", false)) ++out.applied;
        if (reply->body.is_object() && reply->body.value("duplicate", false)) ++out.duplicates;
        if (e.event_type == "remote.app.added" && reply->body.is_object() &&
            reply->body.contains("resourceId") && reply->body["resourceId"].is_string()) {
          CONCORD_RETURN_IF_ERROR(
              options->database->InTransaction(db::TxMode::kWrite, [&](auto& c) -> Status {
                return kWidgets.SetRemoteResource(c, WidgetInstanceId(instance),
                                                  reply->body["resourceId"].get<std::string>());
              }));
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
      auto woken = [&] {
        return stopping || notified || credentials_changed || !retries.empty() || !replays.empty();
      };
      // With several nodes, the holder also looks every poll_interval for what others queued.
      bool polls = options->cluster && Holds();
      auto until = polls ? std::chrono::steady_clock::now() + options->poll_interval
                         : std::chrono::steady_clock::time_point::max();
      // Without the lease, nothing is due here: the keeper wakes the worker when it gains it.
      if (has_queued && Holds()) until = std::min(until, next_retry);
      if (until == std::chrono::steady_clock::time_point::max()) {
        wake.wait(lock, woken);
      } else {
        wake.wait_until(lock, until, woken);
      }
      if (stopping) break;
      auto pending_retries = std::move(retries);
      retries.clear();
      auto pending_replays = std::move(replays);
      replays.clear();
      notified = false;
      bool tell = std::exchange(credentials_changed, false);
      lock.unlock();
      if (tell) {
        auto told = client.Send("POST", "/api/admin/credentials/invalidate", "{}");
        if (!told || told->status != 204) {
          spdlog::warn("could not tell {} that credentials changed: {}", UrlBase(),
                       told ? fmt::format("HTTP {}", told->status) : told.error().message);
        }
      }
      for (auto& r : pending_replays) r->done.set_value(Replay(client, r->after_seq));
      for (auto& r : pending_retries) {
        RetryOutcome o = DeliverQueued(client, r->filter, true);
        if (o.still_queued > 0) {
          if (!has_queued) ScheduleRetry();
        } else if (!r->filter.community_uuid) {
          QueueEmpty();
        }
        r->done.set_value(o);
      }
      RetryQueuedIfDue(client);
      if (Holds() && DeliverPending(client) && !has_queued) ScheduleRetry();
      lock.lock();
    }
    for (auto& r : retries) r->done.set_value(RetryOutcome{});
    for (auto& r : replays) r->done.set_value(Unavailable("the dispatcher stopped"));
  }
};

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
