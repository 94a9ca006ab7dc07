// The Communities domain rules, against a real (temporary) SQLite database.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "concord/base/secrets.h"
#include "concord/communities/sample_data.h"
#include "concord/communities/service.h"
#include "concord/db/migration.h"
#include "concord/lifecycle/events.h"
#include "fresh_database.h"

namespace concord::communities {
namespace {

// One database and four users for the whole suite (Argon2id makes users slow to create);
// every test makes its own communities.
class CommunitiesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(InitSecrets());
    svc_ =
        new CommunitiesService({.database = FreshDatabase("domain"), .trash_retention_days = 30});
    ASSERT_TRUE(svc_->EnsureInitialAdmin([](const std::string&) { return Ok(); }));
    // The generated password is not needed here; find the admin through the directory.
    auto a = svc_->GetUser(Actor{UserId(), true}, "admin");
    ASSERT_TRUE(a);
    admin_ = Actor{a->id, true};
    for (const char* login : {"olivia", "mike", "nora", "dave"}) {
      auto u = svc_->CreateUser(
          admin_, {login, std::string(login) + "@example.com", std::string(login) + " Example",
                   "password-" + std::string(login)});
      ASSERT_TRUE(u) << u.error().ToString();
      users_[login] = Actor{u->id, false};
    }
  }
  static void TearDownTestSuite() { delete svc_; }

  static Actor As(const std::string& login) { return users_.at(login); }
  CommunitiesService& svc() { return *svc_; }

  // A community owned by olivia, with mike as a member.
  Community Make(Visibility v = Visibility::kPublic, std::string name = "Team") {
    auto c = svc_->Create(As("olivia"), {.name = std::move(name), .visibility = v});
    EXPECT_TRUE(c) << c.error().ToString();
    EXPECT_TRUE(svc_->AddMembers(As("olivia"), c->uuid, {"mike"}, Role::kMember));
    return svc_->Get(As("olivia"), c->uuid)->community;
  }

  static inline CommunitiesService* svc_ = nullptr;
  static inline Actor admin_;
  static inline std::map<std::string, Actor> users_;
};

TEST_F(CommunitiesTest, NewCommunityHasItsCreatorAsOwnerAndTheDefaultWidgets) {
  auto c =
      svc().Create(As("olivia"), {.name = "  Platform Guild  ", .tags = {"Cloud", "cloud", "ops"}});
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->name, "Platform Guild");
  EXPECT_EQ(c->tags, (std::vector<std::string>{"cloud", "ops"}));
  EXPECT_EQ(c->version, 1);
  auto members = svc().ListMembers(As("olivia"), c->uuid, std::nullopt, "", 50);
  ASSERT_TRUE(members);
  ASSERT_EQ(members->items.size(), 1u);
  EXPECT_EQ(members->items[0].login, "olivia");
  EXPECT_EQ(members->items[0].role, Role::kOwner);
  auto widgets = svc().ListWidgets(As("olivia"), c->uuid);
  std::set<std::string> defs;
  for (const auto& w : *widgets) defs.insert(w.widget_def_id);
  EXPECT_EQ(defs, (std::set<std::string>{"Bookmarks", "Files", "Forum", "Members", "RecentUpdates",
                                         "StatusUpdates"}));
}

TEST_F(CommunitiesTest, AServiceAccountNoLongerUsedIsDisabledWithItsPasswordForgotten) {
  std::string password;
  ASSERT_TRUE(svc().EnsureServiceAccount("old-system", [&](const std::string& pw) {
    password = pw;
    return Ok();
  }));
  ASSERT_TRUE(svc().Verify("old-system", password));
  auto retired = svc().RetireServiceAccount("old-system");
  ASSERT_TRUE(retired) << retired.error().ToString();
  EXPECT_TRUE(*retired);
  EXPECT_FALSE(svc().Verify("old-system", password));
  auto u = svc().GetUser(admin_, "old-system");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->disabled);
  // Once retired, or never there: nothing to do.
  EXPECT_FALSE(*svc().RetireServiceAccount("old-system"));
  EXPECT_FALSE(*svc().RetireServiceAccount("never-there"));
}

TEST_F(CommunitiesTest, VersionGrowsWithEveryChangeAndOnlyThen) {
  Community c = Make();
  int64_t v = c.version;
  auto next = [&](auto&& change) {
    ASSERT_TRUE(change());
    auto now = svc().Get(As("olivia"), c.uuid);
    ASSERT_TRUE(now);
    EXPECT_EQ(now->community.version, v + 1);
    v = now->community.version;
  };
  next([&] { return svc().Update(As("olivia"), c.uuid, {.name = "Renamed"}).has_value(); });
  next([&] { return svc().Update(As("olivia"), c.uuid, {.theme = "blue"}).has_value(); });
  next([&] { return svc().AddMembers(As("olivia"), c.uuid, {"nora"}, Role::kMember).has_value(); });
  next(
      [&] { return svc().SetRole(As("olivia"), c.uuid, As("nora").id, Role::kOwner).has_value(); });
  next([&] { return svc().RemoveMember(As("olivia"), c.uuid, As("nora").id).has_value(); });
  next([&] { return svc().AddWidget(As("olivia"), c.uuid, "Blog", std::nullopt).has_value(); });
  // An update that changes nothing is not a change.
  ASSERT_TRUE(svc().Update(As("olivia"), c.uuid, {.name = "Renamed", .theme = "blue"}));
  EXPECT_EQ(svc().Get(As("olivia"), c.uuid)->community.version, v);
}

