#include "concord/deployment/deployment.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "concord/apps/registry.h"
#include "concord/base/ids.h"
#include "concord/base/json_file.h"
#include "concord/base/log.h"

namespace concord::deployment {
namespace {

Status WriteFileAtomically(const fs::path& file, std::string_view content, mode_t mode) {
  fs::path tmp = file;
  tmp += ".tmp" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return Unavailable(fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
  ::fchmod(fd, mode);
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Unavailable(fmt::format("cannot write {}", file.string()));
  }
  return Ok();
}

}  // namespace

Result<Config> LoadConfig(const DataDir& dir) {
  Config c;
  std::error_code ec;
  if (!fs::exists(dir.Config(), ec)) return c;
  toml::table t;
  try {
    t = toml::parse_file(dir.Config().string());
  } catch (const toml::parse_error& e) {
    return InvalidArgument("concord.toml",
                           fmt::format("{} is not valid TOML: {} (line {})", dir.Config().string(),
                                       e.description(), e.source().begin.line));
  }
  std::vector<std::string> sections = {"server", "communities", "scheduler", "lifecycle",
                                       "services"};
  std::vector<std::string> applications;
  for (const apps::Application* a : apps::All()) applications.emplace_back(a->service);
  sections.insert(sections.end(), applications.begin(), applications.end());
  for (auto&& [key, node] : t) {
    if (std::find(sections.begin(), sections.end(), std::string(key.str())) == sections.end() ||
        !node.is_table()) {
      return InvalidArgument(std::string(key.str()),
                             fmt::format("unknown section [{}] in concord.toml", key.str()),
                             sections);
    }
  }
  auto check_keys = [&](std::string_view section, std::vector<std::string> keys) -> Status {
    if (auto* tbl = t.at_path(section).as_table()) {
      for (auto&& [key, node] : *tbl) {
        if (std::find(keys.begin(), keys.end(), std::string(key.str())) == keys.end()) {
          return InvalidArgument(
              fmt::format("{}.{}", section, key.str()),
              fmt::format("unknown key {}.{} in concord.toml", section, key.str()), keys);
        }
      }
    }
    return Ok();
  };
  CONCORD_RETURN_IF_ERROR(check_keys("server", {"listen",
                                                "threads",
                                                "log_level",
                                                "log_format",
                                                "trusted_proxies",
                                                "max_connections",
                                                "max_connections_per_client",
                                                "max_header_bytes",
                                                "max_header_count",
                                                "max_body_bytes",
                                                "max_upload_bytes",
                                                "upload_stall_timeout_seconds",
                                                "header_timeout_seconds",
                                                "request_timeout_seconds",
                                                "idle_timeout_seconds",
                                                "max_concurrent_sign_ins",
                                                "sign_in_free_failures",
                                                "sign_in_max_lockout_seconds",
                                                "advertise_url",
                                                "web_root"}));
  CONCORD_RETURN_IF_ERROR(
      check_keys("communities", {"database", "password_file", "trash_retention_days"}));
  for (const auto& app : applications) {
    CONCORD_RETURN_IF_ERROR(check_keys(app, {"database", "password_file", "content_dir"}));
  }
  CONCORD_RETURN_IF_ERROR(
      check_keys("scheduler", {"fullDelete", "LifecycleRetryQueuedEvents", "EventLogCleanup"}));
  CONCORD_RETURN_IF_ERROR(
      check_keys("lifecycle", {"event_log_retention_days", "handlers", "events"}));
  {
    std::vector<std::string> keys = {"communities_url"};
    keys.insert(keys.end(), applications.begin(), applications.end());
    CONCORD_RETURN_IF_ERROR(check_keys("services", keys));
    for (const auto& app : applications) {
      CONCORD_RETURN_IF_ERROR(check_keys("services." + app, {"url", "nodes"}));
    }
  }

  auto get_string = [&](std::string_view path, std::string& out) -> Status {
    auto node = t.at_path(path);
    if (!node) return Ok();
    if (!node.is_string())
      return InvalidArgument(std::string(path),
                             fmt::format("{}: {} must be a string", dir.Config().string(), path));
    out = *node.value<std::string>();
    return Ok();
  };
  auto get_int64 = [&](std::string_view path, int64_t& out, int64_t lo, int64_t hi) -> Status {
    auto node = t.at_path(path);
    if (!node) return Ok();
    auto v = node.value<int64_t>();
    if (!node.is_integer() || !v || *v < lo || *v > hi) {
      return InvalidArgument(std::string(path),
                             fmt::format("{}: {} must be a whole number from {} to {}",
                                         dir.Config().string(), path, lo, hi));
    }
    out = *v;
    return Ok();
  };
  auto get_int = [&](std::string_view path, int& out, int lo, int hi) -> Status {
    int64_t v = out;
    CONCORD_RETURN_IF_ERROR(get_int64(path, v, lo, hi));
    out = static_cast<int>(v);
    return Ok();
  };
  CONCORD_RETURN_IF_ERROR(get_string("server.listen", c.listen));
  CONCORD_RETURN_IF_ERROR(get_int("server.threads", c.threads, 2, 256));
  CONCORD_RETURN_IF_ERROR(get_string("server.log_level", c.log_level));
  CONCORD_RETURN_IF_ERROR(get_string("server.log_format", c.log_format));
  CONCORD_RETURN_IF_ERROR(ParseLogFormat(c.log_format, "server.log_format"));
  CONCORD_RETURN_IF_ERROR(get_int("server.max_connections", c.max_connections, 16, 1000000));
  CONCORD_RETURN_IF_ERROR(
      get_int("server.max_connections_per_client", c.max_connections_per_client, 1, 1000000));
  CONCORD_RETURN_IF_ERROR(
      get_int("server.max_header_bytes", c.max_header_bytes, 1024, 1024 * 1024));
  CONCORD_RETURN_IF_ERROR(get_int("server.max_header_count", c.max_header_count, 8, 10000));
  CONCORD_RETURN_IF_ERROR(
      get_int("server.max_body_bytes", c.max_body_bytes, 1024, 1024 * 1024 * 1024));
  CONCORD_RETURN_IF_ERROR(
      get_int64("server.max_upload_bytes", c.max_upload_bytes, 1024, int64_t{1} << 40));
  CONCORD_RETURN_IF_ERROR(
      get_int("server.upload_stall_timeout_seconds", c.upload_stall_timeout_seconds, 1, 3600));
  CONCORD_RETURN_IF_ERROR(
      get_int("server.header_timeout_seconds", c.header_timeout_seconds, 1, 3600));
  CONCORD_RETURN_IF_ERROR(
      get_int("server.request_timeout_seconds", c.request_timeout_seconds, 1, 86400));
  CONCORD_RETURN_IF_ERROR(get_int("server.idle_timeout_seconds", c.idle_timeout_seconds, 1, 3600));
  CONCORD_RETURN_IF_ERROR(
      get_int("server.max_concurrent_sign_ins", c.max_concurrent_sign_ins, 1, 64));
  CONCORD_RETURN_IF_ERROR(
      get_int("server.sign_in_free_failures", c.sign_in_free_failures, 1, 1000));
  CONCORD_RETURN_IF_ERROR(
      get_int("server.sign_in_max_lockout_seconds", c.sign_in_max_lockout_seconds, 1, 86400));
  applications.insert(applications.begin(), "communities");
  for (const auto& service : applications) {
    if (!t[service].as_table()) continue;
    ServiceStorage st;
    CONCORD_RETURN_IF_ERROR(get_string(service + ".database", st.database));
    CONCORD_RETURN_IF_ERROR(get_string(service + ".password_file", st.password_file));
    CONCORD_RETURN_IF_ERROR(get_string(service + ".content_dir", st.content_dir));
    if (!st.database.empty() && !st.database.starts_with("sqlite:") &&
        !st.database.starts_with("postgresql://") && !st.database.starts_with("postgres://")) {
      return InvalidArgument(service + ".database",
                             fmt::format("{}: {}.database must be sqlite:<file> or a "
                                         "postgresql:// URI",
                                         dir.Config().string(), service),
                             {"sqlite:", "postgresql://"});
    }
    if (!st.password_file.empty() && (st.database.empty() || st.database.starts_with("sqlite:"))) {
      return InvalidArgument(service + ".password_file",
                             fmt::format("{}: {}.password_file is for a PostgreSQL database",
                                         dir.Config().string(), service));
    }
    c.storage[service] = st;
  }
  CONCORD_RETURN_IF_ERROR(
      get_int("communities.trash_retention_days", c.trash_retention_days, 0, 3650));
  CONCORD_RETURN_IF_ERROR(get_string("scheduler.fullDelete", c.full_delete_interval));
  auto is_url = [](std::string_view u) {
    return (u.starts_with("http://") || u.starts_with("https://")) && u.size() <= 2048;
  };
  // A URL, or a list of them (at least one).
  auto get_urls = [&](const std::string& path, std::vector<std::string>& out) -> Status {
    auto node = t.at_path(path);
    if (!node) return Ok();
    std::vector<std::string> urls;
    if (auto one = node.value<std::string>(); one && node.is_string()) {
      urls.push_back(*one);
    } else if (auto* list = node.as_array()) {
      for (auto&& item : *list) {
        auto u = item.value<std::string>();
        if (!u) urls.emplace_back();  // refused below
        if (u) urls.push_back(*u);
      }
    }
    bool ok = !urls.empty() &&
              std::all_of(urls.begin(), urls.end(), [&](const auto& u) { return is_url(u); });
    if (!ok) {
      return InvalidArgument(path, fmt::format("{}: {} must be an http:// URL or a list of them",
                                               dir.Config().string(), path));
    }
    out = urls;
    return Ok();
  };
  CONCORD_RETURN_IF_ERROR(get_urls("services.communities_url", c.communities_urls));
  CONCORD_RETURN_IF_ERROR(get_string("server.advertise_url", c.advertise_url));
  CONCORD_RETURN_IF_ERROR(get_string("server.web_root", c.web_root));
  if (!c.web_root.empty() && c.web_root.front() != '/') {
    return InvalidArgument(
        "server.web_root",
        fmt::format("{}: server.web_root must be an absolute path (where the built web pages are)",
                    dir.Config().string()));
  }
  if (!c.advertise_url.empty() && !is_url(c.advertise_url)) {
    return InvalidArgument(
        "server.advertise_url",
        fmt::format("{}: server.advertise_url must be an http:// URL", dir.Config().string()));
  }
  for (const auto& app : applications) {
    if (app == "communities" || !t.at_path("services." + app)) continue;
    Config::ServiceEndpoint e;
    std::vector<std::string> url;
    CONCORD_RETURN_IF_ERROR(get_urls("services." + app + ".url", url));
    CONCORD_RETURN_IF_ERROR(get_urls("services." + app + ".nodes", e.nodes));
    if (url.size() != 1) {
      return InvalidArgument(
          "services." + app + ".url",
          fmt::format("{}: [services.{}] needs url, one http:// URL", dir.Config().string(), app));
    }
    e.url = url[0];
    if (e.nodes.empty()) e.nodes.push_back(e.url);
    c.service_endpoints[app] = e;
  }
  CONCORD_RETURN_IF_ERROR(
      get_string("scheduler.LifecycleRetryQueuedEvents", c.retry_queued_events_interval));
  CONCORD_RETURN_IF_ERROR(get_string("scheduler.EventLogCleanup", c.event_log_cleanup_interval));
  CONCORD_RETURN_IF_ERROR(
      get_int("lifecycle.event_log_retention_days", c.event_log_retention_days, 1, 3650));
  if (auto* handlers = t.at_path("lifecycle.handlers").as_table()) {
    for (auto&& [key, node] : *handlers) {
      std::string app(key.str());
      auto url = node.value<std::string>();
      if (!url || !(url->starts_with("http://") || url->starts_with("https://"))) {
        return InvalidArgument("lifecycle.handlers." + app,
                               fmt::format("lifecycle.handlers.{} must be an http:// URL", app));
      }
      c.handler_urls[app] = *url;
    }
  } else if (t.at_path("lifecycle.handlers")) {
    return InvalidArgument("lifecycle.handlers",
                           "[lifecycle.handlers] must be a table of remoteAppDefId = URL");
  }
  if (auto* events = t.at_path("lifecycle.events").as_table()) {
    for (auto&& [key, node] : *events) {
      std::string app(key.str());
      auto* list = node.as_array();
      if (!list) {
        return InvalidArgument(
            "lifecycle.events." + app,
            fmt::format("lifecycle.events.{} must be a list of event types", app));
      }
      std::vector<std::string> names;
      for (auto&& item : *list) {
        auto name = item.value<std::string>();
        if (!name) {
          return InvalidArgument(
              "lifecycle.events." + app,
              fmt::format("lifecycle.events.{} must be a list of event types", app));
        }
        names.push_back(*name);
      }
      c.event_subscriptions[app] = names;
    }
  } else if (t.at_path("lifecycle.events")) {
    return InvalidArgument("lifecycle.events",
                           "[lifecycle.events] must be a table of remoteAppDefId = [event types]");
  }
  if (auto node = t.at_path("server.trusted_proxies")) {
    auto* list = node.as_array();
    bool ok = list != nullptr;
    for (size_t i = 0; ok && i < list->size(); ++i) {
      auto v = (*list)[i].value<std::string>();
      ok = v.has_value();
      if (ok) c.trusted_proxies.push_back(*v);
    }
    if (!ok) {
      return InvalidArgument("server.trusted_proxies",
                             "server.trusted_proxies must be a list of addresses or CIDR ranges");
    }
  }
  const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error"};
  if (std::find(levels.begin(), levels.end(), c.log_level) == levels.end()) {
    return InvalidArgument("server.log_level",
                           fmt::format("{}: server.log_level '{}' is not a log level",
                                       dir.Config().string(), c.log_level.substr(0, 40)),
                           levels);
  }
  CONCORD_RETURN_IF_ERROR(ParseListen(c.listen));
  return c;
}

ServiceStorage Config::Storage(const std::string& service) const {
  ServiceStorage st;
  if (auto it = storage.find(service); it != storage.end()) st = it->second;
  if (st.database.empty()) st.database = "sqlite:" + service + ".db";
  return st;
}

Result<Credentials> ReadCredentials(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return NotFound(fmt::format("no credentials file at {}", file.string()));
  Credentials c;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("user=")) c.user = line.substr(5);
    if (line.starts_with("password=")) c.password = line.substr(9);
  }
  if (c.user.empty() || c.password.empty()) {
    return InvalidArgument("credentials",
                           fmt::format("{} lacks a user= or password= line", file.string()));
  }
  return c;
}

