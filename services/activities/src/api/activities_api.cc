// Activities' HTTP API (docs/http-api.md): routes and JSON only; the rules are the domain's.
#include "concord/activities/activities.h"
#include "concord/base/text.h"
#include "concord/http/json_body.h"
#include "concord/remoteapp/routes.h"
#include "domain/activities.h"

namespace concord::activities {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;

json ActivityJson(const domain::Activity& a) {
  json j = {{"id", a.id}, {"title", a.title}, {"created", FormatTimestamp(a.created)}};
  j["communityUuid"] = a.community ? json(a.community->value()) : json(nullptr);
  j["owner"] = a.owner ? json(a.owner->value()) : json(nullptr);
  return j;
}

json EntryJson(const domain::Entry& e) {
  return {{"id", e.id},       {"activityId", e.activity_id},
          {"type", e.kind},   {"author", e.author.value()},
          {"title", e.title}, {"content", e.content},
          {"done", e.done},   {"created", FormatTimestamp(e.created)}};
}

json MemberJson(const domain::Member& m) {
  json j = {{"type", m.type}, {"id", m.id}};
  if (m.type == "community") {
    j["communityName"] = m.community_name.value_or("");
    j["communityVisibility"] = m.community_visibility.value_or("");
  }
  return j;
}

Result<std::string> ReadTitle(JsonBody& b) {
  CONCORD_ASSIGN_OR_RETURN(std::string title, b.RequiredString("title"));
  return ValidSingleLine(title, "title", remoteapp::kTitleLength);
}

Result<std::string> ReadNewActivity(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
  CONCORD_ASSIGN_OR_RETURN(std::string title, ReadTitle(b));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  return title;
}

// Either a user or a community.
struct NewMember {
  std::string type;
  std::string id;
};
Result<NewMember> ReadNewMember(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
  CONCORD_ASSIGN_OR_RETURN(auto user, b.OptString("user"));
  CONCORD_ASSIGN_OR_RETURN(auto community, b.OptString("community"));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  if (user.has_value() == community.has_value()) {
    return InvalidArgument("user",
                           "give either 'user' (a user id) or 'community' (a community uuid)");
  }
  if (user) return NewMember{"user", *user};
  return NewMember{"community", *community};
}

constexpr size_t kEntryLength = 100000;

struct NewEntry {
  std::string kind;
  std::string title;
  std::string content;
};
Result<NewEntry> ReadNewEntry(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
  NewEntry out;
  CONCORD_ASSIGN_OR_RETURN(out.title, ReadTitle(b));
  CONCORD_ASSIGN_OR_RETURN(auto content, b.OptString("content"));
  CONCORD_ASSIGN_OR_RETURN(auto type, b.OptString("type"));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  CONCORD_ASSIGN_OR_RETURN(out.kind, domain::ValidEntryType(type));
  CONCORD_ASSIGN_OR_RETURN(out.content, ValidText(content.value_or(""), "content", kEntryLength));
  return out;
}

Result<bool> ReadDone(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
  CONCORD_ASSIGN_OR_RETURN(auto done, b.OptBool("done"));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  if (!done) return InvalidArgument("done", "'done' is required", {"true", "false"});
  return *done;
}

void MountApi(remoteapp::Routes& routes, domain::Activities& activities) {
  const std::string community = "/activities/api/communities/([^/]+)/activities";
  const std::string activity = "/activities/api/activities/([^/]+)";
  routes.Get(community, http::Access::kCommunityRead,
             [&activities](db::Connection& c, const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(
                   auto all,
                   activities.OfCommunity(c, r.principal, CommunityUuid(r.path_params[0])));
               json items = json::array();
               for (const auto& a : all) items.push_back(ActivityJson(a));
               return Response::Json(200, {{"items", items}});
             });
  routes.Post<std::string>(
      community, http::Access::kCommunityWrite, ReadNewActivity,
      [&activities](db::Connection& c, const Request& r, std::string& title) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(
            auto a, activities.StartInCommunity(c, r.principal, CommunityUuid(r.path_params[0]),
                                                std::move(title)));
        return Response::Json(201, ActivityJson(a));
      });
  routes.Post<std::string>(
      "/activities/api/activities", http::Access::kSignedIn, ReadNewActivity,
      [&activities](db::Connection& c, const Request& r, std::string& title) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(auto a,
                                 activities.StartPersonal(c, r.principal, std::move(title)));
        return Response::Json(201, ActivityJson(a));
      });
  routes.Get(activity, http::Access::kCommunityRead,
             [&activities](db::Connection& c, const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto d, activities.Get(c, r.principal, r.path_params[0]));
               json j = ActivityJson(d.activity);
               j["members"] = json::array();
               for (const auto& m : d.members) j["members"].push_back(MemberJson(m));
               return Response::Json(200, j);
             });
  routes.Delete(activity, http::Access::kCommunityOwn,
                [&activities](db::Connection& c, const Request& r) -> Result<Response> {
                  CONCORD_RETURN_IF_ERROR(activities.Trash(c, r.principal, r.path_params[0]));
                  return Response::NoContent();
                });
  routes.Post<NewMember>(
      activity + "/members", http::Access::kPersonalOwner, ReadNewMember,
      [&activities](db::Connection& c, const Request& r, NewMember& m) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(
            auto added, activities.AddMember(c, r.principal, r.path_params[0], m.type, m.id));
        return Response::Json(201, {{"type", added.type}, {"id", added.id}});
      });
  routes.Get(activity + "/entries", http::Access::kCommunityRead,
             [&activities](db::Connection& c, const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto entries,
                                        activities.Entries(c, r.principal, r.path_params[0],
                                                           r.Query("after").value_or("")));
               return Response::Json(200, remoteapp::PageJson(entries, EntryJson));
             });
  routes.Post<NewEntry>(
      activity + "/entries", http::Access::kCommunityWrite, ReadNewEntry,
      [&activities](db::Connection& c, const Request& r, NewEntry& e) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(
            auto added, activities.AddEntry(c, r.principal, r.path_params[0], std::move(e.kind),
                                            std::move(e.title), std::move(e.content)));
        return Response::Json(201, EntryJson(added));
      });
  routes.Put<bool>(
      "/activities/api/entries/([^/]+)", http::Access::kCommunityWrite, ReadDone,
      [&activities](db::Connection& c, const Request& r, bool& done) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(auto e,
                                 activities.SetDone(c, r.principal, r.path_params[0], done));
        return Response::Json(200, EntryJson(e));
      });
}

// What `concord serve` hosts: the lifecycle handler and shared routes (RemoteApplication), the
// activities' community members for syncAllCommunityShares, then the content API.
class Service final : public remoteapp::Service {
 public:
  explicit Service(std::shared_ptr<db::Database> database) : activities_(std::move(database)) {}
  void Mount(http::Server& server) override {
    application().Mount(server);
    remoteapp::MountCommunityShares(server, application().definition().base_path,
                                    activities_.database(), activities_);
    remoteapp::Routes routes(server, activities_.database());
    MountApi(routes, activities_);
  }
  remoteapp::RemoteApplication& application() override { return activities_.application(); }

 private:
  domain::Activities activities_;
};

}  // namespace

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return std::make_unique<Service>(context.database);
}

}  // namespace concord::activities
