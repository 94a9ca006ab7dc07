#include "store/community_store.h"

#include <algorithm>

#include "concord/base/text.h"

namespace concord::communities::store {
namespace {

constexpr std::string_view kCommunityColumns =
    "c.uuid, c.name, c.handle, c.description, c.tags, c.visibility, c.list_when_private, c.theme, "
    "c.owners_approve_content, c.viewers_flag_content, c.parent_uuid, c.created, c.created_by, "
    "c.last_mod, c.last_mod_by, c.version, c.member_count, c.trashed_at, c.trashed_by, "
    "c.visibility_before_trash, c.trashed_with_parent";
constexpr int kCommunityColumnCount = 21;

Visibility StoredVisibility(const std::string& s) {
  auto v = ParseVisibility(s);
  return v ? *v : Visibility::kRestricted;  // the CHECK constraint makes this unreachable
}

Community CommunityFromRow(const db::Rows& r) {
  Community c;
  c.uuid = CommunityUuid(r.Text(0));
  c.name = r.Text(1);
  c.handle = r.OptText(2);
  c.description = r.Text(3);
  c.tags = SplitTags(r.Text(4));
  c.visibility = StoredVisibility(r.Text(5));
  c.list_when_private = r.Bool(6);
  c.theme = r.Text(7);
  c.owners_approve_content = r.Bool(8);
  c.viewers_flag_content = r.Bool(9);
  if (auto p = r.OptText(10)) c.parent = CommunityUuid(*p);
  c.created = r.Int(11);
  c.created_by = UserId(r.Text(12));
  c.last_mod = r.Int(13);
  c.last_mod_by = UserId(r.Text(14));
  c.version = r.Int(15);
  c.member_count = r.Int(16);
  if (!r.IsNull(17)) {
    TrashState t;
    t.trashed_at = r.Int(17);
    t.trashed_by = UserId(r.Text(18));
    t.visibility_before = StoredVisibility(r.Text(19));
    t.with_parent = r.Bool(20);
    c.trash = t;
  }
  return c;
}

template <typename T, typename F>
Result<std::vector<T>> Collect(db::Rows rows, F&& from_row) {
  std::vector<T> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    out.push_back(from_row(rows));
  }
  return out;
}

User UserFromRow(const db::Rows& r) {
  return User{UserId(r.Text(0)), r.Text(1), r.Text(2), r.Text(3), r.Bool(4), r.Bool(5), r.Int(6)};
}
constexpr std::string_view kUserColumns =
    "id, login, email, display_name, is_admin, disabled, created";

// `text` as a LIKE pattern matching itself (escape character '!').
std::string LikeEscaped(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '!') out.push_back('!');
    out.push_back(ch);
  }
  return out;
}

}  // namespace

std::string JoinTags(const std::vector<std::string>& tags) {
  std::string out;
  for (const auto& t : tags) {
    if (!out.empty()) out.push_back('\n');
    out += t;
  }
  return out;
}

std::vector<std::string> SplitTags(std::string_view stored) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < stored.size()) {
    size_t end = stored.find('\n', start);
    if (end == std::string_view::npos) end = stored.size();
    if (end > start) out.emplace_back(stored.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Result<std::optional<Community>> CommunityStore::Find(db::Connection& c,
                                                      const CommunityUuid& uuid) const {
  static const std::string sql = std::string("SELECT ") + std::string(kCommunityColumns) +
                                 " FROM communities c WHERE c.uuid = $1";
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.Query(sql, uuid));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (!has) return std::optional<Community>{};
  return std::optional(CommunityFromRow(rows));
}

Status CommunityStore::Insert(db::Connection& c, const Community& x) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO communities (uuid, name, handle, description, tags, visibility, "
      "list_when_private, theme, owners_approve_content, viewers_flag_content, parent_uuid, "
      "created, created_by, last_mod, last_mod_by, version, member_count) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
      x.uuid, x.name, x.handle, x.description, JoinTags(x.tags), VisibilityName(x.visibility),
      x.list_when_private, x.theme, x.owners_approve_content, x.viewers_flag_content, x.parent,
      x.created, x.created_by, x.last_mod, x.last_mod_by, x.version, x.member_count));
  return Ok();
}

