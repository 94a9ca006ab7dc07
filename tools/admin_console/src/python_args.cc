#include "python_args.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace py = pybind11;

namespace concord::admin {
namespace {

std::string Repr(py::handle h) {
  std::string r = py::repr(h).cast<std::string>();
  return r.size() > 80 ? r.substr(0, 77) + "..." : r;
}

// Any Python value that has a JSON form (None, bool, int, float, str, list,
// tuple, dict).
Value ToValue(py::handle h, const std::string& what) {
  if (h.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(h)) return h.cast<bool>();
  if (py::isinstance<py::int_>(h)) return h.cast<int64_t>();
  if (py::isinstance<py::float_>(h)) return h.cast<double>();
  if (py::isinstance<py::str>(h)) return h.cast<std::string>();
  if (py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h)) {
    Value a = Value::array();
    for (auto item : h) a.push_back(ToValue(item, what));
    return a;
  }
  if (py::isinstance<py::dict>(h)) {
    Value o = Value::object();
    for (auto [k, v] : h.cast<py::dict>()) {
      if (!py::isinstance<py::str>(k)) throw AdminException(what + ": map keys must be strings");
      o[k.cast<std::string>()] = ToValue(v, what);
    }
    return o;
  }
  throw AdminException(fmt::format("{}: cannot pass {}", what, Repr(h)));
}

// One argument, checked against its parameter. Errors name the command and the
// parameter.
Value Convert(const Command& c, const Param& p, py::handle h) {
  auto wrong = [&](const std::string& expected) {
    return AdminException(fmt::format("{}.{}: {} must be {}, not {}", c.service, c.Signature(),
                                      p.name, expected, Repr(h)));
  };
  if (p.optional && h.is_none()) return nullptr;
  switch (p.kind) {
    case Kind::kString:
      if (!py::isinstance<py::str>(h)) throw wrong("a string");
      return h.cast<std::string>();
    case Kind::kInt:
      if (!py::isinstance<py::int_>(h) || py::isinstance<py::bool_>(h)) throw wrong("an integer");
      try {
        return h.cast<int64_t>();
      } catch (const py::cast_error&) {
        throw wrong("an integer that fits in 64 bits");
      }
    case Kind::kValueOrNone: return ToValue(h, c.service + "." + c.name);
    case Kind::kStringList: {
      Value a = Value::array();
      if (py::isinstance<py::str>(h)) {  // "a@x, b@y": a convenience beside the reference's list
        std::stringstream in(h.cast<std::string>());
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
        a.push_back(item.cast<std::string>());
      }
      return a;
    }
    case Kind::kFlag:
      if (py::isinstance<py::bool_>(h)) return h.cast<bool>();
      if (py::isinstance<py::str>(h)) {
        std::string s = h.cast<std::string>();
        std::transform(s.begin(), s.end(), s.begin(), ::tolower);
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
