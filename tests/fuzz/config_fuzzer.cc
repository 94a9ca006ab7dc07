// concord.toml (libs/deployment LoadConfig), written to a data directory of the fuzzer's own:
// a malformed file, an unknown key or a value of the wrong type or range is an error naming the
// key, never a crash. Seeds: tests/fuzz/corpus/config/.
#include <cstddef>
#include <cstdint>

#include "concord/deployment/deployment.h"
#include "fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const concord::fuzz::ScratchDir dir;
  concord::deployment::DataDir data_dir{dir.root()};
  dir.Write("concord.toml", data, size);
  auto config = concord::deployment::LoadConfig(data_dir);
  if (config) (void)concord::deployment::ParseListen(config->listen);
  return 0;
}
