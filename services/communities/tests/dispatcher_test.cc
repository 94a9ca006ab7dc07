// The dispatcher against a stand-in application (cpp-httplib, no Concord in it): deliveries go
// many per request, each community's in order; an event the application refuses is queued alone
// with its error, holding back only its community's later events; an application without the
// batch route gets its events one per request.
#include "concord/communities/dispatcher.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "concord/base/secrets.h"
#include "concord/communities/service.h"
#include "concord/db/migration.h"
#include "fresh_database.h"

namespace concord::communities {
namespace {

using nlohmann::json;

// Blog's lifecycle handler, standing in: applies every event, except those of the communities
// in `refused`, as the real one does (a refused event holds its community's later ones).
class StandInBlog {
 public:
  explicit StandInBlog(bool batches) {
    if (batches) {
      server_.Post("/blogs/api/lifecycle/Blog/batch",
                   [this](const httplib::Request& req, httplib::Response& res) {
                     json body = json::parse(req.body);
                     json results = json::array();
                     std::set<std::string> held;
                     std::lock_guard lock(mu_);
                     ++requests_;
                     for (const auto& e : body["events"]) {
                       std::string c = e["community"]["uuid"];
                       if (held.contains(c)) {
                         results.push_back({{"held", true}});
                       } else if (refused_.contains(c)) {
                         held.insert(c);
                         results.push_back(Refusal());
                       } else if (garbled_.contains(c)) {
                         results.push_back(nullptr);  // not a result at all
                       } else {
                         results.push_back(Apply(e));
                       }
                     }
                     res.set_content(json{{"results", results}}.dump(), "application/json");
                   });
    }
    server_.Post("/blogs/api/lifecycle/Blog",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   json e = json::parse(req.body);
                   std::lock_guard lock(mu_);
                   ++requests_;
                   if (refused_.contains(e["community"]["uuid"].get<std::string>())) {
                     res.status = 400;
                     res.set_content(Refusal().dump(), "application/json");
                     return;
                   }
                   res.set_content(Apply(e).dump(), "application/json");
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Bound and listening: connections wait in the backlog until the loop accepts them.
  }
  ~StandInBlog() {
    server_.stop();
    thread_.join();
  }

  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/blogs/api/lifecycle/Blog";
  }
  void Refuse(const std::set<std::string>& communities) {
    std::lock_guard lock(mu_);
    refused_ = communities;
  }
  // Answers the batch's events of these communities with null.
  void Garble(const std::set<std::string>& communities) {
    std::lock_guard lock(mu_);
    garbled_ = communities;
  }
  // The events applied, as (seq, community), in the order they were applied.
  std::vector<std::pair<int64_t, std::string>> Applied() {
    std::lock_guard lock(mu_);
    return applied_;
  }
  int Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  json Apply(const json& e) {
    applied_.emplace_back(e["seq"].get<int64_t>(), e["community"]["uuid"].get<std::string>());
    json reply = {{"applied", true}};
    if (e["eventType"] == "remote.app.added") {
      reply["resourceId"] = "blog-of-" + e["community"]["uuid"].get<std::string>();
    }
    return reply;
  }
  static json Refusal() {
    return {{"error", {{"code", "INVALID_ARGUMENT"}, {"message", "refused on purpose"}}},
            {"status", 400}};
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::set<std::string> refused_, garbled_;
  std::vector<std::pair<int64_t, std::string>> applied_;
  int requests_ = 0;
};

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitSecrets());
    db_ = FreshDatabase(::testing::UnitTest::GetInstance()->current_test_info()->name());
    svc_ = std::make_unique<CommunitiesService>(
        ServiceOptions{.database = db_, .subscriptions = {.applications = {"Blog"}}});
    ASSERT_TRUE(svc_->EnsureInitialAdmin([](const std::string&) { return Ok(); }));
    admin_ = Actor{svc_->GetUser(Actor{UserId(), true}, "admin")->id, true};
  }

  // A community with Blog's widget, renamed twice: four events for Blog (remote.app.added,
  // widget.added, two community.updated).
  std::string Community(const std::string& name) {
    auto c = svc_->Create(admin_, {.name = name});
    EXPECT_TRUE(c) << c.error().ToString();
    EXPECT_TRUE(svc_->AddWidget(admin_, c->uuid, "Blog", std::nullopt));
    Rename(c->uuid.value(), name + " 1");
    Rename(c->uuid.value(), name + " 2");
    return c->uuid.value();
  }
  void Rename(const std::string& uuid, const std::string& name) {
    CommunityPatch patch;
    patch.name = name;
    EXPECT_TRUE(svc_->Update(admin_, CommunityUuid(uuid), patch));
  }

  std::unique_ptr<Dispatcher> Start(const StandInBlog& blog) {
    auto d = std::make_unique<Dispatcher>(DispatcherOptions{
        .database = db_,
        .handlers = {{"Blog", blog.Url()}},
        .user = "lifecycle",
        .password = "irrelevant",
        .timeout = std::chrono::seconds(5),
        .retry_backoff_first = std::chrono::hours(1),  // retried here only when asked
    });
    d->Start();
    return d;
  }

