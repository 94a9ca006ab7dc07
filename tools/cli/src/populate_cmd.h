#pragma once
// `concord populate`: sample communities, users and every hosted application's resources, for
// demonstrations and benchmarks, into an empty deployment.

#include <cstdint>
#include <string>

namespace concord::cli {

// Exit 0 when populated; 1 when it failed (the deployment is left as it was); 2 bad input.
int Populate(const std::string& data_dir, int64_t count, uint64_t seed);

}  // namespace concord::cli
