#include "concord/lifecycle/events.h"

#include <array>

#include "concord/lifecycle/visibility.h"

namespace concord::lifecycle {
namespace {

constexpr std::array<std::pair<EventType, std::string_view>, 11> kNames = {{
    {EventType::kRemoteAppAdded, "remote.app.added"},
    {EventType::kRemoteAppRemoved, "remote.app.removed"},
    {EventType::kRemoteAppTransfer, "remote.app.transfer"},
    {EventType::kWidgetAdded, "widget.added"},
    {EventType::kWidgetRemoved, "widget.removed"},
    {EventType::kCommunityUpdated, "community.updated"},
    {EventType::kVisibilityChanged, "community.visibility.changed"},
    {EventType::kMembersAdded, "community.members.added"},
    {EventType::kMembersModified, "community.members.modified"},
    {EventType::kMembersRemoved, "community.members.removed"},
    {EventType::kPrepareDelete, "community.prepare.delete"},
}};

using nlohmann::json;

std::vector<std::string> Ids(const std::vector<UserId>& ids) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (const auto& i : ids) out.push_back(i.value());
  return out;
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  for (const auto& [t, n] : kNames) {
    if (t == type) return n;
  }
  return "community.updated";
}

Result<EventType> ParseEventType(std::string_view name) {
  for (const auto& [t, n] : kNames) {
    if (n == name) return t;
  }
  return InvalidArgument("eventType",
                         "unknown event type '" + std::string(name.substr(0, 60)) + "'",
                         EventTypeNames());
}

std::vector<std::string> EventTypeNames() {
  std::vector<std::string> out;
  out.reserve(kNames.size());
  for (const auto& [t, n] : kNames) out.emplace_back(n);
  return out;
}

json ToJson(const LifecycleEvent& e) {
  const CommunityState& c = e.community;
  json j = {
      {"eventId", e.id.value()},
      {"seq", e.seq},
      {"eventType", EventTypeName(e.type)},
      {"created", FormatTimestamp(e.created)},
      {"actor", e.actor.value()},
      {"community",
       {{"uuid", c.uuid.value()},
        {"name", c.name},
        {"visibility", c.visibility},
        {"listWhenPrivate", c.list_when_private},
        {"theme", c.theme},
        {"ownersApproveContent", c.owners_approve_content},
        {"viewersFlagContent", c.viewers_flag_content},
        {"inTrash", c.in_trash},
        {"version", c.version},
        {"owners", Ids(c.owners)},
        {"members", Ids(c.members)}}},
  };
  if (e.resync) j["resync"] = true;
  if (e.transfer_from) j["transferFrom"] = e.transfer_from->value();
  if (e.widget) {
    j["widget"] = {
        {"instanceId", e.widget->instance_id.value()},
        {"widgetDefId", e.widget->widget_def_id},
        {"remoteResourceId",
         e.widget->remote_resource_id ? json(*e.widget->remote_resource_id) : json(nullptr)}};
  }
  return j;
}

Result<LifecycleEvent> EventFromJson(const json& j) {
  auto bad = [](const std::string& field) {
    return InvalidArgument(field, "the lifecycle event lacks a valid '" + field + "'");
  };
  try {
    if (!j.is_object()) return bad("event");
    LifecycleEvent e;
    if (!j.contains("eventId") || !j["eventId"].is_string()) return bad("eventId");
    e.id = EventId(j["eventId"].get<std::string>());
    if (!j.contains("seq") || !j["seq"].is_number_integer()) return bad("seq");
    e.seq = j["seq"].get<int64_t>();
    if (!j.contains("eventType") || !j["eventType"].is_string()) return bad("eventType");
    CONCORD_ASSIGN_OR_RETURN(e.type, ParseEventType(j["eventType"].get<std::string>()));
    if (auto t = ParseTimestamp(j.value("created", ""))) e.created = *t;
    e.actor = UserId(j.value("actor", ""));
    if (!j.contains("community") || !j["community"].is_object()) return bad("community");
    const json& c = j["community"];
    e.community.uuid = CommunityUuid(c.value("uuid", ""));
    if (!IsUuid(e.community.uuid.value())) return bad("community.uuid");
    e.community.name = c.value("name", "");
    e.community.visibility = c.value("visibility", "");
    if (!ParseVisibility(e.community.visibility, "community.visibility")) {
      return bad("community.visibility");
    }
    e.community.list_when_private = c.value("listWhenPrivate", false);
    e.community.theme = c.value("theme", "");
    e.community.owners_approve_content = c.value("ownersApproveContent", false);
    e.community.viewers_flag_content = c.value("viewersFlagContent", false);
    e.community.in_trash = c.value("inTrash", false);
    if (!c.contains("version") || !c["version"].is_number_integer())
      return bad("community.version");
    e.community.version = c["version"].get<int64_t>();
    for (const auto& o : c.value("owners", json::array()))
      e.community.owners.emplace_back(o.get<std::string>());
    for (const auto& m : c.value("members", json::array()))
      e.community.members.emplace_back(m.get<std::string>());
    e.resync = j.value("resync", false);
    if (j.contains("transferFrom") && j["transferFrom"].is_string()) {
      e.transfer_from = CommunityUuid(j["transferFrom"].get<std::string>());
    }
    if (j.contains("widget") && j["widget"].is_object()) {
      const json& w = j["widget"];
      WidgetRef ref{WidgetInstanceId(w.value("instanceId", "")), w.value("widgetDefId", ""),
                    std::nullopt};
      if (w.contains("remoteResourceId") && w["remoteResourceId"].is_string()) {
        ref.remote_resource_id = w["remoteResourceId"].get<std::string>();
      }
      e.widget = ref;
    }
    return e;
  } catch (const json::exception& ex) {
    return InvalidArgument("event", std::string("malformed lifecycle event: ") + ex.what());
  }
}

}  // namespace concord::lifecycle
