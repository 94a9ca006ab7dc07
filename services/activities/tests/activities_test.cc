// Activities' own rules (src/domain/activities.h) on a temporary SQLite database: who sees and
// who adds to a community activity and to a personal one, personal activities' members, to-dos,
// the trash, and the activities' community members kept in line with Communities. Communities
// are made known to the application the way Communities does it: by lifecycle events.
#include "domain/activities.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "concord/activities/activities.h"
#include "concord/testing/communities.h"

namespace concord::activities::domain {
namespace {

using lifecycle::EventType;
using remoteapp::Access;
using testing::kAdmin;
using testing::kMember;
using testing::kOwner;
using testing::kStranger;

const CommunityUuid kPublic("11111111-0000-4000-8000-000000000001");
const CommunityUuid kPrivate("11111111-0000-4000-8000-000000000002");
const CommunityUuid kNoWidget("11111111-0000-4000-8000-000000000003");

class ActivitiesTest : public ::testing::Test {
 protected:
  ActivitiesTest()
      : db_("activities", Migrations()), events_("Activities"), activities_(db_.database()) {}

  template <typename F>
  auto InTx(F&& f) {
    return db_.InWrite(std::forward<F>(f));
  }

  // Tells the application about `community` (kOwner owns it, kMember is a member) as
  // Communities does: with its Activities widget (returns the activity the widget makes), or by
  // a community event only, as an application that tracks communities without its widget hears
  // of every community.
  std::string Community(const CommunityUuid& community, const std::string& visibility,
                        bool widget) {
    auto e = events_.Event(community, visibility,
                           widget ? EventType::kRemoteAppAdded : EventType::kCommunityUpdated);
    auto r = InTx(
        [&](db::Connection& c) { return activities_.application().Populate(c, "Activities", e); });
    EXPECT_TRUE(r) << r.error().ToString();
    return r && *r ? **r : "";
  }
  // Communities removes the community's Activities widget.
  void RemoveWidget(const CommunityUuid& community) {
    auto e = events_.Event(community, "public", EventType::kRemoteAppRemoved);
    auto r = InTx(
        [&](db::Connection& c) { return activities_.application().ApplyIn(c, "Activities", e); });
    EXPECT_TRUE(r) << r.error().ToString();
  }

  Result<Activities::Loaded> Load(const Principal& who, const std::string& id) {
    return InTx([&](db::Connection& c) { return activities_.Load(c, who, id); });
  }
  // What `who` may do with the activity; kNone where it does not exist for `who`.
  Access AccessTo(const Principal& who, const std::string& id) {
    auto l = Load(who, id);
    return l ? l->access : Access::kNone;
  }
  Result<Entry> Add(const Principal& who, const std::string& activity, std::string_view kind) {
    return InTx([&](db::Connection& c) {
      return activities_.AddEntry(c, who, activity, std::string(kind), "Agenda", "");
    });
  }
  Result<Member> AddMember(const Principal& who, const std::string& activity,
                           const std::string& type, const std::string& id) {
    return InTx(
        [&](db::Connection& c) { return activities_.AddMember(c, who, activity, type, id); });
  }
  std::string Personal(const Principal& who) {
    auto a = InTx([&](db::Connection& c) { return activities_.StartPersonal(c, who, "Mine"); });
    EXPECT_TRUE(a) << a.error().ToString();
    return a ? a->id : "";
  }