Status CommunityStore::Update(db::Connection& c, const Community& x) const {
  std::optional<int64_t> trashed_at;
  std::optional<std::string> trashed_by, before;
  bool with_parent = false;
  if (x.trash) {
    trashed_at = x.trash->trashed_at;
    trashed_by = x.trash->trashed_by.value();
    before = std::string(VisibilityName(x.trash->visibility_before));
    with_parent = x.trash->with_parent;
  }
  CONCORD_ASSIGN_OR_RETURN(
      int64_t n,
      c.Execute("UPDATE communities SET name = $2, handle = $3, description = $4, tags = $5, "
                "visibility = $6, list_when_private = $7, theme = $8, owners_approve_content = $9, "
                "viewers_flag_content = $10, last_mod = $11, last_mod_by = $12, version = $13, "
                "member_count = $14, trashed_at = $15, trashed_by = $16, "
                "visibility_before_trash = $17, trashed_with_parent = $18 WHERE uuid = $1",
                x.uuid, x.name, x.handle, x.description, JoinTags(x.tags),
                VisibilityName(x.visibility), x.list_when_private, x.theme,
                x.owners_approve_content, x.viewers_flag_content, x.last_mod, x.last_mod_by,
                x.version, x.member_count, trashed_at, trashed_by, before, with_parent));
  if (n != 1) return NotFound("community " + x.uuid.value() + " not found");
  return Ok();
}

Status CommunityStore::Delete(db::Connection& c, const CommunityUuid& uuid) const {
  // Members and widgets go by ON DELETE CASCADE.
  CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM communities WHERE uuid = $1", uuid));
  return Ok();
}

Result<std::vector<ListedCommunity>> CommunityStore::List(db::Connection& c,
                                                          const ListQuery& q) const {
  // Two shapes: driven by one member's memberships (an index range on members_by_user), or by
  // the communities table in uuid order. Both are keyset-paged on the uuid.
  static const std::string kFilters =
      " AND c.uuid > $1"
      " AND ($2 = '' OR c.visibility = $2)"
      " AND ($3 = '' OR c.name = $3)"
      " AND ($4 = '' OR c.parent_uuid = $4)"
      " AND (($5 = 0 AND c.trashed_at IS NULL) OR ($5 = 1 AND c.trashed_at IS NOT NULL"
      "      AND c.trashed_with_parent = 0))"
      " AND ($6 = '' OR EXISTS (SELECT 1 FROM members o WHERE o.community_uuid = c.uuid"
      "      AND o.user_id = $6 AND o.role = 1))"
      " AND ($7 = 1 OR c.visibility <> 'private' OR c.list_when_private = 1 OR EXISTS"
      "      (SELECT 1 FROM members v WHERE v.community_uuid = c.uuid AND v.user_id = $8))"
      // Search: tags are stored newline-separated, so a tag is a line ($11 is a newline).
      " AND ($10 = '' OR ($11 || c.tags || $11) LIKE $10 ESCAPE '!')"
      " AND ($12 = '' OR LOWER(c.name) LIKE $12 ESCAPE '!')"
      " ORDER BY c.uuid LIMIT $9";
  static const std::string kCaller =
      ", (SELECT r.role FROM members r WHERE r.community_uuid = c.uuid AND r.user_id = $8)";
  static const std::string kByTable = std::string("SELECT ") + std::string(kCommunityColumns) +
                                      kCaller + " FROM communities c WHERE 1 = 1" + kFilters;
  static const std::string kByMember =
      std::string("SELECT ") + std::string(kCommunityColumns) + kCaller +
      " FROM members m JOIN communities c ON c.uuid = m.community_uuid WHERE m.user_id = $13" +
      kFilters;
  std::string visibility = q.visibility ? std::string(VisibilityName(*q.visibility)) : "";
  std::string trashed_owner = q.trashed_owner ? q.trashed_owner->value() : "";
  db::Params params = {
      q.after,
      visibility,
      q.name.value_or(""),
      q.parent ? q.parent->value() : "",
      int64_t{q.trashed ? 1 : 0},
      trashed_owner,
      int64_t{q.caller_sees_all ? 1 : 0},
      q.caller.value(),
      int64_t{q.limit},
      q.tag ? "%\n" + LikeEscaped(*q.tag) + "\n%" : std::string(),
      std::string("\n"),
      q.name_contains ? "%" + LikeEscaped(*q.name_contains) + "%" : std::string(),
  };
  const std::string* sql = &kByTable;
  if (q.member) {
    params.push_back(q.member->value());
    sql = &kByMember;
  }
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.QueryParams(*sql, params));
  return Collect<ListedCommunity>(std::move(rows), [](const db::Rows& r) {
    ListedCommunity l{CommunityFromRow(r), std::nullopt};
    if (auto role = r.OptInt(kCommunityColumnCount)) l.caller_role = static_cast<Role>(*role);
    return l;
  });
}

