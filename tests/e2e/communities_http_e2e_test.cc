// The Communities HTTP API, driven over HTTP against a real `concord serve` on an ephemeral
// loopback port with a temporary data directory, as a client program would.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "concord/http/client.h"
#include "concord/testing/process.h"

namespace concord {
namespace {

using nlohmann::json;
using testing::ConcordServer;
using testing::TempDir;

// One server for the suite, with an administrator and four users.
class CommunitiesHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("communities-http");
    server_ = new ConcordServer(dir_->path());
    auto started = server_->Start();
    ASSERT_TRUE(started) << started.error().message;
    auto admin = server_->AdminClient();
    for (const char* login : {"olivia", "mike", "nora", "dave"}) {
      auto u =
          admin.Post("/communities/api/users", {{"login", login},
                                                {"email", std::string(login) + "@example.com"},
                                                {"displayName", std::string(login) + " Example"},
                                                {"password", Password(login)}});
      ASSERT_TRUE(u) << u.error().ToString();
      ids_[login] = (*u)["id"];
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static std::string Password(const std::string& login) { return "pw-" + login + "-123"; }
  static http::Client As(const std::string& login) {
    return login == "admin" ? server_->AdminClient() : server_->Client(login, Password(login));
  }
  static http::ClientReply Send(const std::string& who, const std::string& method,
                                const std::string& path, const std::string& body = "") {
    auto r = As(who).Send(method, path, body);
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? *r : http::ClientReply{};
  }
  // A community owned by olivia with mike as a member.
  static json Make(const std::string& visibility = "public", const std::string& name = "Team") {
    auto c = As("olivia").Post("/communities/api/communities",
                               {{"name", name}, {"visibility", visibility}});
    EXPECT_TRUE(c) << c.error().ToString();
    std::string uuid = (*c)["uuid"];
    EXPECT_TRUE(As("olivia").Post("/communities/api/communities/" + uuid + "/members",
                                  {{"user", "mike"}, {"role", "member"}}));
    return *As("olivia").Get("/communities/api/communities/" + uuid);
  }
  static std::string Path(const json& c, const std::string& tail = "") {
    return "/communities/api/communities/" + c["uuid"].get<std::string>() + tail;
  }

  static inline TempDir* dir_ = nullptr;
  static inline ConcordServer* server_ = nullptr;
  static inline std::map<std::string, std::string> ids_;
};

TEST_F(CommunitiesHttpTest, EveryEndpointRequiresAuthentication) {
  http::Client anonymous({.url = server_->url()});
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/communities/api/communities"},
                                                        {"POST", "/communities/api/communities"},
                                                        {"GET", "/communities/api/users"},
                                                        {"GET", "/communities/api/trash"},
                                                        {"GET", "/communities/api/status"},
                                                        {"GET", "/no/such/path"}}) {
    auto r = anonymous.Send(method, path, "{}", /*authenticate=*/false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << method << " " << path;
  }
  auto wrong =
      server_->Client("olivia", "not-her-password").Send("GET", "/communities/api/communities", "");
  EXPECT_EQ(wrong->status, 401);
  auto unknown_user =
      server_->Client("ghost", "whatever1").Send("GET", "/communities/api/communities", "");
  EXPECT_EQ(unknown_user->body, wrong->body);  // no hint about which logins exist
}

TEST_F(CommunitiesHttpTest, CreateReadUpdateAndDelete) {
  auto created = Send("olivia", "POST", "/communities/api/communities",
                      R"({"name": "Engineering Guild", "description": "All things eng",
                          "tags": ["eng", "Guild"], "visibility": "publicInviteOnly",
                          "theme": "blue", "ownersApproveContent": true})");
  ASSERT_EQ(created.status, 201) << created.raw_body;
  std::string uuid = created.body["uuid"];
  EXPECT_EQ(created.body["visibility"], "publicInviteOnly");
  EXPECT_EQ(created.body["tags"], json({"eng", "guild"}));
  EXPECT_EQ(created.body["version"], 1);

