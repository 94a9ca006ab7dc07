#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "concord/http/client.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"

namespace concord::http {
namespace {

// A fixed directory of two users: an in-memory stand-in for the user directory.
class TwoUsers final : public Authenticator {
 public:
  Result<Principal> Authenticate(std::string_view login, std::string_view password) override {
    ++calls;
    if (login == "admin" && password == "pw") return Principal{UserId("u-admin"), "admin", true};
    if (login == "bob" && password == "pw:with:colons")
      return Principal{UserId("u-bob"), "bob", false};
    return Unauthenticated("invalid credentials");
  }
  std::atomic<int> calls{0};
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    users_ = std::make_shared<TwoUsers>();
    server_ = std::make_unique<Server>(ServerOptions{.threads = 4, .max_body_bytes = 1024}, users_);
    server_->Get("/api/echo/([^/]+)", Access::kSignedIn, [](const Request& r) -> Result<Response> {
      return Response::Json(
          200,
          {{"id", r.path_params[0]}, {"who", r.principal.login}, {"q", r.Query("q").value_or("")}});
    });
    server_->Post("/api/fail", Access::kSignedIn, [](const Request& r) -> Result<Response> {
      CONCORD_ASSIGN_OR_RETURN(auto body, JsonBody::Parse(r.body));
      CONCORD_ASSIGN_OR_RETURN(auto v, body.OptString("visibility"));
      CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
      return InvalidArgument("visibility", "unknown visibility '" + v.value_or("") + "'",
                             {"public", "publicInviteOnly", "private"});
    });
    server_->Get("/api/internal", Access::kSignedIn, [](const Request&) -> Result<Response> {
      return Internal("SELECT secret FROM t failed at /var/lib/x.db");
    });
    server_->Post("/api/admin/reset", Access::kAdministrator,
                  [this](const Request&) -> Result<Response> {
                    ++admin_calls_;
                    return Response::NoContent();
                  });
    server_->Get("/api/throw", Access::kSignedIn, [](const Request&) -> Result<Response> {
      throw std::runtime_error("boom at /etc/shadow");
    });
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port);
    url_ = "http://127.0.0.1:" + std::to_string(*port);
    thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    server_->Stop();
    thread_.join();
  }
  std::atomic<int> admin_calls_{0};
  Client As(std::string user, std::string password) {
    return Client({.url = url_, .user = std::move(user), .password = std::move(password)});
  }

  std::shared_ptr<TwoUsers> users_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::string url_;
};

TEST_F(ServerTest, AnonymousRequestsGet401WithAChallenge) {
  auto reply = As("", "").Send("GET", "/api/echo/1", "", /*authenticate=*/false);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 401);
  EXPECT_EQ(reply->body["error"]["code"], "UNAUTHENTICATED");
  // Unknown paths too: an anonymous client learns nothing about which paths exist.
  reply = As("", "").Send("GET", "/api/nothing-here", "", false);
  EXPECT_EQ(reply->status, 401);
}

TEST_F(ServerTest, AnAdministratorsRouteRefusesEveryoneElseBeforeItsHandler) {
  auto bob = As("bob", "pw:with:colons").Send("POST", "/api/admin/reset", "{}");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->status, 403);
  EXPECT_NE(bob->body.dump().find("only administrators may call POST /api/admin/reset"),
            std::string::npos)
      << bob->body.dump();
  EXPECT_EQ(admin_calls_.load(), 0) << "the handler never ran for bob";
  auto admin = As("admin", "pw").Send("POST", "/api/admin/reset", "{}");
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 204);
  EXPECT_EQ(admin_calls_.load(), 1);
}

TEST_F(ServerTest, EveryRouteAndWhoMayCallItIsListedForAdministrators) {
  auto bob = As("bob", "pw:with:colons").Send("GET", "/api/admin/routes", "");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->status, 403);
  auto routes = As("admin", "pw").Get("/api/admin/routes");
  ASSERT_TRUE(routes) << routes.error().ToString();
  std::map<std::string, std::string> access;
  for (const auto& r : (*routes)["items"]) {
    access[r["method"].get<std::string>() + " " + r["pattern"].get<std::string>()] = r["access"];
  }
  EXPECT_EQ(access["GET /api/echo/([^/]+)"], "signed-in");
  EXPECT_EQ(access["POST /api/admin/reset"], "administrator");
  EXPECT_EQ(access["GET /api/admin/routes"], "administrator");
  EXPECT_EQ(access.size(), 6u);
}

