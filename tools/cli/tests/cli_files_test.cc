// The files `concord` reads back, as `concord restore` and `concord recover` check them
// (concord_cli_files): what a real file gives, and that a damaged one is refused naming the file
// and the field. End to end, through the binary: tests/e2e/runbook_e2e_test.cc.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "backup_manifest.h"
#include "concord/base/ids.h"
#include "recover_files.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;

class Dir {
 public:
  Dir() : path_(fs::temp_directory_path() / ("cli-files-" + NewUuid())) {
    fs::create_directories(path_);
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path Write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name, std::ios::binary | std::ios::trunc) << content;
    return path_ / name;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// docs/backup-restore.md's example.
const char* kManifestText = R"({"format": "concord-backup", "formatVersion": 1,
 "deploymentId": "17fcc219-5a2e-4d4c-9a55-7a1e0c1b2f3d", "dataDir": "/srv/concord",
 "created": "2026-11-26T06:30:40.862Z", "by": "root",
 "services": {
   "communities": {"file": "communities.db", "schemaVersion": 5, "lastEventSeq": 1834},
   "forums": {"file": "forums.db", "schemaVersion": 2, "lastAppliedEventSeq": 1830},
   "files-content": {"dir": "files-content", "files": 4950, "bytes": 21233664}}})";

TEST(BackupManifestTest, TheDocumentedManifestLoads) {
  Dir dir;
  dir.Write("manifest.json", kManifestText);
  auto m = LoadManifest(dir.path());
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->deployment_id, "17fcc219-5a2e-4d4c-9a55-7a1e0c1b2f3d");
  EXPECT_EQ(m->created, "2026-11-26T06:30:40.862Z");
  ASSERT_EQ(m->services.size(), 3u);
  EXPECT_EQ(m->services.at("forums").file, "forums.db");
  EXPECT_EQ(m->services.at("forums").schema_version, 2);
  EXPECT_EQ(m->services.at("files-content").file, "");
  EXPECT_TRUE(CheckEntryFile(*m, dir.path(), "forums"));
  EXPECT_TRUE(CheckEntryFile(*m, dir.path(), "communities"));
}

TEST(BackupManifestTest, NoManifestIsNotABackup) {
  Dir dir;
  auto m = LoadManifest(dir.path());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, ErrorCode::kNotFound);
  EXPECT_NE(m.error().message.find("not a Concord backup"), std::string::npos);
}

TEST(BackupManifestTest, ADamagedManifestIsRefusedNamingTheField) {
  struct Case {
    std::string content;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"format": "concord-backup", "formatVersion": 1, "deploymentId": 17, "services": {}})",
       "deploymentId"},
      {R"({"format": "tarball", "formatVersion": 1, "deploymentId": "x", "services": {}})",
       "format"},
      {R"({"format": "concord-backup", "formatVersion": 2, "deploymentId": "x", "services": {}})",
       "formatVersion"},
      {R"({"format": "concord-backup", "formatVersion": 1.0, "deploymentId": "x", "services": {}})",
       "formatVersion"},
      {R"({"format": "concord-backup", "formatVersion": 1, "deploymentId": "x", "services": []})",
       "services"},
      {R"({"format": "concord-backup", "formatVersion": 1, "deploymentId": "x",
           "services": {"forums": {"file": "forums.db", "schemaVersion": "2"}}})",
       "services.forums.schemaVersion"},
      {R"({"format": "concord-backup", "formatVersion": 1, "deploymentId": "x",
           "services": {"files-content": {"files": 3}}})",
       "services.files-content.dir"},
      {R"({"format": "concord-backup", "formatVersion": 1, "deploymentId": "x",
           "services": {"forums": {"file": "forums.db", "schemaVersion": 2, "bytes": "1"}}})",
       "services.forums.bytes"},
      {R"({"format": "concord-backup", "formatVersion": 1, "deploym)", "manifest.json"},
      {std::string("\x00\xff", 2), "manifest.json"},
  };
  Dir dir;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.content);
    dir.Write("manifest.json", c.content);
    auto m = LoadManifest(dir.path());
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(m.error().field, c.field);
    EXPECT_NE(m.error().message.find((dir.path() / "manifest.json").string()), std::string::npos)
        << m.error().message;
  }
}

