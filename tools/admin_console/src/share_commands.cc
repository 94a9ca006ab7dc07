// Community shares and the Files store (reference section 10): the application lists the
// communities it shares with, Communities says what became of them, the application catches up.
#include <fmt/format.h>

#include <map>

#include "command.h"

namespace concord::admin {
namespace {

Result<Value> SyncShares(Session& s, const std::string& service, const std::string& app) {
  std::string base = fmt::format("/{}/api/admin/shared-communities", service);
  std::string after;
  int64_t communities = 0, updated = 0, removed = 0, gone = 0;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(auto page,
                             s.client().Get(base + (after.empty() ? "" : "?after=" + after)));
    std::vector<std::string> uuids = page["items"].get<std::vector<std::string>>();
    if (uuids.empty()) break;
    // Communities, 1000 at a time.
    CONCORD_ASSIGN_OR_RETURN(
        auto found, s.client().Post(fmt::format("/communities/api/admin/sync/{}/lookup", app),
                                    {{"uuids", uuids}}));
    std::map<std::string, nlohmann::json> by_uuid;
    for (const auto& c : found["items"]) by_uuid[c["uuid"].get<std::string>()] = c;
    nlohmann::json truths = nlohmann::json::array();
    for (const auto& u : uuids) {
      auto it = by_uuid.find(u);
      if (it == by_uuid.end()) {
        ++gone;
        truths.push_back({{"uuid", u}, {"exists", false}});
      } else {
        truths.push_back({{"uuid", u},
                          {"exists", true},
                          {"name", it->second["name"]},
                          {"visibility", it->second["visibility"]}});
      }
    }
    CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Post(base + "/sync", {{"communities", truths}}));
    communities += r["communities"].get<int64_t>();
    updated += r["updated"].get<int64_t>();
    removed += r["removed"].get<int64_t>();
    if (page["next"].is_null()) break;
    after = page["next"].get<std::string>();
  }
  s.Print(
      fmt::format("{} communities shared with ({} no longer exist): {} shares brought up to "
                  "date, {} removed.\n",
                  communities, gone, updated, removed));
  Value v;
  v["communities"] = communities;
  v["communitiesGone"] = gone;
  v["updated"] = updated;
  v["removed"] = removed;
  return v;
}

}  // namespace

void AddShareCommands(std::vector<Command>& out) {
  out.push_back(
      {"FilesDataIntegrityService",
       "syncAllCommunityShares",
       {},
       "Brings files and folders shared with communities in line with Communities: a "
       "renamed or re-restricted community's shares are updated; a private item stops "
       "being shared with a community that is no longer restricted; shares with a "
       "community that no longer exists are removed (the owners keep their files). "
       "Returns a dict of counts.",
       Failure::kRaise,
       [](Session& s, const Args&) -> Result<Value> { return SyncShares(s, "files", "Files"); }});
  out.push_back({"AccessControlService",
                 "syncAllCommunityShares",
                 {},
                 "Brings communities that are members of activities in line with Communities: "
                 "name and access level updated; a community that no longer exists is removed "
                 "from the activities' membership. Returns a dict of counts.",
                 Failure::kRaise,
                 [](Session& s, const Args&) -> Result<Value> {
                   return SyncShares(s, "activities", "Activities");
                 }});
  out.push_back(
      {"FilesDataIntegrityService",
       "checkFiles",
       {{"extraFileDirectory", Kind::kString}},
       "Compares the Files content store with the database: binaries with no record are moved "
       "into extraFileDirectory (an absolute path on the Files server, created if missing); "
       "records whose binary is missing are listed. Returns a dict (checked, extra, moved, "
       "missing, missingIds).",
       Failure::kRaise,
       [](Session& s, const Args& a) -> Result<Value> {
         CONCORD_ASSIGN_OR_RETURN(
             auto r, s.client().Post("/files/api/admin/check-files",
                                     {{"extraFileDirectory", a[0].get<std::string>()}}));
         s.Print(
             fmt::format("{} binaries checked: {} without a record moved to {}; {} records "
                         "without their binary.\n",
                         r["checked"].get<int64_t>(), r["extra"].get<int64_t>(),
                         r["extraFileDirectory"].get<std::string>(), r["missing"].get<int64_t>()));
         return Value::parse(r.dump());
       }});
}

}  // namespace concord::admin
