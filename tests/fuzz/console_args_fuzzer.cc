// The admin console's argument check (tools/admin_console python_args.h: ConvertArgs), which
// every command's Python binding runs before the command: Python values to the command table's
// Kinds (command.h). Only the check runs, never the command, so no server is needed (several
// commands touch files named by their arguments, which a fuzzer must not do); the commands' own
// checks are tested end to end (tests/e2e/admin_console_e2e_test.cc).
//
// The input is readable text: a first line naming the command ("Service.command"; any other
// line picks a command by its bytes), then a program that builds the arguments on a stack, one
// operation a character:
//   N  None          T F  True False        o  object()       c  complex(1, 2)
//   i<digits>;  an int (e.g. i-9223372036854775809;)   P  7 ** the top int (below 200000)
//   f<text>;    float(text) (e.g. fnan; f-inf; f1e308;)
//   s<bytes>;   a str: the bytes as UTF-8, invalid ones as lone surrogates (surrogateescape)
//   u<hex>;     a str of one code point, surrogates included (e.g. ud800;)
//   b<bytes>;   bytes          B  bytearray of the top str's UTF-8, or empty
//   l<n> t<n> S<n>  a list, tuple or set of the top n items (n one digit)
//   d<n>        a dict of the top n key/value pairs (keys of any hashable kind)
//   D<n>;       the top item nested n lists deep    E<n>;  n dicts deep ({"k": ...})
//   r           the top list or dict made to contain itself
// The stack, bottom first, is the argument tuple. Seeds: tests/fuzz/corpus/console_args/.
//
// Properties, beside no crash: ConvertArgs returns one Value per argument, of its parameter's
// Kind (null only for an optional parameter given None), which JSON can print; or it throws
// AdminException naming the command, leaving no Python error pending. Any other exception is a
// finding (in the console it escapes as a Python traceback instead of the AdminError message).
// And the objects an input made are freed (CheckNoObjectsKeptAlive).
#include <pybind11/embed.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "command.h"
#include "python_args.h"

#ifndef CONCORD_PYTHON_HOME
#error "CONCORD_PYTHON_HOME must name the prefix of the Python the console is built against"
#endif

namespace py = pybind11;
using concord::admin::Command;
using concord::admin::Kind;

namespace {

void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

// How deep D and E nest: enough to overflow any stack a recursive conversion would use; the
// console itself bounds nothing (a script builds any depth in a loop), this is the fuzzer's
// time per input.
constexpr size_t kMaxNesting = 100000;

class Builder {
 public:
  explicit Builder(std::string_view program) : in_(program) {}

  py::tuple Run() {
    while (pos_ < in_.size()) Step(in_[pos_++]);
    py::tuple args(stack_.size());
    for (size_t i = 0; i < stack_.size(); ++i) args[i] = stack_[i];
    return args;
  }

