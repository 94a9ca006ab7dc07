// The content rules applications share (content.h), on the test application's notes (a
// container per Note or Memo widget), their items and the replies to an item, on a temporary
// SQLite database. Communities are made known to the application the way Communities does it:
// by lifecycle events.
#include "concord/remoteapp/content.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "concord/db/migration.h"

namespace concord::remoteapp {
namespace test {
db::MigrationList Migrations();
}  // namespace test
namespace {

namespace fs = std::filesystem;
using lifecycle::EventType;
using lifecycle::LifecycleEvent;

const ItemKind kItems{.noun = "item",
                      .a_noun = "an item",
                      .table = "note_items",
                      .parent_column = "note_id",
                      .titled = true,
                      .counts = {{"note_likes", "item_id"}, {"note_replies", "item_id"}},
                      .content_length = 50,
                      .multiline = true,
                      .content_optional = true,
                      .add_denied = "only members of the community write items"};
const ItemKind kReplies{.noun = "reply",
                        .a_noun = "a reply",
                        .table = "note_replies",
                        .parent_column = "item_id",
                        .content_length = 20,
                        .add_denied = "only members of the community reply"};

const Principal kOwner{UserId("u-owner"), "owner", false};
const Principal kMember{UserId("u-member"), "member", false};
const Principal kOtherMember{UserId("u-other"), "other", false};
const Principal kStranger{UserId("u-stranger"), "stranger", false};
const Principal kAdmin{UserId("u-admin"), "admin", true};

class ContentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("concord-content-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = db::Database::Open("sqlite:notes.db", {.base_dir = dir_});
    ASSERT_TRUE(db) << db.error().ToString();
    db_ = *db;
    ASSERT_TRUE(db::Migrate(*db_, test::Migrations(), "notes"));
    app_ = std::make_unique<ContentApplication>(
        AppDefinition{
            .service = "notes",
            .remote_app_defs = {"Note", "Memo"},
            .base_path = "/notes/api",
            .resources = {.table = "notes", .title_column = "title", .app_column = "app"}},
        ContainerKind{.noun = "note",
                      .plural = "notes",
                      .sample = {&kItems, "About {}", "Written for {}."},
                      .trash_all_of_community = trash_all_},
        db_);
  }
  void TearDown() override {
    app_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  // The community `uuid` (public or private) with its Note widget: returns the note's id.
  std::string Community(const std::string& uuid, const std::string& visibility,
                        bool in_trash = false) {
    LifecycleEvent e;
    e.id = EventId(NewUuid());
    e.seq = ++seq_;
    e.type = EventType::kRemoteAppAdded;
    e.created = NowMillis();
    e.actor = kOwner.id;
    e.community.uuid = CommunityUuid(uuid);
    e.community.name = "Community " + uuid;
    e.community.visibility = visibility;
    e.community.in_trash = in_trash;
    e.community.version = seq_;
    e.community.owners = {kOwner.id};
    e.community.members = {kMember.id, kOtherMember.id};
    e.widget = lifecycle::WidgetRef{WidgetInstanceId("w-" + uuid), "Note", std::nullopt};
    auto lease = db_->Acquire();
    EXPECT_TRUE(lease);
    auto r = app_->application().Populate(**lease, "Note", e);
    EXPECT_TRUE(r) << r.error().ToString();
    return r && *r ? **r : "";
  }

  template <typename F>
  auto InTx(F&& f) {
    using R = decltype(f(std::declval<db::Connection&>()));
    return db_->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> R { return f(c); });
  }

  Content& content() { return app_->content(); }

