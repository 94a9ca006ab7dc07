// The shared lifecycle mechanism, over a small application of its own ("notes", serving Note and
// Memo) on a temporary SQLite database: each logged event is applied once per application,
// whatever number of times it is delivered.
#include "concord/remoteapp/remote_app.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "concord/base/clock.h"
#include "concord/db/migration.h"

namespace concord::remoteapp {
namespace test {
db::MigrationList Migrations();
}  // namespace test
namespace {

namespace fs = std::filesystem;
using lifecycle::EventType;
using lifecycle::LifecycleEvent;
using nlohmann::json;

// One note per widget; counts nothing itself: the tests count rows.
class Notes : public ResourceHooks {
 public:
  bool fail_next = false;
  int fail_skip = 0;    // with fail_next: resources created first before the one that fails
  std::string refused;  // this community's resource is written, then refused (not kUnavailable)

  Result<std::string> CreateResource(db::Connection& c, const std::string& app,
                                     const LifecycleEvent& e) override {
    if (fail_next && fail_skip > 0) {
      --fail_skip;
    } else if (std::exchange(fail_next, false)) {
      return Unavailable("the notes store is full");
    }
    std::string id = NewUuid();
    CONCORD_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO notes (id, community_uuid, app, title, created) VALUES ($1, $2, $3, $4, $5)",
        id, e.community.uuid, app, e.community.name, NowMillis()));
    if (e.community.uuid.value() == refused) {
      return FailedPrecondition("this note may not be made");
    }
    return id;
  }
  Status RemoveResource(db::Connection& c, const std::string&, const std::string& id) override {
    CONCORD_RETURN_IF_ERROR(
        c.Execute("UPDATE notes SET trashed_at = $1 WHERE id = $2", NowMillis(), id));
    return Ok();
  }
  Status AddSampleContent(db::Connection& c, const std::string&, const std::string& id,
                          const LifecycleEvent&) override {
    CONCORD_RETURN_IF_ERROR(c.Execute("UPDATE notes SET samples = samples + 1 WHERE id = $1", id));
    return Ok();
  }
};

AppDefinition Definition() {
  return {.service = "notes",
          .remote_app_defs = {"Note", "Memo"},
          .base_path = "/notes/api",
          .resources = {.table = "notes", .title_column = "title", .app_column = "app"}};
}

class AppliedEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("concord-remoteapp-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = Open("notes.db");
    app_ = std::make_unique<RemoteApplication>(Definition(), db_, notes_);
  }
  void TearDown() override {
    app_.reset();
    db_.reset();
    fs::remove_all(dir_);
  }

  std::shared_ptr<db::Database> Open(const std::string& file) {
    auto db = db::Database::Open("sqlite:" + file, {.base_dir = dir_});
    EXPECT_TRUE(db) << db.error().ToString();
    EXPECT_TRUE(db::Migrate(**db, test::Migrations(), "notes"));
    return *db;
  }

  // An event of Communities' log: the community `community` at `version`, named `name`.
  static LifecycleEvent Event(EventType type, int64_t seq, const std::string& community,
                              int64_t version, const std::string& name) {
    LifecycleEvent e;
    e.id = EventId(NewUuid());
    e.seq = seq;
    e.type = type;
    e.created = NowMillis();
    e.actor = UserId("u-owner");
    e.community.uuid = CommunityUuid(community);
    e.community.name = name;
    e.community.visibility = "public";
    e.community.version = version;
    e.community.owners = {UserId("u-owner")};
    return e;
  }
  static LifecycleEvent Added(int64_t seq, const std::string& community, int64_t version,
                              const std::string& name, const std::string& app = "Note") {
    LifecycleEvent e = Event(EventType::kRemoteAppAdded, seq, community, version, name);
    e.widget =
        lifecycle::WidgetRef{WidgetInstanceId("w-" + app + "-" + community), app, std::nullopt};
    return e;
  }

  json Apply(const LifecycleEvent& e, const std::string& app = "Note") {
    return ApplyTo(*app_, e, app);
  }
  static json ApplyTo(RemoteApplication& to, const LifecycleEvent& e,
                      const std::string& app = "Note") {
    auto r = to.Apply(app, e);
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? *r : json();
  }
  // How many notes the application's database holds (resources created).
  static int64_t NoteCount(db::Database& db) {
    auto lease = db.Acquire();
    EXPECT_TRUE(lease);
    auto n = (*lease)->QueryInt("SELECT COUNT(*) FROM notes");
    EXPECT_TRUE(n);
    return n && *n ? **n : -1;
  }
  static std::optional<SyncedCommunity> Record(RemoteApplication& app, db::Database& db,
                                               const std::string& community,
                                               const std::string& remote_app = "Note") {
    auto lease = db.Acquire();
    EXPECT_TRUE(lease);
    auto r = app.Find(**lease, CommunityUuid(community), remote_app);
    EXPECT_TRUE(r);
    return r ? *r : std::nullopt;
  }
  // The seqs recorded as applied for `remote_app`, with how often each was delivered.
  static std::vector<std::pair<int64_t, int64_t>> Applied(RemoteApplication& app,
                                                          const std::string& remote_app = "Note") {
    auto a = app.AppliedEvents(remote_app, 0, 1000);
    EXPECT_TRUE(a) << a.error().ToString();
    std::vector<std::pair<int64_t, int64_t>> out;
    if (a) {
      for (const auto& e : *a) out.emplace_back(e.seq, e.deliveries);
    }
    return out;
  }

  using Seqs = std::vector<std::pair<int64_t, int64_t>>;

  fs::path dir_;
  Notes notes_;
  std::shared_ptr<db::Database> db_;
  std::unique_ptr<RemoteApplication> app_;
};