  auto read = As("nora").Get("/communities/api/communities/" + uuid);
  ASSERT_TRUE(read);
  EXPECT_EQ((*read)["name"], "Engineering Guild");
  EXPECT_EQ((*read)["ownersApproveContent"], true);
  EXPECT_EQ((*read)["createdBy"], ids_["olivia"]);

  auto updated = As("olivia").Put("/communities/api/communities/" + uuid,
                                  {{"name", "Engineering Guild (EMEA)"}, {"visibility", "public"}});
  ASSERT_TRUE(updated) << updated.error().ToString();
  EXPECT_EQ((*updated)["version"], 2);
  EXPECT_EQ((*updated)["visibility"], "public");
  EXPECT_EQ((*updated)["lastModBy"], ids_["olivia"]);

  auto deleted = Send("olivia", "DELETE", "/communities/api/communities/" + uuid);
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body["visibility"], "private");
  EXPECT_EQ(deleted.body["trash"]["visibilityBeforeTrash"], "public");
  EXPECT_EQ(Send("olivia", "GET", "/communities/api/communities/" + uuid).status, 404);
}

TEST_F(CommunitiesHttpTest, ListingPagesWithACursor) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(As("nora").Post("/communities/api/communities", {{"name", "Paging Club"}}));
  }
  std::set<std::string> seen;
  std::string next;
  int pages = 0;
  do {
    auto page = As("dave").Get("/communities/api/communities?name=Paging%20Club&limit=3" +
                               (next.empty() ? "" : "&after=" + next));
    ASSERT_TRUE(page) << page.error().ToString();
    for (const auto& c : (*page)["items"]) EXPECT_TRUE(seen.insert(c["uuid"]).second);
    next = (*page)["next"].is_null() ? "" : (*page)["next"].get<std::string>();
    ++pages;
  } while (!next.empty());
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(pages, 3);
  auto mine = As("nora").Get("/communities/api/communities?member=me&name=Paging%20Club");
  EXPECT_EQ((*mine)["items"].size(), 7u);
  auto theirs = As("dave").Get("/communities/api/communities?member=me&name=Paging%20Club");
  EXPECT_EQ((*theirs)["items"].size(), 0u);
}

TEST_F(CommunitiesHttpTest, RestrictedCommunityIsInvisibleToANonMember) {
  json c = Make("private", "Restricted Room");
  std::string missing = "/communities/api/communities/00000000-0000-4000-8000-000000000000";
  for (std::string tail : {"", "/members", "/widgets", "/subcommunities"}) {
    auto r = Send("dave", "GET", Path(c, tail));
    EXPECT_EQ(r.status, 404) << tail;
    EXPECT_EQ(r.raw_body.find("Restricted Room"), std::string::npos);
  }
  // The same answer as for a community that does not exist, apart from the uuid it names.
  auto secret = Send("dave", "GET", Path(c));
  auto nothing = Send("dave", "GET", missing);
  EXPECT_EQ(secret.body["error"]["code"], nothing.body["error"]["code"]);
  EXPECT_EQ(Send("dave", "PUT", Path(c), R"({"name":"x"})").status, 404);
  EXPECT_EQ(Send("dave", "POST", Path(c, "/members"), R"({"user":"dave"})").status, 404);
  EXPECT_EQ(Send("dave", "DELETE", Path(c)).status, 404);
  auto list = As("dave").Get("/communities/api/communities?name=Restricted%20Room");
  EXPECT_EQ((*list)["items"].size(), 0u);
  EXPECT_EQ(Send("mike", "GET", Path(c)).status, 200);
  EXPECT_EQ(Send("admin", "GET", Path(c)).status, 200);
}

