#include "store/blog_store.h"

namespace concord::blogs::store {
namespace {

constexpr std::string_view kEntryColumns =
    "e.id, e.blog_id, e.author, e.title, e.content, e.created, "
    "(SELECT COUNT(*) FROM votes v WHERE v.entry_id = e.id), "
    "(SELECT COUNT(*) FROM comments m WHERE m.entry_id = e.id)";

Entry EntryFromRow(const db::Rows& r) {
  return Entry{r.Text(0), r.Text(1), UserId(r.Text(2)), r.Text(3),
               r.Text(4), r.Int(5),  r.Int(6),          r.Int(7)};
}

}  // namespace

Status BlogStore::InsertBlog(db::Connection& c, const Blog& b) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO blogs (id, remote_app_def_id, community_uuid, title, created) VALUES "
                "($1, $2, $3, $4, $5)",
                b.id, b.remote_app_def_id, b.community, b.title, b.created));
  return Ok();
}

Result<std::optional<Blog>> BlogStore::FindBlog(db::Connection& c, const std::string& id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query("SELECT id, remote_app_def_id, community_uuid, title, created, trashed_at "
              "FROM blogs WHERE id = $1",
              id));
  CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
  if (!has) return std::optional<Blog>{};
  return std::optional(
      Blog{r.Text(0), r.Text(1), CommunityUuid(r.Text(2)), r.Text(3), r.Int(4), r.OptInt(5)});
}

Status BlogStore::TrashBlog(db::Connection& c, const std::string& id, Millis when) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("UPDATE blogs SET trashed_at = $2 WHERE id = $1 AND trashed_at IS NULL", id, when));
  return Ok();
}

Status BlogStore::InsertEntry(db::Connection& c, const Entry& e) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO entries (id, blog_id, author, title, content, created) VALUES ($1, "
                "$2, $3, $4, $5, $6)",
                e.id, e.blog_id, e.author, e.title, e.content, e.created));
  return Ok();
}

Result<std::optional<Entry>> BlogStore::FindEntry(db::Connection& c, const std::string& id) const {
  static const std::string sql =
      "SELECT " + std::string(kEntryColumns) + " FROM entries e WHERE e.id = $1";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(sql, id));
  CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
  if (!has) return std::optional<Entry>{};
  return std::optional(EntryFromRow(r));
}

Result<std::vector<Entry>> BlogStore::Entries(db::Connection& c, const std::string& blog_id,
                                              const std::string& after, int limit) const {
  static const std::string sql =
      "SELECT " + std::string(kEntryColumns) +
      " FROM entries e WHERE e.blog_id = $1 AND e.id > $2 ORDER BY e.id LIMIT $3";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(sql, blog_id, after, limit));
  std::vector<Entry> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(EntryFromRow(r));
  }
  return out;
}

Status BlogStore::DeleteEntry(db::Connection& c, const std::string& id) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM entries WHERE id = $1", id));
  return Ok();
}

Status BlogStore::InsertComment(db::Connection& c, const Comment& m) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO comments (id, entry_id, author, content, created) VALUES ($1, $2, $3, $4, $5)",
      m.id, m.entry_id, m.author, m.content, m.created));
  return Ok();
}

Result<std::vector<Comment>> BlogStore::Comments(db::Connection& c,
                                                 const std::string& entry_id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query("SELECT id, entry_id, author, content, created FROM comments WHERE entry_id = $1 "
              "ORDER BY created, id LIMIT 1000",
              entry_id));
  std::vector<Comment> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(Comment{r.Text(0), r.Text(1), UserId(r.Text(2)), r.Text(3), r.Int(4)});
  }
  return out;
}

Result<bool> BlogStore::Vote(db::Connection& c, const std::string& entry_id, const UserId& user,
                             Millis when) const {
  CONCORD_ASSIGN_OR_RETURN(
      int64_t n, c.Execute("INSERT INTO votes (entry_id, user_id, created) VALUES ($1, $2, $3) "
                           "ON CONFLICT (entry_id, user_id) DO NOTHING",
                           entry_id, user, when));
  return n == 1;
}

}  // namespace concord::blogs::store
