#pragma once
// Delivery of queued lifecycle events to the remote applications' handlers.
//
// One worker thread per application delivers that application's deliveries in sequence order,
// so events for one application and community arrive in order, and one application being down
// holds up no other. A delivery that fails (refused, timed out, non-2xx) is marked 'queued'
// with its attempt count and last error, and so is every later delivery for the same
// application and community. The worker retries its queued deliveries on its own, in order,
// with a growing back-off (retry_backoff_first, doubling up to retry_backoff_max) until none is
// left, so an application that answers again gets them within seconds; not while
// `retry_paused` says so (the LifecycleRetryQueuedEvents task is paused, which keeps the queue
// still for an administrator). A retry asked for (that task, which stays as the scheduled
// sweep, or an administrator) runs on the same worker thread too.
//
// Several Communities nodes (`cluster`): only the node holding an application's delivery lease
// (cluster.h) delivers to it; the others' workers for it wait, and take the lease over when it
// expires (its holder died) or is given up (its holder stopped). The holder looks for new
// deliveries every `poll_interval` as well as when woken, since other nodes write them too. A
// retry or replay asked of a node that does not hold the lease is forwarded to the node that
// does, so it runs on that application's one worker, in order with its deliveries.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "concord/base/error.h"
#include "concord/communities/cluster.h"
#include "concord/db/database.h"

namespace concord::communities {

struct HandlerEndpoint {
  std::string remote_app_def_id;
  std::string url;  // e.g. http://127.0.0.1:8080/blogs/api/lifecycle/Blog
};

// Lets a caller wait for deliveries without polling (Resync, AssignRemoteApp): the dispatcher
// reports each delivery it has settled, and clearing the queue is reported too; the waiter
// counts again what it waits for. Thread-safe.
class DeliveryProgress {
 public:
  // Deliveries may have left the queue: wakes every waiter.
  void Settled();
  // How many times Settled() was called.
  uint64_t Count() const;
  // Waits until Count() exceeds `seen`, or until `deadline`.
  void WaitPast(uint64_t seen, std::chrono::steady_clock::time_point deadline) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  uint64_t count_ = 0;
};

struct DispatcherOptions {
  std::shared_ptr<db::Database> database;  // Communities'
  std::vector<HandlerEndpoint> handlers;
  std::string user;  // the lifecycle system user's credentials
  std::string password;
  std::chrono::seconds timeout{30};
  // Whether the workers' own retries of queued deliveries are paused (none if empty).
  std::function<bool()> retry_paused;
  std::chrono::milliseconds retry_backoff_first{1000};
  std::chrono::milliseconds retry_backoff_max{60000};
  // Told after each delivery attempt, if set.
  std::shared_ptr<DeliveryProgress> progress;
  // Several nodes over one database: deliveries are leased per application (none: this process
  // delivers to every application, as a single node does).
  std::shared_ptr<Cluster> cluster;
  std::chrono::milliseconds lease_ttl{5000};
  std::chrono::milliseconds lease_renew{1000};
  std::chrono::milliseconds poll_interval{250};
};

// Which queued deliveries a retry covers.
struct RetryFilter {
  std::optional<std::string> remote_app_def_id;
  std::optional<std::string> community_uuid;
  // Sent here by another node (which believed this one holds the lease): never sent on again.
  bool forwarded = false;
};

struct RetryOutcome {
  int64_t delivered = 0;
  int64_t still_queued = 0;
  // Applications whose queue was not retried at all (the node delivering to it could not be
  // reached or found), each with why: their events are as queued as before.
  std::vector<std::pair<std::string, std::string>> not_retried;
};

// What a replay did (docs/http-api.md, "Replay").
struct ReplayOutcome {
  std::string remote_app_def_id;
  int64_t after_seq = 0;   // replayed the log after this seq (the application's last applied)
  int64_t replayed = 0;    // events the application accepted
  int64_t applied = 0;     // of which it changed something (the others it knew already)
  int64_t duplicates = 0;  // of which it had applied already (answered as duplicates)
  int64_t skipped = 0;     // another application's widget events, widgets removed since
  int64_t last_seq = 0;    // the last event of the log looked at
  // Events the log no longer holds (trimmed by EventLogCleanup): [first, last], or 0, 0.
  int64_t missing_first = 0, missing_last = 0;
  // The application has applied events past everything Communities ever wrote: Communities
  // was restored from an older backup, and replay has nothing to give.
  bool application_ahead = false;
  std::vector<std::string> failures;  // one line per event refused, its community held back
};

class Dispatcher {
 public:
  explicit Dispatcher(DispatcherOptions options);
  ~Dispatcher();

  void Start();
  void Stop();
  // New deliveries may be pending: wake the workers.
  void Notify();
  // A user was disabled or a password changed: tells every process that hears lifecycle events
  // (once per scheme, host and port) to forget the credentials it verified, with POST
  // /api/admin/credentials/invalidate, on the workers' threads (so without waiting). One attempt;
  // a process that could not be told forgets them within kRemoteCredentialCacheTtl anyway.
  void CredentialsChanged();
  // Delivers the queued deliveries that match, in order; per application and community it
  // stops at the first that fails again. Blocks until every worker concerned has tried (on this
  // node, or on the node holding the application's lease).
  RetryOutcome Retry(const RetryFilter& filter);
  // Re-delivers to `app` every event of the log after `after_seq` that concerns it, in order,
  // on the application's worker (so in order with new deliveries too). Idempotent: the
  // application applies only what is newer than what it holds. A widget added after
  // `after_seq` gets its resource created again, and the widget is bound to it. kInvalidArgument
  // for an application without a handler.
  // `forwarded`: sent here by another node; never sent on again.
  Result<ReplayOutcome> Replay(const std::string& app, int64_t after_seq, bool forwarded = false);
  // The applications with a handler.
  std::vector<std::string> Applications() const;
  // The applications whose lease this node holds now (every one without a cluster).
  std::vector<std::string> Held() const;
  // Per application, this node's delivery attempts since it started: {delivered, failed}.
  std::map<std::string, std::pair<int64_t, int64_t>> Attempts() const;

 private:
  struct Worker;
  // Takes or renews the leases every lease_renew, and tells the workers.
  void KeepLeases();
  void RenewLeases();
  // Whether `w` holds its lease (taking it if it is free); otherwise the node that does.
  Result<std::optional<NodeRecord>> HolderFor(Worker& w);
  Result<RetryOutcome> ForwardRetry(const NodeRecord& holder, const std::string& app,
                                    const RetryFilter& filter) const;
  Result<ReplayOutcome> ForwardReplay(const NodeRecord& holder, const std::string& app,
                                      int64_t after_seq) const;

  DispatcherOptions options_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;
  std::mutex keeper_mu_;
  std::condition_variable keeper_wake_;
  bool keeper_stopping_ = false;
  std::thread keeper_;
};

}  // namespace concord::communities
