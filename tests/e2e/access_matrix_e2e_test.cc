// Who may call what, for every route of every service: the routes come from the server itself
// (GET /api/admin/routes, each with the access level it was registered with), and each is called
// by every kind of caller against every kind of community, its answer checked against what the
// level promises (http::Access; docs/security.md, "Who may call what"). A route whose path this
// test cannot fill, or whose body it does not know, fails the test: a new route is checked from
// the day it is added. The web pages' callers, signed in by a session cookie instead of HTTP
// Basic, get exactly the same answers; with the cookie but without the session's CSRF token,
// every change is refused (403).
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "concord/deployment/deployment.h"
#include "concord/http/client.h"
#include "concord/testing/process.h"

namespace concord {
namespace {

using nlohmann::json;
using testing::ConcordServer;
using testing::TempDir;

// Every remote application's widget, the service that holds its records, and (for the admin
// routes, which name an application) whether it is the one this test uses for its service.
struct App {
  std::string def;
  std::string service;
};
const std::vector<App> kApps = {{"Blog", "blogs"},
                                {"IdeationBlog", "blogs"},
                                {"Forum", "forums"},
                                {"Wiki", "wikis"},
                                {"StatusUpdates", "news"},
                                {"Library", "libraries"},
                                {"Activities", "activities"},
                                {"Files", "files"}};
const std::map<std::string, std::string> kAppOfService = {
    {"blogs", "IdeationBlog"}, {"forums", "Forum"},      {"wikis", "Wiki"},
    {"news", "StatusUpdates"}, {"libraries", "Library"}, {"activities", "Activities"},
    {"files", "Files"}};

enum class Kind { kPublic, kModerated, kRestricted, kTrashed };
const std::vector<std::pair<Kind, std::string>> kKinds = {{Kind::kPublic, "public"},
                                                          {Kind::kModerated, "moderated"},
                                                          {Kind::kRestricted, "restricted"},
                                                          {Kind::kTrashed, "trashed"}};

// What a caller gets: served (a GET 200; a write anything but 401, 403, 404 or a 5xx), or
// refused with one status.
enum class Answer { kServed, k401, k403, k404 };

// docs/security.md, "Who may call what", as a function.
Answer Expected(const std::string& access, Kind kind, const std::string& caller, bool trash_route) {
  if (access == "public") return caller == "disabled" ? Answer::k401 : Answer::kServed;
  if (caller == "anonymous" || caller == "disabled") return Answer::k401;
  bool admin = caller == "administrator" || caller == "lifecycle";
  if (access == "administrator" || access == "metrics") {
    return admin ? Answer::kServed : Answer::k403;
  }
  if (access == "signed-in") return Answer::kServed;
  if (access == "personal-owner") {
    return admin || caller == "owner" ? Answer::kServed : Answer::k404;
  }
  if (trash_route) {  // the trash's own routes: the trashed community's owners'
    return admin || caller == "owner" ? Answer::kServed : Answer::k404;
  }
  if (kind == Kind::kTrashed) return Answer::k404;
  bool member = caller == "member" || caller == "owner";
  bool reads = admin || member || kind != Kind::kRestricted;
  if (!reads) return Answer::k404;
  if (access == "community-read") return Answer::kServed;
  if (access == "community-write") return admin || member ? Answer::kServed : Answer::k403;
  if (access == "community-own") return admin || caller == "owner" ? Answer::kServed : Answer::k403;
  ADD_FAILURE() << "unknown access level '" << access << "'";
  return Answer::k403;
}

// A write's example: its body ('#' becomes a number of its own), a query to add, and whether
// the callers it allows may run it (not for what would change the fixtures under later
// requests: deleting, trashing, restoring, disabling, and administrators' operations).
struct Write {
  std::string body;
  std::string query;
  bool run_when_allowed = true;
};

const std::map<std::string, Write>& Writes() {
  static const auto* writes = new std::map<std::string, Write>{
      {"POST /communities/api/session", {""}},
      {"DELETE /communities/api/session", {"", "", false}},  // would sign the session callers out
      {"POST /communities/api/communities", {R"({"name":"Matrix #"})"}},
      {"PUT /communities/api/communities/([^/]+)", {R"({"description":"matrix #"})"}},
      {"DELETE /communities/api/communities/([^/]+)", {"", "", false}},
      {"POST /communities/api/communities/([^/]+)/subcommunities", {R"({"name":"Sub #"})"}},
      {"POST /communities/api/communities/([^/]+)/members", {R"({"user":"extra"})"}},
      {"PUT /communities/api/communities/([^/]+)/members/([^/]+)", {R"({"role":"member"})"}},
      {"DELETE /communities/api/communities/([^/]+)/members/([^/]+)", {"", "", false}},
      {"POST /communities/api/communities/([^/]+)/widgets", {R"({"widgetDefId":"Wiki"})"}},
      {"DELETE /communities/api/communities/([^/]+)/widgets/([^/]+)", {"", "", false}},
      {"POST /communities/api/trash/([^/]+)/restore", {"{}", "", false}},
      {"DELETE /communities/api/trash/([^/]+)", {"", "", false}},
      {"POST /blogs/api/blogs/([^/]+)/entries", {R"({"title":"Idea #"})"}},
      {"DELETE /blogs/api/entries/([^/]+)", {"", "", false}},
      {"POST /blogs/api/entries/([^/]+)/comments", {R"({"content":"comment #"})"}},
      {"POST /blogs/api/entries/([^/]+)/votes", {""}},
      {"POST /forums/api/communities/([^/]+)/forums", {R"({"name":"Forum #"})"}},
      {"DELETE /forums/api/forums/([^/]+)", {"", "", false}},
      {"POST /forums/api/forums/([^/]+)/topics", {R"({"title":"Topic #"})"}},
      {"DELETE /forums/api/topics/([^/]+)", {"", "", false}},
      {"POST /forums/api/topics/([^/]+)/replies", {R"({"content":"reply #"})"}},
      {"POST /wikis/api/wikis/([^/]+)/pages", {R"({"title":"Page #"})"}},
      {"PUT /wikis/api/pages/([^/]+)", {R"({"content":"version #"})"}},
      {"DELETE /wikis/api/pages/([^/]+)", {"", "", false}},
      {"POST /news/api/boards/([^/]+)/posts", {R"({"content":"update #"})"}},
      {"DELETE /news/api/posts/([^/]+)", {"", "", false}},
      {"POST /news/api/posts/([^/]+)/comments", {R"({"content":"comment #"})"}},
      {"POST /libraries/api/libraries/([^/]+)/documents", {R"({"title":"Document #"})"}},
      {"DELETE /libraries/api/documents/([^/]+)", {"", "", false}},
      {"POST /activities/api/communities/([^/]+)/activities", {R"({"title":"Activity #"})"}},
      {"POST /activities/api/activities", {R"({"title":"Mine #"})"}},
      {"DELETE /activities/api/activities/([^/]+)", {"", "", false}},
      {"POST /activities/api/activities/([^/]+)/members", {R"({"user":"extra"})"}},
      {"POST /activities/api/activities/([^/]+)/entries", {R"({"title":"To-do #"})"}},
      {"PUT /activities/api/entries/([^/]+)", {R"({"done":true})"}},
      {"POST /files/api/libraries/([^/]+)/folders", {R"({"name":"Folder #"})"}},
      {"POST /files/api/libraries/([^/]+)/files", {"content #", "?name=file-#.txt"}},
      {"DELETE /files/api/files/([^/]+)", {"", "", false}},
      {"POST /files/api/folders/([^/]+)/shares", {R"({"community":"@restricted"})"}},
      {"POST /files/api/files/([^/]+)/shares", {R"({"community":"@restricted"})"}},
  };
  return *writes;
}

// Polls until `done`, for up to 20 s.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

class AccessMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The disabled user signs in thousands of times: no lock-out, which sign_in_test checks.
    // The web pages: a stand-in of their own, whether or not this build made them.
    std::filesystem::create_directories(dir_.path() / "web-root/assets");
    std::ofstream(dir_.path() / "web-root/index.html") << "<!doctype html><title>pages</title>";
    std::ofstream(dir_.path() / "web-root/assets/app.js") << "export {};";
    std::ofstream(dir_.path() / "concord.toml")
        << "[server]\nsign_in_free_failures = 1000\nweb_root = \""
        << (dir_.path() / "web-root").string() << "\"\n";
    ASSERT_TRUE(server_.Start());
    admin_ = std::make_unique<http::Client>(server_.AdminClient());
    for (const char* login : {"own", "mem", "peer", "out", "dis", "extra"}) {
      ASSERT_TRUE(
          admin_->Post("/communities/api/users", {{"login", login},
                                                  {"email", std::string(login) + "@example.com"},
                                                  {"displayName", login},
                                                  {"password", Password(login)}}));
    }
    owner_ = std::make_unique<http::Client>(server_.Client("own", Password("own")));
    for (const auto& [kind, name] : kKinds) BuildCommunity(kind, name);
    BuildPersonal();
    ASSERT_TRUE(admin_->Post("/communities/api/users/dis/disable", json::object()));
    ASSERT_TRUE(owner_->Delete("/communities/api/communities/" + Id(Kind::kTrashed, "community")));
    for (const auto& [kind, name] : kKinds) WaitInStep(kind);
  }

  static std::string Password(const std::string& login) { return "pw-" + login + "-123"; }

  std::string& Id(Kind kind, const std::string& key) { return ids_[kind][key]; }

  // A community of `kind` with every application's widget, `mem`, `peer` and `dis` as members, and
  // content in each application.
  void BuildCommunity(Kind kind, const std::string& name) {
    std::string visibility = kind == Kind::kModerated    ? "publicInviteOnly"
                             : kind == Kind::kRestricted ? "private"
                                                         : "public";
    auto c = owner_->Post("/communities/api/communities",
                          {{"name", "Matrix " + name}, {"visibility", visibility}});
    ASSERT_TRUE(c) << c.error().ToString();
    std::string uuid = (*c)["uuid"];
    Id(kind, "community") = uuid;
    std::string path = "/communities/api/communities/" + uuid;
    for (const char* w : {"Blog", "IdeationBlog", "Wiki", "Library", "Activities"}) {
      ASSERT_TRUE(owner_->Post(path + "/widgets", {{"widgetDefId", w}}));
    }
    ASSERT_TRUE(owner_->Post(path + "/members", {{"users", {"mem", "peer", "dis"}}}));
    // Each application's resource, once its widget has one.
    std::map<std::string, std::string> resource;
    ASSERT_TRUE(Eventually([&] {
      auto widgets = owner_->Get(path + "/widgets");
      if (!widgets) return false;
      for (const auto& w : (*widgets)["items"]) {
        if (w["widgetDefId"] == "Blog") Id(kind, "widget") = w["instanceId"];
        if (w["remoteResourceId"].is_string()) resource[w["widgetDefId"]] = w["remoteResourceId"];
      }
      return resource.size() == kApps.size();
    })) << name
        << ": every widget's resource";
    Id(kind, "blog") = resource["IdeationBlog"];
    Id(kind, "forum") = resource["Forum"];
    Id(kind, "wiki") = resource["Wiki"];
    Id(kind, "board") = resource["StatusUpdates"];
    Id(kind, "library") = resource["Library"];
    Id(kind, "activity") = resource["Activities"];
    Id(kind, "file-library") = resource["Files"];
    auto created = [&](const std::string& url, const json& body, const std::string& key) {
      auto r = owner_->Post(url, body);
      ASSERT_TRUE(r) << url << ": " << r.error().ToString();
      Id(kind, key) = (*r)["id"];
    };
    created("/blogs/api/blogs/" + Id(kind, "blog") + "/entries", {{"title", "Idea"}}, "entry");
    created("/forums/api/forums/" + Id(kind, "forum") + "/topics", {{"title", "Topic"}}, "topic");
    created("/wikis/api/wikis/" + Id(kind, "wiki") + "/pages", {{"title", "Page"}}, "page");
    created("/news/api/boards/" + Id(kind, "board") + "/posts", {{"content", "Hello"}}, "post");
    created("/libraries/api/libraries/" + Id(kind, "library") + "/documents",
            {{"title", "Document"}}, "document");
    created("/activities/api/activities/" + Id(kind, "activity") + "/entries", {{"title", "To-do"}},
            "activity-entry");
    auto file = owner_->Send(
        "POST", "/files/api/libraries/" + Id(kind, "file-library") + "/files?name=a.txt", "hello");
    ASSERT_TRUE(file && file->status == 201) << (file ? file->raw_body : file.error().ToString());
    Id(kind, "file") = file->body["id"];
  }

  // The owner's own activity, file and folder, private.
  void BuildPersonal() {
    auto activity = owner_->Post("/activities/api/activities", {{"title", "Mine"}});
    ASSERT_TRUE(activity) << activity.error().ToString();
    personal_["activity"] = (*activity)["id"];
    auto library = owner_->Get("/files/api/me/library");
    ASSERT_TRUE(library) << library.error().ToString();
    std::string lib = (*library)["id"];
    auto folder = owner_->Post("/files/api/libraries/" + lib + "/folders", {{"name", "Mine"}});
    ASSERT_TRUE(folder) << folder.error().ToString();
    personal_["folder"] = (*folder)["id"];
    auto file = owner_->Send("POST", "/files/api/libraries/" + lib + "/files?name=mine.txt", "x");
    ASSERT_TRUE(file && file->status == 201) << (file ? file->raw_body : file.error().ToString());
    personal_["file"] = file->body["id"];
  }

  // Every application holds the community's current state (the trash's too).
  void WaitInStep(Kind kind) {
    std::string uuid = Id(kind, "community");
    for (const auto& app : kApps) {
      EXPECT_TRUE(Eventually([&] {
        auto record = admin_->Get("/" + app.service + "/api/synced/" + app.def + "/" + uuid);
        return record && (*record)["inTrash"] == (kind == Kind::kTrashed) &&
               (*record)["members"].size() == 3u;
      })) << app.def
          << " never caught up with community " << uuid;
    }
  }

  // The path for a route's pattern, its captures filled with this test's fixtures; nullopt if
  // a capture is one it does not know.
  std::optional<std::string> Fill(const std::string& pattern, Kind kind) {
    // Split at each '/' outside parentheses: "([^/]+)" is one part.
    std::vector<std::string> parts(1);
    int depth = 0;
    for (size_t i = 1; i < pattern.size(); ++i) {
      char ch = pattern[i];
      if (ch == '(') ++depth;
      if (ch == ')') --depth;
      if (ch == '/' && depth == 0) {
        parts.emplace_back();
      } else {
        parts.back() += ch;
      }
    }
    const std::string service = parts.empty() ? "" : parts[0];
    std::string path;
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string part = parts[i];
      if (part.starts_with("(") && part.find('[') == std::string::npos) {
        part = part.substr(1, part.find_first_of("|)") - 1);  // (pause|resume|run): pause
      } else if (part.starts_with("(")) {
        std::string before = i > 0 ? parts[i - 1] : "";
        auto value = Capture(pattern, service, before, kind);
        if (!value) return std::nullopt;
        part = *value;
      }
      path += "/" + part;
    }
    return path;
  }

  std::optional<std::string> Capture(const std::string& pattern, const std::string& service,
                                     const std::string& before, Kind kind) {
    if (before == "sync-reports") return report_id_;  // a report made before the walk
    if (before == "recovery-runs") return std::string("matrix-run");  // written before the walk
    if (before == "files" && pattern.find("/sync-reports/") != std::string::npos) {
      return std::string("Blog_communityDifferences.json");
    }
    if (before == "assets") return std::string("app.js");  // the stand-in pages' (SetUp)
    if (before.starts_with("(")) {  // the second of two: synced/<app>/<community>, resources/..
      if (pattern.find("/synced/") != std::string::npos) return Id(kind, "community");
      if (pattern.find("/admin/resources/") != std::string::npos) {
        return kAppOfService.count(service) ? ResourceOfService(service, kind) : std::nullopt;
      }
      return std::nullopt;
    }
    if (before == "export" || before == "resources" || before == "synced" ||
        before == "lifecycle" || before == "applied" ||
        (service == "communities" && before == "sync")) {
      auto app = kAppOfService.find(service == "communities" ? "forums" : service);
      return app->second;
    }
    if (service == "api" && before == "services") return std::string("blogs");
    if (service == "communities") {
      if (before == "communities" || before == "trash") {
        return Id(before == "trash" ? Kind::kTrashed : kind, "community");
      }
      // Another member: a member may leave (DELETE .../members/<self>), and that is not this
      // route's rule for others.
      if (before == "members" || before == "users") return std::string("peer");
      if (before == "widgets") return Id(kind, "widget");
      if (before == "tasks") return std::string("LifecycleRetryQueuedEvents");
    }
    if (pattern == "/activities/api/activities/([^/]+)/members") return personal_["activity"];
    if (pattern == "/files/api/folders/([^/]+)/shares") return personal_["folder"];
    if (pattern == "/files/api/files/([^/]+)/shares") return personal_["file"];
    static const std::map<std::string, std::string> keys = {
        {"blogs/blogs", "blog"},
        {"blogs/entries", "entry"},
        {"forums/communities", "community"},
        {"forums/forums", "forum"},
        {"forums/topics", "topic"},
        {"wikis/wikis", "wiki"},
        {"wikis/pages", "page"},
        {"news/boards", "board"},
        {"news/posts", "post"},
        {"libraries/libraries", "library"},
        {"libraries/documents", "document"},
        {"activities/communities", "community"},
        {"activities/activities", "activity"},
        {"activities/entries", "activity-entry"},
        {"files/libraries", "file-library"},
        {"files/files", "file"}};
    auto key = keys.find(service + "/" + before);
    if (key == keys.end()) return std::nullopt;
    return Id(kind, key->second);
  }

  std::optional<std::string> ResourceOfService(const std::string& service, Kind kind) {
    static const std::map<std::string, std::string> keys = {
        {"blogs", "blog"},        {"forums", "forum"},      {"wikis", "wiki"},
        {"news", "board"},        {"libraries", "library"}, {"activities", "activity"},
        {"files", "file-library"}};
    auto key = keys.find(service);
    if (key == keys.end()) return std::nullopt;
    return Id(kind, key->second);
  }

  std::string Body(const Write& w, int n) {
    std::string s = w.body;
    for (size_t at; (at = s.find('#')) != std::string::npos;) s.replace(at, 1, std::to_string(n));
    for (size_t at; (at = s.find("@restricted")) != std::string::npos;) {
      s.replace(at, 11, Id(Kind::kRestricted, "community"));
    }
    return s;
  }

  TempDir dir_{"access-matrix"};
  ConcordServer server_{dir_.path()};
  std::unique_ptr<http::Client> admin_, owner_;
  std::string report_id_;  // a synchronization report, for its routes
  std::map<Kind, std::map<std::string, std::string>> ids_;
  std::map<std::string, std::string> personal_;
};

TEST_F(AccessMatrixTest, EveryRouteAnswersEveryCallerAsItsAccessLevelSays) {
  auto report = admin_->Post("/communities/api/admin/sync-reports", {{"remoteAppDefId", "Blog"}});
  ASSERT_TRUE(report) << report.error().ToString();
  report_id_ = (*report)["id"];
  for (int i = 0; i < 600; ++i) {  // made in the background
    auto made = admin_->Get("/communities/api/admin/sync-reports/" + report_id_);
    ASSERT_TRUE(made) << made.error().ToString();
    if ((*made)["state"] != "running") {
      ASSERT_EQ((*made)["state"], "done") << made->dump();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::filesystem::create_directories(dir_.path() / "recovery/matrix-run");
  std::ofstream(dir_.path() / "recovery/matrix-run/recover-state.json")
      << R"({"restored": ["forums"], "orphans": "report", "completed": []})";
  auto routes = admin_->Get("/api/admin/routes");
  ASSERT_TRUE(routes) << routes.error().ToString();
  ASSERT_GT((*routes)["items"].size(), 100u);

  auto lifecycle =
      deployment::ReadCredentials(deployment::DataDir{dir_.path()}.LifecycleCredentials());
  ASSERT_TRUE(lifecycle) << lifecycle.error().ToString();
  struct Caller {
    std::string name;  // whose answers it gets (Expected)
    std::string shown;
    http::Client client;
    std::vector<std::pair<std::string, std::string>> headers;  // a session's, if any
    bool basic = true;
    bool without_csrf = false;
  };
  std::vector<Caller> callers;
  auto basic = [&](const std::string& name, http::Client client) {
    callers.push_back({name, name, std::move(client), {}, name != "anonymous", false});
  };
  // The pages' callers, each right after its Basic twin (a write one runs can change what the
  // next may see, as the owner's share of a file does): signed in once (POST
  // /communities/api/session), then by the cookie.
  auto with_session = [&](const std::string& name, const std::string& login) {
    auto signer = login == "admin" ? server_.AdminClient() : server_.Client(login, Password(login));
    auto signed_in = signer.Send("POST", "/communities/api/session", "");
    ASSERT_TRUE(signed_in && signed_in->status == 201)
        << (signed_in ? signed_in->raw_body : signed_in.error().ToString());
    std::string cookie = signed_in->Header("Set-Cookie");
    cookie = cookie.substr(0, cookie.find(';'));
    std::string csrf = signed_in->body["csrfToken"];
    callers.push_back({name,
                       name + " (session)",
                       server_.Client("", ""),
                       {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"X-Requested-With", "web"}},
                       false,
                       false});
    if (name == "member") {
      callers.push_back({name,
                         name + " (session, no CSRF token)",
                         server_.Client("", ""),
                         {{"Cookie", cookie}, {"X-Requested-With", "web"}},
                         false,
                         true});
    }
  };
  basic("anonymous", server_.Client("anonymous", "none"));
  basic("disabled", server_.Client("dis", Password("dis")));
  basic("non-member", server_.Client("out", Password("out")));
  ASSERT_NO_FATAL_FAILURE(with_session("non-member", "out"));
  basic("member", server_.Client("mem", Password("mem")));
  ASSERT_NO_FATAL_FAILURE(with_session("member", "mem"));
  basic("owner", server_.Client("own", Password("own")));
  ASSERT_NO_FATAL_FAILURE(with_session("owner", "own"));
  basic("administrator", server_.AdminClient());
  ASSERT_NO_FATAL_FAILURE(with_session("administrator", "admin"));
  basic("lifecycle", server_.Client(lifecycle->user, lifecycle->password));

  struct Call {
    std::string name, method, url, body;
  };
  std::vector<Call> disabled;
  int n = 0, checked = 0, not_run = 0;
  std::set<std::string> levels;
  for (const auto& route : (*routes)["items"]) {
    const std::string method = route["method"], pattern = route["pattern"],
                      access = route["access"];
    const std::string name = method + " " + pattern;
    levels.insert(access);
    const bool community = access.starts_with("community-");
    const bool trash_route = pattern.starts_with("/communities/api/trash/(");
    const Write* write = nullptr;
    if (method != "GET") {
      auto w = Writes().find(name);
      if (w != Writes().end()) {
        write = &w->second;
      } else if (access != "administrator") {
        ADD_FAILURE() << name << " (" << access
                      << "): this test has no example body for it; add one to Writes()";
        continue;
      }
    }
    std::vector<Kind> kinds = {Kind::kPublic};
    if (community && !trash_route) {
      kinds = {Kind::kPublic, Kind::kModerated, Kind::kRestricted, Kind::kTrashed};
    }
    for (Kind kind : kinds) {
      auto path = Fill(pattern, kind);
      if (!path) {
        ADD_FAILURE() << name << ": this test cannot fill its path; teach Capture() its ids";
        break;
      }
      for (auto& c : callers) {
        const std::string& caller = c.name;
        Answer want = Expected(access, kind, caller, trash_route);
        // Without the CSRF token every change is refused, before anything else is looked at.
        if (c.without_csrf && method != "GET") want = Answer::k403;
        if (want == Answer::kServed && method != "GET" && (!write || !write->run_when_allowed)) {
          ++not_run;
          continue;
        }
        std::string body = write ? Body(*write, ++n) : (method == "GET" ? "" : "{}");
        std::string url = *path + (write ? Body({write->query}, n) : "");
        if (method == "GET" && pattern.ends_with("/admin/resources/([^/]+)")) {
          url += "?community=" + Id(kind, "community");  // it lists one community's
        }
        if (c.shown == "disabled") {
          // Refused before routing, whatever the community; and each refusal is a failed
          // sign-in, held back up to 1.6 s: once per route, all at the end, many at a time.
          if (kind == kinds.front()) disabled.push_back({name, method, url, body});
          continue;
        }
        auto reply = c.client.Send(method, url, body, c.basic, c.headers);
        ASSERT_TRUE(reply) << name << ": " << reply.error().ToString();
        ++checked;
        int got = reply->status;
        SCOPED_TRACE(name + " as " + c.shown + " on a " + kKinds[static_cast<int>(kind)].second +
                     " community (" + access + "): " + std::to_string(got) + " " +
                     reply->raw_body.substr(0, 300));
        switch (want) {
          case Answer::kServed:
            if (method == "GET") {
              EXPECT_EQ(got, 200) << "expected to be served";
            } else {
              EXPECT_TRUE(got != 401 && got != 403 && got != 404 && got < 500)
                  << "expected to be served";
            }
            break;
          case Answer::k401: EXPECT_EQ(got, 401); break;
          case Answer::k403: EXPECT_EQ(got, 403); break;
          case Answer::k404: EXPECT_EQ(got, 404); break;
        }
      }
    }
  }
  std::vector<int> statuses(disabled.size(), 0);
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  threads.reserve(16);
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      auto client = server_.Client("dis", Password("dis"));
      for (size_t i; (i = next++) < disabled.size();) {
        auto reply = client.Send(disabled[i].method, disabled[i].url, disabled[i].body);
        statuses[i] = reply ? reply->status : -1;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < disabled.size(); ++i) {
    EXPECT_EQ(statuses[i], 401) << disabled[i].name << " as a disabled user";
  }
  checked += static_cast<int>(disabled.size());
  // Every level is in use, and the walk did what it says.
  EXPECT_EQ(levels, (std::set<std::string>{"public", "metrics", "administrator", "signed-in",
                                           "community-read", "community-write", "community-own",
                                           "personal-owner"}));
  std::cout << "access matrix: " << (*routes)["items"].size() << " routes, " << checked
            << " requests checked, " << not_run
            << " allowed writes not run (they would change the fixtures)\n";
}

}  // namespace
}  // namespace concord