  fs::path dir_;
  bool trash_all_ = false;
  int64_t seq_ = 0;
  std::shared_ptr<db::Database> db_;
  std::unique_ptr<ContentApplication> app_;
};

TEST_F(ContentTest, AccessFollowsTheSyncedRecord) {
  std::string open = Community("c-public", "public");
  std::string closed = Community("c-private", "private");
  auto access = [&](const Principal& who, const std::string& id) {
    return InTx([&](db::Connection& c) { return content().Container(c, who, id); });
  };
  EXPECT_EQ(access(kOwner, open)->access, Access::kOwn);
  EXPECT_EQ(access(kMember, open)->access, Access::kContribute);
  EXPECT_EQ(access(kStranger, open)->access, Access::kRead);
  EXPECT_EQ(access(kAdmin, closed)->access, Access::kOwn);
  EXPECT_EQ(access(kMember, closed)->access, Access::kContribute);
  // A private community's note does not exist for a stranger: the same answer as a made-up id.
  auto hidden = access(kStranger, closed);
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(hidden.error().message, "note " + closed + " not found");
  auto unknown = access(kStranger, "no-such-note");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "note no-such-note not found");
  // The container carries its community and remoteAppDefId, and the record its name.
  auto seen = access(kMember, closed);
  EXPECT_EQ(seen->container.community.value(), "c-private");
  EXPECT_EQ(seen->container.app, "Note");
  EXPECT_EQ(seen->record.name, "Community c-private");
}

TEST_F(ContentTest, PopulateWritesTheSampleItem) {
  std::string note = Community("c1", "public");
  auto items =
      InTx([&](db::Connection& c) { return content().Items(c, kStranger, kItems, note, ""); });
  ASSERT_TRUE(items) << items.error().ToString();
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ(items->front().title, "About Community c1");
  EXPECT_EQ(items->front().content, "Written for Community c1.");
  EXPECT_EQ(items->front().author, kOwner.id);
}

TEST_F(ContentTest, MembersAddItemsAndReadersDoNot) {
  std::string note = Community("c1", "public");
  auto add = [&](const Principal& who) {
    return InTx([&](db::Connection& c) -> Result<Item> {
      CONCORD_ASSIGN_OR_RETURN(Visible v, content().Container(c, who, note));
      return content().Add(c, who, kItems, v, {"Title", "Text"});
    });
  };
  auto added = add(kMember);
  ASSERT_TRUE(added) << added.error().ToString();
  EXPECT_EQ(added->author, kMember.id);
  EXPECT_EQ(added->parent_id, note);
  EXPECT_EQ(added->counts, (std::vector<int64_t>{0, 0}));
  auto refused = add(kStranger);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(refused.error().message, "only members of the community write items");
  auto stored = InTx([&](db::Connection& c) { return content().Find(c, kItems, added->id); });
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->title, "Title");
  EXPECT_EQ((*stored)->content, "Text");
}

TEST_F(ContentTest, ItemTextIsChecked) {
  EXPECT_TRUE(ValidItemText(kItems, "A title", "two\nlines"));
  auto title = ValidItemText(kItems, "two\nlines", "");
  ASSERT_FALSE(title);
  EXPECT_EQ(title.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(title.error().field, "title");
  EXPECT_FALSE(ValidItemText(kItems, std::string(kTitleLength + 1, 'x'), ""));
  auto long_content = ValidItemText(kItems, "t", std::string(51, 'x'));
  ASSERT_FALSE(long_content);
  EXPECT_EQ(long_content.error().field, "content");
  // A kind whose content is one line refuses a line break; an untitled kind ignores a title.
  EXPECT_FALSE(ValidItemText(kReplies, "", "a\nb"));
  auto reply = ValidItemText(kReplies, "ignored", "fine");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->title, "");
}

