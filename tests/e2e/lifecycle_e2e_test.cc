// Widget lifecycle events end to end: Communities and the Blogs application in a real
// `concord serve`, driven over HTTP.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <thread>

#include "concord/db/database.h"
#include "concord/http/client.h"
#include "concord/testing/postgres.h"
#include "concord/testing/process.h"
#include "concord/testing/raw_connection.h"

namespace concord {
namespace {

using nlohmann::json;
using testing::ConcordServer;
using testing::TempDir;
namespace fs = std::filesystem;

// Polls `get` until `done(reply)` or 10 s pass; returns the last reply.
json WaitFor(const std::function<Result<json>()>& get,
             const std::function<bool(const json&)>& done) {
  json last;
  for (int i = 0; i < 500; ++i) {
    auto r = get();
    if (r) {
      last = *r;
      if (done(last)) return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return last;
}

struct Users {
  static void Create(http::Client& admin, const std::vector<std::string>& logins) {
    for (const auto& l : logins) {
      ASSERT_TRUE(admin.Post("/communities/api/users", {{"login", l},
                                                        {"email", l + "@example.com"},
                                                        {"displayName", l},
                                                        {"password", "pw-" + l + "-123"}}));
    }
  }
};

TEST(LifecycleTest, ABlogFollowsItsCommunityThroughEveryKindOfChange) {
  TempDir dir("lifecycle-blogs");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Users::Create(admin, {"olivia", "mike", "dave"});
  auto olivia = server.Client("olivia", "pw-olivia-123");
  auto mike = server.Client("mike", "pw-mike-123");
  auto dave = server.Client("dave", "pw-dave-123");

  auto c = olivia.Post("/communities/api/communities", {{"name", "Launch Team"}});
  ASSERT_TRUE(c);
  std::string uuid = (*c)["uuid"];
  std::string path = "/communities/api/communities/" + uuid;
  auto widget = olivia.Post(path + "/widgets", {{"widgetDefId", "Blog"}});
  ASSERT_TRUE(widget) << widget.error().ToString();

  // remote.app.added: the application creates the blog and the widget records its id.
  auto widgets = WaitFor([&] { return olivia.Get(path + "/widgets"); },
                         [](const json& j) {
                           for (const auto& w : j["items"]) {
                             if (w["widgetDefId"] == "Blog" && w["remoteResourceId"].is_string())
                               return true;
                           }
                           return false;
                         });
  std::string blog_id;
  for (const auto& w : widgets["items"]) {
    if (w["widgetDefId"] == "Blog" && w["remoteResourceId"].is_string())
      blog_id = w["remoteResourceId"];
  }
  ASSERT_FALSE(blog_id.empty()) << widgets.dump();
  auto blog = olivia.Get("/blogs/api/blogs/" + blog_id);
  ASSERT_TRUE(blog) << blog.error().ToString();
  EXPECT_EQ((*blog)["title"], "Launch Team");
  EXPECT_EQ((*blog)["access"], "owner");

  std::string synced = "/blogs/api/synced/Blog/" + uuid;
  auto version = [&] { return (*olivia.Get(path))["version"].get<int64_t>(); };
  auto synced_at = [&](int64_t v) {
    return WaitFor([&] { return admin.Get(synced); },
                   [v](const json& j) { return j["version"] == v; });
  };

  // A rename, a theme and moderation change.
  ASSERT_TRUE(olivia.Put(
      path, {{"name", "Launch Team EMEA"}, {"theme", "silver"}, {"ownersApproveContent", true}}));
  auto record = synced_at(version());
  EXPECT_EQ(record["name"], "Launch Team EMEA");
  EXPECT_EQ(record["theme"], "silver");
  EXPECT_EQ(record["ownersApproveContent"], true);

  // Members added, promoted, removed.
  ASSERT_TRUE(olivia.Post(path + "/members", {{"users", {"mike", "dave"}}}));
  record = synced_at(version());
  EXPECT_EQ(record["members"].size(), 2u);
  ASSERT_TRUE(olivia.Put(path + "/members/mike", {{"role", "owner"}}));
  record = synced_at(version());
  EXPECT_EQ(record["owners"].size(), 2u);
  ASSERT_TRUE(olivia.Delete(path + "/members/dave"));
  record = synced_at(version());
  EXPECT_EQ(record["members"].size(), 0u);

  // Restricted: access in the application follows its synced record.
  ASSERT_TRUE(olivia.Put(path, {{"visibility", "private"}}));
  record = synced_at(version());
  EXPECT_EQ(record["visibility"], "private");
  EXPECT_EQ(dave.Send("GET", "/blogs/api/blogs/" + blog_id, "")->status, 404);
  auto entry = mike.Post("/blogs/api/blogs/" + blog_id + "/entries",
                         {{"title", "Kick-off"}, {"content", "Monday"}});
  ASSERT_TRUE(entry) << entry.error().ToString();
  EXPECT_EQ(dave.Send("GET", "/blogs/api/entries/" + (*entry)["id"].get<std::string>(), "")->status,
            404);
  ASSERT_TRUE(olivia.Put(path, {{"visibility", "public"}}));
  synced_at(version());
  EXPECT_EQ(dave.Send("GET", "/blogs/api/blogs/" + blog_id, "")->status, 200);
  // Readers of a public community read; only members write.
  EXPECT_EQ(
      dave.Send("POST", "/blogs/api/blogs/" + blog_id + "/entries", R"({"title":"x"})")->status,
      403);

  // Trash and restore: the application sees the trash's forced private state, then the old one.
  ASSERT_TRUE(olivia.Delete(path));
  record = WaitFor([&] { return admin.Get(synced); },
                   [](const json& j) { return j["inTrash"] == true; });
  EXPECT_EQ(record["visibility"], "private");
  EXPECT_EQ(dave.Send("GET", "/blogs/api/blogs/" + blog_id, "")->status, 404);
  ASSERT_TRUE(olivia.Post("/communities/api/trash/" + uuid + "/restore", json::object()));
  record = WaitFor([&] { return admin.Get(synced); },
                   [](const json& j) { return j["inTrash"] == false; });
  EXPECT_EQ(record["visibility"], "public");

  // Removing the widget sends remote.app.removed: the blog goes to the Blogs trash.
  std::string instance;
  json current = *olivia.Get(path + "/widgets");
  for (const auto& w : current["items"]) {
    if (w["widgetDefId"] == "Blog") instance = w["instanceId"];
  }
  ASSERT_TRUE(olivia.Delete(path + "/widgets/" + instance));
  WaitFor(
      [&]() -> Result<json> {
        auto r = admin.Send("GET", synced, "");
        if (!r) return std::unexpected(r.error());
        return json(r->status);
      },
      [](const json& j) { return j == 404; });
  EXPECT_EQ(olivia.Send("GET", "/blogs/api/blogs/" + blog_id, "")->status, 404);
  EXPECT_EQ(admin.Send("GET", synced, "")->status, 404);
}

TEST(LifecycleTest, IdeationBlogsTakeVotes) {
  TempDir dir("lifecycle-ideas");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Users::Create(admin, {"ida"});
  auto ida = server.Client("ida", "pw-ida-123");
  auto c = *ida.Post("/communities/api/communities", {{"name", "Ideas"}});
  std::string path = "/communities/api/communities/" + c["uuid"].get<std::string>();
  ASSERT_TRUE(ida.Post(path + "/widgets", {{"widgetDefId", "IdeationBlog"}}));
  auto widgets =
      WaitFor([&] { return ida.Get(path + "/widgets"); },
              [](const json& j) {
                for (const auto& w : j["items"]) {
                  if (w["widgetDefId"] == "IdeationBlog" && w["remoteResourceId"].is_string())
                    return true;
                }
                return false;
              });
  std::string blog;
  for (const auto& w : widgets["items"]) {
    if (w["widgetDefId"] == "IdeationBlog") blog = w["remoteResourceId"];
  }
  ASSERT_FALSE(blog.empty());
  auto idea = *ida.Post("/blogs/api/blogs/" + blog + "/entries", {{"title", "Four-day week"}});
  std::string votes = "/blogs/api/entries/" + idea["id"].get<std::string>() + "/votes";
  auto voted = ida.Post(votes, json::object());
  ASSERT_TRUE(voted);
  EXPECT_EQ((*voted)["votes"], 1);
  EXPECT_EQ(ida.Send("POST", votes, "")->status, 409);
}

// With the Blogs handler unreachable, Blogs' events wait in the queue with their attempts and
// error, in order; once Blogs is back, LifecycleRetryQueuedEvents drains them.
TEST(LifecycleTest, EventsForAnApplicationThatIsDownWaitAndAreRetriedInOrder) {
  TempDir dir("lifecycle-queue");
  // Blog's handler points at a port where nothing listens.
  std::ofstream(dir.path() / "concord.toml")
      << "[lifecycle.handlers]\nBlog = \"http://127.0.0.1:9/blogs/api/lifecycle/Blog\"\n";
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  auto c = *admin.Post("/communities/api/communities", {{"name", "Queued"}});
  std::string uuid = c["uuid"];
  std::string path = "/communities/api/communities/" + uuid;
  ASSERT_TRUE(admin.Post(path + "/widgets", {{"widgetDefId", "Blog"}}));
  ASSERT_TRUE(admin.Post(path + "/widgets", {{"widgetDefId", "IdeationBlog"}}));
  ASSERT_TRUE(admin.Put(path, {{"name", "Queued Renamed"}}));
  ASSERT_TRUE(admin.Put(path, {{"visibility", "publicInviteOnly"}}));
  // IdeationBlog is served here and carries on; Blog's events are queued.
  auto ideas = WaitFor([&] { return admin.Get("/blogs/api/synced/IdeationBlog/" + uuid); },
                       [](const json& j) { return j["visibility"] == "publicInviteOnly"; });
  EXPECT_EQ(ideas["name"], "Queued Renamed");
  EXPECT_EQ(admin.Send("GET", "/blogs/api/synced/Blog/" + uuid, "")->status, 404);
  auto task = admin.Post(
      "/communities/api/admin/scheduler/tasks/LifecycleRetryQueuedEvents/run?synchronous=true",
      json::object());
  ASSERT_TRUE(task);
  // Blog's five: remote.app.added, widget.added (Blog), widget.added (IdeationBlog),
  // community.updated (the rename), community.visibility.changed.
  EXPECT_NE((*task)["lastResult"].get<std::string>().find("5 lifecycle events are still queued"),
            std::string::npos)
      << task->dump();
  ASSERT_EQ(server.Stop(), 0);

  // Blogs is back (the handler is this server again): the queue survived the restart and drains.
  std::filesystem::remove(dir.path() / "concord.toml");
  ASSERT_TRUE(server.Start());
  admin = server.AdminClient();
  task = admin.Post(
      "/communities/api/admin/scheduler/tasks/LifecycleRetryQueuedEvents/run?synchronous=true",
      json::object());
  ASSERT_TRUE(task);
  EXPECT_EQ((*task)["lastResult"], "ok") << task->dump();
  auto record = admin.Get("/blogs/api/synced/Blog/" + uuid);
  ASSERT_TRUE(record) << record.error().ToString();
  EXPECT_EQ((*record)["name"], "Queued Renamed");
  EXPECT_EQ((*record)["visibility"], "publicInviteOnly");
  EXPECT_TRUE((*record)["resourceId"].is_string());
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

// SIGKILL in the middle of a burst of changes: after a restart every event is delivered, the
// application ends at exactly the community's state, and no resource was created twice.
TEST(LifecycleTest, ASigkillDuringDeliveryLosesNothingAndAppliesNothingTwice) {
  TempDir dir("lifecycle-sigkill");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::vector<std::string> uuids;
  for (int i = 0; i < 3; ++i) {
    auto c = admin.Post("/communities/api/communities", {{"name", "Burst " + std::to_string(i)}});
    ASSERT_TRUE(c);
    uuids.push_back((*c)["uuid"]);
  }
  // A burst: widgets added and changes made, without waiting for any delivery.
  for (const auto& uuid : uuids) {
    std::string path = "/communities/api/communities/" + uuid;
    ASSERT_TRUE(admin.Post(path + "/widgets", {{"widgetDefId", "Blog"}}));
    ASSERT_TRUE(admin.Post(path + "/widgets", {{"widgetDefId", "IdeationBlog"}}));
    for (int k = 0; k < 30; ++k) {
      ASSERT_TRUE(
          admin.Put(path, {{"name", "Burst " + uuid.substr(0, 4) + " #" + std::to_string(k)},
                           {"visibility", k % 2 ? "private" : "public"}}));
    }
  }
  server.Kill();
  {
    // The kill must land while deliveries are outstanding, or this test proves nothing. (The
    // first delivery waits for an Argon2id verification of the system account, ~170 ms, so the
    // burst is still queued behind it.)
    auto events = testing::OpenTestDatabase(dir.path(), "communities");
    ASSERT_TRUE(events);
    auto lease = *(*events)->Acquire();
    int64_t outstanding = **lease->QueryInt("SELECT COUNT(*) FROM event_queue");
    EXPECT_GT(outstanding, 0);
    std::cerr << "deliveries outstanding at the kill: " << outstanding << "\n";
  }

  ASSERT_TRUE(server.Start());
  admin = server.AdminClient();
  // Whatever was queued by the kill (a delivery cut off mid-way) is retried.
  ASSERT_TRUE(admin.Post(
      "/communities/api/admin/scheduler/tasks/LifecycleRetryQueuedEvents/run?synchronous=true",
      json::object()));
  for (const auto& uuid : uuids) {
    auto community = *admin.Get("/communities/api/communities/" + uuid);
    for (const char* app : {"Blog", "IdeationBlog"}) {
      auto record =
          WaitFor([&] { return admin.Get(std::string("/blogs/api/synced/") + app + "/" + uuid); },
                  [&](const json& j) { return j["version"] == community["version"]; });
      EXPECT_EQ(record["version"], community["version"]) << app;
      EXPECT_EQ(record["name"], community["name"]) << app;
      EXPECT_EQ(record["visibility"], community["visibility"]) << app;
    }
    // Each widget is bound to the resource its application holds.
    auto widgets = *admin.Get("/communities/api/communities/" + uuid + "/widgets");
    for (const auto& w : widgets["items"]) {
      if (w["widgetDefId"] != "Blog" && w["widgetDefId"] != "IdeationBlog") continue;
      auto record =
          *admin.Get("/blogs/api/synced/" + w["widgetDefId"].get<std::string>() + "/" + uuid);
      EXPECT_EQ(w["remoteResourceId"], record["resourceId"]);
    }
  }
  ASSERT_EQ(server.Stop(), 0);
  // Exactly one blog and one ideation blog per community: remote.app.added never applied twice.
  auto blogs = testing::OpenTestDatabase(dir.path(), "blogs");
  ASSERT_TRUE(blogs);
  auto lease = *(*blogs)->Acquire();
  EXPECT_EQ(**lease->QueryInt("SELECT COUNT(*) FROM blogs"), 6);
  EXPECT_EQ(
      **lease->QueryInt("SELECT COUNT(DISTINCT community_uuid || remote_app_def_id) FROM blogs"),
      6);
  auto events = testing::OpenTestDatabase(dir.path(), "communities");
  auto ev = *(*events)->Acquire();
  EXPECT_EQ(**ev->QueryInt("SELECT COUNT(*) FROM event_queue"), 0);
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

// The Forum widget is a default: a new community gets its forum through remote.app.added.
TEST(LifecycleTest, ANewCommunityGetsItsForumAndAccessFollowsTheForumsRecord) {
  TempDir dir("lifecycle-forums");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Users::Create(admin, {"fran", "gus", "hal"});
  auto fran = server.Client("fran", "pw-fran-123");
  auto gus = server.Client("gus", "pw-gus-123");
  auto hal = server.Client("hal", "pw-hal-123");
  auto c =
      *fran.Post("/communities/api/communities", {{"name", "Makers"}, {"visibility", "private"}});
  std::string uuid = c["uuid"];
  std::string path = "/communities/api/communities/" + uuid;
  ASSERT_TRUE(fran.Post(path + "/members", {{"user", "gus"}}));
  auto widgets = WaitFor([&] { return fran.Get(path + "/widgets"); },
                         [](const json& j) {
                           for (const auto& w : j["items"]) {
                             if (w["widgetDefId"] == "Forum" && w["remoteResourceId"].is_string())
                               return true;
                           }
                           return false;
                         });
  std::string forum;
  for (const auto& w : widgets["items"]) {
    if (w["widgetDefId"] == "Forum" && w["remoteResourceId"].is_string())
      forum = w["remoteResourceId"];
  }
  ASSERT_FALSE(forum.empty()) << widgets.dump();
  WaitFor([&] { return admin.Get("/forums/api/synced/Forum/" + uuid); },
          [](const json& j) { return j["members"].size() == 1; });

  auto topic = gus.Post("/forums/api/forums/" + forum + "/topics", {{"title", "Soldering night"}});
  ASSERT_TRUE(topic) << topic.error().ToString();
  std::string topic_path = "/forums/api/topics/" + (*topic)["id"].get<std::string>();
  ASSERT_TRUE(fran.Post(topic_path + "/replies", {{"content", "Thursday?"}}));
  auto read = gus.Get(topic_path);
  ASSERT_TRUE(read);
  EXPECT_EQ((*read)["replies"].size(), 1u);
  // hal is not a member of the restricted community: nothing of it exists for him.
  EXPECT_EQ(hal.Send("GET", "/forums/api/forums/" + forum, "")->status, 404);
  EXPECT_EQ(hal.Send("GET", topic_path, "")->status, 404);
  EXPECT_EQ(hal.Send("GET", "/forums/api/communities/" + uuid + "/forums", "")->status, 404);
  // Owners create more forums; members do not.
  EXPECT_EQ(
      gus.Send("POST", "/forums/api/communities/" + uuid + "/forums", R"({"name":"Off-topic"})")
          ->status,
      403);
  ASSERT_TRUE(fran.Post("/forums/api/communities/" + uuid + "/forums", {{"name", "Off-topic"}}));
  EXPECT_EQ((*gus.Get("/forums/api/communities/" + uuid + "/forums"))["items"].size(), 2u);
  // Removing the Forum widget moves the community's forums to the Forums trash.
  std::string instance;
  for (const auto& w : widgets["items"]) {
    if (w["widgetDefId"] == "Forum") instance = w["instanceId"];
  }
  ASSERT_TRUE(fran.Delete(path + "/widgets/" + instance));
  auto gone = WaitFor(
      [&]() -> Result<json> {
        auto r = gus.Send("GET", "/forums/api/forums/" + forum, "");
        if (!r) return std::unexpected(r.error());
        return json(r->status);
      },
      [](const json& j) { return j == 404; });
  EXPECT_EQ(gone, 404);
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

// Finds the widget of `def` that has its resource, waiting for remote.app.added's answer.
std::string ResourceOf(http::Client& client, const std::string& path, const std::string& def) {
  auto widgets = WaitFor([&] { return client.Get(path + "/widgets"); },
                         [&](const json& j) {
                           for (const auto& w : j["items"]) {
                             if (w["widgetDefId"] == def && w["remoteResourceId"].is_string())
                               return true;
                           }
                           return false;
                         });
  for (const auto& w : widgets["items"]) {
    if (w["widgetDefId"] == def && w["remoteResourceId"].is_string()) return w["remoteResourceId"];
  }
  return "";
}

TEST(LifecycleTest, AWikiKeepsEveryVersionOfEveryPage) {
  TempDir dir("lifecycle-wikis");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Users::Create(admin, {"wanda", "xavi", "yuri"});
  auto wanda = server.Client("wanda", "pw-wanda-123");
  auto xavi = server.Client("xavi", "pw-xavi-123");
  auto yuri = server.Client("yuri", "pw-yuri-123");
  auto c = *wanda.Post("/communities/api/communities",
                       {{"name", "Handbook"}, {"visibility", "private"}});
  std::string uuid = c["uuid"];
  std::string path = "/communities/api/communities/" + uuid;
  ASSERT_TRUE(wanda.Post(path + "/members", {{"user", "xavi"}}));
  ASSERT_TRUE(wanda.Post(path + "/widgets", {{"widgetDefId", "Wiki"}}));
  std::string wiki = ResourceOf(wanda, path, "Wiki");
  ASSERT_FALSE(wiki.empty());
  WaitFor([&] { return admin.Get("/wikis/api/synced/Wiki/" + uuid); },
          [](const json& j) { return j["members"].size() == 1; });

  auto page = xavi.Post("/wikis/api/wikis/" + wiki + "/pages",
                        {{"title", "Onboarding"}, {"content", "v1"}});
  ASSERT_TRUE(page) << page.error().ToString();
  EXPECT_EQ((*page)["version"], 1);
  std::string page_path = "/wikis/api/pages/" + (*page)["id"].get<std::string>();
  auto edited = wanda.Put(page_path, {{"content", "v2"}, {"version", 1}});
  ASSERT_TRUE(edited);
  EXPECT_EQ((*edited)["version"], 2);
  auto stale = xavi.Put(page_path, {{"content", "v2 from an old copy"}, {"version", 1}});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kAborted);
  EXPECT_EQ((*xavi.Get(page_path))["content"], "v2");
  EXPECT_EQ((*xavi.Get(page_path + "/versions"))["items"].size(), 2u);
  auto duplicate = xavi.Post("/wikis/api/wikis/" + wiki + "/pages", {{"title", "Onboarding"}});
  EXPECT_EQ(duplicate.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(yuri.Send("GET", page_path, "")->status, 404);
  EXPECT_EQ(yuri.Send("GET", "/wikis/api/wikis/" + wiki + "/pages", "")->status, 404);
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

const std::vector<std::pair<std::string, std::string>> kHosted = {{"Blog", "blogs"},
                                                                  {"IdeationBlog", "blogs"},
                                                                  {"Forum", "forums"},
                                                                  {"Wiki", "wikis"},
                                                                  {"StatusUpdates", "news"},
                                                                  {"Library", "libraries"},
                                                                  {"Activities", "activities"},
                                                                  {"Files", "files"}};

// Every application's record of the community equals Communities' own state.
void ExpectInStep(http::Client& admin, const std::string& uuid, const std::string& moment) {
  auto community = *admin.Get("/communities/api/communities/" + uuid);
  std::set<std::string> owners, members;
  auto list = *admin.Get("/communities/api/communities/" + uuid + "/members?limit=500");
  for (const auto& m : list["items"]) (m["role"] == "owner" ? owners : members).insert(m["userId"]);
  for (const auto& [app, service] : kHosted) {
    std::string synced = "/" + service + "/api/synced/" + app + "/" + uuid;
    auto record = WaitFor([&] { return admin.Get(synced); },
                          [&](const json& j) { return j["version"] == community["version"]; });
    SCOPED_TRACE(moment + ", " + app);
    EXPECT_EQ(record["version"], community["version"]);
    EXPECT_EQ(record["name"], community["name"]);
    EXPECT_EQ(record["visibility"], community["visibility"]);
    EXPECT_EQ(record["theme"], community["theme"]);
    EXPECT_EQ(record["ownersApproveContent"], community["ownersApproveContent"]);
    EXPECT_EQ(record["viewersFlagContent"], community["viewersFlagContent"]);
    EXPECT_EQ(record["owners"].get<std::set<std::string>>(), owners);
    EXPECT_EQ(record["members"].get<std::set<std::string>>(), members);
  }
}

TEST(LifecycleTest, ACommunityWithEveryRemoteWidgetStaysInStepInEveryDatabase) {
  TempDir dir("lifecycle-all");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Users::Create(admin, {"ann", "ben", "cat"});
  auto ann = server.Client("ann", "pw-ann-123");
  auto c = *ann.Post("/communities/api/communities", {{"name", "Everything"}});
  std::string uuid = c["uuid"];
  std::string path = "/communities/api/communities/" + uuid;
  for (const char* w : {"Blog", "IdeationBlog", "Wiki", "Library", "Activities"}) {
    ASSERT_TRUE(ann.Post(path + "/widgets", {{"widgetDefId", w}}));
  }
  ExpectInStep(admin, uuid, "created");
  ASSERT_TRUE(ann.Put(path, {{"name", "Everything, renamed"}}));
  ExpectInStep(admin, uuid, "renamed");
  ASSERT_TRUE(ann.Put(path, {{"visibility", "private"}}));
  ExpectInStep(admin, uuid, "restricted");
  ASSERT_TRUE(ann.Put(
      path,
      {{"visibility", "publicInviteOnly"}, {"theme", "green"}, {"viewersFlagContent", true}}));
  ExpectInStep(admin, uuid, "moderated, themed, flagged");
  ASSERT_TRUE(ann.Post(path + "/members", {{"users", {"ben", "cat"}}}));
  ExpectInStep(admin, uuid, "members added");
  ASSERT_TRUE(ann.Put(path + "/members/ben", {{"role", "owner"}}));
  ExpectInStep(admin, uuid, "member promoted");
  ASSERT_TRUE(ann.Delete(path + "/members/cat"));
  ExpectInStep(admin, uuid, "member removed");
  ASSERT_TRUE(ann.Delete(path));
  ASSERT_TRUE(ann.Post("/communities/api/trash/" + uuid + "/restore", json::object()));
  ExpectInStep(admin, uuid, "trashed and restored");

  // Content in Status Updates and the Library, as a member.
  auto ben = server.Client("ben", "pw-ben-123");
  std::string board = ResourceOf(ben, path, "StatusUpdates");
  auto post = ben.Post("/news/api/boards/" + board + "/posts", {{"content", "Shipped!"}});
  ASSERT_TRUE(post) << post.error().ToString();
  ASSERT_TRUE(ben.Post("/news/api/posts/" + (*post)["id"].get<std::string>() + "/comments",
                       {{"content", "Congrats"}}));
  EXPECT_EQ((*ben.Get("/news/api/posts/" + (*post)["id"].get<std::string>()))["comments"].size(),
            1u);
  std::string library = ResourceOf(ben, path, "Library");
  auto doc = ben.Post("/libraries/api/libraries/" + library + "/documents",
                      {{"title", "Plan"}, {"content", "..."}});
  ASSERT_TRUE(doc) << doc.error().ToString();
  auto cat = server.Client("cat", "pw-cat-123");  // no longer a member of a moderated community
  EXPECT_EQ(
      cat.Send("POST", "/libraries/api/libraries/" + library + "/documents", R"({"title":"x"})")
          ->status,
      403);
  EXPECT_EQ(
      cat.Send("GET", "/libraries/api/documents/" + (*doc)["id"].get<std::string>(), "")->status,
      200);

  // Purging the community tells every application (community.prepare.delete).
  ASSERT_TRUE(ann.Delete(path));
  ASSERT_TRUE(ann.Delete("/communities/api/trash/" + uuid));
  for (const auto& [app, service] : kHosted) {
    auto gone = WaitFor(
        [&]() -> Result<json> {
          auto r = admin.Send("GET", "/" + service + "/api/synced/" + app + "/" + uuid, "");
          if (!r) return std::unexpected(r.error());
          return json(r->status);
        },
        [](const json& j) { return j == 404; });
    EXPECT_EQ(gone, 404) << app;
  }
  EXPECT_EQ(ben.Send("GET", "/news/api/boards/" + board, "")->status, 404);
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

TEST(LifecycleTest, ActivitiesKnowCommunitiesWithoutTheirWidgetAndShareWithThem) {
  TempDir dir("lifecycle-activities");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Users::Create(admin, {"dana", "ed", "fay"});
  auto dana = server.Client("dana", "pw-dana-123");
  auto ed = server.Client("ed", "pw-ed-123");
  auto fay = server.Client("fay", "pw-fay-123");
  // A restricted community without the Activities widget: Activities still keeps its record.
  auto c = *dana.Post("/communities/api/communities",
                      {{"name", "Design Crew"}, {"visibility", "private"}});
  std::string uuid = c["uuid"];
  std::string path = "/communities/api/communities/" + uuid;
  ASSERT_TRUE(dana.Post(path + "/members", {{"user", "ed"}}));
  auto record = WaitFor([&] { return admin.Get("/activities/api/synced/Activities/" + uuid); },
                        [](const json& j) { return j["members"].size() == 1; });
  EXPECT_TRUE(record["widgetInstanceId"].is_null());
  EXPECT_EQ(record["name"], "Design Crew");

  // A personal activity with the community as a member: the community's members take part.
  auto activity = *dana.Post("/activities/api/activities", {{"title", "Rebrand"}});
  std::string apath = "/activities/api/activities/" + activity["id"].get<std::string>();
  ASSERT_TRUE(dana.Post(apath + "/members", {{"community", uuid}}));
  auto todo = ed.Post(apath + "/entries", {{"title", "Pick fonts"}, {"type", "todo"}});
  ASSERT_TRUE(todo) << todo.error().ToString();
  auto done =
      ed.Put("/activities/api/entries/" + (*todo)["id"].get<std::string>(), {{"done", true}});
  ASSERT_TRUE(done);
  EXPECT_EQ((*done)["done"], true);
  EXPECT_EQ(fay.Send("GET", apath, "")->status, 404);
  EXPECT_EQ(
      ed.Send("POST", apath + "/members", R"({"user":"00000000-0000-4000-8000-000000000000"})")
          ->status,
      403);
  // The share records the community's name as last known; a rename reaches the Activities record
  // (the share itself is what AccessControlService.syncAllCommunityShares repairs).
  auto read = *dana.Get(apath);
  EXPECT_EQ(read["members"][0]["communityName"], "Design Crew");
  EXPECT_EQ(read["members"][0]["communityVisibility"], "private");
  ASSERT_TRUE(dana.Put(path, {{"name", "Design Crew 2027"}}));
  WaitFor([&] { return admin.Get("/activities/api/synced/Activities/" + uuid); },
          [](const json& j) { return j["name"] == "Design Crew 2027"; });
  // When ed leaves the community, he leaves the activity with it.
  ASSERT_TRUE(ed.Delete(path + "/members/ed"));
  WaitFor([&] { return admin.Get("/activities/api/synced/Activities/" + uuid); },
          [](const json& j) { return j["members"].empty(); });
  EXPECT_EQ(ed.Send("GET", apath, "")->status, 404);

  // A community activity, through the widget.
  ASSERT_TRUE(dana.Post(path + "/widgets", {{"widgetDefId", "Activities"}}));
  std::string community_activity = ResourceOf(dana, path, "Activities");
  ASSERT_FALSE(community_activity.empty());
  auto list = *dana.Get("/activities/api/communities/" + uuid + "/activities");
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["id"], community_activity);
  EXPECT_EQ(fay.Send("GET", "/activities/api/activities/" + community_activity, "")->status, 404);
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

TEST(LifecycleTest, FilesKeepContentWithItsChecksumAndShareWithCommunities) {
  TempDir dir("lifecycle-files");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Users::Create(admin, {"gil", "hana", "ivo"});
  auto gil = server.Client("gil", "pw-gil-123");
  auto hana = server.Client("hana", "pw-hana-123");
  auto ivo = server.Client("ivo", "pw-ivo-123");
  auto c = *gil.Post("/communities/api/communities", {{"name", "Lab"}, {"visibility", "private"}});
  std::string uuid = c["uuid"];
  std::string path = "/communities/api/communities/" + uuid;
  ASSERT_TRUE(gil.Post(path + "/members", {{"user", "hana"}}));
  std::string library = ResourceOf(gil, path, "Files");  // a default widget
  ASSERT_FALSE(library.empty());
  WaitFor([&] { return admin.Get("/files/api/synced/Files/" + uuid); },
          [](const json& j) { return j["members"].size() == 1; });

  using std::string_literals::operator""s;
  std::string bytes = "binary\0data\xff\x01\0"s;  // 14 bytes, two of them NUL
  auto up = hana.Send("POST", "/files/api/libraries/" + library + "/files?name=results.bin", bytes);
  ASSERT_EQ(up->status, 201) << up->raw_body;
  std::string file = up->body["id"];
  auto down = gil.Send("GET", "/files/api/files/" + file + "/content", "");
  ASSERT_EQ(down->status, 200);
  EXPECT_EQ(down->raw_body, bytes);
  EXPECT_EQ(up->body["size"], 14);
  EXPECT_EQ(up->body["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(ivo.Send("GET", "/files/api/files/" + file, "")->status, 404);
  EXPECT_EQ(ivo.Send("GET", "/files/api/files/" + file + "/content", "")->status, 404);
  // The content is on disk under the data directory, named by the file's id.
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "files-content" / file.substr(0, 2) / file));

  EXPECT_EQ(
      hana.Send("POST", "/files/api/libraries/" + library + "/files?name=..%2Fescape", "x")->status,
      400);

  // A personal file shared with communities.
  auto mine = *ivo.Get("/files/api/me/library");
  auto personal = ivo.Send(
      "POST", "/files/api/libraries/" + mine["id"].get<std::string>() + "/files?name=notes.txt",
      "ivo's notes");
  ASSERT_EQ(personal->status, 201);
  std::string notes = personal->body["id"];
  EXPECT_EQ(hana.Send("GET", "/files/api/files/" + notes, "")->status, 404);
  auto open = *ivo.Post("/communities/api/communities", {{"name", "Open House"}});
  WaitFor([&] { return admin.Get("/files/api/synced/Files/" + open["uuid"].get<std::string>()); },
          [](const json& j) { return j.contains("name"); });
  auto wrong = ivo.Send("POST", "/files/api/files/" + notes + "/shares",
                        json{{"community", open["uuid"]}}.dump());
  EXPECT_EQ(wrong->status, 409) << wrong->raw_body;  // private file, public community
  // ivo may not see the Lab (restricted, not a member): sharing with it is refused as not found.
  EXPECT_EQ(
      ivo.Send("POST", "/files/api/files/" + notes + "/shares", json{{"community", uuid}}.dump())
          ->status,
      404);
  ASSERT_TRUE(gil.Post(path + "/members", {{"user", "ivo"}}));
  WaitFor([&] { return admin.Get("/files/api/synced/Files/" + uuid); },
          [](const json& j) { return j["members"].size() == 2; });
  auto share = ivo.Post("/files/api/files/" + notes + "/shares", {{"community", uuid}});
  ASSERT_TRUE(share) << share.error().ToString();
  EXPECT_EQ((*share)["communityName"], "Lab");
  EXPECT_EQ(hana.Send("GET", "/files/api/files/" + notes + "/content", "")->raw_body,
            "ivo's notes");
  EXPECT_EQ(hana.Send("DELETE", "/files/api/files/" + notes, "")->status, 403);

  // A personal folder shared with the Lab: the files in it are readable by the Lab's members.
  std::string ivo_library = mine["id"];
  auto folder = ivo.Post("/files/api/libraries/" + ivo_library + "/folders", {{"name", "Drafts"}});
  ASSERT_TRUE(folder) << folder.error().ToString();
  std::string folder_id = (*folder)["id"];
  auto draft = ivo.Send(
      "POST", "/files/api/libraries/" + ivo_library + "/files?name=draft.txt&folder=" + folder_id,
      "draft");
  ASSERT_EQ(draft->status, 201) << draft->raw_body;
  std::string draft_id = draft->body["id"];
  EXPECT_EQ(hana.Send("GET", "/files/api/files/" + draft_id, "")->status, 404);
  EXPECT_EQ(ivo.Send("POST", "/files/api/folders/" + folder_id + "/shares",
                     json{{"community", open["uuid"]}}.dump())
                ->status,
            409);  // private folder, public community
  EXPECT_EQ(hana.Send("POST", "/files/api/folders/" + folder_id + "/shares",
                      json{{"community", uuid}}.dump())
                ->status,
            404);  // not hana's folder
  ASSERT_TRUE(ivo.Post("/files/api/folders/" + folder_id + "/shares", {{"community", uuid}}));
  EXPECT_EQ(hana.Send("GET", "/files/api/files/" + draft_id + "/content", "")->raw_body, "draft");
  ASSERT_EQ(server.Stop(), 0);

  // Moved where concord.toml says ([files] content_dir), the store is found there; a backup
  // and a restore of it follow it too.
  TempDir elsewhere("lifecycle-files-elsewhere");
  std::filesystem::path store = elsewhere.path() / "store";
  std::filesystem::rename(dir.path() / "files-content", store);
  {
    // Into the [files] section if there is one (on PostgreSQL the harness wrote it).
    std::ifstream in(dir.path() / "concord.toml");
    std::string toml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string line = "content_dir = \"" + store.string() + "\"\n";
    if (auto at = toml.find("[files]\n"); at != std::string::npos) {
      toml.insert(at + 8, line);
    } else {
      toml += "\n[files]\n" + line;
    }
    std::ofstream(dir.path() / "concord.toml") << toml;
  }
  ASSERT_TRUE(server.Start());  // on a new port
  gil = server.Client("gil", "pw-gil-123");
  down = gil.Send("GET", "/files/api/files/" + file + "/content", "");
  ASSERT_TRUE(down) << down.error().ToString();
  ASSERT_EQ(down->status, 200) << down->raw_body;
  EXPECT_EQ(down->raw_body, bytes);
  auto backup = testing::RunConcord(dir.path(), {"backup", "--service", "files-content", "--to",
                                                 (elsewhere.path() / "backup").string()});
  ASSERT_EQ(backup.exit_code, 0) << testing::Show(backup);
  EXPECT_TRUE(std::filesystem::exists(elsewhere.path() / "backup" / "files-content" /
                                      file.substr(0, 2) / file));
  std::filesystem::remove(store / file.substr(0, 2) / file);
  auto restore = testing::RunConcord(dir.path(), {"restore", "--service", "files-content", "--from",
                                                  (elsewhere.path() / "backup").string()});
  ASSERT_EQ(restore.exit_code, 0) << testing::Show(restore);
  EXPECT_TRUE(std::filesystem::exists(store / file.substr(0, 2) / file)) << "restored in place";
  EXPECT_EQ(server.Stop(), 0);  // before `elsewhere`, which holds its content store, goes
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

// One application per process: Communities in one, Blogs in another, each with its own data
// directory. Events and authentication cross the network; with the Blogs process stopped, its
// events wait in Communities' queue while the others carry on, and drain in order once it is back.
TEST(LifecycleTest, BlogsInAProcessOfItsOwnQueuesWhileDownAndCatchesUp) {
  TempDir communities_dir("split-communities");
  TempDir blogs_dir("split-blogs");
  int communities_port = testing::FreePort();
  int blogs_port = testing::FreePort();
  std::string blogs_url = "http://127.0.0.1:" + std::to_string(blogs_port);
  std::ofstream(communities_dir.path() / "concord.toml")
      << "[lifecycle.handlers]\n"
      << "Blog = \"" << blogs_url << "/blogs/api/lifecycle/Blog\"\n"
      << "IdeationBlog = \"" << blogs_url << "/blogs/api/lifecycle/IdeationBlog\"\n";
  std::ofstream(blogs_dir.path() / "concord.toml")
      << "[services]\ncommunities_url = \"http://127.0.0.1:" << communities_port << "\"\n";
  ConcordServer communities(
      communities_dir.path(),
      {"--services", "communities,forums,wikis,news,libraries,activities,files"},
      "127.0.0.1:" + std::to_string(communities_port));
  ConcordServer blogs(blogs_dir.path(), {"--services", "blogs"},
                      "127.0.0.1:" + std::to_string(blogs_port));
  ASSERT_TRUE(communities.Start());
  ASSERT_TRUE(blogs.Start());
  EXPECT_FALSE(std::filesystem::exists(blogs_dir.path() / "communities.db"));
  EXPECT_FALSE(std::filesystem::exists(communities_dir.path() / "blogs.db"));

  auto admin = communities.AdminClient();
  Users::Create(admin, {"kim"});
  auto kim = communities.Client("kim", "pw-kim-123");
  auto c = *kim.Post("/communities/api/communities", {{"name", "Split"}});
  std::string uuid = c["uuid"];
  std::string path = "/communities/api/communities/" + uuid;
  ASSERT_TRUE(kim.Post(path + "/widgets", {{"widgetDefId", "Blog"}}));
  std::string blog = ResourceOf(kim, path, "Blog");
  ASSERT_FALSE(blog.empty());
  // The Blogs process authenticates kim against the Communities directory.
  auto kim_at_blogs = blogs.Client("kim", "pw-kim-123");
  auto read = kim_at_blogs.Get("/blogs/api/blogs/" + blog);
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ((*read)["access"], "owner");
  EXPECT_EQ(
      blogs.Client("kim", "wrong-password").Send("GET", "/blogs/api/blogs/" + blog, "")->status,
      401);

  // Blogs goes down: its events queue, the applications in the other process carry on.
  ASSERT_EQ(blogs.Stop(), 0);
  ASSERT_TRUE(kim.Put(path, {{"name", "Split, renamed"}}));
  ASSERT_TRUE(kim.Put(path, {{"visibility", "private"}}));
  int64_t version = (*kim.Get(path))["version"];
  auto forum = WaitFor([&] { return admin.Get("/forums/api/synced/Forum/" + uuid); },
                       [&](const json& j) { return j["version"] == version; });
  EXPECT_EQ(forum["name"], "Split, renamed");
  auto task = admin.Post(
      "/communities/api/admin/scheduler/tasks/LifecycleRetryQueuedEvents/run?synchronous=true",
      json::object());
  EXPECT_NE((*task)["lastResult"].get<std::string>().find("still queued"), std::string::npos)
      << task->dump();

  // Blogs is back: the retry drains its queue in order.
  ASSERT_TRUE(blogs.Start());
  task = admin.Post(
      "/communities/api/admin/scheduler/tasks/LifecycleRetryQueuedEvents/run?synchronous=true",
      json::object());
  EXPECT_EQ((*task)["lastResult"], "ok") << task->dump();
  auto admin_at_blogs = blogs.Client("admin", communities.AdminPassword());
  auto record = admin_at_blogs.Get("/blogs/api/synced/Blog/" + uuid);
  ASSERT_TRUE(record) << record.error().ToString();
  EXPECT_EQ((*record)["version"], version);
  EXPECT_EQ((*record)["name"], "Split, renamed");
  EXPECT_EQ((*record)["visibility"], "private");
}

TEST(LifecycleTest, AnApplicationProcessWithoutCommunitiesMustBeToldWhereItIs) {
  TempDir dir("split-misconfigured");
  ConcordServer blogs(dir.path(), {"--services", "blogs"});
  ASSERT_FALSE(blogs.Start());
  EXPECT_NE(blogs.Log().find("communities_url"), std::string::npos) << blogs.Log();
  {
    TempDir bad("bad-subscription");
    std::ofstream(bad.path() / "concord.toml")
        << "[lifecycle.events]\nBlog = [\"remote.app.added\", \"community.renamed\"]\n";
    ConcordServer server(bad.path());
    ASSERT_FALSE(server.Start());
    EXPECT_NE(server.Log().find("unknown event type 'community.renamed'"), std::string::npos)
        << server.Log();
  }
  ConcordServer typo(dir.path(), {"--services", "blog"});
  ASSERT_FALSE(typo.Start());
  EXPECT_NE(typo.Log().find("unknown service 'blog'"), std::string::npos) << typo.Log();
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

// In every application, a restricted community's resource does not exist for a non-member, and
// exists for a member; when the member is removed, the application follows.
TEST(LifecycleTest, InEveryApplicationAccessFollowsItsSyncedRecord) {
  TempDir dir("lifecycle-access");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Users::Create(admin, {"own", "mem", "out"});
  auto own = server.Client("own", "pw-own-123");
  auto mem = server.Client("mem", "pw-mem-123");
  auto out = server.Client("out", "pw-out-123");
  auto c =
      *own.Post("/communities/api/communities", {{"name", "Vault"}, {"visibility", "private"}});
  std::string uuid = c["uuid"];
  std::string path = "/communities/api/communities/" + uuid;
  for (const char* w : {"Blog", "IdeationBlog", "Wiki", "Library", "Activities"}) {
    ASSERT_TRUE(own.Post(path + "/widgets", {{"widgetDefId", w}}));
  }
  ASSERT_TRUE(own.Post(path + "/members", {{"user", "mem"}}));
  ExpectInStep(admin, uuid, "set up");
  const std::vector<std::pair<std::string, std::string>> resources = {
      {"Blog", "/blogs/api/blogs/"},
      {"IdeationBlog", "/blogs/api/blogs/"},
      {"Forum", "/forums/api/forums/"},
      {"Wiki", "/wikis/api/wikis/"},
      {"StatusUpdates", "/news/api/boards/"},
      {"Library", "/libraries/api/libraries/"},
      {"Activities", "/activities/api/activities/"},
      {"Files", "/files/api/libraries/"}};
  std::map<std::string, std::string> urls;
  for (const auto& [def, prefix] : resources) urls[def] = prefix + ResourceOf(own, path, def);
  for (const auto& [def, url] : urls) {
    EXPECT_EQ(mem.Send("GET", url, "")->status, 200) << def;
    EXPECT_EQ(out.Send("GET", url, "")->status, 404) << def;
  }
  ASSERT_TRUE(own.Delete(path + "/members/mem"));
  ExpectInStep(admin, uuid, "member removed");
  for (const auto& [def, url] : urls) EXPECT_EQ(mem.Send("GET", url, "")->status, 404) << def;
  // Public again: everybody reads.
  ASSERT_TRUE(own.Put(path, {{"visibility", "public"}}));
  ExpectInStep(admin, uuid, "public");
  for (const auto& [def, url] : urls) EXPECT_EQ(out.Send("GET", url, "")->status, 200) << def;
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

// A community in the trash does not exist in any application, for its members, its owners and
// administrators alike (Communities answers 404 to all of them), until it is restored: one case
// per remote application, reading its resource and writing into it.
TEST(LifecycleTest, InEveryApplicationATrashedCommunityIsGoneUntilRestored) {
  TempDir dir("lifecycle-trash");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Users::Create(admin, {"own", "mem"});
  auto own = server.Client("own", "pw-own-123");
  auto mem = server.Client("mem", "pw-mem-123");
  auto c = *own.Post("/communities/api/communities", {{"name", "Binned"}});
  std::string uuid = c["uuid"];
  std::string path = "/communities/api/communities/" + uuid;
  for (const char* w : {"Blog", "IdeationBlog", "Wiki", "Library", "Activities"}) {
    ASSERT_TRUE(own.Post(path + "/widgets", {{"widgetDefId", w}}));
  }
  ASSERT_TRUE(own.Post(path + "/members", {{"user", "mem"}}));
  ExpectInStep(admin, uuid, "set up");
  struct Case {
    std::string def;      // remoteAppDefId
    std::string service;  // where its synced record is
    std::string read;     // the resource, without its id
    std::string write;    // after the resource's path: a POST that adds content
    std::string field;    // the body's one field
  };
  const std::vector<Case> cases = {
      {"Blog", "blogs", "/blogs/api/blogs/", "/entries", "title"},
      {"IdeationBlog", "blogs", "/blogs/api/blogs/", "/entries", "title"},
      {"Forum", "forums", "/forums/api/forums/", "/topics", "title"},
      {"Wiki", "wikis", "/wikis/api/wikis/", "/pages", "title"},
      {"StatusUpdates", "news", "/news/api/boards/", "/posts", "content"},
      {"Library", "libraries", "/libraries/api/libraries/", "/documents", "title"},
      {"Activities", "activities", "/activities/api/activities/", "/entries", "title"},
      {"Files", "files", "/files/api/libraries/", "/folders", "name"}};
  std::map<std::string, std::string> ids;
  for (const auto& k : cases) ids[k.def] = ResourceOf(own, path, k.def);
  const std::vector<std::pair<std::string, http::Client*>> callers = {
      {"member", &mem}, {"owner", &own}, {"administrator", &admin}};
  int n = 0;
  auto expect_everywhere = [&](int status, const std::string& moment) {
    for (const auto& k : cases) {
      std::string url = k.read + ids[k.def];
      for (const auto& [who, client] : callers) {
        SCOPED_TRACE(moment + ", " + k.def + ", " + who);
        EXPECT_EQ(client->Send("GET", url, "")->status, status);
        json body = {{k.field, "written " + std::to_string(++n)}};
        int written = client->Send("POST", url + k.write, body.dump())->status;
        EXPECT_EQ(written, status == 200 ? 201 : status);
      }
    }
  };
  expect_everywhere(200, "before the trash");

  ASSERT_TRUE(own.Delete(path));
  for (const auto& k : cases) {
    auto record =
        WaitFor([&] { return admin.Get("/" + k.service + "/api/synced/" + k.def + "/" + uuid); },
                [](const json& j) { return j["inTrash"] == true; });
    ASSERT_EQ(record["inTrash"], true) << k.def;
  }
  EXPECT_EQ(mem.Send("GET", path, "")->status, 404);
  EXPECT_EQ(own.Send("GET", path, "")->status, 404);
  EXPECT_EQ(admin.Send("GET", path, "")->status, 404);
  expect_everywhere(404, "in the trash");
  // Those who may restore it are told where it is; the member is not.
  auto told = own.Send("GET", "/wikis/api/wikis/" + ids["Wiki"], "");
  EXPECT_NE(told->raw_body.find("is in the trash"), std::string::npos) << told->raw_body;
  auto untold = mem.Send("GET", "/wikis/api/wikis/" + ids["Wiki"], "");
  EXPECT_EQ(untold->raw_body.find("trash"), std::string::npos) << untold->raw_body;

  ASSERT_TRUE(own.Post("/communities/api/trash/" + uuid + "/restore", json::object()));
  ExpectInStep(admin, uuid, "restored");
  expect_everywhere(200, "restored");
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

// Access is checked before a byte of an upload reaches the disk: a non-member's upload to a
// restricted community's library (404: it does not exist for them) or to a public one's (403:
// they may read, not write) leaves nothing in files-content, not even a temporary file.
TEST(LifecycleTest, FilesRefusesAnUploadBeforeWritingAnything) {
  TempDir dir("lifecycle-files-refused");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  Users::Create(admin, {"own", "out"});
  auto own = server.Client("own", "pw-own-123");
  auto out = server.Client("out", "pw-out-123");
  std::map<std::string, std::string> libraries;
  for (const char* visibility : {"private", "public"}) {
    auto c = *own.Post("/communities/api/communities",
                       {{"name", std::string("Files ") + visibility}, {"visibility", visibility}});
    libraries[visibility] =
        ResourceOf(own, "/communities/api/communities/" + c["uuid"].get<std::string>(), "Files");
    ASSERT_FALSE(libraries[visibility].empty());
  }
  auto on_disk = [&] {
    std::vector<std::string> found;
    fs::path root = dir.path() / "files-content";
    if (!fs::exists(root)) return found;
    for (const auto& e : fs::recursive_directory_iterator(root)) found.push_back(e.path());
    return found;
  };
  auto before = on_disk();
  std::string bytes(size_t{256} * 1024, 'x');
  for (int i = 0; i < 8; ++i) {  // several, so that they would land in several directories
    auto hidden = out.Send("POST",
                           "/files/api/libraries/" + libraries["private"] + "/files?name=a" +
                               std::to_string(i) + ".bin",
                           bytes);
    EXPECT_EQ(hidden->status, 404) << hidden->raw_body;
    auto read_only = out.Send("POST",
                              "/files/api/libraries/" + libraries["public"] + "/files?name=b" +
                                  std::to_string(i) + ".bin",
                              bytes);
    EXPECT_EQ(read_only->status, 403) << read_only->raw_body;
  }
  EXPECT_EQ(on_disk(), before);
  // The owner's upload is written (the check lets those allowed through).
  auto up =
      own.Send("POST", "/files/api/libraries/" + libraries["private"] + "/files?name=c.bin", bytes);
  ASSERT_EQ(up->status, 201) << up->raw_body;
  std::string id = up->body["id"];
  EXPECT_TRUE(fs::exists(dir.path() / "files-content" / id.substr(0, 2) / id));
}

// The server's peak resident memory (VmHWM), in bytes.
int64_t PeakMemory(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmHWM:")) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

// An upload is written to disk as it arrives and a download read from disk as it is sent: a file
// far larger than the request body limit goes up and comes back intact without the server ever
// holding it (its peak memory barely moves); an upload cut off half-way leaves neither content
// nor a temporary file nor a record.
TEST(LifecycleTest, FilesStreamsLargeUploadsAndDownloads) {
  // AddressSanitizer keeps freed memory in quarantine (256 MiB by default), which would count
  // every piece ever received as resident; keep it small so that the peak means what it says.
  std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
  ::setenv("ASAN_OPTIONS", (asan + (asan.empty() ? "" : ":") + "quarantine_size_mb=1").c_str(), 1);
  TempDir dir("lifecycle-files-large");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  ::setenv("ASAN_OPTIONS", asan.c_str(), 1);
  auto admin = server.AdminClient();
  Users::Create(admin, {"own"});
  auto own = server.Client("own", "pw-own-123");
  auto c = *own.Post("/communities/api/communities", {{"name", "Big files"}});
  std::string library =
      ResourceOf(own, "/communities/api/communities/" + c["uuid"].get<std::string>(), "Files");
  ASSERT_FALSE(library.empty());
  std::string path = "/files/api/libraries/" + library + "/files";
  ASSERT_EQ(own.Send("POST", path + "?name=warm-up.txt", "x")->status, 201);

  // 96 MiB, 24 times the request body limit (4 MiB), varied so that a lost or repeated piece
  // shows.
  std::string bytes(size_t{96} * 1024 * 1024, '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>((i * 131 + i / 65536) % 251);
  // Signing in (Argon2id, 64 MiB each) set a peak far above what an upload should cost: start
  // the peak afresh from here (writing 5 to clear_refs resets VmHWM).
  std::ofstream("/proc/" + std::to_string(server.pid()) + "/clear_refs") << "5";
  int64_t before = PeakMemory(server.pid());
  ASSERT_GT(before, 0);
  auto up = own.Send("POST", path + "?name=dataset.bin", bytes);
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 201) << up->raw_body;
  EXPECT_EQ(up->body["size"], bytes.size());
  std::string id = up->body["id"];
  size_t offset = 0;
  bool same = true;
  ASSERT_TRUE(own.Download("/files/api/files/" + id + "/content", [&](std::string_view piece) {
    same = same && offset + piece.size() <= bytes.size() &&
           bytes.compare(offset, piece.size(), piece) == 0;
    offset += piece.size();
    return true;
  }));
  EXPECT_TRUE(same) << "the downloaded content differs from the upload";
  EXPECT_EQ(offset, bytes.size());
  int64_t grown = PeakMemory(server.pid()) - before;
  std::printf("peak memory of the server grew by %.1f MiB for a 96 MiB upload and download\n",
              static_cast<double>(grown) / (1024 * 1024));
  EXPECT_LT(grown, 32 * 1024 * 1024) << "the server held the file in memory";

  // Cut off half-way: the server is told 64 MiB and gets 8 MiB, then the connection closes.
  auto listing = [&] { return *own.Get(path); };
  size_t files_before = listing()["items"].size();
  {
    auto colon = server.url().rfind(':');
    concord::testing::RawConnection cut(std::stoi(server.url().substr(colon + 1)));
    ASSERT_TRUE(cut.connected());
    ASSERT_TRUE(cut.Send("POST " + path +
                         "?name=cut.bin HTTP/1.1\r\nHost: x\r\n"
                         "Authorization: Basic b3duOnB3LW93bi0xMjM=\r\n"
                         "Content-Length: 67108864\r\n\r\n"));
    ASSERT_TRUE(cut.Send(bytes.substr(0, size_t{8} * 1024 * 1024)));
  }
  auto leftovers = [&] {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir.path() / "files-content")) {
      std::string name = e.path().filename().string();
      if (e.is_regular_file() && name != id && name.find(".tmp") != std::string::npos) {
        found.push_back(name);
      }
    }
    return found;
  };
  for (int i = 0; i < 100 && !leftovers().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(leftovers().empty()) << "a temporary file stayed: " << leftovers().front();
  EXPECT_EQ(listing()["items"].size(), files_before);
  auto content_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir.path() / "files-content")) {
    content_files += e.is_regular_file() ? 1 : 0;
  }
  EXPECT_EQ(content_files, static_cast<int>(files_before)) << "content without a record";
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

// Communities in one process, Blogs in another, as an administrator would split them.
struct SplitDeployment {
  TempDir communities_dir{"split2-communities"};
  TempDir blogs_dir{"split2-blogs"};
  int communities_port = testing::FreePort();
  int blogs_port = testing::FreePort();
  std::unique_ptr<ConcordServer> communities, blogs;

  SplitDeployment() {
    std::string blogs_url = "http://127.0.0.1:" + std::to_string(blogs_port);
    std::ofstream(communities_dir.path() / "concord.toml")
        << "[lifecycle.handlers]\n"
        << "Blog = \"" << blogs_url << "/blogs/api/lifecycle/Blog\"\n"
        << "IdeationBlog = \"" << blogs_url << "/blogs/api/lifecycle/IdeationBlog\"\n";
    std::ofstream(blogs_dir.path() / "concord.toml")
        << "[services]\ncommunities_url = \"http://127.0.0.1:" << communities_port << "\"\n";
    communities = std::make_unique<ConcordServer>(
        communities_dir.path(),
        std::vector<std::string>{"--services",
                                 "communities,forums,wikis,news,libraries,activities,files"},
        "127.0.0.1:" + std::to_string(communities_port));
    blogs = std::make_unique<ConcordServer>(blogs_dir.path(),
                                            std::vector<std::string>{"--services", "blogs"},
                                            "127.0.0.1:" + std::to_string(blogs_port));
  }
};

// Polls `status()` every 50 ms until it is `wanted` or `limit` passes; returns the time it took,
// or nothing.
std::optional<std::chrono::milliseconds> TimeUntil(const std::function<int()>& status, int wanted,
                                                   std::chrono::milliseconds limit) {
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (status() == wanted) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

// A member removed while an application was briefly down loses access there within seconds of
// its return (Communities retries on its own, with a growing back-off), not at the next
// LifecycleRetryQueuedEvents run; while that task is paused the queue stays as it is.
TEST(LifecycleTest, ARemovalQueuedWhileAnApplicationWasDownReachesItSecondsAfterItIsBack) {
  SplitDeployment d;
  ASSERT_TRUE(d.communities->Start());
  ASSERT_TRUE(d.blogs->Start());
  auto admin = d.communities->AdminClient();
  Users::Create(admin, {"kim", "mem"});
  auto kim = d.communities->Client("kim", "pw-kim-123");
  auto c =
      *kim.Post("/communities/api/communities", {{"name", "Split"}, {"visibility", "private"}});
  std::string path = "/communities/api/communities/" + c["uuid"].get<std::string>();
  ASSERT_TRUE(kim.Post(path + "/widgets", {{"widgetDefId", "Blog"}}));
  ASSERT_TRUE(kim.Post(path + "/members", {{"user", "mem"}}));
  std::string blog = "/blogs/api/blogs/" + ResourceOf(kim, path, "Blog");
  auto mem_at_blogs = d.blogs->Client("mem", "pw-mem-123");
  auto mem_reads = [&] { return mem_at_blogs.Send("GET", blog, "")->status; };
  ASSERT_TRUE(TimeUntil(mem_reads, 200, std::chrono::seconds(10)));

  // Blogs is down for a moment; mem is removed meanwhile.
  ASSERT_EQ(d.blogs->Stop(), 0);
  ASSERT_TRUE(kim.Delete(path + "/members/mem"));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_TRUE(d.blogs->Start());
  auto took = TimeUntil(mem_reads, 404, std::chrono::seconds(15));
  ASSERT_TRUE(took) << "mem still reads the blog 15 s after Blogs came back";
  EXPECT_LT(took->count(), 10000);

  // With the retry task paused, nothing moves: the administrator's queue stays still.
  ASSERT_TRUE(admin.Post("/communities/api/admin/scheduler/tasks/LifecycleRetryQueuedEvents/pause",
                         json::object()));
  ASSERT_EQ(d.blogs->Stop(), 0);
  ASSERT_TRUE(kim.Post(path + "/members", {{"user", "mem"}}));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(d.blogs->Start());
  std::this_thread::sleep_for(std::chrono::seconds(5));
  EXPECT_EQ(mem_reads(), 404);
  auto queued = admin.Get("/communities/api/admin/queue/events?remoteAppDefId=Blog");
  ASSERT_TRUE(queued) << queued.error().ToString();
  EXPECT_FALSE((*queued)["items"].empty()) << queued->dump();
  // Resumed: it goes out on its own.
  ASSERT_TRUE(admin.Post("/communities/api/admin/scheduler/tasks/LifecycleRetryQueuedEvents/resume",
                         json::object()));
  EXPECT_TRUE(TimeUntil(mem_reads, 200, std::chrono::seconds(10)));
  EXPECT_TRUE(testing::WaitForEmptyQueue(admin));
}

// A user disabled in Communities is refused within 2 s by an application in another process
// (which had just verified the user's credentials), as in Communities' own process.
TEST(LifecycleTest, ADisabledUserIsRefusedByAnApplicationInAnotherProcessWithinTwoSeconds) {
  SplitDeployment d;
  ASSERT_TRUE(d.communities->Start());
  ASSERT_TRUE(d.blogs->Start());
  auto admin = d.communities->AdminClient();
  Users::Create(admin, {"kim"});
  auto kim = d.communities->Client("kim", "pw-kim-123");
  auto c = *kim.Post("/communities/api/communities", {{"name", "Split"}});
  std::string path = "/communities/api/communities/" + c["uuid"].get<std::string>();
  ASSERT_TRUE(kim.Post(path + "/widgets", {{"widgetDefId", "Blog"}}));
  std::string blog = "/blogs/api/blogs/" + ResourceOf(kim, path, "Blog");
  std::string forum = "/forums/api/forums/" + ResourceOf(kim, path, "Forum");
  auto kim_at_blogs = d.blogs->Client("kim", "pw-kim-123");
  ASSERT_EQ(kim_at_blogs.Send("GET", blog, "")->status, 200);  // verified, and remembered
  ASSERT_EQ(kim.Send("GET", forum, "")->status, 200);

  auto user = *admin.Get("/communities/api/users/kim");
  ASSERT_TRUE(admin.Post("/communities/api/users/" + user["id"].get<std::string>() + "/disable",
                         json::object()));
  auto took = TimeUntil([&] { return kim_at_blogs.Send("GET", blog, "")->status; }, 401,
                        std::chrono::seconds(70));
  ASSERT_TRUE(took);
  EXPECT_LT(took->count(), 2000);
  EXPECT_EQ(kim.Send("GET", forum, "")->status, 401);
}

}  // namespace
}  // namespace concord
