#include "cli_error.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>

namespace concord::cli {

Exit ExitOf(const Error& e) {
  return e.code == ErrorCode::kInvalidArgument ? Exit::kRefused : Exit::kFailed;
}

int Fail(std::string_view command, const Error& e) { return Fail(command, e, ExitOf(e)); }

int Fail(std::string_view command, const Error& e, Exit code) {
  std::string line = command.empty() ? "concord: " : fmt::format("concord {}: ", command);
  line += e.message;
  if (!e.accepted.empty()) line += fmt::format(" (accepted: {})", fmt::join(e.accepted, ", "));
  std::cerr << line << "\n";
  return static_cast<int>(code);
}

}  // namespace concord::cli
