#pragma once
// `concord maintenance on|off|status|apache-config|nginx-config`.

#include <CLI/CLI.hpp>
#include <functional>

namespace concord::cli {

// Adds the subcommand to `app`; the returned function runs it (after parsing) and returns the
// exit status, or -1 if the subcommand was not chosen.
std::function<int()> AddMaintenanceCommand(CLI::App& app);

}  // namespace concord::cli