TEST_F(AppliedEventsTest, AnEventDeliveredTwiceIsAppliedOnceAndAnsweredTheSame) {
  LifecycleEvent added = Added(1, "c-1", 1, "Alpha");
  json first = Apply(added);
  EXPECT_EQ(first["applied"], true);
  ASSERT_TRUE(first["resourceId"].is_string()) << first.dump();
  // Communities did not hear the answer (killed before it deleted its delivery row): again.
  json again = Apply(added);
  EXPECT_EQ(again["applied"], false);
  EXPECT_EQ(again["duplicate"], true);
  EXPECT_EQ(again["resourceId"], first["resourceId"]) << "the widget is bound to the same note";
  EXPECT_EQ(NoteCount(*db_), 1);
  auto applied = app_->AppliedEvents("Note", 0, 10);
  ASSERT_TRUE(applied);
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ((*applied)[0].seq, 1);
  EXPECT_EQ((*applied)[0].event_id, added.id.value());
  EXPECT_EQ((*applied)[0].event_type, "remote.app.added");
  EXPECT_EQ((*applied)[0].community_uuid, "c-1");
  EXPECT_TRUE((*applied)[0].changed);
  EXPECT_EQ((*applied)[0].deliveries, 2);
}

// A resync applies its state whatever version the record holds: delivered again after a later
// change (a replay from below it, or a lost answer), it would undo that change, if it were
// applied again.
TEST_F(AppliedEventsTest, AResyncDeliveredAgainDoesNotUndoALaterChange) {
  Apply(Added(1, "c-1", 1, "Alpha"));
  LifecycleEvent resync = Added(2, "c-1", 1, "Alpha (resynced)");
  resync.resync = true;
  EXPECT_EQ(Apply(resync)["applied"], true);
  EXPECT_EQ(Apply(Event(EventType::kCommunityUpdated, 3, "c-1", 2, "Beta"))["applied"], true);
  EXPECT_EQ(Apply(resync)["duplicate"], true);
  auto record = Record(*app_, *db_, "c-1");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->name, "Beta");
  EXPECT_EQ(record->version, 2);
  EXPECT_EQ(Applied(*app_), (Seqs{{1, 1}, {2, 2}, {3, 1}}));
}

