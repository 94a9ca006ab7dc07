// Taking one service's database offline and back, for `concord restore` (docs/backup-restore.md).
#include "service_control.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "concord/http/server.h"
#include "database_copy.h"

namespace concord::cli {
namespace {

using nlohmann::json;

struct Controlled {
  std::string name;
  std::shared_ptr<db::Database> database;
  db::MigrationList migrations;
};

std::vector<Controlled> Controllable(OpenedServices& services) {
  std::vector<Controlled> out;
  if (services.communities_db) {
    out.push_back({"communities", services.communities_db, MigrationsOf("communities")});
  }
  for (const auto& a : services.applications) out.push_back({a.service, a.database, a.migrations});
  return out;
}

}  // namespace

void MountServiceControlApi(http::Server& server, OpenedServices& services,
                            const std::function<Status(const std::string&)>& after_online) {
  auto controlled = std::make_shared<std::vector<Controlled>>(Controllable(services));
  auto find = [controlled](const std::string& name) -> Result<Controlled*> {
    std::vector<std::string> names;
    for (auto& c : *controlled) {
      if (c.name == name) return &c;
      names.push_back(c.name);
    }
    return InvalidArgument(
        "service", fmt::format("this process does not run a '{}' service", name.substr(0, 40)),
        names);
  };
  server.Get("/api/admin/services", http::Access::kAdministrator,
             [controlled](const http::Request&) -> Result<http::Response> {
               json out = json::array();
               for (auto& c : *controlled) {
                 json one = {{"service", c.name}, {"online", !c.database->suspended()}};
                 if (!c.database->suspended()) {
                   if (auto v = db::SchemaVersion(*c.database)) one["schemaVersion"] = *v;
                 }
                 out.push_back(one);
               }
               return http::Response::Json(200, out);
             });
  server.Post(
      "/api/admin/services/([a-z]+)/offline", http::Access::kAdministrator,
      [find](const http::Request& r) -> Result<http::Response> {
        CONCORD_ASSIGN_OR_RETURN(Controlled * c, find(r.path_params[0]));
        if (!c->database->suspended()) {
          CONCORD_RETURN_IF_ERROR(c->database->Suspend(
              fmt::format("the {} service is offline while its database is restored", c->name),
              std::chrono::seconds(30)));
          spdlog::warn("the {} service is offline (by {})", c->name, r.principal.login);
        }
        return http::Response::Json(200, {{"service", c->name}, {"online", false}});
      });
  // A consistent copy of the service's database, streamed: `concord backup --all` run on another
  // host takes this process's services with it. Its facts (the manifest's) in X-Concord-Backup.
  server.Get("/api/admin/services/([a-z]+)/backup", http::Access::kAdministrator,
             [find](const http::Request& r) -> Result<http::Response> {
               CONCORD_ASSIGN_OR_RETURN(Controlled * c, find(r.path_params[0]));
               std::string tmpl =
                   (std::filesystem::temp_directory_path() / "concord-backup-XXXXXX").string();
               if (::mkdtemp(tmpl.data()) == nullptr) {
                 return Unavailable("cannot create a temporary directory for the copy");
               }
               // Removed once the reply is sent (or abandoned): the stream owns it.
               auto dir = std::shared_ptr<std::filesystem::path>(
                   new std::filesystem::path(tmpl), [](std::filesystem::path* p) {
                     std::error_code ec;
                     std::filesystem::remove_all(*p, ec);
                     delete p;
                   });
               CONCORD_ASSIGN_OR_RETURN(json facts, CopyDatabase(*c->database, *dir, c->name));
               spdlog::info("backup copy of {} taken for {}", c->name, r.principal.login);
               http::Response out;
               out.content_type = "application/octet-stream";
               out.headers.emplace_back("X-Concord-Backup", facts.dump());
               auto file = *dir / facts["file"].get<std::string>();
               out.stream = [dir, file](const http::Response::Writer& write) {
                 std::ifstream in(file, std::ios::binary);
                 std::string chunk(1 << 16, '\0');
                 while (in) {
                   in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
                   auto n = static_cast<size_t>(in.gcount());
                   if (n > 0 && !write(std::string_view(chunk.data(), n))) return false;
                 }
                 return in.eof();
               };
               return out;
             });
  server.Post("/api/admin/services/([a-z]+)/online", http::Access::kAdministrator,
              [find, after_online](const http::Request& r) -> Result<http::Response> {
                CONCORD_ASSIGN_OR_RETURN(Controlled * c, find(r.path_params[0]));
                c->database->Resume();
                // A restored database of an older schema catches up here (only a forced restore
                // brings one); a newer one is refused and the service stays offline.
                if (auto s = db::Migrate(*c->database, c->migrations, c->name); !s) {
                  (void)c->database->Suspend(
                      fmt::format("the {} service is offline: {}", c->name, s.error().message),
                      std::chrono::seconds(30));
                  return std::unexpected(s.error());
                }
                if (after_online) CONCORD_RETURN_IF_ERROR(after_online(c->name));
                CONCORD_ASSIGN_OR_RETURN(int version, db::SchemaVersion(*c->database));
                spdlog::warn("the {} service is back online (schema {}, by {})", c->name, version,
                             r.principal.login);
                return http::Response::Json(
                    200, {{"service", c->name}, {"online", true}, {"schemaVersion", version}});
              });
}

}  // namespace concord::cli
