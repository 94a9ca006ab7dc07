#pragma once
// `concord recover` (docs/recovery-runbook.md).

#include <CLI/CLI.hpp>
#include <functional>

namespace concord::cli {

// Adds the subcommand to `app`; the returned function runs it (after parsing) and returns the
// exit status, or -1 if it was not chosen.
std::function<int()> AddRecoverCommand(CLI::App& app);

}  // namespace concord::cli
