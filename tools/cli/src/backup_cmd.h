#pragma once
// `concord backup` and `concord restore` (docs/backup-restore.md).

#include <CLI/CLI.hpp>
#include <functional>

namespace concord::cli {

// Adds both subcommands to `app`; the returned function runs the one chosen (after parsing)
// and returns its exit status, or -1 if neither was chosen.
std::function<int()> AddBackupCommands(CLI::App& app);

}  // namespace concord::cli
