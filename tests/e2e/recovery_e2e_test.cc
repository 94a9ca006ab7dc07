// The recovery toolkit end to end: an application's database restored from an older copy,
// then the reference's export, report and resync steps typed into concord-admin.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "concord/http/client.h"
#include "concord/testing/postgres.h"
#include "concord/testing/process.h"

namespace concord {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::ConcordServer;
using testing::Show;
using testing::TempDir;

TEST(RecoveryTest, AnOlderForumsDatabaseIsFoundOutAndResynced) {
  TempDir dir("recovery-forums");
  TempDir backup("recovery-backup");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  for (const char* login : {"ann", "bob"}) {
    ASSERT_TRUE(
        admin.Post("/communities/api/users", {{"login", login},
                                              {"email", std::string(login) + "@example.com"},
                                              {"displayName", login},
                                              {"password", "pw-" + std::string(login) + "-123"}}));
  }
  std::map<char, std::string> c;  // communities A..H, each with a Forum (a default widget)
  for (char k = 'A'; k <= 'H'; ++k) {
    auto made = admin.Post("/communities/api/communities", {{"name", std::string("Team ") + k}});
    ASSERT_TRUE(made);
    c[k] = (*made)["uuid"];
  }
  std::string base = "/communities/api/communities/";
  ASSERT_TRUE(admin.Post(base + c['D'] + "/members", {{"users", {"ann"}}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(testing::SaveTestDatabase(dir.path(), "forums", backup.path()));

  // After the backup: every kind of change.
  ASSERT_TRUE(server.Start());
  admin = server.AdminClient();
  ASSERT_TRUE(admin.Put(base + c['A'], {{"name", "Team A Renamed"}, {"theme", "green"}}));
  ASSERT_TRUE(
      admin.Put(base + c['B'], {{"visibility", "private"}, {"ownersApproveContent", true}}));
  ASSERT_TRUE(admin.Post(base + c['C'] + "/members", {{"users", {"bob"}}}));
  ASSERT_TRUE(admin.Put(base + c['D'] + "/members/ann", {{"role", "owner"}}));
  auto widgets = *admin.Get(base + c['E'] + "/widgets");
  for (const auto& w : widgets["items"]) {
    if (w["widgetDefId"] == "Forum") {
      ASSERT_TRUE(admin.Delete(base + c['E'] + "/widgets/" + w["instanceId"].get<std::string>()));
    }
  }
  auto f = admin.Post("/communities/api/communities", {{"name", "Team F (new)"}});
  c['F'] = (*f)["uuid"];
  ASSERT_TRUE(admin.Delete(base + c['G']));  // trashed
  ASSERT_TRUE(admin.Delete(base + c['H']));
  ASSERT_TRUE(admin.Delete("/communities/api/trash/" + c['H']));  // and purged
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  ASSERT_EQ(server.Stop(), 0);

  // Forums comes back from the older copy.
  ASSERT_TRUE(testing::RestoreTestDatabase(backup.path(), "forums", dir.path()));
  ASSERT_TRUE(server.Start());
  admin = server.AdminClient();

  fs::path work = dir.path() / "recovery";
  fs::create_directories(work);
  auto r = testing::RunConsole(server,
                               "execfile(\"forumsAdmin.py\")\n"
                               "ForumsService.exportSyncedResourceInfo(\"" +
                                   (work / "forumsOutput.xml").string() +
                                   "\", \"community\")\n"
                                   "execfile(\"communitiesAdmin.py\")\n"
                                   "CommunitiesRemoteAppService.generateSyncReports(\"" +
                                   (work / "forumsOutput.xml").string() + "\", \"" +
                                   (work / "reports").string() + "\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  auto diffs = testing::ReadJsonFile(work / "reports/Forum_communityDifferences.json");
  auto orphans = testing::ReadJsonFile(work / "reports/Forum_orphanedRemoteApplications.json");
  std::map<std::string, json> by_uuid;
  for (const auto& d : diffs["differences"]) by_uuid[d["communityUuid"]] = d;
  auto attributes = [&](char k) {
    std::map<std::string, std::string> out;
    for (const auto& a : by_uuid[c[k]]["attributes"]) out[a["attribute"]] = a["application"];
    return out;
  };
  EXPECT_EQ(attributes('A')["name"], "Team A");
  EXPECT_EQ(attributes('A')["theme"], "default");
  EXPECT_EQ(attributes('B')["visibility"], "public");
  EXPECT_EQ(attributes('B')["ownersApproveContent"], "false");
  EXPECT_EQ(by_uuid[c['C']]["membersMissing"].size(), 1u);
  EXPECT_EQ(by_uuid[c['D']]["ownersMissing"].size(), 1u);
  EXPECT_EQ(by_uuid[c['D']]["membersExtra"].size(), 1u);
  EXPECT_EQ(by_uuid[c['F']]["status"], "missingResource");
  EXPECT_EQ(by_uuid[c['G']]["status"], "trashed");
  EXPECT_EQ(by_uuid.size(), 6u) << diffs.dump(2);
  std::map<std::string, std::string> reasons;
  for (const auto& o : orphans["orphans"]) reasons[o["oldCommunityUuid"]] = o["reason"];
  EXPECT_EQ(reasons[c['E']], "widgetMissing");
  EXPECT_EQ(reasons[c['H']], "communityMissing");
  EXPECT_EQ(reasons.size(), 2u) << orphans.dump(2);

  // An owner's toggle (public, save, restricted, save) re-sends B's state: B is repaired.
  ASSERT_TRUE(admin.Put(base + c['B'], {{"visibility", "public"}}));
  ASSERT_TRUE(admin.Put(base + c['B'], {{"visibility", "private"}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  r = testing::RunConsole(
      server, "ForumsService.exportSyncedResourceInfo(\"" + (work / "toggled.xml").string() +
                  "\", \"community\")\n"
                  "CommunitiesRemoteAppService.generateSyncReports(\"" +
                  (work / "toggled.xml").string() + "\", \"" + (work / "toggled").string() + "\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  auto toggled = testing::ReadJsonFile(work / "toggled/Forum_communityDifferences.json");
  EXPECT_EQ(toggled["count"], 5);
  for (const auto& d : toggled["differences"]) EXPECT_NE(d["communityUuid"], c['B']);

  // The reference's resync for every community with a Forum, then a second export and report:
  // what resync can fix is gone (the orphans remain, for their own step).
  r = testing::RunConsole(
      server, "CommunitiesRemoteAppService.resyncRemoteAppsForAllCommunities(\"Forum\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_NE(r.out.find("Total Processed: 7   Last processed communityUuid: "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Done.\n7\n"), std::string::npos) << r.out;
  r = testing::RunConsole(server, "ForumsService.exportSyncedResourceInfo(\"" +
                                      (work / "after.xml").string() +
                                      "\", \"community\")\n"
                                      "CommunitiesRemoteAppService.generateSyncReports(\"" +
                                      (work / "after.xml").string() + "\", \"" +
                                      (work / "after").string() + "\", \"de\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  diffs = testing::ReadJsonFile(work / "after/Forum_communityDifferences.json");
  // Every difference is gone, the trashed community's too: the resync told Forums it is in the
  // trash (the restored forums.db did not know).
  EXPECT_TRUE(diffs["differences"].empty()) << diffs.dump(2);
  EXPECT_EQ(diffs["locale"], "de");
  EXPECT_EQ(testing::ReadJsonFile(work / "after/Forum_orphanedRemoteApplications.json")["count"],
            2);
  // The resource of F was re-created and its widget bound to it.
  auto record = admin.Get("/forums/api/synced/Forum/" + c['F']);
  ASSERT_TRUE(record) << record.error().ToString();
  auto f_widgets = *admin.Get(base + c['F'] + "/widgets");
  for (const auto& w : f_widgets["items"]) {
    if (w["widgetDefId"] == "Forum") {
      EXPECT_EQ(w["remoteResourceId"], (*record)["resourceId"]);
    }
  }

  // The orphans: E's forum goes back to E (its widget was removed), H's (purged) is deleted.
  std::map<std::string, std::string> orphan_id;
  for (const auto& o : orphans["orphans"])
    orphan_id[o["oldCommunityUuid"]] = o["objectIdentifyingId"];
  r = testing::RunConsole(server, "CommunitiesRemoteAppService.assignRemoteApp(\"Forum\", \"" +
                                      orphan_id[c['E']] + "\", \"" + c['E'] + "\", \"" + c['A'] +
                                      "\", \"col2\")");
  EXPECT_EQ(r.exit_code, 1) << "A has a Forum already";
  EXPECT_NE(r.err.find("already has a Forum widget"), std::string::npos) << Show(r);
  EXPECT_NE(r.err.find("removeAllWidgetsByWidgetDefId(\"" + c['A'] + "\", \"Forum\")"),
            std::string::npos)
      << Show(r);
  r = testing::RunConsole(
      server, "CommunitiesRemoteAppService.assignRemoteApp(\"Forum\", \"no-such-forum\", \"" +
                  c['E'] + "\", \"" + c['E'] + "\", \"col2\")");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Forum has no community resource no-such-forum"), std::string::npos)
      << Show(r);
  r = testing::RunConsole(server, "CommunitiesRemoteAppService.assignRemoteApp(\"Forum\", \"" +
                                      orphan_id[c['E']] + "\", \"" + c['E'] + "\", \"" + c['E'] +
                                      "\", \"col2statusposts\")");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("accepted: col2"), std::string::npos) << Show(r);
  r = testing::RunConsole(server, "CommunitiesRemoteAppService.assignRemoteApp(\"Forum\", \"" +
                                      orphan_id[c['E']] + "\", \"" + c['E'] + "\", \"" + c['E'] +
                                      "\", \"col2\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_NE(r.out.find("Assignment succeeded\n"), std::string::npos) << r.out;
  r = testing::RunConsole(server,
                          "f = ForumsService.fetchForumsByName(\"Team H\")\n"
                          "print(len(f))\n"
                          "ForumsService.deleteForums(ForumsService.filterInput(f, \"^" +
                              orphan_id[c['H']] + "$\", \"forumID\"))");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_NE(r.out.find("1\nMoved 1 Forum resource to the trash.\n[]\n"), std::string::npos)
      << r.out;
  // Nothing left: the export and report say so.
  r = testing::RunConsole(server, "ForumsService.exportSyncedResourceInfo(\"" +
                                      (work / "final.xml").string() +
                                      "\", \"community\")\n"
                                      "CommunitiesRemoteAppService.generateSyncReports(\"" +
                                      (work / "final.xml").string() + "\", \"" +
                                      (work / "final").string() + "\", \"fr\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_EQ(testing::ReadJsonFile(work / "final/Forum_orphanedRemoteApplications.json")["count"],
            0);
  diffs = testing::ReadJsonFile(work / "final/Forum_communityDifferences.json");
  EXPECT_TRUE(diffs["differences"].empty()) << diffs.dump(2);
  // E has its forum back, content and all.
  auto e_widgets = *admin.Get(base + c['E'] + "/widgets");
  bool bound = false;
  for (const auto& w : e_widgets["items"]) {
    bound = bound || (w["widgetDefId"] == "Forum" && w["remoteResourceId"] == orphan_id[c['E']]);
  }
  EXPECT_TRUE(bound) << e_widgets.dump();
  EXPECT_TRUE(admin.Get("/forums/api/synced/Forum/" + c['E']));

  // One community, and one community and widget.
  r = testing::RunConsole(
      server, "CommunitiesRemoteAppService.resyncRemoteAppsForCommunity(\"" + c['A'] +
                  "\")\nCommunitiesRemoteAppService.resyncRemoteAppsForCommunityAndWidget(\"" +
                  c['A'] + "\", \"Forum\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_NE(r.out.find("Resynced Forum of " + c['A']), std::string::npos) << r.out;
  // Bad input.
  r = testing::RunConsole(
      server, "CommunitiesRemoteAppService.resyncRemoteAppsForCommunityAndWidget(\"" + c['A'] +
                  "\", \"Forums\")");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'Forums' is not a remote application's widgetDefId"), std::string::npos)
      << Show(r);
  r = testing::RunConsole(
      server,
      "CommunitiesRemoteAppService.restartResyncRemoteAppsForAllCommunities(\"x\", \"Forum\")");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'x' is not a community uuid"), std::string::npos) << Show(r);
  r = testing::RunConsole(
      server, "CommunitiesRemoteAppService.generateSyncReports(\"relative.xml\", \"/tmp\")");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("must be an absolute path"), std::string::npos) << Show(r);
  r = testing::RunConsole(server, "CommunitiesRemoteAppService.generateSyncReports(\"" +
                                      (work / "after.xml").string() + "\", \"" +
                                      (work / "x").string() + "\", \"es\")");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("accepted: en, de, fr"), std::string::npos) << Show(r);
  r = testing::RunConsole(server, "BlogsAdminService.exportSyncedResourceInfo(\"" +
                                      (work / "b.xml").string() + "\", \"community\", \"Wiki\")");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("BlogType must be \"Blog\" or \"IdeationBlog\""), std::string::npos)
      << Show(r);
  EXPECT_FALSE(fs::exists(work / "b.xml"));
}

// Files and Activities shares with communities that changed or vanished behind their back
// (a restored database), repaired by syncAllCommunityShares; checkFiles on the content store.
TEST(RecoveryTest, SharesFollowCommunitiesAgainAndCheckFilesSortsTheStore) {
  TempDir dir("recovery-shares");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::string base = "/communities/api/communities/";
  auto make = [&](const std::string& name, const std::string& visibility) {
    return (*admin.Post("/communities/api/communities",
                        {{"name", name}, {"visibility", visibility}}))["uuid"]
        .get<std::string>();
  };
  std::string restricted = make("Restricted Team", "private");
  std::string renamed = make("Old Name", "public");
  std::string doomed = make("Doomed", "private");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));  // Files and Activities know the communities
  std::string library = (*admin.Get("/files/api/me/library"))["id"];
  auto upload = [&](const std::string& name, const std::string& visibility) {
    auto r = admin.Send(
        "POST",
        "/files/api/libraries/" + library + "/files?name=" + name + "&visibility=" + visibility,
        "content of " + name);
    EXPECT_EQ(r->status, 201) << r->raw_body;
    return r->body["id"].get<std::string>();
  };
  std::string secret = upload("secret.txt", "private");
  std::string open = upload("open.txt", "public");
  std::string gone = upload("gone.txt", "private");
  ASSERT_TRUE(admin.Post("/files/api/files/" + secret + "/shares", {{"community", restricted}}));
  ASSERT_TRUE(admin.Post("/files/api/files/" + open + "/shares", {{"community", renamed}}));
  ASSERT_TRUE(admin.Post("/files/api/files/" + gone + "/shares", {{"community", doomed}}));
  std::string activity = (*admin.Post("/activities/api/activities", {{"title", "Plan"}}))["id"];
  auto member =
      admin.Post("/activities/api/activities/" + activity + "/members", {{"community", renamed}});
  ASSERT_TRUE(member) << member.error().ToString();
  ASSERT_TRUE(
      admin.Post("/activities/api/activities/" + activity + "/members", {{"community", doomed}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  ASSERT_EQ(server.Stop(), 0);
  TempDir backup("recovery-shares-backup");
  ASSERT_TRUE(testing::SaveTestDatabase(dir.path(), "files", backup.path()));
  ASSERT_TRUE(testing::SaveTestDatabase(dir.path(), "activities", backup.path()));

  ASSERT_TRUE(server.Start());
  admin = server.AdminClient();
  ASSERT_TRUE(admin.Put(base + restricted, {{"visibility", "public"}}));
  ASSERT_TRUE(admin.Put(base + renamed, {{"name", "New Name"}}));
  ASSERT_TRUE(admin.Delete(base + doomed));
  ASSERT_TRUE(admin.Delete("/communities/api/trash/" + doomed));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  ASSERT_EQ(server.Stop(), 0);
  // Files and Activities come back from before those changes.
  ASSERT_TRUE(testing::RestoreTestDatabase(backup.path(), "files", dir.path()));
  ASSERT_TRUE(testing::RestoreTestDatabase(backup.path(), "activities", dir.path()));
  // And the content store has a stray binary, and lost one.
  fs::create_directories(dir.path() / "files-content" / "zz");
  std::ofstream(dir.path() / "files-content" / "zz" / "zz-stray") << "no record";
  fs::remove(dir.path() / "files-content" / open.substr(0, 2) / open);
  ASSERT_TRUE(server.Start());
  admin = server.AdminClient();

  auto r = testing::RunConsole(
      server,
      "execfile(\"filesAdmin.py\")\nFilesDataIntegrityService.syncAllCommunityShares()\n"
      "execfile(\"activitiesAdmin.py\")\nAccessControlService.syncAllCommunityShares()");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_NE(
      r.out.find("3 communities shared with (1 no longer exist): 1 shares brought up to date, "
                 "2 removed."),
      std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find("2 communities shared with (1 no longer exist): 1 shares brought up to date, "
                 "1 removed."),
      std::string::npos)
      << r.out;
  auto shares = [&](const std::string& file) {
    return (*admin.Get("/files/api/files/" + file))["shares"];
  };
  EXPECT_TRUE(shares(secret).empty())
      << "a private file is no longer shared with a public community";
  ASSERT_EQ(shares(open).size(), 1u);
  EXPECT_EQ(shares(open)[0]["communityName"], "New Name");
  EXPECT_TRUE(shares(gone).empty()) << "the community is gone; the file stays with its owner";
  EXPECT_TRUE(admin.Get("/files/api/files/" + gone));
  auto members = (*admin.Get("/activities/api/activities/" + activity))["members"];
  int communities = 0;
  for (const auto& m : members) {
    if (m["type"] != "community") continue;
    ++communities;
    EXPECT_EQ(m["communityName"], "New Name");
  }
  EXPECT_EQ(communities, 1);
  // A second run has nothing left to do.
  r = testing::RunConsole(server, "FilesDataIntegrityService.syncAllCommunityShares()");
  EXPECT_NE(r.out.find("0 shares brought up to date, 0 removed."), std::string::npos) << r.out;

  fs::path extra = dir.path() / "extra-files";
  r = testing::RunConsole(server,
                          "FilesDataIntegrityService.checkFiles(\"" + extra.string() + "\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_NE(r.out.find("1 without a record moved to"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 records without their binary"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(open), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(extra / "zz-stray"));
  EXPECT_FALSE(fs::exists(dir.path() / "files-content" / "zz" / "zz-stray"));
  r = testing::RunConsole(server, "FilesDataIntegrityService.checkFiles(\"relative/dir\")");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("must be an absolute path"), std::string::npos) << Show(r);
  r = testing::RunConsole(server, "FilesDataIntegrityService.checkFiles(\"" +
                                      (dir.path() / "files-content" / "x").string() + "\")");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("outside the Files content store"), std::string::npos) << Show(r);
}

// A deployment in step: every application's export agrees with Communities, report by report.
// Libraries, which the reference leaves out of the export, report and orphan steps, take part
// like every application (their console object comes from their description in the registry):
// an orphan left by a restored libraries.db is reported with its deletion command line, and that
// line, run as it is printed, deletes it.
TEST(RecoveryTest, ALibraryOrphanIsReportedAndItsPrintedCommandDeletesIt) {
  TempDir dir("recovery-library");
  TempDir backup("recovery-library-backup");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::string base = "/communities/api/communities/";
  std::string uuid = (*admin.Post("/communities/api/communities", {{"name", "Archive"}}))["uuid"];
  ASSERT_TRUE(admin.Post(base + uuid + "/widgets", {{"widgetDefId", "Library"}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(testing::SaveTestDatabase(dir.path(), "libraries", backup.path()));
  ASSERT_TRUE(server.Start());
  admin = server.AdminClient();
  ASSERT_TRUE(admin.Delete(base + uuid));
  ASSERT_TRUE(admin.Delete("/communities/api/trash/" + uuid));  // purged
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(testing::RestoreTestDatabase(backup.path(), "libraries",
                                           dir.path()));  // Libraries still has it
  ASSERT_TRUE(server.Start());

  fs::path work = dir.path() / "recovery";
  fs::create_directories(work);
  auto export_and_report = [&](const std::string& name) {
    return testing::RunConsole(server,
                               "execfile(\"librariesAdmin.py\")\n"
                               "LibrariesService.exportSyncedResourceInfo(\"" +
                                   (work / (name + ".xml")).string() +
                                   "\", \"community\")\n"
                                   "CommunitiesRemoteAppService.generateSyncReports(\"" +
                                   (work / (name + ".xml")).string() + "\", \"" +
                                   (work / name).string() + "\")");
  };
  auto r = export_and_report("before");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  auto orphans = testing::ReadJsonFile(work / "before/Library_orphanedRemoteApplications.json");
  ASSERT_EQ(orphans["orphans"].size(), 1u) << orphans.dump(2);
  std::string command = orphans["orphans"][0]["deleteCommand"];
  EXPECT_TRUE(command.starts_with("LibrariesService.delete(\"")) << command;
  r = testing::RunConsole(server, "execfile(\"librariesAdmin.py\")\n" + command);
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_NE(r.out.find("Moved 1 Library resource to the trash."), std::string::npos) << r.out;
  r = export_and_report("after");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_EQ(testing::ReadJsonFile(work / "after/Library_orphanedRemoteApplications.json")["count"],
            0);
}

TEST(RecoveryTest, EveryApplicationOfAPopulatedDeploymentIsInStep) {
  TempDir dir("recovery-populated");
  auto p = testing::RunConcord(dir.path(), {"populate", "--communities", "40"});
  ASSERT_EQ(p.exit_code, 0) << Show(p);
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  fs::path work = dir.path() / "reports";
  std::string script;
  for (const auto& [command, app] : std::vector<std::pair<std::string, std::string>>{
           {"ActivityService.exportSyncedResourceInfo(\"{}\", \"community\")", "Activities"},
           {"BlogsAdminService.exportSyncedResourceInfo(\"{}\", \"community\")", "Blog"},
           {"BlogsAdminService.exportSyncedResourceInfo(\"{}\", \"community\", \"IdeationBlog\")",
            "IdeationBlog"},
           {"FilesLibraryService.exportSyncedResourceInfo(\"{}\", \"community\")", "Files"},
           {"ForumsService.exportSyncedResourceInfo(\"{}\", \"community\")", "Forum"},
           {"NewsMicrobloggingService.exportSyncedResourceInfo(\"{}\", \"community\")",
            "StatusUpdates"},
           {"WikisLibraryService.exportSyncedResourceInfo(\"{}\", \"community\")", "Wiki"},
           // Concord's own (the reference has no export for Libraries).
           {"LibrariesService.exportSyncedResourceInfo(\"{}\", \"community\")", "Library"}}) {
    std::string file = (work / (app + ".xml")).string();
    std::string export_line = command;
    export_line.replace(export_line.find("{}"), 2, file);
    script += export_line + "\n";
    script += "s = CommunitiesRemoteAppService.generateSyncReports(\"" + file + "\", \"" +
              work.string() + "\")\n";
    script += "assert s['resources'] > 0 and s['differences'] == 0 and s['orphans'] == 0, s\n";
  }
  fs::create_directories(work);
  auto r = testing::RunConsole(server, script);
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  for (const char* app : {"Activities", "Blog", "IdeationBlog", "Files", "Forum", "StatusUpdates",
                          "Wiki", "Library"}) {
    EXPECT_EQ(
        testing::ReadJsonFile(work / (std::string(app) + "_communityDifferences.json"))["count"], 0)
        << app;
  }
}

TEST(RecoveryTest, EveryToolkitCommandRefusesBadInputAndChangesNothing) {
  TempDir dir("recovery-bad-input");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::string uuid = (*admin.Post("/communities/api/communities", {{"name", "Kept"}}))["uuid"];
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto forum_before = *admin.Get("/forums/api/synced/Forum/" + uuid);
  struct Case {
    std::string command, expected;
  } cases[] = {
      {"ActivityService.exportSyncedResourceInfo(\"/tmp/a.xml\", \"communities\")",
       "eventType must be \"community\""},
      {"FilesLibraryService.exportSyncedResourceInfo(\"/nonexistent-dir/f.xml\", \"community\")",
       "the directory /nonexistent-dir does not exist"},
      {"WikisLibraryService.exportSyncedResourceInfo(\"C:\\\\temp\\\\w.xml\", \"community\")",
       "must use forward slashes"},
      {"CommunitiesRemoteAppService.generateSyncReports(\"/nonexistent.xml\", \"/tmp/r\")",
       "no such file"},
      {"CommunitiesRemoteAppService.resyncRemoteAppsForCommunity(\"not-a-uuid\")",
       "'not-a-uuid' is not a community uuid"},
      {"CommunitiesRemoteAppService.resyncRemoteAppsForAllCommunities(\"Members\")",
       "'Members' is not a remote application's widgetDefId"},
      {"CommunitiesRemoteAppService.assignRemoteApp(\"Forums\", \"x\", \"" + uuid + "\", \"" +
           uuid + "\", \"col2\")",
       "'Forums' is not a remote application's widgetDefId"},
      {"ActivityService.fetchActivitiesByCommunityExId(\"x\")", "'x' is not a community uuid"},
      {"ActivityService.deleteActivities(\"abc\")", "activities must be a list"},
      {"ActivityService.deleteActivities([{\"nope\": 1}])", "must be a list of ids or of the maps"},
      {"ActivityService.deleteActivities([])", "nothing to delete"},
      {"BlogsAdminService.deleteWeblog(\"no-such-blog\")", "no such resource"},
      {"FilesLibraryService.delete(\"no-such-library\")", "no such resource"},
      {"WikisLibraryService.deleteBatch(\"/nonexistent/ids.txt\")",
       "cannot read /nonexistent/ids.txt"},
      {"ForumsService.filterInput([], \"(\", \"forumID\")", "is not a regular expression"},
      {"ForumsService.deleteForums(None)", "forums must be a list"},
      {"NewsMicrobloggingService.deleteMicroblogs(\"x\")", "'x' is not a community uuid"},
      {"FilesDataIntegrityService.syncAllCommunityShares(1)", "takes 0 arguments, not 1"},
      {"FilesDataIntegrityService.checkFiles(5)", "extraFileDirectory must be a string"},
  };
  for (const auto& c : cases) {
    auto r = testing::RunConsole(server, c.command);
    EXPECT_EQ(r.exit_code, 1) << c.command << "\n" << Show(r);
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.command << "\n" << Show(r);
  }
  auto forum_after = *admin.Get("/forums/api/synced/Forum/" + uuid);
  EXPECT_EQ(forum_after, forum_before);
  EXPECT_TRUE((*admin.Get("/communities/api/admin/queue/events?limit=1"))["items"].empty());

  // Libraries have no export, but resync (the reference's way for them) reaches them.
  auto r = testing::RunConsole(server, "CommunitiesService.addWidget(\"" + uuid +
                                           "\", \"Library\")\n"
                                           "CommunitiesService.updateCommunityName(\"" +
                                           uuid + "\", \"Kept Too\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  r = testing::RunConsole(
      server, "CommunitiesRemoteAppService.resyncRemoteAppsForCommunityAndWidget(\"" + uuid +
                  "\", \"Library\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_NE(r.out.find("Resynced Library of " + uuid), std::string::npos) << r.out;
  EXPECT_EQ((*admin.Get("/libraries/api/synced/Library/" + uuid))["name"], "Kept Too");
}

}  // namespace
}  // namespace concord
