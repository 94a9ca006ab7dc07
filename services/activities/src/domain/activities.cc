#include "domain/activities.h"

#include <fmt/format.h>

#include "concord/activities/activities.h"

namespace concord::activities::domain {
namespace {

using remoteapp::Access;

const store::ActivityStore kStore;
const std::string kApp = "Activities";

// The to-do every new community activity gets from `concord populate`.
Status AddSampleTodo(db::Connection& c, const std::string& activity_id,
                     const lifecycle::LifecycleEvent& e) {
  return kStore.InsertEntry(
      c, Entry{NewUuid(), activity_id, std::string(kTodo), remoteapp::SampleAuthor(e),
               "Plan the next meeting", "", false, NowMillis()});
}

remoteapp::ContainerKind CommunityActivities() {
  // remote.app.removed sends all of the community's activities to the trash, as
  // deleteActivities does.
  return {.noun = "activity",
          .plural = "activities",
          .add_sample = AddSampleTodo,
          .trash_all_of_community = true};
}

}  // namespace

remoteapp::AppDefinition Definition() {
  return remoteapp::Define(Describe(), {"activities", "title", ""});
}

Result<std::string> ValidEntryType(const std::optional<std::string>& type) {
  std::string kind = type.value_or(std::string(kEntry));
  if (kind != kEntry && kind != kTodo) {
    return InvalidArgument("type", "unknown entry type", {std::string(kEntry), std::string(kTodo)});
  }
  return kind;
}

Activities::Activities(std::shared_ptr<db::Database> database)
    : app_(Definition(), CommunityActivities(), std::move(database)) {}

Result<Access> Activities::PersonalAccess(db::Connection& c, const Activity& a,
                                          const Principal& who) {
  if (who.admin || a.owner == who.id) return Access::kOwn;
  CONCORD_ASSIGN_OR_RETURN(auto members, kStore.Members(c, a.id));
  for (const auto& m : members) {
    if (m.type == "user" && m.id == who.id.value()) return Access::kContribute;
  }
  for (const auto& m : members) {
    if (m.type != "community") continue;
    CONCORD_ASSIGN_OR_RETURN(auto record, application().Find(c, CommunityUuid(m.id), kApp));
    if (!record || record->in_trash) continue;
    CONCORD_ASSIGN_OR_RETURN(Access in_community, application().AccessOf(c, *record, who));
    if (in_community >= Access::kContribute) return Access::kContribute;
  }
  return Access::kNone;
}

Result<Activities::Loaded> Activities::Load(db::Connection& c, const Principal& who,
                                            const std::string& id) {
  auto not_found = [&] { return NotFound(fmt::format("activity {} not found", id.substr(0, 60))); };
  CONCORD_ASSIGN_OR_RETURN(auto a, kStore.FindActivity(c, id));
  if (!a || a->trashed_at) return not_found();
  if (a->community) {
    CONCORD_ASSIGN_OR_RETURN(
        auto access, application().AccessToCommunity(c, kApp, *a->community, who, "activity", id));
    return Loaded{*a, access.access};
  }
  CONCORD_ASSIGN_OR_RETURN(Access access, PersonalAccess(c, *a, who));
  if (access == Access::kNone) return not_found();
  return Loaded{*a, access};
}

Result<Activities::Detail> Activities::Get(db::Connection& c, const Principal& who,
                                           const std::string& id) {
  CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, who, id));
  CONCORD_ASSIGN_OR_RETURN(auto members, kStore.Members(c, l.activity.id));
  return Detail{std::move(l.activity), std::move(members)};
}

Result<std::vector<Activity>> Activities::OfCommunity(db::Connection& c, const Principal& who,
                                                      const CommunityUuid& community) {
  CONCORD_ASSIGN_OR_RETURN(auto of, app_.content().ContainersOf(c, who, kApp, community));
  std::vector<Activity> out;
  out.reserve(of.containers.size());
  for (auto& x : of.containers) {
    out.push_back(Activity{std::move(x.id), x.community, std::nullopt, std::move(x.title),
                           x.created, x.trashed_at});
  }
  return out;
}

Result<Activity> Activities::StartInCommunity(db::Connection& c, const Principal& who,
                                              const CommunityUuid& community, std::string title) {
  CONCORD_ASSIGN_OR_RETURN(auto a, application().AccessToCommunity(c, kApp, community, who,
                                                                   "community", community.value()));
  if (!a.record || !a.record->widget_instance_id) {
    return FailedPrecondition(
        fmt::format("community {} has no Activities widget", community.value()));
  }
  CONCORD_RETURN_IF_ERROR(remoteapp::Require(a.access, Access::kContribute,
                                             "only members of the community start activities"));
  Activity x{NewUuid(), community, std::nullopt, std::move(title), NowMillis(), std::nullopt};
  CONCORD_RETURN_IF_ERROR(kStore.InsertActivity(c, x));
  return x;
}