TEST_F(ServerTest, WrongPasswordIs401) {
  auto r = As("admin", "nope").Get("/api/echo/1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(ServerTest, HandlerSeesPathQueryAndPrincipal) {
  auto r = As("bob", "pw:with:colons").Get("/api/echo/abc?q=x%20y");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ((*r)["id"], "abc");
  EXPECT_EQ((*r)["who"], "bob");
  EXPECT_EQ((*r)["q"], "x y");
}

TEST_F(ServerTest, ErrorsHaveOneJsonShape) {
  auto reply = As("admin", "pw").Send("POST", "/api/fail", R"({"visibility":"secret"})");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(reply->body["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_EQ(reply->body["error"]["field"], "visibility");
  EXPECT_EQ(reply->body["error"]["accepted"].size(), 3u);
  // The client turns it back into the same Error.
  auto r = As("admin", "pw").Post("/api/fail", {{"visiblity", "x"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "visiblity");
  EXPECT_EQ(r.error().message, "unknown field 'visiblity'");
}

TEST_F(ServerTest, AnAnswerIsNeverUnreachableAndNoServerIs) {
  // Refusals and server failures are answers: the caller may retry or give up, but the server
  // is there.
  auto refused = As("admin", "pw").Post("/api/fail", {{"visibility", "x"}});
  ASSERT_FALSE(refused);
  EXPECT_FALSE(Unreachable(refused.error()));
  auto failed = As("admin", "pw").Get("/api/internal");
  ASSERT_FALSE(failed);
  EXPECT_FALSE(Unreachable(failed.error()));
  // Nothing listens on the port any more once the server stops.
  server_->Stop();
  thread_.join();
  auto gone = As("admin", "pw").Get("/api/echo/x");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(Unreachable(gone.error())) << gone.error().ToString();
  thread_ = std::thread([] {});  // TearDown stops and joins again
}

TEST_F(ServerTest, MalformedJsonIs400) {
  auto reply = As("admin", "pw").Send("POST", "/api/fail", "{\"visibility\": ");
  EXPECT_EQ(reply->status, 400);
  EXPECT_EQ(reply->body["error"]["field"], "body");
}

TEST_F(ServerTest, InternalDetailsNeverReachTheClient) {
  for (const char* path : {"/api/internal", "/api/throw"}) {
    auto reply = As("admin", "pw").Send("GET", path, "");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 500);
    EXPECT_EQ(reply->raw_body.find("SELECT"), std::string::npos);
    EXPECT_EQ(reply->raw_body.find("/var/lib"), std::string::npos);
    EXPECT_EQ(reply->raw_body.find("/etc/shadow"), std::string::npos);
    EXPECT_NE(reply->raw_body.find("reference"), std::string::npos);
  }
}

TEST_F(ServerTest, UnknownPathIsJson404ForAnAuthenticatedCaller) {
  auto reply = As("admin", "pw").Send("GET", "/api/nothing-here", "");
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(reply->body["error"]["code"], "NOT_FOUND");
}

TEST_F(ServerTest, OversizedBodyIs413) {
  auto reply = As("admin", "pw").Send("POST", "/api/fail", std::string(4096, ' '));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 413);
}

TEST(CachingAuthenticatorTest, VerifiesOncePerTtlAndForgetsOnInvalidate) {
  auto inner = std::make_shared<TwoUsers>();
  CachingAuthenticator cache(inner, std::chrono::seconds(60));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(cache.Authenticate("admin", "pw"));
  EXPECT_EQ(inner->calls, 1);
  EXPECT_FALSE(cache.Authenticate("admin", "wrong"));
  EXPECT_FALSE(cache.Authenticate("admin", "wrong"));
  EXPECT_EQ(inner->calls, 3);  // failures are never cached
  cache.Invalidate();
  ASSERT_TRUE(cache.Authenticate("admin", "pw"));
  EXPECT_EQ(inner->calls, 4);
}

TEST(ParseBasicAuthTest, Forms) {
  auto ok = ParseBasicAuth("Basic YWRtaW46cDpx");  // admin:p:q
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->first, "admin");
  EXPECT_EQ(ok->second, "p:q");
  EXPECT_FALSE(ParseBasicAuth("Bearer abc"));
  EXPECT_FALSE(ParseBasicAuth("Basic !!!"));
  EXPECT_FALSE(ParseBasicAuth("Basic YWRtaW4="));  // no colon
}

TEST(JsonBodyTest, TypesAreChecked) {
  auto b = JsonBody::Parse(R"({"name": 5, "flag": "yes", "tags": ["a", 1]})");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->OptString("name").error().field, "name");
  EXPECT_EQ(b->OptBool("flag").error().field, "flag");
  EXPECT_EQ(b->OptStringList("tags").error().field, "tags");
  EXPECT_FALSE(JsonBody::Parse("[1,2]"));
  EXPECT_FALSE(JsonBody::Parse("\"\xff\""));
  EXPECT_TRUE(JsonBody::Parse("", /*allow_empty=*/true));
}

TEST(ParseTargetTest, DecodesPathAndQuery) {
  std::string path;
  std::multimap<std::string, std::string> query;
  ParseTarget("/a%20b/%zz%2?x=1&y=a+b%26c&flag&=v&x=2", path, query);
  EXPECT_EQ(path, "/a b/%zz%2");  // malformed escapes stay as they are
  EXPECT_EQ(query.count("x"), 2u);
  EXPECT_EQ(query.find("y")->second, "a b&c");
  EXPECT_EQ(query.find("flag")->second, "");
  EXPECT_EQ(query.find("")->second, "v");
}

}  // namespace
}  // namespace concord::http
