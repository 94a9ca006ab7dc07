#include "domain/sync_administration.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "concord/base/text.h"
#include "concord/lifecycle/widgets.h"
#include "domain/access.h"
#include "domain/validation.h"
#include "store/community_store.h"
#include "store/event_store.h"

namespace concord::communities::domain {
namespace {
const store::CommunityStore kCommunities;
const store::EventStore kEvents;
using db::Connection;
using lifecycle::EventType;
}  // namespace

SyncAdministration::SyncAdministration(Transactions& tx, const EventPublisher& publisher,
                                       QueueAdministration& queue,
                                       std::shared_ptr<DeliveryProgress> deliveries)
    : tx_(tx), publisher_(publisher), queue_(queue), deliveries_(std::move(deliveries)) {}

Result<std::vector<SyncState>> SyncAdministration::SyncStates(const Actor& actor,
                                                              const std::string& widget_def_id,
                                                              const std::string& after, int limit) {
  if (!actor.admin) return PermissionDenied("only administrators compare applications");
  CONCORD_RETURN_IF_ERROR(CheckRemoteDef(widget_def_id));
  if (!after.empty()) CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(after, "after"));
  if (limit < 1 || limit > 1000) return InvalidArgument("limit", "limit must be from 1 to 1000");
  return tx_.Read(
      [&](Connection& c) { return kCommunities.SyncStates(c, widget_def_id, after, limit); });
}

Result<std::vector<SyncState>> SyncAdministration::SyncLookup(
    const Actor& actor, const std::string& widget_def_id, const std::vector<std::string>& uuids) {
  if (!actor.admin) return PermissionDenied("only administrators compare applications");
  CONCORD_RETURN_IF_ERROR(CheckRemoteDef(widget_def_id));
  if (uuids.size() > 1000) return InvalidArgument("uuids", "at most 1000 uuids at a time");
  for (const auto& u : uuids) CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(u, "uuids"));
  return tx_.Read([&](Connection& c) { return kCommunities.SyncLookup(c, widget_def_id, uuids); });
}

Result<CommunitiesService::ResyncOutcome> SyncAdministration::Resync(
    const Actor& actor, const std::vector<CommunityUuid>& communities,
    const std::optional<std::string>& widget_def_id, std::chrono::milliseconds wait) {
  if (!actor.admin) return PermissionDenied("only administrators resync applications");
  if (widget_def_id) CONCORD_RETURN_IF_ERROR(CheckRemoteDef(*widget_def_id));
  if (communities.size() > 1000) return InvalidArgument("communities", "at most 1000 at a time");
  for (const auto& u : communities) {
    CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(u.value(), "communityUuid"));
  }
  // The reference's precondition: nothing queued for the applications concerned.
  CONCORD_ASSIGN_OR_RETURN(
      auto queued, queue_.ListQueuedEvents(actor, {.remote_app_def_id = widget_def_id}, "", 500));
  for (const auto& q : queued.items) {
    if (q.state == "queued") {
      return FailedPrecondition(fmt::format(
          "lifecycle events for {} are queued (see CommunitiesQEventService."
          "viewQueuedEventsSummary()): retry or clear them first, as the reference requires "
          "an empty queue before a resync",
          q.remote_app_def_id));
    }
  }
  CommunitiesService::ResyncOutcome out;
  int64_t first_seq = 0, last_seq = 0;
  // A hundred communities a transaction: one commit for their events, and the dispatcher
  // delivers them in batches.
  constexpr size_t kPerTransaction = 100;
  for (size_t from = 0; from < communities.size(); from += kPerTransaction) {
    size_t to = std::min(communities.size(), from + kPerTransaction);
    auto published = tx_.Write([&](Connection& c) -> Result<int64_t> {
      int64_t n = 0;
      for (size_t i = from; i < to; ++i) {
        const auto& uuid = communities[i];
        // A community in the trash is resynced too: its applications learn that it is there.
        CONCORD_ASSIGN_OR_RETURN(auto found, kCommunities.Find(c, uuid));
        if (!found) return CommunityNotFound(uuid);
        LoadedCommunity l;
        l.community = std::move(*found);
        CONCORD_ASSIGN_OR_RETURN(auto widgets, kCommunities.Widgets(c, uuid));
        for (const auto& w : widgets) {
          const auto* def = lifecycle::FindWidgetDef(w.widget_def_id);
          if (!def || !def->remote) continue;
          if (widget_def_id && w.widget_def_id != *widget_def_id) continue;
          CONCORD_ASSIGN_OR_RETURN(
              auto seq, publisher_.Publish(c, EventType::kRemoteAppAdded, l.community, actor,
                                           {.widget = &w, .resync = true}));
          if (seq) {
            if (first_seq == 0) first_seq = *seq;
            last_seq = *seq;
          }
          ++n;
        }
      }
      return n;
    });
    if (!published) return std::unexpected(published.error());
    out.events += *published;
    out.communities += static_cast<int64_t>(to - from);
  }
  if (out.events == 0) return out;
  // Wait for the deliveries (the dispatcher was woken by the commits).
  CONCORD_ASSIGN_OR_RETURN(out.still_queued, WaitForDelivery(first_seq, last_seq, wait));
  return out;
}