Result<Activity> Activities::StartPersonal(db::Connection& c, const Principal& who,
                                           std::string title) {
  Activity x{NewUuid(), std::nullopt, who.id, std::move(title), NowMillis(), std::nullopt};
  CONCORD_RETURN_IF_ERROR(kStore.InsertActivity(c, x));
  return x;
}

Status Activities::Trash(db::Connection& c, const Principal& who, const std::string& id) {
  CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, who, id));
  CONCORD_RETURN_IF_ERROR(
      remoteapp::Require(l.access, Access::kOwn, "only the activity's owners delete it"));
  return kStore.TrashActivity(c, l.activity.id, NowMillis());
}

Result<Member> Activities::AddMember(db::Connection& c, const Principal& who,
                                     const std::string& activity_id, const std::string& type,
                                     const std::string& id) {
  CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, who, activity_id));
  if (l.activity.community) {
    return FailedPrecondition("a community activity's members are its community's members");
  }
  CONCORD_RETURN_IF_ERROR(
      remoteapp::Require(l.access, Access::kOwn, "only the activity's owner adds members"));
  Member m;
  if (type == "user") {
    if (!IsUuid(id)) return InvalidArgument("user", "'user' must be a user id");
    m = {"user", id, std::nullopt, std::nullopt};
  } else {
    if (!IsUuid(id)) return InvalidArgument("community", "'community' must be a community uuid");
    CONCORD_ASSIGN_OR_RETURN(
        auto a, application().AccessToCommunity(c, kApp, CommunityUuid(id), who, "community", id));
    if (!a.record) return NotFound(fmt::format("community {} not found", id));
    m = {"community", id, a.record->name, a.record->visibility};
  }
  CONCORD_RETURN_IF_ERROR(kStore.AddMember(c, l.activity.id, m));
  return m;
}

Result<std::vector<Entry>> Activities::Entries(db::Connection& c, const Principal& who,
                                               const std::string& activity_id,
                                               const std::string& after) {
  CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, who, activity_id));
  return kStore.Entries(c, l.activity.id, after, remoteapp::kPageSize + 1);
}

Result<Entry> Activities::AddEntry(db::Connection& c, const Principal& who,
                                   const std::string& activity_id, std::string kind,
                                   std::string title, std::string content) {
  CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, who, activity_id));
  CONCORD_RETURN_IF_ERROR(
      remoteapp::Require(l.access, Access::kContribute, "only the activity's members add entries"));
  Entry e{NewUuid(),        l.activity.id,      std::move(kind), who.id,
          std::move(title), std::move(content), false,           NowMillis()};
  CONCORD_RETURN_IF_ERROR(kStore.InsertEntry(c, e));
  return e;
}

Result<Entry> Activities::SetDone(db::Connection& c, const Principal& who,
                                  const std::string& entry_id, bool done) {
  Entry e;
  CONCORD_ASSIGN_OR_RETURN(Loaded l,
                           remoteapp::LoadChild(
                               "entry", entry_id, [&] { return kStore.FindEntry(c, entry_id); },
                               [&](const Entry& x) { return Load(c, who, x.activity_id); }, e));
  CONCORD_RETURN_IF_ERROR(remoteapp::Require(l.access, Access::kContribute,
                                             "only the activity's members complete to-dos"));
  if (e.kind != kTodo) return FailedPrecondition("only a to-do can be done");
  CONCORD_RETURN_IF_ERROR(kStore.SetDone(c, e.id, done));
  e.done = done;
  return e;
}

Result<std::vector<std::string>> Activities::SharedCommunities(db::Connection& c,
                                                               const std::string& after,
                                                               int limit) {
  return kStore.MemberCommunities(c, after, limit);
}

Result<remoteapp::ShareSyncCounts> Activities::Sync(db::Connection& c,
                                                    const remoteapp::CommunityTruth& t) {
  remoteapp::ShareSyncCounts n;
  if (!t.exists) {
    CONCORD_ASSIGN_OR_RETURN(n.removed, kStore.RemoveMemberCommunity(c, t.uuid));
    return n;
  }
  CONCORD_ASSIGN_OR_RETURN(n.updated,
                           kStore.UpdateMemberCommunity(c, t.uuid, t.name, t.visibility));
  return n;
}

}  // namespace concord::activities::domain
