// `concord backup` and `concord restore` (docs/backup-restore.md).
#include "backup_cmd.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "backup_manifest.h"
#include "cli_error.h"
#include "concord/base/clock.h"
#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/deployment/deployment.h"
#include "concord/http/client.h"
#include "concord/maintenance/maintenance.h"
#include "database_copy.h"
#include "services.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// What a backup or restore may name: every service, and every content store (files-content).
std::vector<std::string> Restorable() {
  auto names = ServiceNames();
  for (const auto& store : ContentStoreNames()) names.push_back(store);
  return names;
}

Status CheckName(const std::string& name) {
  auto names = Restorable();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return InvalidArgument("service", fmt::format("unknown service '{}'", name.substr(0, 40)),
                           names);
  }
  return Ok();
}

Result<std::shared_ptr<db::Database>> OpenService(const deployment::DataDir& dir,
                                                  const deployment::Config& config,
                                                  const std::string& service) {
  return OpenServiceDatabase(dir, config, service, 1);
}

// The database file of a service, if it keeps one in the data directory.
std::optional<fs::path> DatabaseFile(const deployment::DataDir& dir,
                                     const deployment::Config& config, const std::string& service) {
  std::string url = DatabaseUrl(config, service);
  if (!url.starts_with("sqlite:") || url == "sqlite::memory:") return std::nullopt;
  fs::path p =
      url.substr(7, url.find('?') == std::string::npos ? std::string::npos : url.find('?') - 7);
  return p.is_absolute() ? p : dir.root / p;
}

