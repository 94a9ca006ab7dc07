#include "recover_files.h"

#include <algorithm>

namespace concord::cli {

namespace fs = std::filesystem;

Result<SavedState> LoadRecoverState(const fs::path& file) {
  CONCORD_ASSIGN_OR_RETURN(JsonFields st, ReadJsonFile(file));
  SavedState saved;
  CONCORD_ASSIGN_OR_RETURN(saved.restored, st.Strings("restored"));
  CONCORD_ASSIGN_OR_RETURN(saved.orphans, st.String("orphans"));
  CONCORD_RETURN_IF_ERROR(st.String("started"));
  CONCORD_ASSIGN_OR_RETURN(saved.completed, st.Strings("completed"));
  if (st.Has("setAsideFile")) {
    // A file of this run's directory that the set-aside step wrote (and clears on resume): a
    // name, never a path. Null is absent, as everywhere in the files Concord reads.
    CONCORD_ASSIGN_OR_RETURN(std::string name, st.String("setAsideFile"));
    if (name.find('/') != std::string::npos || !name.starts_with("set-aside-events") ||
        !name.ends_with(".json")) {
      return std::unexpected(st.Invalid(
          "setAsideFile", "must be the name of a set-aside-events*.json file of the run, not '" +
                              name.substr(0, 80) + "'"));
    }
  }
  if (st.Has("done")) {
    CONCORD_ASSIGN_OR_RETURN(JsonFields done, st.Object("done"));
    for (const auto& step : done.Keys()) CONCORD_RETURN_IF_ERROR(done.Object(step));
  }
  if (st.Has("seconds")) {  // how long each step took: numbers, added to as steps end
    CONCORD_ASSIGN_OR_RETURN(JsonFields seconds, st.Object("seconds"));
    for (const auto& step : seconds.Keys()) CONCORD_RETURN_IF_ERROR(seconds.Number(step));
  }
  if (st.Has("verification")) {
    CONCORD_ASSIGN_OR_RETURN(JsonFields v, st.Object("verification"));
    Verification verification;
    CONCORD_ASSIGN_OR_RETURN(verification.differences, v.Int("differences"));
    CONCORD_ASSIGN_OR_RETURN(verification.orphans, v.Int("orphans"));
    CONCORD_ASSIGN_OR_RETURN(verification.reports, v.String("reports"));
    saved.verification = std::move(verification);
  }
  // A run whose "verify" step is done goes straight to its end, which reads what it found.
  if (!saved.verification && std::find(saved.completed.begin(), saved.completed.end(), "verify") !=
                                 saved.completed.end()) {
    return std::unexpected(st.Invalid(
        "verification", "is missing (it must be an object once step 'verify' is completed)"));
  }
  saved.document = st.document();
  return saved;
}

Result<std::map<std::string, std::vector<std::string>>> ReadSetAside(const fs::path& file) {
  CONCORD_ASSIGN_OR_RETURN(JsonFields set_aside, ReadJsonFile(file));
  CONCORD_ASSIGN_OR_RETURN(auto events, set_aside.Objects("events"));
  std::map<std::string, std::vector<std::string>> by_app;
  for (const auto& e : events) {
    CONCORD_ASSIGN_OR_RETURN(std::string app, e.String("remoteAppDefId"));
    CONCORD_ASSIGN_OR_RETURN(std::string id, e.String("eventId"));
    by_app[app].push_back(std::move(id));
  }
  return by_app;
}

Result<bool> Disagrees(const JsonFields& d) {
  CONCORD_ASSIGN_OR_RETURN(std::string status, d.String("status", ""));
  if (status != "trashed") return true;
  for (const char* k :
       {"attributes", "ownersMissing", "ownersExtra", "membersMissing", "membersExtra"}) {
    if (d.Has(k) && !d.document()[k].empty()) return true;
  }
  return d.Bool("resourceMissing", false);
}

Result<std::vector<std::string>> Disagreeing(const fs::path& report, int64_t* trashed) {
  CONCORD_ASSIGN_OR_RETURN(JsonFields diffs, ReadJsonFile(report));
  CONCORD_ASSIGN_OR_RETURN(auto entries, diffs.Objects("differences"));
  std::vector<std::string> listed;
  for (const auto& d : entries) {
    CONCORD_ASSIGN_OR_RETURN(bool real, Disagrees(d));
    if (real) {
      CONCORD_ASSIGN_OR_RETURN(std::string uuid, d.String("communityUuid"));
      listed.push_back(std::move(uuid));
    } else if (trashed) {
      ++*trashed;
    }
  }
  return listed;
}

Result<std::vector<Orphan>> ReadOrphans(const fs::path& report) {
  CONCORD_ASSIGN_OR_RETURN(JsonFields r, ReadJsonFile(report));
  CONCORD_ASSIGN_OR_RETURN(auto entries, r.Objects("orphans"));
  std::vector<Orphan> orphans;
  for (const auto& o : entries) {
    Orphan orphan;
    CONCORD_ASSIGN_OR_RETURN(orphan.id, o.String("objectIdentifyingId"));
    CONCORD_ASSIGN_OR_RETURN(orphan.old_community, o.String("oldCommunityUuid"));
    CONCORD_ASSIGN_OR_RETURN(orphan.reason, o.String("reason", ""));
    orphans.push_back(std::move(orphan));
  }
  return orphans;
}

}  // namespace concord::cli
