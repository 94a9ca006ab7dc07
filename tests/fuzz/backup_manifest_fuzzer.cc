// A backup's manifest.json as `concord restore` reads it (tools/cli backup_manifest.h:
// LoadManifest), and the check restore makes of the entry of each service it would restore
// (CheckEntryFile). A damaged manifest is an error naming manifest.json and the field, never a
// crash. Seeds: tests/fuzz/corpus/backup_manifest/.
#include <cstddef>
#include <cstdint>

#include "backup_manifest.h"
#include "fuzz_check.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const concord::fuzz::ScratchDir dir;
  dir.Write("manifest.json", data, size);
  auto manifest = concord::cli::LoadManifest(dir.root());
  if (!manifest) {
    concord::fuzz::RequireNamedError(manifest.error(), "manifest.json");
    return 0;
  }
  for (const auto& [service, entry] : manifest->services) {
    auto checked = concord::cli::CheckEntryFile(*manifest, dir.root(), service);
    if (!checked) concord::fuzz::RequireNamedError(checked.error(), "manifest.json");
  }
  return 0;
}