TEST_F(CommunitiesHttpTest, ListedRestrictedCommunityShowsItsListingAndOwners) {
  auto c = *As("olivia").Post("/communities/api/communities", {{"name", "Listed Room"},
                                                               {"visibility", "private"},
                                                               {"listWhenPrivate", true},
                                                               {"description", "visible blurb"}});
  auto r = Send("dave", "GET", Path(c));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["access"], "listing");
  EXPECT_EQ(r.body["description"], "visible blurb");
  EXPECT_FALSE(r.body.contains("memberCount"));
  ASSERT_EQ(r.body["owners"].size(), 1u);
  EXPECT_EQ(r.body["owners"][0]["userId"], ids_["olivia"]);
  EXPECT_EQ(Send("dave", "GET", Path(c, "/members")).status, 404);
  EXPECT_EQ(Send("dave", "GET", Path(c, "/widgets")).status, 404);
}

TEST_F(CommunitiesHttpTest, PermissionsForMemberNonMemberOwnerAndAdministrator) {
  json c = Make();
  std::string body = R"({"description": "changed"})";
  EXPECT_EQ(Send("mike", "PUT", Path(c), body).status, 403);
  EXPECT_EQ(Send("dave", "PUT", Path(c), body).status, 403);
  EXPECT_EQ(Send("mike", "POST", Path(c, "/widgets"), R"({"widgetDefId":"Wiki"})").status, 403);
  EXPECT_EQ(Send("mike", "DELETE", Path(c)).status, 403);
  EXPECT_EQ(Send("olivia", "PUT", Path(c), body).status, 200);
  EXPECT_EQ(Send("admin", "PUT", Path(c), R"({"description": "by admin"})").status, 200);
  // Public: anyone may join, and leave.
  EXPECT_EQ(Send("dave", "POST", Path(c, "/members"), R"({"user":"me@nowhere"})").status, 404);
  EXPECT_EQ(Send("dave", "POST", Path(c, "/members"), R"({"user":"dave"})").status, 201);
  EXPECT_EQ(Send("dave", "DELETE", Path(c, "/members/dave")).status, 204);
  // Users are the administrator's to create.
  EXPECT_EQ(Send("olivia", "POST", "/communities/api/users",
                 R"({"login":"x","email":"x@example.com","displayName":"X","password":"12345678"})")
                .status,
            403);
}

