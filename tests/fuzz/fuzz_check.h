#pragma once
// Properties the fuzz targets of files check beside "no crash": an error about a file a user may
// have damaged is kInvalidArgument naming the file (in its message) and the field (Error::field),
// or another canonical code for what is not the file's fault. Anything else stops the fuzzer
// (abort: libFuzzer reports it as a crash, with the input).

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "concord/base/error.h"

namespace concord::fuzz {

inline void Require(bool ok, std::string_view what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::abort();
}

// `e` is what a reader of `file` (its name, e.g. "manifest.json") reported.
inline void RequireNamedError(const Error& e, std::string_view file) {
  if (e.code != ErrorCode::kInvalidArgument) return;  // kNotFound, kUnavailable: not the input's
  Require(!e.field.empty(), "a kInvalidArgument error names no field");
  Require(e.message.find(file) != std::string::npos, "a kInvalidArgument error names no file");
}

}  // namespace concord::fuzz
