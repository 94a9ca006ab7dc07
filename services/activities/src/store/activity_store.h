#pragma once
// The Activities service's own SQL: activities (with their owner and members), entries and
// to-dos, and the activities' community members as syncAllCommunityShares sees them. The
// activities table is also the application's resource table: making a widget's activity,
// listing a community's and sending them to the trash with the widget is libs/remoteapp's SQL.

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
  Status TrashActivity(db::Connection& c, const std::string& id, Millis when) const;
  Status AddMember(db::Connection& c, const std::string& activity_id, const Member& m) const;
  Result<std::vector<Member>> Members(db::Connection& c, const std::string& activity_id) const;
  Status InsertEntry(db::Connection& c, const Entry& e) const;
  Result<std::optional<Entry>> FindEntry(db::Connection& c, const std::string& id) const;
  Result<std::vector<Entry>> Entries(db::Connection& c, const std::string& activity_id,
                                     const std::string& after, int limit) const;
  Status SetDone(db::Connection& c, const std::string& id, bool done) const;

  // The communities that are members of activities, in uuid order after `after`.
  Result<std::vector<std::string>> MemberCommunities(db::Connection& c, const std::string& after,
                                                     int limit) const;
  // Removes the community from every activity's members; returns how many rows went.
  Result<int64_t> RemoveMemberCommunity(db::Connection& c, const std::string& community) const;
  // Brings the community's name and visibility up to date where it is a member; returns how
  // many rows changed.
  Result<int64_t> UpdateMemberCommunity(db::Connection& c, const std::string& community,
                                        const std::string& name,
                                        const std::string& visibility) const;
};

}  // namespace concord::activities::store
