// The administrators' API of the lifecycle event queue (docs/http-api.md, "Queued events"):
// what concord-admin's CommunitiesQEventService commands call. And the one bulk widget command,
// removeWidgetsByWidgetDefIdForAllComm.
#include <fmt/format.h>

#include "concord/communities/service.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"

namespace concord::communities {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;

Actor ActorOf(const Request& r) { return Actor{r.principal.id, r.principal.admin}; }

Status CheckResourceType(const std::optional<std::string>& type) {
  if (type && *type != "community") {
    return InvalidArgument("resourceType",
                           fmt::format("resourceType '{}' is not valid: it is always 'community'",
                                       type->substr(0, 60)),
                           {"community"});
  }
  return Ok();
}

json EventJson(const QueuedEvent& e) {
  return {{"seq", e.seq},
          {"eventId", e.event_id.value()},
          {"eventType", e.event_type},
          {"remoteAppDefId", e.remote_app_def_id},
          {"resourceType", "community"},
          {"resourceId", e.community.value()},
          {"state", e.state},
          {"attempts", e.attempts},
          {"lastError", e.last_error ? json(*e.last_error) : json(nullptr)},
          {"inserted", FormatTimestamp(e.inserted)},
          {"insertedLong", e.inserted}};
}

// The filter fields of a query string or a JSON body.
Result<QueuedEventFilter> FilterFromQuery(const Request& r) {
  static const std::vector<std::string> kAccepted = {
      "resourceType", "resourceId", "remoteAppDefId", "eventType", "eventId", "after", "limit"};
  for (const auto& [k, v] : r.query) {
    if (std::find(kAccepted.begin(), kAccepted.end(), k) == kAccepted.end()) {
      return InvalidArgument(k, fmt::format("unknown query parameter '{}'", k.substr(0, 60)),
                             kAccepted);
    }
  }
  CONCORD_RETURN_IF_ERROR(CheckResourceType(r.Query("resourceType")));
  QueuedEventFilter f;
  f.remote_app_def_id = r.Query("remoteAppDefId");
  if (auto v = r.Query("resourceId")) f.community = CommunityUuid(*v);
  f.event_type = r.Query("eventType");
  if (auto v = r.Query("eventId")) f.event_id = EventId(*v);
  return f;
}

// ?forwarded=1: another Communities node sent this here (the node it believed delivers to the
// application); it is not sent on again.
Result<bool> Forwarded(const Request& r) {
  for (const auto& [k, v] : r.query) {
    if (k != "forwarded") {
      return InvalidArgument(k, fmt::format("unknown query parameter '{}'", k.substr(0, 60)),
                             {"forwarded"});
    }
  }
  auto f = r.Query("forwarded");
  if (f && *f != "1") return InvalidArgument("forwarded", "forwarded is 1 when given", {"1"});
  return f.has_value();
}

Result<QueuedEventFilter> FilterFromBody(JsonBody& body, bool with_event_id) {
  CONCORD_ASSIGN_OR_RETURN(auto type, body.OptString("resourceType"));
  CONCORD_RETURN_IF_ERROR(CheckResourceType(type));
  QueuedEventFilter f;
  CONCORD_ASSIGN_OR_RETURN(f.remote_app_def_id, body.OptString("remoteAppDefId"));
  CONCORD_ASSIGN_OR_RETURN(auto id, body.OptString("resourceId"));
  if (id) f.community = CommunityUuid(*id);
  if (with_event_id) {
    CONCORD_ASSIGN_OR_RETURN(auto ev, body.OptString("eventId"));
    if (ev) f.event_id = EventId(*ev);
    CONCORD_ASSIGN_OR_RETURN(auto ids, body.OptStringList("eventIds"));
    if (ids) {
      if (ids->empty() || f.event_id) {
        return InvalidArgument("eventIds",
                               "eventIds lists at least one event id, and is not given with "
                               "eventId");
      }
      for (auto& id : *ids) f.event_ids.push_back(EventId(std::move(id)));
    }
  }
  CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
  // A command that names nothing at all must not act on the whole queue by accident: the
  // reference's broadest command still names the resource type.
  if (!type && !f.remote_app_def_id && !f.community && !f.event_id && f.event_ids.empty()) {
    return InvalidArgument("resourceType",
                           "say which events: resourceType, resourceId, remoteAppDefId,"
                           " eventId or eventIds",
                           {"community"});
  }
  return f;
}

}  // namespace

