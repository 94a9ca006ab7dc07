// Deleting orphaned data (reference section 9): each application's commands, over the
// resource API every application shares. Deleted resources go to the application's trash.
#include <fmt/format.h>

#include <fstream>
#include <regex>

#include "command.h"
#include "concord/base/ids.h"
#include "concord/lifecycle/widgets.h"

namespace concord::admin {
namespace {

std::string Base(const std::string& app) {
  return fmt::format("/{}/api/admin/resources/{}", lifecycle::FindWidgetDef(app)->application, app);
}

// The reference's hash map of a resource; `id_key` is the key it names the id with.
Value ResourceValue(const nlohmann::json& r, const std::string& id_key) {
  Value v;
  v[id_key] = r["id"].get<std::string>();
  v["communityUuid"] = r["communityUuid"].get<std::string>();
  v["title"] = r["title"].get<std::string>();
  v["created"] = r["created"].get<std::string>();
  v["trashed"] = r["trashed"].get<bool>();
  return v;
}

Result<Value> Find(Session& s, const std::string& app, const std::string& query,
                   const std::string& id_key) {
  CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Get(Base(app) + "?" + query));
  Value out = Value::array();
  for (const auto& item : r["items"]) out.push_back(ResourceValue(item, id_key));
  return out;
}

// Deletes; returns the reference's vector of what could not be deleted (empty: all done).
Result<Value> Delete(Session& s, const std::string& app, const std::vector<std::string>& ids,
                     const std::string& id_key) {
  if (ids.empty()) return InvalidArgument(id_key, "nothing to delete");
  CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Post(Base(app) + "/delete", {{"ids", ids}}));
  Value failed = Value::array();
  for (const auto& f : r["failed"]) {
    Value v;
    v[id_key] = f["id"].get<std::string>();
    v["reason"] = f["reason"].get<std::string>();
    failed.push_back(v);
  }
  s.Print(
      fmt::format("Moved {} {} resource{} to the trash{}.\n", r["deleted"].get<int64_t>(), app,
                  r["deleted"].get<int64_t>() == 1 ? "" : "s",
                  failed.empty() ? "" : fmt::format("; {} could not be deleted", failed.size())));
  return failed;
}

// The ids of a list of resource maps (as fetch... returned) or of id strings.
Result<std::vector<std::string>> Ids(const Value& list, const std::string& id_key,
                                     const std::string& param) {
  std::vector<std::string> ids;
  for (const auto& item : list) {
    if (item.is_string()) {
      ids.push_back(item.get<std::string>());
    } else if (item.is_object() && item.contains(id_key) && item[id_key].is_string()) {
      ids.push_back(item[id_key].get<std::string>());
    } else {
      return InvalidArgument(param, fmt::format("{} must be a list of ids or of the maps "
                                                "{}'s fetch command returns (with '{}')",
                                                param, id_key, id_key));
    }
  }
  return ids;
}

// deleteBatch: a text file on this machine with one id per line.
Result<std::vector<std::string>> IdsFromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound(fmt::format("cannot read {} on this machine", path));
  std::vector<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) ids.push_back(line);
  }
  return ids;
}

Status CheckUuid(const std::string& param, const std::string& v) {
  if (!IsUuid(v))
    return InvalidArgument(param, fmt::format("'{}' is not a community uuid", v.substr(0, 60)));
  return Ok();
}

Result<Value> DeleteOne(Session& s, const std::string& app, const std::string& id,
                        const std::string& id_key) {
  CONCORD_ASSIGN_OR_RETURN(Value failed, Delete(s, app, {id}, id_key));
  if (!failed.empty()) {
    return NotFound(fmt::format("{} {}: {}", app, id, failed[0]["reason"].get<std::string>()));
  }
  return Value(1);
}

}  // namespace

