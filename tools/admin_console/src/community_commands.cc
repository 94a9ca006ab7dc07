// CommunitiesService (reference section 13 and Concord's additions), over the Communities
// HTTP API as an administrator.
#include <fmt/format.h>

#include "command.h"
#include "concord/base/ids.h"
#include "concord/lifecycle/widgets.h"

namespace concord::admin {
namespace {

const std::string kCommunities = "/communities/api/communities";

// The reference's memberRole argument.
enum class MemberRole : int64_t { kMember = 0, kOwner = 1 };

std::string Str(const Value& v) { return v.get<std::string>(); }

// The reference's hash map (uuid, name, type, memberSize, createdBy, created, lastMod,
// lastModBy, description, tags) and what Concord adds.
Value CommunityValue(const nlohmann::json& c) {
  auto j = [&](const char* key) { return Value::parse(c.value(key, nlohmann::json()).dump()); };
  Value v;
  v["uuid"] = j("uuid");
  v["name"] = j("name");
  v["type"] = j("visibility");
  v["memberSize"] = j("memberCount");
  v["createdBy"] = j("createdBy");
  v["created"] = j("created");
  v["lastMod"] = j("lastMod");
  v["lastModBy"] = j("lastModBy");
  v["description"] = j("description");
  v["tags"] = j("tags");
  v["handle"] = j("handle");
  v["theme"] = j("theme");
  v["listWhenPrivate"] = j("listWhenPrivate");
  v["ownersApproveContent"] = j("ownersApproveContent");
  v["viewersFlagContent"] = j("viewersFlagContent");
  v["parentUuid"] = j("parentUuid");
  v["version"] = j("version");
  return v;
}

Result<nlohmann::json> ById(Session& s, const std::string& uuid, const std::string& field) {
  if (!IsUuid(uuid)) {
    return InvalidArgument(field, fmt::format("'{}' is not a community uuid", uuid.substr(0, 80)));
  }
  auto c = s.client().Get(kCommunities + "/" + uuid);
  if (!c && c.error().code == ErrorCode::kNotFound) {
    return NotFound(fmt::format("no community with uuid {} (or it is in the trash)", uuid));
  }
  return c;
}

// The communities named exactly `name`.
Result<std::vector<nlohmann::json>> ByName(Session& s, const std::string& name) {
  std::vector<nlohmann::json> out;
  std::string after;
  do {
    std::string path = kCommunities + "?limit=500&name=" + http::UrlEncode(name);
    if (!after.empty()) path += "&after=" + http::UrlEncode(after);
    CONCORD_ASSIGN_OR_RETURN(auto page, s.client().Get(path));
    for (auto& c : page["items"]) out.push_back(std::move(c));
    after = page["next"].is_string() ? page["next"].get<std::string>() : "";
  } while (!after.empty());
  return out;
}

// The reference's CLFRM0091E, with the uuids to use instead (listed as the accepted values).
Error Ambiguous(const std::string& name, const std::vector<nlohmann::json>& found,
                const std::string& field) {
  std::vector<std::string> uuids;
  uuids.reserve(found.size());
  for (const auto& c : found) uuids.push_back(c["uuid"].get<std::string>());
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("Multiple communities found with name: {} ({} of them); use the "
                           "community uuid instead",
                           name.substr(0, 200), found.size()),
               field, uuids};
}

// The reference's name-based commands take a community name; Concord also takes its uuid, which
// is what the reference says to use when a name is ambiguous (CLFRM0091E).
Result<nlohmann::json> ByNameOrUuid(Session& s, const std::string& ref, const std::string& field) {
  if (IsUuid(ref)) {
    auto c = s.client().Get(kCommunities + "/" + ref);
    if (c) return c;
    if (c.error().code != ErrorCode::kNotFound) return c;
  }
  CONCORD_ASSIGN_OR_RETURN(auto found, ByName(s, ref));
  if (found.empty()) {
    return NotFound(
        fmt::format("no community named '{}' (names are exact; trashed communities "
                    "are not searched)",
                    ref.substr(0, 200)));
  }
  if (found.size() > 1) return std::unexpected(Ambiguous(ref, found, field));
  return found[0];
}

std::string Label(const nlohmann::json& c) {
  return fmt::format("'{}' ({})", c["name"].get<std::string>(), c["uuid"].get<std::string>());
}

Result<Value> Patch(Session& s, const nlohmann::json& c, const nlohmann::json& body,
                    const std::string& what) {
  CONCORD_ASSIGN_OR_RETURN(auto after,
                           s.client().Put(kCommunities + "/" + c["uuid"].get<std::string>(), body));
  s.Print(fmt::format("Updated the {} of {}.\n", what, Label(after)));
  return Value(nullptr);
}

Status NonEmpty(const Args& a, size_t i, const std::string& field) {
  if (a[i].empty()) return InvalidArgument(field, field + " must list at least one address");
  return Ok();
}

}  // namespace

