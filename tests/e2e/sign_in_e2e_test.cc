// Sign-in and the request log against the real server: password guessing is throttled with
// real Argon2id checks, an application in a process of its own passes its clients' addresses
// to Communities, and no request can forge a log line.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "concord/http/client.h"
#include "concord/testing/process.h"

namespace concord {
namespace {

using nlohmann::json;
using testing::ConcordServer;
using testing::TempDir;

void CreateUser(http::Client& admin, const std::string& login, const std::string& password) {
  auto r = admin.Post("/communities/api/users", {{"login", login},
                                                 {"email", login + "@example.com"},
                                                 {"displayName", login},
                                                 {"password", password}});
  ASSERT_TRUE(r) << r.error().ToString();
}

int StatusOf(const std::string& url, const std::string& user, const std::string& password,
             const std::string& from, const std::string& path = "/communities/api/status") {
  http::Client c({.url = url,
                  .user = user,
                  .password = password,
                  .timeout = std::chrono::seconds(20),
                  .source_address = from});
  auto r = c.Send("GET", path, "");
  return r ? r->status : -1;
}

TEST(SignInTest, GuessingIsThrottledPerLoginAndAddressAndLogged) {
  TempDir dir("sign-in");
  std::ofstream(dir.path() / "concord.toml") << "[server]\nsign_in_free_failures = 3\n";
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  CreateUser(admin, "uma", "pw-uma-1234");
  // Three wrong passwords for uma from one address: 401 each; the fourth locks uma out.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(StatusOf(server.url(), "uma", "wrong", "127.0.0.2"), 401);
  }
  http::Client guess(
      {.url = server.url(), .user = "uma", .password = "wrong", .source_address = "127.0.0.2"});
  auto locked = guess.Send("GET", "/communities/api/status", "");
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 429);
  EXPECT_FALSE(locked->Header("Retry-After").empty());
  // Locked out: even the right password, from anywhere, until the lock-out ends...
  EXPECT_EQ(StatusOf(server.url(), "uma", "pw-uma-1234", "127.0.0.3"), 429);
  // ...and the address, for any login whose password is not already verified; other logins
  // from other addresses are not, nor a signed-in user (cached) behind the same address.
  CreateUser(admin, "vic", "pw-vic-1234");
  EXPECT_EQ(StatusOf(server.url(), "vic", "pw-vic-1234", "127.0.0.2"), 429);
  EXPECT_EQ(StatusOf(server.url(), "vic", "pw-vic-1234", "127.0.0.4"), 200);
  EXPECT_EQ(StatusOf(server.url(), "vic", "pw-vic-1234", "127.0.0.2"), 200);
  // After the lock-out (2 s for the first), uma signs in again.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(StatusOf(server.url(), "uma", "pw-uma-1234", "127.0.0.3"), 200);
  std::string log = server.Log();
  EXPECT_NE(log.find("sign-in failed login=uma address=127.0.0.2"), std::string::npos) << log;
  EXPECT_NE(log.find("sign-in refused: too many failures login=uma"), std::string::npos) << log;
  EXPECT_EQ(log.find("pw-uma-1234"), std::string::npos) << "passwords never reach the log";
}

TEST(SignInTest, AnApplicationProcessPassesItsClientsToCommunities) {
  // Communities trusts the Blogs host as a proxy for sign-ins; eight users mistyping their
  // passwords at Blogs, each from an address of their own, lock nobody else out.
  TempDir communities_dir("sign-in-communities");
  TempDir blogs_dir("sign-in-blogs");
  int communities_port = testing::FreePort();
  std::ofstream(communities_dir.path() / "concord.toml")
      << "[server]\ntrusted_proxies = [\"127.0.0.1\"]\nsign_in_free_failures = 3\n";
  std::ofstream(blogs_dir.path() / "concord.toml")
      << "[services]\ncommunities_url = \"http://127.0.0.1:" << communities_port << "\"\n";
  ConcordServer communities(
      communities_dir.path(),
      {"--services", "communities,forums,wikis,news,libraries,activities,files"},
      "127.0.0.1:" + std::to_string(communities_port));
  ConcordServer blogs(blogs_dir.path(), {"--services", "blogs"});
  ASSERT_TRUE(communities.Start());
  ASSERT_TRUE(blogs.Start());
  auto admin = communities.AdminClient();
  CreateUser(admin, "kim", "pw-kim-1234");
  for (int i = 0; i < 8; ++i) {
    std::string who = "user" + std::to_string(i);
    CreateUser(admin, who, "right-" + who);
    EXPECT_EQ(StatusOf(blogs.url(), who, "typo", "127.0.0." + std::to_string(10 + i),
                       "/blogs/api/blogs/none"),
              401);
  }
  // Communities saw eight clients, not one Blogs host with eight failures: kim signs in (and
  // learns that there is no such blog, which only a signed-in caller is told).
  EXPECT_EQ(StatusOf(blogs.url(), "kim", "pw-kim-1234", "127.0.0.30", "/blogs/api/blogs/none"), 404)
      << communities.Log();
  EXPECT_NE(communities.Log().find("sign-in failed login=user7 address=127.0.0.17"),
            std::string::npos)
      << communities.Log();
}

TEST(SignInTest, NoRequestCanForgeALogLine) {
  TempDir dir("log-forging");
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  std::string forged = "2026-12-01T06:00:00.000 INFO  request client=10.0.0.1 method=POST";
  http::Client c({.url = server.url(), .user = "admin", .password = server.AdminPassword()});
  auto r = c.Send("GET",
                  "/nothing%0a2026-12-01T06:00:00.000%20INFO%20%20request%20client=10.0.0.1%"
                  "20method=POST%0d",
                  "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  ASSERT_EQ(server.Stop(), 0);
  std::string log = server.Log();
  // The decoded path is in the log, escaped, on the request's own line.
  EXPECT_NE(log.find("path=\"/nothing\\n2026-12-01T06:00:00.000 INFO  request"), std::string::npos)
      << log;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) EXPECT_FALSE(line.starts_with(forged)) << line;

  // JSON lines: every line is one JSON object.
  TempDir json_dir("log-json");
  std::ofstream(json_dir.path() / "concord.toml") << "[server]\nlog_format = \"json\"\n";
  ConcordServer json_server(json_dir.path());
  ASSERT_TRUE(json_server.Start());
  http::Client j(
      {.url = json_server.url(), .user = "admin", .password = json_server.AdminPassword()});
  ASSERT_TRUE(j.Send("GET", "/nothing%0a%22%7d", ""));
  ASSERT_EQ(json_server.Stop(), 0);
  std::istringstream json_lines(json_server.Log());
  bool saw_request = false;
  while (std::getline(json_lines, line)) {
    auto parsed = json::parse(line, nullptr, false);
    ASSERT_TRUE(parsed.is_object()) << line;
    if (parsed.value("path", "") == "/nothing\n\"}") {
      saw_request = true;
      EXPECT_EQ(parsed["status"], 404);
      EXPECT_EQ(parsed["user"], "admin");
      EXPECT_EQ(parsed["message"], "request");
    }
  }
  EXPECT_TRUE(saw_request) << json_server.Log();
}

}  // namespace
}  // namespace concord
