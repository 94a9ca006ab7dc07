// A delivery worker's thread (worker.h): batches of deliveries, retries, replays.
#include "delivery/worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "store/community_store.h"

namespace concord::communities {
namespace {

const store::EventStore kEvents;
const store::CommunityStore kWidgets;

// What an application said when it did not apply a delivery: "HTTP <status>: <its error>".
std::string HttpError(int status, std::string_view body) {
  return fmt::format("HTTP {}: {}", status, body.substr(0, 300));
}

}  // namespace

bool Dispatcher::Worker::Holds() const {
  return !options->cluster ||
         std::chrono::steady_clock::now().time_since_epoch().count() < lease_until.load();
}

std::string Dispatcher::Worker::UrlPath() const {
  // endpoint.url is absolute; the client is bound to its scheme, host and port.
  auto p = endpoint.url.find('/', endpoint.url.find("//") + 2);
  return p == std::string::npos ? "/" : endpoint.url.substr(p);
}

std::string Dispatcher::Worker::UrlBase() const {
  auto p = endpoint.url.find('/', endpoint.url.find("//") + 2);
  return endpoint.url.substr(0, p);
}

Status Dispatcher::Worker::Record(db::Connection& c, const store::QueuedDelivery& d,
                                  const std::string& error, const nlohmann::json& reply,
                                  std::vector<int64_t>& delivered_seqs) {
  if (!error.empty()) {
    return kEvents.Failed(c, d.seq, d.remote_app_def_id, d.community, error, NowMillis());
  }
  if (d.event_type == "remote.app.added" && reply.is_object() && reply.contains("resourceId") &&
      reply["resourceId"].is_string()) {
    auto payload = nlohmann::json::parse(d.payload, nullptr, false);
    std::string instance =
        payload.is_object() && payload.contains("widget") && payload["widget"].is_object()
            ? payload["widget"].value("instanceId", "")
            : "";
    CONCORD_RETURN_IF_ERROR(kWidgets.SetRemoteResource(c, WidgetInstanceId(instance),
                                                       reply["resourceId"].get<std::string>()));
  }
  delivered_seqs.push_back(d.seq);
  return Ok();
}

Status Dispatcher::Worker::Deliver(http::Client& client, const store::QueuedDelivery& d) {
  auto reply = client.Send("POST", UrlPath(), d.payload);
  std::string error;
  if (!reply) {
    error = reply.error().message;
  } else if (reply->status < 200 || reply->status > 299) {
    error = HttpError(reply->status, reply->raw_body);
  }
  std::vector<int64_t> seqs;
  auto recorded =
      options->database->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Status {
        CONCORD_RETURN_IF_ERROR(Record(c, d, error, reply ? reply->body : nlohmann::json(), seqs));
        return kEvents.DeliveredAll(c, d.remote_app_def_id, seqs);
      });
  (error.empty() ? delivered : failed)++;
  if (options->progress) options->progress->Settled();
  if (!recorded) return recorded;
  if (!reply) return std::unexpected(reply.error());  // says whether it was unreachable
  if (!error.empty()) return Unavailable(error);
  return Ok();
}

Dispatcher::Worker::BatchOutcome Dispatcher::Worker::DeliverBatch(
    http::Client& client, const std::vector<store::QueuedDelivery>& batch) {
  BatchOutcome out;
  size_t next = 0;
  while (next < batch.size()) {
    // The next request's deliveries: none of a community refused in an earlier request (its
    // later deliveries were marked queued with it, and must wait for it).
    std::vector<store::QueuedDelivery> chunk;
    size_t bytes = 0;
    while (next < batch.size() && chunk.size() < kDeliveryBatch &&
           (chunk.empty() || bytes + batch[next].payload.size() <= kDeliveryBatchBytes)) {
      const auto& d = batch[next++];
      if (out.failed.contains(d.community.value())) continue;
      bytes += d.payload.size();
      chunk.push_back(d);
    }
    if (!batches && std::chrono::steady_clock::now() >= batches_again) batches = true;
    bool one_by_one = !batches;
    if (batches) {
      auto o = SendBatch(client, chunk);
      out.delivered += o.delivered;
      out.failed.merge(o.failed);
      out.unreachable = out.unreachable || o.unreachable;
      // SendBatch sent nothing when the application takes no batches, or would not take this
      // one: the same deliveries, one by one.
      one_by_one = !batches;
      if (!batches && std::chrono::steady_clock::now() >= batches_again) batches = true;
    }
    if (!one_by_one) continue;
    for (const auto& d : chunk) {
      if (!Holds()) break;  // another node delivers from now on
      if (out.failed.contains(d.community.value())) continue;
      auto s = Deliver(client, d);
      if (s) {
        ++out.delivered;
        continue;
      }
      spdlog::warn("lifecycle event {} ({}) for {} queued: {}", d.seq, d.event_type,
                   d.remote_app_def_id, s.error().message);
      out.failed.insert(d.community.value());
      if (http::Unreachable(s.error())) out.unreachable = true;
    }
  }
  return out;
}

