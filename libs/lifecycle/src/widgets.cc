#include "concord/lifecycle/widgets.h"

#include <array>

#include "concord/apps/registry.h"

namespace concord::lifecycle {
namespace {

// Local widgets, kept by Communities itself.
constexpr std::array<WidgetDef, 6> kLocal = {{
    {"Members", false, true, false, "col2", ""},
    {"RecentUpdates", false, true, false, "col2", ""},
    {"Bookmarks", false, true, true, "col2", ""},
    {"Feeds", false, false, true, "col2", ""},
    {"Subcommunities", false, false, true, "col2", ""},
    {"RelatedCommunities", false, false, true, "col2", ""},
}};

// Remote applications first (lifecycle events reach them, reference 2.3, 2.4), from the
// registry, then the local widgets.
const std::vector<WidgetDef>& Catalogue() {
  static const std::vector<WidgetDef> kAll = [] {
    std::vector<WidgetDef> out;
    for (const apps::Application* a : apps::All()) {
      for (const auto& w : a->widgets) {
        out.push_back(
            {w.def_id, true, w.in_new_communities, w.removable, w.ui_location, a->service});
      }
    }
    out.insert(out.end(), kLocal.begin(), kLocal.end());
    return out;
  }();
  return kAll;
}

}  // namespace

std::span<const WidgetDef> AllWidgetDefs() { return Catalogue(); }

const WidgetDef* FindWidgetDef(std::string_view def_id) {
  for (const auto& w : Catalogue()) {
    if (w.def_id == def_id) return &w;
  }
  return nullptr;
}

std::vector<std::string> WidgetDefIds() {
  std::vector<std::string> out;
  for (const auto& w : Catalogue()) out.emplace_back(w.def_id);
  return out;
}

std::vector<std::string> RemoteWidgetDefIds() { return apps::WidgetDefIds(); }

std::vector<std::string> UiLocations() { return {"col2", "col2statusposts"}; }

}  // namespace concord::lifecycle