TEST(BackupManifestTest, AnEntryNamingAnotherFileIsRefused) {
  Dir dir;
  dir.Write("manifest.json", R"({"format": "concord-backup", "formatVersion": 1,
    "deploymentId": "x", "services": {"forums": {"file": "../wikis.db", "schemaVersion": 2}}})");
  auto m = LoadManifest(dir.path());
  ASSERT_TRUE(m) << m.error().message;
  auto checked = CheckEntryFile(*m, dir.path(), "forums");
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(checked.error().field, "services.forums.file");
  EXPECT_NE(checked.error().message.find("'../wikis.db'"), std::string::npos);
  EXPECT_FALSE(CheckEntryFile(*m, dir.path(), "wikis"));  // not in the backup
}

const char* kState = R"({"restored": ["forums", "wikis"], "orphans": "quarantine",
  "started": "2026-12-01T06:00:00.000Z", "completed": ["maintenance-on", "pause-retry-task"],
  "setAsideFile": "set-aside-events-2.json",
  "done": {"resync-batches": {"Wiki": 200}, "orphans": {"Forum r-1": {"assignedTo": "c-1"}}},
  "seconds": {"maintenance-on": 1.14, "pause-retry-task": 0}})";

TEST(RecoverStateTest, AStateLoadsWithWhatTheRunResumesFrom) {
  Dir dir;
  auto st = LoadRecoverState(dir.Write("recover-state.json", kState));
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st->restored, (std::vector<std::string>{"forums", "wikis"}));
  EXPECT_EQ(st->orphans, "quarantine");
  EXPECT_EQ(st->completed, (std::vector<std::string>{"maintenance-on", "pause-retry-task"}));
  EXPECT_FALSE(st->verification);
  EXPECT_EQ(st->document["done"]["resync-batches"]["Wiki"], 200);

  st = LoadRecoverState(dir.Write("recover-state.json", R"({"restored": ["communities"],
    "orphans": "report", "started": "x", "completed": ["verify"],
    "verification": {"differences": 0, "orphans": 2, "reports": "/r"}})"));
  ASSERT_TRUE(st) << st.error().message;
  ASSERT_TRUE(st->verification);
  EXPECT_EQ(st->verification->orphans, 2);
  EXPECT_EQ(st->verification->reports, "/r");
}

TEST(RecoverStateTest, ADamagedStateIsRefusedNamingTheField) {
  struct Case {
    std::string content;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"restored": "forums", "orphans": "report", "started": "x", "completed": []})",
       "restored"},
      {R"({"restored": [], "started": "x", "completed": []})", "orphans"},
      {R"({"restored": [], "orphans": "report", "started": "x", "completed": [1]})", "completed"},
      {R"({"restored": [], "orphans": "report", "started": "x", "completed": [],
           "done": {"orphans": 3}})",
       "done.orphans"},
      {R"({"restored": [], "orphans": "report", "started": "x", "completed": [],
           "setAsideFile": 7})",
       "setAsideFile"},
      // A path could name a file outside the run.
      {R"({"restored": [], "orphans": "report", "started": "x", "completed": [],
           "setAsideFile": "../../elsewhere/set-aside-events.json"})",
       "setAsideFile"},
      {R"({"restored": [], "orphans": "report", "started": "x", "completed": [],
           "setAsideFile": "passwords.json"})",
       "setAsideFile"},
      {R"({"restored": [], "orphans": "report", "started": "x", "completed": [],
           "verification": {"differences": 0, "orphans": "2", "reports": "/r"}})",
       "verification.orphans"},
      // Each step's time is added to this object as the run goes on: it must be one.
      {R"({"restored": [], "orphans": "report", "started": "x", "completed": [],
           "seconds": [1.5]})",
       "seconds"},
      {R"({"restored": [], "orphans": "report", "started": "x", "completed": [],
           "seconds": {"resync": "fast"}})",
       "seconds.resync"},
      {R"({"restored": [], "orphans": "rep)", "recover-state.json"},
  };
  Dir dir;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.content);
    auto st = LoadRecoverState(dir.Write("recover-state.json", c.content));
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(st.error().field, c.field);
    EXPECT_NE(st.error().message.find("recover-state.json"), std::string::npos);
  }
}

