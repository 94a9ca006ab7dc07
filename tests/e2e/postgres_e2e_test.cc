// PostgreSQL as an administrator meets it (docs/deployment.md), on a server of the test's own:
// - a database server that goes away while Concord runs, stopped and started again under load:
//   requests touching it get 503, never 500; its application's lifecycle events wait in
//   Communities' queue while the other applications carry on; once the server is back,
//   everything catches up and nothing is lost;
// - every way a configured database can be wrong refuses the start with one line naming the
//   service and the problem, exit 2, and no database written.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/http/client.h"
#include "concord/testing/postgres.h"
#include "concord/testing/process.h"

namespace concord {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ConcordServer;
using testing::Show;
using testing::TempDir;

const std::string kBase = "/communities/api/communities/";

// A PostgreSQL server of this test's own (tests/pg/cluster.sh), stopped at the end.
class OwnCluster {
 public:
  explicit OwnCluster(const fs::path& state) : state_(state) {}
  ~OwnCluster() { (void)Run("stop"); }
  testing::CommandResult Run(const std::string& what) {
    const char* source = std::getenv("CONCORD_SOURCE_DIR");  // set by ctest
    fs::path script = fs::path(source != nullptr ? source : ".") / "tests/pg/cluster.sh";
    return testing::RunCommand({"/bin/bash", script.string(), what, state_.string()});
  }
  const fs::path& state() const { return state_; }
  // Starts it and points the test support (PostgresServer::FromEnvironment) at it.
  testing::CommandResult Start() {
    auto r = Run("start");
    if (r.exit_code == 0) ::setenv("CONCORD_TEST_PG_DIR", state_.c_str(), 1);
    return r;
  }

