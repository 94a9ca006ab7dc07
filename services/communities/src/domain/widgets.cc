#include "domain/widgets.h"

#include <fmt/format.h>

#include <algorithm>

#include "concord/lifecycle/widgets.h"
#include "domain/access.h"
#include "store/community_store.h"

namespace concord::communities::domain {
namespace {
const store::CommunityStore kCommunities;
using db::Connection;
using lifecycle::EventType;
}  // namespace

CommunityWidgets::CommunityWidgets(Transactions& tx, const EventPublisher& publisher)
    : tx_(tx), publisher_(publisher) {}

Result<std::vector<Widget>> CommunityWidgets::ListWidgets(const Actor& actor,
                                                          const CommunityUuid& uuid) {
  return tx_.Read([&](Connection& c) -> Result<std::vector<Widget>> {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, Load(c, actor, uuid));
    if (!l.full) return CommunityNotFound(uuid);
    return kCommunities.Widgets(c, uuid);
  });
}

Result<Widget> CommunityWidgets::AddWidget(const Actor& actor, const CommunityUuid& uuid,
                                           const std::string& def_id,
                                           std::optional<std::string> ui_location) {
  const lifecycle::WidgetDef* def = lifecycle::FindWidgetDef(def_id);
  if (!def) {
    return InvalidArgument("widgetDefId",
                           fmt::format("unknown widgetDefId '{}' (widget ids are case-sensitive)",
                                       def_id.substr(0, 60)),
                           lifecycle::WidgetDefIds());
  }
  if (ui_location && *ui_location != def->ui_location) {
    return InvalidArgument(
        "uiLocation",
        fmt::format("the {} widget goes in uiLocation '{}'", def_id, def->ui_location),
        {std::string(def->ui_location)});
  }
  return tx_.Write([&](Connection& c) -> Result<Widget> {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, LoadToChange(c, actor, uuid));
    CONCORD_ASSIGN_OR_RETURN(auto widgets, kCommunities.Widgets(c, uuid));
    for (const auto& w : widgets) {
      if (w.widget_def_id == def_id) {
        return AlreadyExists(fmt::format(
            "community {} already has a {} widget (instance {}); a community has at most one",
            uuid.value(), def_id, w.instance_id.value()));
      }
    }
    Widget w{WidgetInstanceId(NewUuid()),   uuid,       def_id, std::nullopt,
             std::string(def->ui_location), NowMillis()};
    CONCORD_RETURN_IF_ERROR(kCommunities.InsertWidget(c, w));
    CONCORD_RETURN_IF_ERROR(Touch(c, l.community, actor));
    if (def->remote) {
      CONCORD_RETURN_IF_ERROR(
          publisher_.Publish(c, EventType::kRemoteAppAdded, l.community, actor, {.widget = &w}));
    }
    CONCORD_RETURN_IF_ERROR(
        publisher_.Publish(c, EventType::kWidgetAdded, l.community, actor, {.widget = &w}));
    return w;
  });
}

Status CommunityWidgets::RemoveWidget(const Actor& actor, const CommunityUuid& uuid,
                                      const WidgetInstanceId& id) {
  return tx_.Write([&](Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, LoadToChange(c, actor, uuid));
    CONCORD_ASSIGN_OR_RETURN(auto widgets, kCommunities.Widgets(c, uuid));
    auto it = std::find_if(widgets.begin(), widgets.end(),
                           [&](const Widget& w) { return w.instance_id == id; });
    if (it == widgets.end()) {
      return NotFound(
          fmt::format("community {} has no widget {}", uuid.value(), id.value().substr(0, 60)));
    }
    const auto* def = lifecycle::FindWidgetDef(it->widget_def_id);
    if (def && !def->removable) {
      return FailedPrecondition(fmt::format("the {} widget cannot be removed", it->widget_def_id));
    }
    CONCORD_RETURN_IF_ERROR(kCommunities.DeleteWidget(c, id));
    CONCORD_RETURN_IF_ERROR(Touch(c, l.community, actor));
    if (def && def->remote) {
      CONCORD_RETURN_IF_ERROR(publisher_.Publish(c, EventType::kRemoteAppRemoved, l.community,
                                                 actor, {.widget = &*it}));
    }
    CONCORD_RETURN_IF_ERROR(
        publisher_.Publish(c, EventType::kWidgetRemoved, l.community, actor, {.widget = &*it}));
    return Ok();
  });
}

Result<int64_t> CommunityWidgets::RemoveAllWidgets(const Actor& actor,
                                                   const std::string& widget_def_id) {
  if (!actor.admin) return PermissionDenied("only administrators remove widgets everywhere");
  const auto* def = lifecycle::FindWidgetDef(widget_def_id);
  if (!def) {
    return InvalidArgument("widgetDefId",
                           fmt::format("unknown widgetDefId '{}' (ids are case-sensitive)",
                                       widget_def_id.substr(0, 60)),
                           lifecycle::WidgetDefIds());
  }
  if (!def->removable) {
    return FailedPrecondition(fmt::format("the {} widget cannot be removed", widget_def_id));
  }
  int64_t removed = 0;
  std::string after;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(auto batch, tx_.Read([&](Connection& c) {
      return kCommunities.WidgetsByDef(c, widget_def_id, after, 200);
    }));
    if (batch.empty()) return removed;
    for (const auto& w : batch) {
      after = w.community.value();
      auto s = RemoveWidget(actor, w.community, w.instance_id);
      if (s) {
        ++removed;
      } else if (s.error().code != ErrorCode::kNotFound) {  // kNotFound: in the trash, or gone
        return std::unexpected(s.error());
      }
    }
  }
}

}  // namespace concord::communities::domain
