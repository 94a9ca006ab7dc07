#include "concord/testing/postgres.h"

#include <fmt/format.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "concord/apps/registry.h"
#include "concord/db/database.h"
#include "concord/deployment/deployment.h"

namespace concord::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadLine(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

Result<std::shared_ptr<db::Database>> Maintenance(const PostgresServer& server) {
  return db::Database::Open(server.base_url() + "postgres",
                            {.max_connections = 1, .password_file = server.password_file()});
}

}  // namespace

std::optional<PostgresServer> PostgresServer::FromEnvironment() {
  const char* dir = std::getenv("CONCORD_TEST_PG_DIR");
  if (dir == nullptr || *dir == '\0') return std::nullopt;
  PostgresServer s;
  s.state_dir_ = dir;
  s.base_url_ = ReadLine(s.state_dir_ / "url");
  s.password_file_ = s.state_dir_ / "password";
  s.port_ = std::atoi(ReadLine(s.state_dir_ / "port").c_str());
  return s;
}

Result<std::string> PostgresServer::CreateDatabase(std::string_view prefix) const {
  static std::atomic<int> counter{0};
  std::string name = fmt::format("{}_{}_{}", prefix, ::getpid(), counter++);
  CONCORD_ASSIGN_OR_RETURN(auto db, Maintenance(*this));
  CONCORD_ASSIGN_OR_RETURN(auto lease, db->Acquire());
  CONCORD_RETURN_IF_ERROR(lease->ExecuteScript(fmt::format("CREATE DATABASE \"{}\"", name)));
  return base_url_ + name;
}

Status PostgresServer::DropDatabase(const std::string& url) const {
  std::string name = url.substr(url.rfind('/') + 1);
  CONCORD_ASSIGN_OR_RETURN(auto db, Maintenance(*this));
  CONCORD_ASSIGN_OR_RETURN(auto lease, db->Acquire());
  return lease->ExecuteScript(fmt::format("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", name));
}

bool TestOnPostgres() {
  const char* b = std::getenv("CONCORD_TEST_BACKEND");
  return b != nullptr && std::string_view(b) == "postgres";
}

Status PrepareTestBackend(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!TestOnPostgres() || !fs::is_directory(data_dir, ec)) return Ok();
  auto pg = PostgresServer::FromEnvironment();
  if (!pg) {
    return FailedPrecondition(
        "CONCORD_TEST_BACKEND=postgres needs the PostgreSQL fixture (CONCORD_TEST_PG_DIR)");
  }
  std::vector<std::string> services = {"communities"};
  for (const apps::Application* a : apps::All()) {
    if (!a->test_fixture) services.emplace_back(a->service);
  }
  fs::path config_file = data_dir / "concord.toml";
  toml::table config;
  if (fs::exists(config_file, ec)) {
    try {
      config = toml::parse_file(config_file.string());
    } catch (const toml::parse_error& e) {
      return InvalidArgument("concord.toml", std::string(e.description()));
    }
  }
  // The databases this data directory has had: a restarted server finds its data again.
  fs::path known_file = data_dir / ".test-databases";
  std::map<std::string, std::string> known;
  {
    std::ifstream in(known_file);
    for (std::string service, url; in >> service >> url;) known[service] = url;
  }
  bool changed = false;
  for (const auto& service : services) {
    if (!config.contains(service)) config.insert(service, toml::table{});
    toml::table& section = *config[service].as_table();
    if (section.contains("database")) continue;  // the test chose
    if (!known.contains(service)) {
      CONCORD_ASSIGN_OR_RETURN(known[service], pg->CreateDatabase("e2e_" + service));
      std::ofstream(known_file, std::ios::app) << service << " " << known[service] << "\n";
    }
    section.insert("database", known[service]);
    section.insert("password_file", pg->password_file().string());
    changed = true;
  }
  if (changed) {
    std::ostringstream out;
    out << config << "\n";
    std::ofstream(config_file) << out.str();
  }
  return Ok();
}

Result<std::shared_ptr<db::Database>> OpenTestDatabase(const std::filesystem::path& data_dir,
                                                       const std::string& service) {
  deployment::DataDir dir{data_dir};
  CONCORD_ASSIGN_OR_RETURN(auto config, deployment::LoadConfig(dir));
  auto st = config.Storage(service);
  return db::Database::Open(st.database, {.base_dir = data_dir, .password_file = st.password_file});
}

namespace {

void CopyFiles(const fs::path& from_dir, const fs::path& to_dir, const std::string& name) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::path to = to_dir / (name + suffix);
    std::error_code ec;
    fs::remove(to, ec);
    if (fs::exists(from_dir / (name + suffix))) fs::copy_file(from_dir / (name + suffix), to);
  }
}

}  // namespace

// Whether the deployment in `data_dir` keeps `service` on PostgreSQL (its concord.toml says).
Result<bool> OnPostgres(const fs::path& data_dir, const std::string& service) {
  CONCORD_ASSIGN_OR_RETURN(auto config, deployment::LoadConfig(deployment::DataDir{data_dir}));
  return config.Storage(service).database.starts_with("postgres");
}

Status SaveTestDatabase(const fs::path& data_dir, const std::string& service,
                        const fs::path& backup_dir) {
  CONCORD_ASSIGN_OR_RETURN(bool postgres, OnPostgres(data_dir, service));
  if (!postgres) {
    CopyFiles(data_dir, backup_dir, service + ".db");
    return Ok();
  }
  fs::path dump = backup_dir / (service + ".dump");
  std::error_code ec;
  fs::remove(dump, ec);
  CONCORD_ASSIGN_OR_RETURN(auto db, OpenTestDatabase(data_dir, service));
  CONCORD_ASSIGN_OR_RETURN(auto lease, db->Acquire());
  return lease->CopyTo(dump);
}

Status RestoreTestDatabase(const fs::path& backup_dir, const std::string& service,
                           const fs::path& data_dir) {
  CONCORD_ASSIGN_OR_RETURN(bool postgres, OnPostgres(data_dir, service));
  if (!postgres) {
    CopyFiles(backup_dir, data_dir, service + ".db");
    return Ok();
  }
  CONCORD_ASSIGN_OR_RETURN(auto db, OpenTestDatabase(data_dir, service));
  CONCORD_ASSIGN_OR_RETURN(auto lease, db->Acquire());
  return lease->ReplaceFrom(backup_dir / (service + ".dump"));
}

}  // namespace concord::testing