Status WriteCredentials(const fs::path& file, const Credentials& c) {
  std::error_code ec;
  if (fs::exists(file, ec)) return AlreadyExists(fmt::format("{} exists already", file.string()));
  return WriteFileAtomically(file, fmt::format("user={}\npassword={}\n", c.user, c.password), 0600);
}

Status WriteServerInfo(const DataDir& dir, const ServerInfo& info) {
  nlohmann::json j = {{"url", info.url}, {"pid", info.pid}};
  return WriteFileAtomically(dir.ServerInfo(), j.dump() + "\n", 0600);
}

Result<ServerInfo> ReadServerInfo(const DataDir& dir) {
  auto read = ReadJsonFile(dir.ServerInfo());
  if (!read && read.error().code == ErrorCode::kNotFound) {
    return NotFound(fmt::format("no Concord server is running on {}", dir.root.string()));
  }
  if (!read) return std::unexpected(read.error());
  ServerInfo info;
  CONCORD_ASSIGN_OR_RETURN(info.url, read->String("url"));
  CONCORD_ASSIGN_OR_RETURN(int64_t pid, read->Int("pid", 0));
  info.pid = static_cast<int>(pid);
  if (info.pid > 0 && ::kill(info.pid, 0) != 0 && errno == ESRCH) {
    return NotFound(fmt::format("the Concord server that ran on {} (pid {}) has exited",
                                dir.root.string(), info.pid));
  }
  return info;
}

