// The console's argument check (python_args.h) in an embedded interpreter, as concord-admin runs
// it: what each Kind accepts. Through the console and a server: tests/e2e/admin_console_test.cc.
#include "python_args.h"

#include <gtest/gtest.h>
#include <pybind11/embed.h>

#include <string>
#include <vector>

#include "command.h"

namespace py = pybind11;

namespace concord::admin {
namespace {

// One interpreter for the whole test program, started as concord-admin starts it.
class Python : public ::testing::Environment {
 public:
  void SetUp() override {
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    PyConfig_SetBytesString(&config, &config.home, CONCORD_PYTHON_HOME);
    py::initialize_interpreter(&config, 0, nullptr, false);
  }
  void TearDown() override { py::finalize_interpreter(); }
};
[[maybe_unused]] const auto* const kPython = ::testing::AddGlobalTestEnvironment(new Python);

const Command& Find(const std::string& service, const std::string& name) {
  for (const auto& c : Commands()) {
    if (c.service == service && c.name == name) return c;
  }
  throw std::runtime_error("no command " + service + "." + name);
}

// The arguments a Python expression (a tuple) gives, evaluated after `setup`.
py::tuple Args(const std::string& expression, const std::string& setup = "") {
  py::dict scope;
  scope["__builtins__"] = py::module_::import("builtins");
  if (!setup.empty()) py::exec(setup, scope);
  return py::eval(expression, scope).cast<py::tuple>();
}

TEST(ConsoleArgsTest, EachKindAcceptsWhatTheReferenceScriptsPass) {
  const Command& force = Find("CommunitiesScheduler", "forceTaskExecution");
  auto v = ConvertArgs(force, Args("('EventLogCleanup', 'TRUE')"));
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], "EventLogCleanup");
  EXPECT_EQ(v[1], true);
  EXPECT_EQ(ConvertArgs(force, Args("('EventLogCleanup', False)"))[1], false);
  EXPECT_TRUE(ConvertArgs(force, Args("('EventLogCleanup', None)"))[1].is_null());
  EXPECT_EQ(ConvertArgs(force, Args("('EventLogCleanup',)")).size(), 1u);

  const Command& add = Find("CommunitiesService", "addMembersToCommunityByEmail");
  v = ConvertArgs(add, Args("('Solo', 1, ' kim@example.com,, ann@example.com ')"));
  EXPECT_EQ(v[1], 1);
  EXPECT_EQ(v[2], Value::array({"kim@example.com", "ann@example.com"}));
  EXPECT_EQ(ConvertArgs(add, Args("('Ünïcode', 0, ('a@x',))"))[0], "Ünïcode");

  const Command& view = Find("CommunitiesQEventService", "viewQueuedEventsByRemoteAppDefId");
  v = ConvertArgs(view, Args("('Forum', {'Seq': 41, 'RemAppDefId': 'Forum', 'x': [1.5, None]}, "
                             "500)"));
  EXPECT_EQ(v[1]["Seq"], 41);
  EXPECT_EQ(v[1]["x"][0], 1.5);
  // As deep as Python itself prints.
  v = ConvertArgs(view, Args("('Forum', x, 10)", "x = 0\nfor _ in range(1000): x = [x]"));
  EXPECT_TRUE(v[1].is_array());
}

}  // namespace
}  // namespace concord::admin
