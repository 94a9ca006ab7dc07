// The files `concord recover` reads back (tools/cli recover_files.h): the input is read as
// recover-state.json (LoadRecoverState), as a set-aside file (ReadSetAside), as a
// communityDifferences report (Disagreeing) and as an orphanedRemoteApplications report
// (ReadOrphans); a damaged file is an error naming the file and the field, never a crash.
// A state that loads is then read the way a resumed run reads it (recover_cmd.cc: Run::Done,
// the completed steps, the setAsideFile, the verification at the end of the run).
// Seeds: tests/fuzz/corpus/recover_files/ (a state, a set-aside file, reports).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz_check.h"
#include "fuzz_file.h"
#include "recover_files.h"

namespace {

using nlohmann::json;

// What Recover() and its steps read from the state they resume from, with the same calls.
void ReadAsAResumedRunDoes(const concord::cli::SavedState& saved) {
  json state = saved.document;  // Run::state, which the run reads and changes
  // Run::Done(step, item) for the items a step looks up.
  if (auto d = state.find("done"); d != state.end()) {
    for (const auto& [step, items] : d->items()) {
      for (const auto& [item, detail] : items.items()) {
        const json& done = (*d)[step][item];
        if (done.is_string()) (void)done.get<std::string>();
        if (done.is_number_unsigned()) (void)done.get<size_t>();
      }
      (void)items.contains("Forum");
    }
  }
  // The step loop: which steps are done.
  const auto& completed = state["completed"];
  bool verified = std::find(completed.begin(), completed.end(), "verify") != completed.end();
  // The set-aside step of a run killed after writing its file.
  if (state.contains("setAsideFile")) {
    (void)concord::JsonFields("recover-state.json", state).String("setAsideFile");
  }
  (void)state.value("started", "run");
  // The end of a run whose every step is done: what the verification found.
  if (verified) {
    const json& v = state["verification"];
    (void)v["differences"].get<int64_t>();
    (void)v["orphans"].get<int64_t>();
    (void)v["reports"].get<std::string>();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using concord::fuzz::RequireNamedError;
  static const concord::fuzz::ScratchDir dir;
  auto file = dir.Write("recover-state.json", data, size);

  auto saved = concord::cli::LoadRecoverState(file);
  if (saved) {
    ReadAsAResumedRunDoes(*saved);
  } else {
    RequireNamedError(saved.error(), "recover-state.json");
  }
  auto set_aside = concord::cli::ReadSetAside(file);
  if (!set_aside) RequireNamedError(set_aside.error(), "recover-state.json");
  int64_t trashed = 0;
  auto disagreeing = concord::cli::Disagreeing(file, &trashed);
  if (!disagreeing) RequireNamedError(disagreeing.error(), "recover-state.json");
  auto orphans = concord::cli::ReadOrphans(file);
  if (!orphans) RequireNamedError(orphans.error(), "recover-state.json");
  return 0;
}