TEST_F(CommunitiesTest, StaleVersionIsRejectedAndChangesNothing) {
  Community c = Make();
  auto r = svc().Update(As("olivia"), c.uuid, {.name = "New", .expected_version = c.version - 1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kAborted);
  EXPECT_EQ(svc().Get(As("olivia"), c.uuid)->community.name, "Team");
  EXPECT_TRUE(svc().Update(As("olivia"), c.uuid, {.name = "New", .expected_version = c.version}));
}

TEST_F(CommunitiesTest, TheLastOwnerCanBeNeitherRemovedNorDemoted) {
  Community c = Make();
  auto removed = svc().RemoveMember(As("olivia"), c.uuid, As("olivia").id);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(removed.error().message.find("last owner"), std::string::npos);
  auto demoted = svc().SetRole(admin_, c.uuid, As("olivia").id, Role::kMember);
  ASSERT_FALSE(demoted);
  EXPECT_EQ(demoted.error().code, ErrorCode::kFailedPrecondition);
  // With a second owner, the first may go.
  ASSERT_TRUE(svc().SetRole(As("olivia"), c.uuid, As("mike").id, Role::kOwner));
  EXPECT_TRUE(svc().RemoveMember(As("olivia"), c.uuid, As("olivia").id));
  EXPECT_EQ(svc().Get(As("mike"), c.uuid)->community.member_count, 1);
}

TEST_F(CommunitiesTest, SubcommunityMembersMustBelongToTheParent) {
  Community parent = Make();
  auto sub = svc().Create(As("olivia"), {.name = "Sub", .parent = parent.uuid});
  ASSERT_TRUE(sub) << sub.error().ToString();
  EXPECT_TRUE(svc().AddMembers(As("olivia"), sub->uuid, {"mike"}, Role::kMember));
  auto outsider = svc().AddMembers(As("olivia"), sub->uuid, {"dave"}, Role::kMember);
  ASSERT_FALSE(outsider);
  EXPECT_EQ(outsider.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(outsider.error().message.find("parent"), std::string::npos);
  // No grandchildren.
  auto grandchild = svc().Create(As("olivia"), {.name = "Grandchild", .parent = sub->uuid});
  ASSERT_FALSE(grandchild);
  EXPECT_EQ(grandchild.error().code, ErrorCode::kFailedPrecondition);
}

TEST_F(CommunitiesTest, LeavingTheParentLeavesItsSubcommunities) {
  Community parent = Make();
  auto sub = *svc().Create(As("olivia"), {.name = "Sub", .parent = parent.uuid});
  ASSERT_TRUE(svc().AddMembers(As("olivia"), sub.uuid, {"mike"}, Role::kMember));
  ASSERT_TRUE(svc().RemoveMember(As("mike"), parent.uuid, As("mike").id));  // mike leaves
  EXPECT_FALSE(svc().GetMember(As("olivia"), sub.uuid, As("mike").id));
  EXPECT_EQ(svc().Get(As("olivia"), sub.uuid)->community.member_count, 1);
}

TEST_F(CommunitiesTest, RestrictedParentsHaveRestrictedSubcommunities) {
  Community parent = Make(Visibility::kRestricted);
  auto open = svc().Create(
      As("olivia"), {.name = "Open sub", .visibility = Visibility::kPublic, .parent = parent.uuid});
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error().field, "visibility");
  EXPECT_EQ(open.error().accepted, std::vector<std::string>{"private"});

  Community public_parent = Make();
  ASSERT_TRUE(svc().Create(As("olivia"), {.name = "Open sub", .parent = public_parent.uuid}));
  auto close =
      svc().Update(As("olivia"), public_parent.uuid, {.visibility = Visibility::kRestricted});
  ASSERT_FALSE(close);
  EXPECT_EQ(close.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(svc().Get(As("olivia"), public_parent.uuid)->community.visibility, Visibility::kPublic);
}

TEST_F(CommunitiesTest, TrashForcesPrivateAndRestoreBringsBackVisibility) {
  Community c = Make(Visibility::kModerated);
  auto sub = *svc().Create(As("olivia"), {.name = "Sub", .parent = c.uuid});
  auto trashed = svc().Trash(As("olivia"), c.uuid);
  ASSERT_TRUE(trashed);
  EXPECT_EQ(trashed->visibility, Visibility::kRestricted);
  ASSERT_TRUE(trashed->trash);
  EXPECT_EQ(trashed->trash->visibility_before, Visibility::kModerated);
  // Gone from ordinary reads, for owners too; visible in the owner's trash.
  EXPECT_EQ(svc().Get(As("olivia"), c.uuid).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc().Get(As("olivia"), sub.uuid).error().code, ErrorCode::kNotFound);
  auto trash = svc().ListTrash(As("olivia"), "", 500);
  ASSERT_TRUE(trash);
  bool listed = std::any_of(trash->items.begin(), trash->items.end(),
                            [&](auto& x) { return x.uuid == c.uuid; });
  EXPECT_TRUE(listed);
  // mike is a member, not an owner: the trash entry is not his to see or restore.
  EXPECT_EQ(svc().Restore(As("mike"), c.uuid).error().code, ErrorCode::kNotFound);
  // The subcommunity went with its parent and comes back with it.
  EXPECT_EQ(svc().Restore(As("olivia"), sub.uuid).error().code, ErrorCode::kFailedPrecondition);
  auto restored = svc().Restore(As("olivia"), c.uuid);
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->visibility, Visibility::kModerated);
  EXPECT_FALSE(restored->trash);
  EXPECT_EQ(svc().Get(As("olivia"), sub.uuid)->community.visibility, Visibility::kPublic);
}

TEST_F(CommunitiesTest, PurgeRemovesOnlyWhatIsDue) {
  Community keep = Make();
  Community due = Make();
  ASSERT_TRUE(svc().Trash(As("olivia"), keep.uuid));
  ASSERT_TRUE(svc().Trash(As("olivia"), due.uuid));
  // Purging a live community is refused.
  Community live = Make();
  EXPECT_EQ(svc().Purge(As("olivia"), live.uuid).error().code, ErrorCode::kFailedPrecondition);
  // 29 days from now nothing is due; 31 days from now both are.
  EXPECT_EQ(*svc().PurgeExpired(NowMillis() + 29 * kMillisPerDay), 0);
  ASSERT_TRUE(svc().Purge(As("olivia"), due.uuid));
  EXPECT_EQ(svc().Restore(As("olivia"), due.uuid).error().code, ErrorCode::kNotFound);
  EXPECT_GE(*svc().PurgeExpired(NowMillis() + 31 * kMillisPerDay), 1);
  EXPECT_EQ(svc().Restore(admin_, keep.uuid).error().code, ErrorCode::kNotFound);
}

TEST_F(CommunitiesTest, RestrictedCommunityIsInvisibleToNonMembers) {
  Community c = Make(Visibility::kRestricted, "Secret Project");
  auto as_dave = svc().Get(As("dave"), c.uuid);
  ASSERT_FALSE(as_dave);
  EXPECT_EQ(as_dave.error().code, ErrorCode::kNotFound);
  // Exactly the answer for a community that does not exist.
  auto missing = svc().Get(As("dave"), CommunityUuid("00000000-0000-4000-8000-000000000000"));
  EXPECT_EQ(as_dave.error().message, "community " + c.uuid.value() + " not found");
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc().ListMembers(As("dave"), c.uuid, std::nullopt, "", 50).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(svc().ListWidgets(As("dave"), c.uuid).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc().Update(As("dave"), c.uuid, {.name = "x"}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc().AddMembers(As("dave"), c.uuid, {"dave"}, Role::kMember).error().code,
            ErrorCode::kNotFound);
  auto list = svc().List(As("dave"), {.name = "Secret Project"});
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->items.empty());
  EXPECT_TRUE(svc().Get(As("mike"), c.uuid));
  EXPECT_TRUE(svc().Get(admin_, c.uuid));
  EXPECT_EQ(svc().List(admin_, {.name = "Secret Project"})->items.size(), 1u);
}

TEST_F(CommunitiesTest, ListedRestrictedCommunityShowsOnlyItsListing) {
  auto c = *svc().Create(
      As("olivia"),
      {.name = "Listed Secret", .visibility = Visibility::kRestricted, .list_when_private = true});
  auto v = svc().Get(As("dave"), c.uuid);
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->full);
  EXPECT_TRUE(svc().ListMembers(As("dave"), c.uuid, Role::kOwner, "", 50));
  EXPECT_EQ(svc().ListMembers(As("dave"), c.uuid, std::nullopt, "", 50).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(svc().ListWidgets(As("dave"), c.uuid).error().code, ErrorCode::kNotFound);
  auto list = svc().List(As("dave"), {.name = "Listed Secret"});
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_FALSE(list->items[0].full);
}

TEST_F(CommunitiesTest, KeysetPagingVisitsEveryCommunityOnce) {
  for (int i = 0; i < 23; ++i) ASSERT_TRUE(svc().Create(As("nora"), {.name = "Paged"}));
  std::set<std::string> seen;
  std::string after;
  int pages = 0;
  while (true) {
    auto page = svc().List(As("nora"), {.name = "Paged", .after = after, .limit = 10});
    ASSERT_TRUE(page);
    ++pages;
    for (const auto& v : page->items) EXPECT_TRUE(seen.insert(v.community.uuid.value()).second);
    if (!page->next) break;
    after = *page->next;
  }
  EXPECT_EQ(seen.size(), 23u);
  EXPECT_EQ(pages, 3);
}

TEST_F(CommunitiesTest, ListFiltersByVisibilityAndMember) {
  Community pub = Make(Visibility::kPublic, "Filter Test");
  Community priv = Make(Visibility::kRestricted, "Filter Test");
  auto mine = svc().List(As("mike"), {.member = As("mike").id, .name = "Filter Test"});
  EXPECT_EQ(mine->items.size(), 2u);
  auto restricted =
      svc().List(As("mike"), {.visibility = Visibility::kRestricted, .name = "Filter Test"});
  ASSERT_EQ(restricted->items.size(), 1u);
  EXPECT_EQ(restricted->items[0].community.uuid, priv.uuid);
  // dave asking for mike's communities sees only the ones dave may see.
  auto seen_by_dave = svc().List(As("dave"), {.member = As("mike").id, .name = "Filter Test"});
  ASSERT_EQ(seen_by_dave->items.size(), 1u);
  EXPECT_EQ(seen_by_dave->items[0].community.uuid, pub.uuid);
}

TEST_F(CommunitiesTest, OnlyOwnersAndAdministratorsChangeACommunity) {
  Community c = Make();
  EXPECT_EQ(svc().Update(As("mike"), c.uuid, {.name = "x"}).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(svc().Update(As("dave"), c.uuid, {.name = "x"}).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(svc().Trash(As("mike"), c.uuid).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(svc().AddWidget(As("mike"), c.uuid, "Wiki", std::nullopt).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_TRUE(svc().Update(As("olivia"), c.uuid, {.name = "By owner"}));
  EXPECT_TRUE(svc().Update(admin_, c.uuid, {.name = "By admin"}));
}

TEST_F(CommunitiesTest, AnyoneMayJoinAPublicCommunityButNotAModeratedOne) {
  Community pub = Make(Visibility::kPublic);
  Community mod = Make(Visibility::kModerated);
  EXPECT_TRUE(svc().AddMembers(As("dave"), pub.uuid, {"dave"}, Role::kMember));
  EXPECT_EQ(svc().AddMembers(As("dave"), mod.uuid, {"dave"}, Role::kMember).error().code,
            ErrorCode::kPermissionDenied);
  // Joining as an owner, or adding somebody else, is an owner's business.
  EXPECT_EQ(svc().AddMembers(As("dave"), pub.uuid, {"nora"}, Role::kMember).error().code,
            ErrorCode::kPermissionDenied);
  auto twice = svc().AddMembers(As("olivia"), pub.uuid, {"dave"}, Role::kMember);
  EXPECT_EQ(twice.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(CommunitiesTest, AddingMembersIsAllOrNothing) {
  Community c = Make();
  auto r = svc().AddMembers(As("olivia"), c.uuid, {"nora", "nobody-here"}, Role::kMember);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(svc().GetMember(As("olivia"), c.uuid, As("nora").id));
  auto by_email =
      svc().AddMembers(As("olivia"), c.uuid, {"NORA@example.com", "dave"}, Role::kMember);
  ASSERT_TRUE(by_email) << by_email.error().ToString();
  EXPECT_EQ(svc().Get(As("olivia"), c.uuid)->community.member_count, 4);
}

TEST_F(CommunitiesTest, WidgetRules) {
  Community c = Make();
  auto unknown = svc().AddWidget(As("olivia"), c.uuid, "blog", std::nullopt);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field, "widgetDefId");
  EXPECT_NE(std::find(unknown.error().accepted.begin(), unknown.error().accepted.end(), "Blog"),
            unknown.error().accepted.end());
  auto wrong_place = svc().AddWidget(As("olivia"), c.uuid, "Blog", "col2statusposts");
  EXPECT_EQ(wrong_place.error().field, "uiLocation");
  EXPECT_TRUE(svc().AddWidget(As("olivia"), c.uuid, "Blog", "col2"));
  EXPECT_EQ(svc().AddWidget(As("olivia"), c.uuid, "Blog", std::nullopt).error().code,
            ErrorCode::kAlreadyExists);
  auto widgets = *svc().ListWidgets(As("olivia"), c.uuid);
  for (const auto& w : widgets) {
    auto r = svc().RemoveWidget(As("olivia"), c.uuid, w.instance_id);
    bool mandatory = w.widget_def_id == "Members" || w.widget_def_id == "RecentUpdates";
    EXPECT_EQ(r.has_value(), !mandatory) << w.widget_def_id;
  }
  EXPECT_EQ(svc().ListWidgets(As("olivia"), c.uuid)->size(), 2u);
}

TEST_F(CommunitiesTest, BadValuesAreRejectedNamingTheField) {
  struct Case {
    CommunityDraft draft;
    std::string field;
  };
  std::vector<Case> cases = {
      {{.name = ""}, "name"},
      {{.name = "   "}, "name"},
      {{.name = "bell\x07"}, "name"},
      {{.name = std::string(300, 'x')}, "name"},
      {{.name = "ok", .handle = "Has Spaces"}, "handle"},
      {{.name = "ok", .description = std::string("nul\0byte", 8)}, "description"},
      {{.name = "ok", .tags = {"two words"}}, "tags"},
      {{.name = "ok", .theme = "../../etc"}, "theme"},
  };
  for (const auto& c : cases) {
    auto r = svc().Create(As("olivia"), c.draft);
    ASSERT_FALSE(r) << c.field;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.field;
    EXPECT_EQ(r.error().field, c.field);
  }
  EXPECT_EQ(ParseVisibility("restricted").error().accepted,
            (std::vector<std::string>{"public", "publicInviteOnly", "private"}));
  ASSERT_TRUE(svc().Create(As("olivia"), {.name = "Handled", .handle = "unique-handle"}));
  auto taken = svc().Create(As("nora"), {.name = "Other", .handle = "unique-handle"});
  EXPECT_EQ(taken.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(taken.error().field, "handle");
}

TEST_F(CommunitiesTest, UserDirectoryRules) {
  auto dup = svc().CreateUser(admin_, {"OLIVIA", "other@example.com", "Other", "password-x"});
  EXPECT_EQ(dup.error().field, "login");
  auto dup_email =
      svc().CreateUser(admin_, {"olivia2", "Olivia@Example.com", "Other", "password-x"});
  EXPECT_EQ(dup_email.error().field, "email");
  EXPECT_EQ(svc().CreateUser(As("olivia"), {"x", "x@example.com", "X", "password-x"}).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(svc().CreateUser(admin_, {"short", "s@example.com", "S", "1234567"}).error().field,
            "password");
  EXPECT_TRUE(svc().Verify("olivia", "password-olivia"));
  EXPECT_TRUE(svc().Verify("Olivia", "password-olivia"));  // logins are case-insensitive
  EXPECT_EQ(svc().Verify("olivia", "password-olivib").error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(svc().Verify("nobody", "password").error().message, "invalid credentials");
  EXPECT_EQ(svc().SetUserDisabled(admin_, admin_.id, true).error().code,
            ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(svc().SetUserDisabled(admin_, As("dave").id, true));
  EXPECT_EQ(svc().Verify("dave", "password-dave").error().message, "invalid credentials");
  ASSERT_TRUE(svc().SetUserDisabled(admin_, As("dave").id, false));
  EXPECT_TRUE(svc().Verify("dave", "password-dave"));
}

TEST(PopulateTest, SampleDataKeepsEveryRule) {
  ASSERT_TRUE(InitSecrets());
  auto db = FreshDatabase("populate");
  auto report = Populate(*db, {.communities = 2000, .seed = 7});
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_EQ(report->communities, 2000);
  EXPECT_GT(report->subcommunities, 0);
  auto lease = *db->Acquire();
  auto count = [&](const char* sql) { return lease->QueryInt(sql)->value_or(-1); };
  EXPECT_EQ(count("SELECT COUNT(*) FROM communities"), 2000);
  // Every community has an owner and an accurate member count.
  EXPECT_EQ(count("SELECT COUNT(*) FROM communities c WHERE NOT EXISTS (SELECT 1 FROM members m "
                  "WHERE m.community_uuid = c.uuid AND m.role = 1)"),
            0);
  EXPECT_EQ(
      count("SELECT COUNT(*) FROM communities c WHERE c.member_count <> (SELECT COUNT(*) FROM "
            "members m WHERE m.community_uuid = c.uuid)"),
      0);
  // A subcommunity's members all belong to its parent, and a restricted parent's are restricted.
  EXPECT_EQ(count("SELECT COUNT(*) FROM members m JOIN communities c ON c.uuid = m.community_uuid "
                  "WHERE c.parent_uuid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM members p WHERE "
                  "p.community_uuid = c.parent_uuid AND p.user_id = m.user_id)"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM communities c JOIN communities p ON p.uuid = c.parent_uuid "
                  "WHERE p.visibility = 'private' AND c.visibility <> 'private'"),
            0);
  // Every community has the mandatory widgets; some have thousands of members; some restricted.
  EXPECT_EQ(count("SELECT COUNT(*) FROM communities c WHERE NOT EXISTS (SELECT 1 FROM widgets w "
                  "WHERE w.community_uuid = c.uuid AND w.widget_def_id = 'Members')"),
            0);
  EXPECT_GT(count("SELECT COUNT(*) FROM communities WHERE visibility = 'private'"), 200);
  EXPECT_GT(count("SELECT MAX(member_count) FROM communities"), 40);
  // The indexes dropped for the load are back.
  EXPECT_EQ(count("SELECT COUNT(*) FROM sqlite_master WHERE name = 'members_by_user'"), 1);
  // Same seed, same data.
  auto again = FreshDatabase("populate-again");
  ASSERT_TRUE(Populate(*again, {.communities = 2000, .seed = 7}));
  auto l2 = *again->Acquire();
  auto digest = [](db::Connection& c) {
    return *c.QueryInt(
        "SELECT SUM(LENGTH(uuid) + member_count * 7 + LENGTH(name)) FROM communities");
  };
  EXPECT_EQ(digest(*lease), digest(*l2));
  auto uuids = [](db::Connection& c) {
    return *c.QueryTexts("SELECT uuid FROM communities ORDER BY created, uuid");
  };
  auto first = uuids(*lease);
  EXPECT_EQ(first, uuids(*l2)) << "the same seed makes the same uuids";
  // Made oldest first with time-ordered (version 7) uuids, which sort as they were made.
  EXPECT_TRUE(std::is_sorted(first.begin(), first.end()));
  ASSERT_FALSE(first.empty());
  EXPECT_TRUE(IsUuid(first.front()));
  EXPECT_EQ(first.front()[14], '7') << first.front();
  // A deployment with communities is not populated again.
  auto twice = Populate(*db, {.communities = 10, .seed = 1});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace concord::communities

namespace concord::communities {
namespace {

// Lifecycle events: which changes produce which events, for which applications.
TEST(LifecycleEventsTest, EveryChangeQueuesItsEventForTheApplicationsThatShouldHearIt) {
  ASSERT_TRUE(InitSecrets());
  auto db = FreshDatabase("events");
  int wakeups = 0;
  CommunitiesService svc(
      {.database = db,
       .subscriptions = {.applications = {"Blog", "Files", "Forum", "StatusUpdates", "Activities"},
                         .without_widget = {"Files", "Activities"}},
       .events_committed = [&] { ++wakeups; }});
  ASSERT_TRUE(svc.EnsureInitialAdmin([](const std::string&) { return Ok(); }));
  Actor admin{svc.GetUser(Actor{UserId(), true}, "admin")->id, true};
  auto u = svc.CreateUser(admin, {"erin", "erin@example.com", "Erin", "password-erin"});
  ASSERT_TRUE(u);

  auto lease = *db->Acquire();
  // (event type, application) pairs queued since `after`, in order.
  auto queued = [&](int64_t after) {
    std::vector<std::string> out;
    auto rows = lease->Query(
        "SELECT event_type, remote_app_def_id FROM event_queue WHERE seq > $1 ORDER BY seq, "
        "remote_app_def_id",
        after);
    while (*rows->Next()) out.push_back(rows->Text(0) + " " + rows->Text(1));
    return out;
  };
  auto last_seq = [&] {
    return lease->QueryInt("SELECT MAX(seq) FROM lifecycle_events")->value_or(0);
  };

  auto c = svc.Create(admin, {.name = "Evented"});
  ASSERT_TRUE(c);
  // Activities, which keeps every community, hears of it without its widget.
  EXPECT_EQ(queued(0), (std::vector<std::string>{"remote.app.added Files", "remote.app.added Forum",
                                                 "remote.app.added StatusUpdates",
                                                 "community.updated Activities"}));
  int64_t seq = last_seq();
  ASSERT_TRUE(svc.AddWidget(admin, c->uuid, "Blog", std::nullopt));
  ASSERT_TRUE(svc.AddWidget(admin, c->uuid, "Wiki", std::nullopt));  // not subscribed here
  // The widget's own application hears remote.app.added; every application of the community
  // (Blog included) hears widget.added, for each of the two widgets, so its record follows
  // every version. (Wiki has no subscription here.)
  EXPECT_EQ(queued(seq),
            (std::vector<std::string>{
                "remote.app.added Blog", "widget.added Activities", "widget.added Blog",
                "widget.added Files", "widget.added Forum", "widget.added StatusUpdates",
                "widget.added Activities", "widget.added Blog", "widget.added Files",
                "widget.added Forum", "widget.added StatusUpdates"}));
  seq = last_seq();
  ASSERT_TRUE(
      svc.Update(admin, c->uuid, {.name = "Renamed", .visibility = Visibility::kRestricted}));
  // Activities has no widget but keeps community shares: it hears community events too.
  EXPECT_EQ(queued(seq),
            (std::vector<std::string>{
                "community.visibility.changed Activities", "community.visibility.changed Blog",
                "community.visibility.changed Files", "community.visibility.changed Forum",
                "community.visibility.changed StatusUpdates", "community.updated Activities",
                "community.updated Blog", "community.updated Files", "community.updated Forum",
                "community.updated StatusUpdates"}));
  seq = last_seq();
  ASSERT_TRUE(svc.AddMembers(admin, c->uuid, {"erin"}, Role::kMember));
  ASSERT_TRUE(svc.SetRole(admin, c->uuid, u->id, Role::kOwner));
  ASSERT_TRUE(svc.RemoveMember(admin, c->uuid, u->id));
  auto member_events = queued(seq);
  ASSERT_EQ(member_events.size(), 15u);
  EXPECT_EQ(member_events[0], "community.members.added Activities");
  EXPECT_EQ(member_events[5], "community.members.modified Activities");
  EXPECT_EQ(member_events[10], "community.members.removed Activities");

  // The payload is the full state after the change. (An open cursor keeps its connection's
  // read snapshot, so it is closed before the next queries.)
  std::string text;
  {
    auto payload = lease->Query(
        "SELECT payload FROM lifecycle_events WHERE event_type = "
        "'community.members.modified'");
    ASSERT_TRUE(*payload->Next());
    text = payload->Text(0);
  }
  auto event = lifecycle::EventFromJson(nlohmann::json::parse(text));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->community.name, "Renamed");
  EXPECT_EQ(event->community.visibility, "private");
  EXPECT_EQ(event->community.owners.size(), 2u);
  EXPECT_EQ(event->community.version, svc.Get(admin, c->uuid)->community.version - 1);

  seq = last_seq();
  auto widgets = *svc.ListWidgets(admin, c->uuid);
  for (const auto& w : widgets) {
    if (w.widget_def_id == "Blog") {
      ASSERT_TRUE(svc.RemoveWidget(admin, c->uuid, w.instance_id));
    }
  }
  // Blog's widget is gone: it hears remote.app.removed, the others widget.removed.
  EXPECT_EQ(queued(seq),
            (std::vector<std::string>{"remote.app.removed Blog", "widget.removed Activities",
                                      "widget.removed Files", "widget.removed Forum",
                                      "widget.removed StatusUpdates"}));
  seq = last_seq();
  ASSERT_TRUE(svc.Trash(admin, c->uuid));
  ASSERT_TRUE(svc.Purge(admin, c->uuid));
  auto end_events = queued(seq);
  // Blog's widget is gone: Activities, Files, Forum and StatusUpdates hear each of the two.
  ASSERT_EQ(end_events.size(), 8u);
  EXPECT_EQ(end_events[0], "community.visibility.changed Activities");
  EXPECT_EQ(end_events[4], "community.prepare.delete Activities");
  EXPECT_GT(wakeups, 5);
  // EventLogCleanup keeps what a delivery still needs, and trims the rest once it is old enough.
  int64_t logged = lease->QueryInt("SELECT COUNT(*) FROM lifecycle_events")->value_or(0);
  EXPECT_EQ(*svc.TrimEventLog(NowMillis() - kMillisPerDay), 0);           // nothing is a day old
  ASSERT_TRUE(lease->Execute("DELETE FROM event_queue WHERE seq <= 3"));  // as if delivered
  EXPECT_EQ(*svc.TrimEventLog(NowMillis() + kMillisPerDay), 3);           // only the delivered ones
  EXPECT_EQ(lease->QueryInt("SELECT COUNT(*) FROM lifecycle_events")->value_or(0), logged - 3);
  // A change that does nothing produces no event.
  auto d = *svc.Create(admin, {.name = "Quiet"});
  seq = last_seq();
  ASSERT_TRUE(svc.Update(admin, d.uuid, {.name = "Quiet"}));
  EXPECT_TRUE(queued(seq).empty());
}

}  // namespace
}  // namespace concord::communities

namespace concord::communities {
namespace {

// The reference's Blog <lifecycle> block subscribes to five event types only.
// The log's sequence never goes back: not when EventLogCleanup trims every event, and not
// below a floor set after Communities was restored from an older backup.
TEST(LifecycleEventsTest, TheSequenceNeverComesRoundTwice) {
  ASSERT_TRUE(InitSecrets());
  auto db = FreshDatabase("sequence");
  CommunitiesService svc({.database = db, .subscriptions = {.applications = {"Forum"}}});
  ASSERT_TRUE(svc.EnsureInitialAdmin([](const std::string&) { return Ok(); }));
  Actor admin{svc.GetUser(Actor{UserId(), true}, "admin")->id, true};
  auto lease = *db->Acquire();
  auto c = svc.Create(admin, {.name = "Counted"});
  ASSERT_TRUE(c);
  auto bounds = svc.EventLog(admin);
  ASSERT_TRUE(bounds);
  int64_t last = bounds->last;
  EXPECT_GT(last, 0);
  ASSERT_TRUE(lease->Execute("DELETE FROM event_queue"));  // as if all delivered
  EXPECT_GT(*svc.TrimEventLog(NowMillis() + kMillisPerDay), 0);
  bounds = svc.EventLog(admin);
  EXPECT_EQ(bounds->first, 0);  // the log is empty
  EXPECT_EQ(bounds->assigned, last);
  ASSERT_TRUE(svc.Update(admin, c->uuid, {.name = "Counted Again"}));
  EXPECT_EQ(svc.EventLog(admin)->first, last + 1);

  EXPECT_FALSE(svc.AdvanceEventSequence(Actor{admin.id, false}, 1000, 0));  // administrators only
  EXPECT_FALSE(svc.AdvanceEventSequence(admin, -1, 0));
  ASSERT_TRUE(svc.AdvanceEventSequence(admin, 1000, 0));
  ASSERT_TRUE(svc.AdvanceEventSequence(admin, 10, 0));  // never lowers it
  ASSERT_TRUE(svc.Update(admin, c->uuid, {.name = "After The Floor"}));
  EXPECT_EQ(svc.EventLog(admin)->last, 1001);
}

// After a restore of Communities older than the applications, they hold versions the restored
// database never reached: with the floor raised above them, every later change is newer.
TEST(LifecycleEventsTest, VersionsNeverGoBackPastTheFloor) {
  ASSERT_TRUE(InitSecrets());
  auto db = FreshDatabase("version-floor");
  CommunitiesService svc({.database = db, .subscriptions = {.applications = {"Forum"}}});
  ASSERT_TRUE(svc.EnsureInitialAdmin([](const std::string&) { return Ok(); }));
  Actor admin{svc.GetUser(Actor{UserId(), true}, "admin")->id, true};
  auto c = svc.Create(admin, {.name = "Versioned"});
  ASSERT_TRUE(c);
  auto renamed = svc.Update(admin, c->uuid, {.name = "Versioned Twice"});
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->version, c->version + 1);
  EXPECT_EQ(svc.EventLog(admin)->version_floor, 0);

  EXPECT_FALSE(svc.AdvanceEventSequence(Actor{admin.id, false}, 0, 500));
  auto negative = svc.AdvanceEventSequence(admin, 0, -1);
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().field, "versionAtLeast");
  ASSERT_TRUE(svc.AdvanceEventSequence(admin, 0, 500));
  ASSERT_TRUE(svc.AdvanceEventSequence(admin, 0, 20));  // never lowers it
  EXPECT_EQ(svc.EventLog(admin)->version_floor, 500);
  auto after = svc.Update(admin, c->uuid, {.name = "Above The Floor"});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->version, 501);
  auto next = svc.Update(admin, c->uuid, {.name = "And On"});
  ASSERT_TRUE(next);
  EXPECT_EQ(next->version, 502);  // above its own version once past the floor
  auto created = svc.Create(admin, {.name = "Born After The Floor"});
  ASSERT_TRUE(created);
  EXPECT_EQ(created->version, 501);
  // Trash, restore and the purge are changes too.
  auto trashed = svc.Trash(admin, c->uuid);
  ASSERT_TRUE(trashed);
  EXPECT_EQ(trashed->version, 503);
  auto restored = svc.Restore(admin, c->uuid);
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->version, 504);
  ASSERT_TRUE(svc.Trash(admin, c->uuid));
  ASSERT_TRUE(svc.PurgeExpired(NowMillis() + 1000 * kMillisPerDay));
  // The events the applications hear carry those versions, the purge's last.
  auto lease = *db->Acquire();
  auto payloads = lease->QueryTexts(
      "SELECT payload FROM lifecycle_events WHERE community_uuid = $1 ORDER BY seq", c->uuid);
  ASSERT_TRUE(payloads);
  std::vector<int64_t> versions;  // each change's, in order (a change may log several events)
  for (const auto& p : *payloads) {
    int64_t v = nlohmann::json::parse(p)["community"]["version"];
    if (v > 500 && (versions.empty() || versions.back() != v)) versions.push_back(v);
  }
  EXPECT_EQ(versions, (std::vector<int64_t>{501, 502, 503, 504, 505, 506}));
  auto last = nlohmann::json::parse(payloads->back());
  EXPECT_EQ(last["eventType"], "community.prepare.delete") << payloads->back();
  EXPECT_EQ(last["community"]["version"], 506) << payloads->back();

  // Neither the sequence nor the floor goes past what a JSON reader using doubles reads exactly.
  constexpr int64_t kMax = CommunitiesService::kMaxSequence;
  auto too_high = svc.AdvanceEventSequence(admin, 0, kMax + 1);
  ASSERT_FALSE(too_high);
  EXPECT_EQ(too_high.error().field, "versionAtLeast");
  too_high = svc.AdvanceEventSequence(admin, kMax + 1, 0);
  ASSERT_FALSE(too_high);
  EXPECT_EQ(too_high.error().field, "atLeast");
  EXPECT_EQ(svc.EventLog(admin)->version_floor, 500) << "a refused advance changes nothing";
}

TEST(LifecycleEventsTest, AnApplicationHearsOnlyTheEventTypesItIsSubscribedTo) {
  ASSERT_TRUE(InitSecrets());
  auto db = FreshDatabase("subscriptions");
  using lifecycle::EventType;
  CommunitiesService svc(
      {.database = db,
       .subscriptions = {.applications = {"Blog", "Forum"},
                         .events = {{"Blog",
                                     {EventType::kRemoteAppAdded, EventType::kRemoteAppRemoved,
                                      EventType::kVisibilityChanged, EventType::kPrepareDelete,
                                      EventType::kRemoteAppTransfer}}}}});
  ASSERT_TRUE(svc.EnsureInitialAdmin([](const std::string&) { return Ok(); }));
  Actor admin{svc.GetUser(Actor{UserId(), true}, "admin")->id, true};
  auto c = *svc.Create(admin, {.name = "Subscribed"});
  ASSERT_TRUE(svc.AddWidget(admin, c.uuid, "Blog", std::nullopt));
  auto lease = *db->Acquire();
  auto count = [&](const char* app, const char* type) {
    return lease
        ->QueryInt(
            "SELECT COUNT(*) FROM event_queue WHERE remote_app_def_id = $1 AND event_type = $2",
            app, type)
        ->value_or(-1);
  };
  ASSERT_TRUE(svc.Update(admin, c.uuid, {.name = "Renamed"}));
  ASSERT_TRUE(svc.Update(admin, c.uuid, {.visibility = Visibility::kRestricted}));
  EXPECT_EQ(count("Blog", "remote.app.added"), 1);
  EXPECT_EQ(count("Blog", "community.updated"), 0);
  EXPECT_EQ(count("Blog", "widget.added"), 0);
  EXPECT_EQ(count("Blog", "community.visibility.changed"), 1);
  EXPECT_EQ(count("Forum", "community.updated"), 1);
  EXPECT_EQ(count("Forum", "widget.added"), 1);
}

TEST(QueuedEventsTest, AdministratorsViewPageAndClearTheQueueByEveryFilter) {
  ASSERT_TRUE(InitSecrets());
  auto db = FreshDatabase("queue");
  CommunitiesService svc(
      {.database = db, .subscriptions = {.applications = {"Blog", "Files", "Forum"}}});
  ASSERT_TRUE(svc.EnsureInitialAdmin([](const std::string&) { return Ok(); }));
  Actor admin{svc.GetUser(Actor{UserId(), true}, "admin")->id, true};
  auto a = *svc.Create(admin, {.name = "Queue A"});  // remote.app.added: Files, Forum
  auto b = *svc.Create(admin, {.name = "Queue B"});
  ASSERT_TRUE(svc.Update(admin, a.uuid, {.name = "Queue A2"}));  // community.updated x2

  auto summary = svc.QueuedEventsSummary(admin);
  ASSERT_TRUE(summary);
  ASSERT_EQ(summary->size(), 2u);
  EXPECT_EQ((*summary)[0].remote_app_def_id, "Files");
  EXPECT_EQ((*summary)[0].events, 3);
  EXPECT_EQ((*summary)[1].remote_app_def_id, "Forum");
  EXPECT_GT((*summary)[0].earliest, 0);

  // Paging two at a time visits the six deliveries once each, in order.
  std::vector<std::string> seen;
  std::string after;
  do {
    auto page = svc.ListQueuedEvents(admin, {}, after, 2);
    ASSERT_TRUE(page) << page.error().ToString();
    for (const auto& e : page->items) {
      seen.push_back(e.event_type + " " + e.remote_app_def_id + " " + e.community.value());
      EXPECT_EQ(e.state, "pending");
    }
    after = page->next.value_or("");
  } while (!after.empty());
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_EQ(seen[0], "remote.app.added Files " + a.uuid.value());
  EXPECT_EQ(seen[5], "community.updated Forum " + a.uuid.value());

  auto only = [&](const QueuedEventFilter& f) {
    auto page = svc.ListQueuedEvents(admin, f, "", 500);
    EXPECT_TRUE(page) << page.error().ToString();
    return page ? page->items.size() : 0u;
  };
  EXPECT_EQ(only({.remote_app_def_id = "Forum"}), 3u);
  EXPECT_EQ(only({.community = b.uuid}), 2u);
  EXPECT_EQ(only({.remote_app_def_id = "Files", .event_type = "community.updated"}), 1u);
  auto first = svc.ListQueuedEvents(admin, {}, "", 1)->items[0];
  EXPECT_EQ(only({.event_id = first.event_id}), 1u);

  // Bad filter values are named, with the accepted values; non-administrators see nothing.
  auto bad = svc.ListQueuedEvents(admin, {.remote_app_def_id = "blog"}, "", 10);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "remoteAppDefId");
  EXPECT_NE(std::find(bad.error().accepted.begin(), bad.error().accepted.end(), "Blog"),
            bad.error().accepted.end());
  EXPECT_EQ(svc.ListQueuedEvents(admin, {.event_type = "community.renamed"}, "", 10).error().field,
            "eventType");
  EXPECT_EQ(svc.ListQueuedEvents(admin, {.community = CommunityUuid("x")}, "", 10).error().field,
            "resourceId");
  EXPECT_EQ(svc.ListQueuedEvents(admin, {}, "garbage", 10).error().field, "after");
  EXPECT_EQ(svc.ClearQueuedEvents(admin, {.remote_app_def_id = "Members"}).error().field,
            "remoteAppDefId");
  Actor someone{UserId("u-1"), false};
  EXPECT_EQ(svc.QueuedEventsSummary(someone).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(svc.ClearQueuedEvents(someone, {}).error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(only({}), 6u);  // none of that changed anything

  // Clearing by event id, by community and by application; the events stay in the log.
  EXPECT_EQ(*svc.ClearQueuedEvents(admin, {.event_id = first.event_id}), 1);
  EXPECT_EQ(*svc.ClearQueuedEvents(admin, {.community = b.uuid}), 2);
  EXPECT_EQ(*svc.ClearQueuedEvents(admin, {.remote_app_def_id = "Forum"}), 2);
  EXPECT_EQ(only({}), 1u);
  EXPECT_EQ(*svc.ClearQueuedEvents(admin, {}), 1);
  EXPECT_EQ(only({}), 0u);
  EXPECT_TRUE(svc.QueuedEventsSummary(admin)->empty());
  auto lease = *db->Acquire();
  EXPECT_EQ(lease->QueryInt("SELECT COUNT(*) FROM lifecycle_events")->value_or(0), 5);
}

// What concord recover sets aside is cleared by its ids: an event queued after the listing, or
// another application's delivery of a listed event, stays queued; clearing again clears nothing.
TEST(QueuedEventsTest, ClearingListedEventIdsLeavesEverythingElseQueued) {
  ASSERT_TRUE(InitSecrets());
  auto db = FreshDatabase("queue-ids");
  CommunitiesService svc(
      {.database = db, .subscriptions = {.applications = {"Blog", "Files", "Forum"}}});
  ASSERT_TRUE(svc.EnsureInitialAdmin([](const std::string&) { return Ok(); }));
  Actor admin{svc.GetUser(Actor{UserId(), true}, "admin")->id, true};
  auto a = *svc.Create(admin, {.name = "Listed"});
  auto listed = svc.ListQueuedEvents(admin, {.remote_app_def_id = "Forum"}, "", 500);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 1u);
  ASSERT_TRUE(svc.Update(admin, a.uuid, {.name = "Renamed After The Listing"}));

  QueuedEventFilter f{.remote_app_def_id = "Forum"};
  for (const auto& e : listed->items) f.event_ids.push_back(e.event_id);
  EXPECT_EQ(*svc.ClearQueuedEvents(admin, f), 1);
  EXPECT_EQ(*svc.ClearQueuedEvents(admin, f), 0) << "already cleared";
  auto forum = svc.ListQueuedEvents(admin, {.remote_app_def_id = "Forum"}, "", 500);
  ASSERT_EQ(forum->items.size(), 1u);
  EXPECT_EQ(forum->items[0].event_type, "community.updated");
  auto files = svc.ListQueuedEvents(admin, {.remote_app_def_id = "Files"}, "", 500);
  EXPECT_EQ(files->items.size(), 2u) << "the same event's delivery to Files stays";

  QueuedEventFilter bad{.event_ids = {EventId("not-a-uuid")}};
  EXPECT_EQ(svc.ClearQueuedEvents(admin, bad).error().field, "eventIds");
  QueuedEventFilter many;
  many.event_ids.assign(CommunitiesService::kMaxEventIdsPerCall + 1, files->items[0].event_id);
  EXPECT_EQ(svc.ClearQueuedEvents(admin, many).error().field, "eventIds");
  EXPECT_EQ(svc.ListQueuedEvents(admin, {}, "", 500)->items.size(), 3u) << "nothing changed";
}

TEST(QueuedEventsTest, RemoveAllWidgetsRemovesEveryInstanceWithItsEvents) {
  ASSERT_TRUE(InitSecrets());
  auto db = FreshDatabase("remove-all");
  CommunitiesService svc({.database = db, .subscriptions = {.applications = {"Blog", "Forum"}}});
  ASSERT_TRUE(svc.EnsureInitialAdmin([](const std::string&) { return Ok(); }));
  Actor admin{svc.GetUser(Actor{UserId(), true}, "admin")->id, true};
  std::vector<CommunityUuid> with_blog;
  for (int i = 0; i < 5; ++i) {
    auto c = *svc.Create(admin, {.name = "Blogging " + std::to_string(i)});
    if (i != 2) {
      ASSERT_TRUE(svc.AddWidget(admin, c.uuid, "Blog", std::nullopt));
      with_blog.push_back(c.uuid);
    }
  }
  ASSERT_TRUE(svc.Trash(admin, with_blog.back()));  // a trashed community keeps its widget
  EXPECT_EQ(svc.RemoveAllWidgets(admin, "blog").error().field, "widgetDefId");
  EXPECT_EQ(svc.RemoveAllWidgets(admin, "Members").error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(svc.RemoveAllWidgets(Actor{UserId("u-1"), false}, "Blog").error().code,
            ErrorCode::kPermissionDenied);
  auto removed = svc.RemoveAllWidgets(admin, "Blog");
  ASSERT_TRUE(removed) << removed.error().ToString();
  EXPECT_EQ(*removed, 3);
  for (size_t i = 0; i + 1 < with_blog.size(); ++i) {
    auto widgets = svc.ListWidgets(admin, with_blog[i]);
    ASSERT_TRUE(widgets);
    for (const auto& w : *widgets) EXPECT_NE(w.widget_def_id, "Blog");
  }
  auto lease = *db->Acquire();
  EXPECT_EQ(lease
                ->QueryInt("SELECT COUNT(*) FROM event_queue WHERE remote_app_def_id = 'Blog' AND "
                           "event_type = 'remote.app.removed'")
                ->value_or(0),
            3);
  EXPECT_EQ(*svc.RemoveAllWidgets(admin, "Blog"), 0);
}

// Resync waits for its deliveries on what the dispatcher reports, not by polling the queue: the
// wait ends when the deliveries are reported, long before its deadline.
TEST(LifecycleEventsTest, ResyncWaitEndsWhenTheDispatcherReportsTheDeliveries) {
  ASSERT_TRUE(InitSecrets());
  auto db = FreshDatabase("progress");
  auto progress = std::make_shared<DeliveryProgress>();
  CommunitiesService svc(
      {.database = db, .subscriptions = {.applications = {"Blog"}}, .deliveries = progress});
  ASSERT_TRUE(svc.EnsureInitialAdmin([](const std::string&) { return Ok(); }));
  Actor admin{svc.GetUser(Actor{UserId(), true}, "admin")->id, true};
  auto c = svc.Create(admin, {.name = "Resynced"});
  ASSERT_TRUE(c);
  ASSERT_TRUE(svc.AddWidget(admin, c->uuid, "Blog", std::nullopt));

  // A stand-in for the dispatcher: delivers everything a moment later, and says so.
  std::thread dispatcher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto lease = *db->Acquire();
    ASSERT_TRUE(lease->Execute("DELETE FROM event_queue"));
    progress->Settled();
  });
  auto start = std::chrono::steady_clock::now();
  auto r = svc.Resync(admin, {c->uuid}, "Blog", std::chrono::seconds(30));
  auto took = std::chrono::steady_clock::now() - start;
  dispatcher.join();
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->events, 1);
  EXPECT_EQ(r->still_queued, 0);
  EXPECT_LT(took, std::chrono::seconds(10));
}

}  // namespace
}  // namespace concord::communities

namespace concord::communities {
namespace {

TEST(WebSessionTest, ASessionEndsIdleExpiredSignedOutOrWithItsUser) {
  ASSERT_TRUE(InitSecrets());
  auto db = FreshDatabase("sessions");
  CommunitiesService svc({.database = db, .trash_retention_days = 30});
  ASSERT_TRUE(svc.EnsureInitialAdmin([](const std::string&) { return Ok(); }));
  Actor admin{svc.GetUser(Actor{UserId(), true}, "admin")->id, true};
  auto u = svc.CreateUser(admin, {"sam", "sam@example.com", "Sam", "password-sam"});
  ASSERT_TRUE(u) << u.error().ToString();
  Actor sam{u->id, false};

  auto started = svc.StartSession(sam);
  ASSERT_TRUE(started) << started.error().ToString();
  EXPECT_GE(started->token.size(), 40u);
  EXPECT_EQ(started->session.user.login, "sam");
  auto found = svc.FindSession(started->token);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->csrf_token, started->session.csrf_token);
  // Only the token's digest is stored.
  auto lease = *db->Acquire();
  auto count = [&](const std::string& sql) { return lease->QueryInt(sql)->value_or(-1); };
  EXPECT_EQ(count("SELECT COUNT(*) FROM web_sessions WHERE token_hash = '" + started->token + "'"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM web_sessions"), 1);

  // Left idle past its idle deadline, or past its end: gone.
  ASSERT_TRUE(lease->Execute("UPDATE web_sessions SET idle_until = 1"));
  auto idle = svc.FindSession(started->token);
  ASSERT_FALSE(idle);
  EXPECT_EQ(idle.error().code, ErrorCode::kUnauthenticated);
  auto second = svc.StartSession(sam);  // removes the ended one
  ASSERT_TRUE(second);
  EXPECT_EQ(count("SELECT COUNT(*) FROM web_sessions"), 1);
  ASSERT_TRUE(lease->Execute("UPDATE web_sessions SET expires_at = 1"));
  EXPECT_FALSE(svc.FindSession(second->token));

  // Signed out; or its user disabled.
  auto third = svc.StartSession(sam);
  ASSERT_TRUE(third);
  ASSERT_TRUE(svc.EndSession(third->token));
  EXPECT_FALSE(svc.FindSession(third->token));
  auto fourth = svc.StartSession(sam);
  ASSERT_TRUE(fourth);
  ASSERT_TRUE(svc.SetUserDisabled(admin, sam.id, true));
  EXPECT_FALSE(svc.FindSession(fourth->token));
  EXPECT_FALSE(svc.StartSession(sam));  // a disabled user gets none
  // Nonsense is no session.
  EXPECT_FALSE(svc.FindSession(""));
  EXPECT_FALSE(svc.FindSession(std::string(5000, 'x')));
}

}  // namespace
}  // namespace concord::communities
