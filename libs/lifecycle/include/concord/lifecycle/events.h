#pragma once
// The widget lifecycle event vocabulary (connections-admin.md 2.4) and its wire form.
//
// Every event carries the full current state of the community it concerns (attributes,
// owners, members, and the version that state has), so that applying it is idempotent and an
// application can ignore any event older than the version it has already applied.
// Widget events also carry the widget.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "concord/base/clock.h"
#include "concord/base/error.h"
#include "concord/base/ids.h"

namespace concord::lifecycle {

enum class EventType {
  kRemoteAppAdded,     // remote.app.added: create the resource, answer its id
  kRemoteAppRemoved,   // remote.app.removed
  kRemoteAppTransfer,  // remote.app.transfer: a resource moves to another community
  kWidgetAdded,        // widget.added
  kWidgetRemoved,      // widget.removed
  kCommunityUpdated,   // community.updated: name, description, tags, theme, moderation
  kVisibilityChanged,  // community.visibility.changed
  kMembersAdded,       // community.members.added
  kMembersModified,    // community.members.modified (roles)
  kMembersRemoved,     // community.members.removed
  kPrepareDelete,      // community.prepare.delete: the community is purged
};

std::string_view EventTypeName(EventType type);  // "remote.app.added", ...
Result<EventType> ParseEventType(std::string_view name);
std::vector<std::string> EventTypeNames();

// What an application knows about a community: the synced attributes.
struct CommunityState {
  CommunityUuid uuid;
  std::string name;
  std::string visibility;  // public | publicInviteOnly | private
  bool list_when_private = false;
  std::string theme;
  bool owners_approve_content = false;
  bool viewers_flag_content = false;
  bool in_trash = false;
  int64_t version = 0;  // the Communities version this state is
  std::vector<UserId> owners;
  std::vector<UserId> members;  // members who are not owners
};

struct WidgetRef {
  WidgetInstanceId instance_id;
  std::string widget_def_id;  // remoteAppDefId
  std::optional<std::string> remote_resource_id;
};

struct LifecycleEvent {
  EventId id;
  int64_t seq = 0;  // Communities' sequence number: the order events were produced in
  EventType type = EventType::kCommunityUpdated;
  Millis created = 0;
  UserId actor;
  CommunityState community;
  std::optional<WidgetRef> widget;
  // Set by an administrator's resync (resyncRemoteApps...): the application applies the state
  // whatever version it holds, and re-creates the widget's resource if it has none.
  bool resync = false;
  // remote.app.transfer (assignRemoteApp): the community the resource belonged to.
  std::optional<CommunityUuid> transfer_from;
};

nlohmann::json ToJson(const LifecycleEvent& event);
// kInvalidArgument naming the missing or malformed field.
Result<LifecycleEvent> EventFromJson(const nlohmann::json& json);

}  // namespace concord::lifecycle
