#pragma once
// One application's delivery worker (the dispatcher keeps one per application, dispatcher.h):
// its thread delivers the application's pending deliveries in sequence order, many per request
// (POST <handler>/batch; an application without that route gets them one by one), retries what
// is queued with a back-off, and runs the retries and replays asked of it, in order with its
// deliveries.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "concord/communities/dispatcher.h"
#include "concord/http/client.h"
#include "store/event_store.h"

namespace concord::communities {

struct RetryRequest {
  RetryFilter filter;
  std::promise<RetryOutcome> done;
};

struct ReplayRequest {
  int64_t after_seq = 0;
  std::promise<Result<ReplayOutcome>> done;
};

// At most this many deliveries, and about this many bytes of events, go in one request.
inline constexpr size_t kDeliveryBatch = 256;
inline constexpr size_t kDeliveryBatchBytes = size_t{2} << 20;

struct Dispatcher::Worker {
  HandlerEndpoint endpoint;
  DispatcherOptions* options;
  // Until when (steady clock, ns) this node holds the application's lease: set by the keeper.
  std::atomic<int64_t> lease_until{0};
  std::atomic<int64_t> delivered{0}, failed{0};  // deliveries attempted since start
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
  // The application answers batches (an older one, without the route, answers 404: it then
  // gets one event per request until `batches_again`). Used on the worker's thread only.
  bool batches = true;
  std::chrono::steady_clock::time_point batches_again{};

  // What one batch did.
  struct BatchOutcome {
    int64_t delivered = 0;
    std::set<std::string> failed;  // communities with a delivery refused or not made (queued)
    bool unreachable = false;      // the application could not be reached at all
  };

  // Whether this node may deliver on its own (it holds the lease, or there is no cluster).
  bool Holds() const;
  std::string UrlPath() const;
  std::string UrlBase() const;

  // Delivers `batch` (in seq order, none of a community already held back) in as few requests
  // as kDeliveryBatchBytes allows. Each delivery the application applied (or had applied) leaves
  // the queue, with the widget's resource recorded for remote.app.added, in one transaction;
  // each one refused or not made is marked queued with its error, and with it the later
  // pending deliveries of its community. Tells whoever waits for deliveries.
  BatchOutcome DeliverBatch(http::Client& client, const std::vector<store::QueuedDelivery>& batch);
  // One request of DeliverBatch.
  BatchOutcome SendBatch(http::Client& client, const std::vector<store::QueuedDelivery>& batch);
  // One delivery in a request of its own (an application without batches).
  Status Deliver(http::Client& client, const store::QueuedDelivery& d);
  // Records what the application answered for `d`: delivered, or failed with `error`.
  Status Record(db::Connection& c, const store::QueuedDelivery& d, const std::string& error,
                const nlohmann::json& reply, std::vector<int64_t>& delivered_seqs);

  // A delivery failed (or some still wait): the next retry of the queue, after a back-off that
  // starts at retry_backoff_first and doubles up to retry_backoff_max.
  void ScheduleRetry();
  void QueueEmpty();
  // The worker's own retry of everything queued, when it is due.
  void RetryQueuedIfDue(http::Client& client);
  // Delivers pending deliveries in order. Returns whether one failed (and was queued).
  bool DeliverPending(http::Client& client);
  // `asked`: a retry someone asked for, which runs whether or not the lease is still held
  // (delivering twice is harmless: the application answers a duplicate); the worker's own
  // retries need the lease.
  RetryOutcome DeliverQueued(http::Client& client, const RetryFilter& f, bool asked);
  Result<ReplayOutcome> Replay(http::Client& client, int64_t after_seq);
  void Run();
};

}  // namespace concord::communities