Result<std::string> LoadOrCreateDeploymentId(const DataDir& dir) {
  std::ifstream in(dir.DeploymentId());
  std::string id;
  if (in) {
    std::getline(in, id);
    if (id.size() != 36) {
      return FailedPrecondition(fmt::format(
          "{} is damaged (it should hold one uuid); restore it from a backup's manifest",
          dir.DeploymentId().string()));
    }
    return id;
  }
  id = NewUuid();
  CONCORD_RETURN_IF_ERROR(WriteFileAtomically(dir.DeploymentId(), id + "\n", 0600));
  return id;
}

Result<std::string> LoadOrCreateNodeId(const DataDir& dir) {
  std::ifstream in(dir.NodeId());
  std::string id;
  if (in) {
    std::getline(in, id);
    if (id.size() == 36) return id;
  }
  // Missing or damaged: a new identity (the node is then a new one to the others).
  id = NewUuid();
  CONCORD_RETURN_IF_ERROR(WriteFileAtomically(dir.NodeId(), id + "\n", 0600));
  return id;
}

Result<std::pair<std::string, int>> ParseListen(std::string_view listen) {
  auto colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string_view::npos && colon > 0) {
    auto tail = listen.substr(colon + 1);
    auto [p, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), port);
    if (ec != std::errc() || p != tail.data() + tail.size()) port = -1;
  }
  if (port < 0 || port > 65535) {
    return InvalidArgument("listen",
                           fmt::format("'{}' is not HOST:PORT (port 0 to 65535)", listen));
  }
  std::string host(listen.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return std::pair{host, port};
}

