// CommunitiesQEventService (reference section 6), over /communities/api/admin/queue.
#include <fmt/format.h>

#include "command.h"

namespace concord::admin {
namespace {

const std::string kBase = "/communities/api/admin/queue";

// "2026-11-26T03:00:00.123Z" as the reference prints it: "2026-11-26 03:00:00.123".
std::string Shown(const std::string& iso) {
  std::string s = iso;
  if (auto t = s.find('T'); t != std::string::npos) s[t] = ' ';
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  return s;
}

// The row map of the reference (ResourceId, RemAppDefId, ResourceType = 1, Inserted,
// InsertedLong, EventId, EventType), and Concord's Seq, State, Attempts and LastError.
Value RowValue(const nlohmann::json& e) {
  Value v;
  v["ResourceId"] = e["resourceId"].get<std::string>();
  v["RemAppDefId"] = e["remoteAppDefId"].get<std::string>();
  v["ResourceType"] = 1;
  v["Inserted"] = Shown(e["inserted"].get<std::string>());
  v["InsertedLong"] = e["insertedLong"].get<int64_t>();
  v["EventId"] = e["eventId"].get<std::string>();
  v["EventType"] = e["eventType"].get<std::string>();
  v["Seq"] = e["seq"].get<int64_t>();
  v["State"] = e["state"].get<std::string>();
  v["Attempts"] = e["attempts"].get<int64_t>();
  v["LastError"] = Value::parse(e["lastError"].dump());
  return v;
}

enum class Layout { kByType, kByApp };

struct ViewQuery {
  std::vector<std::pair<std::string, std::string>> filter;
  const Value* last;
  const Value* max_rows;
  Layout layout;
};

Result<Value> View(Session& s, const ViewQuery& q) {
  int64_t max_rows = q.max_rows->get<int64_t>();
  if (max_rows < 1 || max_rows > 500) {
    return InvalidArgument("maxRows",
                           fmt::format("maxRows must be from 1 to 500, not {}", max_rows));
  }
  std::string path = kBase + "/events?limit=" + std::to_string(max_rows);
  for (const auto& [k, v] : q.filter) path += "&" + k + "=" + http::UrlEncode(v);
  if (!q.last->is_null()) {
    const Value& l = *q.last;
    // Some of the reference's examples print ManAppDefId for RemAppDefId (section 15).
    const char* app_key =
        l.is_object() && l.contains("ManAppDefId") ? "ManAppDefId" : "RemAppDefId";
    if (!l.is_object() || !l.contains("Seq") || !l["Seq"].is_number_integer() ||
        !l.contains(app_key) || !l[app_key].is_string()) {
      return InvalidArgument("lastEvent",
                             "lastEvent must be None (the first page) or the map the previous "
                             "call returned");
    }
    path += "&after=" + http::UrlEncode(fmt::format("{}:{}", l["Seq"].get<int64_t>(),
                                                    l[app_key].get<std::string>()));
  }
  CONCORD_ASSIGN_OR_RETURN(auto page, s.client().Get(path));
  const auto& items = page["items"];
  if (items.empty()) {
    s.Print("No more queued events.\n");
    return Value(nullptr);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : items) {
    std::string first = q.layout == Layout::kByApp ? "1" : e["remoteAppDefId"].get<std::string>();
    rows.push_back({first, e["resourceId"].get<std::string>(), e["eventType"].get<std::string>(),
                    e["eventId"].get<std::string>()});
  }
  PrintTable(s,
             {q.layout == Layout::kByApp ? "Resource Type Id" : "Remote App", "Resource Id",
              "Event Type", "Event Id"},
             rows);
  return RowValue(items.back());
}

Result<Value> Clear(Session& s, const nlohmann::json& body) {
  CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Post(kBase + "/clear", body));
  int64_t n = r["cleared"].get<int64_t>();
  s.Print(fmt::format("Cleared {} queued event{}.\n", n, n == 1 ? "" : "s"));
  return Value(n);
}

// Retries; an error (so 0) unless every matching event was delivered.
Result<int64_t> Retry(Session& s, const nlohmann::json& body) {
  CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Post(kBase + "/retry", body));
  int64_t delivered = r["delivered"].get<int64_t>();
  int64_t still = r["stillQueued"].get<int64_t>();
  s.Print(fmt::format("Delivered {} queued event{}; {} still queued.\n", delivered,
                      delivered == 1 ? "" : "s", still));
  if (r.contains("notRetried") && r["notRetried"].is_array() && !r["notRetried"].empty()) {
    std::string why;
    for (const auto& n : r["notRetried"]) {
      why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", n.value("remoteAppDefId", "?"),
                         n.value("error", ""));
    }
    return Unavailable("the queued events of some applications were not retried: " + why);
  }
  if (still > 0) {
    return Unavailable(fmt::format(
        "{} event{} could not be delivered and stay queued: is the application running? "
        "viewQueuedEvents... shows them; retry again once it is",
        still, still == 1 ? "" : "s"));
  }
  return delivered;
}

std::string Str(const Value& v) { return v.get<std::string>(); }

}  // namespace