  testing::AppDatabase db_;
  testing::CommunityEvents events_;
  Activities activities_;
};

void ExpectError(const auto& result, ErrorCode code, const std::string& message) {
  ASSERT_FALSE(result) << "expected: " << message;
  EXPECT_EQ(result.error().code, code);
  EXPECT_EQ(result.error().message, message);
}

TEST_F(ActivitiesTest, ACommunityActivityFollowsItsCommunity) {
  std::string open = Community(kPublic, "public", true);
  std::string closed = Community(kPrivate, "private", true);
  EXPECT_EQ(AccessTo(kOwner, open), Access::kOwn);
  EXPECT_EQ(AccessTo(kMember, open), Access::kContribute);
  EXPECT_EQ(AccessTo(kStranger, open), Access::kRead);
  EXPECT_EQ(AccessTo(kMember, closed), Access::kContribute);
  EXPECT_EQ(AccessTo(kAdmin, closed), Access::kOwn);
  // A restricted community's activity does not exist for a stranger.
  ExpectError(Load(kStranger, closed), ErrorCode::kNotFound, "activity " + closed + " not found");
  // The widget's activity is titled with the community's name and has the sample to-do.
  auto seen = Load(kMember, open);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->activity.title, "Community 11111111");
  auto entries =
      InTx([&](db::Connection& c) { return activities_.Entries(c, kStranger, open, ""); });
  ASSERT_TRUE(entries) << entries.error().ToString();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().kind, "todo");
  EXPECT_EQ(entries->front().title, "Plan the next meeting");
  EXPECT_EQ(entries->front().author, kOwner.id);
}

TEST_F(ActivitiesTest, MembersAddEntriesAndTodosReadersDoNot) {
  std::string open = Community(kPublic, "public", true);
  auto todo = Add(kMember, open, kTodo);
  ASSERT_TRUE(todo) << todo.error().ToString();
  EXPECT_EQ(todo->author, kMember.id);
  EXPECT_EQ(todo->kind, "todo");
  EXPECT_FALSE(todo->done);
  ExpectError(Add(kStranger, open, kEntry), ErrorCode::kPermissionDenied,
              "only the activity's members add entries");
  std::string closed = Community(kPrivate, "private", true);
  ExpectError(Add(kStranger, closed, kEntry), ErrorCode::kNotFound,
              "activity " + closed + " not found");
}

TEST_F(ActivitiesTest, OnlyContributorsMarkTodosDoneAndOnlyTodos) {
  std::string open = Community(kPublic, "public", true);
  auto todo = Add(kMember, open, kTodo);
  auto entry = Add(kMember, open, kEntry);
  ASSERT_TRUE(todo && entry);
  auto set = [&](const Principal& who, const std::string& id, bool done) {
    return InTx([&](db::Connection& c) { return activities_.SetDone(c, who, id, done); });
  };
  ExpectError(set(kStranger, todo->id, true), ErrorCode::kPermissionDenied,
              "only the activity's members complete to-dos");
  ExpectError(set(kMember, entry->id, true), ErrorCode::kFailedPrecondition,
              "only a to-do can be done");
  auto done = set(kOwner, todo->id, true);
  ASSERT_TRUE(done) << done.error().ToString();
  EXPECT_TRUE(done->done);
  auto page = InTx([&](db::Connection& c) { return activities_.Entries(c, kMember, open, ""); });
  ASSERT_TRUE(page);
  auto stored =
      std::find_if(page->begin(), page->end(), [&](const Entry& e) { return e.id == todo->id; });
  ASSERT_NE(stored, page->end());
  EXPECT_TRUE(stored->done);
  ExpectError(set(kMember, "no-such-entry", true), ErrorCode::kNotFound,
              "entry no-such-entry not found");
}

TEST_F(ActivitiesTest, MembersStartActivitiesOnlyWhereTheWidgetIs) {
  std::string widgets = Community(kPublic, "public", true);
  Community(kNoWidget, "public", false);
  auto start = [&](const Principal& who, const CommunityUuid& community) {
    return InTx([&](db::Connection& c) {
      return activities_.StartInCommunity(c, who, community, "Planning");
    });
  };
  ExpectError(start(kMember, kNoWidget), ErrorCode::kFailedPrecondition,
              "community " + kNoWidget.value() + " has no Activities widget");
  ExpectError(start(kStranger, kPublic), ErrorCode::kPermissionDenied,
              "only members of the community start activities");
  auto started = start(kMember, kPublic);
  ASSERT_TRUE(started) << started.error().ToString();
  EXPECT_EQ(started->community, kPublic);
  EXPECT_FALSE(started->owner);
  // The community's owner owns it, as every activity of the community; the member who
  // started it contributes.
  EXPECT_EQ(AccessTo(kOwner, started->id), Access::kOwn);
  EXPECT_EQ(AccessTo(kMember, started->id), Access::kContribute);
  auto listed =
      InTx([&](db::Connection& c) { return activities_.OfCommunity(c, kStranger, kPublic); });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  std::set<std::string> ids{(*listed)[0].id, (*listed)[1].id};
  EXPECT_EQ(ids, (std::set<std::string>{widgets, started->id}));
}

