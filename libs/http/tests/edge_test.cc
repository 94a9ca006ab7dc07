// The HTTP edge under hostile clients: slow and idle connections, header floods, connection
// floods, password guessing, deep JSON, forwarded addresses. Each test speaks raw HTTP over a
// socket where the attack needs it, and checks what a signed-in user gets meanwhile.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "concord/http/client.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "concord/testing/raw_connection.h"

namespace concord::http {
namespace {

using concord::testing::RawConnection;
using concord::testing::StatusLine;

using namespace std::chrono_literals;

// A directory whose password check takes `cost` and counts how many run at once, as Argon2id
// would.
class SlowUsers final : public Authenticator {
 public:
  explicit SlowUsers(std::chrono::milliseconds cost) : cost_(cost) {}
  Result<Principal> Authenticate(std::string_view login, std::string_view password) override {
    int now = ++running;
    int seen = max_running.load();
    while (now > seen && !max_running.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(cost_);
    --running;
    ++calls;
    if (login == "admin" && password == "pw") return Principal{UserId("u-admin"), "admin", true};
    return Unauthenticated("invalid credentials");
  }
  std::optional<Principal> Cached(std::string_view login, std::string_view password) override {
    if (login == "cached" && password == "pw") return Principal{UserId("u-c"), "cached", false};
    return std::nullopt;
  }
  std::atomic<int> running{0}, max_running{0}, calls{0};

 private:
  std::chrono::milliseconds cost_;
};

class EdgeTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options, std::chrono::milliseconds cost = 0ms) {
    users_ = std::make_shared<SlowUsers>(cost);
    server_ = std::make_unique<Server>(std::move(options), users_);
    server_->Get("/api/hello", Access::kSignedIn, [](const Request& r) -> Result<Response> {
      return Response::Json(200, {{"who", r.principal.login}, {"xff", r.forwarded_for}});
    });
    server_->Post("/api/json", Access::kSignedIn, [](const Request& r) -> Result<Response> {
      CONCORD_ASSIGN_OR_RETURN(auto body, JsonBody::Parse(r.body));
      return Response::Json(200, {{"ok", true}});
    });
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port);
    port_ = *port;
    url_ = "http://127.0.0.1:" + std::to_string(port_);
    thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    if (server_) {
      server_->Stop();
      thread_.join();
    }
  }
  Client As(std::string user, std::string password, std::chrono::seconds timeout = 5s,
            std::string from = "") {
    return Client({.url = url_,
                   .user = std::move(user),
                   .password = std::move(password),
                   .timeout = timeout,
                   .source_address = std::move(from)});
  }

  std::shared_ptr<SlowUsers> users_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::string url_;
};

TEST_F(EdgeTest, SlowClientsHoldNoWorker) {
  // Two workers, 64 clients trickling their headers: a signed-in request is still answered.
  Start({.threads = 2});
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 64; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port_, "127.0.0.2"));
    ASSERT_TRUE(slow.back()->connected());
    ASSERT_TRUE(slow.back()->Send("GET /api/hello HTTP/1.1\r\nHost: x\r\nX-A: "));
  }
  auto reply = As("cached", "pw", 2s).Get("/api/hello");
  ASSERT_TRUE(reply) << reply.error().ToString();
  EXPECT_EQ((*reply)["who"], "cached");
}

TEST_F(EdgeTest, HeadersThatNeverFinishAreCutOffAtTheDeadline) {
  Start({.threads = 2, .header_timeout = 1s});
  RawConnection c(port_);
  ASSERT_TRUE(c.Send("GET /api/hello HTTP/1.1\r\nHost: x\r\n"));
  std::string got;
  // One byte every 200 ms: each read alone is quick, the whole request is not.
  for (int i = 0; i < 15 && !c.closed(); ++i) {
    c.Send("X");
    got += c.ReadAll(200ms);
  }
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(StatusLine(got), "HTTP/1.1 408 Request Timeout");
}

TEST_F(EdgeTest, BodiesThatNeverFinishAreCutOffAtTheRequestDeadline) {
  Start({.threads = 2, .request_timeout = 1s});
  RawConnection c(port_);
  ASSERT_TRUE(
      c.Send("POST /api/json HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Y2FjaGVkOnB3\r\n"
             "Content-Length: 100\r\n\r\n{"));
  std::string got = c.ReadAll(3s);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(StatusLine(got), "HTTP/1.1 408 Request Timeout");
}

TEST_F(EdgeTest, IdleKeepAliveConnectionsAreClosed) {
  Start({.threads = 2, .idle_timeout = 1s});
  RawConnection c(port_);
  ASSERT_TRUE(
      c.Send("GET /api/hello HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Y2FjaGVkOnB3\r\n\r\n"));
  std::string got = c.ReadAll(3s);
  EXPECT_EQ(StatusLine(got), "HTTP/1.1 200 OK");
  EXPECT_TRUE(c.closed());
}

