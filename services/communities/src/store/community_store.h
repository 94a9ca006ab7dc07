#pragma once
// All of the Communities service's SQL. Every method runs on a connection the caller holds
// (usually inside a transaction the domain opened), so several calls form one atomic change.

#include <optional>
#include <string>
#include <vector>

#include "concord/communities/model.h"
#include "concord/db/database.h"

namespace concord::communities::store {

struct ListQuery {
  std::string after;  // uuid cursor, "" for the first page
  int limit = 50;
  std::optional<Visibility> visibility;
  std::optional<UserId> member;  // only communities this user belongs to
  std::optional<std::string> name;
  std::optional<std::string> name_contains;  // lower-cased
  std::optional<std::string> tag;
  std::optional<CommunityUuid> parent;
  UserId caller;                 // whose membership decides what a restricted community shows
  bool caller_sees_all = false;  // administrators see every restricted community
  bool trashed = false;          // list the trash instead of live communities
  std::optional<UserId> trashed_owner;  // in the trash: only communities this user owns
};

struct ListedCommunity {
  Community community;
  std::optional<Role> caller_role;
};

class CommunityStore {
 public:
  Result<std::optional<Community>> Find(db::Connection& c, const CommunityUuid& uuid) const;
  Status Insert(db::Connection& c, const Community& community) const;
  // Writes every mutable column of `community` (identified by its uuid).
  Status Update(db::Connection& c, const Community& community) const;
  // Deletes the community with its members, widgets and tags.
  Status Delete(db::Connection& c, const CommunityUuid& uuid) const;
  // The version a change to a community at version `current` is given: one above it, and above
  // the version floor (V009), which `concord recover` raises after Communities is restored.
  Result<int64_t> NextVersion(db::Connection& c, int64_t current) const;
  Result<int64_t> VersionFloor(db::Connection& c) const;
  // Raises the floor to `at_least` (never lowers it).
  Status AdvanceVersionFloor(db::Connection& c, int64_t at_least) const;
  // Whether a community (live or in the trash) already has the handle `handle`.
  Result<bool> HandleTaken(db::Connection& c, std::string_view handle) const;
  Result<std::vector<ListedCommunity>> List(db::Connection& c, const ListQuery& q) const;

  Result<std::vector<CommunityUuid>> Subcommunities(db::Connection& c,
                                                    const CommunityUuid& parent) const;
  // Subcommunities of `parent` that `user` belongs to.
  Result<std::vector<CommunityUuid>> SubcommunitiesOfMember(db::Connection& c,
                                                            const CommunityUuid& parent,
                                                            const UserId& user) const;
  // Trashed communities (not trashed with a parent) whose time in the trash began before `before`.
  Result<std::vector<CommunityUuid>> TrashedBefore(db::Connection& c, Millis before,
                                                   int limit) const;

  Result<std::optional<Role>> RoleOf(db::Connection& c, const CommunityUuid& uuid,
                                     const UserId& user) const;
  Result<int64_t> CountOwners(db::Connection& c, const CommunityUuid& uuid) const;
  Result<std::vector<Member>> Members(db::Connection& c, const CommunityUuid& uuid,
                                      std::optional<Role> role, const std::string& after,
                                      int limit) const;
  Result<std::optional<Member>> FindMember(db::Connection& c, const CommunityUuid& uuid,
                                           const UserId& user) const;
  Status InsertMember(db::Connection& c, const CommunityUuid& uuid, const UserId& user, Role role,
                      Millis added) const;
  Status UpdateRole(db::Connection& c, const CommunityUuid& uuid, const UserId& user,
                    Role role) const;
  Status DeleteMember(db::Connection& c, const CommunityUuid& uuid, const UserId& user) const;

  Result<std::vector<Widget>> Widgets(db::Connection& c, const CommunityUuid& uuid) const;
  // Communities with a widget `widget_def_id` (trashed ones included), in uuid order after
  // `after`, with that widget, their owners and members.
  Result<std::vector<SyncState>> SyncStates(db::Connection& c, const std::string& widget_def_id,
                                            const std::string& after, int limit) const;
  // The same for the given communities (those that exist, with or without the widget).
  Result<std::vector<SyncState>> SyncLookup(db::Connection& c, const std::string& widget_def_id,
                                            const std::vector<std::string>& uuids) const;
  // Up to `limit` widgets `widget_def_id`, in community uuid order after `after`.
  Result<std::vector<Widget>> WidgetsByDef(db::Connection& c, const std::string& widget_def_id,
                                           const std::string& after, int limit) const;
  Status InsertWidget(db::Connection& c, const Widget& widget) const;
  Status DeleteWidget(db::Connection& c, const WidgetInstanceId& id) const;
  // Records the remote application's resource bound to a widget.
  Status SetRemoteResource(db::Connection& c, const WidgetInstanceId& id,
                           const std::string& resource) const;
};

class UserStore {
 public:
  Status Insert(db::Connection& c, const User& user,
                const std::optional<std::string>& password_hash) const;
  Result<std::optional<User>> FindById(db::Connection& c, const UserId& id) const;
  Result<std::optional<User>> FindByLogin(db::Connection& c, std::string_view login) const;
  Result<std::optional<User>> FindByEmail(db::Connection& c, std::string_view email) const;
  // The user and the stored password hash, for verification.
  Result<std::optional<std::pair<User, std::optional<std::string>>>> FindCredentials(
      db::Connection& c, std::string_view login) const;
  Result<std::vector<User>> List(db::Connection& c, const std::string& after, int limit) const;
  Status SetDisabled(db::Connection& c, const UserId& id, bool disabled) const;
  Status SetPassword(db::Connection& c, const UserId& id, const std::string& hash) const;
  Result<int64_t> Count(db::Connection& c) const;
};

// Tags as stored: normalized, newline-separated.
std::string JoinTags(const std::vector<std::string>& tags);
std::vector<std::string> SplitTags(std::string_view stored);

}  // namespace concord::communities::store
