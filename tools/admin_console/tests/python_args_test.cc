// The console's argument check (python_args.h) in an embedded interpreter, as concord-admin runs
// it: what each Kind accepts, and that a bad argument is an AdminException naming the command and
// the parameter, never another exception or a crash. Through the console and a server:
// tests/e2e/admin_console_e2e_test.cc.
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

// Found by tests/fuzz/console_args_fuzzer: each of these escaped the check as something other
// than an AdminException (a pybind11::cast_error, shown by the console as a RuntimeError
// traceback that names no parameter; a Python ValueError or RecursionError from the message's
// repr), or overflowed the stack (a list holding itself, or nested 100,000 deep: concord-admin
// died with SIGSEGV).
TEST(ConsoleArgsTest, BadArgumentsAreAdminErrorsNamingTheParameter) {
  struct Case {
    std::string service, command, args, setup;
    std::vector<std::string> expected;  // in the message
  };
  const std::string deep = "x = 0\nfor _ in range(100000): x = [x]";
  const std::vector<Case> cases = {
      {"CommunitiesService",
       "fetchCommByName",
       "('\\ud800',)",
       "",
       {"fetchCommByName(communityName): communityName must be text without lone surrogates",
        "'\\ud800'"}},
      {"CommunitiesService",
       "addMembersToCommunityByEmail",
       "('Solo', 0, ['a@x', '\\udcff'])",
       "",
       {"emailAddresses must be a list of text without lone surrogates"}},
      {"CommunitiesService",
       "addMembersToCommunityByEmail",
       "('Solo', 0, 'a@x,\\udcff')",
       "",
       {"emailAddresses must be text without lone surrogates"}},
      {"CommunitiesScheduler",
       "forceTaskExecution",
       "('EventLogCleanup', '\\udc80')",
       "",
       {"executeSynchronously must be \"true\" or \"false\""}},
      {"CommunitiesService",
       "fetchBatchComm",
       "(10, '\\udc80-uuid')",
       "",
       {"CommunitiesService.fetchBatchComm: priorLastCommunityId: strings must be text without "
        "lone surrogates"}},
      {"CommunitiesQEventService",
       "viewQueuedEventsByRemoteAppDefId",
       "('Forum', {'\\udc80': 1}, 10)",
       "",
       {"viewQueuedEventsByRemoteAppDefId: lastEvent: map keys must be text"}},
      {"CommunitiesRemoteAppService",
       "replayEvents",
       "('Forum', 2**64)",
       "",
       {"CommunitiesRemoteAppService.replayEvents: afterSeq: integers must fit in 64 bits, not "
        "18446744073709551616"}},
      {"CommunitiesRemoteAppService",
       "replayEvents",
       "('Forum', [1, -2**63 - 1])",
       "",
       {"afterSeq: integers must fit in 64 bits"}},
      {"CommunitiesService",
       "fetchCommByName",
       "(x,)",
       deep,
       {"communityName must be a string, not a value of type list"}},
      {"CommunitiesQEventService",
       "viewQueuedEventsByResourceType",
       "('community', None, 10**5000)",
       "",
       {"maxRows must be an integer that fits in 64 bits, not a value of type int"}},
      {"CommunitiesScheduler",
       "pauseSchedulingTask",
       "(10**5000,)",
       "",
       {"taskName must be a string, not a value of type int"}},
      // Last: before, each of these overflowed the stack.
      {"ActivityService",
       "deleteActivities",
       "(x,)",
       "x = []\nx.append(x)",
       {"ActivityService.deleteActivities: activities must not nest lists and dicts deeper than "
        "1000 levels (nor hold itself)"}},
      {"ActivityService",
       "deleteActivities",
       "(x,)",
       "x = {}\nx['k'] = [x]",
       {"activities must not nest"}},
      {"ActivityService", "deleteActivities", "(x,)", deep, {"activities must not nest"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.service + "." + c.command + c.args);
    const Command& command = Find(c.service, c.command);
    py::tuple args = Args(c.args, c.setup);
    try {
      ConvertArgs(command, args);
      ADD_FAILURE() << "accepted";
    } catch (const AdminException& e) {
      for (const auto& expected : c.expected) {
        EXPECT_NE(std::string(e.what()).find(expected), std::string::npos)
            << "expected: " << expected << "\n  in: " << e.what();
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not an AdminException: " << e.what();
    }
    EXPECT_FALSE(PyErr_Occurred());
  }
}

}  // namespace
}  // namespace concord::admin
