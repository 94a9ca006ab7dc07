#include "backup_manifest.h"

#include <fmt/format.h>

#include "concord/base/json_file.h"

namespace concord::cli {

namespace fs = std::filesystem;

Result<Manifest> LoadManifest(const fs::path& from) {
  auto read = ReadJsonFile(from / kManifest);
  if (!read && read.error().code == ErrorCode::kNotFound) {
    return NotFound(fmt::format("{} holds no {} (not a Concord backup, or an incomplete one)",
                                from.string(), kManifest));
  }
  if (!read) return std::unexpected(read.error());
  const JsonFields& m = *read;
  CONCORD_ASSIGN_OR_RETURN(std::string format, m.String("format"));
  if (format != "concord-backup") {
    return std::unexpected(
        m.Invalid("format", "is not \"concord-backup\": this is not a Concord backup manifest"));
  }
  CONCORD_ASSIGN_OR_RETURN(int64_t version, m.Int("formatVersion"));
  if (version != 1) {
    return std::unexpected(m.Invalid(
        "formatVersion", fmt::format("is {}; this Concord reads backup format 1", version)));
  }
  Manifest out;
  CONCORD_ASSIGN_OR_RETURN(out.deployment_id, m.String("deploymentId"));
  CONCORD_ASSIGN_OR_RETURN(out.created, m.String("created", "?"));
  CONCORD_ASSIGN_OR_RETURN(JsonFields services, m.Object("services"));
  for (const auto& name : services.Keys()) {
    CONCORD_ASSIGN_OR_RETURN(JsonFields e, services.Object(name));
    ManifestEntry entry;
    if (name.ends_with(kContentStoreSuffix)) {  // a content store: a directory of files
      CONCORD_RETURN_IF_ERROR(e.String("dir"));
      CONCORD_RETURN_IF_ERROR(e.Int("files", 0));
    } else {
      CONCORD_ASSIGN_OR_RETURN(entry.file, e.String("file"));
      CONCORD_ASSIGN_OR_RETURN(entry.schema_version, e.Int("schemaVersion"));
      CONCORD_RETURN_IF_ERROR(e.Int("lastEventSeq", 0));
      CONCORD_RETURN_IF_ERROR(e.Int("lastAppliedEventSeq", 0));
    }
    CONCORD_RETURN_IF_ERROR(e.Int("bytes", 0));
    out.services[name] = std::move(entry);
  }
  return out;
}

Status CheckEntryFile(const Manifest& manifest, const fs::path& from, const std::string& service) {
  auto it = manifest.services.find(service);
  if (it == manifest.services.end()) {
    return InvalidArgument("service", fmt::format("the backup in {} holds no {}", from.string(),
                                                  service.substr(0, 40)));
  }
  const ManifestEntry& entry = it->second;
  if (entry.file != service + ".db" && entry.file != service + ".dump") {
    return InvalidArgument(fmt::format("services.{}.file", service),
                           fmt::format("{}: field 'services.{}.file' names '{}'; a backup "
                                       "holds it as {}.db (SQLite) or {}.dump (PostgreSQL)",
                                       (from / kManifest).string(), service,
                                       entry.file.substr(0, 80), service, service));
  }
  return Ok();
}

}  // namespace concord::cli
