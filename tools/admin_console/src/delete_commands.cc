// Deleting orphaned data (reference section 9): each application's commands, built from its
// description's shape (libs/apps), over the resource API every application shares. Deleted
// resources go to the application's trash.
#include <fmt/format.h>

#include <fstream>
#include <map>
#include <regex>

#include "admin_api.h"
#include "command.h"
#include "concord/apps/registry.h"
#include "concord/base/ids.h"

namespace concord::admin {
namespace {

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
  CONCORD_ASSIGN_OR_RETURN(auto items, AdminApi(s.client()).Resources(app, query));
  Value out = Value::array();
  for (const auto& item : items) out.push_back(ResourceValue(item, id_key));
  return out;
}

// Deletes; returns the reference's vector of what could not be deleted (empty: all done).
Result<Value> Delete(Session& s, const std::string& app, const std::vector<std::string>& ids,
                     const std::string& id_key) {
  if (ids.empty()) return InvalidArgument(id_key, "nothing to delete");
  CONCORD_ASSIGN_OR_RETURN(Deletion d, AdminApi(s.client()).DeleteResources(app, ids));
  Value failed = Value::array();
  for (const auto& [id, reason] : d.failed) {
    Value v;
    v[id_key] = id;
    v["reason"] = reason;
    failed.push_back(v);
  }
  s.Print(fmt::format(
      "Moved {} {} resource{} to the trash{}.\n", d.deleted, app, d.deleted == 1 ? "" : "s",
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

// The remoteAppDefId of `application` that holds resource `id` (its first when it serves one).
std::string WidgetOf(Session& s, const apps::Application& application, const std::string& id) {
  for (const auto& w : application.widgets) {
    if (application.widgets.size() == 1) return std::string(w.def_id);
    if (auto found = AdminApi(s.client()).Resource(std::string(w.def_id), id); found && *found) {
      return std::string(w.def_id);
    }
  }
  return std::string(application.widgets.front().def_id);
}

// Deletes `ids` of `application`, each from the remoteAppDefId that holds it.
Result<Value> DeleteIds(Session& s, const apps::Application& application,
                        const std::vector<std::string>& ids, const std::string& id_key) {
  if (application.widgets.size() == 1) {
    return Delete(s, std::string(application.widgets.front().def_id), ids, id_key);
  }
  std::map<std::string, std::vector<std::string>> by_app;
  for (const auto& id : ids) by_app[WidgetOf(s, application, id)].push_back(id);
  Value failed = Value::array();
  for (const auto& [app, some] : by_app) {
    CONCORD_ASSIGN_OR_RETURN(Value f, Delete(s, app, some, id_key));
    for (auto& item : f) failed.push_back(std::move(item));
  }
  return failed;
}

// Every resource of `application` matching `query`, across its remoteAppDefIds.
Result<Value> FindAll(Session& s, const apps::Application& application, const std::string& query,
                      const std::string& id_key) {
  Value out = Value::array();
  for (const auto& w : application.widgets) {
    CONCORD_ASSIGN_OR_RETURN(Value some, Find(s, std::string(w.def_id), query, id_key));
    for (auto& item : some) out.push_back(std::move(item));
  }
  return out;
}

// <object>.<filter>(list, regex, key): the maps whose value under key matches.
Result<Value> Filter(const Args& a, const std::string& list_param) {
  if (!a[0].is_array()) return InvalidArgument(list_param, list_param + " must be a list");
  std::regex re;
  try {
    re = std::regex(a[1].get<std::string>());
  } catch (const std::regex_error& e) {
    return InvalidArgument("regex", fmt::format("'{}' is not a regular expression: {}",
                                                a[1].get<std::string>().substr(0, 60), e.what()));
  }
  Value out = Value::array();
  std::string key = a[2].get<std::string>();
  for (const auto& item : a[0]) {
    if (item.is_object() && item.contains(key) && item[key].is_string() &&
        std::regex_search(item[key].get<std::string>(), re)) {
      out.push_back(item);
    }
  }
  return out;
}

// The commands of one application's orphan deletion, built from its shape.
void AddApplicationCommands(std::vector<Command>& out, const apps::Application& application) {
  using Shape = apps::OrphanDeletion::Shape;
  const apps::OrphanDeletion& o = application.orphans;
  const apps::Application* a_ptr = &application;
  std::string object(o.object), noun(o.noun), id_key(o.id_key);
  std::string remove_param(o.remove_param), fetch_param(o.fetch_param);
  std::string trash = std::string(application.title) + " trash";
  switch (o.shape) {
    case Shape::kNone: return;
    case Shape::kFetchByCommunity:
    case Shape::kFetchByName: {
      bool by_name = o.shape == Shape::kFetchByName;
      out.push_back(
          {object,
           std::string(o.fetch),
           {{fetch_param, Kind::kString}},
           by_name ? fmt::format("The community {}s with exactly this name, as a list of dicts "
                                 "({}, communityUuid, title, ...). Names need not be unique: "
                                 "narrow with {}.",
                                 noun, id_key, o.filter)
                   : fmt::format("The community {}s of a community (its uuid, e.g. an orphan's "
                                 "oldCommunityUuid), as a list of dicts for {}.",
                                 noun, o.remove),
           Failure::kRaise,
           [a_ptr, by_name, fetch_param, id_key](Session& s, const Args& a) -> Result<Value> {
             std::string v = a[0].get<std::string>();
             if (!by_name) CONCORD_RETURN_IF_ERROR(CheckUuid(fetch_param, v));
             return FindAll(s, *a_ptr, (by_name ? "name=" : "community=") + http::UrlEncode(v),
                            id_key);
           }});
      if (by_name) {
        out.push_back(
            {object,
             std::string(o.filter),
             {{remove_param, Kind::kValueOrNone}, {"regex", Kind::kString}, {"key", Kind::kString}},
             fmt::format("The maps of the list whose value under key matches the "
                         "regular expression (anywhere in it), e.g. {}({}, "
                         "\"^b307369e\", \"{}\").",
                         o.filter, remove_param, id_key),
             Failure::kRaise,
             [remove_param](Session&, const Args& a) -> Result<Value> {
               return Filter(a, remove_param);
             }});
      }
      out.push_back(
          {object,
           std::string(o.remove),
           {{remove_param, Kind::kValueOrNone}},
           fmt::format("Moves the {}s ({}'s list{}, or ids) to the {}. Returns the list of those "
                       "that could not be deleted: empty means complete success.",
                       noun, o.fetch, by_name ? ", filtered" : "", trash),
           Failure::kRaise,
           [a_ptr, remove_param, id_key](Session& s, const Args& a) -> Result<Value> {
             if (!a[0].is_array()) {
               return InvalidArgument(remove_param, remove_param + " must be a list");
             }
             CONCORD_ASSIGN_OR_RETURN(auto ids, Ids(a[0], id_key, remove_param));
             return DeleteIds(s, *a_ptr, ids, id_key);
           }});
      return;
    }
    case Shape::kById: {
      out.push_back({object,
                     std::string(o.remove),
                     {{remove_param, Kind::kString}},
                     fmt::format("Moves a {} (the report's Object Identifying Id) to the {}. "
                                 "Returns 1.",
                                 noun, trash),
                     Failure::kRaise,
                     [a_ptr, id_key](Session& s, const Args& a) -> Result<Value> {
                       std::string id = a[0].get<std::string>();
                       return DeleteOne(s, WidgetOf(s, *a_ptr, id), id, id_key);
                     }});
      if (!o.batch.empty()) {
        out.push_back({object,
                       std::string(o.batch),
                       {{"filePath", Kind::kString}},
                       fmt::format("The same as {} for every id in a text file on this machine, "
                                   "one per line. Returns the list of those that could not be "
                                   "deleted.",
                                   o.remove),
                       Failure::kRaise,
                       [a_ptr, id_key](Session& s, const Args& a) -> Result<Value> {
                         CONCORD_ASSIGN_OR_RETURN(auto ids, IdsFromFile(a[0].get<std::string>()));
                         return DeleteIds(s, *a_ptr, ids, id_key);
                       }});
      }
      return;
    }
    case Shape::kByCommunity:
      out.push_back(
          {object,
           std::string(o.remove),
           {{remove_param, Kind::kString}},
           fmt::format("Removes a community's {}s (they go to the {}, so nobody can post there). "
                       "Returns how many were removed.",
                       noun, trash),
           Failure::kRaise,
           [a_ptr, remove_param, id_key, noun](Session& s, const Args& a) -> Result<Value> {
             std::string uuid = a[0].get<std::string>();
             CONCORD_RETURN_IF_ERROR(CheckUuid(remove_param, uuid));
             CONCORD_ASSIGN_OR_RETURN(Value found, FindAll(s, *a_ptr, "community=" + uuid, id_key));
             std::vector<std::string> ids;
             for (const auto& r : found) {
               if (!r["trashed"].get<bool>()) ids.push_back(r[id_key].get<std::string>());
             }
             if (ids.empty()) {
               s.Print(fmt::format("No {}s to remove.\n", noun));
               return Value(0);
             }
             CONCORD_ASSIGN_OR_RETURN(Value failed, DeleteIds(s, *a_ptr, ids, id_key));
             return Value(static_cast<int64_t>(ids.size() - failed.size()));
           }});
      return;
  }
}

}  // namespace

void AddDeleteCommands(std::vector<Command>& out) {
  for (const apps::Application* a : apps::All()) AddApplicationCommands(out, *a);
}

}  // namespace concord::admin