void MountQueueApi(http::Server& server, CommunitiesService& service, const RetryFunction& retry) {
  const std::string base = "/communities/api/admin/queue";
  server.Get(base + "/summary", http::Access::kAdministrator,
             [&service](const Request& r) -> Result<Response> {
               if (!r.query.empty()) {
                 return InvalidArgument(r.query.begin()->first,
                                        "this listing takes no query parameters");
               }
               CONCORD_ASSIGN_OR_RETURN(auto rows, service.QueuedEventsSummary(ActorOf(r)));
               json items = json::array();
               for (const auto& s : rows) {
                 items.push_back({{"remoteAppDefId", s.remote_app_def_id},
                                  {"numEvents", s.events},
                                  {"earliestCreated", FormatTimestamp(s.earliest)},
                                  {"earliestCreatedLong", s.earliest}});
               }
               return Response::Json(200, {{"items", items}});
             });
  server.Get(base + "/events", http::Access::kAdministrator,
             [&service](const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto filter, FilterFromQuery(r));
               int limit = 50;
               if (auto v = r.Query("limit")) {
                 bool digits = !v->empty() && v->size() < 10 &&
                               std::all_of(v->begin(), v->end(),
                                           [](char ch) { return ch >= '0' && ch <= '9'; });
                 if (!digits) return InvalidArgument("limit", "limit must be from 1 to 500");
                 limit = std::stoi(*v);
               }
               CONCORD_ASSIGN_OR_RETURN(
                   auto page, service.ListQueuedEvents(ActorOf(r), filter,
                                                       r.Query("after").value_or(""), limit));
               json items = json::array();
               for (const auto& e : page.items) items.push_back(EventJson(e));
               return Response::Json(
                   200, {{"items", items}, {"next", page.next ? json(*page.next) : json(nullptr)}});
             });
  server.Post(base + "/retry", http::Access::kAdministrator,
              [retry](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(auto body, JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(auto filter, FilterFromBody(body, false));
                CONCORD_RETURN_IF_ERROR(CommunitiesService::ValidateQueuedEventFilter(filter));
                RetryFilter rf;
                rf.remote_app_def_id = filter.remote_app_def_id;
                if (filter.community) rf.community_uuid = filter.community->value();
                CONCORD_ASSIGN_OR_RETURN(rf.forwarded, Forwarded(r));
                CONCORD_ASSIGN_OR_RETURN(RetryOutcome outcome, retry(rf));
                json not_retried = json::array();
                for (const auto& [app, why] : outcome.not_retried) {
                  not_retried.push_back({{"remoteAppDefId", app}, {"error", why}});
                }
                return Response::Json(200, {{"delivered", outcome.delivered},
                                            {"stillQueued", outcome.still_queued},
                                            {"notRetried", not_retried}});
              });
  server.Post(base + "/clear", http::Access::kAdministrator,
              [&service](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(auto body, JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(auto filter, FilterFromBody(body, true));
                CONCORD_ASSIGN_OR_RETURN(int64_t n, service.ClearQueuedEvents(ActorOf(r), filter));
                return Response::Json(200, {{"cleared", n}});
              });
  server.Post("/communities/api/admin/widgets/([^/]+)/remove-all", http::Access::kAdministrator,
              [&service](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(int64_t n,
                                         service.RemoveAllWidgets(ActorOf(r), r.path_params[0]));
                return Response::Json(200, {{"removed", n}});
              });
}

void MountEventLogApi(http::Server& server, CommunitiesService& service,
                      const ReplayFunction& replay) {
  const std::string base = "/communities/api/admin/events";
  server.Get(base, http::Access::kAdministrator, [&service](const Request& r) -> Result<Response> {
    CONCORD_ASSIGN_OR_RETURN(auto b, service.EventLog(ActorOf(r)));
    return Response::Json(200, {{"firstSeq", b.first},
                                {"lastSeq", b.last},
                                {"assigned", b.assigned},
                                {"versionFloor", b.version_floor}});
  });
  server.Get(
      base + "/log", http::Access::kAdministrator,
      [&service](const Request& r) -> Result<Response> {
        static const std::vector<std::string> kAccepted = {"after", "limit", "remoteAppDefId"};
        for (const auto& [k, v] : r.query) {
          if (std::find(kAccepted.begin(), kAccepted.end(), k) == kAccepted.end()) {
            return InvalidArgument(k, fmt::format("unknown query parameter '{}'", k.substr(0, 60)),
                                   kAccepted);
          }
        }
        auto number = [&](const std::string& name, int64_t fallback) -> Result<int64_t> {
          auto v = r.Query(name);
          if (!v) return fallback;
          bool digits =
              !v->empty() && v->size() <= 18 &&
              std::all_of(v->begin(), v->end(), [](char ch) { return ch >= '0' && ch <= '9'; });
          if (!digits) return InvalidArgument(name, name + " must be a whole number");
          return std::stoll(*v);
        };
        CONCORD_ASSIGN_OR_RETURN(int64_t after, number("after", 0));
        CONCORD_ASSIGN_OR_RETURN(int64_t limit, number("limit", 500));
        if (limit > 1000) return InvalidArgument("limit", "limit must be from 1 to 1000");
        CONCORD_ASSIGN_OR_RETURN(auto page,
                                 service.ListEventLog(ActorOf(r), r.Query("remoteAppDefId"), after,
                                                      static_cast<int>(limit)));
        json items = json::array();
        for (const auto& e : page.items) {
          items.push_back({{"seq", e.seq},
                           {"eventId", e.event_id.value()},
                           {"eventType", e.event_type},
                           {"communityUuid", e.community.value()},
                           {"created", FormatTimestamp(e.created)},
                           {"recipients", e.recipients ? json(*e.recipients) : json(nullptr)}});
        }
        return Response::Json(
            200, {{"items", items}, {"next", page.next ? json(*page.next) : json(nullptr)}});
      });
  server.Post(base + "/replay", http::Access::kAdministrator,
              [replay](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(auto body, JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(std::string app, body.RequiredString("remoteAppDefId"));
                CONCORD_ASSIGN_OR_RETURN(auto after, body.OptInt("afterSeq"));
                CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
                if (!after) {
                  return InvalidArgument(
                      "afterSeq",
                      "afterSeq is required: the last event the application applied "
                      "(GET <application>/api/admin/progress tells)");
                }
                CONCORD_ASSIGN_OR_RETURN(bool forwarded, Forwarded(r));
                CONCORD_ASSIGN_OR_RETURN(ReplayOutcome o, replay(app, *after, forwarded));
                json missing = nullptr;
                if (o.missing_first > 0)
                  missing = {{"firstSeq", o.missing_first}, {"lastSeq", o.missing_last}};
                return Response::Json(200, {{"remoteAppDefId", o.remote_app_def_id},
                                            {"afterSeq", o.after_seq},
                                            {"replayed", o.replayed},
                                            {"applied", o.applied},
                                            {"duplicates", o.duplicates},
                                            {"skipped", o.skipped},
                                            {"lastSeq", o.last_seq},
                                            {"missing", missing},
                                            {"applicationAhead", o.application_ahead},
                                            {"failures", o.failures}});
              });
  server.Post(
      base + "/advance", http::Access::kAdministrator,
      [&service](const Request& r) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(auto body, JsonBody::Parse(r.body));
        CONCORD_ASSIGN_OR_RETURN(auto at_least, body.OptInt("atLeast"));
        CONCORD_ASSIGN_OR_RETURN(auto versions, body.OptInt("versionAtLeast"));
        CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
        if (!at_least) return InvalidArgument("atLeast", "atLeast is required");
        CONCORD_RETURN_IF_ERROR(
            service.AdvanceEventSequence(ActorOf(r), *at_least, versions.value_or(0)));
        CONCORD_ASSIGN_OR_RETURN(auto b, service.EventLog(ActorOf(r)));
        return Response::Json(200, {{"assigned", b.assigned}, {"versionFloor", b.version_floor}});
      });
}

}  // namespace concord::communities
