#pragma once
// The console's argument check: Python arguments to the command table's Kinds (command.h), as
// every command's binding does before the command runs. In the library concord_admin_python,
// which concord-admin and the fuzz target tests/fuzz/console_args_fuzzer.cc link.
//
//   const Command& c = ...;                  // from Commands()
//   Args values = ConvertArgs(c, py_args);   // throws AdminException on a bad argument
//   auto result = c.run(session, values);

#include <pybind11/pybind11.h>

#include <stdexcept>

#include "command.h"

namespace concord::admin {

// A bad argument (or a command's failure): raised in Python as concord_admin.AdminError, with
// the message as its text.
struct AdminException : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// How deeply a value given for a Kind::kValueOrNone parameter may nest lists, tuples and dicts:
// Python's own default recursion limit, past which it cannot print or json.dumps a value either.
// A value that holds itself (a list appended to itself) is refused by the same count.
inline constexpr int kMaxValueDepth = 1000;

// Checks the number of `args` against `c`'s parameters and converts each to its parameter's
// Kind. Throws AdminException naming the command and the parameter (and what it must be) when an
// argument is missing, extra or of another kind. Needs the interpreter, with the GIL held.
Args ConvertArgs(const Command& c, const pybind11::tuple& args);

}  // namespace concord::admin