void AddDeleteCommands(std::vector<Command>& out) {
  out.push_back({"ActivityService",
                 "fetchActivitiesByCommunityExId",
                 {{"communityUuid", Kind::kString}},
                 "The community activities of a community (its uuid, e.g. an orphan's "
                 "oldCommunityUuid), as a list of dicts for deleteActivities.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_RETURN_IF_ERROR(CheckUuid("communityUuid", a[0].get<std::string>()));
                   return Find(s, "Activities", "community=" + a[0].get<std::string>(),
                               "activityId");
                 }});
  out.push_back({"ActivityService",
                 "deleteActivities",
                 {{"activities", Kind::kValueOrNone}},
                 "Moves the activities (fetchActivitiesByCommunityExId's list, or ids) to the "
                 "Activities trash. Returns the list of those that could not be deleted: empty "
                 "means complete success.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   if (!a[0].is_array())
                     return InvalidArgument("activities", "activities must be a list");
                   CONCORD_ASSIGN_OR_RETURN(auto ids, Ids(a[0], "activityId", "activities"));
                   return Delete(s, "Activities", ids, "activityId");
                 }});
  out.push_back({"BlogsAdminService",
                 "deleteWeblog",
                 {{"weblogId", Kind::kString}},
                 "Moves a blog or ideation blog (the report's Object Identifying Id) to the Blogs "
                 "trash. Returns 1.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   // A blog or an ideation blog: whichever has the id.
                   std::string id = a[0].get<std::string>();
                   std::string app = "Blog";
                   if (!s.client().Get(Base("Blog") + "/" + http::UrlEncode(id)))
                     app = "IdeationBlog";
                   return DeleteOne(s, app, id, "weblogId");
                 }});
  for (const auto& [service, app, key] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"FilesLibraryService", "Files", "libraryId"},
           {"WikisLibraryService", "Wiki", "libraryId"}}) {
    std::string a_app = app, a_key = key;
    out.push_back({service,
                   "delete",
                   {{"libraryId", Kind::kString}},
                   "Moves a community library (the report's Object Identifying Id) and all its "
                   "content to the trash. Returns 1.",
                   Failure::kRaise,
                   [a_app, a_key](Session& s, const Args& a) -> Result<Value> {
                     return DeleteOne(s, a_app, a[0].get<std::string>(), a_key);
                   }});
    out.push_back({service,
                   "deleteBatch",
                   {{"filePath", Kind::kString}},
                   "The same for every library id in a text file on this machine, one per line. "
                   "Returns the list of those that could not be deleted.",
                   Failure::kRaise,
                   [a_app, a_key](Session& s, const Args& a) -> Result<Value> {
                     CONCORD_ASSIGN_OR_RETURN(auto ids, IdsFromFile(a[0].get<std::string>()));
                     return Delete(s, a_app, ids, a_key);
                   }});
  }
  out.push_back({"ForumsService",
                 "fetchForumsByName",
                 {{"forumName", Kind::kString}},
                 "The community forums with exactly this name, as a list of dicts (forumID, "
                 "communityUuid, title, ...). Names need not be unique: narrow with filterInput.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   return Find(s, "Forum", "name=" + http::UrlEncode(a[0].get<std::string>()),
                               "forumID");
                 }});
  out.push_back({"ForumsService",
                 "filterInput",
                 {{"forums", Kind::kValueOrNone}, {"regex", Kind::kString}, {"key", Kind::kString}},
                 "The maps of the list whose value under key matches the regular expression "
                 "(anywhere in it), e.g. filterInput(forums, \"^b307369e\", \"forumID\").",
                 Failure::kRaise,
                 [](Session&, const Args& a) -> Result<Value> {
                   if (!a[0].is_array()) return InvalidArgument("forums", "forums must be a list");
                   std::regex re;
                   try {
                     re = std::regex(a[1].get<std::string>());
                   } catch (const std::regex_error& e) {
                     return InvalidArgument(
                         "regex", fmt::format("'{}' is not a regular expression: {}",
                                              a[1].get<std::string>().substr(0, 60), e.what()));
                   }
                   Value out = Value::array();
                   for (const auto& item : a[0]) {
                     std::string key = a[2].get<std::string>();
                     if (item.is_object() && item.contains(key) && item[key].is_string() &&
                         std::regex_search(item[key].get<std::string>(), re)) {
                       out.push_back(item);
                     }
                   }
                   return out;
                 }});
  out.push_back({"ForumsService",
                 "deleteForums",
                 {{"forums", Kind::kValueOrNone}},
                 "Moves the forums (fetchForumsByName's list, filtered, or ids) to the Forums "
                 "trash. Returns the list of those that could not be deleted.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   if (!a[0].is_array()) return InvalidArgument("forums", "forums must be a list");
                   CONCORD_ASSIGN_OR_RETURN(auto ids, Ids(a[0], "forumID", "forums"));
                   return Delete(s, "Forum", ids, "forumID");
                 }});
  out.push_back({"NewsMicrobloggingService",
                 "deleteMicroblogs",
                 {{"communityId", Kind::kString}},
                 "Removes a community's status updates (its boards go to the trash, so nobody "
                 "can post there). Returns how many boards were removed.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_RETURN_IF_ERROR(CheckUuid("communityId", a[0].get<std::string>()));
                   CONCORD_ASSIGN_OR_RETURN(
                       Value boards,
                       Find(s, "StatusUpdates", "community=" + a[0].get<std::string>(), "id"));
                   std::vector<std::string> ids;
                   for (const auto& b : boards) {
                     if (!b["trashed"].get<bool>()) ids.push_back(b["id"].get<std::string>());
                   }
                   if (ids.empty()) {
                     s.Print("No status updates to remove.\n");
                     return Value(0);
                   }
                   CONCORD_ASSIGN_OR_RETURN(Value failed, Delete(s, "StatusUpdates", ids, "id"));
                   return Value(static_cast<int64_t>(ids.size() - failed.size()));
                 }});
}

}  // namespace concord::admin
