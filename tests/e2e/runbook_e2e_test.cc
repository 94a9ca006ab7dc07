// Backup, restore and the one-command recovery (concord backup / restore / recover), end to end
// with real processes: the scenarios of the backup-and-restore issue.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "concord/db/database.h"
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

CommandResult Concord(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {(testing::BinDir() / "concord").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::RunCommand(argv, {}, std::chrono::seconds(300));
}

// `concord SUBCOMMAND --data-dir DIR ARGS...`: backup, restore and recover on one deployment.
CommandResult Concord(const fs::path& data_dir, std::vector<std::string> args) {
  return testing::RunConcord(data_dir, std::move(args));
}

const std::string kBase = "/communities/api/communities/";

std::string Make(http::Client& admin, const std::string& name,
                 const std::string& visibility = "public") {
  auto made =
      admin.Post("/communities/api/communities", {{"name", name}, {"visibility", visibility}});
  EXPECT_TRUE(made) << (made ? "" : made.error().ToString());
  return made ? (*made)["uuid"].get<std::string>() : "";
}

// The community's widget of `def`: {instanceId, remoteResourceId}, or null.
json Widget(http::Client& admin, const std::string& community, const std::string& def) {
  auto widgets = admin.Get(kBase + community + "/widgets");
  if (!widgets) return nullptr;
  for (const auto& w : (*widgets)["items"]) {
    if (w["widgetDefId"] == def) return w;
  }
  return nullptr;
}

void RemoveWidget(http::Client& admin, const std::string& community, const std::string& def) {
  json w = Widget(admin, community, def);
  ASSERT_FALSE(w.is_null());
  ASSERT_TRUE(admin.Delete(kBase + community + "/widgets/" + w["instanceId"].get<std::string>()));
}

void AddWidget(http::Client& admin, const std::string& community, const std::string& def) {
  auto r = admin.Post(kBase + community + "/widgets", {{"widgetDefId", def}});
  ASSERT_TRUE(r) << r.error().ToString();
}

void AddUsers(http::Client& admin, const std::vector<std::string>& logins) {
  for (const auto& login : logins) {
    ASSERT_TRUE(admin.Post("/communities/api/users", {{"login", login},
                                                      {"email", login + "@example.com"},
                                                      {"displayName", login},
                                                      {"password", "pw-" + login + "-123"}}));
  }
}

// The final verification of a run: every report of every application, no difference left.
void ExpectAgreement(const fs::path& reports) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(reports)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with("_communityDifferences.json")) {
      ++files;
      // The file's JSON held by name: a range-for over a temporary's subscript would iterate a
      // destroyed object (before C++23's lifetime extension) and check nothing.
      const json report = testing::ReadJsonFile(entry.path());
      for (const auto& d : report["differences"]) {
        // Only communities in the trash may be listed, and with nothing else differing.
        EXPECT_EQ(d["status"], "trashed") << name << ": " << d.dump();
        EXPECT_TRUE(d["attributes"].empty()) << name << ": " << d.dump();
        EXPECT_TRUE(d["membersMissing"].empty() && d["membersExtra"].empty()) << d.dump();
      }
    }
    if (name.ends_with("_orphanedRemoteApplications.json")) {
      EXPECT_TRUE(testing::ReadJsonFile(entry.path())["orphans"].empty()) << name;
    }
  }
  EXPECT_GT(files, 0) << "no report in " << reports;
}

bool MaintenanceOn(const fs::path& data_dir) {
  return Concord({"maintenance", "status", "--data-dir", data_dir.string()}).exit_code == 0;
}