Result<std::vector<CommunityUuid>> CommunityStore::Subcommunities(
    db::Connection& c, const CommunityUuid& parent) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT uuid FROM communities WHERE parent_uuid = $1 ORDER BY uuid", parent));
  return Collect<CommunityUuid>(std::move(rows),
                                [](const db::Rows& r) { return CommunityUuid(r.Text(0)); });
}

Result<std::vector<CommunityUuid>> CommunityStore::SubcommunitiesOfMember(
    db::Connection& c, const CommunityUuid& parent, const UserId& user) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT c.uuid FROM communities c JOIN members m ON m.community_uuid = c.uuid "
              "WHERE c.parent_uuid = $1 AND m.user_id = $2 ORDER BY c.uuid",
              parent, user));
  return Collect<CommunityUuid>(std::move(rows),
                                [](const db::Rows& r) { return CommunityUuid(r.Text(0)); });
}

Result<std::vector<CommunityUuid>> CommunityStore::TrashedBefore(db::Connection& c, Millis before,
                                                                 int limit) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT uuid FROM communities WHERE trashed_at IS NOT NULL AND trashed_at < $1 "
              "AND trashed_with_parent = 0 ORDER BY trashed_at, uuid LIMIT $2",
              before, limit));
  return Collect<CommunityUuid>(std::move(rows),
                                [](const db::Rows& r) { return CommunityUuid(r.Text(0)); });
}

Result<int64_t> CommunityStore::NextVersion(db::Connection& c, int64_t current) const {
  CONCORD_ASSIGN_OR_RETURN(int64_t floor, VersionFloor(c));
  return std::max(current, floor) + 1;
}

Result<int64_t> CommunityStore::VersionFloor(db::Connection& c) const {
  CONCORD_ASSIGN_OR_RETURN(auto floor,
                           c.QueryInt("SELECT floor FROM community_version_floor WHERE id = 1"));
  return floor.value_or(0);
}

Status CommunityStore::AdvanceVersionFloor(db::Connection& c, int64_t at_least) const {
  auto done = c.Execute(
      "INSERT INTO community_version_floor (id, floor) VALUES (1, $1) ON CONFLICT (id) DO "
      "UPDATE SET floor = CASE WHEN community_version_floor.floor > $1 THEN "
      "community_version_floor.floor ELSE $1 END",
      at_least);
  if (!done) return std::unexpected(done.error());
  return Ok();
}

Result<bool> CommunityStore::HandleTaken(db::Connection& c, std::string_view handle) const {
  CONCORD_ASSIGN_OR_RETURN(auto taken,
                           c.QueryInt("SELECT 1 FROM communities WHERE handle = $1", handle));
  return taken.has_value();
}