TEST_F(ContentTest, AuthorsAndOwnersDeleteOthersDoNot) {
  std::string note = Community("c1", "public");
  auto added = InTx([&](db::Connection& c) -> Result<Item> {
    CONCORD_ASSIGN_OR_RETURN(Visible v, content().Container(c, kMember, note));
    return content().Add(c, kMember, kItems, v, {"Mine", ""});
  });
  ASSERT_TRUE(added);
  auto del = [&](const Principal& who, const std::string& id) {
    return InTx([&](db::Connection& c) { return content().Delete(c, who, kItems, id); });
  };
  auto other = del(kOtherMember, added->id);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().message, "only the author and the community's owners delete an item");
  EXPECT_TRUE(del(kMember, added->id));
  auto again = del(kMember, added->id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "item " + added->id + " not found");
  // The owner deletes someone else's item (the sample, by the owner, is not it: add another).
  auto second = InTx([&](db::Connection& c) -> Result<Item> {
    CONCORD_ASSIGN_OR_RETURN(Visible v, content().Container(c, kOtherMember, note));
    return content().Add(c, kOtherMember, kItems, v, {"Theirs", ""});
  });
  ASSERT_TRUE(second);
  EXPECT_TRUE(del(kOwner, second->id));
}

TEST_F(ContentTest, RepliesAreCountedAndHiddenWithTheirContainer) {
  std::string note = Community("c-private", "private");
  auto item = InTx([&](db::Connection& c) -> Result<Item> {
    CONCORD_ASSIGN_OR_RETURN(Visible v, content().Container(c, kMember, note));
    return content().Add(c, kMember, kItems, v, {"Question", ""});
  });
  ASSERT_TRUE(item);
  auto reply = [&](const Principal& who, const std::string& text) {
    return InTx([&](db::Connection& c) {
      return content().AddOn(c, who, kItems, item->id, kReplies, {"", text});
    });
  };
  ASSERT_TRUE(reply(kOtherMember, "first"));
  // Replies are ordered by their time, in milliseconds (ties by id): let one pass.
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(reply(kOwner, "second"));
  auto stranger = reply(kStranger, "let me in");
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().code, ErrorCode::kNotFound);  // the item does not exist for them
  EXPECT_EQ(stranger.error().message, "item " + item->id + " not found");
  auto thread = InTx([&](db::Connection& c) { return content().Thread(c, kReplies, item->id); });
  ASSERT_TRUE(thread);
  ASSERT_EQ(thread->size(), 2u);
  EXPECT_EQ((*thread)[0].content, "first");
  EXPECT_EQ((*thread)[1].content, "second");
  auto counted = InTx([&](db::Connection& c) { return content().Find(c, kItems, item->id); });
  ASSERT_TRUE(counted && *counted);
  EXPECT_EQ((*counted)->counts, (std::vector<int64_t>{0, 2}));
  // Deleting the item takes its replies with it.
  ASSERT_TRUE(
      InTx([&](db::Connection& c) { return content().Delete(c, kOwner, kItems, item->id); }));
  thread = InTx([&](db::Connection& c) { return content().Thread(c, kReplies, item->id); });
  ASSERT_TRUE(thread);
  EXPECT_TRUE(thread->empty());
}

TEST_F(ContentTest, ItemsArePagedById) {
  std::string note = Community("c1", "public");
  ASSERT_TRUE(InTx([&](db::Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(Visible v, content().Container(c, kMember, note));
    for (size_t i = 0; i < kPageSize + 5; ++i) {
      CONCORD_RETURN_IF_ERROR(content().Add(c, kMember, kItems, v, {"n", ""}));
    }
    return Ok();
  }));
  auto first =
      InTx([&](db::Connection& c) { return content().Items(c, kMember, kItems, note, ""); });
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), kPageSize + 1);  // one more than a page says there is a next page
  auto rest = InTx([&](db::Connection& c) {
    return content().Items(c, kMember, kItems, note, (*first)[kPageSize - 1].id);
  });
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->size(), 6u);  // 106 in all (the sample and 105)
  EXPECT_LT((*first)[kPageSize - 1].id, rest->front().id);
}

