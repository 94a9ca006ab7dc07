#pragma once
// Activities' content and its rules. A community activity belongs to a community (its widget
// makes the first; members start more): a container of libs/remoteapp's content.h, whose access
// follows the Activities record of its community. A personal activity belongs to a user and may
// have users and communities as members. Each activity has entries and to-dos. Rules:
//
// - a personal activity is its owner's (and administrators'); its user members, and the members
//   and owners of its member communities (by the Activities record of each, so also of
//   communities without the widget), contribute to it; nobody else sees it (kNotFound);
// - readers read; contributors add entries and to-dos and mark to-dos done;
// - members of a community with the Activities widget start activities in it; anyone signed in
//   starts a personal one;
// - an activity's owners (a community's owners, a personal activity's owner) delete it, to the
//   Activities trash; a personal activity's owner adds members to it.
//
// No HTTP, no SQL (src/store/activity_store.cc). Every call but the constructor runs in the
// caller's transaction on the application's database.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "concord/remoteapp/content.h"
#include "store/activity_store.h"

namespace concord::activities::domain {

using store::Activity;
using store::Entry;
using store::Member;

remoteapp::AppDefinition Definition();

// An entry's kinds: an entry (the default) or a to-do, which can be done.
inline constexpr std::string_view kEntry = "entry";
inline constexpr std::string_view kTodo = "todo";
// The type of a new entry: `type`, or an entry when absent; kInvalidArgument (field type) for
// anything else.
Result<std::string> ValidEntryType(const std::optional<std::string>& type);

class Activities final : public remoteapp::CommunityShares {
 public:
  // Over the application's migrated database. Not copyable: the application keeps references.
  explicit Activities(std::shared_ptr<db::Database> database);
  Activities(const Activities&) = delete;
  Activities& operator=(const Activities&) = delete;

  remoteapp::RemoteApplication& application() { return app_.application(); }
  const std::shared_ptr<db::Database>& database() const { return app_.database(); }

  // An activity as `who` may see it, with what `who` may do in it: kNotFound ("activity <id> not
  // found") when it does not exist, is in the trash, or `who` may not see it.
  struct Loaded {
    Activity activity;
    remoteapp::Access access = remoteapp::Access::kNone;
  };
  Result<Loaded> Load(db::Connection& c, const Principal& who, const std::string& id);
  // The activity and its members (users and communities, by type then id).
  struct Detail {
    Activity activity;
    std::vector<Member> members;
  };
  Result<Detail> Get(db::Connection& c, const Principal& who, const std::string& id);

  // The community's activities, not in the trash, oldest first: kNotFound when `who` may not see
  // the community.
  Result<std::vector<Activity>> OfCommunity(db::Connection& c, const Principal& who,
                                            const CommunityUuid& community);
  // A new activity of the community: kFailedPrecondition when the community has no Activities
  // widget, kPermissionDenied for a reader.
  Result<Activity> StartInCommunity(db::Connection& c, const Principal& who,
                                    const CommunityUuid& community, std::string title);
  // A new personal activity of `who`.
  Result<Activity> StartPersonal(db::Connection& c, const Principal& who, std::string title);
  // To the Activities trash: the activity's owners only (kPermissionDenied).
  Status Trash(db::Connection& c, const Principal& who, const std::string& id);

  // A personal activity's new member: a user (`type` "user", `id` a user id) or a community
  // (`type` "community", `id` a community uuid this application knows). kFailedPrecondition for a
  // community activity (its members are its community's), kPermissionDenied for anyone but the
  // owner, kInvalidArgument for an id that is not a uuid, kNotFound for an unknown community.
  // Adding a member again updates it. Returns the member as added.
  Result<Member> AddMember(db::Connection& c, const Principal& who, const std::string& activity_id,
                           const std::string& type, const std::string& id);

  // A page of the activity's entries, by id after `after` (kPageSize + 1 rows).
  Result<std::vector<Entry>> Entries(db::Connection& c, const Principal& who,
                                     const std::string& activity_id, const std::string& after);
  // A new entry or to-do (`kind`, from ValidEntryType) by `who`: contributors only.
  Result<Entry> AddEntry(db::Connection& c, const Principal& who, const std::string& activity_id,
                         std::string kind, std::string title, std::string content);
  // Marks a to-do done or not: contributors only; kFailedPrecondition for an entry that is not a
  // to-do. An entry of an activity `who` may not see does not exist (kNotFound).
  Result<Entry> SetDone(db::Connection& c, const Principal& who, const std::string& entry_id,
                        bool done);

  // CommunityShares (AccessControlService.syncAllCommunityShares): the communities that are
  // members of activities; a community that no longer exists leaves every activity's members,
  // one that does is renamed and re-restricted where it is a member.
  Result<std::vector<std::string>> SharedCommunities(db::Connection& c, const std::string& after,
                                                     int limit) override;
  Result<remoteapp::ShareSyncCounts> Sync(db::Connection& c,
                                          const remoteapp::CommunityTruth& truth) override;

 private:
  Result<remoteapp::Access> PersonalAccess(db::Connection& c, const Activity& a,
                                           const Principal& who);
  remoteapp::ContentApplication app_;
};

}  // namespace concord::activities::domain
