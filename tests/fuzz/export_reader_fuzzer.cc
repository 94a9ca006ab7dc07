// The synced-resource export reader (libs/xml) on arbitrary files: it must refuse what it cannot
// read with an error, never crash, and never loop. Seeds: tests/fuzz/corpus/export_reader/.
#include <cstddef>
#include <cstdint>

#include "concord/xml/synced_resources.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const concord::fuzz::ScratchDir dir;
  auto file = dir.Write("export.xml", data, size);
  auto reader = concord::xml::ExportReader::Open(file);
  if (!reader) return 0;
  // Every resource the file holds, until the end marker or the first error.
  while (true) {
    auto next = (*reader)->Next();
    if (!next || !*next) break;
  }
  return 0;
}
