#pragma once
// The Communities service's domain model. Names and values follow the reference
// (connections-admin.md, section 2): visibility `public` | `publicInviteOnly` (moderated) |
// `private` (restricted); roles 0 member and 1 owner.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "concord/base/clock.h"
#include "concord/base/error.h"
#include "concord/base/ids.h"
#include "concord/lifecycle/visibility.h"

namespace concord::communities {

// The shared vocabulary (libs/lifecycle): Communities decides on the same enum the applications do.
using lifecycle::ParseVisibility;
using lifecycle::Visibility;
using lifecycle::VisibilityName;
using lifecycle::VisibilityNames;

enum class Role { kMember = 0, kOwner = 1 };
std::string_view RoleName(Role r);              // "member", "owner"
Result<Role> ParseRole(std::string_view text);  // "member"/"owner" (also "0"/"1")

// Who is acting: the domain's view of an authenticated caller.
struct Actor {
  UserId id;
  bool admin = false;
};

struct TrashState {
  Millis trashed_at = 0;
  UserId trashed_by;
  Visibility visibility_before = Visibility::kPublic;
  bool with_parent = false;  // trashed because its parent was
};

struct Community {
  CommunityUuid uuid;
  std::string name;
  std::optional<std::string> handle;
  std::string description;
  std::vector<std::string> tags;
  Visibility visibility = Visibility::kPublic;
  bool list_when_private = false;
  std::string theme = "default";
  bool owners_approve_content = false;
  bool viewers_flag_content = false;
  std::optional<CommunityUuid> parent;
  Millis created = 0;
  UserId created_by;
  Millis last_mod = 0;
  UserId last_mod_by;
  int64_t version = 1;  // grows by one with every change to the community, its members or widgets
  int64_t member_count = 0;
  std::optional<TrashState> trash;
};

// What one caller may see of a community: all of it, or (a restricted community listed to
// everybody) the listing: title, description, tags and owners.
struct CommunityView {
  Community community;
  bool full = true;
  std::optional<Role> caller_role;  // the caller's own membership, if any
};

struct User {
  UserId id;
  std::string login;
  std::string email;
  std::string display_name;
  bool admin = false;
  bool disabled = false;
  Millis created = 0;
};

struct Member {
  UserId user;
  std::string login;
  std::string email;
  std::string display_name;
  Role role = Role::kMember;
  Millis added = 0;
};

struct Widget {
  WidgetInstanceId instance_id;
  CommunityUuid community;
  std::string widget_def_id;
  std::optional<std::string> remote_resource_id;
  std::string ui_location;
  Millis created = 0;
};

// A lifecycle event delivery that its application has not acknowledged yet: the reference's
// queued event (LC_EVENT_REPLAY). `state` is "pending" until the dispatcher has tried it and
// "queued" once a delivery failed; a queued event waits for LifecycleRetryQueuedEvents or an
// administrator's retry.
struct QueuedEvent {
  int64_t seq = 0;  // the event's place in the event log
  EventId event_id;
  std::string event_type;
  std::string remote_app_def_id;
  CommunityUuid community;  // the reference's resourceId (resourceType is always community)
  std::string state;
  int64_t attempts = 0;
  std::optional<std::string> last_error;
  Millis inserted = 0;
};

// One entry of the lifecycle event log, as administrators list it.
struct EventLogEntry {
  int64_t seq = 0;
  EventId event_id;
  std::string event_type;
  CommunityUuid community;
  Millis created = 0;
  // The applications it was queued for; nullopt for an event logged before Concord recorded
  // them.
  std::optional<std::vector<std::string>> recipients;
};

// Which queued events a view or a clear covers; unset fields match everything.
struct QueuedEventFilter {
  std::optional<std::string> remote_app_def_id;
  std::optional<CommunityUuid> community;
  std::optional<std::string> event_type;
  std::optional<EventId> event_id;
  // When not empty: only these events (each with the other fields' conditions), so that what an
  // administrator cleared is exactly what was set aside.
  std::vector<EventId> event_ids;
};

// The queue of one application: how many events, and when the oldest was created.
struct QueueSummary {
  std::string remote_app_def_id;
  int64_t events = 0;
  Millis earliest = 0;
};

// What a synchronization report compares with an application's export: a community (trashed
// ones included), its widget of one widgetDefId if it has one, its owners (with the names and
// addresses administrators contact) and its members' ids.
struct SyncState {
  Community community;
  std::optional<Widget> widget;
  std::vector<Member> owners;
  std::vector<UserId> members;  // owners not repeated
};

// One page of a keyset-paged listing: `next` is the cursor for the following page.
template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next;
};

}  // namespace concord::communities