 private:
  // Up to the next ';' (or the end).
  std::string_view Text() {
    size_t end = std::min(in_.find(';', pos_), in_.size());
    std::string_view t = in_.substr(pos_, end - pos_);
    pos_ = std::min(end + 1, in_.size());
    return t;
  }
  size_t Digit() {
    if (pos_ >= in_.size() || in_[pos_] < '0' || in_[pos_] > '9') return 1;
    return static_cast<size_t>(in_[pos_++] - '0');
  }
  std::vector<py::object> Pop(size_t n) {
    n = std::min(n, stack_.size());
    std::vector<py::object> top(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return top;
  }
  py::object PopOne() {
    if (stack_.empty()) return py::none();
    auto top = Pop(1);
    return top[0];
  }
  size_t Count() {
    std::string_view t = Text();
    size_t n = 0;
    for (char ch : t) {
      if (ch < '0' || ch > '9') break;
      n = std::min(kMaxNesting, n * 10 + static_cast<size_t>(ch - '0'));
    }
    return n;
  }
  void Push(py::object o) { stack_.push_back(std::move(o)); }

  void Step(char op) {
    auto builtins = py::module_::import("builtins");
    switch (op) {
      case 'N': Push(py::none()); break;
      case 'T': Push(py::bool_(true)); break;
      case 'F': Push(py::bool_(false)); break;
      case 'o': Push(builtins.attr("object")()); break;
      case 'c': Push(builtins.attr("complex")(1, 2)); break;
      case 'i': {
        std::string digits(Text());
        PyObject* n = PyLong_FromString(digits.c_str(), nullptr, 10);
        if (!n) {
          PyErr_Clear();
          n = PyLong_FromLong(0);
        }
        Push(py::reinterpret_steal<py::object>(n));
        break;
      }
      case 'P': {  // ints of more digits than Python prints (4300) or reads
        py::object top = PopOne();
        long n = 0;
        if (py::isinstance<py::int_>(top)) {
          n = PyLong_AsLong(top.ptr()) % 200000;
          if (PyErr_Occurred()) {
            PyErr_Clear();
            n = 0;
          }
        }
        PyObject* p = PyNumber_Power(py::int_(7).ptr(), py::int_(n < 0 ? -n : n).ptr(), Py_None);
        Require(p != nullptr, "7 ** n is an int");
        Push(py::reinterpret_steal<py::object>(p));
        break;
      }
      case 'f': {
        std::string text(Text());
        PyObject* s =
            PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
        PyObject* f = s ? PyFloat_FromString(s) : nullptr;
        Py_XDECREF(s);
        if (!f) {
          PyErr_Clear();
          f = PyFloat_FromDouble(0.5);
        }
        Push(py::reinterpret_steal<py::object>(f));
        break;
      }
      case 's': {
        std::string_view t = Text();
        PyObject* s =
            PyUnicode_DecodeUTF8(t.data(), static_cast<Py_ssize_t>(t.size()), "surrogateescape");
        Require(s != nullptr, "surrogateescape decodes anything");
        Push(py::reinterpret_steal<py::object>(s));
        break;
      }
      case 'u': {
        std::string hex(Text());
        Py_UCS4 cp = static_cast<Py_UCS4>(std::strtoul(hex.c_str(), nullptr, 16) % 0x110000);
        Push(py::reinterpret_steal<py::object>(
            PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, &cp, 1)));
        break;
      }
      case 'b': {
        std::string_view t = Text();
        Push(py::bytes(t.data(), t.size()));
        break;
      }
      case 'B': {
        py::object top = PopOne();
        std::string utf8 =
            py::isinstance<py::str>(top)
                ? std::string(
                      py::str(top).attr("encode")("utf-8", "surrogatepass").cast<std::string>())
                : std::string();
        Push(builtins.attr("bytearray")(py::bytes(utf8)));
        break;
      }
      case 'l':
      case 't':
      case 'S': {
        py::list items;
        for (auto& o : Pop(Digit())) items.append(o);
        if (op == 'l') {
          Push(items);
        } else if (op == 't') {
          Push(py::tuple(items));
        } else {
          PyObject* set = PySet_New(items.ptr());  // fails for unhashable items
          if (!set) {
            PyErr_Clear();
            set = PySet_New(nullptr);
          }
          Push(py::reinterpret_steal<py::object>(set));
        }
        break;
      }
      case 'd': {
        auto items = Pop(2 * Digit());
        py::dict d;
        for (size_t i = 0; i + 1 < items.size(); i += 2) {
          if (PyDict_SetItem(d.ptr(), items[i].ptr(), items[i + 1].ptr()) != 0) PyErr_Clear();
        }
        Push(d);
        break;
      }
      case 'D':
      case 'E': {
        size_t n = Count();
        py::object o = PopOne();
        for (size_t i = 0; i < n; ++i) {
          if (op == 'D') {
            py::list l;
            l.append(o);
            o = l;
          } else {
            py::dict d;
            d["k"] = o;
            o = d;
          }
        }
        Push(o);
        break;
      }
      case 'r': {
        py::object top = PopOne();
        if (py::isinstance<py::list>(top)) top.cast<py::list>().append(top);
        if (py::isinstance<py::dict>(top)) top.cast<py::dict>()["self"] = top;
        Push(top);
        break;
      }
      default: break;  // anything else (spaces, newlines) is nothing
    }
    Require(!PyErr_Occurred(), "the builder left a Python error pending");
  }