// Member rows are written many a statement (64, 32, ... 1): every one lands, with its role, and a
// later change writes exactly what changed.
TEST_F(AppliedEventsTest, ALargeMembershipIsWrittenWholeAndChangedExactly) {
  LifecycleEvent added = Added(1, "c-1", 1, "Crowd");
  for (int i = 0; i < 99; ++i) added.community.members.push_back(UserId(fmt::format("u-{:03}", i)));
  EXPECT_EQ(Apply(added)["applied"], true);
  auto count = [&](const std::string& where) {
    auto lease = db_->Acquire();
    EXPECT_TRUE(lease);
    auto n = (*lease)->QueryInt(
        "SELECT COUNT(*) FROM synced_members WHERE community_uuid = "
        "'c-1' AND " +
        where);
    EXPECT_TRUE(n);
    return n && *n ? **n : -1;
  };
  EXPECT_EQ(count("role = 0"), 99);
  EXPECT_EQ(count("role = 1"), 1);  // u-owner
  // 70 promoted to owners, 10 gone, 5 new members.
  LifecycleEvent changed = Event(EventType::kCommunityUpdated, 2, "c-1", 2, "Crowd");
  for (int i = 0; i < 70; ++i)
    changed.community.owners.push_back(UserId(fmt::format("u-{:03}", i)));
  for (int i = 70; i < 89; ++i) {
    changed.community.members.push_back(UserId(fmt::format("u-{:03}", i)));
  }
  for (int i = 0; i < 5; ++i) changed.community.members.push_back(UserId(fmt::format("n-{}", i)));
  EXPECT_EQ(Apply(changed)["applied"], true);
  EXPECT_EQ(count("role = 1"), 71);  // u-owner and u-000 to u-069
  EXPECT_EQ(count("role = 0"), 24);  // u-070 to u-088 and n-0 to n-4
  EXPECT_EQ(count("user_id >= 'u-089' AND user_id < 'u-100'"), 0);
  EXPECT_EQ(count("user_id = 'u-069' AND role = 1"), 1);

  // A new record is written without reading member rows first; rows left behind by anything
  // else go.
  {
    auto lease = db_->Acquire();
    ASSERT_TRUE(lease);
    ASSERT_TRUE((*lease)->Execute(
        "INSERT INTO synced_members (community_uuid, remote_app_def_id, user_id, role) VALUES "
        "('c-2', 'Note', 'u-stale', 0)"));
  }
  LifecycleEvent fresh = Added(3, "c-2", 1, "Fresh");
  fresh.community.members = {UserId("u-new")};
  EXPECT_EQ(Apply(fresh)["applied"], true);
  auto lease = db_->Acquire();
  ASSERT_TRUE(lease);
  auto users = (*lease)->QueryTexts(
      "SELECT user_id FROM synced_members WHERE community_uuid = 'c-2' ORDER BY user_id");
  ASSERT_TRUE(users);
  EXPECT_EQ(*users, (std::vector<std::string>{"u-new", "u-owner"}));
}

// After a restore of Communities, its widget can be another instance bound to the resource the
// application holds (the widget was removed and the resource assigned back since): a resync
// binds the record to Communities' widget instead of making a new resource.
TEST_F(AppliedEventsTest, AResyncRebindsTheRecordToTheWidgetCommunitiesBindsToItsResource) {
  json first = Apply(Added(1, "c-1", 1, "Alpha"));
  std::string note = first["resourceId"];
  LifecycleEvent resync = Added(2, "c-1", 1, "Alpha");
  resync.widget->instance_id = WidgetInstanceId("w-restored");
  resync.widget->remote_resource_id = note;
  resync.resync = true;
  json answer = Apply(resync);
  EXPECT_EQ(answer["applied"], true);
  EXPECT_EQ(answer["resourceId"], note);
  EXPECT_EQ(NoteCount(*db_), 1) << "no second note";
  auto record = Record(*app_, *db_, "c-1");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->widget_instance_id, WidgetInstanceId("w-restored"));
  EXPECT_EQ(record->resource_id, note);
  // The restored widget's removal is now this record's.
  LifecycleEvent removed = Event(EventType::kRemoteAppRemoved, 3, "c-1", 2, "Alpha");
  removed.widget = resync.widget;
  EXPECT_EQ(Apply(removed)["applied"], true);
  EXPECT_FALSE(Record(*app_, *db_, "c-1"));

  // An ordinary (not resync) event of another instance still makes a resource of its own.
  Apply(Added(4, "c-2", 1, "Beta"));
  LifecycleEvent other = Added(5, "c-2", 2, "Beta");
  other.widget->instance_id = WidgetInstanceId("w-other");
  EXPECT_EQ(Apply(other)["applied"], true);
  EXPECT_EQ(NoteCount(*db_), 3);
}

