#include "python_args.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <sstream>

namespace py = pybind11;

namespace concord::admin {
namespace {

// At most 80 characters of a value's repr, for messages. A value Python cannot repr (nested
// past its recursion limit, an int of more digits than it prints) is named by its type.
std::string Repr(py::handle h) {
  std::string r;
  try {
    r = py::repr(h).cast<std::string>();
  } catch (const py::error_already_set&) {
    return fmt::format("a value of type {}", Py_TYPE(h.ptr())->tp_name);
  } catch (const py::cast_error&) {  // a __repr__ that returns a lone surrogate
    return fmt::format("a value of type {}", Py_TYPE(h.ptr())->tp_name);
  }
  return r.size() > 80 ? r.substr(0, 77) + "..." : r;
}

// The UTF-8 of a str, or nullopt for one Python cannot encode (a lone surrogate, as "\udc80" or
// os.fsdecode of bytes that are not UTF-8 gives).
std::optional<std::string> Utf8(py::handle str) {
  Py_ssize_t size = 0;
  const char* utf8 = PyUnicode_AsUTF8AndSize(str.ptr(), &size);
  if (!utf8) {
    PyErr_Clear();
    return std::nullopt;
  }
  return std::string(utf8, static_cast<size_t>(size));
}

constexpr std::string_view kNotUnicode = "text without lone surrogates (valid Unicode)";

// Any Python value that has a JSON form (None, bool, int, float, str, list, tuple, dict), its
// lists and dicts at most kMaxValueDepth deep (`depth` of them hold `h`). `what` names the
// command and the parameter in errors.
Value ToValue(py::handle h, const std::string& what, int depth = 0) {
  bool container =
      py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h) || py::isinstance<py::dict>(h);
  if (container && depth >= kMaxValueDepth) {
    throw AdminException(
        fmt::format("{} must not nest lists and dicts deeper than {} levels (nor "
                    "hold itself)",
                    what, kMaxValueDepth));
  }
  if (h.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(h)) return h.cast<bool>();
  if (py::isinstance<py::int_>(h)) {
    try {
      return h.cast<int64_t>();
    } catch (const py::cast_error&) {
      throw AdminException(fmt::format("{}: integers must fit in 64 bits, not {}", what, Repr(h)));
    }
  }
  if (py::isinstance<py::float_>(h)) return h.cast<double>();
  if (py::isinstance<py::str>(h)) {
    auto text = Utf8(h);
    if (!text) throw AdminException(fmt::format("{}: strings must be {}", what, kNotUnicode));
    return *text;
  }
  if (py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h)) {
    Value a = Value::array();
    for (auto item : h) a.push_back(ToValue(item, what, depth + 1));
    return a;
  }
  if (py::isinstance<py::dict>(h)) {
    Value o = Value::object();
    for (auto [k, v] : h.cast<py::dict>()) {
      if (!py::isinstance<py::str>(k)) throw AdminException(what + ": map keys must be strings");
      auto key = Utf8(k);
      if (!key) throw AdminException(fmt::format("{}: map keys must be {}", what, kNotUnicode));
      o[*key] = ToValue(v, what, depth + 1);
    }
    return o;
  }
  throw AdminException(fmt::format("{}: cannot pass {}", what, Repr(h)));
}

// One argument, checked against its parameter. Errors name the command and the parameter.
Value Convert(const Command& c, const Param& p, py::handle h) {
  auto wrong = [&](const std::string& expected) {
    return AdminException(fmt::format("{}.{}: {} must be {}, not {}", c.service, c.Signature(),
                                      p.name, expected, Repr(h)));
  };
  if (p.optional && h.is_none()) return nullptr;
  switch (p.kind) {
    case Kind::kString: {
      if (!py::isinstance<py::str>(h)) throw wrong("a string");
      auto text = Utf8(h);
      if (!text) throw wrong(std::string(kNotUnicode));
      return *text;
    }
    case Kind::kInt:
      if (!py::isinstance<py::int_>(h) || py::isinstance<py::bool_>(h)) throw wrong("an integer");
      try {
        return h.cast<int64_t>();
      } catch (const py::cast_error&) {
        throw wrong("an integer that fits in 64 bits");
      }
    case Kind::kValueOrNone: return ToValue(h, fmt::format("{}.{}: {}", c.service, c.name, p.name));
    case Kind::kStringList: {
      Value a = Value::array();
      if (py::isinstance<py::str>(h)) {  // "a@x, b@y": a convenience beside the reference's list
        auto text = Utf8(h);
        if (!text) throw wrong(std::string(kNotUnicode));
        std::stringstream in(*text);
        std::string item;
        while (std::getline(in, item, ',')) {
          item.erase(0, item.find_first_not_of(" \t"));
          item.erase(item.find_last_not_of(" \t") + 1);
          if (!item.empty()) a.push_back(item);
        }
        return a;
      }
      if (!py::isinstance<py::list>(h) && !py::isinstance<py::tuple>(h))
        throw wrong("a list of strings");
      for (auto item : h) {
        if (!py::isinstance<py::str>(item)) throw wrong("a list of strings");
        auto text = Utf8(item);
        if (!text) throw wrong("a list of " + std::string(kNotUnicode));
        a.push_back(*text);
      }
      return a;
    }
    case Kind::kFlag:
      if (py::isinstance<py::bool_>(h)) return h.cast<bool>();
      if (py::isinstance<py::str>(h)) {
        std::string s = Utf8(h).value_or("");
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (s == "true" || s == "false") return s == "true";
      }
      throw wrong("\"true\" or \"false\"");
  }
  throw wrong("something else");
}

}  // namespace

Args ConvertArgs(const Command& c, const py::tuple& args) {
  size_t required = 0;
  for (const auto& p : c.params) required += p.optional ? 0 : 1;
  if (args.size() < required || args.size() > c.params.size()) {
    std::string count = required == c.params.size()
                            ? std::to_string(required)
                            : fmt::format("{} to {}", required, c.params.size());
    throw AdminException(fmt::format("{}.{} takes {} argument{}, not {}", c.service, c.Signature(),
                                     count, c.params.size() == 1 ? "" : "s", args.size()));
  }
  Args values;
  for (size_t i = 0; i < args.size(); ++i) values.push_back(Convert(c, c.params[i], args[i]));
  return values;
}

}  // namespace concord::admin
