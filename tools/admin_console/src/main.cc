// concord-admin: Concord's administrative console. A C++ program embedding Debian's Python 3;
// the reference's service objects (CommunitiesScheduler, CommunitiesQEventService, ...) are
// bindings over Concord's admin API. See docs/admin-console.md.
//
//   concord-admin [-host HOST] [-port PORT] [--url URL] [-user USER] [-password PASSWORD]
//                 [--data-dir DIR] [-lang jython] [-c COMMAND | -f SCRIPT [ARG...]]
#include <fmt/format.h>
#include <pybind11/embed.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "admin_api.h"
#include "command.h"
#include "concord/deployment/deployment.h"
#include "concord/http/client.h"
#include "python_module.h"

#ifndef CONCORD_PYTHON_HOME
#error "CONCORD_PYTHON_HOME must name the prefix of the Python the console is built against"
#endif

namespace py = pybind11;

namespace concord::admin {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "usage: concord-admin [-host HOST] [-port PORT] [--url URL] [-user USER] [-password PASSWORD]\n"
    "                     [--data-dir DIR] [-lang jython] [-c COMMAND | -f SCRIPT [ARG...]]\n"
    "\n"
    "Concord's administrative console: a Python 3 prompt with the reference's service objects\n"
    "(CommunitiesScheduler, CommunitiesQEventService, CommunitiesService, ...). Type help().\n"
    "\n"
    "  -host, -port      where Concord listens (wsadmin style); --url http://HOST:PORT instead\n"
    "  -user, -password  an administrator's credentials; without them CONCORD_USER and\n"
    "                    CONCORD_PASSWORD, then the deployment's admin.credentials\n"
    "  --data-dir DIR    the local deployment (default ./data): its server.json and credentials\n"
    "  -c COMMAND        run COMMAND and exit; -f SCRIPT runs a file (sys.argv = SCRIPT ARG...)\n"
    "  -lang jython      accepted for wsadmin command lines; the language is Python 3\n"
    "Exit status: 0, 1 when a command failed or an exception escaped, 2 for bad options or no\n"
    "connection.\n";

struct Options {
  std::optional<std::string> host, port, url, user, password;
  std::string data_dir = "./data";
  std::optional<std::string> command, script;
  std::vector<std::string> script_args;
};

int Usage(const std::string& error) {
  std::cerr << "concord-admin: " << error << "\n" << kUsage;
  return 2;
}

// Parses wsadmin-style options (one dash, whole words) and their two-dash spellings.
std::optional<Options> Parse(int argc, char** argv, int& rc) {
  Options o;
  auto value_of = [&](int& i, const std::string& flag) -> std::optional<std::string> {
    if (i + 1 >= argc) {
      rc = Usage(flag + " needs a value");
      return std::nullopt;
    }
    return std::string(argv[++i]);
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string flag = a.starts_with("--") ? a.substr(1) : a;
    std::optional<std::string>* target = nullptr;
    if (flag == "-h" || flag == "-help") {
      std::cout << kUsage;
      rc = 0;
      return std::nullopt;
    } else if (flag == "-host") {
      target = &o.host;
    } else if (flag == "-port") {
      target = &o.port;
    } else if (flag == "-url") {
      target = &o.url;
    } else if (flag == "-user" || flag == "-username") {
      target = &o.user;
    } else if (flag == "-password") {
      target = &o.password;
    } else if (flag == "-c") {
      target = &o.command;
    } else if (flag == "-data-dir") {
      auto v = value_of(i, a);
      if (!v) return std::nullopt;
      o.data_dir = *v;
      continue;
    } else if (flag == "-lang") {
      auto v = value_of(i, a);
      if (!v) return std::nullopt;
      if (*v != "jython" && *v != "python") {
        rc = Usage("-lang " + *v + ": the console speaks Python 3 (-lang jython is accepted)");
        return std::nullopt;
      }
      continue;
    } else if (flag == "-f") {
      auto v = value_of(i, a);
      if (!v) return std::nullopt;
      o.script = *v;
      for (++i; i < argc; ++i) o.script_args.push_back(argv[i]);
      break;
    } else {
      rc = Usage("unknown option " + a);
      return std::nullopt;
    }
    auto v = value_of(i, a);
    if (!v) return std::nullopt;
    *target = *v;
  }
  if (o.command && o.script) {
    rc = Usage("give -c or -f, not both");
    return std::nullopt;
  }
  if (o.url && (o.host || o.port)) {
    rc = Usage("give --url or -host/-port, not both");
    return std::nullopt;
  }
  return o;
}

std::string ReadPassword(const std::string& user) {
  std::cerr << "Password for " << user << ": " << std::flush;
  termios old{};
  bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios silent = old;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &silent);
  }
  std::string pw;
  std::getline(std::cin, pw);
  if (tty) tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  return pw;
}

