#include "store/news_store.h"

namespace concord::news::store {
namespace {

Result<std::vector<Message>> Messages(db::Rows r) {
  std::vector<Message> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(Message{r.Text(0), r.Text(1), UserId(r.Text(2)), r.Text(3), r.Int(4)});
  }
  return out;
}

}  // namespace

Status NewsStore::InsertBoard(db::Connection& c, const Board& b) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO boards (id, community_uuid, created) VALUES ($1, $2, $3)", b.id,
                b.community, b.created));
  return Ok();
}

Result<std::optional<Board>> NewsStore::FindBoard(db::Connection& c, const std::string& id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query(
          "SELECT id, community_uuid, created, posting_open, trashed_at FROM boards WHERE id = $1",
          id));
  CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
  if (!has) return std::optional<Board>{};
  return std::optional(
      Board{r.Text(0), CommunityUuid(r.Text(1)), r.Int(2), r.Bool(3), r.OptInt(4)});
}

Status NewsStore::TrashBoard(db::Connection& c, const std::string& id, Millis when) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "UPDATE boards SET trashed_at = $2 WHERE id = $1 AND trashed_at IS NULL", id, when));
  return Ok();
}

Status NewsStore::InsertPost(db::Connection& c, const Message& m) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO posts (id, board_id, author, content, created) VALUES ($1, $2, $3, $4, $5)",
      m.id, m.parent_id, m.author, m.content, m.created));
  return Ok();
}

Result<std::optional<Message>> NewsStore::FindPost(db::Connection& c, const std::string& id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query("SELECT id, board_id, author, content, created FROM posts WHERE id = $1", id));
  CONCORD_ASSIGN_OR_RETURN(auto all, Messages(std::move(r)));
  if (all.empty()) return std::optional<Message>{};
  return std::optional(all[0]);
}

Result<std::vector<Message>> NewsStore::Posts(db::Connection& c, const std::string& board_id,
                                              const std::string& after, int limit) const {
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query("SELECT id, board_id, author, content, created FROM "
                                               "posts WHERE board_id = $1 AND id > $2 "
                                               "ORDER BY id LIMIT $3",
                                               board_id, after, limit));
  return Messages(std::move(r));
}

Status NewsStore::DeletePost(db::Connection& c, const std::string& id) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM posts WHERE id = $1", id));
  return Ok();
}

Status NewsStore::InsertComment(db::Connection& c, const Message& m) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO post_comments (id, post_id, author, content, created) VALUES ($1, $2, "
                "$3, $4, $5)",
                m.id, m.parent_id, m.author, m.content, m.created));
  return Ok();
}

Result<std::vector<Message>> NewsStore::Comments(db::Connection& c,
                                                 const std::string& post_id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query("SELECT id, post_id, author, content, created FROM post_comments WHERE post_id = $1 "
              "ORDER BY created, id LIMIT 1000",
              post_id));
  return Messages(std::move(r));
}

}  // namespace concord::news::store