// assignRemoteApp of an orphan back to its own community (only its widget was missing): the
// transfer names a new widget instance for the same resource, and the record follows it.
TEST_F(AppliedEventsTest, AnOrphanAssignedBackToItsCommunityFollowsItsNewWidget) {
  json first = Apply(Added(1, "c-1", 1, "Alpha"));
  std::string note = first["resourceId"];
  LifecycleEvent transfer = Event(EventType::kRemoteAppTransfer, 2, "c-1", 2, "Alpha");
  transfer.widget = lifecycle::WidgetRef{WidgetInstanceId("w-new"), "Note", note};
  transfer.transfer_from = CommunityUuid("c-1");
  EXPECT_EQ(Apply(transfer)["applied"], true);
  auto record = Record(*app_, *db_, "c-1");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->widget_instance_id, WidgetInstanceId("w-new"));
  EXPECT_EQ(record->resource_id, note);
  EXPECT_EQ(NoteCount(*db_), 1);
  // Delivered again: the same answer, nothing applied.
  json again = Apply(transfer);
  EXPECT_EQ(again["resourceId"], note);
  EXPECT_NE(again["applied"], true) << again.dump();
}

TEST_F(AppliedEventsTest, AnEventThatFailsToApplyIsNotRecordedAndAppliesWhenDeliveredAgain) {
  LifecycleEvent added = Added(7, "c-1", 1, "Alpha");
  notes_.fail_next = true;
  EXPECT_FALSE(app_->Apply("Note", added));
  EXPECT_TRUE(Applied(*app_).empty());
  EXPECT_FALSE(Record(*app_, *db_, "c-1"));
  json retried = Apply(added);
  EXPECT_EQ(retried["applied"], true);
  EXPECT_FALSE(retried.contains("duplicate"));
  EXPECT_EQ(NoteCount(*db_), 1);
  EXPECT_EQ(Applied(*app_), (Seqs{{7, 1}}));
  auto seq = app_->LastAppliedSeq();
  ASSERT_TRUE(seq);
  EXPECT_EQ(*seq, 7);
}

// `concord populate` hands every application events without a seq: applied by version alone,
// never recorded, and never mistaken for one another.
TEST_F(AppliedEventsTest, EventsWithoutASeqAreAppliedByVersionAndNotRecorded) {
  for (const char* c : {"c-1", "c-2"}) {
    db::Database& db = *db_;
    auto lease = db.Acquire();
    ASSERT_TRUE(lease);
    auto populated = app_->Populate(**lease, "Note", Added(0, c, 1, c));
    ASSERT_TRUE(populated) << populated.error().ToString();
    EXPECT_TRUE(populated->has_value()) << c << " has its note";
  }
  EXPECT_EQ(NoteCount(*db_), 2);
  EXPECT_TRUE(Applied(*app_).empty());
  auto seq = app_->LastAppliedSeq();
  ASSERT_TRUE(seq);
  EXPECT_EQ(*seq, 0);
  // The first event of the log then applies as usual.
  EXPECT_EQ(Apply(Event(EventType::kCommunityUpdated, 1, "c-1", 2, "Renamed"))["applied"], true);
  EXPECT_EQ(Record(*app_, *db_, "c-1")->name, "Renamed");
  EXPECT_EQ(Applied(*app_), (Seqs{{1, 1}}));
}

