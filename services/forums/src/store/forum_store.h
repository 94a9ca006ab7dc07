#pragma once
// All of the Forums service's SQL.

#include <optional>
#include <string>
#include <vector>

#include "concord/base/clock.h"
#include "concord/db/database.h"

namespace concord::forums::store {

struct Forum {
  std::string id;
  CommunityUuid community;
  std::string name;
  Millis created = 0;
  std::optional<Millis> trashed_at;
};

struct Post {  // a topic (with a title) or a reply (without)
  std::string id;
  std::string parent_id;  // the forum of a topic, the topic of a reply
  UserId author;
  std::string title;
  std::string content;
  Millis created = 0;
};

class ForumStore {
 public:
  Status InsertForum(db::Connection& c, const Forum& f) const;
  Result<std::optional<Forum>> FindForum(db::Connection& c, const std::string& id) const;
  Result<std::vector<Forum>> ForumsOf(db::Connection& c, const CommunityUuid& community) const;
  Status TrashForum(db::Connection& c, const std::string& id, Millis when) const;
  Status InsertTopic(db::Connection& c, const Post& t) const;
  Result<std::optional<Post>> FindTopic(db::Connection& c, const std::string& id) const;
  Result<std::vector<Post>> Topics(db::Connection& c, const std::string& forum_id,
                                   const std::string& after, int limit) const;
  Status DeleteTopic(db::Connection& c, const std::string& id) const;
  Status InsertReply(db::Connection& c, const Post& r) const;
  Result<std::vector<Post>> Replies(db::Connection& c, const std::string& topic_id) const;
};

}  // namespace concord::forums::store
