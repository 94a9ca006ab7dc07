// concord-admin against real servers, driven as an administrator would: -c and -f, the
// reference's command lines verbatim. And maintenance mode, from clients on other loopback
// addresses.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "concord/base/clock.h"
#include "concord/http/client.h"
#include "concord/testing/process.h"

namespace concord {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::ConcordServer;
using testing::Show;
using testing::TempDir;

// concord-admin connected to `server` as admin (the password from the environment).
struct Console {
  const ConcordServer& server;

  CommandResult Run(const std::string& command) const {
    return testing::RunCommand({(testing::BinDir() / "concord-admin").string(), "--url",
                                server.url(), "-user", "admin", "-c", command},
                               {"CONCORD_PASSWORD=" + server.AdminPassword()});
  }
  CommandResult Script(const fs::path& file, const std::string& text,
                       std::vector<std::string> args = {}) const {
    std::ofstream(file) << text;
    std::vector<std::string> argv = {(testing::BinDir() / "concord-admin").string(),
                                     "-lang",
                                     "jython",
                                     "--url",
                                     server.url(),
                                     "-f",
                                     file.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunCommand(
        argv, {"CONCORD_USER=admin", "CONCORD_PASSWORD=" + server.AdminPassword()});
  }
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Polls until `done` or `seconds` pass.
bool Eventually(const std::function<bool()>& done, int seconds = 10) {
  for (int i = 0; i < seconds * 50; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// The queued deliveries, as the admin API lists them.
std::vector<json> Queue(http::Client& admin, const std::string& query = "") {
  std::vector<json> out;
  std::string after;
  do {
    std::string path = "/communities/api/admin/queue/events?limit=500" + query;
    if (!after.empty()) path += "&after=" + http::UrlEncode(after);
    auto page = admin.Get(path);
    EXPECT_TRUE(page) << page.error().ToString();
    if (!page) break;
    for (auto& e : (*page)["items"]) out.push_back(e);
    after = (*page)["next"].is_string() ? (*page)["next"].get<std::string>() : "";
  } while (!after.empty());
  return out;
}

// Communities with Blog and IdeationBlog served by a separate Blogs process on `blogs_port`,
// which a test starts and stops to make the applications reachable or not.
struct SplitDeployment {
  TempDir communities_dir{"console-communities"};
  TempDir blogs_dir{"console-blogs"};
  int communities_port = testing::FreePort();
  int blogs_port = testing::FreePort();
  std::unique_ptr<ConcordServer> communities;
  std::unique_ptr<ConcordServer> blogs;

  explicit SplitDeployment(const std::string& extra_toml = "") {
    std::string handler =
        "http://127.0.0.1:" + std::to_string(blogs_port) + "/blogs/api/lifecycle/";
    std::ofstream(communities_dir.path() / "concord.toml")
        << extra_toml << "[lifecycle.handlers]\nBlog = \"" << handler << "Blog\"\n"
        << "IdeationBlog = \"" << handler << "IdeationBlog\"\n";
    std::ofstream(blogs_dir.path() / "concord.toml")
        << "[services]\ncommunities_url = \"http://127.0.0.1:" << communities_port << "\"\n";
    communities = std::make_unique<ConcordServer>(
        communities_dir.path(),
        std::vector<std::string>{"--services", "communities,forums,wikis,news,files"},
        "127.0.0.1:" + std::to_string(communities_port));
    blogs = std::make_unique<ConcordServer>(blogs_dir.path(),
                                            std::vector<std::string>{"--services", "blogs"},
                                            "127.0.0.1:" + std::to_string(blogs_port));
  }

  // A community with a Blog, renamed once: Blog hears remote.app.added, widget.added and
  // community.updated.
  std::string MakeCommunity(http::Client& admin, const std::string& name) {
    auto c = admin.Post("/communities/api/communities", {{"name", name}});
    EXPECT_TRUE(c);
    std::string uuid = (*c)["uuid"];
    std::string path = "/communities/api/communities/" + uuid;
    EXPECT_TRUE(admin.Post(path + "/widgets", {{"widgetDefId", "Blog"}}));
    EXPECT_TRUE(admin.Put(path, {{"name", name + " (renamed)"}}));
    return uuid;
  }
};

TEST(AdminConsoleTest, APausedRetryTaskReplaysNothingAcrossARestartUntilResumed) {
  // The retry task fires every second here, so that a paused one visibly does not.
  SplitDeployment d("[scheduler]\nLifecycleRetryQueuedEvents = \"* * * ? * *\"\n");
  ASSERT_TRUE(d.communities->Start());
  Console console{*d.communities};
  auto admin = d.communities->AdminClient();

  auto r = console.Run(
      "execfile(\"communitiesAdmin.py\")\n"
      "CommunitiesScheduler.pauseSchedulingTask(\"LifecycleRetryQueuedEvents\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_EQ(r.out, "1\n") << Show(r);
  r = console.Run(
      "print(CommunitiesScheduler.getTaskDetails(\"LifecycleRetryQueuedEvents\")"
      "[\"status\"])");
  EXPECT_EQ(r.out, "SUSPENDED\n") << Show(r);
  // Pausing a suspended task changes nothing and still succeeds.
  EXPECT_EQ(
      console.Run("CommunitiesScheduler.pauseSchedulingTask(\"LifecycleRetryQueuedEvents\")").out,
      "1\n");

  // Blogs is down: its events fail once and wait in the queue.
  std::string uuid = d.MakeCommunity(admin, "Paused");
  ASSERT_TRUE(Eventually([&] {
    auto q = Queue(admin, "&remoteAppDefId=Blog");
    return q.size() == 3 &&
           std::all_of(q.begin(), q.end(), [](const json& e) { return e["state"] == "queued"; });
  }));

  // Blogs comes back; a running task would deliver within a second. Paused, nothing moves, and
  // a restart of Communities keeps it paused.
  ASSERT_TRUE(d.blogs->Start());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(Queue(admin, "&remoteAppDefId=Blog").size(), 3u);
  ASSERT_EQ(d.communities->Stop(), 0);
  ASSERT_TRUE(d.communities->Start());
  admin = d.communities->AdminClient();
  r = console.Run(
      "d = CommunitiesScheduler.getTaskDetails(\"LifecycleRetryQueuedEvents\")\n"
      "print(d[\"status\"], d[\"taskName\"], d[\"nextFireTime\"])");
  EXPECT_EQ(r.out, "SUSPENDED LifecycleRetryQueuedEvents None\n") << Show(r);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(Queue(admin, "&remoteAppDefId=Blog").size(), 3u);

  // Resumed, the next run delivers everything, in order.
  r = console.Run("CommunitiesScheduler.resumeSchedulingTask(\"LifecycleRetryQueuedEvents\")");
  EXPECT_EQ(r.out, "1\n") << Show(r);
  EXPECT_TRUE(Eventually([&] { return Queue(admin).empty(); })) << Queue(admin).size();
  auto blogs_admin = d.blogs->Client("admin", d.communities->AdminPassword());
  auto record = blogs_admin.Get("/blogs/api/synced/Blog/" + uuid);
  ASSERT_TRUE(record) << record.error().ToString();
  EXPECT_EQ((*record)["name"], "Paused (renamed)");
  r = console.Run("CommunitiesQEventService.viewQueuedEventsSummary()");
  EXPECT_EQ(r.out, "No queued events.\n") << Show(r);
}

TEST(AdminConsoleTest, TheQueueIsViewedEveryDocumentedWayRetriedAndClearedByEveryFilter) {
  SplitDeployment d;
  ASSERT_TRUE(d.communities->Start());
  Console console{*d.communities};
  auto admin = d.communities->AdminClient();
  // As the reference's procedure does: with the retry task paused, the dispatcher does not
  // retry on its own either, and the queue stays as each command leaves it.
  ASSERT_TRUE(admin.Post("/communities/api/admin/scheduler/tasks/LifecycleRetryQueuedEvents/pause",
                         json::object()));
  std::vector<std::string> uuids;
  uuids.reserve(3);
  for (int i = 0; i < 3; ++i)
    uuids.push_back(d.MakeCommunity(admin, "Queued " + std::to_string(i)));
  ASSERT_TRUE(admin.Post("/communities/api/communities/" + uuids[0] + "/widgets",
                         {{"widgetDefId", "IdeationBlog"}}));
  // Blog: 3 per community + widget.added for the IdeationBlog = 10; IdeationBlog: 2.
  ASSERT_TRUE(Eventually([&] {
    auto q = Queue(admin);
    return q.size() == 12 &&
           std::all_of(q.begin(), q.end(), [](const json& e) { return e["state"] == "queued"; });
  })) << Queue(admin).size();

  // The summary: one row per application, the last returned as the reference's map.
  auto r = console.Run("CommunitiesQEventService.viewQueuedEventsSummary()");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_TRUE(Contains(r.out, "App Def Id   | Number Events | Earliest Created")) << r.out;
  EXPECT_TRUE(Contains(r.out, "Blog         | 10")) << r.out;
  EXPECT_TRUE(Contains(r.out, "IdeationBlog | 2")) << r.out;
  EXPECT_TRUE(Contains(r.out,
                       "{'NumEvents': 2, 'RemoteAppDefId': 'IdeationBlog', "
                       "'EarliestCreated': '"))
      << r.out;

  // The reference's paging loop, as a script: every Blog event once, in the API's order.
  r = console.Script(
      d.communities_dir.path() / "page.py",
      "execfile(\"communitiesAdmin.py\")\n"
      "seen = []\n"
      "last = CommunitiesQEventService.viewQueuedEventsByRemoteAppDefId(\"Blog\", "
      "None, 3)\n"
      "while last != None:\n"
      "    assert last[\"RemAppDefId\"] == \"Blog\" and last[\"ResourceType\"] == 1\n"
      "    seen.append(last[\"EventId\"])\n"
      "    last = CommunitiesQEventService.viewQueuedEventsByRemoteAppDefId("
      "\"Blog\", last, 3)\n"
      "print(\"pages\", len(seen), \"last rows\", \",\".join(seen))\n");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  auto blog = Queue(admin, "&remoteAppDefId=Blog");
  ASSERT_EQ(blog.size(), 10u);
  std::string expected_last_rows;
  for (size_t i = 2; i < blog.size(); i += 3) {
    expected_last_rows +=
        (expected_last_rows.empty() ? "" : ",") + blog[i]["eventId"].get<std::string>();
  }
  expected_last_rows += "," + blog.back()["eventId"].get<std::string>();
  EXPECT_TRUE(Contains(r.out, "pages 4 last rows " + expected_last_rows)) << r.out;
  EXPECT_TRUE(Contains(r.out, "Resource Type Id | Resource Id")) << r.out;
  for (const auto& e : blog) EXPECT_TRUE(Contains(r.out, e["eventId"].get<std::string>()));

  r = console.Run(
      "CommunitiesQEventService.viewQueuedEventsByResourceType(\"community\", None, 200)");
  EXPECT_TRUE(Contains(r.out, "Remote App   | Resource Id")) << r.out;
  for (const auto& e : Queue(admin)) EXPECT_TRUE(Contains(r.out, e["eventId"].get<std::string>()));
  r = console.Run("CommunitiesQEventService.viewQueuedEventsByResourceId(\"community\", \"" +
                  uuids[1] + "\", None, 200)");
  EXPECT_TRUE(Contains(r.out, uuids[1])) << r.out;
  EXPECT_FALSE(Contains(r.out, uuids[0])) << r.out;
  r = console.Run(
      "CommunitiesQEventService.viewQueuedEventsByRemoteAppDefIdAndEventType(\"Blog\", "
      "\"community.updated\", None, 200)");
  EXPECT_TRUE(Contains(r.out, "community.updated")) << r.out;
  EXPECT_FALSE(Contains(r.out, "remote.app.added")) << r.out;

  // Retrying while Blogs is down: the reference's 0, and a failed -c run.
  r = console.Run("CommunitiesQEventService.retryQueuedEventsByRemoteAppDefId(\"Blog\")");
  EXPECT_EQ(r.exit_code, 1) << Show(r);
  EXPECT_TRUE(Contains(r.out, "0\n")) << Show(r);
  EXPECT_TRUE(Contains(r.err, "10 events could not be delivered and stay queued")) << Show(r);
  EXPECT_EQ(Queue(admin).size(), 12u);

  // A forced, synchronous run of the retry task says what is left, and fails the run.
  r = console.Run(
      "CommunitiesScheduler.forceTaskExecution(\"LifecycleRetryQueuedEvents\", \"true\")");
  EXPECT_EQ(r.exit_code, 1) << Show(r);
  EXPECT_TRUE(Contains(
      r.out, "LifecycleRetryQueuedEvents: UNAVAILABLE: 12 lifecycle events are still queued\n0\n"))
      << Show(r);

  // Blogs is up: one community first, then everything ("retry succeed").
  ASSERT_TRUE(d.blogs->Start());
  r = console.Run("CommunitiesQEventService.retryQueuedEventsByResourceId(\"community\", \"" +
                  uuids[1] + "\")");
  EXPECT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_TRUE(Contains(r.out, "Delivered 3 queued events; 0 still queued.\n1\n")) << r.out;
  EXPECT_TRUE(Queue(admin, "&resourceId=" + uuids[1]).empty());
  EXPECT_EQ(Queue(admin).size(), 9u);
  r = console.Run("CommunitiesQEventService.retryQueuedEventsByResourceType(\"community\")");
  EXPECT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_TRUE(Contains(r.out, "'retry succeed'")) << r.out;
  EXPECT_TRUE(Queue(admin).empty());
  auto blogs_admin = d.blogs->Client("admin", d.communities->AdminPassword());
  for (const auto& uuid : uuids) EXPECT_TRUE(blogs_admin.Get("/blogs/api/synced/Blog/" + uuid));

  // Blogs down again: a new queue, cleared by application, event id, community and type.
  ASSERT_EQ(d.blogs->Stop(), 0);
  for (const auto& uuid : uuids) {
    ASSERT_TRUE(admin.Put("/communities/api/communities/" + uuid, {{"theme", "green"}}));
  }
  ASSERT_TRUE(Eventually([&] { return Queue(admin).size() == 4; })) << Queue(admin).size();
  r = console.Run("CommunitiesQEventService.clearQueuedEventsByRemoteAppDefId(\"IdeationBlog\")");
  EXPECT_EQ(r.out, "Cleared 1 queued event.\n1\n") << Show(r);
  auto first = Queue(admin)[0]["eventId"].get<std::string>();
  r = console.Run("CommunitiesQEventService.clearQueuedEventsByEventId(\"" + first + "\")");
  EXPECT_EQ(r.out, "Cleared 1 queued event.\n1\n") << Show(r);
  r = console.Run("CommunitiesQEventService.clearQueuedEventByEventId(\"" + first + "\")");
  EXPECT_EQ(r.out, "Cleared 0 queued events.\n0\n") << Show(r);
  r = console.Run("CommunitiesQEventService.clearQueuedEventsByResourceId(\"community\", \"" +
                  uuids[2] + "\")");
  EXPECT_EQ(r.out, "Cleared 1 queued event.\n1\n") << Show(r);
  ASSERT_EQ(Queue(admin).size(), 1u);
  r = console.Run("CommunitiesQEventService.clearQueuedEventsByResourceType(\"community\")");
  EXPECT_EQ(r.out, "Cleared 1 queued event.\n1\n") << Show(r);
  EXPECT_TRUE(Queue(admin).empty());
}

// The reference's own command lines (the seed text's steps 2, 3 and 6, sections 5 and 6),
// typed as it writes them, in one script.
TEST(AdminConsoleTest, TheReferenceCommandLinesRunVerbatim) {
  TempDir dir("console-verbatim");
  // Activities (which hears community events even without its widget) is unreachable.
  std::ofstream(dir.path() / "concord.toml")
      << "[lifecycle.handlers]\nActivities = "
         "\"http://127.0.0.1:9/activities/api/lifecycle/Activities\"\n";
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  Console console{server};
  auto admin = server.AdminClient();
  std::string a = (*admin.Post("/communities/api/communities", {{"name", "Verbatim A"}}))["uuid"];
  std::string b = (*admin.Post("/communities/api/communities", {{"name", "Verbatim B"}}))["uuid"];
  for (const auto& uuid : {a, b}) {
    ASSERT_TRUE(admin.Put("/communities/api/communities/" + uuid, {{"theme", "red"}}));
    ASSERT_TRUE(admin.Put("/communities/api/communities/" + uuid, {{"name", "Verbatim " + uuid}}));
  }
  // Activities hears of each community when it is made, and of its two changes.
  ASSERT_TRUE(Eventually([&] { return Queue(admin).size() == 6; })) << Queue(admin).size();
  auto queue = Queue(admin);  // a made, b made, a's two changes, b's two (in event order)
  ASSERT_EQ(queue[1]["resourceId"], b);
  ASSERT_EQ(queue[4]["resourceId"], b);
  auto r = console.Script(
      dir.path() / "verbatim.py",
      "import sys\n"
      "uuid, event1, event2 = sys.argv[1], sys.argv[2], sys.argv[3]\n"
      "execfile(\"communitiesAdmin.py\")\n"
      "print(CommunitiesScheduler.pauseSchedulingTask(\"LifecycleRetryQueuedEvents\"))\n"
      "print(CommunitiesScheduler.getTaskDetails(\"LifecycleRetryQueuedEvents\"))\n"
      "print(CommunitiesScheduler.pauseSchedulingTask(\"EventLogCleanup\"))\n"
      "print(CommunitiesScheduler.resumeSchedulingTask(\"EventLogCleanup\"))\n"
      "CommunitiesQEventService.viewQueuedEventsSummary()\n"
      "CommunitiesQEventService.viewQueuedEventsByResourceType(\"community\", None, 200)\n"
      "CommunitiesQEventService.viewQueuedEventsByResourceId(\"community\", uuid, None, 200)\n"
      "last = CommunitiesQEventService.viewQueuedEventsByRemoteAppDefId(\"Activities\", None, 10)\n"
      "while last != None:\n"
      "    last = CommunitiesQEventService.viewQueuedEventsByRemoteAppDefId(\"Activities\", last, "
      "10)\n"
      "CommunitiesQEventService.viewQueuedEventsByRemoteAppDefIdAndEventType(\"Activities\", "
      "\"community.updated\", None, 10)\n"
      "print(CommunitiesQEventService.clearQueuedEventByEventId(event1))\n"
      "print(CommunitiesQEventService.clearQueuedEventsByEventId(event2))\n"
      "print(CommunitiesQEventService.clearQueuedEventsByResourceId(\"community\", uuid))\n"
      "print(CommunitiesQEventService.clearQueuedEventsByRemoteAppDefId(\"Activities\"))\n"
      "print(CommunitiesQEventService.clearQueuedEventsByResourceType(\"community\"))\n"
      "print(CommunitiesQEventService.retryQueuedEventsByResourceType(\"community\"))\n"
      "print(CommunitiesQEventService.retryQueuedEventsByResourceId(\"community\", uuid))\n"
      "print(CommunitiesQEventService.retryQueuedEventsByRemoteAppDefId(\"Activities\"))\n"
      "print(CommunitiesScheduler.resumeSchedulingTask(\"LifecycleRetryQueuedEvents\"))\n"
      "print(CommunitiesSchedulerService.resumeSchedulingTask(\"LifecycleRetryQueuedEvents\"))\n"
      "print(CommunitiesScheduler.forceTaskExecution(\"EventLogCleanup\", \"true\"))\n"
      "print(CommunitiesScheduler.forceTaskExecution(\"fullDelete\"))\n",
      // event1 and event2 are two of b's; then a's three go by community, b's last by
      // application, and nothing is left for the last clear.
      {a, queue[1]["eventId"].get<std::string>(), queue[4]["eventId"].get<std::string>()});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_TRUE(Contains(r.out, "1\n{'currentServerTime': '")) << r.out;
  EXPECT_TRUE(Contains(r.out, "'status': 'SUSPENDED', 'taskName': 'LifecycleRetryQueuedEvents'"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "Activities | 6")) << r.out;
  EXPECT_TRUE(Contains(r.out, "Remote App | Resource Id")) << r.out;
  EXPECT_TRUE(Contains(r.out, "No more queued events.\n")) << r.out;
  EXPECT_TRUE(Contains(r.out,
                       "Cleared 1 queued event.\n1\nCleared 1 queued event.\n1\n"
                       "Cleared 3 queued events.\n3\nCleared 1 queued event.\n1\n"
                       "Cleared 0 queued events.\n0\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "retry succeed\n")) << r.out;
  EXPECT_TRUE(r.out.ends_with("1\n1\n1\nEventLogCleanup: ok\n1\n1\n")) << r.out;
  EXPECT_EQ(
      (*admin.Get("/communities/api/admin/scheduler/tasks/LifecycleRetryQueuedEvents"))["status"],
      "SCHEDULED");
  EXPECT_TRUE(Queue(admin).empty());
}

TEST(AdminConsoleTest, EveryBadArgumentIsNamedWithWhatIsAcceptedAndChangesNothing) {
  TempDir dir("console-bad-arguments");
  // Blog's handler is unreachable, so that the queue has something to leave unchanged.
  std::ofstream(dir.path() / "concord.toml")
      << "[lifecycle.handlers]\nBlog = \"http://127.0.0.1:9/blogs/api/lifecycle/Blog\"\n";
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  Console console{server};
  auto admin = server.AdminClient();
  ASSERT_TRUE(admin.Post("/communities/api/users", {{"login", "kim"},
                                                    {"email", "kim@example.com"},
                                                    {"displayName", "Kim"},
                                                    {"password", "pw-kim-123"}}));
  std::string twin_a = (*admin.Post("/communities/api/communities", {{"name", "Twin"}}))["uuid"];
  std::string twin_b = (*admin.Post("/communities/api/communities", {{"name", "Twin"}}))["uuid"];
  std::string solo = (*admin.Post("/communities/api/communities", {{"name", "Solo"}}))["uuid"];
  ASSERT_TRUE(
      admin.Post("/communities/api/communities/" + solo + "/widgets", {{"widgetDefId", "Blog"}}));
  // remote.app.added and widget.added.
  // remote.app.added and widget.added, once every other application has had its events.
  ASSERT_TRUE(Eventually([&] { return Queue(admin).size() == 2; }));
  auto before_queue = Queue(admin);
  auto before_solo = *admin.Get("/communities/api/communities/" + solo);
  auto task = [&] {
    return (
        *admin.Get("/communities/api/admin/scheduler/tasks/LifecycleRetryQueuedEvents"))["status"];
  };

  struct Case {
    std::string command;
    std::vector<std::string> expected;  // in the error message
  } cases[] = {
      {"CommunitiesScheduler.pauseSchedulingTask(\"lifecycleRetryQueuedEvents\")",
       {"CommunitiesScheduler.pauseSchedulingTask: unknown task 'lifecycleRetryQueuedEvents'",
        "accepted: EventLogCleanup, LifecycleRetryQueuedEvents, fullDelete"}},
      {"CommunitiesScheduler.pauseSchedulingTask()", {"pauseSchedulingTask(taskName) takes 1"}},
      {"CommunitiesScheduler.pauseSchedulingTask(5)", {"taskName must be a string, not 5"}},
      {"CommunitiesScheduler.getTaskDetails(\"GroupCleanup\")", {"unknown task 'GroupCleanup'"}},
      {"CommunitiesScheduler.forceTaskExecution(\"EventLogCleanup\", \"maybe\")",
       {"executeSynchronously must be \"true\" or \"false\", not 'maybe'"}},
      {"CommunitiesQEventService.viewQueuedEventsByResourceType(\"Community\", None, 10)",
       {"resourceType 'Community' is not valid: it is always 'community'"}},
      {"CommunitiesQEventService.viewQueuedEventsByResourceType(\"community\", None, 0)",
       {"maxRows must be from 1 to 500, not 0"}},
      {"CommunitiesQEventService.viewQueuedEventsByResourceType(\"community\", None, True)",
       {"maxRows must be an integer, not True"}},
      {"CommunitiesQEventService.viewQueuedEventsByResourceType(\"community\", {\"x\": 1}, 10)",
       {"lastEvent must be None (the first page) or the map the previous call returned"}},
      {"CommunitiesQEventService.viewQueuedEventsByResourceId(\"community\", \"not-a-uuid\", "
       "None, 10)",
       {"'not-a-uuid' is not a community uuid"}},
      {"CommunitiesQEventService.viewQueuedEventsByRemoteAppDefId(\"blog\", None, 10)",
       {"'blog' is not a remoteAppDefId",
        "accepted: Activities, Blog, IdeationBlog, Files, Forum, Wiki, StatusUpdates, Library"}},
      {"CommunitiesQEventService.viewQueuedEventsByRemoteAppDefIdAndEventType(\"Blog\", "
       "\"community.renamed\", None, 10)",
       {"unknown event type 'community.renamed'", "community.visibility.changed"}},
      {"CommunitiesQEventService.retryQueuedEventsByResourceType(\"widget\")",
       {"resourceType 'widget' is not valid"}},
      {"CommunitiesQEventService.retryQueuedEventsByRemoteAppDefId(\"Members\")",
       {"'Members' is not a remoteAppDefId"}},
      {"CommunitiesQEventService.clearQueuedEventsByResourceType(\"communities\")",
       {"resourceType 'communities' is not valid"}},
      {"CommunitiesQEventService.clearQueuedEventsByResourceId(\"community\", \"x' OR 1=1 --\")",
       {"is not a community uuid"}},
      {"CommunitiesQEventService.clearQueuedEventsByRemoteAppDefId(\"Blogs\")",
       {"'Blogs' is not a remoteAppDefId"}},
      {"CommunitiesQEventService.clearQueuedEventByEventId(\"abc\")", {"'abc' is not an event id"}},
      {"CommunitiesQEventService.clearQueuedEventsByRemoteAppDefId(\"Blog\", \"extra\")",
       {"takes 1 argument, not 2"}},
      {"CommunitiesQEventService.viewQueuedEvents()",
       {"CommunitiesQEventService has no command 'viewQueuedEvents'", "viewQueuedEventsSummary"}},
      {"CommunitiesService.fetchCommByName(\"Twin\")",
       {"Multiple communities found with name: Twin", "use the community uuid instead", twin_a,
        twin_b}},
      {"CommunitiesService.updateCommunityName(\"Twin\", \"Renamed\")",
       {"Multiple communities found with name: Twin"}},
      {"CommunitiesService.updateCommunityName(\"Nobody's\", \"Renamed\")",
       {"no community named 'Nobody's'"}},
      {"CommunitiesService.updateCommunityName(\"Solo\", \"\")", {"name"}},
      {"CommunitiesService.fetchCommById(\"00000000-0000-4000-8000-000000000000\")",
       {"no community with uuid 00000000-0000-4000-8000-000000000000"}},
      {"CommunitiesService.fetchBatchComm(0, None)", {"batchSize must be from 1 to 500"}},
      {"CommunitiesService.addMembersToCommunityByEmail(\"Solo\", 2, [\"kim@example.com\"])",
       {"memberRole must be 0 (member) or 1 (owner), not 2", "accepted: 0, 1"}},
      {"CommunitiesService.addMembersToCommunityByEmail(\"Solo\", 0, [\"kim@example.com\", "
       "\"ghost@example.com\"])",
       {"ghost@example.com"}},
      {"CommunitiesService.addMembersToCommunityByEmail(\"Solo\", 0, \"\")",
       {"emailAddresses must list at least one address"}},
      {"CommunitiesService.removeMembersFromCommunityByEmail(\"Solo\", [\"kim@example.com\"])",
       {"kim@example.com is not a member of 'Solo'"}},
      {"CommunitiesService.removeMembersFromCommunityByEmail(\"Solo\", "
       "[\"admin@concord.invalid\"])",
       {"not a member"}},
      {"CommunitiesService.updateCommunityVisibility(\"" + solo + "\", \"restricted\")",
       {"unknown visibility 'restricted'", "accepted: public, publicInviteOnly, private"}},
      {"CommunitiesService.addWidget(\"" + solo + "\", \"blog\")",
       {"unknown widgetDefId 'blog'", "Blog"}},
      {"CommunitiesService.addWidget(\"" + solo + "\", \"Blog\")", {"Blog"}},
      {"CommunitiesService.deleteCommunity(\"Solo\")", {"'Solo' is not a community uuid"}},
      {"CommunitiesService.restoreCommunity(\"" + solo + "\")", {"trash"}},
      {"CommunitiesService.removeWidgetsByWidgetDefIdForAllComm(\"Members\")",
       {"the Members widget cannot be removed"}},
      {"CommunitiesService.removeAllWidgetsByWidgetDefId(\"" + solo + "\", \"Members\")",
       {"the Members widget cannot be removed"}},
      {"CommunitiesService.removeAllWidgetsByWidgetDefId(\"" + solo + "\", \"forum\")",
       {"unknown widgetDefId 'forum'", "Forum"}},
      {"CommunitiesService.removeAllWidgetsByWidgetDefId(\"Forum\")",
       {"removeAllWidgetsByWidgetDefId(communityUuid, widgetDefId) takes 2 arguments, not 1"}},
      {"MaintenanceService.enable([\"10.0.0.0/33\"])", {"'10.0.0.0/33'", "prefix length"}},
      {"MaintenanceService.enable(None, \"/nonexistent/page.html\")",
       {"cannot read the page file /nonexistent/page.html"}},
      {"execfile(\"nosuchAdmin.py\")", {"cannot read nosuchAdmin.py", "communitiesAdmin.py"}},
      // Values the console cannot pass on: each escaped as a traceback, or the last overflowed
      // the stack (tools/admin_console/tests/python_args_test.cc has more).
      {"CommunitiesScheduler.pauseSchedulingTask(\"\\udc80\")",
       {"taskName must be text without lone surrogates"}},
      {"CommunitiesRemoteAppService.replayEvents(\"Forum\", 2**64)",
       {"afterSeq: integers must fit in 64 bits"}},
      {"x = []; x.append(x); ActivityService.deleteActivities(x)",
       {"activities must not nest lists and dicts deeper than 1000 levels (nor hold itself)"}},
  };
  for (const auto& c : cases) {
    auto r = console.Run(c.command);
    EXPECT_EQ(r.exit_code, 1) << c.command << "\n" << Show(r);
    for (const auto& e : c.expected) {
      EXPECT_TRUE(Contains(r.err, e)) << c.command << "\nexpected: " << e << "\n" << Show(r);
    }
    EXPECT_FALSE(Contains(r.err, "Traceback")) << c.command << "\n" << Show(r);
  }
  // Nothing changed: the queue, the task, the communities, maintenance mode.
  auto after_queue = Queue(admin);
  ASSERT_EQ(after_queue.size(), before_queue.size());
  for (size_t i = 0; i < after_queue.size(); ++i) {
    EXPECT_EQ(after_queue[i]["eventId"], before_queue[i]["eventId"]);
  }
  EXPECT_EQ(task(), "SCHEDULED");
  auto after_solo = *admin.Get("/communities/api/communities/" + solo);
  EXPECT_EQ(after_solo["version"], before_solo["version"]);
  EXPECT_EQ(after_solo["name"], "Solo");
  EXPECT_EQ((*admin.Get("/communities/api/communities/" + twin_a))["name"], "Twin");
  EXPECT_FALSE((*admin.Get("/api/admin/maintenance"))["enabled"].get<bool>());
  EXPECT_FALSE(Contains(server.Log(), server.AdminPassword()));

  // A Python error in a script is a failed run too, with its traceback.
  auto r = console.Run("undefinedName");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "NameError")) << Show(r);
  // Wrong credentials, a non-administrator and bad options fail before any command runs.
  r = testing::RunCommand({(testing::BinDir() / "concord-admin").string(), "--url", server.url(),
                           "-user", "admin", "-password", "wrong-password", "-c", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "refused the user admin")) << Show(r);
  EXPECT_FALSE(Contains(r.out + r.err, "wrong-password"));
  r = testing::RunCommand({(testing::BinDir() / "concord-admin").string(), "--url", server.url(),
                           "-user", "kim", "-password", "pw-kim-123", "-c", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "kim is not an administrator")) << Show(r);
  r = testing::RunCommand({(testing::BinDir() / "concord-admin").string(), "-conntype", "SOAP"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "unknown option -conntype")) << Show(r);
  r = testing::RunCommand({(testing::BinDir() / "concord-admin").string(), "-host", "127.0.0.1",
                           "-port", "9", "-user", "admin", "-password", "x", "-c", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "cannot reach Concord at http://127.0.0.1:9")) << Show(r);
}

TEST(AdminConsoleTest, CommunityCommandsFindAndChangeCommunitiesAndMembers) {
  TempDir dir("console-communities");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  Console console{server};
  auto admin = server.AdminClient();
  for (const char* login : {"ann", "bob", "cyd"}) {
    ASSERT_TRUE(
        admin.Post("/communities/api/users", {{"login", login},
                                              {"email", std::string(login) + "@example.com"},
                                              {"displayName", login},
                                              {"password", "pw-" + std::string(login) + "-123"}}));
  }
  std::set<std::string> uuids;
  for (int i = 0; i < 7; ++i) {
    auto c = admin.Post(
        "/communities/api/communities",
        {{"name", "Guild " + std::to_string(i)}, {"visibility", i % 2 ? "private" : "public"}});
    uuids.insert((*c)["uuid"].get<std::string>());
  }
  std::string guild = *uuids.begin();
  auto guild_before = *admin.Get("/communities/api/communities/" + guild);
  std::string guild_name = guild_before["name"];
  std::string guild_visibility = guild_before["visibility"];

  // An administrator's loop over every community, in batches (restricted ones included).
  auto r = console.Script(dir.path() / "loop.py",
                          "import sys\n"
                          "execfile(\"communitiesAdmin.py\")\n"
                          "batch = int(sys.argv[1])\n"
                          "seen = []\n"
                          "ids = CommunitiesService.fetchBatchComm(batch, None)\n"
                          "while len(ids) > 0:\n"
                          "    seen.extend(ids)\n"
                          "    ids = CommunitiesService.fetchBatchComm(batch, ids[-1])\n"
                          "every = [c['uuid'] for c in CommunitiesService.fetchAllComm()]\n"
                          "print(len(seen), seen == sorted(every))\n",
                          {"3"});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_EQ(r.out, "7 True\n") << Show(r);

  r = console.Run("c = CommunitiesService.fetchCommById(\"" + guild +
                  "\")[0]\nprint(c['uuid'], c['name'], c['type'], c['memberSize'])");
  EXPECT_EQ(r.out, guild + " " + guild_name + " " + guild_visibility + " 1\n") << Show(r);
  r = console.Run("print(CommunitiesService.fetchCommByName(\"" + guild_name + "\")[0]['uuid'])");
  EXPECT_EQ(r.out, guild + "\n") << Show(r);

  // By name, as the reference; then by uuid, as it advises when names are ambiguous.
  r = console.Run("CommunitiesService.updateCommunityName(\"" + guild_name +
                  "\", \"Guild <Renamed> & Co\")\n"
                  "CommunitiesService.updateCommunityDescription(\"" +
                  guild + "\", \"Line one\\nLine two\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  auto c = *admin.Get("/communities/api/communities/" + guild);
  EXPECT_EQ(c["name"], "Guild <Renamed> & Co");
  EXPECT_EQ(c["description"], "Line one\nLine two");

  r = console.Run(
      "CommunitiesService.addMembersToCommunityByEmail(\"Guild <Renamed> & Co\", 0, "
      "[\"ann@example.com\", \"bob@example.com\"])\n"
      "CommunitiesService.addMembersToCommunityByEmail(\"Guild <Renamed> & Co\", 1, "
      "[\"cyd@example.com\"])");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  auto role = [&](const std::string& login) -> std::string {
    auto m = admin.Get("/communities/api/communities/" + guild + "/members/" + login);
    return m ? (*m)["role"].get<std::string>() : "none";
  };
  EXPECT_EQ(role("ann"), "member");
  EXPECT_EQ(role("bob"), "member");
  EXPECT_EQ(role("cyd"), "owner");
  r = console.Run("CommunitiesService.removeMembersFromCommunityByEmail(\"" + guild +
                  "\", [\"ann@example.com\", \"cyd@example.com\"])");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_EQ(role("ann"), "none");
  EXPECT_EQ(role("cyd"), "none");
  EXPECT_EQ(role("bob"), "member");

  // Concord's additions: visibility, widgets, the trash.
  r = console.Run("CommunitiesService.updateCommunityVisibility(\"" + guild +
                  "\", \"publicInviteOnly\")\n"
                  "print(CommunitiesService.addWidget(\"" +
                  guild + "\", \"Wiki\") != None)");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_TRUE(Contains(r.out, "True\n")) << r.out;
  EXPECT_EQ((*admin.Get("/communities/api/communities/" + guild))["visibility"],
            "publicInviteOnly");
  auto has_widget = [&](const std::string& uuid, const std::string& def) {
    auto w = *admin.Get("/communities/api/communities/" + uuid + "/widgets");
    for (const auto& i : w["items"]) {
      if (i["widgetDefId"] == def) return true;
    }
    return false;
  };
  EXPECT_TRUE(has_widget(guild, "Wiki"));
  // The reference's one-community command, then the all-communities one.
  r = console.Run("CommunitiesService.removeAllWidgetsByWidgetDefId(\"" + guild +
                  "\", \"Wiki\")\n"
                  "CommunitiesService.removeAllWidgetsByWidgetDefId(\"" +
                  guild + "\", \"Wiki\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_TRUE(Contains(r.out, "Removed 1 Wiki widget from")) << r.out;
  EXPECT_TRUE(Contains(r.out, "1\nRemoved 0 Wiki widgets from")) << r.out;
  EXPECT_FALSE(has_widget(guild, "Wiki"));
  r = console.Run("CommunitiesService.removeWidgetsByWidgetDefIdForAllComm(\"Forum\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_TRUE(Contains(r.out, "Removed the Forum widget from 7 communities.\n7\n")) << r.out;
  for (const auto& uuid : uuids) EXPECT_FALSE(has_widget(uuid, "Forum"));

  r = console.Run("CommunitiesService.deleteCommunity(\"" + guild + "\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_EQ(admin.Send("GET", "/communities/api/communities/" + guild, "")->status, 404);
  r = console.Run("CommunitiesService.restoreCommunity(\"" + guild + "\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_EQ((*admin.Get("/communities/api/communities/" + guild))["visibility"],
            "publicInviteOnly");

  // help() lists every service and command with its signature.
  r = console.Run("help()\nCommunitiesQEventService.help()");
  EXPECT_TRUE(Contains(r.out, "execfile(\"communitiesAdmin.py\")")) << r.out;
  EXPECT_TRUE(Contains(r.out,
                       "viewQueuedEventsByRemoteAppDefIdAndEventType(remoteAppDefId, "
                       "eventType, lastEvent, maxRows)"))
      << r.out;
  EXPECT_TRUE(Contains(r.out,
                       "clearQueuedEventsByEventId(eventId)\n      The same as "
                       "clearQueuedEventByEventId."))
      << r.out;
  // Every reference script loads, with its spellings.
  r = console.Run(
      "for s in [\"communitiesAdmin.py\", \"activitiesAdmin.py\", \"blogsAdmin.py\", "
      "\"filesAdmin.py\", \"filesAdmin.jy\", \"forumsAdmin.py\", \"newsAdmin.py\", "
      "\"wikisAdmin.py\"]: execfile(s)\n"
      "print(NewsMicroBloggingService, NewsMicrobloggingService, WikisLibraryService)");
  EXPECT_EQ(r.out, "<NewsMicrobloggingService> <NewsMicrobloggingService> <WikisLibraryService>\n")
      << Show(r);
}

// docs/admin-console.md documents every command the console has, with its signature.
TEST(AdminConsoleTest, TheReferenceDocumentListsEveryCommand) {
  TempDir dir("console-docs");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto r = Console{server}.Run(
      "for s in [CommunitiesService, CommunitiesQEventService, CommunitiesScheduler, "
      "MaintenanceService, CommunitiesRemoteAppService, ActivityService, BlogsAdminService, "
      "FilesLibraryService, ForumsService, NewsMicrobloggingService, WikisLibraryService, "
      "LibrariesService]: "
      "s.help()");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  const char* source = std::getenv("CONCORD_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  std::ifstream in(fs::path(source) / "docs" / "admin-console.md");
  std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(docs.empty());
  std::istringstream lines(r.out);
  std::string line;
  int signatures = 0;
  while (std::getline(lines, line)) {
    if (!line.starts_with("  ") || line.starts_with("   ") || !line.ends_with(")")) continue;
    ++signatures;
    EXPECT_TRUE(Contains(docs, "`" + line.substr(2) + "`")) << line.substr(2);
  }
  EXPECT_EQ(signatures, 62);  // 14 + 14 + 4 + 3 + 7 remote-app + 7 exports + 13 deletions
}

TEST(AdminConsoleTest, TheConsoleRunsDebiansPythonWhateverIsOnPath) {
  TempDir dir("console-python");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  const std::string script =
      "import sys, os; print(sys.prefix, sys.version_info[0], "
      "os.__file__.startswith('/usr/lib/'))";
  auto r = testing::RunCommand(
      {(testing::BinDir() / "concord-admin").string(), "--data-dir", dir.path().string(), "-c",
       script},
      {"PYTHONHOME=/nonexistent", "PYTHONPATH=/nonexistent", "PATH=/nonexistent:/usr/bin:/bin"});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_EQ(r.out, "/usr 3 True\n");
}

// A request from `source` (a loopback address other than 127.0.0.1) with an optional
// X-Forwarded-For header.
struct Visitor {
  std::string url, user, password;
  Result<http::ClientReply> Get(const std::string& source, const std::string& forwarded_for = "") {
    http::Client client({.url = url,
                         .user = user,
                         .password = password,
                         .timeout = std::chrono::seconds(10),
                         .source_address = source});
    return forwarded_for.empty() ? client.Send("GET", "/communities/api/communities", "")
                                 : client.Send("GET", "/communities/api/communities", "", true,
                                               {{"X-Forwarded-For", forwarded_for}});
  }
};

CommandResult Maintenance(const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {(testing::BinDir() / "concord").string(), "maintenance"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--data-dir");
  argv.push_back(dir.string());
  return testing::RunCommand(argv);
}

TEST(MaintenanceTest, KeepsUsersOutButLetsTheAdministratorWork) {
  TempDir dir("maintenance");
  std::ofstream(dir.path() / "concord.toml") << "[server]\ntrusted_proxies = [\"127.0.0.4\"]\n";
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  ASSERT_TRUE(admin.Post("/communities/api/users", {{"login", "uma"},
                                                    {"email", "uma@example.com"},
                                                    {"displayName", "Uma"},
                                                    {"password", "pw-uma-1234"}}));
  Visitor uma{server.url(), "uma", "pw-uma-1234"};
  ASSERT_EQ(uma.Get("127.0.0.2")->status, 200) << "binding the client to 127.0.0.2 works";

  auto r = Maintenance(dir.path(), {"status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "maintenance: off\n");
  r = Maintenance(dir.path(), {"on", "--allow", "127.0.0.3,10.0.0.0/8", "--reason",
                               "Restoring <Blogs>", "--retry-after", "120"});
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  r = Maintenance(dir.path(), {"status"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.out, "maintenance: on since")) << r.out;
  EXPECT_TRUE(Contains(r.out, "allowed: local host, 127.0.0.3, 10.0.0.0/8")) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one line";

  // The running server follows within a second: 503, Retry-After and the page, before any
  // authentication (a wrong password gets the same).
  ASSERT_TRUE(Eventually([&] { return uma.Get("127.0.0.2")->status == 503; }, 3));
  auto refused = *uma.Get("127.0.0.2");
  EXPECT_EQ(refused.Header("Retry-After"), "120");
  EXPECT_TRUE(Contains(refused.Header("Content-Type"), "text/html"));
  EXPECT_TRUE(Contains(refused.raw_body, "Down for maintenance")) << refused.raw_body;
  EXPECT_TRUE(Contains(refused.raw_body, "Restoring &lt;Blogs&gt;")) << refused.raw_body;
  Visitor stranger{server.url(), "nobody", "wrong"};
  EXPECT_EQ(stranger.Get("127.0.0.2")->status, 503);
  // The allow-list and the local host get through; the administrator's console works.
  EXPECT_EQ(uma.Get("127.0.0.3")->status, 200);
  EXPECT_EQ(uma.Get("127.0.0.1")->status, 200);
  Console console{server};
  r = console.Run("s = MaintenanceService.status()\nprint(s['enabled'], s['allow'], s['reason'])");
  EXPECT_EQ(r.out, "True ['127.0.0.3', '10.0.0.0/8'] Restoring <Blogs>\n") << Show(r);
  EXPECT_EQ(
      console.Run("CommunitiesScheduler.pauseSchedulingTask(\"LifecycleRetryQueuedEvents\")").out,
      "1\n");
  // A forged X-Forwarded-For from a client that is not a trusted proxy changes nothing.
  EXPECT_EQ(uma.Get("127.0.0.2", "127.0.0.3")->status, 503);
  EXPECT_EQ(uma.Get("127.0.0.2", "127.0.0.1")->status, 503);
  // From the trusted proxy, the forwarded client is the one judged.
  EXPECT_EQ(uma.Get("127.0.0.4", "127.0.0.3")->status, 200);
  EXPECT_EQ(uma.Get("127.0.0.4", "127.0.0.2")->status, 503);
  EXPECT_EQ(uma.Get("127.0.0.4", "127.0.0.3, 127.0.0.2")->status, 503)
      << "only the address the trusted proxy saw counts";
  // A proxy that adds a header line of its own (HAProxy's option forwardfor) after the one the
  // client forged: every line counts, in order, so the client is still the one judged.
  http::Client via_proxy({.url = server.url(),
                          .user = "uma",
                          .password = "pw-uma-1234",
                          .source_address = "127.0.0.4"});
  auto two_lines =
      via_proxy.Send("GET", "/communities/api/communities", "", true,
                     {{"X-Forwarded-For", "127.0.0.3"}, {"X-Forwarded-For", "127.0.0.2"}});
  ASSERT_TRUE(two_lines);
  EXPECT_EQ(two_lines->status, 503) << "the proxy's own line names the client";
  // X-Forwarded-For from local addresses that are not trusted proxies: `concord status` warns
  // that a local proxy may be missing from trusted_proxies.
  auto status = testing::RunCommand(
      {(testing::BinDir() / "concord").string(), "status", "--data-dir", dir.path().string()});
  EXPECT_EQ(status.exit_code, 0) << Show(status);
  EXPECT_TRUE(
      Contains(status.err, "concord: warning: requests with X-Forwarded-For arrive from 127.0.0.2"))
      << status.err;
  // The http client says what happened.
  http::Client blocked({.url = server.url(),
                        .user = "uma",
                        .password = "pw-uma-1234",
                        .source_address = "127.0.0.2"});
  auto e = blocked.Get("/communities/api/communities");
  ASSERT_FALSE(e);
  EXPECT_TRUE(Contains(e.error().message, "maintenance mode")) << e.error().message;

  // It survives a restart.
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(server.Start());
  uma.url = server.url();  // a new ephemeral port
  ASSERT_TRUE(uma.Get("127.0.0.2"));
  EXPECT_EQ(uma.Get("127.0.0.2")->status, 503);
  EXPECT_EQ(uma.Get("127.0.0.3")->status, 200);

  // From the console: a custom page from a file on the console's machine, then off.
  fs::path page = dir.path() / "upgrading.htm";
  std::ofstream(page) << "<html><body>Back at noon</body></html>";
  r = console.Run("MaintenanceService.enable([\"127.0.0.3\"], \"" + page.string() + "\")");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  ASSERT_TRUE(Eventually(
      [&] { return uma.Get("127.0.0.2")->raw_body.find("Back at noon") != std::string::npos; }, 3));
  EXPECT_EQ(uma.Get("127.0.0.2")->status, 503);
  r = console.Run("MaintenanceService.disable()");
  ASSERT_EQ(r.exit_code, 0) << Show(r);
  EXPECT_EQ(r.out, "maintenance: off\n1\n");
  ASSERT_TRUE(Eventually([&] { return uma.Get("127.0.0.2")->status == 200; }, 3));
  EXPECT_EQ(Maintenance(dir.path(), {"status"}).exit_code, 1);
  // Turning it on in a way that would shut out the administrator asking is refused.
  http::Client remote_admin({.url = server.url(),
                             .user = "admin",
                             .password = server.AdminPassword(),
                             .source_address = "127.0.0.2"});
  auto lockout = remote_admin.Put("/api/admin/maintenance", {{"enabled", true}});
  ASSERT_FALSE(lockout);
  EXPECT_TRUE(Contains(lockout.error().message, "your address 127.0.0.2 is not on the allow-list"))
      << lockout.error().message;
  Millis before = NowMillis();
  auto turned_on =
      remote_admin.Put("/api/admin/maintenance", {{"enabled", true}, {"allow", {"127.0.0.2"}}});
  ASSERT_TRUE(turned_on);
  // When it changed, by the server's clock: the later of two changes wins across processes.
  EXPECT_GE((*turned_on)["changedAtMs"].get<int64_t>(), before);
  EXPECT_EQ(Maintenance(dir.path(), {"status"}).exit_code, 0);
  // A process told by another keeps the time of the change it is told, not of the telling.
  auto told = remote_admin.Put("/api/admin/maintenance?scope=process",
                               {{"enabled", true}, {"allow", {"127.0.0.2"}}, {"changedAt", 1234}});
  ASSERT_TRUE(told) << told.error().ToString();
  EXPECT_EQ((*told)["changedAtMs"], 1234);
  EXPECT_TRUE(remote_admin.Put("/api/admin/maintenance", {{"enabled", false}}));
  // Only administrators see or change it.
  http::Client uma_client({.url = server.url(), .user = "uma", .password = "pw-uma-1234"});
  EXPECT_EQ(uma_client.Send("GET", "/api/admin/maintenance", "")->status, 403);
  EXPECT_EQ(uma_client.Send("PUT", "/api/admin/maintenance", R"({"enabled": true})")->status, 403);
  EXPECT_EQ(Maintenance(dir.path(), {"status"}).exit_code, 1);
}

TEST(MaintenanceTest, ProxyConfigurationsAndBadInput) {
  TempDir dir("maintenance-proxy");
  ASSERT_EQ(Maintenance(dir.path(), {"on", "--allow", "192.0.2.0/24"}).exit_code, 0);
  auto apache = Maintenance(dir.path(), {"apache-config", "--allow", "198.51.100.7"});
  ASSERT_EQ(apache.exit_code, 0) << Show(apache);
  for (const char* line :
       {"ErrorDocument 401 /upgrading.htm\n", "ErrorDocument 403 /upgrading.htm\n",
        "<Location />\n", "    Order Deny,Allow\n", "    Deny from all\n",
        "    Allow from 127.0.0.1\n", "    Allow from 192.0.2.0/24\n",
        "    Allow from 198.51.100.7\n", "</Location>\n"}) {
    EXPECT_TRUE(Contains(apache.out, line)) << line << apache.out;
  }
  // The health check counts a node in maintenance (503 to the checker) as up.
  EXPECT_TRUE(Contains(apache.out,
                       "ProxyHCExpr concord_up {%{REQUEST_STATUS} -lt 500 || "
                       "%{REQUEST_STATUS} -eq 503}\n"))
      << apache.out;
  // Several nodes: one upstream, each node with its passive health check.
  auto nginx =
      Maintenance(dir.path(), {"nginx-config", "--upstream", "http://127.0.0.1:8080", "--upstream",
                               "http://10.0.0.5:8080", "--page-path", "/down.html"});
  ASSERT_EQ(nginx.exit_code, 0) << Show(nginx);
  for (const char* line :
       {"error_page 403 =503 /down.html;\n", "    allow 192.0.2.0/24;\n", "deny all;",
        "upstream concord {\n", "    hash $cookie_concord_session$remote_addr consistent;\n",
        "    server 127.0.0.1:8080 max_fails=2 fail_timeout=10s;\n",
        "    server 10.0.0.5:8080 max_fails=2 fail_timeout=10s;\n",
        "    proxy_pass http://concord;\n", "X-Forwarded-For $proxy_add_x_forwarded_for",
        "add_header Retry-After"}) {
    EXPECT_TRUE(Contains(nginx.out, line)) << line << nginx.out;
  }
  apache = Maintenance(dir.path(), {"apache-config", "--upstream", "http://127.0.0.1:8080",
                                    "--upstream", "http://10.0.0.5:8080"});
  ASSERT_EQ(apache.exit_code, 0) << Show(apache);
  for (const char* line : {"<Proxy \"balancer://concord\">\n",
                           "BalancerMember \"http://10.0.0.5:8080\" route=n2 hcmethod=GET",
                           "    ProxySet stickysession=CONCORD_ROUTE\n",
                           "ProxyPass \"/\" \"balancer://concord/\"\n"}) {
    EXPECT_TRUE(Contains(apache.out, line)) << line << apache.out;
  }
  // Bad input: named, and nothing changes.
  auto bad = Maintenance(dir.path(), {"on", "--allow", "192.0.2.0/24,example.com"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(Contains(bad.err, "'example.com' is not an address or CIDR range")) << Show(bad);
  EXPECT_TRUE(
      Contains(Maintenance(dir.path(), {"status"}).out, "allowed: local host, 192.0.2.0/24\n"));
  bad = Maintenance(dir.path(), {"on", "--page", (dir.path() / "missing.html").string()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(Contains(bad.err, "cannot read the page")) << Show(bad);
  bad = Maintenance(dir.path(), {"apache-config", "--page-path", "/x\"; Allow from all"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.out, "");
  bad = Maintenance(dir.path() / "nonexistent", {"on"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(Contains(bad.err, "no data directory")) << Show(bad);
  // A server refuses to start on a damaged state file or a bad trusted proxy, saying why.
  std::ofstream(dir.path() / "maintenance.json") << "{oops";
  EXPECT_EQ(Maintenance(dir.path(), {"status"}).exit_code, 2);
  ConcordServer damaged(dir.path());
  EXPECT_FALSE(damaged.Start());
  EXPECT_TRUE(Contains(damaged.Log(), "maintenance.json is damaged")) << damaged.Log();
  fs::remove(dir.path() / "maintenance.json");
  std::ofstream(dir.path() / "concord.toml") << "[server]\ntrusted_proxies = [\"proxy.local\"]\n";
  ConcordServer misconfigured(dir.path());
  EXPECT_FALSE(misconfigured.Start());
  EXPECT_TRUE(Contains(misconfigured.Log(), "'proxy.local' is not an address"))
      << misconfigured.Log();
}

}  // namespace
}  // namespace concord
