// The Communities HTTP API (docs/http-api.md): JSON in and out, nothing else. Every rule lives
// in the domain (CommunitiesService); this file only translates.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>

#include "concord/base/text.h"
#include "concord/communities/service.h"
#include "concord/http/auth.h"
#include "concord/http/client.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "concord/lifecycle/widgets.h"

namespace concord::communities {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;

constexpr std::string_view kBase = "/communities/api";
const std::string kId = "([^/]+)";

std::string Route(std::string_view tail) { return std::string(kBase) + std::string(tail); }

Actor ActorOf(const Request& r) { return Actor{r.principal.id, r.principal.admin}; }

using http::CheckQuery;

Result<std::optional<int64_t>> QueryInt(const Request& r, std::string_view name) {
  auto v = r.Query(name);
  if (!v) return std::optional<int64_t>{};
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size()) {
    return InvalidArgument(std::string(name), fmt::format("'{}' must be a whole number", name));
  }
  return std::optional(n);
}

Result<int> LimitOf(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(auto v, QueryInt(r, "limit"));
  if (!v) return 50;
  if (*v < 1 || *v > 500) return InvalidArgument("limit", "limit must be from 1 to 500");
  return static_cast<int>(*v);
}

json Timestamp(Millis ms) { return FormatTimestamp(ms); }

json CommunityJson(const Community& c, bool full, std::optional<Role> caller_role,
                   int retention_days) {
  json j = {
      {"uuid", c.uuid.value()},
      {"name", c.name},
      {"description", c.description},
      {"tags", c.tags},
      {"visibility", VisibilityName(c.visibility)},
      {"listWhenPrivate", c.list_when_private},
  };
  if (!full) {
    j["access"] = "listing";
    return j;
  }
  j["access"] = "full";
  j["handle"] = c.handle ? json(*c.handle) : json(nullptr);
  j["theme"] = c.theme;
  j["ownersApproveContent"] = c.owners_approve_content;
  j["viewersFlagContent"] = c.viewers_flag_content;
  j["parentUuid"] = c.parent ? json(c.parent->value()) : json(nullptr);
  j["created"] = Timestamp(c.created);
  j["createdBy"] = c.created_by.value();
  j["lastMod"] = Timestamp(c.last_mod);
  j["lastModBy"] = c.last_mod_by.value();
  j["version"] = c.version;
  j["memberCount"] = c.member_count;
  j["callerRole"] = caller_role ? json(RoleName(*caller_role)) : json(nullptr);
  if (c.trash) {
    j["trash"] = {
        {"trashedAt", Timestamp(c.trash->trashed_at)},
        {"trashedBy", c.trash->trashed_by.value()},
        {"visibilityBeforeTrash", VisibilityName(c.trash->visibility_before)},
        {"withParent", c.trash->with_parent},
        {"purgeAfter", Timestamp(c.trash->trashed_at + retention_days * kMillisPerDay)},
    };
  }
  return j;
}

json MemberJson(const Member& m) {
  json j = {{"userId", m.user.value()},
            {"login", m.login},
            {"email", m.email},
            {"displayName", m.display_name},
            {"role", RoleName(m.role)}};
  if (m.added) j["added"] = Timestamp(m.added);
  return j;
}

json WidgetJson(const Widget& w) {
  const auto* def = lifecycle::FindWidgetDef(w.widget_def_id);
  return {{"instanceId", w.instance_id.value()},
          {"widgetDefId", w.widget_def_id},
          {"remote", def && def->remote},
          {"remoteResourceId", w.remote_resource_id ? json(*w.remote_resource_id) : json(nullptr)},
          {"uiLocation", w.ui_location},
          {"created", Timestamp(w.created)}};
}

json UserJson(const User& u) {
  return {{"id", u.id.value()},
          {"login", u.login},
          {"email", u.email},
          {"displayName", u.display_name},
          {"admin", u.admin},
          {"disabled", u.disabled},
          {"created", Timestamp(u.created)}};
}

template <typename T, typename F>
json PageJson(const Page<T>& page, F&& item) {
  json items = json::array();
  for (const auto& x : page.items) items.push_back(item(x));
  return {{"items", items}, {"next", page.next ? json(*page.next) : json(nullptr)}};
}