TEST_F(CommunitiesHttpTest, TheLastOwnerStays) {
  json c = Make();
  auto r = Send("olivia", "DELETE", Path(c, "/members/olivia"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body["error"]["code"], "FAILED_PRECONDITION");
  EXPECT_EQ(Send("olivia", "PUT", Path(c, "/members/olivia"), R"({"role":"member"})").status, 409);
  EXPECT_EQ(Send("olivia", "PUT", Path(c, "/members/mike"), R"({"role":"owner"})").status, 200);
  EXPECT_EQ(Send("olivia", "DELETE", Path(c, "/members/olivia")).status, 204);
  auto members = As("mike").Get(Path(c, "/members"));
  ASSERT_EQ((*members)["items"].size(), 1u);
  EXPECT_EQ((*members)["items"][0]["role"], "owner");
}

TEST_F(CommunitiesHttpTest, SubcommunityRules) {
  json parent = Make();
  auto sub = Send("olivia", "POST", Path(parent, "/subcommunities"), R"({"name": "Sub"})");
  ASSERT_EQ(sub.status, 201) << sub.raw_body;
  EXPECT_EQ(sub.body["parentUuid"], parent["uuid"]);
  EXPECT_EQ(Send("olivia", "POST", Path(sub.body, "/members"), R"({"user":"mike"})").status, 201);
  auto outsider = Send("olivia", "POST", Path(sub.body, "/members"), R"({"user":"dave"})");
  EXPECT_EQ(outsider.status, 409);
  EXPECT_NE(outsider.body["error"]["message"].get<std::string>().find("parent"), std::string::npos);
  EXPECT_EQ(
      Send("olivia", "POST", Path(sub.body, "/subcommunities"), R"({"name":"Deeper"})").status,
      409);
  EXPECT_EQ(Send("mike", "POST", Path(parent, "/subcommunities"), R"({"name":"Mine"})").status,
            403);
  auto subs = As("nora").Get(Path(parent, "/subcommunities"));
  ASSERT_EQ((*subs)["items"].size(), 1u);
}

TEST_F(CommunitiesHttpTest, TrashRestoreAndPurge) {
  json c = Make("publicInviteOnly", "Trash Me");
  ASSERT_EQ(Send("olivia", "DELETE", Path(c)).status, 200);
  auto trash = As("olivia").Get("/communities/api/trash");
  bool found = false;
  for (const auto& t : (*trash)["items"]) found |= t["uuid"] == c["uuid"];
  EXPECT_TRUE(found);
  auto mike_trash = As("mike").Get("/communities/api/trash");
  for (const auto& t : (*mike_trash)["items"]) EXPECT_NE(t["uuid"], c["uuid"]);
  std::string restore = "/communities/api/trash/" + c["uuid"].get<std::string>() + "/restore";
  EXPECT_EQ(Send("mike", "POST", restore).status, 404);
  auto restored = Send("olivia", "POST", restore);
  ASSERT_EQ(restored.status, 200);
  EXPECT_EQ(restored.body["visibility"], "publicInviteOnly");
  EXPECT_EQ(Send("olivia", "POST", restore).status, 409);  // not in the trash any more
  ASSERT_EQ(Send("olivia", "DELETE", Path(c)).status, 200);
  EXPECT_EQ(
      Send("olivia", "DELETE", "/communities/api/trash/" + c["uuid"].get<std::string>()).status,
      204);
  EXPECT_EQ(Send("olivia", "POST", restore).status, 404);
  EXPECT_EQ(Send("olivia", "POST", "/communities/api/trash/purge").status, 403);
  EXPECT_EQ(Send("admin", "POST", "/communities/api/trash/purge").status, 200);
}

TEST_F(CommunitiesHttpTest, WidgetsAddAndRemove) {
  json c = Make();
  auto added = Send("olivia", "POST", Path(c, "/widgets"), R"({"widgetDefId":"IdeationBlog"})");
  ASSERT_EQ(added.status, 201);
  EXPECT_EQ(added.body["remote"], true);
  EXPECT_EQ(added.body["uiLocation"], "col2");
  auto again = Send("olivia", "POST", Path(c, "/widgets"), R"({"widgetDefId":"IdeationBlog"})");
  EXPECT_EQ(again.status, 409);
  auto unknown = Send("olivia", "POST", Path(c, "/widgets"), R"({"widgetDefId":"Ideation"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.body["error"]["field"], "widgetDefId");
  EXPECT_TRUE(unknown.body["error"]["accepted"].size() >= 8);
  std::string id = added.body["instanceId"];
  EXPECT_EQ(Send("olivia", "DELETE", Path(c, "/widgets/" + id)).status, 204);
  auto widgets = As("olivia").Get(Path(c, "/widgets"));
  for (const auto& w : (*widgets)["items"]) {
    EXPECT_NE(w["widgetDefId"], "IdeationBlog");
    if (w["widgetDefId"] == "Members") {
      EXPECT_EQ(Send("olivia", "DELETE", Path(c, "/widgets/" + w["instanceId"].get<std::string>()))
                    .status,
                409);
    }
  }
}

TEST_F(CommunitiesHttpTest, BadInputGetsAClear400AndChangesNothing) {
  json c = Make();
  struct Case {
    std::string method, path, body, field;
  };
  std::string p = Path(c);
  std::vector<Case> cases = {
      {"PUT", p, "{\"name\": ", "body"},
      {"PUT", p, "[]", "body"},
      {"PUT", p, R"({"visiblity": "public"})", "visiblity"},
      {"PUT", p, R"({"visibility": "restricted"})", "visibility"},
      {"PUT", p, R"({"visibility": 3})", "visibility"},
      {"PUT", p, R"({"name": ""})", "name"},
      {"PUT", p, R"({"name": "bad\u0000name"})", "name"},
      {"PUT", p, R"({"name": "\u001b[31mred"})", "name"},
      {"PUT", p, "{\"name\": \"" + std::string(400, 'n') + "\"}", "name"},
      {"PUT", p, R"({"listWhenPrivate": "yes"})", "listWhenPrivate"},
      {"PUT", p, R"({"tags": "a,b"})", "tags"},
      {"PUT", p, R"({"handle": "No Spaces Allowed"})", "handle"},
      {"PUT", p, R"({"theme": "<script>"})", "theme"},
      {"POST", p + "/members", R"({"user": "mike", "role": "boss"})", "role"},
      {"POST", p + "/members", R"({})", "user"},
      {"POST", p + "/widgets", R"({"widgetDefId": "Forum", "uiLocation": "col9"})", "uiLocation"},
      {"GET", "/communities/api/communities?limit=0", "", "limit"},
      {"GET", "/communities/api/communities?limit=ten", "", "limit"},
      {"GET", "/communities/api/communities?visibility=secret", "", "visibility"},
      {"GET", "/communities/api/communities?visiblity=private", "", "visiblity"},
      {"GET", "/communities/api/communities?after=..%2F..%2Fetc", "", "after"},
      {"GET", "/communities/api/communities/not-a-uuid", "", "communityUuid"},
  };
  for (const auto& k : cases) {
    auto r = Send("olivia", k.method, k.path, k.body);
    EXPECT_EQ(r.status, 400) << k.method << " " << k.path << " " << k.body << " -> " << r.raw_body;
    EXPECT_EQ(r.body["error"]["code"], "INVALID_ARGUMENT") << k.body;
    EXPECT_EQ(r.body["error"]["field"], k.field) << k.body << " -> " << r.raw_body;
  }
  auto visibility = Send("olivia", "PUT", p, R"({"visibility": "restricted"})");
  EXPECT_EQ(visibility.body["error"]["accepted"], json({"public", "publicInviteOnly", "private"}));
  auto after = As("olivia").Get(p);
  EXPECT_EQ((*after)["version"], c["version"]);
  EXPECT_EQ((*after)["name"], c["name"]);
  EXPECT_EQ((*after)["memberCount"], c["memberCount"]);
  auto big = Send("olivia", "PUT", p,
                  "{\"description\": \"" + std::string(size_t{5} * 1024 * 1024, 'x') + "\"}");
  EXPECT_EQ(big.status, 413);
}

TEST_F(CommunitiesHttpTest, ADisabledUserIsShutOutAtOnce) {
  auto admin = As("admin");
  auto u = admin.Post("/communities/api/users", {{"login", "temp"},
                                                 {"email", "temp@example.com"},
                                                 {"displayName", "Temp"},
                                                 {"password", "temp-password"}});
  ASSERT_TRUE(u);
  auto temp = server_->Client("temp", "temp-password");
  ASSERT_TRUE(temp.Get("/communities/api/users/me"));  // now cached as verified
  ASSERT_TRUE(admin.Post("/communities/api/users/temp/disable", json::object()));
  auto r = temp.Get("/communities/api/users/me");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  auto dup = admin.Post("/communities/api/users", {{"login", "TEMP"},
                                                   {"email", "t2@example.com"},
                                                   {"displayName", "T"},
                                                   {"password", "temp-password"}});
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(dup.error().field, "login");
}

TEST_F(CommunitiesHttpTest, AdminCredentialsAreProtectedAndNeverLogged) {
  struct stat st {};
  ASSERT_EQ(::stat((server_->data_dir() / "admin.credentials").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::string password = server_->AdminPassword();
  ASSERT_GE(password.size(), 20u);
  EXPECT_EQ(server_->Log().find(password), std::string::npos);
  for (const auto& [login, id] : ids_)
    EXPECT_EQ(server_->Log().find(Password(login)), std::string::npos);
}

// A server of its own: restarts and the deployment lock.
TEST(CommunitiesLifecycleTest, DataSurvivesARestartAndTheLockKeepsPopulateOut) {
  TempDir dir("communities-restart");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto c = server.AdminClient().Post("/communities/api/communities", {{"name", "Durable"}});
  ASSERT_TRUE(c);
  std::string password = server.AdminPassword();

  auto populate = testing::RunCommand({(testing::BinDir() / "concord").string(), "populate",
                                       "--data-dir", dir.path().string(), "--communities", "10"});
  EXPECT_NE(populate.exit_code, 0);
  EXPECT_NE(populate.err.find("in use by concord serve"), std::string::npos) << populate.err;

  auto status = testing::RunCommand(
      {(testing::BinDir() / "concord").string(), "status", "--data-dir", dir.path().string()});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("signed in as admin"), std::string::npos) << status.out;

  EXPECT_EQ(server.Stop(), 0);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "server.json"));
  auto down = testing::RunCommand(
      {(testing::BinDir() / "concord").string(), "status", "--data-dir", dir.path().string()});
  EXPECT_NE(down.exit_code, 0);

  ASSERT_TRUE(server.Start());
  EXPECT_EQ(server.AdminPassword(), password);  // the first administrator is created once
  auto again =
      server.AdminClient().Get("/communities/api/communities/" + (*c)["uuid"].get<std::string>());
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ((*again)["name"], "Durable");
}

TEST(CommunitiesLifecycleTest, PopulateThenServeSampleData) {
  TempDir dir("communities-populate");
  auto populate =
      testing::RunConcord(dir.path(), {"populate", "--communities", "200", "--seed", "3"});
  ASSERT_EQ(populate.exit_code, 0) << populate.err;
  EXPECT_NE(populate.out.find("populated 200 communities"), std::string::npos) << populate.out;
  auto creds = std::ifstream(dir.path() / "sample-users.credentials");
  std::string line, password;
  while (std::getline(creds, line)) {
    if (line.starts_with("password=")) password = line.substr(9);
  }
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin_page = server.AdminClient().Get("/communities/api/communities?limit=500");
  ASSERT_TRUE(admin_page);
  EXPECT_EQ((*admin_page)["items"].size(), 200u);
  // A sample user sees fewer: restricted communities they do not belong to are hidden.
  auto user_page =
      server.Client("user000001", password).Get("/communities/api/communities?limit=500");
  ASSERT_TRUE(user_page) << user_page.error().ToString();
  EXPECT_LT((*user_page)["items"].size(), 200u);
  EXPECT_GT((*user_page)["items"].size(), 100u);
  // Every remote widget is bound to a real resource in its application, with content.
  auto admin = server.AdminClient();
  int checked = 0;
  for (const auto& c : (*admin_page)["items"]) {
    auto widgets =
        *admin.Get("/communities/api/communities/" + c["uuid"].get<std::string>() + "/widgets");
    for (const auto& w : widgets["items"]) {
      if (!w["remote"].get<bool>()) continue;
      ASSERT_TRUE(w["remoteResourceId"].is_string()) << w.dump();
      std::string id = w["remoteResourceId"];
      std::string def = w["widgetDefId"];
      std::string content;
      if (def == "Forum") content = "/forums/api/forums/" + id + "/topics";
      if (def == "Blog" || def == "IdeationBlog") content = "/blogs/api/blogs/" + id + "/entries";
      if (def == "Wiki") content = "/wikis/api/wikis/" + id + "/pages";
      if (def == "StatusUpdates") content = "/news/api/boards/" + id + "/posts";
      if (def == "Library") content = "/libraries/api/libraries/" + id + "/documents";
      if (def == "Activities") content = "/activities/api/activities/" + id + "/entries";
      if (content.empty()) continue;  // Files: a folder (and sometimes a file) in its library
      auto items = admin.Get(content);
      ASSERT_TRUE(items) << def << ": " << items.error().ToString();
      EXPECT_GE((*items)["items"].size(), 1u) << def;
      ++checked;
    }
    if (checked > 40) break;
  }
  EXPECT_GT(checked, 40);
}

}  // namespace
}  // namespace concord