void AddCommunityCommands(std::vector<Command>& out) {
  const std::string svc = "CommunitiesService";
  out.push_back({svc,
                 "fetchAllComm",
                 {},
                 "Every community and subcommunity, as a list of dicts (uuid, name, type, "
                 "memberSize, ...). On a large deployment prefer fetchBatchComm.",
                 Failure::kRaise,
                 [](Session& s, const Args&) -> Result<Value> {
                   Value all = Value::array();
                   std::string after;
                   do {
                     std::string path = kCommunities + "?limit=500";
                     if (!after.empty()) path += "&after=" + http::UrlEncode(after);
                     CONCORD_ASSIGN_OR_RETURN(auto page, s.client().Get(path));
                     for (const auto& c : page["items"]) all.push_back(CommunityValue(c));
                     after = page["next"].is_string() ? page["next"].get<std::string>() : "";
                   } while (!after.empty());
                   return all;
                 }});
  out.push_back(
      {svc,
       "fetchBatchComm",
       {{"batchSize", Kind::kInt}, {"priorLastCommunityId", Kind::kValueOrNone}},
       "The uuids of the next batchSize communities (1 to 500) after priorLastCommunityId (None "
       "for the first batch), in uuid order; an empty list when none remain.",
       Failure::kRaise,
       [](Session& s, const Args& a) -> Result<Value> {
         int64_t n = a[0].get<int64_t>();
         if (n < 1 || n > 500) {
           return InvalidArgument("batchSize",
                                  fmt::format("batchSize must be from 1 to 500, not {}", n));
         }
         std::string path = kCommunities + "?limit=" + std::to_string(n);
         if (!a[1].is_null()) {
           if (!a[1].is_string() || !IsUuid(Str(a[1]))) {
             return InvalidArgument("priorLastCommunityId",
                                    "priorLastCommunityId must be None or a community uuid");
           }
           path += "&after=" + Str(a[1]);
         }
         CONCORD_ASSIGN_OR_RETURN(auto page, s.client().Get(path));
         Value uuids = Value::array();
         for (const auto& c : page["items"]) uuids.push_back(c["uuid"].get<std::string>());
         return uuids;
       }});
  out.push_back({svc,
                 "fetchCommById",
                 {{"communityUuid", Kind::kString}},
                 "The community with this uuid, as a list of one dict.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(auto c, ById(s, Str(a[0]), "communityUuid"));
                   return Value::array({CommunityValue(c)});
                 }});
  out.push_back({svc,
                 "fetchCommByName",
                 {{"communityName", Kind::kString}},
                 "The community with exactly this name, as a list of one dict; an error when "
                 "several have it (use the uuid).",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(auto found, ByName(s, Str(a[0])));
                   if (found.empty()) {
                     return NotFound(
                         fmt::format("no community named '{}'", Str(a[0]).substr(0, 200)));
                   }
                   if (found.size() > 1) {
                     return std::unexpected(Ambiguous(Str(a[0]), found, "communityName"));
                   }
                   return Value::array({CommunityValue(found[0])});
                 }});
  out.push_back({svc,
                 "updateCommunityName",
                 {{"communityName", Kind::kString}, {"newName", Kind::kString}},
                 "Renames a community (named by its name or its uuid).",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(auto c, ByNameOrUuid(s, Str(a[0]), "communityName"));
                   return Patch(s, c, {{"name", Str(a[1])}}, "name");
                 }});
  out.push_back({svc,
                 "updateCommunityDescription",
                 {{"communityName", Kind::kString}, {"newDescription", Kind::kString}},
                 "Replaces a community's description (named by its name or its uuid).",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(auto c, ByNameOrUuid(s, Str(a[0]), "communityName"));
                   return Patch(s, c, {{"description", Str(a[1])}}, "description");
                 }});
  out.push_back(
      {svc,
       "addMembersToCommunityByEmail",
       {{"communityName", Kind::kString},
        {"memberRole", Kind::kInt},
        {"emailAddresses", Kind::kStringList}},
       "Adds the users with these email addresses, as members (memberRole 0) or owners (1). All "
       "or nothing: an unknown address or an existing member changes nothing.",
       Failure::kRaise,
       [](Session& s, const Args& a) -> Result<Value> {
         int64_t value = a[1].get<int64_t>();
         if (value != static_cast<int64_t>(MemberRole::kMember) &&
             value != static_cast<int64_t>(MemberRole::kOwner)) {
           return InvalidArgument(
               "memberRole",
               fmt::format("memberRole must be 0 (member) or 1 (owner), not {}", value),
               {"0", "1"});
         }
         bool owner = static_cast<MemberRole>(value) == MemberRole::kOwner;
         CONCORD_RETURN_IF_ERROR(NonEmpty(a, 2, "emailAddresses"));
         CONCORD_ASSIGN_OR_RETURN(auto c, ByNameOrUuid(s, Str(a[0]), "communityName"));
         nlohmann::json users = nlohmann::json::parse(a[2].dump());
         CONCORD_RETURN_IF_ERROR(
             s.client().Post(kCommunities + "/" + c["uuid"].get<std::string>() + "/members",
                             {{"users", users}, {"role", owner ? "owner" : "member"}}));
         s.Print(fmt::format("Added {} {} to {}.\n", users.size(), owner ? "owner(s)" : "member(s)",
                             Label(c)));
         return Value(nullptr);
       }});
  out.push_back(
      {svc,
       "removeMembersFromCommunityByEmail",
       {{"communityName", Kind::kString}, {"emailAddresses", Kind::kStringList}},
       "Removes the users with these email addresses. Checked first: an address that is not a "
       "member, or removing every owner, changes nothing.",
       Failure::kRaise,
       [](Session& s, const Args& a) -> Result<Value> {
         CONCORD_RETURN_IF_ERROR(NonEmpty(a, 1, "emailAddresses"));
         CONCORD_ASSIGN_OR_RETURN(auto c, ByNameOrUuid(s, Str(a[0]), "communityName"));
         std::string base = kCommunities + "/" + c["uuid"].get<std::string>() + "/members";
         int owners_removed = 0;
         for (const auto& email : a[1]) {
           auto m = s.client().Get(base + "/" + http::UrlEncode(Str(email)));
           if (!m && m.error().code == ErrorCode::kNotFound) {
             return NotFound(fmt::format("{} is not a member of {}; nothing was removed",
                                         Str(email).substr(0, 200), Label(c)));
           }
           if (!m) return std::unexpected(m.error());
           if ((*m)["role"] == "owner") ++owners_removed;
         }
         if (owners_removed > 0) {
           CONCORD_ASSIGN_OR_RETURN(auto owners, s.client().Get(base + "?role=owner&limit=500"));
           if (owners["items"].size() <= static_cast<size_t>(owners_removed) &&
               owners["next"].is_null()) {
             return FailedPrecondition(fmt::format(
                 "that would remove every owner of {}; add another owner first; nothing was "
                 "removed",
                 Label(c)));
           }
         }
         for (const auto& email : a[1]) {
           CONCORD_RETURN_IF_ERROR(s.client().Delete(base + "/" + http::UrlEncode(Str(email))));
         }
         s.Print(fmt::format("Removed {} member(s) from {}.\n", a[1].size(), Label(c)));
         return Value(nullptr);
       }});
  out.push_back(
      {svc,
       "removeAllWidgetsByWidgetDefId",
       {{"communityUuid", Kind::kString}, {"widgetDefId", Kind::kString}},
       "Removes the widget widgetDefId from one community, as an owner would (its application "
       "hears remote.app.removed and moves the resource to its trash); returns how many were "
       "removed (0 if the community has none). Members and RecentUpdates cannot be removed.",
       Failure::kRaise,
       [](Session& s, const Args& a) -> Result<Value> {
         if (!lifecycle::FindWidgetDef(Str(a[1]))) {
           return InvalidArgument("widgetDefId",
                                  fmt::format("unknown widgetDefId '{}' (ids are case-sensitive)",
                                              Str(a[1]).substr(0, 60)),
                                  lifecycle::WidgetDefIds());
         }
         CONCORD_ASSIGN_OR_RETURN(auto c, ById(s, Str(a[0]), "communityUuid"));
         std::string base = kCommunities + "/" + Str(a[0]) + "/widgets";
         CONCORD_ASSIGN_OR_RETURN(auto widgets, s.client().Get(base));
         int64_t n = 0;
         for (const auto& w : widgets["items"]) {
           if (w["widgetDefId"] != Str(a[1])) continue;
           CONCORD_RETURN_IF_ERROR(
               s.client().Delete(base + "/" + http::UrlEncode(w["instanceId"].get<std::string>())));
           ++n;
         }
         s.Print(fmt::format("Removed {} {} widget{} from {}.\n", n, Str(a[1]), n == 1 ? "" : "s",
                             Label(c)));
         return Value(n);
       }});
  out.push_back({svc,
                 "removeWidgetsByWidgetDefIdForAllComm",
                 {{"widgetDefId", Kind::kString}},
                 "Removes this widget from every community that has it (its application hears "
                 "remote.app.removed); returns how many were removed. Trashed communities keep "
                 "theirs. This can take a great deal of data out of the applications' view: "
                 "back up first.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(
                       auto r, s.client().Post("/communities/api/admin/widgets/" +
                                                   http::UrlEncode(Str(a[0])) + "/remove-all",
                                               {}));
                   int64_t n = r["removed"].get<int64_t>();
                   s.Print(fmt::format("Removed the {} widget from {} communit{}.\n", Str(a[0]), n,
                                       n == 1 ? "y" : "ies"));
                   return Value(n);
                 }});
  out.push_back({svc,
                 "updateCommunityVisibility",
                 {{"communityUuid", Kind::kString}, {"visibility", Kind::kString}},
                 "Sets the visibility: public, publicInviteOnly (moderated) or private "
                 "(restricted). Concord's addition.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(auto c, ById(s, Str(a[0]), "communityUuid"));
                   return Patch(s, c, {{"visibility", Str(a[1])}}, "visibility");
                 }});
  out.push_back({svc,
                 "addWidget",
                 {{"communityUuid", Kind::kString}, {"widgetDefId", Kind::kString}},
                 "Adds a widget (its application creates the resource); returns the widget's "
                 "instance id. Concord's addition.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(auto c, ById(s, Str(a[0]), "communityUuid"));
                   CONCORD_ASSIGN_OR_RETURN(
                       auto w, s.client().Post(kCommunities + "/" + Str(a[0]) + "/widgets",
                                               {{"widgetDefId", Str(a[1])}}));
                   s.Print(fmt::format("Added the {} widget to {}.\n", Str(a[1]), Label(c)));
                   return Value(w["instanceId"].get<std::string>());
                 }});
  out.push_back({svc,
                 "deleteCommunity",
                 {{"communityUuid", Kind::kString}},
                 "Moves a community (and its subcommunities) to the trash; restoreCommunity "
                 "brings it back. Concord's addition.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(auto c, ById(s, Str(a[0]), "communityUuid"));
                   CONCORD_RETURN_IF_ERROR(s.client().Delete(kCommunities + "/" + Str(a[0])));
                   s.Print(fmt::format("Moved {} to the trash.\n", Label(c)));
                   return Value(nullptr);
                 }});
  out.push_back({svc,
                 "restoreCommunity",
                 {{"communityUuid", Kind::kString}},
                 "Restores a community from the trash with the visibility it had. Concord's "
                 "addition.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   if (!IsUuid(Str(a[0]))) {
                     return InvalidArgument(
                         "communityUuid",
                         fmt::format("'{}' is not a community uuid", Str(a[0]).substr(0, 80)));
                   }
                   auto c = s.client().Post("/communities/api/trash/" + Str(a[0]) + "/restore", {});
                   if (!c && c.error().code == ErrorCode::kNotFound) {
                     return NotFound(fmt::format("no community {} in the trash", Str(a[0])));
                   }
                   if (!c) return std::unexpected(c.error());
                   s.Print(fmt::format("Restored {}.\n", Label(*c)));
                   return Value(nullptr);
                 }});
}

}  // namespace concord::admin
