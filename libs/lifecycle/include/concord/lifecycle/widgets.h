#pragma once
// The widget catalogue shared by Communities, the remote applications and the admin console:
// which widgetDefIds exist, which are remote applications (and so receive lifecycle events),
// which a new community gets, which can be removed, and where each is placed.
// Names and values follow the reference (connections-admin.md, section 2.3); ids are
// case-sensitive.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace concord::lifecycle {

struct WidgetDef {
  std::string_view def_id;       // widgetDefId / remoteAppDefId, e.g. "Blog"
  bool remote;                   // a separate application that holds community-owned data
  bool in_new_communities;       // added to every new community
  bool removable;                // owners may remove it
  std::string_view ui_location;  // "col2", or "col2statusposts" for StatusUpdates
  std::string_view application;  // the service that owns its data ("blogs"); empty if local
};

// Every widget Concord knows: the remote applications' (from the application registry,
// libs/apps), then the local ones, in the reference's order.
std::span<const WidgetDef> AllWidgetDefs();

// The definition of `def_id` (exact, case-sensitive match), or nullptr.
const WidgetDef* FindWidgetDef(std::string_view def_id);

// Accepted values for error messages.
std::vector<std::string> WidgetDefIds();        // every widget
std::vector<std::string> RemoteWidgetDefIds();  // remote applications, Library included
// The uiLocation values that exist.
std::vector<std::string> UiLocations();

}  // namespace concord::lifecycle