TEST_F(EdgeTest, TooManyHeadersOrTooLargeHeadersAre431) {
  Start({.threads = 2, .max_header_bytes = 4096, .max_header_count = 20});
  {
    RawConnection c(port_);
    std::string req = "GET /api/hello HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 30; ++i) req += "X-" + std::to_string(i) + ": 1\r\n";
    ASSERT_TRUE(c.Send(req + "\r\n"));
    EXPECT_EQ(StatusLine(c.ReadAll(2s)), "HTTP/1.1 431 Request Header Fields Too Large");
  }
  {
    // A flood of small headers: answered as soon as the limit is passed, and the rest never
    // read (the server closes the connection).
    RawConnection c(port_);
    ASSERT_TRUE(c.Send("GET /api/hello HTTP/1.1\r\nHost: x\r\n"));
    bool refused = false;
    for (int i = 0; i < 100000 && !refused; ++i) refused = !c.Send("X-Flood: 1\r\nX-Flood: 2\r\n");
    std::string got = c.ReadAll(2s);
    EXPECT_TRUE(refused || c.closed());
    if (!got.empty()) {
      EXPECT_EQ(StatusLine(got), "HTTP/1.1 431 Request Header Fields Too Large");
    }
  }
  auto ok = As("cached", "pw").Get("/api/hello");
  EXPECT_TRUE(ok);
}

TEST_F(EdgeTest, ConnectionsPerClientAreBoundedAndOthersStillServed) {
  Start({.threads = 2, .max_connections_per_client = 4});
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawConnection>(port_, "127.0.0.3"));
    ASSERT_TRUE(held.back()->connected());
  }
  std::this_thread::sleep_for(100ms);  // let the server count them
  RawConnection fifth(port_, "127.0.0.3");
  std::string got = fifth.ReadAll(2s);
  EXPECT_EQ(StatusLine(got), "HTTP/1.1 503 Service Unavailable");
  EXPECT_TRUE(fifth.closed());
  EXPECT_TRUE(As("cached", "pw").Get("/api/hello"));
}

TEST_F(EdgeTest, UnauthenticatedBodiesAreNotRead) {
  Start({.threads = 2});
  RawConnection c(port_);
  ASSERT_TRUE(c.Send("POST /api/json HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"));
  // The 401 comes at once; the connection is closed after a short lingering wait for the body
  // the client may still be sending, which is discarded, never kept.
  std::string got = c.ReadAll(4s);
  EXPECT_EQ(StatusLine(got), "HTTP/1.1 401 Unauthorized");
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.closed());
}

TEST_F(EdgeTest, ExpectContinueIsAnsweredForSignedInCallers) {
  Start({.threads = 2});
  RawConnection c(port_);
  ASSERT_TRUE(
      c.Send("POST /api/json HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Y2FjaGVkOnB3\r\n"
             "Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(StatusLine(c.ReadAll(500ms)), "HTTP/1.1 100 Continue");
  ASSERT_TRUE(c.Send("{}"));
  EXPECT_EQ(StatusLine(c.ReadAll(1s)), "HTTP/1.1 200 OK");
}

TEST_F(EdgeTest, PasswordGuessingIsThrottledAndSignedInUsersAreNot) {
  ServerOptions o{.threads = 4, .max_concurrent_verifications = 2};
  o.sign_in = {.free_failures = 3, .first_delay = 10ms, .max_delay = 50ms, .first_lockout = 30s};
  Start(std::move(o), 50ms);
  // Guessers on 16 threads: at most two checks run at once, whatever they do.
  std::atomic<int> too_many{0}, unauthorized{0};
  std::vector<std::thread> guessers;
  guessers.reserve(16);
  for (int i = 0; i < 16; ++i) {
    guessers.emplace_back([&, i] {
      auto c = As("admin", "guess" + std::to_string(i), 10s, "127.0.0.4");
      for (int k = 0; k < 5; ++k) {
        auto r = c.Send("GET", "/api/hello", "");
        if (r && r->status == 429) {
          ++too_many;
          EXPECT_FALSE(r->Header("Retry-After").empty());
        }
        if (r && r->status == 401) ++unauthorized;
      }
    });
  }
  // Meanwhile a signed-in user (cached credentials) is answered at once.
  for (int i = 0; i < 20; ++i) {
    auto r = As("cached", "pw", 1s).Get("/api/hello");
    ASSERT_TRUE(r) << r.error().ToString();
  }
  for (auto& t : guessers) t.join();
  EXPECT_LE(users_->max_running.load(), 2);
  EXPECT_GT(too_many.load(), 0);
  // Once locked out, a login is refused without its password being checked: of 80 guesses,
  // only the first few reached the directory.
  EXPECT_LE(users_->calls.load(), 3 + 16);
  // The right password is refused too while the login is locked out...
  auto locked = As("admin", "pw").Send("GET", "/api/hello", "");
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 429);
  // ...but another address with another login is not.
  auto other = As("nobody", "x", 5s, "127.0.0.5").Send("GET", "/api/hello", "");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 401);
}