Result<std::optional<Role>> CommunityStore::RoleOf(db::Connection& c, const CommunityUuid& uuid,
                                                   const UserId& user) const {
  CONCORD_ASSIGN_OR_RETURN(
      auto v, c.QueryInt("SELECT role FROM members WHERE community_uuid = $1 AND user_id = $2",
                         uuid, user));
  if (!v) return std::optional<Role>{};
  return std::optional(static_cast<Role>(*v));
}

Result<int64_t> CommunityStore::CountOwners(db::Connection& c, const CommunityUuid& uuid) const {
  CONCORD_ASSIGN_OR_RETURN(
      auto v,
      c.QueryInt("SELECT COUNT(*) FROM members WHERE community_uuid = $1 AND role = 1", uuid));
  return v.value_or(0);
}

Result<std::vector<Member>> CommunityStore::Members(db::Connection& c, const CommunityUuid& uuid,
                                                    std::optional<Role> role,
                                                    const std::string& after, int limit) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT u.id, u.login, u.email, u.display_name, m.role, m.added FROM members m "
              "JOIN users u ON u.id = m.user_id WHERE m.community_uuid = $1 AND m.user_id > $2 "
              "AND ($3 < 0 OR m.role = $3) ORDER BY m.user_id LIMIT $4",
              uuid, after, role ? static_cast<int64_t>(*role) : int64_t{-1}, limit));
  return Collect<Member>(std::move(rows), [](const db::Rows& r) {
    return Member{UserId(r.Text(0)),           r.Text(1), r.Text(2), r.Text(3),
                  static_cast<Role>(r.Int(4)), r.Int(5)};
  });
}

Result<std::optional<Member>> CommunityStore::FindMember(db::Connection& c,
                                                         const CommunityUuid& uuid,
                                                         const UserId& user) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT u.id, u.login, u.email, u.display_name, m.role, m.added FROM members m "
              "JOIN users u ON u.id = m.user_id WHERE m.community_uuid = $1 AND m.user_id = $2",
              uuid, user));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (!has) return std::optional<Member>{};
  return std::optional(Member{UserId(rows.Text(0)), rows.Text(1), rows.Text(2), rows.Text(3),
                              static_cast<Role>(rows.Int(4)), rows.Int(5)});
}

Status CommunityStore::InsertMember(db::Connection& c, const CommunityUuid& uuid,
                                    const UserId& user, Role role, Millis added) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO members (community_uuid, user_id, role, added) VALUES ($1, $2, $3, $4)", uuid,
      user, static_cast<int64_t>(role), added));
  return Ok();
}

Status CommunityStore::UpdateRole(db::Connection& c, const CommunityUuid& uuid, const UserId& user,
                                  Role role) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("UPDATE members SET role = $3 WHERE community_uuid = $1 AND user_id = $2", uuid,
                user, static_cast<int64_t>(role)));
  return Ok();
}

Status CommunityStore::DeleteMember(db::Connection& c, const CommunityUuid& uuid,
                                    const UserId& user) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("DELETE FROM members WHERE community_uuid = $1 AND user_id = $2", uuid, user));
  return Ok();
}

namespace {

// Owners (with their names) and members of the communities in `states`, which are in uuid
// order, read with one range scan of the members table.
Status AddPeople(db::Connection& c, std::vector<SyncState>& states) {
  if (states.empty()) return Ok();
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT m.community_uuid, m.user_id, m.role, m.added, u.login, u.email, "
              "u.display_name FROM members m LEFT JOIN users u ON m.role = 1 AND u.id = m.user_id "
              "WHERE m.community_uuid >= $1 AND m.community_uuid <= $2 "
              "ORDER BY m.community_uuid, m.user_id",
              states.front().community.uuid, states.back().community.uuid));
  size_t i = 0;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    std::string community = rows.Text(0);
    while (i < states.size() && states[i].community.uuid.value() < community) ++i;
    if (i == states.size()) break;
    if (states[i].community.uuid.value() != community) continue;
    if (rows.Int(2) == 1) {
      states[i].owners.push_back(Member{UserId(rows.Text(1)), rows.OptText(4).value_or(""),
                                        rows.OptText(5).value_or(""), rows.OptText(6).value_or(""),
                                        Role::kOwner, rows.Int(3)});
    } else {
      states[i].members.push_back(UserId(rows.Text(1)));
    }
  }
  return Ok();
}

