#include "domain/queue_administration.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "concord/lifecycle/widgets.h"
#include "domain/validation.h"
#include "store/community_store.h"
#include "store/event_store.h"

namespace concord::communities::domain {
namespace {
const store::EventStore kEvents;
const store::CommunityStore kCommunities;
using db::Connection;
using db::TxMode;
}  // namespace

QueueAdministration::QueueAdministration(Transactions& tx,
                                         std::shared_ptr<DeliveryProgress> deliveries)
    : tx_(tx), deliveries_(std::move(deliveries)) {}

Status QueueAdministration::ValidateQueuedEventFilter(const QueuedEventFilter& f) {
  if (f.remote_app_def_id) {
    const auto* def = lifecycle::FindWidgetDef(*f.remote_app_def_id);
    if (!def || !def->remote) {
      return InvalidArgument("remoteAppDefId",
                             fmt::format("'{}' is not a remoteAppDefId (ids are case-sensitive)",
                                         f.remote_app_def_id->substr(0, 60)),
                             lifecycle::RemoteWidgetDefIds());
    }
  }
  if (f.community)
    CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(f.community->value(), "resourceId"));
  if (f.event_type) {
    auto t = lifecycle::ParseEventType(*f.event_type);
    if (!t) {
      return InvalidArgument("eventType",
                             fmt::format("unknown event type '{}'", f.event_type->substr(0, 60)),
                             lifecycle::EventTypeNames());
    }
  }
  if (f.event_id && !IsUuid(f.event_id->value())) {
    return InvalidArgument("eventId", fmt::format("'{}' is not an event id (a uuid)",
                                                  f.event_id->value().substr(0, 60)));
  }
  if (f.event_ids.size() > CommunitiesService::kMaxEventIdsPerCall) {
    return InvalidArgument(
        "eventIds", fmt::format("at most {} eventIds a call, not {}",
                                CommunitiesService::kMaxEventIdsPerCall, f.event_ids.size()));
  }
  for (const auto& id : f.event_ids) {
    if (!IsUuid(id.value())) {
      return InvalidArgument(
          "eventIds", fmt::format("'{}' is not an event id (a uuid)", id.value().substr(0, 60)));
    }
  }
  return Ok();
}

Result<std::vector<QueueSummary>> QueueAdministration::QueuedEventsSummary(const Actor& actor) {
  if (!actor.admin) return PermissionDenied("only administrators see the event queue");
  return tx_.Read([&](Connection& c) { return kEvents.Summary(c); });
}

Result<Page<QueuedEvent>> QueueAdministration::ListQueuedEvents(const Actor& actor,
                                                                const QueuedEventFilter& filter,
                                                                const std::string& after,
                                                                int limit) {
  if (!actor.admin) return PermissionDenied("only administrators see the event queue");
  CONCORD_RETURN_IF_ERROR(ValidateQueuedEventFilter(filter));
  CONCORD_ASSIGN_OR_RETURN(int n, validation::Limit(limit));
  // The cursor is "<seq>:<remoteAppDefId>" of the last row shown.
  int64_t after_seq = 0;
  std::string after_app;
  if (!after.empty()) {
    auto colon = after.find(':');
    bool ok = colon != std::string::npos && colon > 0 && colon < 19;
    for (size_t i = 0; ok && i < colon; ++i) ok = after[i] >= '0' && after[i] <= '9';
    if (!ok) return InvalidArgument("after", "not a cursor this listing returned");
    after_seq = std::stoll(after.substr(0, colon));
    after_app = after.substr(colon + 1);
  }
  return tx_.Read([&](Connection& c) -> Result<Page<QueuedEvent>> {
    CONCORD_ASSIGN_OR_RETURN(auto rows, kEvents.List(c, filter, after_seq, after_app, n + 1));
    Page<QueuedEvent> page;
    if (static_cast<int>(rows.size()) > n) {
      rows.resize(n);
      page.next = fmt::format("{}:{}", rows.back().seq, rows.back().remote_app_def_id);
    }
    page.items = std::move(rows);
    return page;
  });
}

