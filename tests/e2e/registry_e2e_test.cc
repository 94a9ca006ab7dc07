// The application registry's proof (issue 12): Polls, an application defined under tests/apps
// and registered exactly as the product's are (its folder and its line in CONCORD_APPLICATIONS),
// takes part in lifecycle events, the console's export, report and orphan deletion, resync,
// backup and restore, and `concord recover`, with no other change anywhere.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "concord/http/client.h"
#include "concord/testing/process.h"

namespace concord {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ConcordServer;
using testing::Show;
using testing::TempDir;

const std::string kBase = "/communities/api/communities/";

std::string PollOf(http::Client& admin, const std::string& community) {
  auto widgets = admin.Get(kBase + community + "/widgets");
  if (!widgets) return "";
  for (const auto& w : (*widgets)["items"]) {
    if (w["widgetDefId"] == "Poll" && w["remoteResourceId"].is_string()) {
      return w["remoteResourceId"];
    }
  }
  return "";
}

TEST(RegistryTest, ATestApplicationTakesPartInEverythingWithNoOtherChange) {
  // The fixture is registered in every build, and seen only with this set (libs/apps).
  ::setenv("CONCORD_TEST_APPLICATIONS", "1", 1);
  TempDir dir("registry-polls");
  TempDir backups("registry-polls-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();

  // Lifecycle events: adding the widget makes the poll; a rename reaches it.
  std::map<char, std::string> c;
  for (char k = 'A'; k <= 'D'; ++k) {
    auto made = admin.Post("/communities/api/communities", {{"name", std::string("Team ") + k}});
    ASSERT_TRUE(made) << made.error().ToString();
    c[k] = (*made)["uuid"];
    ASSERT_TRUE(admin.Post(kBase + c[k] + "/widgets", {{"widgetDefId", "Poll"}}));
  }
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  std::string poll_a = PollOf(admin, c['A']);
  ASSERT_FALSE(poll_a.empty());
  auto poll = admin.Get("/polls/api/polls/" + poll_a);
  ASSERT_TRUE(poll) << poll.error().ToString();
  EXPECT_EQ((*poll)["communityUuid"], c['A']);
  ASSERT_TRUE(admin.Put(kBase + c['A'], {{"name", "Team A Renamed"}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  EXPECT_EQ((*admin.Get("/polls/api/synced/Poll/" + c['A']))["name"], "Team A Renamed");

  // Backup of its database, changes, and the database back from the backup.
  fs::path backup = backups.path() / "monday";
  auto b =
      testing::RunConcord(dir.path(), {"backup", "--service", "polls", "--to", backup.string()});
  ASSERT_EQ(b.exit_code, 0) << Show(b);
  ASSERT_TRUE(admin.Put(kBase + c['B'], {{"name", "Team B Renamed"}}));
  std::string poll_c = PollOf(admin, c['C']);
  ASSERT_TRUE(admin.Delete(kBase + c['C']));
  ASSERT_TRUE(admin.Delete("/communities/api/trash/" + c['C']));  // purged
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto restored =
      testing::RunConcord(dir.path(), {"restore", "--service", "polls", "--from", backup.string()});
  ASSERT_EQ(restored.exit_code, 0) << Show(restored);

  // The console: its object, export and report, as for any application.
  fs::path work = dir.path() / "by-hand";
  fs::create_directories(work);
  auto r =
      testing::RunConsole(server,
                          "execfile(\"pollsAdmin.py\")\n"
                          "PollsService.exportSyncedResourceInfo(\"" +
                              (work / "polls.xml").string() +
                              "\", \"community\")\n"
                              "CommunitiesRemoteAppService.generateSyncReports(\"" +
                              (work / "polls.xml").string() + "\", \"" + work.string() + "\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  auto diffs = testing::ReadJsonFile(work / "Poll_communityDifferences.json");
  ASSERT_EQ(diffs["differences"].size(), 1u) << diffs.dump(2);
  EXPECT_EQ(diffs["differences"][0]["communityUuid"], c['B']);
  auto orphans = testing::ReadJsonFile(work / "Poll_orphanedRemoteApplications.json");
  ASSERT_EQ(orphans["orphans"].size(), 1u) << orphans.dump(2);
  EXPECT_EQ(orphans["orphans"][0]["objectIdentifyingId"], poll_c);
  EXPECT_EQ(orphans["orphans"][0]["deleteCommand"], "PollsService.deletePoll(\"" + poll_c + "\")");

  // The runbook, end to end: replay, resync, the orphan deleted, verified, maintenance off.
  fs::path out = dir.path() / "recovery-run";
  auto run = testing::RunConcord(
      dir.path(), {"recover", "--restored", "polls", "--orphans", "delete", "--out", out.string()});
  ASSERT_EQ(run.exit_code, 0) << Show(run);
  EXPECT_NE(run.out.find("Recovered"), std::string::npos) << run.out;
  auto after =
      testing::ReadJsonFile(out / "verification" / "reports" / "Poll_communityDifferences.json");
  EXPECT_TRUE(after["differences"].empty()) << after.dump(2);
  EXPECT_EQ(testing::ReadJsonFile(out / "verification" / "reports" /
                                  "Poll_orphanedRemoteApplications.json")["count"],
            0);
  EXPECT_EQ((*admin.Get("/polls/api/synced/Poll/" + c['B']))["name"], "Team B Renamed");
  auto gone = admin.Send("GET", "/polls/api/polls/" + poll_c, "");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404) << "the orphan went to the trash";

  // Resync from the console, one community and widget.
  r = testing::RunConsole(
      server, "CommunitiesRemoteAppService.resyncRemoteAppsForCommunityAndWidget(\"" + c['D'] +
                  "\", \"Poll\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_NE(r.out.find("Resynced Poll of " + c['D']), std::string::npos) << r.out;
}

// Without CONCORD_TEST_APPLICATIONS the fixture is nowhere: not a service, not a widget.
TEST(RegistryTest, TheTestApplicationIsHiddenByDefault) {
  ::unsetenv("CONCORD_TEST_APPLICATIONS");
  TempDir dir("registry-hidden");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  auto made = admin.Post("/communities/api/communities", {{"name", "Plain"}});
  ASSERT_TRUE(made);
  auto add = admin.Send("POST", kBase + (*made)["uuid"].get<std::string>() + "/widgets",
                        json{{"widgetDefId", "Poll"}}.dump());
  ASSERT_TRUE(add);
  EXPECT_EQ(add->status, 400) << add->raw_body;
  auto serve = testing::RunCommand({(testing::BinDir() / "concord").string(), "serve", "--help"});
  EXPECT_EQ(serve.out.find("polls"), std::string::npos) << serve.out;
}

}  // namespace
}  // namespace concord
