// Copies and restores of a PostgreSQL database: pg_dump (custom format) and pg_restore, run as
// child processes with the connection's URL and password file.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "postgres/postgres_backend.h"
#include "postgres/postgres_connection.h"

extern char** environ;

namespace concord::db::postgres {

namespace {

// A directory of our own (0700) for the child's passfile, removed with everything in it.
class PrivateDir {
 public:
  PrivateDir() {
    std::string tmpl = (fs::temp_directory_path() / "concord-pgtool-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~PrivateDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

Status RunTool(const std::vector<std::string>& argv, const std::string& password,
               std::string* out) {
  std::vector<std::string> env_strings;
  PrivateDir dir;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    // Ours replaces the environment's only when there is one (else PGPASSWORD/PGPASSFILE serve).
    if (!password.empty() && (kv.starts_with("PGPASSFILE=") || kv.starts_with("PGPASSWORD="))) {
      continue;
    }
    env_strings.emplace_back(kv);
  }
  if (!password.empty()) {
    // libpq's passfile, "*:*:*:*:password" with ':' and '\' escaped, in a directory of our own:
    // never on the command line, never in a file others could read or plant.
    if (dir.path().empty()) return Unavailable("cannot create a private temporary directory");
    std::string escaped;
    for (char ch : password) {
      if (ch == ':' || ch == '\\') escaped.push_back('\\');
      escaped.push_back(ch);
    }
    fs::path passfile = dir.path() / "pgpass";
    int fd = ::open(passfile.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return Unavailable(fmt::format("cannot write {}", passfile.string()));
    std::string line = "*:*:*:*:" + escaped + "\n";
    bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!written) return Unavailable(fmt::format("cannot write {}", passfile.string()));
    env_strings.push_back("PGPASSFILE=" + passfile.string());
  }
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  std::vector<std::string> copy = argv;
  args.reserve(copy.size() + 1);
  for (auto& a : copy) args.push_back(a.data());
  args.push_back(nullptr);

  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) ::close(fd);
    }
    return Unavailable("cannot create a pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  std::string stdout_text;
  std::string stderr_text;
  if (rc == 0) {
    // Both pipes at once, so that neither side blocks on a full pipe.
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_pipes = 2;
    char buf[4096];
    while (open_pipes > 0) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || fds[i].revents == 0) continue;
        ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          fds[i].fd = -1;
          --open_pipes;
          continue;
        }
        (i == 0 ? stdout_text : stderr_text).append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  if (rc == 0) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (rc != 0) {
    return Unavailable(fmt::format("cannot run {} ({}): install PostgreSQL's client programs",
                                   argv[0], std::strerror(rc)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Unavailable(fmt::format("{} failed: {}", argv[0], OneLine(stderr_text).substr(0, 2000)));
  }
  if (out != nullptr) *out = std::move(stdout_text);
  return Ok();
}

Status PgConnection::CopyTo(const fs::path& file) {
  std::error_code ec;
  if (fs::exists(file, ec)) {
    return FailedPrecondition(fmt::format("{} already exists; not overwriting it", file.string()));
  }
  // The dump is its owner's only, as a SQLite copy is.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return FailedPrecondition(
        fmt::format("cannot create {}: {}", file.string(), std::strerror(errno)));
  }
  ::close(fd);
  // pg_dump reads one snapshot: consistent while other sessions write. Inside a transaction,
  // that transaction's own, so that what the caller read there describes the dump exactly.
  std::vector<std::string> args = {"pg_dump",
                                   "--format=custom",
                                   "--no-owner",
                                   "--no-privileges",
                                   "--no-password",
                                   "--file=" + file.string(),
                                   "--dbname=" + RedactUrl(url_)};
  if (PQtransactionStatus(conn_) == PQTRANS_INTRANS) {
    auto snapshot = QueryTexts("SELECT pg_export_snapshot()");
    if (!snapshot) return std::unexpected(snapshot.error());
    args.push_back("--snapshot=" + snapshot->at(0));
  }
  auto s = RunTool(args, password_);
  if (!s) fs::remove(file, ec);
  return s;
}

Status PgConnection::ReplaceFrom(const fs::path& file) {
  // Check it is a dump before touching the database (a damaged copy fails here).
  std::string toc;
  CONCORD_RETURN_IF_ERROR(RunTool({"pg_restore", "--list", file.string()}, "", &toc));
  // Tables the dump does not hold (made by a later migration) would survive --clean and then
  // stand in the way of that migration: drop them first, in one transaction.
  std::vector<std::string> in_dump;
  std::istringstream lines(toc);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(";")) continue;
    auto at = line.find(" TABLE public ");
    if (at == std::string::npos) continue;
    std::istringstream rest(line.substr(at + 14));
    std::string name;
    rest >> name;
    in_dump.push_back(name);
  }
  if (in_dump.empty()) {
    return FailedPrecondition(
        fmt::format("{} holds no tables: not a Concord backup", file.string()));
  }
  CONCORD_RETURN_IF_ERROR(ExecuteScript("DEALLOCATE ALL"));
  prepared_.clear();
  CONCORD_RETURN_IF_ERROR(ExecuteScript("BEGIN"));
  CONCORD_ASSIGN_OR_RETURN(
      auto tables, QueryTexts("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"));
  for (const auto& t : tables) {
    if (std::find(in_dump.begin(), in_dump.end(), t) != in_dump.end()) continue;
    if (auto s = ExecuteScript(fmt::format("DROP TABLE IF EXISTS \"{}\" CASCADE", t)); !s) {
      (void)ExecuteScript("ROLLBACK");
      return s;
    }
  }
  CONCORD_RETURN_IF_ERROR(ExecuteScript("COMMIT"));
  return RunTool({"pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
                  "--no-owner", "--no-privileges", "--no-password", "--dbname=" + RedactUrl(url_),
                  file.string()},
                 password_);
}

}  // namespace concord::db::postgres
