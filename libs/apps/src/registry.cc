#include "concord/apps/registry.h"

#include <algorithm>

namespace concord::apps {

// Generated from CONCORD_APPLICATIONS (libs/apps/CMakeLists.txt): each application's Describe().
const std::vector<const Application*>& Registered();

const std::vector<const Application*>& All() { return Registered(); }

const Application* ByService(std::string_view service) {
  for (const Application* a : All()) {
    if (a->service == service) return a;
  }
  return nullptr;
}

const Application* ByWidget(std::string_view def_id) {
  for (const Application* a : All()) {
    for (const auto& w : a->widgets) {
      if (w.def_id == def_id) return a;
    }
  }
  return nullptr;
}

const Widget* FindWidget(std::string_view def_id) {
  for (const Application* a : All()) {
    for (const auto& w : a->widgets) {
      if (w.def_id == def_id) return &w;
    }
  }
  return nullptr;
}

std::vector<std::string> ServiceNames() {
  std::vector<std::string> out;
  for (const Application* a : All()) out.emplace_back(a->service);
  return out;
}

std::vector<std::string> WidgetDefIds() {
  std::vector<std::string> out;
  for (const Application* a : All()) {
    for (const auto& w : a->widgets) out.emplace_back(w.def_id);
  }
  return out;
}

}  // namespace concord::apps
