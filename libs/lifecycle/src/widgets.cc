#include "concord/lifecycle/widgets.h"

#include <array>

namespace concord::lifecycle {
namespace {

constexpr std::array<WidgetDef, 14> kWidgets = {{
    // Remote applications: lifecycle events reach them (reference 2.3, 2.4).
    {"Activities", true, false, true, "col2", "activities"},
    {"Blog", true, false, true, "col2", "blogs"},
    {"IdeationBlog", true, false, true, "col2", "blogs"},
    {"Files", true, true, true, "col2", "files"},
    {"Forum", true, true, true, "col2", "forums"},
    {"Wiki", true, false, true, "col2", "wikis"},
    {"StatusUpdates", true, true, true, "col2statusposts", "news"},
    {"Library", true, false, true, "col2", "libraries"},
    // Local widgets, kept by Communities itself.
    {"Members", false, true, false, "col2", ""},
    {"RecentUpdates", false, true, false, "col2", ""},
    {"Bookmarks", false, true, true, "col2", ""},
    {"Feeds", false, false, true, "col2", ""},
    {"Subcommunities", false, false, true, "col2", ""},
    {"RelatedCommunities", false, false, true, "col2", ""},
}};

}  // namespace

std::span<const WidgetDef> AllWidgetDefs() { return kWidgets; }

const WidgetDef* FindWidgetDef(std::string_view def_id) {
  for (const auto& w : kWidgets) {
    if (w.def_id == def_id) return &w;
  }
  return nullptr;
}

std::vector<std::string> WidgetDefIds() {
  std::vector<std::string> out;
  for (const auto& w : kWidgets) out.emplace_back(w.def_id);
  return out;
}

std::vector<std::string> RemoteWidgetDefIds() {
  std::vector<std::string> out;
  for (const auto& w : kWidgets) {
    if (w.remote) out.emplace_back(w.def_id);
  }
  return out;
}

std::vector<std::string> UiLocations() { return {"col2", "col2statusposts"}; }

}  // namespace concord::lifecycle