 private:
  fs::path state_;
};

// Waits up to `seconds` for Communities' queue to hold nothing for `app` ("" for any).
bool QueueEmpties(http::Client& admin, const std::string& app, int seconds) {
  std::string query = app.empty() ? "" : "&remoteAppDefId=" + app;
  for (int i = 0; i < seconds * 10; ++i) {
    auto q = admin.Get("/communities/api/admin/queue/events?limit=1" + query);
    if (q && (*q)["items"].empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// `n` new communities named "<prefix> 0", ... (each with the default widgets), once every
// application has heard of them.
std::vector<std::string> MakeCommunities(http::Client& admin, const std::string& prefix, int n) {
  std::vector<std::string> uuids;
  for (int i = 0; i < n; ++i) {
    auto c =
        admin.Post("/communities/api/communities", {{"name", prefix + " " + std::to_string(i)}});
    if (!c) {
      ADD_FAILURE() << c.error().ToString();
      return uuids;
    }
    uuids.push_back((*c)["uuid"]);
  }
  EXPECT_TRUE(QueueEmpties(admin, "", 20));
  return uuids;
}

TEST(PostgresOutageTest, AnApplicationsDatabaseServerGoesAwayAndComesBackUnderLoad) {
  TempDir dir("pg-outage");
  TempDir pg_state("pg-outage-server");
  OwnCluster cluster(pg_state.path() / "pg");
  auto started = cluster.Start();
  ASSERT_EQ(started.exit_code, 0) << Show(started);
  auto pg = testing::PostgresServer::FromEnvironment();
  ASSERT_TRUE(pg);
  auto forums_url = pg->CreateDatabase("outage_forums");
  ASSERT_TRUE(forums_url) << forums_url.error().ToString();
  // Communities and every other application on SQLite; Forums on the server that will go.
  std::ofstream(dir.path() / "concord.toml")
      << "[forums]\ndatabase = \"" << *forums_url << "\"\npassword_file = \""
      << pg->password_file().string() << "\"\n";

  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::vector<std::string> communities = MakeCommunities(admin, "Outage", 4);
  ASSERT_EQ(communities.size(), 4u);
  auto widgets = admin.Get(kBase + communities[0] + "/widgets");
  ASSERT_TRUE(widgets);
  std::string forum;
  for (const auto& w : (*widgets)["items"]) {
    if (w["widgetDefId"] == "Forum") forum = w["remoteResourceId"];
  }
  ASSERT_FALSE(forum.empty());

  // Load: renames of every community, and readers of a forum, all the way through.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<std::string, std::string> last_name;  // what Communities accepted last
  std::set<int> forum_statuses;
  std::atomic<int> renames{0};
  std::thread writer([&] {
    auto c = server.AdminClient();
    for (int n = 0; !stop; ++n) {
      const std::string& uuid = communities[n % communities.size()];
      std::string name = "Outage renamed " + std::to_string(n);
      auto r = c.Put(kBase + uuid, {{"name", name}});
      if (r) {
        std::lock_guard l(mu);
        last_name[uuid] = name;
        ++renames;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
    }
  });
  std::thread reader([&] {
    auto c = server.AdminClient();
    while (!stop) {
      auto r = c.Send("GET", "/forums/api/forums/" + forum, "");
      if (r) {
        std::lock_guard l(mu);
        forum_statuses.insert(r->status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  auto down = cluster.Run("down");
  ASSERT_EQ(down.exit_code, 0) << Show(down);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  {
    // While it is down: Forums answers 503 and names the cause; Communities keeps accepting
    // changes; the other applications keep hearing them.
    auto r = admin.Send("GET", "/forums/api/forums/" + forum, "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << r->raw_body;
    // The database's address stays in the server's log.
    EXPECT_EQ(r->raw_body.find("127.0.0.1"), std::string::npos) << r->raw_body;
    EXPECT_NE(r->raw_body.find("the database is unavailable"), std::string::npos) << r->raw_body;
    auto queued = admin.Get("/communities/api/admin/queue/events?remoteAppDefId=Forum&limit=5");
    ASSERT_TRUE(queued);
    EXPECT_FALSE((*queued)["items"].empty()) << "Forum's events wait in the queue";
    EXPECT_TRUE(QueueEmpties(admin, "Blog", 10)) << "Blogs is not held up by Forums' database";
  }
  int renames_while_down = renames.load();

  auto up = cluster.Run("up");
  ASSERT_EQ(up.exit_code, 0) << Show(up);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  writer.join();
  reader.join();
  EXPECT_GT(renames_while_down, 20);

  // Everything catches up: Forums ends with the last name of every community.
  ASSERT_TRUE(QueueEmpties(admin, "", 90)) << "the queue did not drain after the server returned";
  for (const auto& uuid : communities) {
    auto synced = admin.Get("/forums/api/synced/Forum/" + uuid);
    ASSERT_TRUE(synced) << synced.error().ToString();
    std::lock_guard l(mu);
    EXPECT_EQ((*synced)["name"], last_name[uuid]);
  }
  auto again = admin.Send("GET", "/forums/api/forums/" + forum, "");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << again->raw_body;
  std::lock_guard l(mu);
  EXPECT_EQ(forum_statuses.count(500), 0U) << "a request failed with 500 during the outage";
  EXPECT_TRUE(forum_statuses.contains(503));
  EXPECT_TRUE(forum_statuses.contains(200));
  EXPECT_EQ(server.Stop(), 0);
}

// Every service on the server, Communities included: while it is down every request touching a
// database gets 503 (never 500); what Communities accepted before is applied everywhere after.
TEST(PostgresOutageTest, EveryServicesDatabaseServerGoesAwayAndComesBack) {
  TempDir dir("pg-outage-all");
  TempDir pg_state("pg-outage-all-server");
  OwnCluster cluster(pg_state.path() / "pg");
  auto started = cluster.Start();
  ASSERT_EQ(started.exit_code, 0) << Show(started);
  ::setenv("CONCORD_TEST_BACKEND", "postgres", 1);
  auto prepared = testing::PrepareTestBackend(dir.path());
  ::unsetenv("CONCORD_TEST_BACKEND");
  ASSERT_TRUE(prepared) << prepared.error().ToString();

  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  std::vector<std::string> communities = MakeCommunities(admin, "All", 3);
  ASSERT_EQ(communities.size(), 3u);

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::map<std::string, std::string> last_name;
  std::set<int> statuses;
  std::thread writer([&] {
    auto c = server.AdminClient();
    for (int n = 0; !stop; ++n) {
      const std::string& uuid = communities[n % communities.size()];
      std::string name = "All renamed " + std::to_string(n);
      auto r = c.Send("PUT", kBase + uuid, json{{"name", name}}.dump());
      if (r) {
        std::lock_guard l(mu);
        statuses.insert(r->status);
        if (r->status == 200) last_name[uuid] = name;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto down = cluster.Run("down");
  ASSERT_EQ(down.exit_code, 0) << Show(down);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto up = cluster.Run("up");
  ASSERT_EQ(up.exit_code, 0) << Show(up);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  stop = true;
  writer.join();

  ASSERT_TRUE(QueueEmpties(admin, "", 90)) << "the queue did not drain after the server returned";
  std::lock_guard l(mu);
  EXPECT_TRUE(statuses.contains(503)) << "the outage was seen";
  EXPECT_TRUE(statuses.contains(200));
  EXPECT_EQ(statuses.count(500), 0U) << "a request failed with 500 during the outage";
  for (const auto& uuid : communities) {
    auto synced = admin.Get("/forums/api/synced/Forum/" + uuid);
    ASSERT_TRUE(synced) << synced.error().ToString();
    EXPECT_EQ((*synced)["name"], last_name[uuid]) << "every accepted change was applied";
  }
  EXPECT_EQ(server.Stop(), 0);
}

struct BadDatabase {
  std::string what;
  std::string toml;      // the [forums] section's keys
  std::string expected;  // in the one line on stderr
};

TEST(PostgresStartTest, EveryWrongDatabaseIsRefusedByNameBeforeAnythingIsWritten) {
  TempDir pg_state("pg-start-server");
  OwnCluster cluster(pg_state.path() / "pg");
  auto started = cluster.Start();
  ASSERT_EQ(started.exit_code, 0) << Show(started);
  auto pg = testing::PostgresServer::FromEnvironment();
  ASSERT_TRUE(pg);
  std::string password_file = pg->password_file().string();
  TempDir wrong("pg-start-wrong");
  fs::path wrong_password = wrong.path() / "wrong.password";
  std::ofstream(wrong_password) << "not-the-password\n";
  fs::permissions(wrong_password, fs::perms::owner_read);

  // A database of another deployment, and one written by a newer Concord.
  auto foreign = pg->CreateDatabase("foreign");
  auto newer = pg->CreateDatabase("newer");
  ASSERT_TRUE(foreign && newer);
  {
    auto db = db::Database::Open(*foreign, {.password_file = pg->password_file()});
    ASSERT_TRUE(db);
    ASSERT_TRUE(db::ClaimDatabase(**db, "forums", "another-deployment-id"));
    auto n = db::Database::Open(*newer, {.password_file = pg->password_file()});
    ASSERT_TRUE(n);
    auto lease = (*n)->Acquire();
    ASSERT_TRUE((*lease)->ExecuteScript(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at BIGINT NOT NULL); INSERT INTO schema_migrations VALUES (99, 'future', 0)"));
  }
  auto with_password = [&](const std::string& url, const std::string& file) {
    return "database = \"" + url + "\"\npassword_file = \"" + file + "\"\n";
  };
  const std::vector<BadDatabase> cases = {
      {"an unreachable server",
       with_password("postgresql://concord@127.0.0.1:1/x?connect_timeout=2", password_file),
       "127.0.0.1"},
      {"a wrong password", with_password(*foreign, wrong_password.string()),
       "password authentication failed"},
      {"a missing database", with_password(pg->base_url() + "no_such_database", password_file),
       "no_such_database\" does not exist"},
      {"another deployment's database", with_password(*foreign, password_file),
       "belongs to another Concord deployment"},
      {"a newer schema", with_password(*newer, password_file), "schema version 99, newer"},
      {"an unknown URL parameter", with_password(*foreign + "?frobnicate=1", password_file),
       "frobnicate"},
      {"a password file others may read", with_password(*foreign, "loose.password"), "chmod 600"},
  };
  for (const auto& c : cases) {
    TempDir dir("pg-start");
    std::ofstream(dir.path() / "concord.toml") << "[forums]\n" << c.toml;
    std::ofstream(dir.path() / "loose.password") << "whatever\n";
    fs::permissions(dir.path() / "loose.password",
                    fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    auto r = testing::RunCommand({(testing::BinDir() / "concord").string(), "serve", "--data-dir",
                                  dir.path().string(), "--listen", "127.0.0.1:0"});
    EXPECT_EQ(r.exit_code, 2) << c.what << ": " << Show(r);
    EXPECT_NE(r.err.find("forums"), std::string::npos) << c.what << ": " << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.what << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.what << ": " << r.err;
    EXPECT_EQ(r.err.find("not-the-password"), std::string::npos) << c.what;
    for (const auto& e : fs::directory_iterator(dir.path())) {
      std::string name = e.path().filename().string();
      EXPECT_FALSE(name.ends_with(".db") || name == "admin.credentials" || name == "deployment.id")
          << c.what << ": " << name << " was written";
    }
  }
}

}  // namespace
}  // namespace concord
