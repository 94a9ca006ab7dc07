#pragma once
// All of the Blogs service's SQL.

#include <optional>
#include <string>
#include <vector>

#include "concord/base/clock.h"
#include "concord/db/database.h"

namespace concord::blogs::store {

struct Blog {
  std::string id;
  std::string remote_app_def_id;
  CommunityUuid community;
  std::string title;
  Millis created = 0;
  std::optional<Millis> trashed_at;
};

struct Entry {
  std::string id;
  std::string blog_id;
  UserId author;
  std::string title;
  std::string content;
  Millis created = 0;
  int64_t votes = 0;
  int64_t comments = 0;
};

struct Comment {
  std::string id;
  std::string entry_id;
  UserId author;
  std::string content;
  Millis created = 0;
};

class BlogStore {
 public:
  Status InsertBlog(db::Connection& c, const Blog& b) const;
  Result<std::optional<Blog>> FindBlog(db::Connection& c, const std::string& id) const;
  Status TrashBlog(db::Connection& c, const std::string& id, Millis when) const;
  Status InsertEntry(db::Connection& c, const Entry& e) const;
  Result<std::optional<Entry>> FindEntry(db::Connection& c, const std::string& id) const;
  Result<std::vector<Entry>> Entries(db::Connection& c, const std::string& blog_id,
                                     const std::string& after, int limit) const;
  Status DeleteEntry(db::Connection& c, const std::string& id) const;
  Status InsertComment(db::Connection& c, const Comment& m) const;
  Result<std::vector<Comment>> Comments(db::Connection& c, const std::string& entry_id) const;
  // false if the user had voted already.
  Result<bool> Vote(db::Connection& c, const std::string& entry_id, const UserId& user,
                    Millis when) const;
};

}  // namespace concord::blogs::store