SyncState SyncFromRow(const db::Rows& r) {
  SyncState s;
  s.community = CommunityFromRow(r);
  if (!r.IsNull(kCommunityColumnCount)) {
    s.widget = Widget{WidgetInstanceId(r.Text(kCommunityColumnCount)),
                      s.community.uuid,
                      r.Text(kCommunityColumnCount + 1),
                      r.OptText(kCommunityColumnCount + 2),
                      r.Text(kCommunityColumnCount + 3),
                      r.Int(kCommunityColumnCount + 4)};
  }
  return s;
}

}  // namespace

Result<std::vector<SyncState>> CommunityStore::SyncStates(db::Connection& c,
                                                          const std::string& widget_def_id,
                                                          const std::string& after,
                                                          int limit) const {
  static const std::string sql =
      std::string("SELECT ") + std::string(kCommunityColumns) +
      ", w.instance_id, w.widget_def_id, w.remote_resource_id, w.ui_location, w.created "
      "FROM widgets w JOIN communities c ON c.uuid = w.community_uuid "
      "WHERE w.widget_def_id = $1 AND w.community_uuid > $2 ORDER BY w.community_uuid LIMIT $3";
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.Query(sql, widget_def_id, after, limit));
  CONCORD_ASSIGN_OR_RETURN(auto states, Collect<SyncState>(std::move(rows), SyncFromRow));
  CONCORD_RETURN_IF_ERROR(AddPeople(c, states));
  return states;
}

Result<std::vector<SyncState>> CommunityStore::SyncLookup(
    db::Connection& c, const std::string& widget_def_id,
    const std::vector<std::string>& uuids) const {
  static const std::string sql =
      std::string("SELECT ") + std::string(kCommunityColumns) +
      ", w.instance_id, w.widget_def_id, w.remote_resource_id, w.ui_location, w.created "
      "FROM communities c LEFT JOIN widgets w ON w.community_uuid = c.uuid AND "
      "w.widget_def_id = $1 WHERE c.uuid = $2";
  std::vector<SyncState> out;
  for (const auto& uuid : uuids) {
    CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.Query(sql, widget_def_id, uuid));
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) continue;
    std::vector<SyncState> one{SyncFromRow(rows)};
    CONCORD_RETURN_IF_ERROR(AddPeople(c, one));
    out.push_back(std::move(one[0]));
  }
  return out;
}

Result<std::vector<Widget>> CommunityStore::WidgetsByDef(db::Connection& c,
                                                         const std::string& widget_def_id,
                                                         const std::string& after,
                                                         int limit) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT instance_id, community_uuid, widget_def_id, remote_resource_id, ui_location, "
              "created FROM widgets WHERE widget_def_id = $1 AND community_uuid > $2 "
              "ORDER BY community_uuid LIMIT $3",
              widget_def_id, after, limit));
  return Collect<Widget>(std::move(rows), [](const db::Rows& r) {
    return Widget{WidgetInstanceId(r.Text(0)),
                  CommunityUuid(r.Text(1)),
                  r.Text(2),
                  r.OptText(3),
                  r.Text(4),
                  r.Int(5)};
  });
}

Result<std::vector<Widget>> CommunityStore::Widgets(db::Connection& c,
                                                    const CommunityUuid& uuid) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows rows,
      c.Query("SELECT instance_id, community_uuid, widget_def_id, remote_resource_id, ui_location, "
              "created FROM widgets WHERE community_uuid = $1 ORDER BY created, instance_id",
              uuid));
  return Collect<Widget>(std::move(rows), [](const db::Rows& r) {
    return Widget{WidgetInstanceId(r.Text(0)),
                  CommunityUuid(r.Text(1)),
                  r.Text(2),
                  r.OptText(3),
                  r.Text(4),
                  r.Int(5)};
  });
}