// After an application's database is restored from an older copy, a replay from below what it
// holds applies exactly the events the copy lacks; in the database that has them all, it
// applies nothing.
TEST_F(AppliedEventsTest, ARestoredCopyAppliesTheEventsItLacksAndNoOthers) {
  std::vector<LifecycleEvent> log = {
      Added(1, "c-1", 1, "One"), Event(EventType::kCommunityUpdated, 2, "c-1", 2, "Two"),
      Event(EventType::kCommunityUpdated, 3, "c-1", 3, "Three"), Added(4, "c-2", 1, "Other")};
  Apply(log[0]);
  Apply(log[1]);
  {
    auto lease = db_->Acquire();
    ASSERT_TRUE(lease);
    ASSERT_TRUE((*lease)->CopyTo(dir_ / "backup.db"));
  }
  Apply(log[2]);
  Apply(log[3]);

  auto restored_db = Open("backup.db");
  RemoteApplication restored(Definition(), restored_db, notes_);
  EXPECT_EQ(Applied(restored), (Seqs{{1, 1}, {2, 1}}));
  std::vector<bool> changed;
  changed.reserve(log.size());
  for (const auto& e : log) changed.push_back(ApplyTo(restored, e)["applied"].get<bool>());
  EXPECT_EQ(changed, (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(Record(restored, *restored_db, "c-1")->name, "Three");
  EXPECT_EQ(NoteCount(*restored_db), 2);
  EXPECT_EQ(Applied(restored), (Seqs{{1, 2}, {2, 2}, {3, 1}, {4, 1}}));

  for (const auto& e : log) EXPECT_EQ(Apply(e)["duplicate"], true) << e.seq;
  EXPECT_EQ(NoteCount(*db_), 2);
  EXPECT_EQ(Applied(*app_), (Seqs{{1, 2}, {2, 2}, {3, 2}, {4, 2}}));
}

// Blogs serves Blog and IdeationBlog: one event reaches each, and each applies it.
TEST_F(AppliedEventsTest, EachApplicationOfAServiceKeepsItsOwnRecord) {
  Apply(Added(1, "c-1", 1, "Alpha", "Note"), "Note");
  Apply(Added(2, "c-1", 2, "Alpha", "Memo"), "Memo");
  LifecycleEvent renamed = Event(EventType::kCommunityUpdated, 3, "c-1", 3, "Beta");
  EXPECT_EQ(Apply(renamed, "Note")["applied"], true);
  json memo = Apply(renamed, "Memo");
  EXPECT_EQ(memo["applied"], true);
  EXPECT_FALSE(memo.contains("duplicate"));
  EXPECT_EQ(Record(*app_, *db_, "c-1", "Memo")->name, "Beta");
  EXPECT_EQ(Applied(*app_, "Note"), (Seqs{{1, 1}, {3, 1}}));
  EXPECT_EQ(Applied(*app_, "Memo"), (Seqs{{2, 1}, {3, 1}}));
  EXPECT_FALSE(app_->AppliedEvents("Blog", 0, 10)) << "an application it does not serve";
}

// Communities restored without `concord recover` advancing its sequence hands out a seq again,
// for another event: that one is applied (by version, as before), not refused as a duplicate.
TEST_F(AppliedEventsTest, ASeqThatComesRoundAgainForAnotherEventIsApplied) {
  Apply(Added(1, "c-1", 1, "One"));
  Apply(Event(EventType::kCommunityUpdated, 2, "c-1", 2, "Two"));
  LifecycleEvent other = Event(EventType::kCommunityUpdated, 2, "c-1", 3, "Three");
  json r = Apply(other);
  EXPECT_EQ(r["applied"], true);
  EXPECT_FALSE(r.contains("duplicate"));
  EXPECT_EQ(Record(*app_, *db_, "c-1")->name, "Three");
  auto applied = app_->AppliedEvents("Note", 1, 10);
  ASSERT_TRUE(applied);
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ((*applied)[0].event_id, other.id.value());
  EXPECT_EQ((*applied)[0].deliveries, 1);
}

TEST_F(AppliedEventsTest, RecordsOlderThanTheRetentionAreForgottenAndPagesFollowTheSeq) {
  for (int64_t seq = 1; seq <= 5; ++seq) {
    Apply(seq == 1
              ? Added(1, "c-1", 1, "v1")
              : Event(EventType::kCommunityUpdated, seq, "c-1", seq, "v" + std::to_string(seq)));
  }
  auto page = app_->AppliedEvents("Note", 2, 2);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 3);
  EXPECT_EQ((*page)[1].seq, 4);
  auto none = app_->TrimAppliedEvents(NowMillis() - int64_t{3600} * 1000);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
  auto all = app_->TrimAppliedEvents(NowMillis() + 1000);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 5);
  EXPECT_TRUE(Applied(*app_).empty());
  // Delivered again after that: the version still keeps it from changing anything.
  json late = Apply(Event(EventType::kCommunityUpdated, 3, "c-1", 3, "v3"));
  EXPECT_EQ(late["applied"], false);
  EXPECT_FALSE(late.contains("duplicate"));
  EXPECT_EQ(Record(*app_, *db_, "c-1")->name, "v5");
}