Result<int64_t> QueueAdministration::ClearQueuedEvents(const Actor& actor,
                                                       const QueuedEventFilter& filter) {
  if (!actor.admin) return PermissionDenied("only administrators clear the event queue");
  CONCORD_RETURN_IF_ERROR(ValidateQueuedEventFilter(filter));
  auto cleared =
      tx_.database().InTransaction(TxMode::kWrite, [&](Connection& c) -> Result<int64_t> {
        int64_t n = 0;
        if (filter.event_ids.empty()) {
          CONCORD_ASSIGN_OR_RETURN(n, kEvents.Clear(c, filter));
        } else {
          // A list of events: each cleared with the other conditions, in one transaction. An id no
          // longer queued (delivered, or cleared by an earlier call) clears nothing.
          QueuedEventFilter one = filter;
          one.event_ids.clear();
          for (const auto& id : filter.event_ids) {
            one.event_id = id;
            CONCORD_ASSIGN_OR_RETURN(int64_t cleared, kEvents.Clear(c, one));
            n += cleared;
          }
        }
        spdlog::warn(
            "cleared {} queued lifecycle events (remoteAppDefId={} resourceId={} "
            "eventType={} eventId={}) by {}",
            n, filter.remote_app_def_id.value_or("*"),
            filter.community ? filter.community->value() : "*", filter.event_type.value_or("*"),
            filter.event_id            ? filter.event_id->value()
            : filter.event_ids.empty() ? "*"
                                       : fmt::format("{} listed", filter.event_ids.size()),
            actor.id.value());
        return n;
      });
  // Cleared deliveries are no longer awaited.
  if (cleared && deliveries_) deliveries_->Settled();
  return cleared;
}

Result<int64_t> QueueAdministration::TrimEventLog(Millis before) {
  return tx_.Write([&](Connection& c) { return kEvents.TrimLog(c, before); });
}

Result<CommunitiesService::EventLogBounds> QueueAdministration::EventLog(const Actor& actor) {
  if (!actor.admin) return PermissionDenied("only administrators see the event log");
  return tx_.Read([&](Connection& c) -> Result<CommunitiesService::EventLogBounds> {
    CONCORD_ASSIGN_OR_RETURN(auto b, kEvents.LogBounds(c));
    CONCORD_ASSIGN_OR_RETURN(int64_t floor, kCommunities.VersionFloor(c));
    return CommunitiesService::EventLogBounds{b.first, b.last, b.assigned, floor};
  });
}

Result<CommunitiesService::EventLogPage> QueueAdministration::ListEventLog(
    const Actor& actor, const std::optional<std::string>& app, int64_t after_seq, int limit) {
  if (!actor.admin) return PermissionDenied("only administrators see the event log");
  if (limit < 1 || limit > 1000) {
    return InvalidArgument("limit", fmt::format("limit must be from 1 to 1000, not {}", limit));
  }
  if (after_seq < 0) return InvalidArgument("after", "after must be a seq (0 or more)");
  if (app) {
    const auto* def = lifecycle::FindWidgetDef(*app);
    if (!def || !def->remote) {
      return InvalidArgument("remoteAppDefId",
                             fmt::format("'{}' is not a remote application", app->substr(0, 60)),
                             lifecycle::RemoteWidgetDefIds());
    }
  }
  return tx_.Read([&](Connection& c) -> Result<CommunitiesService::EventLogPage> {
    CONCORD_ASSIGN_OR_RETURN(auto rows, kEvents.Entries(c, after_seq, app.value_or(""), limit + 1));
    CommunitiesService::EventLogPage page;
    if (static_cast<int>(rows.size()) > limit) {
      rows.resize(limit);
      page.next = rows.back().seq;
    }
    page.items = std::move(rows);
    return page;
  });
}

Status QueueAdministration::AdvanceEventSequence(const Actor& actor, int64_t at_least,
                                                 int64_t versions_at_least) {
  if (!actor.admin) return PermissionDenied("only administrators advance the event sequence");
  constexpr int64_t kMax = CommunitiesService::kMaxSequence;
  if (at_least < 0 || at_least > kMax) {
    return InvalidArgument("atLeast", fmt::format("atLeast must be from 0 to {}", kMax));
  }
  if (versions_at_least < 0 || versions_at_least > kMax) {
    return InvalidArgument("versionAtLeast",
                           fmt::format("versionAtLeast must be from 0 to {}", kMax));
  }
  return tx_.Write([&](Connection& c) -> Status {
    CONCORD_RETURN_IF_ERROR(kEvents.AdvanceSequence(c, at_least));
    return kCommunities.AdvanceVersionFloor(c, versions_at_least);
  });
}

}  // namespace concord::communities::domain
