#pragma once
// The files `concord recover` reads back (docs/recovery-runbook.md): the state of an earlier run
// (recover-state.json), the set-aside file of queued events it wrote, and the synchronization
// reports of its "before" step. Each is read whole and every field it uses checked before the
// run acts on it: a damaged or hand-edited file is kInvalidArgument naming the file and the field
// (the CLI exits 2), kNotFound when absent, kUnavailable when unreadable. In the library
// concord_cli_files, which the fuzz target tests/fuzz/recover_files_fuzzer.cc links too.

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "concord/base/error.h"
#include "concord/base/json_file.h"

namespace concord::cli {

// What the "verify" step recorded.
struct Verification {
  int64_t differences = 0;
  int64_t orphans = 0;
  std::string reports;  // the directory of the verification's reports
};

// recover-state.json of an earlier run.
struct SavedState {
  std::vector<std::string> restored;
  std::string orphans;
  std::vector<std::string> completed;  // the ids of the steps done, in order
  // Present whenever "verify" is among the completed steps: the end of a run reads it.
  std::optional<Verification> verification;
  nlohmann::json document;  // the whole state, which the resumed run goes on from
};
Result<SavedState> LoadRecoverState(const std::filesystem::path& file);

// The event ids of a set-aside file ({"events": [{"remoteAppDefId", "eventId", ...}]}), by
// application, in the file's order.
Result<std::map<std::string, std::vector<std::string>>> ReadSetAside(
    const std::filesystem::path& file);

// Whether an entry of a communityDifferences report is a real disagreement: a community in the
// trash is listed as trashed even when nothing else differs.
Result<bool> Disagrees(const JsonFields& difference);

// The communities of a <remoteAppDefId>_communityDifferences.json report that really disagree,
// in its order; `trashed`, if given, counts those listed only as trashed.
Result<std::vector<std::string>> Disagreeing(const std::filesystem::path& report,
                                             int64_t* trashed = nullptr);

// An entry of a <remoteAppDefId>_orphanedRemoteApplications.json report.
struct Orphan {
  std::string id;             // objectIdentifyingId
  std::string old_community;  // oldCommunityUuid
  std::string reason;         // "" when the report gives none
};
Result<std::vector<Orphan>> ReadOrphans(const std::filesystem::path& report);

}  // namespace concord::cli