Dispatcher::Worker::BatchOutcome Dispatcher::Worker::SendBatch(
    http::Client& client, const std::vector<store::QueuedDelivery>& batch) {
  BatchOutcome out;
  if (batch.empty()) return out;
  std::string body = R"({"events":[)";
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i > 0) body += ',';
    body += batch[i].payload;
  }
  body += "]}";
  auto reply = client.Send("POST", UrlPath() + "/batch", body);
  if (reply && (reply->status == 404 || reply->status == 400 || reply->status == 413)) {
    // 404, no such route: an application from before batches; deliveries go one by one, and
    // batches are tried again in ten minutes (the 404 may have been a proxy's). 400 or 413 for
    // the whole batch: these events go one by one, so that each gets its own answer.
    if (reply->status == 404) {
      spdlog::info("dispatcher {}: the application takes no batches; delivering one at a time",
                   endpoint.remote_app_def_id);
      batches_again = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    }
    batches = false;
    return out;
  }
  // Per delivery: the error, if it was not applied, and the application's answer.
  std::vector<std::string> errors(batch.size());
  std::vector<nlohmann::json> replies(batch.size());
  std::vector<bool> held(batch.size());
  if (!reply) {
    std::fill(errors.begin(), errors.end(), reply.error().message);
    out.unreachable = http::Unreachable(reply.error());
  } else if (reply->status < 200 || reply->status > 299) {
    std::fill(errors.begin(), errors.end(), HttpError(reply->status, reply->raw_body));
  } else if (!reply->body.is_object() || !reply->body.contains("results") ||
             !reply->body["results"].is_array() || reply->body["results"].size() != batch.size()) {
    std::fill(errors.begin(), errors.end(),
              "the application's answer to a batch is not one result per event: " +
                  reply->raw_body.substr(0, 200));
  } else {
    for (size_t i = 0; i < batch.size(); ++i) {
      const auto& r = reply->body["results"][i];
      auto flag = [&](const char* name) {
        return r.is_object() && r.contains(name) && r[name].is_boolean() && r[name].get<bool>();
      };
      if (r.is_object() && r.contains("error")) {
        int status =
            r.contains("status") && r["status"].is_number_integer() ? r["status"].get<int>() : 0;
        errors[i] = HttpError(status, r["error"].dump());
      } else if (flag("held")) {
        // Not applied, behind an earlier event the application refused: queued with it.
        held[i] = true;
        errors[i] =
            "not applied: held behind an earlier event of its batch that the application refused";
      } else if (r.is_object() && r.contains("applied") && r["applied"].is_boolean()) {
        replies[i] = r;  // applied, or known already ("duplicate")
      } else {
        errors[i] =
            "the application's answer for this event is not a result: " + r.dump().substr(0, 200);
      }
    }
  }
  std::vector<int64_t> seqs;
  auto recorded =
      options->database->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Status {
        seqs.clear();
        for (size_t i = 0; i < batch.size(); ++i) {
          CONCORD_RETURN_IF_ERROR(Record(c, batch[i], errors[i], replies[i], seqs));
        }
        return kEvents.DeliveredAll(c, endpoint.remote_app_def_id, seqs);
      });
  if (!recorded) {
    // Not recorded: the deliveries stay as they were, and are delivered again (the application
    // answers those it applied as duplicates).
    spdlog::error("dispatcher {}: cannot record {} deliveries: {}", endpoint.remote_app_def_id,
                  batch.size(), recorded.error().message);
    seqs.clear();
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!errors[i].empty() || !recorded) {
      if (!held[i] && !errors[i].empty()) {
        spdlog::warn("lifecycle event {} ({}) for {} queued: {}", batch[i].seq, batch[i].event_type,
                     batch[i].remote_app_def_id, errors[i]);
      }
      out.failed.insert(batch[i].community.value());
    }
  }
  out.delivered = static_cast<int64_t>(seqs.size());
  delivered += out.delivered;
  failed += static_cast<int64_t>(batch.size()) - out.delivered;
  if (options->progress) options->progress->Settled();
  return out;
}

