#include "python_module.h"

#include <fmt/format.h>
#include <pybind11/embed.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "python_args.h"

namespace py = pybind11;

namespace concord::admin {
namespace {

// Raised in Python as concord_admin.UnknownCommand, an AttributeError.
struct UnknownCommandException : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A service object such as CommunitiesQEventService: its attributes are its commands.
struct ServiceObject {
  std::string name;
};

py::object ToPython(const Value& v) {
  switch (v.type()) {
    case Value::value_t::null: return py::none();
    case Value::value_t::boolean: return py::bool_(v.get<bool>());
    case Value::value_t::number_integer: return py::int_(v.get<int64_t>());
    case Value::value_t::number_unsigned: return py::int_(v.get<uint64_t>());
    case Value::value_t::number_float: return py::float_(v.get<double>());
    case Value::value_t::string: return py::str(v.get<std::string>());
    case Value::value_t::array: {
      py::list l;
      for (const auto& item : v) l.append(ToPython(item));
      return l;
    }
    case Value::value_t::object: {
      py::dict d;
      for (const auto& [k, item] : v.items()) d[py::str(k)] = ToPython(item);
      return d;
    }
    default: return py::none();
  }
}

py::object Invoke(const Command& c, const py::args& args) {
  Args values = ConvertArgs(c, args);
  auto r = c.run(*Context().session, values);
  if (r) return ToPython(*r);
  std::string message = Describe(c, r.error());
  // A bad argument is always an exception; the reference's 0 is for a command that ran and
  // failed.
  if (c.failure == Failure::kReturnZero && r.error().code != ErrorCode::kInvalidArgument &&
      r.error().code != ErrorCode::kUnauthenticated) {
    Context().command_failed = true;
    py::module_::import("sys").attr("stderr").attr("write")("Error: " + message + "\n");
    return py::int_(0);
  }
  throw AdminException(message);
}

const Command* FindCommand(const std::string& service, const std::string& name) {
  for (const auto& c : Commands()) {
    if (c.service == service && c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> CommandNames(const std::string& service) {
  std::vector<std::string> out;
  for (const auto& c : Commands()) {
    if (c.service == service) out.push_back(c.name);
  }
  return out;
}

std::string ServiceHelp(const Service& s) {
  std::string out = fmt::format("{} ({}): {}\n", s.name, s.script, s.summary);
  bool any = false;
  for (const auto& c : Commands()) {
    if (c.service != s.name) continue;
    any = true;
    if (!c.alias_of.empty()) {
      out += fmt::format("  {}\n      The same as {}.\n", c.Signature(), c.alias_of);
    } else {
      out += fmt::format("  {}\n      {}\n", c.Signature(), c.help);
    }
  }
  if (!any) out += "  (its commands come with the recovery toolkit; none yet)\n";
  return out;
}

const Service* FindService(const std::string& name) {
  for (const auto& s : Services()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

void Write(const std::string& text) {
  py::module_::import("sys").attr("stdout").attr("write")(text);
}

// Binds the service objects of `script` into `globals`.
void Load(const std::string& script, const py::dict& globals) {
  auto module = py::module_::import("concord_admin");
  std::vector<std::string> loaded;
  for (const auto& s : Services()) {
    if (s.script != script) continue;
    globals[py::str(s.name)] = module.attr("Service")(s.name);
    loaded.push_back(s.name);
    // The reference spells it both ways (section 15).
    if (s.name == "NewsMicrobloggingService") {
      globals["NewsMicroBloggingService"] = module.attr("Service")(s.name);
    }
    if (s.name == "CommunitiesScheduler") {  // the name in S1's abstract
      globals["CommunitiesSchedulerService"] = module.attr("Service")(s.name);
    }
  }
  if (Context().interactive) {
    Write(fmt::format("{} loaded: {}\n", script, fmt::join(loaded, ", ")));
  }
}

}  // namespace

ModuleContext& Context() {
  static ModuleContext context;
  return context;
}

PYBIND11_EMBEDDED_MODULE(concord_admin, m) {
  m.doc() = "Concord's administrative console";
  py::register_exception<AdminException>(m, "AdminError", PyExc_RuntimeError);
  py::register_exception<UnknownCommandException>(m, "UnknownCommand", PyExc_AttributeError);
  py::class_<ServiceObject>(m, "Service")
      .def(py::init([](const std::string& name) {
        if (!FindService(name)) throw AdminException("no service object named " + name);
        return ServiceObject{name};
      }))
      .def("__getattr__",
           [](const ServiceObject& s, const std::string& attr) -> py::object {
             const Command* c = FindCommand(s.name, attr);
             if (!c) {
               auto names = CommandNames(s.name);
               throw UnknownCommandException(fmt::format(
                   "{} has no command '{}'; its commands: {} (help: {}.help())", s.name, attr,
                   names.empty() ? "none yet" : fmt::format("{}", fmt::join(names, ", ")), s.name));
             }
             return py::cpp_function([c](const py::args& args) { return Invoke(*c, args); },
                                     py::name(c->name.c_str()), py::doc(c->help.c_str()));
           })
      .def("__dir__",
           [](const ServiceObject& s) {
             auto names = CommandNames(s.name);
             names.push_back("help");
             return names;
           })
      .def("__repr__", [](const ServiceObject& s) { return "<" + s.name + ">"; })
      .def("help", [](const ServiceObject& s) { Write(ServiceHelp(*FindService(s.name))); });

  m.def(
      "execfile",
      [](const std::string& path, const py::object& globals) {
        py::dict g = globals.is_none() ? py::globals() : globals.cast<py::dict>();
        std::string name = std::filesystem::path(path).filename().string();
        if (name == "filesAdmin.jy") name = "filesAdmin.py";  // the reference's S19 spelling
        auto scripts = AdminScripts();
        if (std::find(scripts.begin(), scripts.end(), name) != scripts.end()) {
          Load(name, g);
          return;
        }
        // Anything else is an administrator's own script, run like wsadmin's execfile.
        std::ifstream in(path, std::ios::binary);
        if (!in) {
          throw AdminException(fmt::format("execfile: cannot read {} (the service scripts are: {})",
                                           path, fmt::join(scripts, ", ")));
        }
        std::stringstream text;
        text << in.rdbuf();
        auto builtins = py::module_::import("builtins");
        auto code = builtins.attr("compile")(text.str(), path, "exec");
        builtins.attr("exec")(code, g);
      },
      py::arg("path"), py::arg("globals") = py::none());

  m.def(
      "help",
      [](const py::object& what) {
        if (what.is_none()) {
          std::string out =
              "concord-admin: Concord's administrative console, a Python 3 prompt.\n"
              "Every service object is loaded; execfile(\"communitiesAdmin.py\") and the other "
              "scripts work as in the reference.\n"
              "Values: None, integers for roles (0 member, 1 owner), lists, dicts. "
              "<Service>.help() "
              "lists one service's commands.\n\n";
          std::string script;
          for (const auto& s : Services()) {
            if (s.script != script) {
              script = s.script;
              out += fmt::format("execfile(\"{}\"):\n", script);
            }
            out += "  " + s.name + ": ";
            auto names = CommandNames(s.name);
            out += names.empty() ? std::string("(none yet)")
                                 : fmt::format("{}", fmt::join(names, ", "));
            out += "\n";
          }
          Write(out);
          return;
        }
        if (py::isinstance<ServiceObject>(what)) {
          Write(ServiceHelp(*FindService(what.cast<ServiceObject>().name)));
          return;
        }
        py::module_::import("pydoc").attr("help")(what);
      },
      py::arg("what") = py::none());
}

void InstallConsole() {
  auto module = py::module_::import("concord_admin");
  auto builtins = py::module_::import("builtins");
  builtins.attr("execfile") = module.attr("execfile");
  builtins.attr("help") = module.attr("help");
  builtins.attr("AdminError") = module.attr("AdminError");
  py::dict main = py::module_::import("__main__").attr("__dict__");
  bool interactive = Context().interactive;
  Context().interactive = false;
  for (const auto& script : AdminScripts()) Load(script, main);
  Context().interactive = interactive;
}

}  // namespace concord::admin
