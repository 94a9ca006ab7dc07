#pragma once
// Every remote application Concord is built with, each described once (application.h), in the
// order of CONCORD_APPLICATIONS (the top CMakeLists.txt), which is the reference's order of
// remoteAppDefIds.
//
//   for (const apps::Application& a : apps::All()) ...
//   const apps::Application* a = apps::ByWidget(def_id);   // nullptr if none

#include <string>
#include <string_view>
#include <vector>

#include "concord/apps/application.h"

namespace concord::apps {

// Every application, in registration order. The references stay valid for the program's life.
// Test applications (test_fixture) are left out unless the environment has
// CONCORD_TEST_APPLICATIONS=1 when this is first called.
const std::vector<const Application*>& All();

// The application named `service` (its `service`, lower case), or nullptr.
const Application* ByService(std::string_view service);
// The application serving remoteAppDefId `def_id` (case-sensitive), or nullptr.
const Application* ByWidget(std::string_view def_id);
// The widget `def_id` of the application serving it, or nullptr.
const Widget* FindWidget(std::string_view def_id);

// Every application's service name, in order.
std::vector<std::string> ServiceNames();
// Every remoteAppDefId, in order.
std::vector<std::string> WidgetDefIds();

}  // namespace concord::apps
