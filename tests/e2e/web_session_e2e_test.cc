// The web pages' sessions against real processes (docs/adr/0020-web-pages.md): the cookie's
// attributes, the CSRF token on every change, sign-out and disabling ending a session at once,
// in Communities' process and in an application's process of its own; the public routes serve
// the pages and nothing else; and the directory's search.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "concord/http/client.h"
#include "concord/testing/process.h"

namespace concord {
namespace {

using nlohmann::json;
using testing::ConcordServer;
using testing::TempDir;
namespace fs = std::filesystem;

// A signed-in page: its cookie ("concord_session=...") and CSRF token.
struct PageSession {
  std::string cookie;
  std::string csrf;
  std::string set_cookie;  // the whole Set-Cookie header
};

PageSession SignIn(const std::string& url, const std::string& login, const std::string& password,
                   const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  http::Client c({.url = url, .user = login, .password = password});
  auto r = c.Send("POST", "/communities/api/session", "", true, headers);
  EXPECT_TRUE(r && r->status == 201) << (r ? r->raw_body : r.error().ToString());
  if (!r || r->status != 201) return {};
  PageSession s;
  s.set_cookie = r->Header("Set-Cookie");
  s.cookie = s.set_cookie.substr(0, s.set_cookie.find(';'));
  s.csrf = r->body.value("csrfToken", "");
  return s;
}

// A request as the pages make it: the cookie, and the CSRF token unless `csrf` is false.
http::ClientReply AsPage(const std::string& url, const PageSession& s, const std::string& method,
                         const std::string& path, const std::string& body = "", bool csrf = true) {
  http::Client c({.url = url});
  std::vector<std::pair<std::string, std::string>> headers = {{"Cookie", s.cookie},
                                                              {"X-Requested-With", "concord-web"}};
  if (csrf) headers.emplace_back("X-CSRF-Token", s.csrf);
  auto r = c.Send(method, path, body, false, headers);
  EXPECT_TRUE(r) << r.error().ToString();
  return r ? *r : http::ClientReply{};
}

void CreateUser(http::Client& admin, const std::string& login) {
  auto r = admin.Post("/communities/api/users", {{"login", login},
                                                 {"email", login + "@example.com"},
                                                 {"displayName", login},
                                                 {"password", "pw-" + login + "-123"}});
  ASSERT_TRUE(r) << r.error().ToString();
}

class WebSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Blogs runs in a process of its own: it asks Communities whose a cookie is, and hears of
    // a sign-out at once (Communities tells the processes it delivers to).
    blogs_port_ = testing::FreePort();
    communities_port_ = testing::FreePort();
    std::string blogs = "http://127.0.0.1:" + std::to_string(blogs_port_);
    std::ofstream(communities_dir_.path() / "concord.toml")
        << "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n[lifecycle.handlers]\nBlog = \"" << blogs
        << "/blogs/api/lifecycle/Blog\"\nIdeationBlog = \"" << blogs
        << "/blogs/api/lifecycle/IdeationBlog\"\n";
    std::ofstream(blogs_dir_.path() / "concord.toml")
        << "[services]\ncommunities_url = \"http://127.0.0.1:" << communities_port_ << "\"\n";
    communities_ = std::make_unique<ConcordServer>(
        communities_dir_.path(),
        std::vector<std::string>{"--services",
                                 "communities,forums,wikis,news,libraries,activities,files"},
        "127.0.0.1:" + std::to_string(communities_port_));
    blogs_ = std::make_unique<ConcordServer>(blogs_dir_.path(),
                                             std::vector<std::string>{"--services", "blogs"},
                                             "127.0.0.1:" + std::to_string(blogs_port_));
    ASSERT_TRUE(communities_->Start());
    ASSERT_TRUE(blogs_->Start());
    admin_ = std::make_unique<http::Client>(communities_->AdminClient());
    for (const char* login : {"kim", "lee"}) ASSERT_NO_FATAL_FAILURE(CreateUser(*admin_, login));
  }

  const std::string& url() const { return communities_->url(); }

  TempDir communities_dir_{"web-communities"};
  TempDir blogs_dir_{"web-blogs"};
  int communities_port_ = 0, blogs_port_ = 0;
  std::unique_ptr<ConcordServer> communities_, blogs_;
  std::unique_ptr<http::Client> admin_;
};