// Communities' uuids (a batch is read from JSON, which checks them).
const std::string kU1 = "6f1c0e4a-0000-4000-8000-000000000001";
const std::string kU2 = "6f1c0e4a-0000-4000-8000-000000000002";
const std::string kU3 = "6f1c0e4a-0000-4000-8000-000000000003";
const std::string kU4 = "6f1c0e4a-0000-4000-8000-000000000004";
const std::string kU9 = "6f1c0e4a-0000-4000-8000-000000000009";

// Batched delivery: events in order, in one transaction, answered one result each, and
// recorded exactly as when they come one by one (a batch delivered again is all duplicates).
TEST_F(AppliedEventsTest, ABatchAppliesEachEventOnceInOrder) {
  std::vector<json> batch = {
      lifecycle::ToJson(Added(1, kU1, 1, "One")), lifecycle::ToJson(Added(2, kU2, 1, "Other")),
      lifecycle::ToJson(Event(EventType::kCommunityUpdated, 3, kU1, 2, "Two"))};
  auto results = app_->ApplyBatch("Note", batch);
  ASSERT_TRUE(results) << results.error().ToString();
  ASSERT_EQ(results->size(), 3u);
  for (const auto& r : *results) EXPECT_EQ(r["applied"], true) << r.dump();
  EXPECT_TRUE((*results)[0]["resourceId"].is_string());
  EXPECT_EQ(Record(*app_, *db_, kU1)->name, "Two");
  EXPECT_EQ(NoteCount(*db_), 2);
  EXPECT_EQ(Applied(*app_), (Seqs{{1, 1}, {2, 1}, {3, 1}}));

  auto again = app_->ApplyBatch("Note", batch);
  ASSERT_TRUE(again);
  for (const auto& r : *again) EXPECT_EQ(r["duplicate"], true) << r.dump();
  EXPECT_EQ((*again)[0]["resourceId"], (*results)[0]["resourceId"]);
  EXPECT_EQ(NoteCount(*db_), 2);
  EXPECT_EQ(Applied(*app_), (Seqs{{1, 2}, {2, 2}, {3, 2}}));
}

// One event refused (a Memo widget's event sent as Note's; an event that is not an event): it
// alone is rolled back and answered with its error, its community's later events are held,
// every other event of the batch is applied.
TEST_F(AppliedEventsTest, ARefusedEventInABatchIsRolledBackAloneAndHoldsItsCommunity) {
  LifecycleEvent wrong = Added(2, kU2, 1, "Two");
  wrong.widget->widget_def_id = "Memo";
  json malformed = {{"seq", 5}, {"community", {{"uuid", kU3}}}};
  std::vector<json> batch = {
      lifecycle::ToJson(Added(1, kU1, 1, "One")),
      lifecycle::ToJson(wrong),
      lifecycle::ToJson(Event(EventType::kCommunityUpdated, 3, kU2, 2, "2b")),
      lifecycle::ToJson(Event(EventType::kCommunityUpdated, 4, kU1, 2, "1b")),
      malformed,
      lifecycle::ToJson(Added(6, kU3, 1, "Three")),
      lifecycle::ToJson(Added(7, kU4, 1, "Four"))};
  auto results = app_->ApplyBatch("Note", batch);
  ASSERT_TRUE(results) << results.error().ToString();
  ASSERT_EQ(results->size(), batch.size());
  EXPECT_EQ((*results)[0]["applied"], true);
  EXPECT_EQ((*results)[1]["status"], 400) << (*results)[1].dump();
  EXPECT_EQ((*results)[1]["error"]["field"], "widget");
  EXPECT_EQ((*results)[2], (json{{"held", true}}));
  EXPECT_EQ((*results)[3]["applied"], true);
  EXPECT_EQ((*results)[4]["status"], 400) << (*results)[4].dump();
  EXPECT_EQ((*results)[5], (json{{"held", true}})) << "c-3's event waits for the malformed one";
  EXPECT_EQ((*results)[6]["applied"], true);
  EXPECT_EQ(Record(*app_, *db_, kU1)->name, "1b");
  EXPECT_FALSE(Record(*app_, *db_, kU2));
  EXPECT_FALSE(Record(*app_, *db_, kU3));
  EXPECT_TRUE(Record(*app_, *db_, kU4));
  EXPECT_EQ(NoteCount(*db_), 2);
  EXPECT_EQ(Applied(*app_), (Seqs{{1, 1}, {4, 1}, {7, 1}}));
}