TEST_F(ActivitiesTest, OwnersSendActivitiesToTheTrash) {
  std::string open = Community(kPublic, "public", true);
  auto trash = [&](const Principal& who, const std::string& id) {
    return InTx([&](db::Connection& c) { return activities_.Trash(c, who, id); });
  };
  ExpectError(trash(kMember, open), ErrorCode::kPermissionDenied,
              "only the activity's owners delete it");
  ASSERT_TRUE(trash(kOwner, open));
  ExpectError(Load(kOwner, open), ErrorCode::kNotFound, "activity " + open + " not found");
  auto listed =
      InTx([&](db::Connection& c) { return activities_.OfCommunity(c, kOwner, kPublic); });
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  // A personal activity's owner deletes it; nobody else sees it to try.
  std::string mine = Personal(kMember);
  ExpectError(trash(kStranger, mine), ErrorCode::kNotFound, "activity " + mine + " not found");
  EXPECT_TRUE(trash(kMember, mine));
}

TEST_F(ActivitiesTest, RemovingTheWidgetTrashesEveryActivityOfTheCommunity) {
  std::string widgets = Community(kPublic, "public", true);
  auto started = InTx([&](db::Connection& c) {
    return activities_.StartInCommunity(c, kMember, kPublic, "Planning");
  });
  ASSERT_TRUE(started);
  std::string personal = Personal(kMember);
  RemoveWidget(kPublic);
  for (const auto& id : {widgets, started->id}) {
    ExpectError(Load(kAdmin, id), ErrorCode::kNotFound, "activity " + id + " not found");
  }
  EXPECT_TRUE(Load(kMember, personal));
}

TEST_F(ActivitiesTest, APersonalActivityIsItsOwnersAndItsMembers) {
  std::string mine = Personal(kOwner);
  EXPECT_EQ(AccessTo(kOwner, mine), Access::kOwn);
  EXPECT_EQ(AccessTo(kAdmin, mine), Access::kOwn);
  ExpectError(Load(kMember, mine), ErrorCode::kNotFound, "activity " + mine + " not found");
  auto added = AddMember(kOwner, mine, "user", kMember.id.value());
  ASSERT_TRUE(added) << added.error().ToString();
  EXPECT_EQ(AccessTo(kMember, mine), Access::kContribute);
  EXPECT_TRUE(Add(kMember, mine, kTodo));
  // A member is not an owner: it neither adds members nor deletes the activity.
  ExpectError(AddMember(kMember, mine, "user", kStranger.id.value()), ErrorCode::kPermissionDenied,
              "only the activity's owner adds members");
  ExpectError(InTx([&](db::Connection& c) { return activities_.Trash(c, kMember, mine); }),
              ErrorCode::kPermissionDenied, "only the activity's owners delete it");
  ExpectError(Load(kStranger, mine), ErrorCode::kNotFound, "activity " + mine + " not found");
}

TEST_F(ActivitiesTest, ACommunityMemberLetsItsMembersContribute) {
  // A restricted community without the widget: the application knows it all the same.
  Community(kPrivate, "private", false);
  std::string mine = Personal(kMember);
  EXPECT_EQ(AccessTo(kOwner, mine), Access::kNone);
  auto added = AddMember(kMember, mine, "community", kPrivate.value());
  ASSERT_TRUE(added) << added.error().ToString();
  EXPECT_EQ(added->community_name, "Community 11111111");
  EXPECT_EQ(added->community_visibility, "private");
  // The community's owner contributes (it owns the community, not the activity).
  EXPECT_EQ(AccessTo(kOwner, mine), Access::kContribute);
  EXPECT_TRUE(Add(kOwner, mine, kEntry));
  ExpectError(Load(kStranger, mine), ErrorCode::kNotFound, "activity " + mine + " not found");
  // A restricted community its owner cannot see is no member it can add.
  std::string strangers = Personal(kStranger);
  ExpectError(AddMember(kStranger, strangers, "community", kPrivate.value()), ErrorCode::kNotFound,
              "community " + kPrivate.value() + " not found");
}

