#pragma once
// The PostgreSQL backend of libs/db (libpq). Private to the library.

#include <memory>
#include <string_view>

#include "concord/db/database.h"

namespace concord::db::postgres {

// Opens "postgresql://[user[:password]@]host[:port]/dbname[?param=value&...]" (or
// "postgres://"), libpq's URI form: sslmode, sslrootcert, connect_timeout and the rest pass
// through to libpq. The password comes from options.password_file, libpq's passfile
// (PGPASSFILE, ~/.pgpass) or the URI, in that order of preference.
Result<std::shared_ptr<Database>> OpenPostgres(std::string_view url, const OpenOptions& options);

// The URL without its password (user:secret@ → user@, password=... removed from the query).
std::string RedactUrl(std::string_view url);

}  // namespace concord::db::postgres
