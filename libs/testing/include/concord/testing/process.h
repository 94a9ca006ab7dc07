#pragma once
// Test support: temporary directories and real `concord` processes on ephemeral loopback ports.
//
//   testing::TempDir dir("communities-http");
//   testing::ConcordServer server(dir.path());       // runs `concord serve --listen 127.0.0.1:0`
//   ASSERT_TRUE(server.Start());
//   http::Client admin = server.AdminClient();
//   server.Stop();                                    // SIGTERM, waits for exit

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "concord/base/error.h"
#include "concord/http/client.h"

namespace concord::testing {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view name);
  ~TempDir();
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// build/bin, from CONCORD_BIN_DIR (set by ctest), else next to the test binary.
fs::path BinDir();

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a program to completion with arguments and extra environment ("NAME=value").
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env = {},
                         std::chrono::seconds timeout = std::chrono::seconds(120));

// Runs a program as RunCommand does, but SIGKILLs it `kill_after` after it started if it is
// still running then: a crash at a chosen moment. `killed` says whether it came to that (the
// exit code is then 128 + SIGKILL); otherwise `result` is its own exit.
struct KilledRun {
  CommandResult result;
  bool killed = false;
};
KilledRun RunCommandKilledAfter(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env,
                                std::chrono::milliseconds kill_after);

class ConcordServer;

// `concord SUBCOMMAND --data-dir DIR ARGS...` (args[0] is the subcommand), up to 300 s.
CommandResult RunConcord(const fs::path& data_dir, std::vector<std::string> args);
// concord-admin -c SCRIPT against `server`, as its administrator.
CommandResult RunConsole(const ConcordServer& server, const std::string& script);

// "exit N", stdout and stderr of a command, for a failing assertion's message.
std::string Show(const CommandResult& r);

// The JSON in a file (a report, a manifest); a parse error fails loudly (an exception).
nlohmann::json ReadJsonFile(const fs::path& file);

// Waits up to 10 s until Communities' delivery queue is empty (every event delivered); false if
// it is not by then.
bool WaitForEmptyQueue(http::Client& admin);

// A TCP port on 127.0.0.1 that was free a moment ago (for processes that must know each other's
// address before they start).
int FreePort();

class ConcordServer {
 public:
  // `listen` defaults to an ephemeral port; `extra_args` go after it (e.g. --services blogs).
  explicit ConcordServer(fs::path data_dir, std::vector<std::string> extra_args = {},
                         std::string listen = "127.0.0.1:0");
  ~ConcordServer();

  // Starts `concord serve` and waits until it answers. The server's stderr goes to
  // <data_dir>/serve.log.
  [[nodiscard]] Status Start();
  // SIGTERM, then waits; returns the exit code.
  int Stop();
  // SIGKILL, then waits.
  void Kill();
  bool running() const { return pid_ > 0; }
  int pid() const { return pid_; }

  const std::string& url() const { return url_; }
  const fs::path& data_dir() const { return data_dir_; }
  std::string AdminPassword() const;
  std::string Log() const;
  http::Client Client(const std::string& user, const std::string& password) const;
  http::Client AdminClient() const;

 private:
  fs::path data_dir_;
  std::vector<std::string> extra_args_;
  std::string listen_;
  pid_t pid_ = -1;
  std::string url_;
};

}  // namespace concord::testing
