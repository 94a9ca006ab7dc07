#include "concord/testing/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "concord/deployment/deployment.h"
#include "concord/testing/postgres.h"

namespace concord::testing {
namespace {

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, int out_fd,
            int err_fd) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // A test that dies (an assertion abort, a sanitizer report) must not leave its servers
    // running: they would keep ports, locks and files of the next run.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // it died before the line above
    ::setpgid(0, 0);
    if (out_fd >= 0) ::dup2(out_fd, 1);
    if (err_fd >= 0) ::dup2(err_fd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

int WaitFor(pid_t pid, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace

TempDir::TempDir(std::string_view name) {
  static std::atomic<int> counter{0};
  path_ =
      fs::temp_directory_path() / ("concord-test-" + std::string(name) + "-" +
                                   std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!std::getenv("CONCORD_KEEP_TEST_DIRS")) fs::remove_all(path_, ec);
}

fs::path BinDir() {
  if (const char* d = std::getenv("CONCORD_BIN_DIR")) return d;
  return fs::canonical("/proc/self/exe").parent_path().parent_path() / "bin";
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         std::chrono::seconds timeout) {
  TempDir tmp("cmd");
  fs::path out = tmp.path() / "out", err = tmp.path() / "err";
  int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = Spawn(argv, env, out_fd, err_fd);
  ::close(out_fd);
  ::close(err_fd);
  CommandResult r;
  r.exit_code = WaitFor(pid, timeout);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

KilledRun RunCommandKilledAfter(const std::vector<std::string>& argv,
                                const std::vector<std::string>& env,
                                std::chrono::milliseconds kill_after) {
  TempDir tmp("cmd");
  fs::path out = tmp.path() / "out", err = tmp.path() / "err";
  int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = Spawn(argv, env, out_fd, err_fd);
  ::close(out_fd);
  ::close(err_fd);
  KilledRun run;
  auto deadline = std::chrono::steady_clock::now() + kill_after;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      run.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;  // not: it had just ended
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  run.result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.result.out = ReadFile(out);
  run.result.err = ReadFile(err);
  return run;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

ConcordServer::ConcordServer(fs::path data_dir, std::vector<std::string> extra_args,
                             std::string listen)
    : data_dir_(std::move(data_dir)),
      extra_args_(std::move(extra_args)),
      listen_(std::move(listen)) {}

ConcordServer::~ConcordServer() {
  if (pid_ > 0) Stop();
}

Status ConcordServer::Start() {
  CONCORD_RETURN_IF_ERROR(PrepareTestBackend(data_dir_));
  std::error_code ec;
  fs::remove(data_dir_ / "server.json", ec);
  std::vector<std::string> argv = {(BinDir() / "concord").string(),
                                   "serve",
                                   "--data-dir",
                                   data_dir_.string(),
                                   "--listen",
                                   listen_};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  int log_fd = ::open((data_dir_ / "serve.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_ = Spawn(argv, {}, log_fd, log_fd);
  ::close(log_fd);
  deployment::DataDir dir{data_dir_};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Unavailable("concord serve exited during start-up: " + Log());
    }
    auto info = deployment::ReadServerInfo(dir);
    if (info && info->pid == pid_) {
      url_ = info->url;
      return Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return Unavailable("concord serve did not start within 30 s: " + Log());
}

int ConcordServer::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int code = WaitFor(pid_, std::chrono::seconds(30));
  pid_ = -1;
  return code;
}

void ConcordServer::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  WaitFor(pid_, std::chrono::seconds(30));
  pid_ = -1;
}

std::string ConcordServer::AdminPassword() const {
  auto c = deployment::ReadCredentials(data_dir_ / "admin.credentials");
  return c ? c->password : "";
}

std::string ConcordServer::Log() const { return ReadFile(data_dir_ / "serve.log"); }

http::Client ConcordServer::Client(const std::string& user, const std::string& password) const {
  return http::Client({.url = url_, .user = user, .password = password});
}

http::Client ConcordServer::AdminClient() const { return Client("admin", AdminPassword()); }

std::string Show(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

nlohmann::json ReadJsonFile(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

bool WaitForEmptyQueue(http::Client& admin) {
  for (int i = 0; i < 500; ++i) {
    auto q = admin.Get("/communities/api/admin/queue/events?limit=1");
    if (q && (*q)["items"].empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

CommandResult RunConcord(const fs::path& data_dir, std::vector<std::string> args) {
  if (auto s = PrepareTestBackend(data_dir); !s) return {.exit_code = 99, .err = s.error().message};
  std::vector<std::string> argv = {(BinDir() / "concord").string(), args.at(0), "--data-dir",
                                   data_dir.string()};
  argv.insert(argv.end(), args.begin() + 1, args.end());
  return RunCommand(argv, {}, std::chrono::seconds(300));
}

CommandResult RunConsole(const ConcordServer& server, const std::string& script) {
  return RunCommand({(BinDir() / "concord-admin").string(), "--url", server.url(), "-user", "admin",
                     "-c", script},
                    {"CONCORD_PASSWORD=" + server.AdminPassword()});
}

}  // namespace concord::testing
