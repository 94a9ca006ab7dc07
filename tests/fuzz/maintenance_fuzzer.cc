// maintenance.json (libs/maintenance Load), and what the server does next with a state it
// loaded: parse the allow-list, describe it, render the default page.
// Seeds: tests/fuzz/corpus/maintenance/.
#include <cstddef>
#include <cstdint>

#include "concord/maintenance/maintenance.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const concord::fuzz::ScratchDir dir;
  auto file = dir.Write("maintenance.json", data, size);
  auto state = concord::maintenance::Load(file);
  if (!state) return 0;
  (void)concord::maintenance::ParseRanges(state->allow, "allow");
  (void)concord::maintenance::Describe(*state);
  (void)concord::maintenance::DefaultPage(*state);
  return 0;
}