TEST_F(WebSessionTest, TheCookieSignsInChangesNeedTheTokenAndSignOutEndsItEverywhere) {
  PageSession kim = SignIn(url(), "kim", "pw-kim-123");
  ASSERT_FALSE(kim.cookie.empty());
  // HttpOnly, SameSite=Strict, the whole site; not Secure over plain HTTP.
  for (const char* attribute : {"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="}) {
    EXPECT_NE(kim.set_cookie.find(attribute), std::string::npos) << kim.set_cookie;
  }
  EXPECT_EQ(kim.set_cookie.find("Secure"), std::string::npos) << kim.set_cookie;
  // Behind a trusted proxy that says the client came over TLS: Secure.
  PageSession tls = SignIn(url(), "kim", "pw-kim-123", {{"X-Forwarded-Proto", "https"}});
  EXPECT_NE(tls.set_cookie.find("; Secure"), std::string::npos) << tls.set_cookie;

  auto me = AsPage(url(), kim, "GET", "/communities/api/session");
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(me.body["user"]["login"], "kim");
  EXPECT_EQ(me.body["csrfToken"], kim.csrf);

  // A change: refused without the token (and with another session's), done with it.
  std::string body = R"({"name":"Made by a page"})";
  EXPECT_EQ(AsPage(url(), kim, "POST", "/communities/api/communities", body, false).status, 403);
  PageSession forged = kim;
  forged.csrf = tls.csrf;
  EXPECT_EQ(AsPage(url(), forged, "POST", "/communities/api/communities", body).status, 403);
  auto mine = admin_->Get("/communities/api/communities?member=kim");
  ASSERT_TRUE(mine);
  EXPECT_TRUE((*mine)["items"].empty()) << "a refused change changed something";
  auto made = AsPage(url(), kim, "POST", "/communities/api/communities", body);
  EXPECT_EQ(made.status, 201) << made.raw_body;

  // The application in its own process takes the cookie (a signed-in caller learns that there
  // is no such blog: 404, not 401), and refuses it as soon as kim signs out.
  EXPECT_EQ(AsPage(blogs_->url(), kim, "GET", "/blogs/api/blogs/none").status, 404);
  EXPECT_EQ(AsPage(url(), kim, "DELETE", "/communities/api/session").status, 204);
  EXPECT_EQ(AsPage(url(), kim, "GET", "/communities/api/session").status, 401);
  int at_blogs = 0;
  for (int i = 0; i < 20 && at_blogs != 401; ++i) {
    at_blogs = AsPage(blogs_->url(), kim, "GET", "/blogs/api/blogs/none").status;
    if (at_blogs != 401) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(at_blogs, 401) << "Blogs still takes a signed-out session";
  // The other session is untouched.
  EXPECT_EQ(AsPage(url(), tls, "GET", "/communities/api/session").status, 200);
}

TEST_F(WebSessionTest, DisablingAUserEndsTheirSessionsAtOnce) {
  PageSession lee = SignIn(url(), "lee", "pw-lee-123");
  EXPECT_EQ(AsPage(blogs_->url(), lee, "GET", "/blogs/api/blogs/none").status, 404);
  ASSERT_TRUE(admin_->Post("/communities/api/users/lee/disable", json::object()));
  EXPECT_EQ(AsPage(url(), lee, "GET", "/communities/api/session").status, 401);
  int at_blogs = 0;
  for (int i = 0; i < 20 && at_blogs != 401; ++i) {
    at_blogs = AsPage(blogs_->url(), lee, "GET", "/blogs/api/blogs/none").status;
    if (at_blogs != 401) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(at_blogs, 401);
  // Enabled again, the old session stays ended: sign in anew.
  ASSERT_TRUE(admin_->Post("/communities/api/users/lee/enable", json::object()));
  EXPECT_EQ(AsPage(url(), lee, "GET", "/communities/api/session").status, 401);
}

TEST_F(WebSessionTest, PublicRoutesServeThePagesOnlyAndPagesGetNoBasicChallenge) {
  http::Client anonymous({.url = url()});
  auto page = anonymous.Send("GET", "/", "", false);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->Header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_EQ(page->Header("WWW-Authenticate"), "");
  for (const char* header : {"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                             "X-Frame-Options"}) {
    EXPECT_NE(page->Header(header), "") << header;
  }
  EXPECT_NE(page->Header("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  // The API keeps asking scripts for Basic credentials; the pages' requests are not asked.
  auto api = anonymous.Send("GET", "/communities/api/communities", "", false);
  EXPECT_EQ(api->status, 401);
  EXPECT_NE(api->Header("WWW-Authenticate").find("Basic"), std::string::npos);
  auto from_page = anonymous.Send("GET", "/communities/api/communities", "", false,
                                  {{"X-Requested-With", "concord-web"}});
  EXPECT_EQ(from_page->status, 401);
  EXPECT_EQ(from_page->Header("WWW-Authenticate"), "");
  auto bad_cookie = anonymous.Send("GET", "/communities/api/communities", "", false,
                                   {{"Cookie", "concord_session=forged-token"}});
  EXPECT_EQ(bad_cookie->status, 401);
  // Nothing but the built assets: no other file, no way out of the folder, no data.
  for (const char* path :
       {"/ui/assets/nothing-here.js", "/ui/assets/..%2F..%2Fconcord.toml", "/ui/assets/",
        "/ui/index.html", "/admin.credentials", "/communities.db"}) {
    auto r = anonymous.Send("GET", path, "", false);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 404 || r->status == 401) << path << ": " << r->status;
  }
  // An application's process serves no pages of its own.
  http::Client at_blogs({.url = blogs_->url()});
  EXPECT_EQ(at_blogs.Send("GET", "/", "", false)->status, 401);
}

TEST_F(WebSessionTest, TheDirectorySearchesByNameAndTagAndNeverShowsWhatTheCallerMayNotSee) {
  auto owner = communities_->Client("kim", "pw-kim-123");
  for (const auto& [name, visibility, tags, listed] :
       std::vector<std::tuple<std::string, std::string, std::vector<std::string>, bool>>{
           {"Garden Club", "public", {"plants", "outdoor"}, false},
           {"Secret Garden", "private", {"plants"}, false},
           {"Listed Garden", "private", {"plants"}, true},
           {"100% Growth", "publicInviteOnly", {"finance_team"}, false}}) {
    ASSERT_TRUE(owner.Post(
        "/communities/api/communities",
        {{"name", name}, {"visibility", visibility}, {"tags", tags}, {"listWhenPrivate", listed}}));
  }
  auto names = [](http::Client& c, const std::string& query) {
    std::set<std::string> out;
    auto page = c.Get("/communities/api/communities?" + query);
    EXPECT_TRUE(page) << query << ": " << page.error().ToString();
    if (page) {
      for (const auto& c : (*page)["items"]) out.insert(c["name"].get<std::string>());
    }
    return out;
  };
  auto lee = communities_->Client("lee", "pw-lee-123");
  EXPECT_EQ(names(lee, "q=GARDEN"), (std::set<std::string>{"Garden Club", "Listed Garden"}));
  EXPECT_EQ(names(owner, "q=garden"),
            (std::set<std::string>{"Garden Club", "Secret Garden", "Listed Garden"}));
  EXPECT_EQ(names(lee, "tag=plants"), (std::set<std::string>{"Garden Club", "Listed Garden"}));
  EXPECT_EQ(names(lee, "tag=plants&q=club"), (std::set<std::string>{"Garden Club"}));
  EXPECT_EQ(names(lee, "tag=plant"), (std::set<std::string>{}));  // a whole tag, not a part
  // LIKE's own characters are only themselves.
  EXPECT_EQ(names(lee, "q=100%25"), (std::set<std::string>{"100% Growth"}));
  EXPECT_EQ(names(lee, "q=%25"), (std::set<std::string>{"100% Growth"}));
  EXPECT_EQ(names(lee, "tag=finance_team"), (std::set<std::string>{"100% Growth"}));
  EXPECT_EQ(names(lee, "tag=finance%25team"), (std::set<std::string>{}));
  auto too_long = lee.Send("GET", "/communities/api/communities?q=" + std::string(201, 'x'), "");
  EXPECT_EQ(too_long->status, 400);
}

TEST_F(WebSessionTest, MetricsAreForAdministratorsAndTheScraperOnly) {
  fs::path token_file = communities_dir_.path() / "metrics.token";
  ASSERT_TRUE(fs::exists(token_file));
  EXPECT_EQ(fs::status(token_file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  std::ifstream in(token_file);
  std::string token;
  std::getline(in, token);
  ASSERT_GE(token.size(), 16u);
  // A failed sign-in, and two deliveries to Blogs in another process (the community's creation
  // and its Blog widget), to be counted.
  http::Client wrong({.url = url(), .user = "kim", .password = "not-her-password"});
  EXPECT_EQ(wrong.Send("GET", "/communities/api/users/me", "")->status, 401);
  auto kim = communities_->Client("kim", "pw-kim-123");
  auto c = kim.Post("/communities/api/communities", {{"name", "Counted"}});
  ASSERT_TRUE(c);
  ASSERT_TRUE(
      kim.Post("/communities/api/communities/" + (*c)["uuid"].get<std::string>() + "/widgets",
               {{"widgetDefId", "Blog"}}));
  ASSERT_TRUE(testing::WaitForEmptyQueue(*admin_));

  http::Client anonymous({.url = url()});
  auto scraped =
      anonymous.Send("GET", "/metrics", "", false, {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(scraped);
  EXPECT_EQ(scraped->status, 200);
  EXPECT_NE(scraped->Header("Content-Type").find("text/plain; version=0.0.4"), std::string::npos);
  const std::string& text = scraped->raw_body;
  const std::string created =
      R"(concord_http_requests_total{route="/communities/api/communities",method="POST",)"
      R"(status="201"} 1)";
  for (const std::string& line :
       {std::string("# TYPE concord_http_requests_total counter"), created,
        std::string("# TYPE concord_http_request_duration_seconds histogram"),
        std::string("concord_sign_in_failures_total 1"),
        std::string("concord_lifecycle_deliveries_total{app=\"Blog\"} 2"),
        std::string("concord_lifecycle_queue_queued{app=\"Blog\"} 0")}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  // Administrators may read them; other users may not; a wrong token is no token; the token
  // opens nothing else.
  EXPECT_EQ(admin_->Send("GET", "/metrics", "")->status, 200);
  EXPECT_EQ(kim.Send("GET", "/metrics", "")->status, 403);
  EXPECT_EQ(
      anonymous.Send("GET", "/metrics", "", false, {{"Authorization", "Bearer wrong"}})->status,
      401);
  EXPECT_EQ(anonymous
                .Send("GET", "/communities/api/communities", "", false,
                      {{"Authorization", "Bearer " + token}})
                ->status,
            401);
}

TEST_F(WebSessionTest, GuessedCookiesForeignWritesAndOddRequestsAreRefusedCheaply) {
  // A cookie no session could have: refused, and a guesser from one address is slowed, then
  // locked out (429), like a password guesser.
  int last = 0;
  for (int i = 0; i < 12 && last != 429; ++i) {
    http::Client guesser({.url = url(), .source_address = "127.0.0.7"});
    auto r = guesser.Send(
        "GET", "/communities/api/communities", "", false,
        {{"Cookie", "concord_session=" + std::string(43, static_cast<char>('a' + i % 26))}});
    ASSERT_TRUE(r);
    last = r->status;
    EXPECT_TRUE(last == 401 || last == 429) << last;
  }
  EXPECT_EQ(last, 429) << "guessing sessions is not throttled";
  // Others are not locked out by that guesser.
  PageSession kim = SignIn(url(), "kim", "pw-kim-123");
  EXPECT_EQ(AsPage(url(), kim, "GET", "/communities/api/session").status, 200);

  // The cookie twice (one planted by a sibling site): neither is used.
  http::Client c({.url = url()});
  auto twice = c.Send("GET", "/communities/api/session", "", false,
                      {{"Cookie", kim.cookie + "; " + kim.cookie}});
  EXPECT_EQ(twice->status, 400);

  // A change another site's page makes the browser send is refused, even with Basic.
  auto kim_basic = communities_->Client("kim", "pw-kim-123");
  auto foreign = kim_basic.Send("POST", "/communities/api/communities", R"({"name":"Forged"})",
                                true, {{"Sec-Fetch-Site", "cross-site"}});
  EXPECT_EQ(foreign->status, 403);
  auto own = kim_basic.Send("POST", "/communities/api/communities", R"({"name":"Own"})", true,
                            {{"Sec-Fetch-Site", "same-origin"}});
  EXPECT_EQ(own->status, 201);
  // A browser opening an API address is not asked for a password.
  auto opened =
      c.Send("GET", "/communities/api/communities", "", false, {{"Sec-Fetch-Mode", "navigate"}});
  EXPECT_EQ(opened->status, 401);
  EXPECT_EQ(opened->Header("WWW-Authenticate"), "");

  // A session does not make another; signing in again ends the browser's previous session.
  auto renew = AsPage(url(), kim, "POST", "/communities/api/session");
  EXPECT_EQ(renew.status, 400) << renew.raw_body;
  http::Client again({.url = url(), .user = "kim", .password = "pw-kim-123"});
  auto fresh = again.Send("POST", "/communities/api/session", "", true, {{"Cookie", kim.cookie}});
  EXPECT_EQ(fresh->status, 201);
  EXPECT_EQ(AsPage(url(), kim, "GET", "/communities/api/session").status, 401);

  // Search terms hold no control characters.
  EXPECT_EQ(kim_basic.Send("GET", "/communities/api/communities?tag=a%0Ab", "")->status, 400);
}

}  // namespace
}  // namespace concord
