#pragma once
// The runs of `concord recover` on this data directory, for the dashboard (docs/http-api.md,
// "Recovery runs"): each folder under <data-dir>/recovery/ (`latest`, the run in progress or the
// last one that did not end clean, and one per clean run under its start time), with the steps
// it completed, its verification and its audit log. Read only: runs are started from the command
// line, which an administrator watches to its end.

#include <filesystem>

#include "concord/http/server.h"

namespace concord::cli {

// GET /communities/api/admin/recovery-runs and GET .../{name}.
void MountRecoveryRuns(http::Server& server, const std::filesystem::path& recovery_dir);

}  // namespace concord::cli