void AddQueueCommands(std::vector<Command>& out) {
  const std::string svc = "CommunitiesQEventService";
  const Param type{"resourceType", Kind::kString};
  const Param id{"resourceId", Kind::kString};
  const Param app{"remoteAppDefId", Kind::kString};
  const Param last{"lastEvent", Kind::kValueOrNone};
  const Param rows{"maxRows", Kind::kInt};
  const std::string paging =
      " Pass None as lastEvent for the first page and the returned map for the next; returns "
      "the last row shown, or None when no rows remain.";

  out.push_back({svc,
                 "viewQueuedEventsSummary",
                 {},
                 "Prints how many events are queued for each application and the earliest; "
                 "returns the last row as a map (NumEvents, RemoteAppDefId, EarliestCreated), or "
                 "None when the queue is empty.",
                 Failure::kRaise,
                 [](Session& s, const Args&) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Get(kBase + "/summary"));
                   const auto& items = r["items"];
                   if (items.empty()) {
                     s.Print("No queued events.\n");
                     return Value(nullptr);
                   }
                   std::vector<std::vector<std::string>> table;
                   for (const auto& i : items) {
                     table.push_back({i["remoteAppDefId"].get<std::string>(),
                                      std::to_string(i["numEvents"].get<int64_t>()),
                                      Shown(i["earliestCreated"].get<std::string>())});
                   }
                   PrintTable(s, {"App Def Id", "Number Events", "Earliest Created"}, table);
                   const auto& l = items.back();
                   Value v;
                   v["NumEvents"] = l["numEvents"].get<int64_t>();
                   v["RemoteAppDefId"] = l["remoteAppDefId"].get<std::string>();
                   v["EarliestCreated"] = Shown(l["earliestCreated"].get<std::string>());
                   return v;
                 }});
  out.push_back({svc,
                 "viewQueuedEventsByResourceType",
                 {type, last, rows},
                 "Lists queued events of a resource type (always \"community\")." + paging,
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   return View(s, {{{"resourceType", Str(a[0])}}, &a[1], &a[2], Layout::kByType});
                 }});
  out.push_back({svc,
                 "viewQueuedEventsByResourceId",
                 {type, id, last, rows},
                 "Lists queued events of one community (resourceId is its uuid)." + paging,
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   return View(s, {{{"resourceType", Str(a[0])}, {"resourceId", Str(a[1])}},
                                   &a[2],
                                   &a[3],
                                   Layout::kByType});
                 }});
  out.push_back({svc,
                 "viewQueuedEventsByRemoteAppDefId",
                 {app, last, rows},
                 "Lists queued events of one application." + paging,
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   return View(s, {{{"remoteAppDefId", Str(a[0])}}, &a[1], &a[2], Layout::kByApp});
                 }});
  out.push_back({svc,
                 "viewQueuedEventsByRemoteAppDefIdAndEventType",
                 {app, {"eventType", Kind::kString}, last, rows},
                 "Lists queued events of one application and event type (e.g. "
                 "\"community.updated\")." +
                     paging,
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   return View(s, {{{"remoteAppDefId", Str(a[0])}, {"eventType", Str(a[1])}},
                                   &a[2],
                                   &a[3],
                                   Layout::kByApp});
                 }});

  out.push_back({svc,
                 "retryQueuedEventsByResourceType",
                 {type},
                 "Delivers the queued events of the type now, in order. Returns \"retry "
                 "succeed\", or 0 when some stay queued.",
                 Failure::kReturnZero,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_RETURN_IF_ERROR(Retry(s, {{"resourceType", Str(a[0])}}));
                   return Value("retry succeed");
                 }});
  out.push_back({svc,
                 "retryQueuedEventsByResourceId",
                 {type, id},
                 "Delivers one community's queued events now. Returns 1, or 0 when some stay "
                 "queued.",
                 Failure::kReturnZero,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_RETURN_IF_ERROR(
                       Retry(s, {{"resourceType", Str(a[0])}, {"resourceId", Str(a[1])}}));
                   return Value(1);
                 }});
  out.push_back({svc,
                 "retryQueuedEventsByRemoteAppDefId",
                 {app},
                 "Delivers one application's queued events now. Returns 1, or 0 when some stay "
                 "queued.",
                 Failure::kReturnZero,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_RETURN_IF_ERROR(Retry(s, {{"remoteAppDefId", Str(a[0])}}));
                   return Value(1);
                 }});

  out.push_back({svc,
                 "clearQueuedEventsByResourceType",
                 {type},
                 "Removes every queued event of the type (every application) without delivering "
                 "it; returns how many. The events stay in the event log.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   return Clear(s, {{"resourceType", Str(a[0])}});
                 }});
  out.push_back({svc,
                 "clearQueuedEventsByResourceId",
                 {type, id},
                 "Removes one community's queued events without delivering them; returns how "
                 "many.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   return Clear(s, {{"resourceType", Str(a[0])}, {"resourceId", Str(a[1])}});
                 }});
  out.push_back({svc,
                 "clearQueuedEventsByRemoteAppDefId",
                 {app},
                 "Removes one application's queued events without delivering them; returns how "
                 "many.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   return Clear(s, {{"remoteAppDefId", Str(a[0])}});
                 }});
  out.push_back({svc,
                 "clearQueuedEventsByRemoteAppDefIdAndEventIds",
                 {app, {"eventIds", Kind::kStringList}},
                 "Concord's own: removes exactly the listed events (at most 500) of one "
                 "application without delivering them, and nothing queued since they were "
                 "listed; an id no longer queued is skipped. Returns how many.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   return Clear(s, {{"remoteAppDefId", Str(a[0])},
                                    {"eventIds", nlohmann::json::parse(a[1].dump())}});
                 }});
  Command by_id{svc,
                "clearQueuedEventByEventId",
                {{"eventId", Kind::kString}},
                "Removes one event (for every application it was queued for) without "
                "delivering it; returns how many deliveries were removed.",
                Failure::kRaise,
                [](Session& s, const Args& a) -> Result<Value> {
                  return Clear(s, {{"eventId", Str(a[0])}});
                }};
  out.push_back(by_id);
  // The reference's example spells it with "Events" (section 15).
  by_id.name = "clearQueuedEventsByEventId";
  by_id.alias_of = "clearQueuedEventByEventId";
  out.push_back(by_id);
}

}  // namespace concord::admin
