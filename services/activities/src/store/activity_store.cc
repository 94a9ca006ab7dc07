#include "store/activity_store.h"

namespace concord::activities::store {
namespace {

Result<std::vector<Activity>> ReadActivities(db::Rows r) {
  std::vector<Activity> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    Activity a{r.Text(0), std::nullopt, std::nullopt, r.Text(3), r.Int(4), r.OptInt(5)};
    if (auto c = r.OptText(1)) a.community = CommunityUuid(*c);
    if (auto o = r.OptText(2)) a.owner = UserId(*o);
    out.push_back(std::move(a));
  }
  return out;
}

Result<std::vector<Entry>> ReadEntries(db::Rows r) {
  std::vector<Entry> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(Entry{r.Text(0), r.Text(1), r.Text(2), UserId(r.Text(3)), r.Text(4), r.Text(5),
                        r.Bool(6), r.Int(7)});
  }
  return out;
}

constexpr std::string_view kActivityColumns =
    "id, community_uuid, owner, title, created, trashed_at";
constexpr std::string_view kEntryColumns =
    "id, activity_id, kind, author, title, content, done, created";

}  // namespace

Status ActivityStore::InsertActivity(db::Connection& c, const Activity& a) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO activities (id, community_uuid, owner, title, created) VALUES ($1, "
                "$2, $3, $4, $5)",
                a.id, a.community, a.owner, a.title, a.created));
  return Ok();
}

Result<std::optional<Activity>> ActivityStore::FindActivity(db::Connection& c,
                                                            const std::string& id) const {
  static const std::string sql =
      "SELECT " + std::string(kActivityColumns) + " FROM activities WHERE id = $1";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(sql, id));
  CONCORD_ASSIGN_OR_RETURN(auto all, ReadActivities(std::move(r)));
  if (all.empty()) return std::optional<Activity>{};
  return std::optional(all[0]);
}

Status ActivityStore::TrashActivity(db::Connection& c, const std::string& id, Millis when) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "UPDATE activities SET trashed_at = $2 WHERE id = $1 AND trashed_at IS NULL", id, when));
  return Ok();
}

Status ActivityStore::AddMember(db::Connection& c, const std::string& activity_id,
                                const Member& m) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO activity_members (activity_id, member_type, member_id, community_name, "
      "community_visibility) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (activity_id, member_type, member_id) DO UPDATE SET "
      "community_name = $4, community_visibility = $5",
      activity_id, m.type, m.id, m.community_name, m.community_visibility));
  return Ok();
}

Result<std::vector<Member>> ActivityStore::Members(db::Connection& c,
                                                   const std::string& activity_id) const {
  CONCORD_ASSIGN_OR_RETURN(db::Rows r,
                           c.Query("SELECT member_type, member_id, community_name, "
                                   "community_visibility FROM activity_members "
                                   "WHERE activity_id = $1 ORDER BY member_type, member_id",
                                   activity_id));
  std::vector<Member> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(Member{r.Text(0), r.Text(1), r.OptText(2), r.OptText(3)});
  }
  return out;
}

Status ActivityStore::InsertEntry(db::Connection& c, const Entry& e) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO activity_entries (id, activity_id, kind, author, title, content, "
                "done, created) VALUES "
                "($1, $2, $3, $4, $5, $6, $7, $8)",
                e.id, e.activity_id, e.kind, e.author, e.title, e.content, e.done, e.created));
  return Ok();
}

Result<std::optional<Entry>> ActivityStore::FindEntry(db::Connection& c,
                                                      const std::string& id) const {
  static const std::string sql =
      "SELECT " + std::string(kEntryColumns) + " FROM activity_entries WHERE id = $1";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(sql, id));
  CONCORD_ASSIGN_OR_RETURN(auto all, ReadEntries(std::move(r)));
  if (all.empty()) return std::optional<Entry>{};
  return std::optional(all[0]);
}

Result<std::vector<Entry>> ActivityStore::Entries(db::Connection& c, const std::string& activity_id,
                                                  const std::string& after, int limit) const {
  static const std::string sql =
      "SELECT " + std::string(kEntryColumns) +
      " FROM activity_entries WHERE activity_id = $1 AND id > $2 ORDER BY id LIMIT $3";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(sql, activity_id, after, limit));
  return ReadEntries(std::move(r));
}

Status ActivityStore::SetDone(db::Connection& c, const std::string& id, bool done) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("UPDATE activity_entries SET done = $2 WHERE id = $1", id, done));
  return Ok();
}

Result<std::vector<std::string>> ActivityStore::MemberCommunities(db::Connection& c,
                                                                  const std::string& after,
                                                                  int limit) const {
  return c.QueryTexts(
      "SELECT DISTINCT member_id FROM activity_members WHERE member_type = 'community' "
      "AND member_id > $1 ORDER BY member_id LIMIT $2",
      after, limit);
}

Result<int64_t> ActivityStore::RemoveMemberCommunity(db::Connection& c,
                                                     const std::string& community) const {
  return c.Execute(
      "DELETE FROM activity_members WHERE member_type = 'community' AND member_id = $1", community);
}

Result<int64_t> ActivityStore::UpdateMemberCommunity(db::Connection& c,
                                                     const std::string& community,
                                                     const std::string& name,
                                                     const std::string& visibility) const {
  return c.Execute(
      "UPDATE activity_members SET community_name = $2, community_visibility = $3 "
      "WHERE member_type = 'community' AND member_id = $1 AND "
      "(COALESCE(community_name, '') <> $2 OR COALESCE(community_visibility, '') <> $3)",
      community, name, visibility);
}

}  // namespace concord::activities::store