TEST_F(ActivitiesTest, MembersAreCheckedBeforeTheyAreAdded) {
  std::string open = Community(kPublic, "public", true);
  ExpectError(AddMember(kOwner, open, "user", kMember.id.value()), ErrorCode::kFailedPrecondition,
              "a community activity's members are its community's members");
  std::string mine = Personal(kOwner);
  auto bad_user = AddMember(kOwner, mine, "user", "bob");
  ExpectError(bad_user, ErrorCode::kInvalidArgument, "'user' must be a user id");
  EXPECT_EQ(bad_user.error().field, "user");
  ExpectError(AddMember(kOwner, mine, "community", "not-a-uuid"), ErrorCode::kInvalidArgument,
              "'community' must be a community uuid");
  const std::string unknown = "11111111-0000-4000-8000-0000000000ff";
  // Unknown to the application: for an administrator (who sees every community) it has no
  // record; for anyone else it does not exist.
  std::string admins = Personal(kAdmin);
  ExpectError(AddMember(kAdmin, admins, "community", unknown), ErrorCode::kNotFound,
              "community " + unknown + " not found");
  ExpectError(AddMember(kOwner, mine, "community", unknown), ErrorCode::kNotFound,
              "community " + unknown + " not found");
  auto detail = InTx([&](db::Connection& c) { return activities_.Get(c, kOwner, mine); });
  ASSERT_TRUE(detail);
  EXPECT_TRUE(detail->members.empty());
}

TEST_F(ActivitiesTest, CommunityMembersFollowCommunities) {
  Community(kPrivate, "private", false);
  std::string mine = Personal(kMember);
  ASSERT_TRUE(AddMember(kMember, mine, "community", kPrivate.value()));
  auto shared = InTx([&](db::Connection& c) { return activities_.SharedCommunities(c, "", 10); });
  ASSERT_TRUE(shared);
  EXPECT_EQ(*shared, std::vector<std::string>{kPrivate.value()});
  auto sync = [&](const remoteapp::CommunityTruth& t) {
    return InTx([&](db::Connection& c) { return activities_.Sync(c, t); });
  };
  // Renamed and opened: the member is brought up to date, once.
  auto renamed = sync({kPrivate.value(), true, "Renamed", "public"});
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->updated, 1);
  EXPECT_EQ(sync({kPrivate.value(), true, "Renamed", "public"})->updated, 0);
  auto detail = InTx([&](db::Connection& c) { return activities_.Get(c, kMember, mine); });
  ASSERT_TRUE(detail);
  ASSERT_EQ(detail->members.size(), 1u);
  EXPECT_EQ(detail->members[0].community_name, "Renamed");
  EXPECT_EQ(detail->members[0].community_visibility, "public");
  // Gone: it leaves the activity, and its owner (no member of the activity) loses it.
  EXPECT_EQ(AccessTo(kOwner, mine), Access::kContribute);
  auto gone = sync({kPrivate.value(), false, "", ""});
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->removed, 1);
  ExpectError(Load(kOwner, mine), ErrorCode::kNotFound, "activity " + mine + " not found");
  shared = InTx([&](db::Connection& c) { return activities_.SharedCommunities(c, "", 10); });
  ASSERT_TRUE(shared);
  EXPECT_TRUE(shared->empty());
}

TEST(ActivitiesRules, AnEntryIsAnEntryOrATodo) {
  EXPECT_EQ(ValidEntryType(std::nullopt).value_or(""), "entry");
  EXPECT_EQ(ValidEntryType("todo").value_or(""), "todo");
  auto other = ValidEntryType("note");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(other.error().field, "type");
}

}  // namespace
}  // namespace concord::activities::domain