Status CommunityStore::InsertWidget(db::Connection& c, const Widget& w) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO widgets (instance_id, community_uuid, widget_def_id, remote_resource_id, "
      "ui_location, created) VALUES ($1, $2, $3, $4, $5, $6)",
      w.instance_id, w.community, w.widget_def_id, w.remote_resource_id, w.ui_location, w.created));
  return Ok();
}

Status CommunityStore::DeleteWidget(db::Connection& c, const WidgetInstanceId& id) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM widgets WHERE instance_id = $1", id));
  return Ok();
}

Status CommunityStore::SetRemoteResource(db::Connection& c, const WidgetInstanceId& id,
                                         const std::string& resource) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("UPDATE widgets SET remote_resource_id = $1 WHERE instance_id = $2", resource, id));
  return Ok();
}

Status UserStore::Insert(db::Connection& c, const User& u,
                         const std::optional<std::string>& hash) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO users (id, login, login_key, email, email_key, display_name, password_hash, "
      "is_admin, disabled, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      u.id, u.login, AsciiLower(u.login), u.email, AsciiLower(u.email), u.display_name, hash,
      u.admin, u.disabled, u.created));
  return Ok();
}

Result<std::optional<User>> UserStore::FindById(db::Connection& c, const UserId& id) const {
  static const std::string sql =
      "SELECT " + std::string(kUserColumns) + " FROM users WHERE id = $1";
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.Query(sql, id));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (!has) return std::optional<User>{};
  return std::optional(UserFromRow(rows));
}

Result<std::optional<User>> UserStore::FindByLogin(db::Connection& c,
                                                   std::string_view login) const {
  static const std::string sql =
      "SELECT " + std::string(kUserColumns) + " FROM users WHERE login_key = $1";
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.Query(sql, AsciiLower(login)));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (!has) return std::optional<User>{};
  return std::optional(UserFromRow(rows));
}

Result<std::optional<User>> UserStore::FindByEmail(db::Connection& c,
                                                   std::string_view email) const {
  static const std::string sql =
      "SELECT " + std::string(kUserColumns) + " FROM users WHERE email_key = $1";
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.Query(sql, AsciiLower(email)));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (!has) return std::optional<User>{};
  return std::optional(UserFromRow(rows));
}

Result<std::optional<std::pair<User, std::optional<std::string>>>> UserStore::FindCredentials(
    db::Connection& c, std::string_view login) const {
  static const std::string sql =
      "SELECT " + std::string(kUserColumns) + ", password_hash FROM users WHERE login_key = $1";
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.Query(sql, AsciiLower(login)));
  CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
  if (!has) return std::optional<std::pair<User, std::optional<std::string>>>{};
  return std::optional(std::pair{UserFromRow(rows), rows.OptText(7)});
}

Result<std::vector<User>> UserStore::List(db::Connection& c, const std::string& after,
                                          int limit) const {
  static const std::string sql =
      "SELECT " + std::string(kUserColumns) + " FROM users WHERE id > $1 ORDER BY id LIMIT $2";
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.Query(sql, after, limit));
  return Collect<User>(std::move(rows), UserFromRow);
}

Status UserStore::SetDisabled(db::Connection& c, const UserId& id, bool disabled) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("UPDATE users SET disabled = $2 WHERE id = $1", id, disabled));
  return Ok();
}

Status UserStore::SetPassword(db::Connection& c, const UserId& id, const std::string& hash) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("UPDATE users SET password_hash = $2 WHERE id = $1", id, hash));
  return Ok();
}

Result<int64_t> UserStore::Count(db::Connection& c) const {
  CONCORD_ASSIGN_OR_RETURN(auto v, c.QueryInt("SELECT COUNT(*) FROM users"));
  return v.value_or(0);
}

}  // namespace concord::communities::store
