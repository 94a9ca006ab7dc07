// Community shares and the Files store (reference section 10): the application lists the
// communities it shares with, Communities says what became of them, the application catches up.
#include <fmt/format.h>

#include <map>

#include "command.h"
#include "concord/apps/registry.h"

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
  for (const apps::Application* a : apps::All()) {
    const apps::ShareRepair& r = a->shares;
    if (r.object.empty()) continue;
    std::string service(a->service), app(a->widgets.front().def_id);
    out.push_back({std::string(r.object),
                   std::string(r.method),
                   {},
                   std::string(r.summary) + " Returns a dict of counts.",
                   Failure::kRaise,
                   [service, app](Session& s, const Args&) -> Result<Value> {
                     return SyncShares(s, service, app);
                   }});
    if (r.content_check.empty()) continue;
    out.push_back(
        {std::string(r.object),
         std::string(r.content_check),
         {{"extraFileDirectory", Kind::kString}},
         fmt::format("Compares the {} content store with the database: binaries with no record "
                     "are moved into extraFileDirectory (an absolute path on the {} server, "
                     "created if missing); records whose binary is missing are listed. Returns a "
                     "dict (checked, extra, moved, missing, missingIds).",
                     a->title, a->title),
         Failure::kRaise,
         [service](Session& s, const Args& args) -> Result<Value> {
           CONCORD_ASSIGN_OR_RETURN(
               auto r, s.client().Post(fmt::format("/{}/api/admin/check-files", service),
                                       {{"extraFileDirectory", args[0].get<std::string>()}}));
           s.Print(fmt::format(
               "{} binaries checked: {} without a record moved to {}; {} records "
               "without their binary.\n",
               r["checked"].get<int64_t>(), r["extra"].get<int64_t>(),
               r["extraFileDirectory"].get<std::string>(), r["missing"].get<int64_t>()));
           return Value::parse(r.dump());
         }});
  }
}

}  // namespace concord::admin
