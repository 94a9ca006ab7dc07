#pragma once
// How every `concord` subcommand ends on an error: one line on stderr naming the subcommand,
// and one table of exit codes (README.md, "Exit codes"):
//
//   0  done; for a question (`status`, `maintenance status`): yes
//   1  the operation failed, or the answer is no (not recovered, maintenance off, no server)
//   2  refused before anything changed: bad input (an argument, concord.toml, a file read back)
//
//   if (!config) return Fail("backup", config.error());

#include <string_view>

#include "concord/base/error.h"

namespace concord::cli {

enum class Exit : int { kOk = 0, kFailed = 1, kRefused = 2 };

// The exit code of an error: kRefused for bad input (kInvalidArgument), kFailed otherwise.
Exit ExitOf(const Error& e);

// Prints "concord <command>: <message> (accepted: a, b)" and returns ExitOf(e), or `code` when
// given (`maintenance status`, where 1 means "off", says 2 for any error).
int Fail(std::string_view command, const Error& e);
int Fail(std::string_view command, const Error& e, Exit code);

}  // namespace concord::cli
