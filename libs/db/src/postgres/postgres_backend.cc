// Opening a PostgreSQL database: the URI checked, the password file read, one connection made
// and the collation checked. The connection itself: postgres_connection.h.
#include "postgres/postgres_backend.h"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "postgres/postgres_connection.h"

namespace concord::db::postgres {
namespace {

// Reads the password file, which must be readable by its owner only.
Result<std::string> ReadPasswordFile(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return FailedPrecondition(fmt::format("cannot read the database password file {}: {}",
                                          file.string(), std::strerror(errno)));
  }
  if ((st.st_mode & 077) != 0) {
    return FailedPrecondition(
        fmt::format("the database password file {} is readable by others (mode {:o}): chmod 600 it",
                    file.string(), st.st_mode & 0777));
  }
  std::ifstream in(file);
  std::string password;
  std::getline(in, password);
  password = TrimNewline(password);
  if (password.empty()) {
    return FailedPrecondition(fmt::format("the database password file {} is empty", file.string()));
  }
  return password;
}

// `password` (from a password file) overrides the URI's; `tool_password` is whichever the
// connection uses, for pg_dump and pg_restore.
Result<std::unique_ptr<Connection>> Connect(const std::string& url, const std::string& password,
                                            const std::string& tool_password,
                                            const std::string& display) {
  // Defaults first: the URL's own settings, then the password file, override them.
  std::vector<const char*> keys = {"connect_timeout", "application_name", "dbname"};
  std::vector<const char*> values = {"10", "concord", url.c_str()};
  if (!password.empty()) {
    keys.push_back("password");
    values.push_back(password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string why = conn != nullptr ? OneLine(PQerrorMessage(conn)) : "out of memory";
    PQfinish(conn);
    Error e{ErrorCode::kUnavailable,
            fmt::format("cannot connect to the database {}: {}", display, why),
            "database",
            {}};
    return std::unexpected(e);
  }
  // The server's notices ("relation already exists, skipping") are not errors: not on stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Connection>(std::make_unique<PgConnection>(conn, url, tool_password));
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  std::string query;
  if (auto q = out.find('?'); q != std::string::npos) {
    query = out.substr(q + 1);
    out.erase(q);
  }
  // user:password@host -> user@host
  if (auto scheme = out.find("://"); scheme != std::string::npos) {
    auto at = out.rfind('@');
    if (at != std::string::npos && at > scheme) {
      auto colon = out.find(':', scheme + 3);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  // Every parameter whose name, percent-decoded, mentions a password (password, sslpassword,
  // pass%77ord) goes.
  std::vector<std::string> kept;
  std::istringstream params(query);
  for (std::string param; std::getline(params, param, '&');) {
    if (param.empty()) continue;
    std::string name = param.substr(0, param.find('='));
    std::string decoded;
    for (size_t k = 0; k < name.size(); ++k) {
      char ch = name[k];
      if (ch == '%' && k + 2 < name.size()) {
        ch = static_cast<char>(std::strtol(name.substr(k + 1, 2).c_str(), nullptr, 16));
        k += 2;
      }
      decoded.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
    }
    if (decoded.find("password") == std::string::npos) kept.push_back(param);
  }
  for (size_t k = 0; k < kept.size(); ++k) out += (k == 0 ? "?" : "&") + kept[k];
  return out;
}

Result<std::shared_ptr<Database>> OpenPostgres(std::string_view url, const OpenOptions& options) {
  std::string display = RedactUrl(url);
  std::string target(url);
  // libpq knows postgresql:// and postgres://; anything else is a typo worth naming.
  if (!target.starts_with("postgresql://") && !target.starts_with("postgres://")) {
    return InvalidArgument("database",
                           fmt::format("'{}' is not a PostgreSQL URI", display.substr(0, 200)),
                           {"postgresql://user@host:5432/dbname"});
  }
  char* err = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(target.c_str(), &err);
  if (parsed == nullptr) {
    // libpq's words name an unknown parameter usefully; other messages may quote the URI's own
    // text (a password among it), so they are not repeated.
    std::string why = err != nullptr ? OneLine(err) : "";
    if (!why.starts_with("invalid URI query parameter")) {
      why = "check its percent-encoding and its parameter names";
    }
    PQfreemem(err);
    return InvalidArgument(
        "database", fmt::format("malformed PostgreSQL URI {}: {}", display.substr(0, 200), why));
  }
  // The password in the URI, if any: pg_dump and pg_restore get it through a passfile, never on
  // their command line.
  std::string url_password;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr) url_password = o->val;
  }
  PQconninfoFree(parsed);
  std::string password;
  if (!options.password_file.empty()) {
    fs::path file = options.password_file.is_absolute() ? options.password_file
                                                        : options.base_dir / options.password_file;
    CONCORD_ASSIGN_OR_RETURN(password, ReadPasswordFile(file));
  }
  std::string tool_password = password.empty() ? url_password : password;
  auto db = std::make_shared<Database>(
      Backend::kPostgres, display,
      [target, password, tool_password, display] {
        return Connect(target, password, tool_password, display);
      },
      options.max_connections);
  // One connection now, so that an unreachable server or refused credentials fail at start-up
  // with the database named; and the checks Concord relies on.
  CONCORD_ASSIGN_OR_RETURN(auto lease, db->Acquire());
  // Byte order puts 'B' (0x42) before 'a' (0x61); every locale's order (libc or ICU) puts 'a'
  // first.
  CONCORD_ASSIGN_OR_RETURN(auto rows,
                           lease->Query("SELECT ('a' < 'B')::int, datcollate FROM "
                                        "pg_database WHERE datname = current_database()"));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (has && rows.Int(0) != 0) {
    return FailedPrecondition(fmt::format(
        "the database {} sorts text by a locale (collation '{}'); Concord compares ids byte by "
        "byte: create it with CREATE DATABASE ... TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'",
        display, rows.Text(1)));
  }
  return db;
}

}  // namespace concord::db::postgres
