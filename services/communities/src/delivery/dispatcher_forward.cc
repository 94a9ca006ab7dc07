// A retry or replay asked of a node that does not deliver to the application: sent to the node
// that does (it holds the application's lease), so that it runs on that application's one
// worker, in order with its deliveries (dispatcher.h).
#include <fmt/format.h>

#include "concord/communities/dispatcher.h"
#include "concord/http/client.h"

namespace concord::communities {

Result<RetryOutcome> Dispatcher::ForwardRetry(const NodeRecord& holder, const std::string& app,
                                              const RetryFilter& filter) const {
  http::Client client({.url = holder.url,
                       .user = options_.user,
                       .password = options_.password,
                       .timeout = std::chrono::minutes(10)});
  nlohmann::json body = {{"resourceType", "community"}, {"remoteAppDefId", app}};
  if (filter.community_uuid) body["resourceId"] = *filter.community_uuid;
  auto reply = client.Post("/communities/api/admin/queue/retry?forwarded=1", body);
  if (!reply) {
    return Unavailable(fmt::format("the node delivering to {} ({}) did not retry: {}", app,
                                   holder.url, reply.error().message));
  }
  RetryOutcome o{.delivered = reply->value("delivered", int64_t{0}),
                 .still_queued = reply->value("stillQueued", int64_t{0})};
  if (reply->contains("notRetried") && (*reply)["notRetried"].is_array()) {
    for (const auto& n : (*reply)["notRetried"]) {
      if (n.is_object()) {
        o.not_retried.emplace_back(n.value("remoteAppDefId", app), n.value("error", ""));
      }
    }
  }
  return o;
}

Result<ReplayOutcome> Dispatcher::ForwardReplay(const NodeRecord& holder, const std::string& app,
                                                int64_t after_seq) const {
  http::Client client({.url = holder.url,
                       .user = options_.user,
                       .password = options_.password,
                       .timeout = std::chrono::minutes(30)});
  auto reply = client.Post("/communities/api/admin/events/replay?forwarded=1",
                           {{"remoteAppDefId", app}, {"afterSeq", after_seq}});
  if (!reply) {
    return Unavailable(fmt::format("the node delivering to {} ({}) did not replay: {}", app,
                                   holder.url, reply.error().message));
  }
  const auto& j = *reply;
  ReplayOutcome o;
  o.remote_app_def_id = app;
  o.after_seq = j.value("afterSeq", after_seq);
  o.replayed = j.value("replayed", int64_t{0});
  o.applied = j.value("applied", int64_t{0});
  o.duplicates = j.value("duplicates", int64_t{0});
  o.skipped = j.value("skipped", int64_t{0});
  o.last_seq = j.value("lastSeq", int64_t{0});
  if (j.contains("missing") && j["missing"].is_object()) {
    o.missing_first = j["missing"].value("firstSeq", int64_t{0});
    o.missing_last = j["missing"].value("lastSeq", int64_t{0});
  }
  o.application_ahead = j.value("applicationAhead", false);
  if (j.contains("failures") && j["failures"].is_array()) {
    for (const auto& f : j["failures"]) {
      if (f.is_string()) o.failures.push_back(f.get<std::string>());
    }
  }
  return o;
}

}  // namespace concord::communities