  std::string_view in_;
  size_t pos_ = 0;
  std::vector<py::object> stack_;
};

const Command& Choose(std::string_view line) {
  const auto& commands = concord::admin::Commands();
  for (const auto& c : commands) {
    if (line.size() == c.service.size() + 1 + c.name.size() && line.starts_with(c.service) &&
        line[c.service.size()] == '.' && line.ends_with(c.name)) {
      return c;
    }
  }
  size_t sum = 0;
  for (unsigned char ch : line) sum += ch;
  return commands[sum % commands.size()];
}

bool OfItsKind(const concord::admin::Param& p, const concord::admin::Value& v) {
  if (p.optional && v.is_null()) return true;
  switch (p.kind) {
    case Kind::kString: return v.is_string();
    case Kind::kInt: return v.is_number_integer();
    case Kind::kValueOrNone: return true;
    case Kind::kStringList:
      return v.is_array() &&
             std::all_of(v.begin(), v.end(), [](const auto& e) { return e.is_string(); });
    case Kind::kFlag: return v.is_boolean();
  }
  return false;
}

// A reference the conversion takes and never drops keeps an object alive: not a leak LSan sees
// (a list or dict stays reachable through Python's GC lists, and libFuzzer stops checking leaks
// input by input once it sees the interpreter keep caches). So every 1000 inputs, once the
// input's objects are gone and after a collection, the number of objects the GC tracks must stay
// where it was (it moves by a few).
void CheckNoObjectsKeptAlive() {
  static size_t inputs = 0;
  static size_t baseline = 0;
  if (++inputs % 1000 != 0) return;
  auto gc = py::module_::import("gc");
  gc.attr("collect")();
  size_t tracked = py::len(gc.attr("get_objects")());
  if (baseline == 0) baseline = tracked;
  Require(tracked < baseline + 1000, "Python objects kept alive from input to input");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Python's objects from malloc, not its own arenas, so that AddressSanitizer sees each one (a
  // reference dropped once too often is a use after free).
  PyPreConfig pre;
  PyPreConfig_InitIsolatedConfig(&pre);
  pre.allocator = PYMEM_ALLOCATOR_MALLOC;
  PyStatus status = Py_PreInitialize(&pre);
  if (PyStatus_Exception(status)) Py_ExitStatusException(status);
  // As concord-admin starts it (main.cc): Debian's Python, isolated from the environment. No
  // signal handlers: libFuzzer's own stay.
  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  PyConfig_SetBytesString(&config, &config.home, CONCORD_PYTHON_HOME);
  PyConfig_SetBytesString(&config, &config.program_name, "concord-admin");
  config.install_signal_handlers = 0;
  // Never finalized: the interpreter lives until the process exits, as in the console.
  py::initialize_interpreter(&config, 0, nullptr, false);
  return 0;
}

// Builds the arguments, converts them and checks the result; the arguments are gone on return.
void ConvertInput(std::string_view input) {
  size_t eol = std::min(input.find('\n'), input.size());
  const Command& c = Choose(input.substr(0, eol));
  py::tuple args = Builder(input.substr(std::min(eol + 1, input.size()))).Run();
  try {
    concord::admin::Args values = concord::admin::ConvertArgs(c, args);
    Require(values.size() == args.size(), "one value per argument");
    for (size_t i = 0; i < values.size(); ++i) {
      Require(OfItsKind(c.params[i], values[i]), "a value of its parameter's kind");
      (void)values[i].dump();  // commands put values in request bodies
    }
  } catch (const concord::admin::AdminException& e) {
    std::string_view message = e.what();
    Require(message.starts_with(c.service + "."), "the error names the service");
    Require(message.find(c.name) != std::string_view::npos, "the error names the command");
  }
  Require(!PyErr_Occurred(), "the conversion left a Python error pending");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ConvertInput(std::string_view(reinterpret_cast<const char*>(data), size));
  CheckNoObjectsKeptAlive();
  return 0;
}
