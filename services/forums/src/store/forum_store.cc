#include "store/forum_store.h"

namespace concord::forums::store {
namespace {

Result<std::vector<Post>> Posts(db::Rows r) {
  std::vector<Post> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(Post{r.Text(0), r.Text(1), UserId(r.Text(2)), r.Text(3), r.Text(4), r.Int(5)});
  }
  return out;
}

Result<std::vector<Forum>> Forums(db::Rows r) {
  std::vector<Forum> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(Forum{r.Text(0), CommunityUuid(r.Text(1)), r.Text(2), r.Int(3), r.OptInt(4)});
  }
  return out;
}

}  // namespace

Status ForumStore::InsertForum(db::Connection& c, const Forum& f) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO forums (id, community_uuid, name, created) VALUES ($1, $2, $3, $4)",
                f.id, f.community, f.name, f.created));
  return Ok();
}

Result<std::optional<Forum>> ForumStore::FindForum(db::Connection& c, const std::string& id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query("SELECT id, community_uuid, name, created, trashed_at FROM forums WHERE id = $1",
              id));
  CONCORD_ASSIGN_OR_RETURN(auto all, Forums(std::move(r)));
  if (all.empty()) return std::optional<Forum>{};
  return std::optional(all[0]);
}

Result<std::vector<Forum>> ForumStore::ForumsOf(db::Connection& c,
                                                const CommunityUuid& community) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r, c.Query("SELECT id, community_uuid, name, created, trashed_at FROM forums WHERE "
                          "community_uuid = $1 AND trashed_at IS NULL ORDER BY created, id",
                          community));
  return Forums(std::move(r));
}

Status ForumStore::TrashForum(db::Connection& c, const std::string& id, Millis when) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "UPDATE forums SET trashed_at = $2 WHERE id = $1 AND trashed_at IS NULL", id, when));
  return Ok();
}

Status ForumStore::InsertTopic(db::Connection& c, const Post& t) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO topics (id, forum_id, author, title, content, created) VALUES ($1, "
                "$2, $3, $4, $5, $6)",
                t.id, t.parent_id, t.author, t.title, t.content, t.created));
  return Ok();
}

Result<std::optional<Post>> ForumStore::FindTopic(db::Connection& c, const std::string& id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query("SELECT id, forum_id, author, title, content, created FROM topics WHERE id = $1",
              id));
  CONCORD_ASSIGN_OR_RETURN(auto all, Posts(std::move(r)));
  if (all.empty()) return std::optional<Post>{};
  return std::optional(all[0]);
}

Result<std::vector<Post>> ForumStore::Topics(db::Connection& c, const std::string& forum_id,
                                             const std::string& after, int limit) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query(
          "SELECT id, forum_id, author, title, content, created FROM topics WHERE forum_id = $1 "
          "AND id > $2 ORDER BY id LIMIT $3",
          forum_id, after, limit));
  return Posts(std::move(r));
}

Status ForumStore::DeleteTopic(db::Connection& c, const std::string& id) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM topics WHERE id = $1", id));
  return Ok();
}

Status ForumStore::InsertReply(db::Connection& c, const Post& r) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO replies (id, topic_id, author, content, created) VALUES ($1, $2, $3, $4, $5)",
      r.id, r.parent_id, r.author, r.content, r.created));
  return Ok();
}

Result<std::vector<Post>> ForumStore::Replies(db::Connection& c,
                                              const std::string& topic_id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query("SELECT id, topic_id, author, '', content, created FROM replies WHERE topic_id = $1 "
              "ORDER BY created, id LIMIT 1000",
              topic_id));
  return Posts(std::move(r));
}

}  // namespace concord::forums::store