namespace concord {
namespace {

TEST(SchedulerHttpTest, PauseSurvivesARestartAndForcedRunsPurgeTheTrash) {
  testing::TempDir dir("scheduler-http");
  { std::ofstream(dir.path() / "concord.toml") << "[communities]\ntrash_retention_days = 0\n"; }
  testing::ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  const std::string task = "/communities/api/admin/scheduler/tasks/fullDelete";
  auto details = admin.Get(task);
  ASSERT_TRUE(details) << details.error().ToString();
  EXPECT_EQ((*details)["status"], "SCHEDULED");
  EXPECT_EQ((*details)["interval"], "0 0 3 ? * *");
  EXPECT_TRUE((*details)["nextFireTime"].get<std::string>().ends_with("T03:00:00.000Z"));

  auto paused = admin.Post(task + "/pause", json::object());
  ASSERT_TRUE(paused);
  EXPECT_EQ((*paused)["status"], "SUSPENDED");
  EXPECT_TRUE((*paused)["nextFireTime"].is_null());
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(server.Start());
  admin = server.AdminClient();
  EXPECT_EQ((*admin.Get(task))["status"], "SUSPENDED");

  // A forced run works while suspended: with retention 0, a trashed community is purged.
  auto c = admin.Post("/communities/api/communities", {{"name", "Doomed"}});
  std::string uuid = (*c)["uuid"];
  ASSERT_TRUE(admin.Delete("/communities/api/communities/" + uuid));
  auto ran = admin.Post(task + "/run?synchronous=true", json::object());
  ASSERT_TRUE(ran) << ran.error().ToString();
  EXPECT_EQ((*ran)["lastResult"], "ok");
  auto gone = admin.Send("POST", "/communities/api/trash/" + uuid + "/restore", "");
  EXPECT_EQ(gone->status, 404);

  auto resumed = admin.Post(task + "/resume", json::object());
  EXPECT_EQ((*resumed)["status"], "SCHEDULED");

  auto unknown = admin.Send("GET", "/communities/api/admin/scheduler/tasks/FullDelete", "");
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(unknown->body["error"]["field"], "taskName");
  EXPECT_EQ(unknown->body["error"]["accepted"],
            json({"EventLogCleanup", "LifecycleRetryQueuedEvents", "fullDelete"}));
  auto bad_flag = admin.Send("POST", task + "/run?synchronous=yes", "");
  EXPECT_EQ(bad_flag->status, 400);

  ASSERT_TRUE(admin.Post("/communities/api/users", {{"login", "plain"},
                                                    {"email", "plain@example.com"},
                                                    {"displayName", "Plain"},
                                                    {"password", "plain-password"}}));
  auto plain = server.Client("plain", "plain-password");
  EXPECT_EQ(plain.Send("POST", task + "/pause", "")->status, 403);
  EXPECT_EQ(plain.Send("GET", "/communities/api/admin/scheduler/tasks", "")->status, 403);
}

TEST(SchedulerHttpTest, AMalformedIntervalStopsTheServerWithAClearMessage) {
  testing::TempDir dir("scheduler-bad");
  std::ofstream(dir.path() / "concord.toml") << "[scheduler]\nfullDelete = \"0 0 3 * * *\"\n";
  testing::ConcordServer server(dir.path());
  auto started = server.Start();
  ASSERT_FALSE(started);
  EXPECT_NE(server.Log().find("fullDelete"), std::string::npos) << server.Log();
  EXPECT_NE(server.Log().find("dayOfWeek must be '?'"), std::string::npos) << server.Log();
}

}  // namespace
}  // namespace concord