Result<CommunityDraft> ReadDraft(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
  CommunityDraft d;
  CONCORD_ASSIGN_OR_RETURN(d.name, b.RequiredString("name"));
  CONCORD_ASSIGN_OR_RETURN(d.handle, b.OptString("handle"));
  CONCORD_ASSIGN_OR_RETURN(auto description, b.OptString("description"));
  d.description = description.value_or("");
  CONCORD_ASSIGN_OR_RETURN(auto tags, b.OptStringList("tags"));
  d.tags = tags.value_or(std::vector<std::string>{});
  CONCORD_ASSIGN_OR_RETURN(auto visibility, b.OptString("visibility"));
  if (visibility) {
    CONCORD_ASSIGN_OR_RETURN(d.visibility, ParseVisibility(*visibility));
  }
  CONCORD_ASSIGN_OR_RETURN(auto lwp, b.OptBool("listWhenPrivate"));
  d.list_when_private = lwp.value_or(false);
  CONCORD_ASSIGN_OR_RETURN(auto theme, b.OptString("theme"));
  d.theme = theme.value_or("default");
  CONCORD_ASSIGN_OR_RETURN(auto oac, b.OptBool("ownersApproveContent"));
  d.owners_approve_content = oac.value_or(false);
  CONCORD_ASSIGN_OR_RETURN(auto vfc, b.OptBool("viewersFlagContent"));
  d.viewers_flag_content = vfc.value_or(false);
  CONCORD_ASSIGN_OR_RETURN(d.owner, b.OptString("owner"));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  return d;
}

Result<CommunityPatch> ReadPatch(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
  CommunityPatch p;
  CONCORD_ASSIGN_OR_RETURN(p.name, b.OptString("name"));
  if (b.IsNull("handle")) {
    p.handle = std::optional<std::string>{};
  }
  CONCORD_ASSIGN_OR_RETURN(auto handle, b.OptString("handle"));
  if (handle) p.handle = handle;
  CONCORD_ASSIGN_OR_RETURN(p.description, b.OptString("description"));
  CONCORD_ASSIGN_OR_RETURN(p.tags, b.OptStringList("tags"));
  CONCORD_ASSIGN_OR_RETURN(auto visibility, b.OptString("visibility"));
  if (visibility) {
    CONCORD_ASSIGN_OR_RETURN(p.visibility, ParseVisibility(*visibility));
  }
  CONCORD_ASSIGN_OR_RETURN(p.list_when_private, b.OptBool("listWhenPrivate"));
  CONCORD_ASSIGN_OR_RETURN(p.theme, b.OptString("theme"));
  CONCORD_ASSIGN_OR_RETURN(p.owners_approve_content, b.OptBool("ownersApproveContent"));
  CONCORD_ASSIGN_OR_RETURN(p.viewers_flag_content, b.OptBool("viewersFlagContent"));
  CONCORD_ASSIGN_OR_RETURN(p.expected_version, b.OptInt("version"));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  return p;
}

Result<ListFilter> ReadListFilter(CommunitiesService& svc, const Request& r) {
  CONCORD_RETURN_IF_ERROR(
      CheckQuery(r, {"visibility", "member", "name", "q", "tag", "after", "limit"}));
  ListFilter f;
  if (auto v = r.Query("visibility")) {
    CONCORD_ASSIGN_OR_RETURN(f.visibility, ParseVisibility(*v));
  }
  if (auto m = r.Query("member")) {
    auto u = svc.GetUser(ActorOf(r), *m);
    if (!u) {
      auto e = u.error();
      e.field = "member";
      return std::unexpected(e);
    }
    f.member = u->id;
  }
  f.name = r.Query("name");
  auto control = [](const std::string& s) {
    return std::any_of(s.begin(), s.end(),
                       [](char ch) { return static_cast<unsigned char>(ch) < 32; });
  };
  for (const char* field : {"q", "tag"}) {
    if (auto v = r.Query(field); v && control(*v)) {
      return InvalidArgument(field, std::string(field) + " may not hold control characters");
    }
  }
  if (auto q = r.Query("q"); q && !q->empty()) {
    if (q->size() > 200)
      return InvalidArgument("q", "q (a part of the name) is at most 200 characters");
    f.name_contains = *q;
  }
  if (auto tag = r.Query("tag"); tag && !tag->empty()) {
    if (tag->size() > 100) return InvalidArgument("tag", "tag is at most 100 characters");
    f.tag = AsciiLower(*tag);
  }
  f.after = r.Query("after").value_or("");
  CONCORD_ASSIGN_OR_RETURN(f.limit, LimitOf(r));
  return f;
}

}  // namespace

