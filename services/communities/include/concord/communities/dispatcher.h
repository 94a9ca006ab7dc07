#pragma once
// Delivery of queued lifecycle events to the remote applications' handlers.
//
// One worker thread per application delivers that application's deliveries in sequence order,
// so events for one application and community arrive in order, and one application being down
// holds up no other. A delivery that fails (refused, timed out, non-2xx) is marked 'queued'
// with its attempt count and last error, and so is every later delivery for the same
// application and community: they wait for a retry (the LifecycleRetryQueuedEvents task or an
// administrator), which runs on the same worker thread.

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "concord/base/error.h"
#include "concord/db/database.h"

namespace concord::communities {

struct HandlerEndpoint {
  std::string remote_app_def_id;
  std::string url;  // e.g. http://127.0.0.1:8080/blogs/api/lifecycle/Blog
};

struct DispatcherOptions {
  std::shared_ptr<db::Database> database;  // Communities'
  std::vector<HandlerEndpoint> handlers;
  std::string user;  // the lifecycle system user's credentials
  std::string password;
  std::chrono::seconds timeout{30};
};

// Which queued deliveries a retry covers.
struct RetryFilter {
  std::optional<std::string> remote_app_def_id;
  std::optional<std::string> community_uuid;
};

struct RetryOutcome {
  int64_t delivered = 0;
  int64_t still_queued = 0;
};

class Dispatcher {
 public:
  explicit Dispatcher(DispatcherOptions options);
  ~Dispatcher();

  void Start();
  void Stop();
  // New deliveries may be pending: wake the workers.
  void Notify();
  // Delivers the queued deliveries that match, in order; per application and community it
  // stops at the first that fails again. Blocks until every worker concerned has tried.
  RetryOutcome Retry(const RetryFilter& filter);
  // The applications with a handler.
  std::vector<std::string> Applications() const;

 private:
  struct Worker;
  DispatcherOptions options_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;
};

}  // namespace concord::communities
