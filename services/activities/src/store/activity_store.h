#pragma once
// All of the Activities service's SQL.

#include <optional>
#include <string>
#include <vector>

#include "concord/base/clock.h"
#include "concord/db/database.h"

namespace concord::activities::store {

struct Activity {
  std::string id;
  std::optional<CommunityUuid> community;  // a community activity
  std::optional<UserId> owner;             // a personal activity
  std::string title;
  Millis created = 0;
  std::optional<Millis> trashed_at;
};

struct Member {
  std::string type;  // user | community
  std::string id;
  std::optional<std::string> community_name;  // as last known
  std::optional<std::string> community_visibility;
};

struct Entry {
  std::string id;
  std::string activity_id;
  std::string kind;  // entry | todo
  UserId author;
  std::string title;
  std::string content;
  bool done = false;
  Millis created = 0;
};

class ActivityStore {
 public:
  Status InsertActivity(db::Connection& c, const Activity& a) const;
  Result<std::optional<Activity>> FindActivity(db::Connection& c, const std::string& id) const;
  Result<std::vector<Activity>> OfCommunity(db::Connection& c,
                                            const CommunityUuid& community) const;
  Status TrashActivity(db::Connection& c, const std::string& id, Millis when) const;
  Status AddMember(db::Connection& c, const std::string& activity_id, const Member& m) const;
  Result<std::vector<Member>> Members(db::Connection& c, const std::string& activity_id) const;
  Status InsertEntry(db::Connection& c, const Entry& e) const;
  Result<std::optional<Entry>> FindEntry(db::Connection& c, const std::string& id) const;
  Result<std::vector<Entry>> Entries(db::Connection& c, const std::string& activity_id,
                                     const std::string& after, int limit) const;
  Status SetDone(db::Connection& c, const std::string& id, bool done) const;
};

}  // namespace concord::activities::store
