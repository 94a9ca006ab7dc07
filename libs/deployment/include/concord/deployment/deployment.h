#pragma once
// A deployment on disk: its data directory, its configuration, and the files through which the
// server and its clients (the `concord` CLI, concord-admin) find each other.
//
//   <data-dir>/concord.toml          optional configuration (see docs/configuration.md)
//   <data-dir>/admin.credentials     user=admin / password=...   (mode 0600, written once)
//   <data-dir>/server.json           {"url": "http://127.0.0.1:8080", "pid": 1234} while serving
//   <data-dir>/maintenance.json      maintenance mode, while on (see libs/maintenance)
//   <data-dir>/.concord.lock         held (flock) by the process that owns the databases
//   <data-dir>/<service>.db          each service's SQLite database (embedded default; a
//                                    service section's `database` may name PostgreSQL instead)
//   <data-dir>/<service>-content/    an application's files on disk (`content_dir` moves them)

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "concord/base/error.h"

namespace concord::deployment {

namespace fs = std::filesystem;

struct DataDir {
  fs::path root;
  fs::path Config() const { return root / "concord.toml"; }
  fs::path Credentials() const { return root / "admin.credentials"; }
  fs::path ServerInfo() const { return root / "server.json"; }
  fs::path LockFile() const { return root / ".concord.lock"; }
  fs::path LifecycleCredentials() const { return root / "lifecycle.credentials"; }
  fs::path Maintenance() const { return root / "maintenance.json"; }
  fs::path DeploymentId() const { return root / "deployment.id"; }
  // This process's identity among the deployment's nodes (several over one database).
  fs::path NodeId() const { return root / "node.id"; }
  // Where a restore keeps what it replaced (nothing is dropped), one directory per restore.
  fs::path RestoreQuarantine() const { return root / "restore-quarantine"; }
};

// Where one service keeps its data: [communities], [forums], [files], ... in concord.toml.
struct ServiceStorage {
  // "sqlite:<file>" (relative to the data dir) or a PostgreSQL URI
  // ("postgresql://concord@db1.example.com:5432/concord_forums?sslmode=verify-full").
  std::string database;
  // PostgreSQL: a file (mode 0600) holding the password; empty: libpq's passfile or none.
  std::string password_file;
  // An application's content store (Files' uploads); empty: <data-dir>/<service>-content.
  std::string content_dir;
};

struct Config {
  std::string listen = "127.0.0.1:8080";
  int threads = 16;
  std::string log_level = "info";
  std::string log_format = "text";  // "text" or "json" (one JSON object per line)
  // The HTTP edge's limits (docs/security.md); 0 keeps the server's default.
  int max_connections = 0;
  int max_connections_per_client = 0;
  int max_header_bytes = 0;
  int max_header_count = 0;
  int max_body_bytes = 0;
  int64_t max_upload_bytes = 0;  // uploads (streamed to disk): see max_streamed_body_bytes
  int upload_stall_timeout_seconds = 0;
  int header_timeout_seconds = 0;
  int request_timeout_seconds = 0;
  int idle_timeout_seconds = 0;
  int max_concurrent_sign_ins = 0;
  int sign_in_free_failures = 0;
  int sign_in_max_lockout_seconds = 0;
  // Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR ranges): the client
  // address that maintenance mode checks comes from that header only behind one of these.
  std::vector<std::string> trusted_proxies;
  // Each service's storage, by service name ("communities", "forums", ...); a service not
  // named here keeps the defaults (Storage()).
  std::map<std::string, ServiceStorage> storage;
  int trash_retention_days = 30;
  // [scheduler]: cron intervals of the Communities tasks (reference defaults).
  std::string full_delete_interval = "0 0 3 ? * *";
  std::string retry_queued_events_interval = "0 1 0-23/3 ? * *";
  std::string event_log_cleanup_interval = "0 30 0-23/3 ? * *";
  // [lifecycle]
  int event_log_retention_days = 30;
  // [lifecycle.handlers]: remoteAppDefId -> handler URL, for applications served elsewhere.
  std::map<std::string, std::string> handler_urls;
  // [lifecycle.events]: remoteAppDefId -> the event types it is subscribed to (default: all), as
  // the reference's widgets-config <lifecycle> blocks list them.
  std::map<std::string, std::vector<std::string>> event_subscriptions;
  // [services] communities_url: where Communities runs, for a process that does not run it: one
  // URL, or a list of its nodes' URLs, tried in turn.
  std::vector<std::string> communities_urls;
  // [server] advertise_url: where the deployment's other processes and the console reach this
  // one (default: http://<listen address>, or this host's name when listening on every address).
  std::string advertise_url;
  // [server] web_root: where the built web pages are (default: <program's directory>/../web).
  std::string web_root;
  // [services.<service>] url (and nodes): where an application service runs, for the console
  // and for deployment-wide commands; `nodes` lists its processes when several serve it behind
  // `url` (default: just `url`).
  struct ServiceEndpoint {
    std::string url;
    std::vector<std::string> nodes;
  };
  std::map<std::string, ServiceEndpoint> service_endpoints;