void MountHttpApi(http::Server& server, CommunitiesService& svc) {
  MountSessionApi(server, svc);
  const int retention = svc.trash_retention_days();
  auto community_json = [retention](const Community& c, bool full = true,
                                    std::optional<Role> role = std::nullopt) {
    return CommunityJson(c, full, role, retention);
  };
  auto view_json = [community_json](const CommunityView& v) {
    return community_json(v.community, v.full, v.caller_role);
  };

  server.Get(Route("/status"), http::Access::kSignedIn, [](const Request& r) -> Result<Response> {
    return Response::Json(200, {{"service", "communities"},
                                {"serverTime", FormatTimestamp(NowMillis())},
                                {"user", r.principal.login},
                                {"admin", r.principal.admin}});
  });

  // Communities.
  server.Get(Route("/communities"), http::Access::kSignedIn,
             [&svc, view_json](const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(ListFilter f, ReadListFilter(svc, r));
               CONCORD_ASSIGN_OR_RETURN(auto page, svc.List(ActorOf(r), f));
               return Response::Json(200, PageJson(page, view_json));
             });
  server.Post(Route("/communities"), http::Access::kSignedIn,
              [&svc, community_json](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(CommunityDraft d, ReadDraft(r));
                CONCORD_ASSIGN_OR_RETURN(Community c, svc.Create(ActorOf(r), std::move(d)));
                Response res = Response::Json(201, community_json(c, true, Role::kOwner));
                res.headers.emplace_back("Location", Route("/communities/") + c.uuid.value());
                return res;
              });
  server.Get(Route("/communities/" + kId), http::Access::kCommunityRead,
             [&svc, view_json](const Request& r) -> Result<Response> {
               CONCORD_RETURN_IF_ERROR(CheckQuery(r, {}));
               CONCORD_ASSIGN_OR_RETURN(auto v,
                                        svc.Get(ActorOf(r), CommunityUuid(r.path_params[0])));
               json j = view_json(v);
               if (!v.full) {
                 // A listed restricted community shows its owners to everyone.
                 auto owners = svc.ListMembers(ActorOf(r), v.community.uuid, Role::kOwner, "", 50);
                 if (owners) {
                   json list = json::array();
                   for (const auto& m : owners->items)
                     list.push_back({{"userId", m.user.value()}, {"displayName", m.display_name}});
                   j["owners"] = list;
                 }
               }
               return Response::Json(200, j);
             });
  server.Put(Route("/communities/" + kId), http::Access::kCommunityOwn,
             [&svc, community_json](const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(CommunityPatch p, ReadPatch(r));
               CONCORD_ASSIGN_OR_RETURN(
                   Community c,
                   svc.Update(ActorOf(r), CommunityUuid(r.path_params[0]), std::move(p)));
               return Response::Json(200, community_json(c));
             });
  server.Delete(Route("/communities/" + kId), http::Access::kCommunityOwn,
                [&svc, community_json](const Request& r) -> Result<Response> {
                  CONCORD_ASSIGN_OR_RETURN(Community c,
                                           svc.Trash(ActorOf(r), CommunityUuid(r.path_params[0])));
                  return Response::Json(200, community_json(c));
                });

  // Subcommunities.
  server.Get(Route("/communities/" + kId + "/subcommunities"), http::Access::kCommunityRead,
             [&svc, view_json](const Request& r) -> Result<Response> {
               CommunityUuid parent(r.path_params[0]);
               CONCORD_RETURN_IF_ERROR(svc.Get(ActorOf(r), parent));
               CONCORD_ASSIGN_OR_RETURN(ListFilter f, ReadListFilter(svc, r));
               f.parent = parent;
               CONCORD_ASSIGN_OR_RETURN(auto page, svc.List(ActorOf(r), f));
               return Response::Json(200, PageJson(page, view_json));
             });
  server.Post(Route("/communities/" + kId + "/subcommunities"), http::Access::kCommunityOwn,
              [&svc, community_json](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(CommunityDraft d, ReadDraft(r));
                d.parent = CommunityUuid(r.path_params[0]);
                CONCORD_ASSIGN_OR_RETURN(Community c, svc.Create(ActorOf(r), std::move(d)));
                Response res = Response::Json(201, community_json(c, true, Role::kOwner));
                res.headers.emplace_back("Location", Route("/communities/") + c.uuid.value());
                return res;
              });

  // Members.
  server.Get(Route("/communities/" + kId + "/members"), http::Access::kCommunityRead,
             [&svc](const Request& r) -> Result<Response> {
               CONCORD_RETURN_IF_ERROR(CheckQuery(r, {"role", "after", "limit"}));
               std::optional<Role> role;
               if (auto v = r.Query("role")) {
                 CONCORD_ASSIGN_OR_RETURN(role, ParseRole(*v));
               }
               CONCORD_ASSIGN_OR_RETURN(int limit, LimitOf(r));
               CONCORD_ASSIGN_OR_RETURN(
                   auto page, svc.ListMembers(ActorOf(r), CommunityUuid(r.path_params[0]), role,
                                              r.Query("after").value_or(""), limit));
               return Response::Json(200, PageJson(page, MemberJson));
             });
  server.Post(Route("/communities/" + kId + "/members"), http::Access::kCommunityOwn,
              [&svc](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(auto one, b.OptString("user"));
                CONCORD_ASSIGN_OR_RETURN(auto many, b.OptStringList("users"));
                CONCORD_ASSIGN_OR_RETURN(auto role_text, b.OptString("role"));
                CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
                if (one.has_value() == many.has_value()) {
                  return InvalidArgument(
                      "user", "give either 'user' (one id, login or email) or 'users' (a list)");
                }
                Role role = Role::kMember;
                if (role_text) {
                  CONCORD_ASSIGN_OR_RETURN(role, ParseRole(*role_text));
                }
                std::vector<std::string> users = one ? std::vector<std::string>{*one} : *many;
                CONCORD_ASSIGN_OR_RETURN(
                    auto added,
                    svc.AddMembers(ActorOf(r), CommunityUuid(r.path_params[0]), users, role));
                json items = json::array();
                for (const auto& m : added) items.push_back(MemberJson(m));
                return Response::Json(201, {{"items", items}});
              });
  server.Get(Route("/communities/" + kId + "/members/" + kId), http::Access::kCommunityRead,
             [&svc](const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(User u, svc.GetUser(ActorOf(r), r.path_params[1]));
               CONCORD_ASSIGN_OR_RETURN(
                   Member m, svc.GetMember(ActorOf(r), CommunityUuid(r.path_params[0]), u.id));
               return Response::Json(200, MemberJson(m));
             });
  server.Put(Route("/communities/" + kId + "/members/" + kId), http::Access::kCommunityOwn,
             [&svc](const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
               CONCORD_ASSIGN_OR_RETURN(std::string role_text, b.RequiredString("role"));
               CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
               CONCORD_ASSIGN_OR_RETURN(Role role, ParseRole(role_text));
               CONCORD_ASSIGN_OR_RETURN(User u, svc.GetUser(ActorOf(r), r.path_params[1]));
               CONCORD_ASSIGN_OR_RETURN(
                   Member m, svc.SetRole(ActorOf(r), CommunityUuid(r.path_params[0]), u.id, role));
               return Response::Json(200, MemberJson(m));
             });
  server.Delete(Route("/communities/" + kId + "/members/" + kId), http::Access::kCommunityOwn,
                [&svc](const Request& r) -> Result<Response> {
                  CONCORD_ASSIGN_OR_RETURN(User u, svc.GetUser(ActorOf(r), r.path_params[1]));
                  CONCORD_RETURN_IF_ERROR(
                      svc.RemoveMember(ActorOf(r), CommunityUuid(r.path_params[0]), u.id));
                  return Response::NoContent();
                });

  // Widgets.
  server.Get(Route("/communities/" + kId + "/widgets"), http::Access::kCommunityRead,
             [&svc](const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(
                   auto widgets, svc.ListWidgets(ActorOf(r), CommunityUuid(r.path_params[0])));
               json items = json::array();
               for (const auto& w : widgets) items.push_back(WidgetJson(w));
               return Response::Json(200, {{"items", items}});
             });
  server.Post(Route("/communities/" + kId + "/widgets"), http::Access::kCommunityOwn,
              [&svc](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(std::string def, b.RequiredString("widgetDefId"));
                CONCORD_ASSIGN_OR_RETURN(auto location, b.OptString("uiLocation"));
                CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
                CONCORD_ASSIGN_OR_RETURN(
                    Widget w,
                    svc.AddWidget(ActorOf(r), CommunityUuid(r.path_params[0]), def, location));
                return Response::Json(201, WidgetJson(w));
              });
  server.Delete(
      Route("/communities/" + kId + "/widgets/" + kId), http::Access::kCommunityOwn,
      [&svc](const Request& r) -> Result<Response> {
        CONCORD_RETURN_IF_ERROR(svc.RemoveWidget(ActorOf(r), CommunityUuid(r.path_params[0]),
                                                 WidgetInstanceId(r.path_params[1])));
        return Response::NoContent();
      });

  // Trash.
  server.Get(Route("/trash"), http::Access::kSignedIn,
             [&svc, community_json](const Request& r) -> Result<Response> {
               CONCORD_RETURN_IF_ERROR(CheckQuery(r, {"after", "limit"}));
               CONCORD_ASSIGN_OR_RETURN(int limit, LimitOf(r));
               CONCORD_ASSIGN_OR_RETURN(
                   auto page, svc.ListTrash(ActorOf(r), r.Query("after").value_or(""), limit));
               return Response::Json(
                   200, PageJson(page, [&](const Community& c) { return community_json(c); }));
             });
  server.Post(
      Route("/trash/purge"), http::Access::kAdministrator,
      [&svc](const Request&) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(int64_t n, svc.PurgeExpired(NowMillis()));
        return Response::Json(200, {{"purged", n}, {"retentionDays", svc.trash_retention_days()}});
      });
  server.Post(Route("/trash/" + kId + "/restore"), http::Access::kCommunityOwn,
              [&svc, community_json](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(Community c,
                                         svc.Restore(ActorOf(r), CommunityUuid(r.path_params[0])));
                return Response::Json(200, community_json(c));
              });
  server.Delete(Route("/trash/" + kId), http::Access::kCommunityOwn,
                [&svc](const Request& r) -> Result<Response> {
                  CONCORD_RETURN_IF_ERROR(svc.Purge(ActorOf(r), CommunityUuid(r.path_params[0])));
                  return Response::NoContent();
                });

  // Users.
  server.Get(Route("/users"), http::Access::kSignedIn,
             [&svc](const Request& r) -> Result<Response> {
               CONCORD_RETURN_IF_ERROR(CheckQuery(r, {"after", "limit"}));
               CONCORD_ASSIGN_OR_RETURN(int limit, LimitOf(r));
               CONCORD_ASSIGN_OR_RETURN(
                   auto page, svc.ListUsers(ActorOf(r), r.Query("after").value_or(""), limit));
               return Response::Json(200, PageJson(page, UserJson));
             });
  server.Post(Route("/users"), http::Access::kAdministrator,
              [&svc](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
                NewUser n;
                CONCORD_ASSIGN_OR_RETURN(n.login, b.RequiredString("login"));
                CONCORD_ASSIGN_OR_RETURN(n.email, b.RequiredString("email"));
                CONCORD_ASSIGN_OR_RETURN(n.display_name, b.RequiredString("displayName"));
                CONCORD_ASSIGN_OR_RETURN(n.password, b.RequiredString("password"));
                CONCORD_ASSIGN_OR_RETURN(auto admin, b.OptBool("admin"));
                n.admin = admin.value_or(false);
                CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
                CONCORD_ASSIGN_OR_RETURN(User u, svc.CreateUser(ActorOf(r), std::move(n)));
                return Response::Json(201, UserJson(u));
              });
  server.Get(Route("/users/" + kId), http::Access::kSignedIn,
             [&svc](const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(User u, svc.GetUser(ActorOf(r), r.path_params[0]));
               return Response::Json(200, UserJson(u));
             });
  for (bool disable : {true, false}) {
    server.Post(
        Route("/users/" + kId + (disable ? "/disable" : "/enable")), http::Access::kAdministrator,
        [&svc, disable](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(User target, svc.GetUser(ActorOf(r), r.path_params[0]));
          CONCORD_ASSIGN_OR_RETURN(User u, svc.SetUserDisabled(ActorOf(r), target.id, disable));
          return Response::Json(200, UserJson(u));
        });
  }
}

}  // namespace concord::communities