// One application restored from a backup older than everything else: every kind of change made
// after the backup comes back through replay and resync, and nothing that survived elsewhere
// is lost.
TEST(RunbookTest, AnApplicationRestoredFromAnOlderBackupIsRecoveredByOneCommand) {
  TempDir dir("runbook-app");
  TempDir backups("runbook-app-backups");
  // A populated deployment: every sample community's remote widgets bound to resources with
  // content, in every application.
  auto populated = Concord(dir.path(), {"populate", "--communities", "40"});
  ASSERT_EQ(populated.exit_code, 0) << Show(populated);
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  // What the surviving applications hold now, to compare after the recovery.
  auto surviving = [&] {
    std::map<std::string, int64_t> counts;
    fs::path probe = dir.path() / "probe";
    fs::create_directories(probe);
    for (const char* app : {"Blog", "Wiki", "StatusUpdates", "Files", "Activities", "Library"}) {
      const std::string service = std::string(app) == "Blog"            ? "blogs"
                                  : std::string(app) == "Wiki"          ? "wikis"
                                  : std::string(app) == "StatusUpdates" ? "news"
                                  : std::string(app) == "Files"         ? "files"
                                  : std::string(app) == "Activities"    ? "activities"
                                                                        : "libraries";
      std::string xml;
      auto s = admin.Download("/" + service + "/api/admin/export/" + app, [&](std::string_view c) {
        xml += c;
        return true;
      });
      EXPECT_TRUE(s) << app;
      size_t n = 0;
      for (size_t p = xml.find("<resource "); p != std::string::npos;
           p = xml.find("<resource ", p + 1)) {
        ++n;
      }
      counts[app] = static_cast<int64_t>(n);
    }
    return counts;
  };
  AddUsers(admin, {"ann", "bob", "cat"});
  std::map<char, std::string> c;
  for (char k = 'A'; k <= 'K'; ++k) c[k] = Make(admin, std::string("Team ") + k);
  c['L'] = Make(admin, "Team L", "private");
  ASSERT_TRUE(admin.Post(kBase + c['D'] + "/members", {{"users", {"ann", "bob"}}}));
  ASSERT_TRUE(admin.Post(kBase + c['E'] + "/members", {{"users", {"cat"}}}));
  RemoveWidget(admin, c['F'], "Forum");       // F gets its Forum only after the backup
  ASSERT_TRUE(admin.Delete(kBase + c['J']));  // in the trash at backup time
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  std::string forum_a = Widget(admin, c['A'], "Forum")["remoteResourceId"];
  auto topic = admin.Post("/forums/api/forums/" + forum_a + "/topics", {{"title", "Before"}});
  ASSERT_TRUE(topic) << topic.error().ToString();

  // A backup of everything, online.
  fs::path backup = backups.path() / "monday";
  auto b = Concord(dir.path(), {"backup", "--all", "--to", backup.string()});
  ASSERT_EQ(b.exit_code, 0) << Show(b);
  json manifest = testing::ReadJsonFile(backup / "manifest.json");
  EXPECT_EQ(manifest["services"]["forums"]["schemaVersion"], 3);
  EXPECT_GT(manifest["services"]["forums"]["lastAppliedEventSeq"].get<int64_t>(), 0);
  EXPECT_TRUE(manifest["services"].contains("files-content"));

  // After the backup: every kind of change.
  ASSERT_TRUE(admin.Put(kBase + c['A'], {{"name", "Team A Renamed"}, {"theme", "green"}}));
  ASSERT_TRUE(admin.Put(kBase + c['B'], {{"visibility", "private"}}));
  ASSERT_TRUE(admin.Put(kBase + c['L'], {{"visibility", "public"}}));
  ASSERT_TRUE(
      admin.Put(kBase + c['C'], {{"ownersApproveContent", true}, {"viewersFlagContent", true}}));
  ASSERT_TRUE(admin.Put(kBase + c['D'] + "/members/ann", {{"role", "owner"}}));
  ASSERT_TRUE(admin.Delete(kBase + c['D'] + "/members/bob"));
  ASSERT_TRUE(admin.Post(kBase + c['E'] + "/members", {{"users", {"ann"}}}));
  AddWidget(admin, c['F'], "Forum");
  RemoveWidget(admin, c['G'], "Forum");
  ASSERT_TRUE(admin.Delete(kBase + c['H']));  // trashed
  ASSERT_TRUE(admin.Post("/communities/api/trash/" + c['J'] + "/restore", json::object()));
  ASSERT_TRUE(admin.Delete(kBase + c['I']));
  ASSERT_TRUE(admin.Delete("/communities/api/trash/" + c['I']));  // deleted for good
  auto sub = admin.Post(kBase + c['K'] + "/subcommunities", {{"name", "K Sub"}});
  ASSERT_TRUE(sub) << sub.error().ToString();
  std::string k_sub = (*sub)["uuid"];
  // Content added after the backup in a surviving application (Wikis).
  AddWidget(admin, c['A'], "Wiki");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  std::string wiki_a = Widget(admin, c['A'], "Wiki")["remoteResourceId"];
  ASSERT_TRUE(admin.Post("/wikis/api/wikis/" + wiki_a + "/pages", {{"title", "After"}}));

  auto survivors = surviving();
  EXPECT_GT(survivors["Wiki"], 0);

  // Forums comes back from Monday, while Concord runs.
  auto r = Concord(dir.path(), {"restore", "--service", "forums", "--from", backup.string()});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_TRUE(MaintenanceOn(dir.path())) << "a restore turns maintenance mode on";
  EXPECT_NE(r.out.find("concord recover"), std::string::npos) << r.out;
  // What it replaced is kept.
  ASSERT_TRUE(fs::exists(dir.path() / "restore-quarantine"));
  bool kept = false;
  for (const auto& e : fs::recursive_directory_iterator(dir.path() / "restore-quarantine")) {
    kept = kept || e.path().filename() == "forums.db" || e.path().filename() == "forums.dump";
  }
  EXPECT_TRUE(kept);

  // The plan, then the run.
  fs::path out = dir.path() / "recovery-run";
  auto plan =
      Concord(dir.path(), {"recover", "--restored", "forums", "--dry-run", "--out", out.string()});
  ASSERT_EQ(plan.exit_code, 0) << Show(plan);
  EXPECT_NE(plan.out.find("Replay"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("Dry run"), std::string::npos) << plan.out;
  EXPECT_FALSE(fs::exists(out)) << "a dry run writes nothing";

  auto run = Concord(dir.path(), {"recover", "--restored", "forums", "--out", out.string()});
  ASSERT_EQ(run.exit_code, 0) << Show(run);
  EXPECT_NE(run.out.find("Recovered"), std::string::npos) << run.out;
  EXPECT_FALSE(MaintenanceOn(dir.path()));
  ExpectAgreement(out / "verification" / "reports");
  // Replay did the work: the report after it, before any resync, already finds everything
  // back in step.
  json state = testing::ReadJsonFile(out / "recover-state.json");
  EXPECT_GT(state["replay"]["Forum"]["replayed"].get<int64_t>(), 0) << state.dump();
  ExpectAgreement(out / "before" / "reports");
  // The audit log holds every command.
  std::ifstream audit(out / "audit.log");
  std::stringstream log;
  log << audit.rdbuf();
  EXPECT_NE(log.str().find("pauseSchedulingTask"), std::string::npos);
  EXPECT_NE(log.str().find("replayEvents"), std::string::npos);
  EXPECT_NE(log.str().find("resumeSchedulingTask"), std::string::npos);

  // The Forum added after the backup has a resource again, and the widget is bound to it.
  admin = server.AdminClient();
  json f_widget = Widget(admin, c['F'], "Forum");
  ASSERT_FALSE(f_widget["remoteResourceId"].is_null());
  auto forum_f = admin.Get("/forums/api/forums/" + f_widget["remoteResourceId"].get<std::string>());
  EXPECT_TRUE(forum_f) << "the widget's forum exists";
  auto forums_k = admin.Get("/forums/api/communities/" + k_sub + "/forums");
  ASSERT_TRUE(forums_k);
  EXPECT_FALSE((*forums_k)["items"].empty()) << "the subcommunity's forum came back";
  // What survived in Forums' backup (a topic) and in Wikis (a page written after it) exists.
  auto topics = admin.Get("/forums/api/forums/" + forum_a + "/topics");
  ASSERT_TRUE(topics);
  ASSERT_EQ((*topics)["items"].size(), 1u);
  EXPECT_EQ((*topics)["items"][0]["title"], "Before");
  auto pages = admin.Get("/wikis/api/wikis/" + wiki_a + "/pages");
  ASSERT_TRUE(pages);
  EXPECT_EQ((*pages)["items"].size(), 1u);
  EXPECT_EQ(surviving(), survivors) << "the other applications lost nothing";
  // And the deployment follows new changes again: a later check finds them applied without
  // any repair (its first report is already clean).
  ASSERT_TRUE(admin.Put(kBase + c['A'], {{"name", "Team A Again"}}));
  ASSERT_TRUE(admin.Post(kBase + c['E'] + "/members", {{"users", {"bob"}}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  fs::path check = dir.path() / "check";
  auto again = Concord(dir.path(), {"recover", "--restored", "forums", "--out", check.string()});
  ASSERT_EQ(again.exit_code, 0) << Show(again);
  ExpectAgreement(check / "before" / "reports");
  ASSERT_EQ(server.Stop(), 0);
}

// The case that matters most in a company: the DBA restored Forums' database with the database's
// own tools (a file copy; on PostgreSQL, pg_restore) while Concord was stopped. No Concord backup
// and no manifest: maintenance mode on, then the runbook brings everything back in step.
TEST(RunbookTest, ADatabaseTheDbaRestoredWithItsOwnToolsIsRecovered) {
  TempDir dir("runbook-dba");
  TempDir dba("runbook-dba-copies");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  AddUsers(admin, {"ann", "bob"});
  std::map<char, std::string> c;
  for (char k = 'A'; k <= 'F'; ++k) c[k] = Make(admin, std::string("DBA ") + k);
  RemoveWidget(admin, c['D'], "Forum");  // D gets its Forum only after the copy
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  std::string forum_a = Widget(admin, c['A'], "Forum")["remoteResourceId"];
  ASSERT_TRUE(admin.Post("/forums/api/forums/" + forum_a + "/topics", {{"title", "Before"}}));
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(testing::SaveTestDatabase(dir.path(), "forums", dba.path()));

  ASSERT_TRUE(server.Start());
  admin = server.AdminClient();
  ASSERT_TRUE(admin.Put(kBase + c['A'], {{"name", "DBA A Renamed"}}));
  ASSERT_TRUE(admin.Post(kBase + c['B'] + "/members", {{"users", {"ann", "bob"}}}));
  RemoveWidget(admin, c['C'], "Forum");
  AddWidget(admin, c['D'], "Forum");
  ASSERT_TRUE(admin.Delete(kBase + c['F']));  // to the trash
  c['G'] = Make(admin, "DBA G (new)");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  ASSERT_EQ(server.Stop(), 0);

  // The DBA's restore, with Concord stopped; then the administrator's runbook.
  auto restored = testing::RestoreTestDatabase(dba.path(), "forums", dir.path());
  ASSERT_TRUE(restored) << restored.error().ToString();
  auto on = Concord({"maintenance", "on", "--data-dir", dir.path().string()});
  ASSERT_EQ(on.exit_code, 0) << Show(on);
  ASSERT_TRUE(server.Start());
  fs::path out = dir.path() / "recovery-run";
  auto run = Concord(dir.path(), {"recover", "--restored", "forums", "--out", out.string()});
  ASSERT_EQ(run.exit_code, 0) << Show(run);
  EXPECT_NE(run.out.find("Recovered"), std::string::npos) << run.out;
  EXPECT_FALSE(MaintenanceOn(dir.path()));
  ExpectAgreement(out / "verification" / "reports");

  admin = server.AdminClient();
  auto a = admin.Get("/forums/api/synced/Forum/" + c['A']);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ((*a)["name"], "DBA A Renamed");
  auto b = admin.Get("/forums/api/synced/Forum/" + c['B']);
  ASSERT_TRUE(b);
  EXPECT_EQ((*b)["members"].size(), 2u) << b->dump();  // ann and bob (and its owner)
  EXPECT_EQ((*b)["owners"].size(), 1u) << b->dump();
  for (char k : {'D', 'G'}) {
    json w = Widget(admin, c[k], "Forum");
    ASSERT_FALSE(w["remoteResourceId"].is_null()) << k;
    EXPECT_TRUE(admin.Get("/forums/api/forums/" + w["remoteResourceId"].get<std::string>()))
        << "the Forum added after the DBA's copy exists (" << k << ")";
  }
  auto f = admin.Get("/forums/api/synced/Forum/" + c['F']);
  ASSERT_TRUE(f) << f.error().ToString();
  EXPECT_EQ((*f)["inTrash"], true) << "the community trashed after the copy is in the trash";
  auto topics = admin.Get("/forums/api/forums/" + forum_a + "/topics");
  ASSERT_TRUE(topics);
  ASSERT_EQ((*topics)["items"].size(), 1u);
  EXPECT_EQ((*topics)["items"][0]["title"], "Before");
  ASSERT_EQ(server.Stop(), 0);
}

// Communities restored from a backup older than every application: the reference's
// clearQueuedEventsByResourceType branch, every application affected, orphans in all of them.
TEST(RunbookTest, ACommunitiesDatabaseOlderThanTheApplicationsIsRecovered) {
  TempDir dir("runbook-communities");
  TempDir backups("runbook-communities-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  AddUsers(admin, {"ann"});
  std::string a = Make(admin, "Alpha");
  std::string b = Make(admin, "Beta");
  std::string g = Make(admin, "Gamma");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  fs::path backup = backups.path() / "old";
  auto bk = Concord(dir.path(), {"backup", "--service", "communities", "--to", backup.string()});
  ASSERT_EQ(bk.exit_code, 0) << Show(bk);

  // After the backup: a new community (its resources become orphans), changes to the others.
  std::string later = Make(admin, "Created After The Backup");
  AddWidget(admin, a, "Wiki");  // after the restore Alpha lacks it: a widgetMissing orphan
  ASSERT_TRUE(admin.Put(kBase + a, {{"name", "Alpha Renamed"}, {"visibility", "private"}}));
  ASSERT_TRUE(admin.Post(kBase + b + "/members", {{"users", {"ann"}}}));
  // Changed and changed back: in step after the restore, but every application holds a newer
  // version of it than the restored Communities.
  ASSERT_TRUE(admin.Put(kBase + g, {{"name", "Gamma For A While"}}));
  ASSERT_TRUE(admin.Put(kBase + g, {{"name", "Gamma"}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto progress = admin.Get("/forums/api/admin/progress");
  ASSERT_TRUE(progress);
  int64_t forums_seq = (*progress)["lastAppliedEventSeq"];
  int64_t highest_version = (*progress)["highestCommunityVersion"];
  // The advance refuses what is not a version, and changes nothing.
  auto log_before = admin.Get("/communities/api/admin/events");
  ASSERT_TRUE(log_before);
  for (const json& body : {json{{"atLeast", 0}, {"versionAtLeast", "high"}},
                           json{{"atLeast", 0}, {"versionAtLeast", int64_t{1} << 60}}}) {
    auto bad = admin.Post("/communities/api/admin/events/advance", body);
    ASSERT_FALSE(bad) << body.dump();
    EXPECT_NE(bad.error().ToString().find("versionAtLeast"), std::string::npos)
        << bad.error().ToString();
  }
  auto log_after = admin.Get("/communities/api/admin/events");
  ASSERT_TRUE(log_after);
  EXPECT_EQ((*log_after)["versionFloor"], (*log_before)["versionFloor"]);
  EXPECT_EQ((*log_after)["assigned"], (*log_before)["assigned"]);
  // The floor must pass the highest version any application holds, not only Forum's.
  for (const std::string service : {"activities", "blogs", "files", "libraries", "news", "wikis"}) {
    auto p = admin.Get("/" + service + "/api/admin/progress");
    ASSERT_TRUE(p) << service;
    highest_version = std::max(highest_version, (*p)["highestCommunityVersion"].get<int64_t>());
  }

  // A backup of another deployment is refused; this one is taken back.
  TempDir other("runbook-other");
  {
    ConcordServer o(other.path());
    ASSERT_TRUE(o.Start());
    ASSERT_EQ(o.Stop(), 0);
  }
  auto foreign =
      Concord(other.path(), {"restore", "--service", "communities", "--from", backup.string()});
  EXPECT_NE(foreign.exit_code, 0);
  EXPECT_NE(foreign.err.find("another deployment"), std::string::npos) << Show(foreign);
  EXPECT_FALSE(MaintenanceOn(other.path())) << "a refused restore changes nothing";

  // A restart between the backup and the restore: the lifecycle system account's password in
  // the backup is an older one than the running dispatcher uses.
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(server.Start());
  auto r = Concord(dir.path(), {"restore", "--service", "communities", "--from", backup.string()});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  admin = server.AdminClient();
  EXPECT_FALSE(admin.Get(kBase + later)) << "Communities is back to before the new community";

  fs::path out = dir.path() / "recovery-run";
  auto plan = Concord(dir.path(), {"recover", "--restored", "communities", "--orphans",
                                   "quarantine", "--dry-run", "--out", out.string()});
  ASSERT_EQ(plan.exit_code, 0) << Show(plan);
  EXPECT_NE(plan.out.find("clearQueuedEventsByResourceType"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("every application is affected"), std::string::npos) << plan.out;

  // First the orphans that can go back where they were: Alpha's wiki. The community that no
  // longer exists keeps its orphans, so the run ends unrecovered and maintenance stays on.
  fs::path first = dir.path() / "recovery-reassign";
  auto reassign = Concord(dir.path(), {"recover", "--restored", "communities", "--orphans",
                                       "reassign", "--out", first.string()});
  EXPECT_EQ(reassign.exit_code, 1) << Show(reassign);
  EXPECT_NE(reassign.out.find("NOT recovered"), std::string::npos) << reassign.out;
  EXPECT_TRUE(MaintenanceOn(dir.path()));
  json wiki = Widget(admin, a, "Wiki");
  ASSERT_FALSE(wiki.is_null()) << "assignRemoteApp put Alpha's wiki back";
  EXPECT_FALSE(wiki["remoteResourceId"].is_null());
  json left = testing::ReadJsonFile(first / "verification" / "reports" /
                                    "Forum_orphanedRemoteApplications.json");
  ASSERT_EQ(left["orphans"].size(), 1u);
  EXPECT_EQ(left["orphans"][0]["reason"], "communityMissing");

  // Then the rest, kept in quarantine.
  auto run = Concord(dir.path(), {"recover", "--restored", "communities", "--orphans", "quarantine",
                                  "--out", out.string()});
  ASSERT_EQ(run.exit_code, 0) << Show(run);
  ExpectAgreement(out / "verification" / "reports");
  EXPECT_FALSE(MaintenanceOn(dir.path()));
  // The orphans were found in every application that had the new community's widgets, and
  // kept: each now lives in a restricted quarantine community.
  json before =
      testing::ReadJsonFile(out / "before" / "reports" / "Forum_orphanedRemoteApplications.json");
  ASSERT_EQ(before["orphans"].size(), 1u);
  EXPECT_EQ(before["orphans"][0]["oldCommunityUuid"], later);
  auto listed =
      admin.Get("/communities/api/communities?name=" +
                http::UrlEncode("Quarantine: Forum " +
                                before["orphans"][0]["objectIdentifyingId"].get<std::string>()));
  ASSERT_TRUE(listed);
  ASSERT_EQ((*listed)["items"].size(), 1u);
  EXPECT_EQ((*listed)["items"][0]["visibility"], "private");
  // No seq comes round twice: Communities continues above what the applications applied.
  auto events = admin.Get("/communities/api/admin/events");
  ASSERT_TRUE(events);
  EXPECT_GT((*events)["assigned"].get<int64_t>(), forums_seq);
  // Only the communities that differed were resynced (by the first run): Gamma, in step, was not.
  json differences =
      testing::ReadJsonFile(first / "before" / "reports" / "Forum_communityDifferences.json");
  std::set<std::string> differing;
  for (const auto& d : differences["differences"]) differing.insert(d["communityUuid"]);
  EXPECT_TRUE(differing.contains(a) && differing.contains(b)) << differences.dump();
  EXPECT_FALSE(differing.contains(g)) << differences.dump();
  EXPECT_EQ(reassign.out.find("resyncRemoteAppsForAllCommunities"), std::string::npos)
      << reassign.out;
  std::string resynced = "Forum: resynced " + std::to_string(differing.size()) + " of " +
                         std::to_string(differing.size());
  EXPECT_NE(reassign.out.find(resynced), std::string::npos) << reassign.out;
  // And applications follow ordinary changes again (their records no longer look newer): Gamma's
  // too, though none of them was told its restored version.
  ASSERT_TRUE(admin.Put(kBase + b, {{"name", "Beta After Recovery"}}));
  ASSERT_TRUE(admin.Put(kBase + g, {{"name", "Gamma After Recovery"}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto gamma = admin.Get("/forums/api/synced/Forum/" + g);
  ASSERT_TRUE(gamma) << gamma.error().ToString();
  EXPECT_EQ((*gamma)["name"], "Gamma After Recovery") << gamma->dump();
  auto gamma_now = admin.Get(kBase + g);
  ASSERT_TRUE(gamma_now);
  EXPECT_GT((*gamma_now)["version"].get<int64_t>(), highest_version) << gamma_now->dump();
  auto log_now = admin.Get("/communities/api/admin/events");
  ASSERT_TRUE(log_now);
  EXPECT_GE((*log_now)["versionFloor"].get<int64_t>(), highest_version) << log_now->dump();
  fs::path check = dir.path() / "check";
  auto again = Concord(dir.path(), {"recover", "--restored", "forums", "--out", check.string()});
  ASSERT_EQ(again.exit_code, 0) << Show(again);
  // Its first report, before any repair, finds the rename applied.
  ExpectAgreement(check / "before" / "reports");
  ASSERT_EQ(server.Stop(), 0);
}

// Differences no event explains (the database was edited behind Concord's back): replay has
// nothing to send, the report lists them, and the resync repairs them.
TEST(RunbookTest, DifferencesReplayCannotExplainAreResynced) {
  TempDir dir("runbook-edited");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::vector<std::string> cs;
  cs.reserve(3);
  for (int i = 0; i < 3; ++i) cs.push_back(Make(admin, "Team " + std::to_string(i)));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  ASSERT_EQ(server.Stop(), 0);
  {
    auto forums = testing::OpenTestDatabase(dir.path(), "forums");
    ASSERT_TRUE(forums);
    auto lease = (*forums)->Acquire();
    ASSERT_TRUE(lease);
    ASSERT_TRUE((*lease)->Execute("UPDATE synced_communities SET name = 'Edited', theme = 'x'"));
  }
  {
    // As EventLogCleanup leaves it once they are old: the first events gone from the log.
    auto communities = testing::OpenTestDatabase(dir.path(), "communities");
    ASSERT_TRUE(communities);
    auto lease = (*communities)->Acquire();
    ASSERT_TRUE(lease);
    ASSERT_TRUE((*lease)->Execute("DELETE FROM lifecycle_events WHERE seq <= 2"));
  }
  ASSERT_TRUE(server.Start());
  fs::path out = dir.path() / "recovery-run";
  auto run = Concord(dir.path(), {"recover", "--restored", "forums", "--out", out.string()});
  ASSERT_EQ(run.exit_code, 0) << Show(run);
  json before =
      testing::ReadJsonFile(out / "before" / "reports" / "Forum_communityDifferences.json");
  EXPECT_EQ(before["differences"].size(), 3u);
  EXPECT_NE(run.out.find("resynced 3 of 3"), std::string::npos) << run.out;
  ExpectAgreement(out / "verification" / "reports");
  // A replay from the beginning says what the log no longer holds.
  auto replay = testing::RunCommand(
      {(testing::BinDir() / "concord-admin").string(), "--url", server.url(), "-user", "admin",
       "-c", "CommunitiesRemoteAppService.replayEvents(\"Forum\", 0)['missing']"},
      {"CONCORD_PASSWORD=" + server.AdminPassword()});
  ASSERT_EQ(replay.exit_code, 0) << Show(replay);
  EXPECT_NE(replay.out.find("Events 1 to 2 are no longer in the event log"), std::string::npos)
      << replay.out;
  EXPECT_NE(replay.out.find("'firstSeq': 1, 'lastSeq': 2"), std::string::npos) << replay.out;
  ASSERT_EQ(server.Stop(), 0);
}

// --orphans delete: orphans go to their application's trash (restorable there), not away.
TEST(RunbookTest, DeletedOrphansWaitInTheirApplicationsTrash) {
  TempDir dir("runbook-delete");
  TempDir backups("runbook-delete-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Make(admin, "Stays");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto bk = Concord(
      dir.path(), {"backup", "--service", "communities", "--to", (backups.path() / "b").string()});
  ASSERT_EQ(bk.exit_code, 0) << Show(bk);
  std::string later = Make(admin, "Lost With The Restore");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  std::string forum = Widget(admin, later, "Forum")["remoteResourceId"];
  auto r = Concord(dir.path(), {"restore", "--service", "communities", "--from",
                                (backups.path() / "b").string()});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  fs::path out = dir.path() / "recovery-run";
  auto run = Concord(dir.path(), {"recover", "--restored", "communities", "--orphans", "delete",
                                  "--out", out.string()});
  ASSERT_EQ(run.exit_code, 0) << Show(run);
  ExpectAgreement(out / "verification" / "reports");
  admin = server.AdminClient();
  auto resource = admin.Get("/forums/api/admin/resources/Forum/" + forum);
  ASSERT_TRUE(resource) << "the orphaned forum still exists";
  EXPECT_TRUE((*resource)["trashed"].get<bool>()) << resource->dump();
  ASSERT_EQ(server.Stop(), 0);
}

// A run that ends NOT recovered (orphans left, --orphans report) says to handle them and run the
// same command again: that run verifies again, and finishes once nothing is left.
TEST(RunbookTest, ARunEndedNotRecoveredVerifiesAgainWhenRunAgain) {
  TempDir dir("runbook-again");
  TempDir backups("runbook-again-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Make(admin, "Stays");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto bk = Concord(
      dir.path(), {"backup", "--service", "communities", "--to", (backups.path() / "b").string()});
  ASSERT_EQ(bk.exit_code, 0) << Show(bk);
  Make(admin, "Lost With The Restore");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto r = Concord(dir.path(), {"restore", "--service", "communities", "--from",
                                (backups.path() / "b").string()});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  fs::path out = dir.path() / "recovery-run";
  const std::vector<std::string> recover = {"recover", "--restored", "communities", "--out",
                                            out.string()};
  auto first = Concord(dir.path(), recover);
  ASSERT_EQ(first.exit_code, 1) << Show(first);
  EXPECT_NE(first.out.find("NOT recovered"), std::string::npos) << first.out;
  EXPECT_TRUE(MaintenanceOn(dir.path()));
  // Unchanged, the same command says the same.
  auto same = Concord(dir.path(), recover);
  EXPECT_EQ(same.exit_code, 1) << Show(same);
  EXPECT_NE(same.out.find("verifying again"), std::string::npos) << same.out;

  // The administrator deletes the orphans the report lists, in each application.
  const std::map<std::string, std::string> kService = {
      {"Activities", "activities"}, {"Blog", "blogs"},       {"IdeationBlog", "blogs"},
      {"Files", "files"},           {"Forum", "forums"},     {"Wiki", "wikis"},
      {"StatusUpdates", "news"},    {"Library", "libraries"}};
  admin = server.AdminClient();
  int deleted = 0;
  for (const auto& [app, service] : kService) {
    fs::path report = out / "verification" / "reports" / (app + "_orphanedRemoteApplications.json");
    if (!fs::exists(report)) continue;
    const json listed = testing::ReadJsonFile(report);  // held: see ExpectAgreement
    json ids = json::array();
    for (const auto& o : listed["orphans"]) ids.push_back(o["objectIdentifyingId"]);
    if (ids.empty()) continue;
    auto d = admin.Post("/" + service + "/api/admin/resources/" + app + "/delete", {{"ids", ids}});
    ASSERT_TRUE(d) << d.error().ToString();
    EXPECT_EQ((*d)["deleted"], ids.size()) << d->dump();
    deleted += static_cast<int>(ids.size());
  }
  ASSERT_GT(deleted, 0);
  auto again = Concord(dir.path(), recover);
  ASSERT_EQ(again.exit_code, 0) << Show(again);
  EXPECT_NE(again.out.find("Recovered"), std::string::npos) << again.out;
  EXPECT_FALSE(MaintenanceOn(dir.path()));
  ExpectAgreement(out / "verification" / "reports");
  ASSERT_EQ(server.Stop(), 0);
}

// Two applications restored at once, from different backups; the run fails half-way and the
// same command finishes it.
TEST(RunbookTest, TwoApplicationsAtOnceAndARunInterruptedHalfWayResumes) {
  TempDir dir("runbook-two");
  TempDir backups("runbook-two-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::string a = Make(admin, "Alpha");
  AddWidget(admin, a, "Wiki");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto b1 = Concord(dir.path(),
                    {"backup", "--service", "forums", "--to", (backups.path() / "one").string()});
  ASSERT_EQ(b1.exit_code, 0) << Show(b1);
  ASSERT_TRUE(admin.Put(kBase + a, {{"name", "Alpha Two"}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto b2 = Concord(dir.path(),
                    {"backup", "--service", "wikis", "--to", (backups.path() / "two").string()});
  ASSERT_EQ(b2.exit_code, 0) << Show(b2);
  std::string b = Make(admin, "Beta");
  AddWidget(admin, b, "Wiki");
  ASSERT_TRUE(admin.Put(kBase + a, {{"name", "Alpha Three"}, {"theme", "red"}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  for (auto [service, from] : {std::pair{"forums", "one"}, std::pair{"wikis", "two"}}) {
    auto r = Concord(dir.path(),
                     {"restore", "--service", service, "--from", (backups.path() / from).string()});
    ASSERT_EQ(r.exit_code, 0) << Show(r);
  }
  // The run fails half-way: its export step cannot write where it must (a file stands where
  // its directory goes).
  fs::path out = dir.path() / "recovery-run";
  fs::create_directories(out);
  std::ofstream(out / "before") << "in the way";
  std::vector<std::string> args = {"recover",      "--data-dir", dir.path().string(), "--restored",
                                   "forums,wikis", "--out",      out.string()};
  auto failed = Concord(args);
  EXPECT_NE(failed.exit_code, 0);
  EXPECT_NE(failed.err.find("run the same command again"), std::string::npos) << Show(failed);
  EXPECT_TRUE(MaintenanceOn(dir.path()));
  // Another recovery cannot take over this run's directory by mistake.
  auto mixed = Concord(dir.path(), {"recover", "--restored", "forums", "--out", out.string()});
  EXPECT_NE(mixed.exit_code, 0);
  EXPECT_NE(mixed.err.find("holds a run"), std::string::npos) << Show(mixed);

  fs::remove(out / "before");
  auto resumed = Concord(args);
  ASSERT_EQ(resumed.exit_code, 0) << Show(resumed);
  EXPECT_NE(resumed.out.find("done in an earlier run"), std::string::npos) << resumed.out;
  ExpectAgreement(out / "verification" / "reports");
  // Both applications have the latest state and Beta's wiki, created after both backups.
  admin = server.AdminClient();
  EXPECT_FALSE(Widget(admin, b, "Wiki")["remoteResourceId"].is_null());
  ASSERT_EQ(server.Stop(), 0);
}

// A runbook killed at an arbitrary moment (SIGKILL, no chance to save anything) and run again
// ends in agreement.
TEST(RunbookTest, ARunbookKilledAnywhereFinishesWhenRunAgain) {
  TempDir dir("runbook-kill");
  TempDir backups("runbook-kill-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::vector<std::string> cs;
  cs.reserve(20);
  for (int i = 0; i < 20; ++i) cs.push_back(Make(admin, "Team " + std::to_string(i)));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto bk = Concord(dir.path(),
                    {"backup", "--service", "forums", "--to", (backups.path() / "b").string()});
  ASSERT_EQ(bk.exit_code, 0) << Show(bk);
  for (const auto& c : cs) ASSERT_TRUE(admin.Put(kBase + c, {{"theme", "blue"}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto r = Concord(dir.path(),
                   {"restore", "--service", "forums", "--from", (backups.path() / "b").string()});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  fs::path out = dir.path() / "recovery-run";
  std::vector<std::string> argv = {(testing::BinDir() / "concord").string(),
                                   "recover",
                                   "--data-dir",
                                   dir.path().string(),
                                   "--restored",
                                   "forums",
                                   "--out",
                                   out.string()};
  // Killed after a varying head start: whatever it had done, the next run completes it.
  for (int delay_ms : {5, 60, 150}) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      std::vector<char*> args;
      args.reserve(argv.size());
      for (auto& s : argv) args.push_back(s.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  auto finished = Concord(args);
  ASSERT_EQ(finished.exit_code, 0) << Show(finished);
  ExpectAgreement(out / "verification" / "reports");
  EXPECT_FALSE(MaintenanceOn(dir.path()));
  ASSERT_EQ(server.Stop(), 0);
}

// The Files database and its content store restored from different times: checkFiles moves the
// content the database does not know aside (nothing is deleted) and names what is missing.
TEST(RunbookTest, FilesDatabaseAndContentStoreFromDifferentTimes) {
  TempDir dir("runbook-files");
  TempDir backups("runbook-files-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::string library = (*admin.Get("/files/api/me/library"))["id"];
  auto upload = [&](const std::string& name) {
    auto r = admin.Send("POST", "/files/api/libraries/" + library + "/files?name=" + name,
                        "content of " + name);
    EXPECT_EQ(r->status, 201) << r->raw_body;
    return r->body["id"].get<std::string>();
  };
  upload("first.txt");
  auto db_backup = Concord(
      dir.path(), {"backup", "--service", "files", "--to", (backups.path() / "db").string()});
  ASSERT_EQ(db_backup.exit_code, 0) << Show(db_backup);
  upload("second.txt");  // in the content store's backup, not in the database's
  auto content_backup = Concord(dir.path(), {"backup", "--service", "files-content", "--to",
                                             (backups.path() / "content").string()});
  ASSERT_EQ(content_backup.exit_code, 0) << Show(content_backup);
  for (auto [service, from] : {std::pair{"files", "db"}, std::pair{"files-content", "content"}}) {
    auto r = Concord(dir.path(),
                     {"restore", "--service", service, "--from", (backups.path() / from).string()});
    ASSERT_EQ(r.exit_code, 0) << Show(r);
  }
  fs::path out = dir.path() / "recovery-run";
  auto run =
      Concord(dir.path(), {"recover", "--restored", "files,files-content", "--out", out.string()});
  ASSERT_EQ(run.exit_code, 0) << Show(run);
  EXPECT_NE(run.out.find("checkFiles"), std::string::npos) << run.out;
  // second.txt's content, unknown to the restored database, was moved aside, not deleted.
  int extra = 0;
  for (const auto& e : fs::recursive_directory_iterator(out / "extra-files")) {
    extra += e.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(extra, 1);
  ExpectAgreement(out / "verification" / "reports");
  ASSERT_EQ(server.Stop(), 0);
}

// The manual path: the same recovery typed as the seed text writes it, through concord-admin.
TEST(RunbookTest, TheSeedTextsCommandLinesVerbatimRecoverTheSameWay) {
  TempDir dir("runbook-manual");
  TempDir backups("runbook-manual-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::string a = Make(admin, "Alpha");
  std::string b = Make(admin, "Beta");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto bk = Concord(dir.path(),
                    {"backup", "--service", "forums", "--to", (backups.path() / "b").string()});
  ASSERT_EQ(bk.exit_code, 0) << Show(bk);
  ASSERT_TRUE(admin.Put(kBase + a, {{"name", "Alpha Renamed"}}));
  ASSERT_TRUE(admin.Put(kBase + b, {{"visibility", "private"}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto r = Concord(dir.path(),
                   {"restore", "--service", "forums", "--from", (backups.path() / "b").string()});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  fs::path work = dir.path() / "manual";
  fs::create_directories(work);
  std::string xml = (work / "forumsOutput.xml").string();
  std::string reports = (work / "reports").string();
  std::string lines =
      "execfile(\"communitiesAdmin.py\")\n"
      "CommunitiesScheduler.pauseSchedulingTask(\"LifecycleRetryQueuedEvents\")\n"
      "CommunitiesQEventService.clearQueuedEventsByRemoteAppDefId(\"Forum\")\n"
      "execfile(\"forumsAdmin.py\")\n"
      "ForumsService.exportSyncedResourceInfo(\"" +
      xml +
      "\", \"community\")\n"
      "CommunitiesRemoteAppService.generateSyncReports(\"" +
      xml + "\", \"" + reports +
      "\")\n"
      "CommunitiesScheduler.resumeSchedulingTask(\"LifecycleRetryQueuedEvents\")\n"
      "CommunitiesRemoteAppService.resyncRemoteAppsForCommunity(\"" +
      a +
      "\")\n"
      "CommunitiesRemoteAppService.resyncRemoteAppsForCommunity(\"" +
      b + "\")\n";
  auto console = testing::RunCommand({(testing::BinDir() / "concord-admin").string(), "--url",
                                      server.url(), "-user", "admin", "-c", lines},
                                     {"CONCORD_PASSWORD=" + server.AdminPassword()});
  ASSERT_EQ(console.exit_code, 0) << Show(console);
  json diffs = testing::ReadJsonFile(work / "reports" / "Forum_communityDifferences.json");
  EXPECT_EQ(diffs["differences"].size(), 2u) << "the report before the resync lists both";
  // The verification, as the runbook does it: a fresh export and report find nothing.
  auto verify = testing::RunCommand({(testing::BinDir() / "concord-admin").string(), "--url",
                                     server.url(), "-user", "admin", "-c",
                                     "ForumsService.exportSyncedResourceInfo(\"" + xml +
                                         "\", \"community\")\n"
                                         "CommunitiesRemoteAppService.generateSyncReports(\"" +
                                         xml + "\", \"" + (work / "after").string() + "\")"},
                                    {"CONCORD_PASSWORD=" + server.AdminPassword()});
  ASSERT_EQ(verify.exit_code, 0) << Show(verify);
  ExpectAgreement(work / "after");
  // Maintenance stays on until an administrator turns it off: the console path has no verdict.
  EXPECT_TRUE(MaintenanceOn(dir.path()));
  ASSERT_EQ(Concord({"maintenance", "off", "--data-dir", dir.path().string()}).exit_code, 0);
  ASSERT_EQ(server.Stop(), 0);
}

// Bad input to backup, restore and recover: a clear error, and nothing changes.
TEST(RunbookTest, BadInputIsRefusedAndChangesNothing) {
  TempDir dir("runbook-bad");
  TempDir backups("runbook-bad-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  ASSERT_EQ(server.Stop(), 0);
  std::string d = dir.path().string();
  fs::path good = backups.path() / "good";
  ASSERT_EQ(Concord(dir.path(), {"backup", "--service", "forums", "--to", good.string()}).exit_code,
            0);
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"backup", "--data-dir", d, "--to", (backups.path() / "x").string()}, "--all"},
      {{"backup", "--data-dir", d, "--service", "nope", "--to", (backups.path() / "y").string()},
       "unknown service 'nope'"},
      {{"backup", "--data-dir", d, "--service", "forums", "--to", good.string()}, "not empty"},
      {{"restore", "--data-dir", d, "--service", "wikis", "--from", good.string()},
       "holds no wikis"},
      {{"restore", "--data-dir", d, "--service", "forums", "--from", backups.path().string()},
       "not a Concord backup"},
      {{"recover", "--data-dir", d, "--restored", "forums", "--orphans", "shred"},
       "unknown --orphans 'shred'"},
      {{"recover", "--data-dir", d, "--restored", "forums,<script>"}, "unknown service"},
      {{"recover", "--data-dir", d, "--restored", ","}, "name the restored services"},
  };
  for (const auto& c : cases) {
    auto r = Concord(c.args);
    EXPECT_EQ(r.exit_code, 2) << "bad input exits 2 (README, Exit codes)\n" << Show(r);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.message << "\n" << Show(r);
  }
  // A manifest pointing outside the backup is refused.
  json m = testing::ReadJsonFile(good / "manifest.json");
  json hostile = m;
  hostile["services"]["forums"]["file"] = "../../forums.db";
  std::ofstream(good / "manifest.json") << hostile.dump();
  auto outside = Concord(dir.path(), {"restore", "--service", "forums", "--from", good.string()});
  EXPECT_NE(outside.exit_code, 0);
  EXPECT_NE(outside.err.find("../../forums.db"), std::string::npos) << Show(outside);
  // A manifest of a newer schema is refused even with --force; another deployment's only
  // without it.
  m["services"]["forums"]["schemaVersion"] = 99;
  std::ofstream(good / "manifest.json") << m.dump();
  auto newer = Concord(
      {"restore", "--data-dir", d, "--service", "forums", "--from", good.string(), "--force"});
  EXPECT_NE(newer.exit_code, 0);
  EXPECT_NE(newer.err.find("newer than this Concord"), std::string::npos) << Show(newer);
  EXPECT_FALSE(MaintenanceOn(dir.path()));
  EXPECT_FALSE(fs::exists(dir.path() / "restore-quarantine"));
}

// `concord recover --data-dir DIR ARGS...` with CONCORD_RECOVER_TEST_HOOK set: kill@POINT#N
// SIGKILLs the run the Nth time it reaches POINT, wait@POINT waits for <out>/hook-POINT to go.
CommandResult RecoverWithHook(const fs::path& data_dir, const std::vector<std::string>& args,
                              const std::string& hook) {
  std::vector<std::string> argv = {(testing::BinDir() / "concord").string(), "recover",
                                   "--data-dir", data_dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::RunCommand(argv, {"CONCORD_RECOVER_TEST_HOOK=" + hook},
                             std::chrono::seconds(300));
}

// How many lines of `file` contain `needle`.
int LinesWith(const fs::path& file, const std::string& needle) {
  std::ifstream in(file);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(needle) != std::string::npos;
  return n;
}

// Killed (SIGKILL) right after an orphan was assigned and before the run recorded it, the
// orphans step resumes: the orphan already assigned is not assigned again (assignRemoteApp
// would refuse it and the run would fail forever), and the others are.
TEST(RunbookTest, AnOrphansStepKilledMidwayAssignsEachOrphanOnceWhenResumed) {
  TempDir dir("runbook-orphans-kill");
  TempDir backups("runbook-orphans-kill-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::vector<std::string> cs = {Make(admin, "Alpha"), Make(admin, "Beta"), Make(admin, "Gamma")};
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  fs::path backup = backups.path() / "b";
  auto bk = Concord(dir.path(), {"backup", "--service", "communities", "--to", backup.string()});
  ASSERT_EQ(bk.exit_code, 0) << Show(bk);
  // Lost with the restore of Communities: three widgetMissing orphans in Wikis.
  for (const auto& c : cs) AddWidget(admin, c, "Wiki");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto r = Concord(dir.path(), {"restore", "--service", "communities", "--from", backup.string()});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  admin = server.AdminClient();

  fs::path out = dir.path() / "recovery-run";
  std::vector<std::string> args = {"--restored", "communities", "--orphans",
                                   "reassign",   "--out",       out.string()};
  auto killed = RecoverWithHook(dir.path(), args, "kill@orphan-handled#2");
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << Show(killed);
  json state = testing::ReadJsonFile(out / "recover-state.json");
  EXPECT_EQ(state["done"]["orphans"].size(), 1u) << "killed before the second was recorded";

  auto resumed = Concord(dir.path(), {"recover", "--restored", "communities", "--orphans",
                                      "reassign", "--out", out.string()});
  ASSERT_EQ(resumed.exit_code, 0) << Show(resumed);
  EXPECT_NE(resumed.out.find("(an earlier run)"), std::string::npos) << resumed.out;
  ExpectAgreement(out / "verification" / "reports");
  EXPECT_FALSE(MaintenanceOn(dir.path()));
  json before =
      testing::ReadJsonFile(out / "before" / "reports" / "Wiki_orphanedRemoteApplications.json");
  ASSERT_EQ(before["orphans"].size(), 3u);
  for (const auto& o : before["orphans"]) {
    std::string id = o["objectIdentifyingId"];
    json w = Widget(admin, o["oldCommunityUuid"], "Wiki");
    ASSERT_FALSE(w.is_null()) << o.dump();
    EXPECT_EQ(w["remoteResourceId"], id);
    // Assigned by exactly one command over both runs.
    EXPECT_EQ(LinesWith(out / "audit.log", "assignRemoteApp(\\\"Wiki\\\", \\\"" + id), 1) << id;
  }
  ASSERT_EQ(server.Stop(), 0);
}

// --orphans quarantine killed at its two worst moments (a quarantine community made but not yet
// recorded; an orphan assigned but not yet recorded) ends, when run again, with exactly one
// quarantine community per orphan, holding it.
TEST(RunbookTest, AQuarantineKilledMidwayMakesOneCommunityPerOrphan) {
  TempDir dir("runbook-quarantine-kill");
  TempDir backups("runbook-quarantine-kill-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Make(admin, "Stays");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  fs::path backup = backups.path() / "b";
  auto bk = Concord(dir.path(), {"backup", "--service", "communities", "--to", backup.string()});
  ASSERT_EQ(bk.exit_code, 0) << Show(bk);
  Make(admin, "Lost With The Restore");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  auto r = Concord(dir.path(), {"restore", "--service", "communities", "--from", backup.string()});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  admin = server.AdminClient();

  fs::path out = dir.path() / "recovery-run";
  std::vector<std::string> args = {"--restored", "communities", "--orphans",
                                   "quarantine", "--out",       out.string()};
  auto first = RecoverWithHook(dir.path(), args, "kill@quarantine-posted#1");
  ASSERT_EQ(first.exit_code, 128 + SIGKILL) << Show(first);
  auto second = RecoverWithHook(dir.path(), args, "kill@orphan-handled#2");
  ASSERT_EQ(second.exit_code, 128 + SIGKILL) << Show(second);
  auto last = Concord(dir.path(), {"recover", "--restored", "communities", "--orphans",
                                   "quarantine", "--out", out.string()});
  ASSERT_EQ(last.exit_code, 0) << Show(last);
  ExpectAgreement(out / "verification" / "reports");
  EXPECT_FALSE(MaintenanceOn(dir.path()));

  int orphans = 0;
  for (const auto& entry : fs::directory_iterator(out / "before" / "reports")) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with("_orphanedRemoteApplications.json")) continue;
    std::string app = name.substr(0, name.find('_'));
    const json report = testing::ReadJsonFile(entry.path());
    for (const auto& o : report["orphans"]) {
      ++orphans;
      std::string id = o["objectIdentifyingId"];
      auto listed = admin.Get("/communities/api/communities?name=" +
                              http::UrlEncode("Quarantine: " + app + " " + id.substr(0, 60)));
      ASSERT_TRUE(listed);
      ASSERT_EQ((*listed)["items"].size(), 1u) << app << " " << id << ": " << listed->dump();
      json w = Widget(admin, (*listed)["items"][0]["uuid"], app);
      ASSERT_FALSE(w.is_null()) << app << " " << id;
      EXPECT_EQ(w["remoteResourceId"], id);
    }
  }
  EXPECT_GE(orphans, 2) << "the lost community's default widgets left orphans";
  ASSERT_EQ(server.Stop(), 0);
}

// The set-aside step clears exactly the events it wrote to its file: an event queued after the
// listing (here, while the step waits at a test hook) stays queued.
TEST(RunbookTest, AnEventQueuedWhileTheQueueIsSetAsideIsNotCleared) {
  TempDir dir("runbook-set-aside");
  TempDir backups("runbook-set-aside-backups");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::string a = Make(admin, "Alpha");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  fs::path backup = backups.path() / "b";
  auto bk = Concord(dir.path(), {"backup", "--service", "forums", "--to", backup.string()});
  ASSERT_EQ(bk.exit_code, 0) << Show(bk);
  auto r = Concord(dir.path(), {"restore", "--service", "forums", "--from", backup.string()});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  admin = server.AdminClient();

  fs::path out = dir.path() / "recovery-run";
  fs::path hook = out / "hook-set-aside-written";
  CommandResult run;
  std::thread recover([&] {
    run = RecoverWithHook(dir.path(), {"--restored", "forums", "--out", out.string()},
                          "wait@set-aside-written");
  });
  for (int i = 0; i < 600 && !fs::exists(hook); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(fs::exists(hook)) << "the run did not reach the set-aside hook";
  // Listed and written; now an event for Forum is queued (Forums is offline, so its delivery
  // fails and waits in the queue).
  auto offline = admin.Send("POST", "/api/admin/services/forums/offline", "");
  ASSERT_TRUE(offline);
  ASSERT_EQ(offline->status, 200) << offline->raw_body;
  ASSERT_TRUE(admin.Put(kBase + a, {{"name", "Alpha Renamed Meanwhile"}}));
  std::string queued;
  for (int i = 0; i < 100 && queued.empty(); ++i) {
    auto page = admin.Get("/communities/api/admin/queue/events?remoteAppDefId=Forum");
    ASSERT_TRUE(page);
    for (const auto& e : (*page)["items"]) {
      if (e["state"] == "queued") queued = e["eventId"];
    }
    if (queued.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(queued.empty()) << "the rename's delivery to Forum is not queued";
  auto online = admin.Send("POST", "/api/admin/services/forums/online", "");
  ASSERT_TRUE(online);
  ASSERT_EQ(online->status, 200) << online->raw_body;
  fs::remove(hook);
  recover.join();
  ASSERT_EQ(run.exit_code, 0) << Show(run);

  json set_aside = testing::ReadJsonFile(out / "set-aside-events.json");
  bool in_file = false;
  for (const auto& e : set_aside["events"]) in_file = in_file || e["eventId"] == queued;
  EXPECT_FALSE(in_file) << "queued after the listing";
  auto page = admin.Get("/communities/api/admin/queue/events?remoteAppDefId=Forum");
  ASSERT_TRUE(page);
  bool still_queued = false;
  for (const auto& e : (*page)["items"]) still_queued = still_queued || e["eventId"] == queued;
  EXPECT_TRUE(still_queued) << "cleared without being set aside: " << page->dump();
  ASSERT_EQ(server.Stop(), 0);
}

// An event held in the queue behind a failed delivery while the application went on applying
// other communities' later events: the set-aside step clears it with the rest, and the replay,
// which starts after the application's last applied seq, must still bring it. None of the events
// addressed to the application is lost, and the first report already finds it applied.
TEST(RunbookTest, AnEventSetAsideOlderThanTheLastAppliedIsReplayedNotLost) {
  TempDir dir("runbook-held");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::string a = Make(admin, "Alpha");
  std::string b = Make(admin, "Beta");
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  // Queued deliveries stay where they are (the worker's own retries pause with the task).
  ASSERT_TRUE(admin.Post("/communities/api/admin/scheduler/tasks/LifecycleRetryQueuedEvents/pause",
                         json::object()));
  auto offline = admin.Send("POST", "/api/admin/services/forums/offline", "");
  ASSERT_TRUE(offline);
  ASSERT_EQ(offline->status, 200) << offline->raw_body;
  ASSERT_TRUE(admin.Put(kBase + a, {{"name", "Alpha Renamed While Forums Was Away"}}));
  int64_t held = 0;
  for (int i = 0; i < 100 && held == 0; ++i) {
    auto page = admin.Get("/communities/api/admin/queue/events?remoteAppDefId=Forum");
    ASSERT_TRUE(page);
    for (const auto& e : (*page)["items"]) {
      if (e["state"] == "queued") held = e["seq"];
    }
    if (held == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(held, 0) << "the rename's delivery to Forum is not queued";
  auto online = admin.Send("POST", "/api/admin/services/forums/online", "");
  ASSERT_TRUE(online);
  ASSERT_EQ(online->status, 200) << online->raw_body;
  // Beta's rename is delivered at once: Forums' last applied seq passes Alpha's held one.
  ASSERT_TRUE(admin.Put(kBase + b, {{"name", "Beta Renamed"}}));
  int64_t last = 0;
  for (int i = 0; i < 100 && last <= held; ++i) {
    auto p = admin.Get("/forums/api/admin/progress");
    ASSERT_TRUE(p);
    last = (*p)["lastAppliedEventSeq"];
    if (last <= held) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(last, held);

  fs::path out = dir.path() / "recovery-run";
  auto run = Concord(dir.path(), {"recover", "--restored", "forums", "--out", out.string()});
  ASSERT_EQ(run.exit_code, 0) << Show(run);
  json set_aside = testing::ReadJsonFile(out / "set-aside-events.json");
  ASSERT_EQ(set_aside["events"].size(), 1u) << set_aside.dump();
  EXPECT_EQ(set_aside["events"][0]["seq"], held);
  // Replayed, not left to the resync: the first report finds Alpha renamed in Forums.
  ExpectAgreement(out / "before" / "reports");
  json state = testing::ReadJsonFile(out / "recover-state.json");
  EXPECT_GE(state["replay"]["Forum"]["applied"].get<int64_t>(), 1) << state.dump();
  // Every event Communities addressed to Forum, in Forums' record of what it applied.
  std::set<int64_t> applied;
  auto record = admin.Get("/forums/api/admin/applied/Forum?limit=5000");
  ASSERT_TRUE(record) << record.error().ToString();
  for (const auto& e : (*record)["items"]) applied.insert(e["seq"].get<int64_t>());
  auto log = admin.Get("/communities/api/admin/events/log?remoteAppDefId=Forum&limit=1000");
  ASSERT_TRUE(log) << log.error().ToString();
  ASSERT_FALSE((*log)["items"].empty());
  for (const auto& e : (*log)["items"]) {
    EXPECT_TRUE(applied.contains(e["seq"].get<int64_t>()))
        << "Forum never applied " << e.dump() << "; it applied " << record->dump();
  }
  EXPECT_TRUE(applied.contains(held));
  auto alpha = admin.Get("/forums/api/synced/Forum/" + a);
  ASSERT_TRUE(alpha);
  EXPECT_EQ((*alpha)["name"], "Alpha Renamed While Forums Was Away");
  ASSERT_EQ(server.Stop(), 0);
}

// Every file Concord reads, damaged: a wrong type, a missing field, garbage, truncation. Each is
// refused with exit 2 and a message naming the file and the field, and nothing changes.
TEST(RunbookTest, DamagedFilesAreRefusedNamingTheFieldAndChangeNothing) {
  TempDir dir("runbook-damaged");
  TempDir backups("runbook-damaged-backups");
  {
    ConcordServer server(dir.path());
    ASSERT_TRUE(server.Start());
    ASSERT_EQ(server.Stop(), 0);
  }
  fs::path good = backups.path() / "good";
  ASSERT_EQ(Concord(dir.path(), {"backup", "--service", "forums", "--to", good.string()}).exit_code,
            0);
  const json manifest = testing::ReadJsonFile(good / "manifest.json");
  const std::string manifest_text = manifest.dump(2);
  fs::path out = dir.path() / "recovery-run";
  const json state = {{"restored", {"forums"}},
                      {"orphans", "report"},
                      {"started", "2026-12-01T06:00:00.000Z"},
                      {"completed", json::array()}};

  struct Case {
    std::string what;
    fs::path file;
    std::string content;
    std::vector<std::string> args;  // the command that reads it
    std::string field;              // named in the message
  };
  auto with = [](json j, const json::json_pointer& at, json value) {
    if (value.is_discarded()) {
      j.at(at.parent_pointer()).erase(at.back());
    } else {
      j[at] = std::move(value);
    }
    return j.dump();
  };
  const json kRemove = json(json::value_t::discarded);
  const std::string d = dir.path().string();
  const std::vector<std::string> restore = {"restore", "--data-dir", d, "--service", "forums",
                                            "--from",  good.string()};
  const std::vector<std::string> recover = {"recover", "--data-dir", d,           "--restored",
                                            "forums",  "--out",      out.string()};
  const std::vector<std::string> status = {"maintenance", "status", "--data-dir", d};
  // 1,000,000 nested arrays where a field is free (enough to overflow the stack of a recursive
  // copy), built as text: nlohmann prints recursively.
  auto deep = [&](const json& j, const json::json_pointer& at) {
    std::string text = with(j, at, "DEEP");
    return text.replace(text.find("\"DEEP\""), 6,
                        std::string(1000000, '[') + std::string(1000000, ']'));
  };
  const std::vector<Case> cases = {
      {"deploymentId a number", good / "manifest.json",
       with(manifest, "/deploymentId"_json_pointer, 17), restore, "'deploymentId'"},
      {"deploymentId missing", good / "manifest.json",
       with(manifest, "/deploymentId"_json_pointer, kRemove), restore, "'deploymentId'"},
      {"schemaVersion a string", good / "manifest.json",
       with(manifest, "/services/forums/schemaVersion"_json_pointer, "2"), restore,
       "'services.forums.schemaVersion'"},
      {"a service not an object", good / "manifest.json",
       with(manifest, "/services/forums"_json_pointer, json::array()), restore,
       "'services.forums'"},
      {"formatVersion a string", good / "manifest.json",
       with(manifest, "/formatVersion"_json_pointer, "1"), restore, "'formatVersion'"},
      {"manifest truncated", good / "manifest.json",
       manifest_text.substr(0, manifest_text.size() / 2), restore, "manifest.json is not JSON"},
      {"manifest garbage", good / "manifest.json", std::string("\x00\xff\x01", 3), restore,
       "manifest.json is not JSON"},
      {"manifest nested 1,000,000 deep", good / "manifest.json",
       deep(manifest, "/services/forums/note"_json_pointer), restore,
       "manifest.json nests deeper than 64 levels"},
      {"state: restored a string", out / "recover-state.json",
       with(state, "/restored"_json_pointer, "forums"), recover, "'restored'"},
      {"state: orphans missing", out / "recover-state.json",
       with(state, "/orphans"_json_pointer, kRemove), recover, "'orphans'"},
      {"state: completed of numbers", out / "recover-state.json",
       with(state, "/completed"_json_pointer, {1, 2}), recover, "'completed'"},
      {"state: done not objects", out / "recover-state.json",
       with(state, "/done"_json_pointer, {{"orphans", 3}}), recover, "'done.orphans'"},
      {"state truncated", out / "recover-state.json", state.dump().substr(0, 20), recover,
       "recover-state.json is not JSON"},
      {"state: verify done, no verification", out / "recover-state.json",
       with(state, "/completed"_json_pointer,
            {"maintenance-on", "pause-retry-task", "set-aside-queue", "replay", "export-and-report",
             "resume-retry-task", "resync", "orphans", "verify", "maintenance-off"}),
       recover, "'verification'"},
      {"state nested 1,000,000 deep", out / "recover-state.json",
       deep(state, "/before"_json_pointer), recover,
       "recover-state.json nests deeper than 64 levels"},
      {"maintenance: enabled a string", dir.path() / "maintenance.json", R"({"enabled": "yes"})",
       status, "'enabled'"},
      {"maintenance: allow a string", dir.path() / "maintenance.json",
       R"({"enabled": true, "allow": "10.0.0.1"})", status, "'allow'"},
      {"maintenance truncated", dir.path() / "maintenance.json", R"({"enabled": tr)", status,
       "maintenance.json is not JSON"},
      {"concord.toml: threads a string", dir.path() / "concord.toml",
       "[server]\nthreads = \"four\"\n", restore, "server.threads"},
      {"concord.toml garbage", dir.path() / "concord.toml", "[server\nthreads = 4\n", restore,
       "concord.toml is not valid TOML"},
      {"server.json: url a number", dir.path() / "server.json", R"({"url": 5, "pid": 1})", recover,
       "'url'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    fs::create_directories(c.file.parent_path());
    std::ofstream(c.file, std::ios::binary | std::ios::trunc) << c.content;
    auto r = Concord(c.args);
    EXPECT_EQ(r.exit_code, 2) << Show(r);
    EXPECT_NE(r.err.find(c.file.filename().string()), std::string::npos) << Show(r);
    EXPECT_NE(r.err.find(c.field), std::string::npos) << c.field << "\n" << Show(r);
    // Nothing changed: the damaged file is as it was, no restore began, no maintenance.
    std::ifstream in(c.file, std::ios::binary);
    std::stringstream now;
    now << in.rdbuf();
    EXPECT_EQ(now.str(), c.content);
    EXPECT_FALSE(fs::exists(dir.path() / "restore-quarantine"));
    if (c.file.filename() != "maintenance.json") {
      EXPECT_FALSE(MaintenanceOn(dir.path()));
    }
    if (c.file == good / "manifest.json") {
      std::ofstream(c.file, std::ios::trunc) << manifest_text;
    } else {
      fs::remove(c.file);
    }
  }
}

}  // namespace
}  // namespace concord
