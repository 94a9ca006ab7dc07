#pragma once
// The embedded Python module `concord_admin`: service objects whose attributes are the commands
// of command.h, the AdminError exception, and the console's builtins (execfile, help).

#include <string>

#include "command.h"

namespace concord::admin {

// What the module needs from the running console; set before Python runs any command.
struct ModuleContext {
  Session* session = nullptr;
  bool interactive = false;
  // Set when a command reported failure by its return value (the reference's 0): a -c or -f run
  // then exits non-zero even though no exception escaped.
  bool command_failed = false;
};
ModuleContext& Context();

// Installs execfile and help into builtins and binds every service object into `__main__`.
// Call once, after the interpreter has started.
void InstallConsole();

}  // namespace concord::admin