  // `service`'s storage with the defaults filled in (database sqlite:<service>.db).
  ServiceStorage Storage(const std::string& service) const;
};

// Reads <data-dir>/concord.toml; a missing file gives the defaults. kInvalidArgument naming
// the key for a malformed file, an unknown key, or a value of the wrong type or range. A section
// per service ([communities] and each registered application's, libs/apps) takes `database`,
// `password_file` and, for applications, `content_dir`.
Result<Config> LoadConfig(const DataDir& dir);

struct Credentials {
  std::string user;
  std::string password;
};

// This process's node id (<data-dir>/node.id, a uuid), created if missing.
Result<std::string> LoadOrCreateNodeId(const DataDir& dir);

// Reads a credentials file of lines `user=...` and `password=...`.
Result<Credentials> ReadCredentials(const fs::path& file);
// Writes one with mode 0600, atomically; kAlreadyExists if the file exists.
Status WriteCredentials(const fs::path& file, const Credentials& credentials);

struct ServerInfo {
  std::string url;
  int pid = 0;
};
Status WriteServerInfo(const DataDir& dir, const ServerInfo& info);
// kNotFound if no server has announced itself in `dir`, or the one that did has exited.
Result<ServerInfo> ReadServerInfo(const DataDir& dir);

// The deployment's identity: a uuid written at its first start, recorded in every backup so that
// a restore can refuse another deployment's. Created if missing.
Result<std::string> LoadOrCreateDeploymentId(const DataDir& dir);

// "HOST:PORT" → host and port. kInvalidArgument (field `listen`) if malformed.
Result<std::pair<std::string, int>> ParseListen(std::string_view listen);

// Exclusive ownership of a data directory's databases: `serve` holds it while running, and
// offline commands (`populate`) take it so that they never write under a running server.
class Lock {
 public:
  // kFailedPrecondition naming the holder if another process holds the lock.
  static Result<Lock> Acquire(const DataDir& dir, std::string_view holder);
  Lock(Lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Lock& operator=(Lock&&) = delete;
  ~Lock();

 private:
  explicit Lock(int fd) : fd_(fd) {}
  int fd_;
};

// Where a client finds the server and its credentials: CONCORD_URL, else the server.json of
// `dir`; CONCORD_USER and CONCORD_PASSWORD, else `dir`'s admin.credentials.
struct ClientSettings {
  std::string url;
  std::string user;
  std::string password;
};
Result<ClientSettings> ResolveClientSettings(const DataDir& dir);

// What in the data directory (itself included) other local users could read, write or enter:
// a directory or file with any group or other permission bit. Concord creates directories 0700
// and files 0600; a looser mode was set by hand or by an older version. Up to `limit` paths,
// with their modes; `total` (if given) counts them all.
struct LooseMode {
  fs::path path;
  fs::perms mode;
};
std::vector<LooseMode> FindLooseModes(const DataDir& dir, size_t limit, size_t* total = nullptr);

}  // namespace concord::deployment