Result<int64_t> SyncAdministration::WaitForDelivery(int64_t first_seq, int64_t last_seq,
                                                    std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    // Read before counting, so that a delivery settled after the count wakes the wait below.
    uint64_t seen = deliveries_ ? deliveries_->Count() : 0;
    CONCORD_ASSIGN_OR_RETURN(int64_t left, tx_.Read([&](Connection& c) {
      return kEvents.CountUndelivered(c, first_seq, last_seq);
    }));
    if (left == 0 || std::chrono::steady_clock::now() >= deadline) return left;
    if (deliveries_) {
      // Not past a quarter second: another node may be the one delivering (cluster.h), and
      // its deliveries are not reported here.
      deliveries_->WaitPast(seen, std::min(deadline, std::chrono::steady_clock::now() +
                                                         std::chrono::milliseconds(250)));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // no dispatcher reports
    }
  }
}

Result<Widget> SyncAdministration::AssignRemoteApp(const Actor& actor, const std::string& app,
                                                   const std::string& resource_id,
                                                   const CommunityUuid& old_community,
                                                   const CommunityUuid& new_community,
                                                   const std::string& ui_location,
                                                   std::chrono::milliseconds wait) {
  if (!actor.admin) return PermissionDenied("only administrators assign remote applications");
  CONCORD_RETURN_IF_ERROR(CheckRemoteDef(app));
  const auto* def = lifecycle::FindWidgetDef(app);
  if (ui_location != def->ui_location) {
    return InvalidArgument("uiLocation",
                           fmt::format("the {} widget goes in uiLocation '{}', not '{}'", app,
                                       def->ui_location, ui_location.substr(0, 40)),
                           {std::string(def->ui_location)});
  }
  CONCORD_ASSIGN_OR_RETURN(std::string id,
                           ValidSingleLine(resource_id, "objectIdentifyingId", 200));
  CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(old_community.value(), "oldCommunityUuid"));
  CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(new_community.value(), "newCommunityUuid"));
  std::optional<int64_t> transfer_seq;  // none if the application does not hear events
  CONCORD_ASSIGN_OR_RETURN(Widget w, tx_.Write([&](Connection& c) -> Result<Widget> {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, LoadToChange(c, actor, new_community));
    CONCORD_ASSIGN_OR_RETURN(auto widgets, kCommunities.Widgets(c, new_community));
    for (const auto& existing : widgets) {
      if (existing.widget_def_id == app) {
        return FailedPrecondition(fmt::format(
            "community {} already has a {} widget (instance {}): a community has at most one. "
            "Remove it first with CommunitiesService.removeAllWidgetsByWidgetDefId(\"{}\", "
            "\"{}\"), or assign to another community",
            new_community.value(), app, existing.instance_id.value(), new_community.value(), app));
      }
    }
    Widget added{WidgetInstanceId(NewUuid()), new_community, app, id, ui_location, NowMillis()};
    CONCORD_RETURN_IF_ERROR(kCommunities.InsertWidget(c, added));
    CONCORD_RETURN_IF_ERROR(Touch(c, l.community, actor));
    CONCORD_ASSIGN_OR_RETURN(
        transfer_seq, publisher_.Publish(c, EventType::kRemoteAppTransfer, l.community, actor,
                                         {.widget = &added, .transfer_from = old_community}));
    CONCORD_RETURN_IF_ERROR(
        publisher_.Publish(c, EventType::kWidgetAdded, l.community, actor, {.widget = &added}));
    return added;
  }));
  int64_t left = 0;
  if (transfer_seq) {
    CONCORD_ASSIGN_OR_RETURN(left, WaitForDelivery(*transfer_seq, *transfer_seq, wait));
  }
  if (left > 0) {
    return Unavailable(fmt::format(
        "the widget was added to {}, but {} has not taken the resource yet: the transfer event "
        "is queued (CommunitiesQEventService.viewQueuedEventsByRemoteAppDefId(\"{}\", None, 10) "
        "shows why); it is retried with the queue",
        new_community.value(), app, app));
  }
  return w;
}

}  // namespace concord::communities::domain
