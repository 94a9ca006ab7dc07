#pragma once
// All of the News service's SQL.

#include <optional>
#include <string>
#include <vector>

#include "concord/base/clock.h"
#include "concord/db/database.h"

namespace concord::news::store {

struct Board {
  std::string id;
  CommunityUuid community;
  Millis created = 0;
  bool posting_open = true;
  std::optional<Millis> trashed_at;
};

struct Message {  // a post (parent: its board) or a comment (parent: its post)
  std::string id;
  std::string parent_id;
  UserId author;
  std::string content;
  Millis created = 0;
};

class NewsStore {
 public:
  Status InsertBoard(db::Connection& c, const Board& b) const;
  Result<std::optional<Board>> FindBoard(db::Connection& c, const std::string& id) const;
  Status TrashBoard(db::Connection& c, const std::string& id, Millis when) const;
  Status InsertPost(db::Connection& c, const Message& m) const;
  Result<std::optional<Message>> FindPost(db::Connection& c, const std::string& id) const;
  Result<std::vector<Message>> Posts(db::Connection& c, const std::string& board_id,
                                     const std::string& after, int limit) const;
  Status DeletePost(db::Connection& c, const std::string& id) const;
  Status InsertComment(db::Connection& c, const Message& m) const;
  Result<std::vector<Message>> Comments(db::Connection& c, const std::string& post_id) const;
};

}  // namespace concord::news::store