TEST_F(EdgeTest, DeepJsonIsRefusedNamingTheLimit) {
  Start({.threads = 2});
  std::string deep(100000, '[');
  auto r = As("cached", "pw").Send("POST", "/api/json", deep);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body["error"]["message"].get<std::string>().find("64"), std::string::npos);
  std::string ok = "{\"a\":" + std::string(60, '[') + std::string(60, ']') + "}";
  auto fine = As("cached", "pw").Send("POST", "/api/json", ok);
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->status, 200);
}

TEST_F(EdgeTest, EveryForwardedForLineIsSeenInOrder) {
  std::atomic<bool> seen{false};
  std::string joined;
  std::mutex mu;
  Start({.threads = 2,
         .admission = [&](const std::string&, const std::string& xff) -> std::optional<Response> {
           std::lock_guard l(mu);
           joined = xff;
           seen = true;
           return std::nullopt;
         }});
  RawConnection c(port_);
  ASSERT_TRUE(
      c.Send("GET /api/hello HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Y2FjaGVkOnB3\r\n"
             "X-Forwarded-For: 10.9.9.9\r\nX-Forwarded-For: 192.0.2.7\r\n\r\n"));
  std::string got = c.ReadAll(1s);
  EXPECT_EQ(StatusLine(got), "HTTP/1.1 200 OK");
  std::lock_guard l(mu);
  EXPECT_EQ(joined, "10.9.9.9, 192.0.2.7");
  // A local address sent X-Forwarded-For without being a trusted proxy: noticed.
  EXPECT_EQ(server_->Warnings().untrusted_local_proxy, "127.0.0.1");
}

TEST(SignInThrottleTest, DelaysGrowThenLocksOutAndForgets) {
  SignInThrottle t({.free_failures = 3,
                    .first_delay = 100ms,
                    .max_delay = 250ms,
                    .first_lockout = 2s,
                    .max_lockout = 5s,
                    .forget_after = 60s});
  auto now = SignInThrottle::Clock::now();
  EXPECT_EQ(t.Failed("bob", "10.0.0.1", now).delay, 100ms);
  EXPECT_EQ(t.Failed("bob", "10.0.0.1", now).delay, 200ms);
  EXPECT_EQ(t.Failed("bob", "10.0.0.1", now).delay, 250ms);
  EXPECT_FALSE(t.LockedOut("bob", "10.0.0.1", now));
  auto v = t.Failed("bob", "10.0.0.1", now);
  ASSERT_TRUE(v.lockout);
  EXPECT_EQ(*v.lockout, 2s);
  EXPECT_EQ(t.LockedOut("bob", "10.0.0.2", now), 2s);    // the login, from anywhere
  EXPECT_EQ(t.LockedOut("carol", "10.0.0.1", now), 2s);  // the address, for any login
  EXPECT_FALSE(t.LockedOut("carol", "10.0.0.2", now));
  EXPECT_FALSE(t.LockedOut("bob", "10.0.0.1", now + 3s));
  EXPECT_EQ(*t.Failed("bob", "10.0.0.1", now + 3s).lockout, 4s);
  EXPECT_EQ(*t.Failed("bob", "10.0.0.1", now + 8s).lockout, 5s);  // capped
  // A success forgets the login, not the address.
  t.Succeeded("bob");
  EXPECT_FALSE(t.LockedOut("bob", "10.0.0.9", now + 8s));
  EXPECT_TRUE(t.LockedOut("dave", "10.0.0.1", now + 8s));
  // Long after the last failure, nothing is remembered.
  EXPECT_FALSE(t.LockedOut("dave", "10.0.0.1", now + 200s));
  EXPECT_EQ(t.Failed("erin", "10.0.0.1", now + 200s).delay, 100ms);
}

TEST(ParseJsonTest, DepthIsLimitedWhileParsing) {
  std::string at_limit = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJson(at_limit));
  std::string over = "[" + at_limit + "]";
  auto r = ParseJson(over);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "body");
  EXPECT_NE(r.error().message.find(std::to_string(kMaxJsonDepth)), std::string::npos);
  EXPECT_FALSE(ParseJson("{\"a\": }"));
  EXPECT_FALSE(ParseJson("[1] [2]"));
}

}  // namespace
}  // namespace concord::http
