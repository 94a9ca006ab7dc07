#pragma once
// The console's command table: every command of every service object, with its parameters, its
// help and the function that runs it. The Python binding (python_module.cc) is one generic
// adapter over this table: it checks the arguments against the parameters, converts them, runs
// the command and converts the result, so each command below is written once, in C++, against
// the admin API client.
//
//   Command{"CommunitiesScheduler", "pauseSchedulingTask", {{"taskName", Kind::kString}},
//           "Suspends a task; returns 1, or 0 on failure", Failure::kReturnZero,
//           [](Session& s, const Args& a) -> Result<Value> { ... }};

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "concord/base/error.h"
#include "concord/http/client.h"

namespace concord::admin {

// Values cross between Python and the commands as JSON: null is None, objects are dicts (in the
// order the command built them), arrays are lists.
using Value = nlohmann::ordered_json;
using Args = std::vector<Value>;

enum class Kind {
  kString,       // str
  kInt,          // int (not bool)
  kValueOrNone,  // None or any value (the reference's lastEvent map, a prior uuid); checked by the
                 // command
  kStringList,   // list or tuple of str (the reference's Vector)
  kFlag,         // "true" / "false" (also True / False)
};

struct Param {
  std::string name;
  Kind kind;
  bool optional = false;  // only trailing parameters
};

// How a command reports failure: the reference documents `0` for some commands (pause,
// resume, retry); the others raise AdminError. Either way a -c or -f run exits non-zero.
enum class Failure { kRaise, kReturnZero };

// What a command may print and whom it talks to.
class Session {
 public:
  virtual ~Session() = default;
  virtual http::Client& client() = 0;
  // Writes to the console's standard output (Python's sys.stdout, so that it interleaves with
  // the script's own prints).
  virtual void Print(const std::string& text) = 0;
};

using Run = std::function<Result<Value>(Session&, const Args&)>;

struct Command {
  std::string service;  // e.g. "CommunitiesQEventService"
  std::string name;     // e.g. "viewQueuedEventsSummary"
  std::vector<Param> params;
  std::string help;
  Failure failure = Failure::kRaise;
  Run run;
  std::string alias_of;  // set for a documented alternative spelling

  // "viewQueuedEventsByRemoteAppDefId(remoteAppDefId, lastEvent, maxRows)"
  std::string Signature() const;
};

// A service object and the script that loads it, as in the reference's section 3 table.
struct Service {
  std::string name;
  std::string script;  // "communitiesAdmin.py"
  std::string summary;
};

// Every service object, in the order help() lists them.
const std::vector<Service>& Services();
// Every command. Built once.
const std::vector<Command>& Commands();

// The scripts execfile() accepts, in help order.
std::vector<std::string> AdminScripts();

// Adds each group's commands (one function per service family).
void AddSchedulerCommands(std::vector<Command>& out);
void AddQueueCommands(std::vector<Command>& out);
void AddCommunityCommands(std::vector<Command>& out);
void AddMaintenanceCommands(std::vector<Command>& out);
void AddExportCommands(std::vector<Command>& out);
void AddRemoteAppCommands(std::vector<Command>& out);
void AddDeleteCommands(std::vector<Command>& out);
void AddShareCommands(std::vector<Command>& out);

// Runs `service.name(args...)` from the table, as a script would (the argument count is
// checked; the values must be of the parameters' kinds). For programs that run the console's
// commands as steps (`concord recover`).
Result<Value> RunCommand(Session& s, std::string_view service, std::string_view name,
                         const Args& args);

// The export of one application (remoteAppDefId) into `file` on this machine, through a
// .partial file renamed once complete: what every exportSyncedResourceInfo runs.
Result<Value> ExportApp(Session& s, const std::string& app, const std::filesystem::path& file);

// Helpers shared by the command files.
// "Service.command: message (accepted: a, b)" from an error.
std::string Describe(const Command& c, const Error& e);
// Prints rows as a table with a header and ' | ' between columns.
void PrintTable(Session& s, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace concord::admin
