#include "concord/apps/registry.h"

#include <algorithm>
#include <cstdlib>

namespace concord::apps {

// Generated from CONCORD_APPLICATIONS (libs/apps/CMakeLists.txt): each application's Describe().
const std::vector<const Application*>& Registered();

const std::vector<const Application*>& All() {
  static const std::vector<const Application*> kSeen = [] {
    const char* fixtures = std::getenv("CONCORD_TEST_APPLICATIONS");
    bool with_fixtures = fixtures != nullptr && std::string_view(fixtures) == "1";
    std::vector<const Application*> out;
    for (const Application* a : Registered()) {
      if (!a->test_fixture || with_fixtures) out.push_back(a);
    }
    return out;
  }();
  return kSeen;
}

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