  // Waits until nothing is pending (delivered, or queued).
  void WaitForPending() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Count("state = 'pending'") == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "deliveries still pending after 10 s";
  }
  int64_t Count(const std::string& where) {
    auto lease = db_->Acquire();
    EXPECT_TRUE(lease);
    auto n = (*lease)->QueryInt("SELECT COUNT(*) FROM event_queue WHERE " + where);
    EXPECT_TRUE(n);
    return n && *n ? **n : -1;
  }
  // The seqs of the events Blog should hear about `community`, in order.
  std::vector<std::pair<int64_t, std::string>> Logged(const std::string& community) {
    auto lease = db_->Acquire();
    auto rows = (*lease)->Query(
        "SELECT seq FROM lifecycle_events WHERE community_uuid = $1 ORDER BY seq", community);
    std::vector<std::pair<int64_t, std::string>> out;
    while (*rows->Next()) out.emplace_back(rows->Int(0), community);
    return out;
  }
  std::optional<std::string> BlogResource(const std::string& community) {
    auto widgets = svc_->ListWidgets(admin_, CommunityUuid(community));
    EXPECT_TRUE(widgets);
    for (const auto& w : *widgets) {
      if (w.widget_def_id == "Blog") return w.remote_resource_id;
    }
    return std::nullopt;
  }
  static std::vector<std::pair<int64_t, std::string>> Of(
      const std::vector<std::pair<int64_t, std::string>>& applied, const std::string& community) {
    std::vector<std::pair<int64_t, std::string>> out;
    for (const auto& a : applied) {
      if (a.second == community) out.push_back(a);
    }
    return out;
  }

  std::shared_ptr<db::Database> db_;
  std::unique_ptr<CommunitiesService> svc_;
  Actor admin_;
};

TEST_F(DispatcherTest, ARefusedEventIsQueuedAloneAndTheRestOfItsBatchApplied) {
  StandInBlog blog(true);
  std::string a = Community("Alpha"), b = Community("Bravo"), c = Community("Charlie");
  blog.Refuse({b});
  auto dispatcher = Start(blog);
  WaitForPending();

  auto applied = blog.Applied();
  EXPECT_EQ(Of(applied, a), Logged(a));
  EXPECT_EQ(Of(applied, c), Logged(c));
  EXPECT_TRUE(Of(applied, b).empty());
  EXPECT_EQ(applied.size(), 8u);
  EXPECT_TRUE(std::is_sorted(applied.begin(), applied.end()));
  EXPECT_EQ(blog.Requests(), 1) << "twelve deliveries, one request";
  EXPECT_EQ(BlogResource(a), "blog-of-" + a);
  EXPECT_EQ(BlogResource(c), "blog-of-" + c);
  EXPECT_FALSE(BlogResource(b));
  // Bravo's four wait, queued: the first with the application's error, the others behind it.
  EXPECT_EQ(Count("community_uuid = '" + b + "' AND state = 'queued'"), 4);
  EXPECT_EQ(Count("community_uuid = '" + b +
                  "' AND last_error LIKE '%refused on purpose%' "
                  "AND attempts = 1"),
            1);
  EXPECT_EQ(Count("community_uuid <> '" + b + "'"), 0);

  blog.Refuse({});
  auto retried = dispatcher->Retry({});
  EXPECT_EQ(retried.delivered, 4);
  EXPECT_EQ(retried.still_queued, 0);
  EXPECT_EQ(Of(blog.Applied(), b), Logged(b));
  EXPECT_EQ(BlogResource(b), "blog-of-" + b);
  EXPECT_EQ(Count("1 = 1"), 0);
  dispatcher->Stop();
}

// An application from before batches (no such route: 404) gets each event in a request of its
// own, in order, from then on.
TEST_F(DispatcherTest, AnApplicationWithoutBatchesGetsOneEventPerRequest) {
  StandInBlog blog(false);
  std::string a = Community("Alpha"), b = Community("Bravo");
  blog.Refuse({b});
  auto dispatcher = Start(blog);
  WaitForPending();
  EXPECT_EQ(blog.Applied(), Logged(a));
  // (The batch's 404 is the stand-in server's own, not counted.)
  EXPECT_EQ(blog.Requests(), 4 + 1) << "Alpha's 4, Bravo's first";
  EXPECT_EQ(Count("community_uuid = '" + b + "' AND state = 'queued'"), 4);
  EXPECT_EQ(Count("last_error LIKE 'HTTP 400:%refused on purpose%'"), 1);
  blog.Refuse({});
  EXPECT_EQ(dispatcher->Retry({}).delivered, 4);
  EXPECT_EQ(Of(blog.Applied(), b), Logged(b));
  EXPECT_EQ(BlogResource(b), "blog-of-" + b);
  dispatcher->Stop();
}

// More deliveries than one request carries: a community refused in the first request stays held
// in the second (its later events there are not sent), and an answer that is not a result is
// not taken for an application: those deliveries stay queued.
TEST_F(DispatcherTest, ARefusedCommunityStaysHeldAcrossRequestsAndGarbledAnswersStayQueued) {
  StandInBlog blog(true);
  std::string b = Community("Bravo");
  std::vector<std::string> others;
  others.reserve(70);
  for (int i = 0; i < 70; ++i) others.push_back(Community("Other " + std::to_string(i)));
  std::string g = Community("Garbled");
  Rename(b, "Bravo 3");  // Bravo's last events come after 280 others: a later request
  Rename(b, "Bravo 4");
  blog.Refuse({b});
  blog.Garble({g});
  auto dispatcher = Start(blog);
  WaitForPending();

  auto applied = blog.Applied();
  EXPECT_GE(blog.Requests(), 2);
  EXPECT_TRUE(Of(applied, b).empty()) << "Bravo's later events were sent after its refusal";
  for (const auto& o : others) EXPECT_EQ(Of(applied, o), Logged(o));
  EXPECT_EQ(Count("community_uuid = '" + b + "' AND state = 'queued'"), 6);
  EXPECT_EQ(Count("community_uuid = '" + g + "' AND state = 'queued'"), 4);
  EXPECT_EQ(Count("community_uuid = '" + g + "' AND last_error LIKE '%not a result%'"), 4);
  EXPECT_EQ(Count("state = 'pending'"), 0);
  EXPECT_EQ(Count("1 = 1"), 10);
  dispatcher->Stop();
}

}  // namespace
}  // namespace concord::communities