// Found by tests/fuzz/recover_files_fuzzer: a state whose completed steps include "verify" but
// that holds no "verification" loaded, and `concord recover` then aborted at the end of the run
// (an uncaught nlohmann::json type_error, exit 134) reading what the verification found.
TEST(RecoverStateTest, AVerifiedStateWithoutItsVerificationIsRefused) {
  Dir dir;
  auto st = LoadRecoverState(dir.Write("recover-state.json", R"({"restored": ["communities"],
    "orphans": "report", "started": "2026-12-01T06:00:00.000Z",
    "completed": ["maintenance-on", "resync", "orphans", "verify"],
    "verifiverificacation": {"differences": 0, "orphans": 2, "reports": "/r"}})"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.error().field, "verification");
  EXPECT_NE(st.error().message.find("recover-state.json: field 'verification' is missing"),
            std::string::npos)
      << st.error().message;
}

TEST(RecoverFilesTest, ASetAsideFileGivesItsEventIdsByApplication) {
  Dir dir;
  auto file = dir.Write("set-aside-events.json", R"({"setAside": "x", "events": [
    {"remoteAppDefId": "Forum", "eventId": "e1", "seq": 1},
    {"remoteAppDefId": "Wiki", "eventId": "e2"},
    {"remoteAppDefId": "Forum", "eventId": "e3"}]})");
  auto by_app = ReadSetAside(file);
  ASSERT_TRUE(by_app) << by_app.error().message;
  EXPECT_EQ(by_app->at("Forum"), (std::vector<std::string>{"e1", "e3"}));
  EXPECT_EQ(by_app->at("Wiki"), (std::vector<std::string>{"e2"}));

  dir.Write("set-aside-events.json", R"({"events": [{"remoteAppDefId": "Forum", "eventId": 9}]})");
  by_app = ReadSetAside(file);
  ASSERT_FALSE(by_app);
  EXPECT_EQ(by_app.error().field, "events[0].eventId");
}

TEST(RecoverFilesTest, ReportsGiveTheCommunitiesThatDisagreeAndTheOrphans) {
  Dir dir;
  auto diffs = dir.Write("Forum_communityDifferences.json", R"({"differences": [
    {"communityUuid": "c-1", "status": "differs"},
    {"communityUuid": "c-2", "status": "trashed", "attributes": [], "membersExtra": []},
    {"communityUuid": "c-3", "status": "trashed", "ownersMissing": ["u-1"]},
    {"communityUuid": "c-4", "status": "trashed", "resourceMissing": true}]})");
  int64_t trashed = 0;
  auto listed = Disagreeing(diffs, &trashed);
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(*listed, (std::vector<std::string>{"c-1", "c-3", "c-4"}));
  EXPECT_EQ(trashed, 1);
  dir.Write("Forum_communityDifferences.json",
            R"({"differences": [{"status": "trashed", "resourceMissing": "yes"}]})");
  listed = Disagreeing(diffs);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().field, "differences[0].resourceMissing");

  auto orphans_file = dir.Write("Forum_orphanedRemoteApplications.json", R"({"orphans": [
    {"objectIdentifyingId": "r-1", "oldCommunityUuid": "c-1", "reason": "widgetMissing"},
    {"objectIdentifyingId": "r-2", "oldCommunityUuid": "c-2"}]})");
  auto orphans = ReadOrphans(orphans_file);
  ASSERT_TRUE(orphans) << orphans.error().message;
  ASSERT_EQ(orphans->size(), 2u);
  EXPECT_EQ((*orphans)[0].reason, "widgetMissing");
  EXPECT_EQ((*orphans)[1].id, "r-2");
  EXPECT_EQ((*orphans)[1].reason, "");
  // A damaged entry after good ones: the whole report is refused, before any orphan is handled.
  dir.Write("Forum_orphanedRemoteApplications.json", R"({"orphans": [
    {"objectIdentifyingId": "r-1", "oldCommunityUuid": "c-1"},
    {"objectIdentifyingId": "r-2", "oldCommunityUuid": null}]})");
  orphans = ReadOrphans(orphans_file);
  ASSERT_FALSE(orphans);
  EXPECT_EQ(orphans.error().field, "orphans[1].oldCommunityUuid");
}

}  // namespace
}  // namespace concord::cli
