#pragma once
// A backup's manifest.json (docs/backup-restore.md), as `concord restore` reads it: every field's
// type checked, so that a damaged or hand-edited manifest is refused with the file and the field
// named (exit 2) before anything changes. In the library concord_cli_files, which the fuzz target
// tests/fuzz/backup_manifest_fuzzer.cc links too.
//
//   CONCORD_ASSIGN_OR_RETURN(Manifest m, LoadManifest(backup_dir));
//   CONCORD_RETURN_IF_ERROR(CheckEntryFile(m, backup_dir, "communities"));

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "concord/base/error.h"

namespace concord::cli {

inline constexpr std::string_view kManifest = "manifest.json";
// A content store's entry is named <service>-content ("files-content"; libs/apps'
// has_content_store).
inline constexpr std::string_view kContentStoreSuffix = "-content";

struct ManifestEntry {
  std::string file;  // a database's file in the backup ("" for the content store)
  int64_t schema_version = 0;
};

struct Manifest {
  std::string deployment_id;
  std::string created;  // "?" when the manifest does not say
  std::map<std::string, ManifestEntry> services;
};

// Reads `backup`/manifest.json. kNotFound when there is none (not a Concord backup, or an
// incomplete one); kInvalidArgument naming the file and the field when it is not JSON, not a
// manifest of format 1, or a field is missing or of another type; kUnavailable when it cannot be
// read.
Result<Manifest> LoadManifest(const std::filesystem::path& backup);

// The file `manifest` names for `service` (which it must hold) is the service's own,
// `<service>.db`: kInvalidArgument (field "services.<service>.file") naming the manifest in
// `backup` otherwise, so that a manifest cannot point a restore outside the backup.
Status CheckEntryFile(const Manifest& manifest, const std::filesystem::path& backup,
                      const std::string& service);

}  // namespace concord::cli