TEST_F(ContentTest, OwnersManageContainers) {
  Community("c1", "public");
  auto add = [&](const Principal& who, const std::string& community) {
    return InTx([&](db::Connection& c) {
      return content().AddContainer(c, who, "Note", CommunityUuid(community), "Extra");
    });
  };
  auto member = add(kMember, "c1");
  ASSERT_FALSE(member);
  EXPECT_EQ(member.error().message, "only the community's owners create notes");
  auto unknown = add(kAdmin, "c-unknown");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "community c-unknown has no notes");
  auto extra = add(kOwner, "c1");
  ASSERT_TRUE(extra) << extra.error().ToString();
  auto listed = InTx([&](db::Connection& c) {
    return content().ContainersOf(c, kStranger, "Note", CommunityUuid("c1"));
  });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->containers.size(), 2u);
  // Oldest first: both were made in the same millisecond here, so look the new one up by id.
  auto found = std::find_if(listed->containers.begin(), listed->containers.end(),
                            [&](const Container& x) { return x.id == extra->id; });
  ASSERT_NE(found, listed->containers.end());
  EXPECT_EQ(found->title, "Extra");
  auto trash = [&](const Principal& who) {
    return InTx([&](db::Connection& c) { return content().TrashContainer(c, who, extra->id); });
  };
  auto refused = trash(kMember);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "only the community's owners delete notes");
  EXPECT_TRUE(trash(kOwner));
  auto gone = InTx([&](db::Connection& c) { return content().Container(c, kOwner, extra->id); });
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

class ContentTrashAllTest : public ContentTest {
 protected:
  void SetUp() override {
    trash_all_ = true;
    ContentTest::SetUp();
  }
};

TEST_F(ContentTrashAllTest, RemovingTheWidgetTrashesEveryContainerOfTheCommunity) {
  std::string note = Community("c1", "public");
  auto extra = InTx([&](db::Connection& c) {
    return content().AddContainer(c, kOwner, "Note", CommunityUuid("c1"), "Extra");
  });
  ASSERT_TRUE(extra);
  ASSERT_TRUE(InTx([&](db::Connection& c) { return content().RemoveResource(c, "Note", note); }));
  for (const auto& id : {note, extra->id}) {
    auto gone = InTx([&](db::Connection& c) { return content().Container(c, kAdmin, id); });
    EXPECT_FALSE(gone) << id;
  }
}

// An administrator deleting an orphan (one container) where the community's widget is bound to
// another: that other one, in use, stays, even where removing the widget trashes them all.
TEST_F(ContentTrashAllTest, AnAdministratorsDeletionTrashesOnlyTheNamedContainer) {
  std::string note = Community("c1", "public");
  auto orphan = InTx([&](db::Connection& c) {
    return content().AddContainer(c, kOwner, "Note", CommunityUuid("c1"), "Orphan");
  });
  ASSERT_TRUE(orphan);
  ASSERT_TRUE(
      InTx([&](db::Connection& c) { return content().TrashResource(c, "Note", orphan->id); }));
  EXPECT_FALSE(InTx([&](db::Connection& c) { return content().Container(c, kAdmin, orphan->id); }));
  EXPECT_TRUE(InTx([&](db::Connection& c) { return content().Container(c, kAdmin, note); }));
}

TEST_F(ContentTest, RemovingTheWidgetTrashesOnlyItsContainer) {
  std::string note = Community("c1", "public");
  auto extra = InTx([&](db::Connection& c) {
    return content().AddContainer(c, kOwner, "Note", CommunityUuid("c1"), "Extra");
  });
  ASSERT_TRUE(extra);
  ASSERT_TRUE(InTx([&](db::Connection& c) { return content().RemoveResource(c, "Note", note); }));
  EXPECT_FALSE(InTx([&](db::Connection& c) { return content().Container(c, kAdmin, note); }));
  EXPECT_TRUE(InTx([&](db::Connection& c) { return content().Container(c, kAdmin, extra->id); }));
}

}  // namespace
}  // namespace concord::remoteapp