// Copies the content store's finished files (not the .tmp of an upload in progress: files are
// written to .tmp and renamed, so what is renamed is whole).
Result<json> CopyContent(const fs::path& from, const fs::path& to, const std::string& name) {
  int64_t files = 0, bytes = 0;
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return Unavailable(fmt::format("cannot create {}: {}", to.string(), ec.message()));
  if (fs::exists(from)) {
    for (auto it = fs::recursive_directory_iterator(from, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      fs::path rel = fs::relative(it->path(), from);
      if (it->is_directory()) {
        fs::create_directories(to / rel, ec);
      } else if (it->is_regular_file() && it->path().extension() != ".tmp") {
        fs::copy_file(it->path(), to / rel, ec);
        if (ec) break;
        ++files;
        bytes += static_cast<int64_t>(it->file_size());
      }
    }
  }
  if (ec) return Unavailable(fmt::format("copying {} failed: {}", from.string(), ec.message()));
  return json{{"dir", name}, {"files", files}, {"bytes", bytes}};
}

std::string Operator() {
  const passwd* pw = getpwuid(getuid());
  return pw ? pw->pw_name : std::to_string(getuid());
}

struct BackupFlags {
  std::string data_dir = "./data";
  std::vector<std::string> services;
  bool all = false;
  std::string to;
};

// The running server of the data directory, if any, as an administrator's client.
std::optional<http::Client> RunningServer(const deployment::DataDir& dir) {
  auto info = deployment::ReadServerInfo(dir);
  if (!info) return std::nullopt;
  auto creds = deployment::ReadCredentials(dir.Credentials());
  if (!creds) return std::nullopt;
  return http::Client({.url = info->url, .user = creds->user, .password = creds->password});
}

// The services of the deployment that run in other processes (GET
// /communities/api/admin/deployment on the running server): each one's database copied by the
// process that runs it, streamed here, and added to `manifest`. A content store on another host
// is named, not copied (back it up there). Nothing to do without a running Communities node.
Status BackupElsewhere(const deployment::DataDir& dir, const deployment::Config& config,
                       const fs::path& to, json& manifest) {
  auto server = RunningServer(dir);
  if (!server) {
    // Without a running node nobody can say where the other services run: if the
    // configuration names any, --all cannot be complete.
    if (config.service_endpoints.empty() && config.handler_urls.empty()) return Ok();
    return Unavailable(
        "services of this deployment run in other processes and no Concord server runs on this "
        "data directory to reach them: start it (concord serve), or back each process up on its "
        "own host with `concord backup --service NAME`; the copies made so far are kept");
  }
  auto view = server->Get("/communities/api/admin/deployment");
  if (!view) {
    if (view.error().code == ErrorCode::kNotFound) return Ok();  // no Communities here
    Error e = view.error();
    e.message = fmt::format(
        "cannot learn where the deployment's services run (GET "
        "/communities/api/admin/deployment): {}; the copies made so far are kept",
        e.message);
    return std::unexpected(e);
  }
  auto info = deployment::ReadServerInfo(dir);
  if (!view->is_object() || !(*view)["applications"].is_array()) {
    return Unavailable("the running server described the deployment in a form this is not");
  }
  for (const auto& a : (*view)["applications"]) {
    std::string service = a.value("service", "");
    // A node of the service, not its url (which may be a proxy): a SQLite database is copied
    // by the process on its host. The first node that is up.
    std::string url;
    if (a.contains("nodes") && a["nodes"].is_array()) {
      for (const auto& n : a["nodes"]) {
        if (n.value("up", false) && url.empty()) url = n.value("url", "");
      }
    }
    if (service.empty() || (info && a.value("url", "") == info->url)) continue;
    if (manifest["services"].contains(service)) continue;  // configured here (a shared database)
    if (url.empty()) {
      return Unavailable(fmt::format(
          "no process of the {} service answers ({}): it was not backed up; the copies made so "
          "far are kept",
          service, a.value("url", "")));
    }
    auto creds = deployment::ReadCredentials(dir.Credentials());
    http::Client remote({.url = url,
                         .user = creds ? creds->user : "",
                         .password = creds ? creds->password : "",
                         .timeout = std::chrono::seconds(3600)});
    fs::path part = to / (service + ".part");
    std::ofstream out(part, std::ios::binary);
    std::vector<std::pair<std::string, std::string>> headers;
    auto s = remote.Download(
        fmt::format("/api/admin/services/{}/backup", service),
        [&](std::string_view chunk) {
          out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
          return static_cast<bool>(out);
        },
        &headers);
    out.close();
    if (!s) {
      Error e = s.error();
      e.message = fmt::format("the {} service at {}: {}", service, url, e.message);
      return std::unexpected(e);
    }
    json facts;
    for (const auto& [k, v] : headers) {
      if (k == "X-Concord-Backup" || k == "x-concord-backup") {
        facts = json::parse(v, nullptr, false);
      }
    }
    // Only the service's own file name: a copy never lands on another service's.
    if (!facts.is_object() || !facts.contains("file") || !facts["file"].is_string() ||
        (facts["file"] != service + ".db" && facts["file"] != service + ".dump")) {
      return Unavailable(
          fmt::format("the {} service at {} sent a copy without its facts", service, url));
    }
    std::error_code ec;
    fs::rename(part, to / facts["file"].get<std::string>(), ec);
    if (ec)
      return Unavailable(fmt::format("cannot keep the copy of {}: {}", service, ec.message()));
    facts["from"] = url;
    manifest["services"][service] = facts;
    std::cout << fmt::format("{:<12} schema {}, {} bytes (from {})\n", service,
                             facts.value("schemaVersion", 0), facts.value("bytes", int64_t{0}),
                             url);
    std::string content = service + "-content";
    if (ContentStoreOwner(content) && manifest["services"].contains(content)) {
      manifest["services"].erase(content);  // this directory's empty one is not the service's
      fs::remove_all(to / content, ec);
      std::cout << fmt::format(
          "{:<12} NOT COPIED: it is on the host of {} ({}); back it up there with `concord "
          "backup --service {}`\n",
          content, service, url, content);
    }
  }
  return Ok();
}

int Backup(const BackupFlags& f) {
  deployment::DataDir dir{fs::absolute(f.data_dir)};
  if (!fs::is_directory(dir.root)) {
    return Fail("backup",
                InvalidArgument("data-dir", fmt::format("no data directory {}", dir.root.string()))
                    .error());
  }
  auto config = deployment::LoadConfig(dir);
  if (!config) return Fail("backup", config.error());
  auto id = deployment::LoadOrCreateDeploymentId(dir);
  if (!id) return Fail("backup", id.error());
  std::vector<std::string> selected = f.services;
  if (f.all == !selected.empty()) {
    return Fail("backup",
                InvalidArgument("service", "name --service NAME (repeatable) or --all").error());
  }
  if (f.all) selected = Restorable();
  for (const auto& s : selected) {
    if (auto ok = CheckName(s); !ok) return Fail("backup", ok.error());
  }
  fs::path to = fs::absolute(f.to);
  std::error_code ec;
  if (fs::exists(to, ec) && !fs::is_empty(to, ec)) {
    return Fail("backup", InvalidArgument("to", fmt::format("{} is not empty; a backup never "
                                                            "overwrites another, name a new "
                                                            "directory",
                                                            to.string()))
                              .error());
  }
  fs::create_directories(to, ec);
  if (ec) {
    return Fail(
        "backup",
        Unavailable(fmt::format("cannot create {}: {}", to.string(), ec.message())).error());
  }
  json manifest = {{"format", "concord-backup"},
                   {"formatVersion", 1},
                   {"deploymentId", *id},
                   {"dataDir", dir.root.string()},
                   {"created", FormatTimestamp(NowMillis())},
                   {"by", Operator()},
                   {"services", json::object()}};
  for (const auto& service : selected) {
    if (ContentStoreOwner(service)) {
      auto content =
          CopyContent(ContentDir(dir, *config, *ContentStoreOwner(service)), to / service, service);
      if (!content) return Fail("backup", content.error());
      manifest["services"][service] = *content;
      std::cout << fmt::format("{:<12} {} files\n", service, (*content)["files"].get<int64_t>());
      continue;
    }
    auto file = DatabaseFile(dir, *config, service);
    if (file && !fs::exists(*file)) {
      if (f.all) continue;  // a service this deployment never ran
      return Fail("backup", NotFound(fmt::format("{} has no {} database ({})", dir.root.string(),
                                                 service, file->string()))
                                .error());
    }
    auto db = OpenService(dir, *config, service);
    if (!db) return Fail("backup", db.error());
    auto facts = CopyDatabase(**db, to, service);
    if (!facts) return Fail("backup", facts.error());
    manifest["services"][service] = *facts;
    std::cout << fmt::format("{:<12} schema {}, {} bytes\n", service,
                             (*facts)["schemaVersion"].get<int>(),
                             (*facts)["bytes"].get<int64_t>());
  }
  if (f.all) {
    if (auto s = BackupElsewhere(dir, *config, to, manifest); !s) return Fail("backup", s.error());
  }
  // The manifest last: a backup without one is incomplete and restore refuses it.
  std::ofstream out(to / kManifest);
  out << manifest.dump(2) << "\n";
  out.close();
  if (!out) {
    return Fail("backup",
                Unavailable(fmt::format("writing {} failed", (to / kManifest).string())).error());
  }
  std::cout << fmt::format("backup of {} written to {}\n", dir.root.string(), to.string());
  return 0;
}

struct RestoreFlags {
  std::string data_dir = "./data";
  std::string service;
  std::string from;
  bool force = false;
};

Status SetOnline(http::Client& client, const std::string& service, bool online) {
  auto reply = client.Send(
      "POST", fmt::format("/api/admin/services/{}/{}", service, online ? "online" : "offline"), "");
  if (!reply) return std::unexpected(reply.error());
  if (reply->status != 200) {
    std::string why =
        reply->body.is_object() ? reply->body.value("message", reply->raw_body) : reply->raw_body;
    return Unavailable(fmt::format("the server could not take {} {}: {}", service,
                                   online ? "online" : "offline", why.substr(0, 300)));
  }
  return Ok();
}

Status SwapDatabase(const deployment::DataDir& dir, const deployment::Config& config,
                    const std::string& service, const fs::path& backup, const fs::path& keep,
                    const std::string& deployment_id) {
  CONCORD_ASSIGN_OR_RETURN(auto db, OpenService(dir, config, service));
  CONCORD_ASSIGN_OR_RETURN(auto lease, db->Acquire());
  // What is replaced is kept, whole and consistent, before anything changes: a database file
  // (SQLite) or a pg_dump archive (PostgreSQL).
  bool sqlite = db->backend() == db::Backend::kSqlite;
  CONCORD_RETURN_IF_ERROR(lease->CopyTo(keep / (service + (sqlite ? ".db" : ".dump"))));
  CONCORD_RETURN_IF_ERROR(lease->ReplaceFrom(backup));
  lease.reset();
  // The database is this deployment's now, even a backup of another restored with --force.
  return db::ClaimDatabase(*db, service, deployment_id, /*take_over=*/true);
}

// `name`'s content store (where concord.toml's content_dir puts it) replaced by the backup's.
Status SwapContent(const deployment::DataDir& dir, const deployment::Config& config,
                   const std::string& name, const fs::path& backup, const fs::path& keep) {
  fs::path live = ContentDir(dir, config, *ContentStoreOwner(name));
  fs::path incoming = live;
  incoming += ".restoring";
  std::error_code ec;
  fs::remove_all(incoming, ec);
  // Copied beside the live store first: a failure here changes nothing.
  if (auto copied = CopyContent(backup, incoming, name); !copied) {
    fs::remove_all(incoming, ec);
    return std::unexpected(copied.error());
  }
  if (fs::exists(live)) {
    fs::rename(live, keep / name, ec);
    if (ec) {
      return Unavailable(fmt::format("cannot move {} aside: {}", live.string(), ec.message()));
    }
  }
  fs::rename(incoming, live, ec);
  if (ec) {
    std::error_code back;
    fs::rename(keep / name, live, back);
    return Unavailable(fmt::format("cannot put {} in place: {}", live.string(), ec.message()));
  }
  return Ok();
}

int Restore(const RestoreFlags& f) {
  deployment::DataDir dir{fs::absolute(f.data_dir)};
  if (!fs::is_directory(dir.root)) {
    return Fail("restore",
                InvalidArgument("data-dir", fmt::format("no data directory {}", dir.root.string()))
                    .error());
  }
  if (auto ok = CheckName(f.service); !ok) return Fail("restore", ok.error());
  auto config = deployment::LoadConfig(dir);
  if (!config) return Fail("restore", config.error());
  fs::path from = fs::absolute(f.from);
  auto manifest = LoadManifest(from);
  if (!manifest) {
    // A --from that holds no backup is bad input, as a damaged manifest is (exit 2).
    const Error& e = manifest.error();
    return Fail("restore", e, e.code == ErrorCode::kNotFound ? Exit::kRefused : ExitOf(e));
  }
  if (!manifest->services.contains(f.service)) {
    std::vector<std::string> has;
    for (const auto& [k, v] : manifest->services) has.push_back(k);
    return Fail(
        "restore",
        InvalidArgument("service",
                        fmt::format("the backup in {} holds no {}", from.string(), f.service), has)
            .error());
  }
  const ManifestEntry& entry = manifest->services.at(f.service);
  auto id = deployment::LoadOrCreateDeploymentId(dir);
  if (!id) return Fail("restore", id.error());
  std::vector<std::string> refusals;
  if (manifest->deployment_id != *id) {
    refusals.push_back(fmt::format("the backup is of another deployment ({}, this one is {})",
                                   manifest->deployment_id, *id));
  }
  if (!ContentStoreOwner(f.service)) {
    int64_t theirs = entry.schema_version;
    int ours = static_cast<int>(MigrationsOf(f.service).size());
    if (theirs > ours) {
      return Fail(
          "restore",
          FailedPrecondition(
              fmt::format("the backup's {} database has schema {}, newer than this Concord's {}: "
                          "restore it with the Concord that wrote it",
                          f.service, theirs, ours))
              .error());
    }
    if (theirs != ours) {
      refusals.push_back(
          fmt::format("the backup's {} schema is {}, this Concord's is {} (it "
                      "would be migrated when the service comes back)",
                      f.service, theirs, ours));
    }
    // The manifest names the file; it must be the service's own, in the backup directory.
    if (auto ok = CheckEntryFile(*manifest, from, f.service); !ok) {
      return Fail("restore", ok.error());
    }
    if (!fs::exists(from / entry.file)) {
      return Fail(
          "restore",
          NotFound(fmt::format("the backup lacks {}", (from / entry.file).string())).error());
    }
    // A SQLite file goes back into SQLite, a pg_dump archive into PostgreSQL.
    bool dump = entry.file.ends_with(".dump");
    bool on_sqlite = DatabaseUrl(*config, f.service).starts_with("sqlite:");
    if (dump == on_sqlite) {
      return Fail("restore",
                  FailedPrecondition(
                      fmt::format("the backup holds {} as {}, but this deployment keeps {} in {} "
                                  "(concord.toml [{}] database): restore it into the kind of "
                                  "database it was taken from",
                                  f.service, dump ? "a PostgreSQL dump" : "a SQLite file",
                                  f.service, on_sqlite ? "SQLite" : "PostgreSQL", f.service))
                      .error());
    }
  }
  if (!refusals.empty() && !f.force) {
    return Fail("restore",
                FailedPrecondition(fmt::format("refusing to restore: {}. Add --force if that is "
                                               "really what you want",
                                               fmt::join(refusals, "; ")))
                    .error());
  }

  // Maintenance mode first: nobody is served from a database nobody has checked yet.
  auto state = maintenance::Load(dir.Maintenance());
  if (!state) return Fail("restore", state.error());
  if (!state->enabled) {
    state->enabled = true;
    state->since = NowMillis();
    state->by = Operator() + " (concord restore)";
  }
  state->reason = fmt::format(
      "{} restored from a backup of {}; stays on until `concord recover` verifies the "
      "deployment or an administrator runs `concord maintenance off`",
      f.service, manifest->created);
  if (auto s = maintenance::Save(dir.Maintenance(), *state); !s) return Fail("restore", s.error());

  std::string stamp = FormatTimestamp(NowMillis());
  std::replace(stamp.begin(), stamp.end(), ':', '-');
  fs::path keep = dir.RestoreQuarantine() / (stamp + "-" + f.service);
  std::error_code ec;
  fs::create_directories(keep, ec);
  if (ec) {
    return Fail("restore", Unavailable(fmt::format("cannot create {}", keep.string())).error());
  }

  // With a server running, it takes the service offline for the swap (a content store goes with
  // its service); without one, the data directory's lock keeps one from starting.
  std::string offline = ContentStoreOwner(f.service).value_or(f.service);
  auto server = RunningServer(dir);
  std::optional<deployment::Lock> lock;
  if (server) {
    if (auto s = SetOnline(*server, offline, false); !s) return Fail("restore", s.error());
  } else {
    auto l = deployment::Lock::Acquire(dir, "concord restore");
    if (!l) return Fail("restore", l.error());
    lock.emplace(std::move(*l));
  }
  Status swapped = ContentStoreOwner(f.service)
                       ? SwapContent(dir, *config, f.service, from / f.service, keep)
                       : SwapDatabase(dir, *config, f.service, from / entry.file, keep, *id);
  if (server) {
    if (auto s = SetOnline(*server, offline, true); !s) {
      std::cerr << "concord restore: " << s.error().message << "\n";
      if (swapped) return static_cast<int>(Exit::kFailed);
    }
  }
  if (!swapped) {
    std::cerr << fmt::format("concord restore: {} (what was there is unchanged or kept in {})\n",
                             swapped.error().message, keep.string());
    return static_cast<int>(Exit::kFailed);
  }
  std::cout << fmt::format(
      "restored {} from {} (taken {}).\n"
      "what it replaced is kept in {}\n"
      "maintenance mode is on. Next: concord recover --data-dir {} --restored {}\n",
      f.service, from.string(), manifest->created, keep.string(), dir.root.string(), offline);
  return 0;
}

}  // namespace