// Where to connect and as whom: the options, then CONCORD_URL / CONCORD_USER /
// CONCORD_PASSWORD, then the local deployment's server.json and admin.credentials.
Result<http::ClientOptions> Connection(const Options& o, bool interactive) {
  http::ClientOptions c;
  deployment::DataDir dir{fs::absolute(o.data_dir)};
  if (o.url) {
    c.url = *o.url;
  } else if (o.host || o.port) {
    std::string host = o.host.value_or("127.0.0.1");
    if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
    c.url = fmt::format("http://{}:{}", host, o.port.value_or("8080"));
  } else if (const char* env = std::getenv("CONCORD_URL"); env && *env) {
    c.url = env;
  } else {
    auto info = deployment::ReadServerInfo(dir);
    if (!info) {
      return Unavailable(fmt::format(
          "no server to connect to: give -host and -port (or --url), set CONCORD_URL, or run "
          "where the deployment's data directory is ({} has no running server)",
          dir.root.string()));
    }
    c.url = info->url;
  }
  const char* env_user = std::getenv("CONCORD_USER");
  const char* env_password = std::getenv("CONCORD_PASSWORD");
  if (o.user) {
    c.user = *o.user;
  } else if (env_user && *env_user) {
    c.user = env_user;
  }
  if (o.password) {
    c.password = *o.password;
  } else if (env_password && *env_password && (!o.user || !env_user || *o.user == env_user)) {
    c.password = env_password;
  }
  if (c.user.empty() || c.password.empty()) {
    auto creds = deployment::ReadCredentials(dir.Credentials());
    if (creds && (c.user.empty() || c.user == creds->user)) {
      c.user = creds->user;
      if (c.password.empty()) c.password = creds->password;
    }
  }
  if (c.user.empty()) {
    return InvalidArgument("user",
                           "no administrator given: use -user, CONCORD_USER, or run "
                           "where the deployment's admin.credentials is");
  }
  if (c.password.empty()) {
    if (!interactive || !isatty(STDIN_FILENO)) {
      return InvalidArgument("password",
                             "no password for " + c.user + ": use -password or CONCORD_PASSWORD");
    }
    c.password = ReadPassword(c.user);
  }
  c.timeout = std::chrono::seconds(3600);  // exports and resyncs are long
  return c;
}

class ConsoleSession : public Session {
 public:
  explicit ConsoleSession(http::ClientOptions o) : client_(std::move(o)) {
    // Applications in other processes or on other hosts, reached where they run.
    (void)admin::RouteToDeployment(client_);
  }
  http::Client& client() override { return client_; }
  void Print(const std::string& text) override {
    py::module_::import("sys").attr("stdout").attr("write")(text);
  }

 private:
  http::Client client_;
};

// The console's glue in Python: running -c text (expression values are printed, as wsadmin
// does) and the interactive prompt (readline history and completion; AdminError shown as one
// line).
constexpr const char* kGlue = R"PY(
import ast, code, os, sys
import concord_admin

def _run_command(source, g):
    # Statement by statement in "single" mode, so that each expression's value is printed as at
    # the prompt, however many statements the command has.
    tree = ast.parse(source, "<command>", "exec")
    for statement in tree.body:
        exec(compile(ast.Interactive(body=[statement]), "<command>", "single"), g)

def _run_script(path, g):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    g["__file__"] = path
    exec(compile(source, path, "exec"), g)

class _Console(code.InteractiveConsole):
    def showtraceback(self):
        error = sys.exc_info()[1]
        if isinstance(error, (concord_admin.AdminError, concord_admin.UnknownCommand)):
            sys.stderr.write("Error: %s\n" % error)
        else:
            super().showtraceback()

def _interact(g, banner):
    history = os.path.expanduser("~/.concord_admin_history")
    try:
        import readline, rlcompleter
        readline.set_completer(rlcompleter.Completer(g).complete)
        readline.parse_and_bind("tab: complete")
        try:
            readline.read_history_file(history)
        except OSError:
            pass
    except ImportError:
        readline = None
    try:
        _Console(g).interact(banner=banner, exitmsg="")
    finally:
        if readline is not None:
            try:
                readline.write_history_file(history)
                os.chmod(history, 0o600)
            except OSError:
                pass
)PY";