void Dispatcher::Worker::ScheduleRetry() {
  backoff = backoff.count() == 0 ? options->retry_backoff_first
                                 : std::min(backoff * 2, options->retry_backoff_max);
  has_queued = true;
  next_retry = std::chrono::steady_clock::now() + backoff;
}

void Dispatcher::Worker::QueueEmpty() {
  has_queued = false;
  backoff = std::chrono::milliseconds(0);
}

void Dispatcher::Worker::RetryQueuedIfDue(http::Client& client) {
  if (!has_queued || std::chrono::steady_clock::now() < next_retry) return;
  if (options->retry_paused && options->retry_paused()) {
    // Paused: look again in a moment (resuming needs no call into the dispatcher).
    next_retry = std::chrono::steady_clock::now() + options->retry_backoff_first;
    return;
  }
  if (!Holds()) return;
  RetryOutcome o = DeliverQueued(client, {}, false);
  if (o.delivered > 0) {
    spdlog::info("dispatcher {}: delivered {} queued lifecycle events", endpoint.remote_app_def_id,
                 o.delivered);
  }
  if (o.still_queued == 0) {
    QueueEmpty();
  } else {
    ScheduleRetry();
  }
}

bool Dispatcher::Worker::DeliverPending(http::Client& client) {
  int64_t after = 0;
  std::set<std::string> held;  // communities whose earlier delivery failed in this pass
  while (true) {
    auto page = options->database->InTransaction(db::TxMode::kRead, [&](db::Connection& c) {
      return kEvents.Deliveries(c, endpoint.remote_app_def_id, "pending", after,
                                static_cast<int>(kDeliveryBatch));
    });
    if (!page) {
      spdlog::error("dispatcher {}: {}", endpoint.remote_app_def_id, page.error().message);
      return false;
    }
    if (page->empty()) return !held.empty();
    if (!Holds()) return !held.empty();  // another node delivers from now on
    after = page->back().seq;
    // A held community's later deliveries were marked queued with its failure (Failed).
    std::erase_if(*page, [&](const auto& d) { return held.contains(d.community.value()); });
    auto o = DeliverBatch(client, *page);
    held.merge(o.failed);
  }
}

RetryOutcome Dispatcher::Worker::DeliverQueued(http::Client& client, const RetryFilter& f,
                                               bool asked) {
  RetryOutcome out;
  int64_t after = 0;
  std::set<std::string> held;
  bool app_down = false;
  while (true) {
    auto page = options->database->InTransaction(db::TxMode::kRead, [&](db::Connection& c) {
      return kEvents.Deliveries(c, endpoint.remote_app_def_id, "queued", after,
                                static_cast<int>(kDeliveryBatch));
    });
    if (!page || page->empty()) break;
    after = page->back().seq;
    std::vector<store::QueuedDelivery> batch;
    for (auto& d : *page) {
      if (f.community_uuid && d.community.value() != *f.community_uuid) continue;
      if (app_down || held.contains(d.community.value()) || (!asked && !Holds())) {
        ++out.still_queued;
        continue;
      }
      batch.push_back(std::move(d));
    }
    auto o = DeliverBatch(client, batch);
    out.delivered += o.delivered;
    out.still_queued += static_cast<int64_t>(batch.size()) - o.delivered;
    held.merge(o.failed);
    // Refused or unreachable: the application is down; stop hammering it.
    app_down = app_down || o.unreachable;
  }
  return out;
}

Result<ReplayOutcome> Dispatcher::Worker::Replay(http::Client& client, int64_t after_seq) {
  const std::string& app = endpoint.remote_app_def_id;
  ReplayOutcome out;
  out.remote_app_def_id = app;
  out.after_seq = after_seq;
  out.last_seq = after_seq;
  CONCORD_ASSIGN_OR_RETURN(
      auto bounds, options->database->InTransaction(db::TxMode::kRead,
                                                    [&](auto& c) { return kEvents.LogBounds(c); }));
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
        CONCORD_ASSIGN_OR_RETURN(auto widgets,
                                 options->database->InTransaction(db::TxMode::kRead, [&](auto& c) {
                                   return kWidgets.Widgets(c, e.community);
                                 }));
        bool exists = std::any_of(widgets.begin(), widgets.end(),
                                  [&](const auto& w) { return w.instance_id.value() == instance; });
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
        out.failures.push_back(fmt::format("seq {} ({}) for community {}: {}", e.seq, e.event_type,
                                           e.community.value(), error));
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

void Dispatcher::Worker::Run() {
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

}  // namespace concord::communities