std::function<int()> AddBackupCommands(CLI::App& app) {
  auto backup_flags = std::make_shared<BackupFlags>();
  auto* backup = app.add_subcommand(
      "backup", "Take a consistent online backup of service databases and the Files content store");
  backup->add_option("--data-dir", backup_flags->data_dir, "The deployment's data directory")
      ->capture_default_str();
  backup->add_option("--service", backup_flags->services,
                     "A service to back up (repeatable): communities, an application service, or "
                     "files-content");
  backup->add_flag("--all", backup_flags->all, "Every service and the Files content store");
  backup->add_option("--to", backup_flags->to, "A new (or empty) directory for the backup")
      ->required();

  auto restore_flags = std::make_shared<RestoreFlags>();
  auto* restore = app.add_subcommand(
      "restore", "Put one service's database (or the Files content store) back from a backup");
  restore->add_option("--data-dir", restore_flags->data_dir, "The deployment's data directory")
      ->capture_default_str();
  restore->add_option("--service", restore_flags->service, "The service to restore")->required();
  restore->add_option("--from", restore_flags->from, "The backup directory")->required();
  restore->add_flag("--force", restore_flags->force,
                    "Restore a backup of another deployment or an older schema");
  return [=]() -> int {
    if (backup->parsed()) return Backup(*backup_flags);
    if (restore->parsed()) return Restore(*restore_flags);
    return -1;
  };
}

}  // namespace concord::cli