// Prints the error of an exception that ended a -c or -f run; AdminError without a traceback.
void Report(py::error_already_set& e) {
  auto module = py::module_::import("concord_admin");
  if (e.matches(module.attr("AdminError")) || e.matches(module.attr("UnknownCommand"))) {
    std::cerr << "concord-admin: " << e.value().attr("__str__")().cast<std::string>() << "\n";
  } else if (e.matches(PyExc_SystemExit)) {
    return;
  } else {
    e.restore();
    PyErr_Print();
  }
}

int ExitCodeOf(py::error_already_set& e) {
  if (!e.matches(PyExc_SystemExit)) return 1;
  py::object code = e.value().attr("code");
  if (code.is_none()) return 0;
  if (py::isinstance<py::int_>(code)) return code.cast<int>();
  std::cerr << py::str(code).cast<std::string>() << "\n";
  return 1;
}

int RunConsole(const Options& o) {
  bool interactive = !o.command && !o.script;
  auto connection = Connection(o, interactive);
  if (!connection) {
    std::cerr << "concord-admin: " << connection.error().message << "\n";
    return 2;
  }
  ConsoleSession session(*connection);
  // Fail fast on a wrong address, wrong credentials or a non-administrator.
  auto me = session.client().Get("/communities/api/users/me");
  if (!me) {
    std::string why = me.error().code == ErrorCode::kUnauthenticated
                          ? fmt::format(
                                "Concord at {} refused the user {}: wrong user or "
                                "password, or a disabled account",
                                connection->url, connection->user)
                          : me.error().message;
    std::cerr << "concord-admin: " << why << "\n";
    return 2;
  }
  if (!me->value("admin", false)) {
    std::cerr << "concord-admin: " << connection->user << " is not an administrator\n";
    return 2;
  }

  // Debian's Python, whatever else is on PATH or in PYTHONHOME/PYTHONPATH: an isolated
  // interpreter whose home is the prefix the console was built against.
  PyConfig config;
  PyConfig_InitIsolatedConfig(&config);
  PyConfig_SetBytesString(&config, &config.home, CONCORD_PYTHON_HOME);
  PyConfig_SetBytesString(&config, &config.program_name, "concord-admin");
  config.install_signal_handlers = 1;
  std::vector<std::string> argv_strings;
  if (o.script) {
    argv_strings.push_back(*o.script);
    for (const auto& a : o.script_args) argv_strings.push_back(a);
  } else {
    argv_strings.push_back(o.command ? "-c" : "");
  }
  std::vector<const char*> argv;
  argv.reserve(argv_strings.size());
  for (const auto& s : argv_strings) argv.push_back(s.c_str());
  py::scoped_interpreter python(&config, static_cast<int>(argv.size()), argv.data(), false);

  Context().session = &session;
  Context().interactive = interactive;
  py::dict main = py::module_::import("__main__").attr("__dict__");
  py::dict glue;
  glue["__builtins__"] = py::module_::import("builtins");
  py::exec(kGlue, glue);
  InstallConsole();

  int rc = 0;
  try {
    if (o.command) {
      glue["_run_command"](*o.command, main);
    } else if (o.script) {
      glue["_run_script"](*o.script, main);
    } else {
      glue["_interact"](main, fmt::format("concord-admin: connected to {} as {}. Type help() "
                                          "for the commands, Ctrl-D to leave.",
                                          connection->url, connection->user));
    }
  } catch (py::error_already_set& e) {
    Report(e);
    rc = ExitCodeOf(e);
  }
  py::module_::import("sys").attr("stdout").attr("flush")();
  if (rc == 0 && !interactive && Context().command_failed) rc = 1;
  return rc;
}

}  // namespace
}  // namespace concord::admin

int main(int argc, char** argv) {
  // Exports, reports and set-aside files are the administrator's only, whatever the umask.
  ::umask(077);
  try {
    int rc = 0;
    auto options = concord::admin::Parse(argc, argv, rc);
    if (!options) return rc;
    return concord::admin::RunConsole(*options);
  } catch (const std::exception& e) {
    std::cerr << "concord-admin: internal error: " << e.what() << "\n";  // a bug: say so
  } catch (...) {
    std::cerr << "concord-admin: internal error\n";
  }
  return 1;
}