// The store failing (kUnavailable) concerns the whole batch: nothing of it is applied, not even
// the events before the failure, and the batch delivered again applies in full.
TEST_F(AppliedEventsTest, ABatchTheStoreCannotTakeAppliesNothing) {
  Apply(Added(9, kU9, 1, "Before"));
  std::vector<json> batch = {lifecycle::ToJson(Added(1, kU1, 1, "One")),
                             lifecycle::ToJson(Added(2, kU2, 1, "Two"))};
  notes_.fail_next = true;
  notes_.fail_skip = 1;  // c-1's note is made, then c-2's fails
  auto results = app_->ApplyBatch("Note", batch);
  ASSERT_FALSE(results);
  EXPECT_EQ(results.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(Record(*app_, *db_, kU1));
  EXPECT_FALSE(Record(*app_, *db_, kU2));
  EXPECT_EQ(NoteCount(*db_), 1);
  EXPECT_EQ(Applied(*app_), (Seqs{{9, 1}}));
  auto retried = app_->ApplyBatch("Note", batch);
  ASSERT_TRUE(retried) << retried.error().ToString();
  EXPECT_EQ((*retried)[0]["applied"], true);
  EXPECT_EQ((*retried)[1]["applied"], true);
  EXPECT_EQ(NoteCount(*db_), 3);
  EXPECT_EQ(Applied(*app_), (Seqs{{1, 1}, {2, 1}, {9, 1}}));
  auto other = app_->ApplyBatch("Nope", batch);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kInvalidArgument);
}

// A refusal after the event had written (the note inserted, then refused): its savepoint rolls
// back what it wrote, and nothing else. An event whose community cannot be read holds every
// later event of the batch (which community they wait for is not known).
TEST_F(AppliedEventsTest, ARefusalAfterWritingLeavesNothingAndAnUnreadableEventHoldsTheRest) {
  std::vector<json> batch = {lifecycle::ToJson(Added(1, kU1, 1, "One")),
                             lifecycle::ToJson(Added(2, kU2, 1, "Two")),
                             lifecycle::ToJson(Added(3, kU3, 1, "Three"))};
  ASSERT_TRUE(app_->ApplyBatch("Note", {batch[0]}));
  notes_.refused = kU2;
  auto results = app_->ApplyBatch("Note", {batch[1], batch[2]});
  ASSERT_TRUE(results) << results.error().ToString();
  EXPECT_EQ((*results)[0]["status"], 409) << (*results)[0].dump();
  EXPECT_EQ((*results)[1]["applied"], true);
  EXPECT_FALSE(Record(*app_, *db_, kU2));
  EXPECT_EQ(NoteCount(*db_), 2) << "the refused event's note is rolled back";
  EXPECT_EQ(Applied(*app_), (Seqs{{1, 1}, {3, 1}}));

  json unreadable = {{"seq", 5}, {"eventType", "community.updated"}};
  auto held = app_->ApplyBatch(
      "Note",
      {unreadable, lifecycle::ToJson(Event(EventType::kCommunityUpdated, 6, kU1, 2, "1b"))});
  ASSERT_TRUE(held);
  EXPECT_EQ((*held)[0]["status"], 400);
  EXPECT_EQ((*held)[1], (json{{"held", true}}));
  EXPECT_EQ(Record(*app_, *db_, kU1)->name, "One");
}

}  // namespace
}  // namespace concord::remoteapp