Result<Lock> Lock::Acquire(const DataDir& dir, std::string_view holder) {
  std::error_code ec;
  fs::create_directories(dir.root, ec);
  // The data directory holds password hashes and all content: its owner's only.
  fs::permissions(dir.root, fs::perms::owner_all, fs::perm_options::replace, ec);
  int fd = ::open(dir.LockFile().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Unavailable(
        fmt::format("cannot open {}: {}", dir.LockFile().string(), std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[256] = {};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    std::string who = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another process";
    while (!who.empty() && who.back() == '\n') who.pop_back();
    return FailedPrecondition(fmt::format("the data directory {} is in use by {}; stop it first",
                                          dir.root.string(), who));
  }
  std::string me = fmt::format("{} (pid {})\n", holder, ::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    // The lock itself is what matters; the text only helps the message above.
  }
  return Lock(fd);
}

Lock::~Lock() {
  if (fd_ >= 0) {
    if (::ftruncate(fd_, 0) != 0) {
    }
    ::close(fd_);
  }
}

Result<ClientSettings> ResolveClientSettings(const DataDir& dir) {
  ClientSettings s;
  if (const char* url = std::getenv("CONCORD_URL"); url && *url) {
    s.url = url;
  } else {
    auto info = ReadServerInfo(dir);
    if (!info) {
      auto e = info.error();
      e.message += "; start one with `concord serve`, or set CONCORD_URL";
      return std::unexpected(e);
    }
    s.url = info->url;
  }
  const char* user = std::getenv("CONCORD_USER");
  const char* password = std::getenv("CONCORD_PASSWORD");
  if (user && *user && password) {
    s.user = user;
    s.password = password;
  } else {
    auto c = ReadCredentials(dir.Credentials());
    if (!c) {
      auto e = c.error();
      e.message += "; set CONCORD_USER and CONCORD_PASSWORD";
      return std::unexpected(e);
    }
    s.user = c->user;
    s.password = c->password;
  }
  return s;
}

std::vector<LooseMode> FindLooseModes(const DataDir& dir, size_t limit, size_t* total) {
  constexpr auto kOthers = fs::perms::group_all | fs::perms::others_all;
  std::vector<LooseMode> out;
  size_t n = 0;
  auto look = [&](const fs::path& p, const fs::file_status& st) {
    if (fs::is_symlink(st) || (st.permissions() & kOthers) == fs::perms::none) return;
    ++n;
    if (out.size() < limit) out.push_back({p, st.permissions()});
  };
  std::error_code ec;
  look(dir.root, fs::status(dir.root, ec));
  for (auto it = fs::recursive_directory_iterator(dir.root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    look(it->path(), it->symlink_status(ec));
  }
  if (total) *total = n;
  return out;
}

}  // namespace concord::deployment
