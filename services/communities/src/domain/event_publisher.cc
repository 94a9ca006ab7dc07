#include "domain/event_publisher.h"

#include <algorithm>
#include <string>
#include <vector>

#include "concord/lifecycle/widgets.h"
#include "store/community_store.h"
#include "store/event_store.h"

namespace concord::communities::domain {
namespace {
const store::CommunityStore kCommunities;
const store::EventStore kEvents;
using lifecycle::EventType;
}  // namespace

EventPublisher::EventPublisher(Subscriptions subscriptions)
    : subscriptions_(std::move(subscriptions)) {}

Result<std::optional<int64_t>> EventPublisher::Publish(db::Connection& c, EventType type,
                                                       const Community& x, const Actor& actor,
                                                       const PublishOptions& options) const {
  const auto& subs = subscriptions_;
  const Widget* widget = options.widget;
  auto subscribed = [&](const std::string& app) {
    return std::find(subs.applications.begin(), subs.applications.end(), app) !=
           subs.applications.end();
  };
  // remote.app.* events concern the widget's own application; everything else (widget.added
  // and widget.removed included) goes to every application of the community, so that each
  // one's record follows every version of the community.
  bool own_app_only = type == EventType::kRemoteAppAdded || type == EventType::kRemoteAppRemoved ||
                      type == EventType::kRemoteAppTransfer;
  std::vector<std::string> apps;
  if (own_app_only && widget) {
    const auto* def = lifecycle::FindWidgetDef(widget->widget_def_id);
    if (def && def->remote && subscribed(widget->widget_def_id))
      apps.push_back(widget->widget_def_id);
  } else {
    CONCORD_ASSIGN_OR_RETURN(auto widgets, kCommunities.Widgets(c, x.uuid));
    for (const auto& w : widgets) {
      const auto* def = lifecycle::FindWidgetDef(w.widget_def_id);
      if (def && def->remote && subscribed(w.widget_def_id)) apps.push_back(w.widget_def_id);
    }
    size_t with_widget = apps.size();
    for (const auto& app : subs.without_widget) {
      if (subscribed(app) && std::find(apps.begin(), apps.end(), app) == apps.end())
        apps.push_back(app);
    }
    if (options.recipients == Recipients::kOnlyApplicationsWithoutWidget) {
      apps.erase(apps.begin(), apps.begin() + static_cast<std::ptrdiff_t>(with_widget));
    }
  }
  std::erase_if(apps, [&](const std::string& app) {
    auto it = subs.events.find(app);
    return it != subs.events.end() && !it->second.contains(type);
  });
  if (apps.empty()) return std::nullopt;
  lifecycle::LifecycleEvent e;
  e.id = EventId(NewUuid());
  e.type = type;
  e.created = NowMillis();
  e.actor = actor.id;
  e.community.uuid = x.uuid;
  e.community.name = x.name;
  e.community.visibility = std::string(VisibilityName(x.visibility));
  e.community.list_when_private = x.list_when_private;
  e.community.theme = x.theme;
  e.community.owners_approve_content = x.owners_approve_content;
  e.community.viewers_flag_content = x.viewers_flag_content;
  e.community.in_trash = x.trash.has_value();
  e.community.version = x.version;
  CONCORD_ASSIGN_OR_RETURN(auto members,
                           kCommunities.Members(c, x.uuid, std::nullopt, "", 1 << 30));
  for (const auto& m : members) {
    (m.role == Role::kOwner ? e.community.owners : e.community.members).push_back(m.user);
  }
  if (widget) {
    e.widget = lifecycle::WidgetRef{widget->instance_id, widget->widget_def_id,
                                    widget->remote_resource_id};
  }
  e.resync = options.resync;
  e.transfer_from = options.transfer_from;
  CONCORD_ASSIGN_OR_RETURN(int64_t seq, kEvents.Append(c, e, apps));
  return seq;
}

}  // namespace concord::communities::domain
