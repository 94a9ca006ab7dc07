// Crash tests (issue 11): under a steady load of community changes, SIGKILLs at random moments
// of random processes: Communities (with Wikis in its process), Forums in a process of its own,
// and `concord recover --restored wikis`. Each one killed is restarted (a killed recover is run
// again, the same command, until it finishes). Afterwards no lifecycle event is lost and none is
// applied twice (each application applied each seq addressed to it exactly once, by its own
// record), every queue has drained, and each application's synced record of every community
// equals Communities' state, bound to exactly one resource.
//
// CONCORD_CRASH_KILLS sets the number of kills (default 100); CONCORD_CRASH_SEED replays a run
// (every run prints its seed).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "concord/http/client.h"
#include "concord/testing/process.h"
#include "delivery_checks.h"

namespace concord {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ConcordServer;
using testing::Show;
using testing::TempDir;
using Clock = std::chrono::steady_clock;
using e2e::AllPages;
using e2e::ExpectEachEventAppliedOnce;
using e2e::ExpectSameState;
using e2e::WaitForDrainedQueue;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoll(v) : fallback;
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

const std::vector<std::string> kUsers = {"kai", "lea", "max", "nia", "oto", "pia"};
// Widgets the load adds: Wiki's remote.app.added goes to Wikis; the others are heard by Forum
// and Wiki only as widget.added (no other application is subscribed here).
const std::vector<std::string> kWidgets = {"Wiki", "Blog", "Library", "Bookmarks", "Feeds"};

// Communities (and Wikis) in one process, Forums in another, each with its own data directory.
struct Deployment {
  TempDir communities_dir{"crash-communities"};
  TempDir forums_dir{"crash-forums"};
  int communities_port = testing::FreePort();
  int forums_port = testing::FreePort();
  std::unique_ptr<ConcordServer> communities, forums;

  Deployment() {
    std::string forums_url = "http://127.0.0.1:" + std::to_string(forums_port);
    std::ofstream(communities_dir.path() / "concord.toml")
        << "[lifecycle.handlers]\nForum = \"" << forums_url << "/forums/api/lifecycle/Forum\"\n";
    std::ofstream(forums_dir.path() / "concord.toml")
        << "[services]\ncommunities_url = \"http://127.0.0.1:" << communities_port << "\"\n";
    communities = std::make_unique<ConcordServer>(
        communities_dir.path(), std::vector<std::string>{"--services", "communities,wikis"},
        "127.0.0.1:" + std::to_string(communities_port));
    forums = std::make_unique<ConcordServer>(forums_dir.path(),
                                             std::vector<std::string>{"--services", "forums"},
                                             "127.0.0.1:" + std::to_string(forums_port));
  }
  http::Client Admin() { return communities->AdminClient(); }
  http::Client ForumsAdmin() { return forums->Client("admin", communities->AdminPassword()); }
};

// A steady stream of changes from a user's address (127.0.0.2: maintenance mode keeps it out,
// as it keeps users out while `concord recover` runs). Failures (a process down, 503 during
// maintenance, a member already there) are counted, not fatal: a change Communities committed
// before it was killed is in its log whether or not its answer arrived.
class Load {
 public:
  Load(std::string url, std::string password, uint64_t seed, std::vector<std::string> communities)
      : url_(std::move(url)),
        password_(std::move(password)),
        rng_(seed),
        communities_(std::move(communities)) {}
  ~Load() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t ok() const { return ok_; }
  int64_t unavailable() const { return unavailable_; }
  int64_t refused() const { return refused_; }

 private:
  void Run() {
    http::Client c({.url = url_,
                    .user = "admin",
                    .password = password_,
                    .timeout = std::chrono::seconds(5),
                    .source_address = "127.0.0.2"});
    int64_t n = 0;
    while (!stop_) {
      ++n;
      std::string community = communities_[rng_() % communities_.size()];
      std::string path = "/communities/api/communities/" + community;
      std::string user = kUsers[rng_() % kUsers.size()];
      int op = static_cast<int>(rng_() % 100);
      Result<json> r;
      // 35% renames (and whatever else is not picked below), 22% adds, 22% removals, 14% widgets,
      // 7% new communities while there are fewer than 40.
      if (op >= 35 && op < 57) {
        r = c.Post(path + "/members", {{"users", {user}}});
      } else if (op >= 57 && op < 79) {
        r = c.Delete(path + "/members/" + user);
      } else if (op >= 79 && op < 93) {
        r = c.Post(path + "/widgets", {{"widgetDefId", kWidgets[rng_() % kWidgets.size()]}});
      } else if (op >= 93 && communities_.size() < 40) {
        // A new community: its default Forum widget sends remote.app.added to Forums.
        r = c.Post("/communities/api/communities", {{"name", "Crash new " + std::to_string(n)}});
        if (r) communities_.push_back((*r)["uuid"].get<std::string>());
      } else {
        r = c.Put(path, {{"name", "Crash " + std::to_string(n)}});
      }
      if (r) {
        ++ok_;
      } else if (r.error().code == ErrorCode::kUnavailable) {
        ++unavailable_;  // maintenance mode's 503, or the process was down
      } else {
        ++refused_;  // a member there already, a widget the community has
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }

  std::string url_, password_;
  std::mt19937_64 rng_;
  std::vector<std::string> communities_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> ok_{0}, unavailable_{0}, refused_{0};
  std::thread thread_;
};

TEST(CrashTest, RandomKillsUnderLoadLoseNoEventAndApplyNoneTwice) {
  const int64_t target = EnvInt("CONCORD_CRASH_KILLS", 100);
  const uint64_t seed = static_cast<uint64_t>(EnvInt("CONCORD_CRASH_SEED", std::random_device{}()));
  std::cout << "crash test: " << target << " kills, seed " << seed
            << " (CONCORD_CRASH_SEED=" << seed << " replays this run)\n";
  std::mt19937_64 rng(seed);
  auto started = Clock::now();

  Deployment d;
  ASSERT_TRUE(d.communities->Start());
  ASSERT_TRUE(d.forums->Start());
  auto admin = d.Admin();
  for (const auto& u : kUsers) {
    ASSERT_TRUE(admin.Post("/communities/api/users", {{"login", u},
                                                      {"email", u + "@example.com"},
                                                      {"displayName", u},
                                                      {"password", "pw-" + u + "-123"}}));
  }
  std::vector<std::string> communities;
  for (int i = 0; i < 6; ++i) {
    auto c = admin.Post("/communities/api/communities", {{"name", "Crash " + std::to_string(i)}});
    ASSERT_TRUE(c) << c.error().ToString();
    communities.push_back((*c)["uuid"]);
    ASSERT_TRUE(admin.Post("/communities/api/communities/" + communities.back() + "/widgets",
                           {{"widgetDefId", "Wiki"}}));
  }
  ASSERT_TRUE(testing::WaitForEmptyQueue(admin));
  // The record is the administrators' only.
  auto kai = d.forums->Client("kai", "pw-kai-123");
  auto refused = kai.Send("GET", "/forums/api/admin/applied/Forum", "");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);

  // One recover run, undisturbed: it must work here at all, and it tells how long one takes
  // (kills land uniformly within that).
  const std::vector<std::string> recover_base = {(testing::BinDir() / "concord").string(),
                                                 "recover",
                                                 "--data-dir",
                                                 d.communities_dir.path().string(),
                                                 "--restored",
                                                 "wikis",
                                                 "--out"};
  int recovers = 0;
  auto recover_argv = [&] {
    auto argv = recover_base;
    argv.push_back((d.communities_dir.path() / ("recover-" + std::to_string(recovers))).string());
    return argv;
  };
  // How long a whole run takes (the shortest fresh run so far; a resumed one may have nearly
  // nothing left to do): kills land uniformly within that.
  auto t0 = Clock::now();
  auto first = testing::RunCommand(recover_argv(), {}, std::chrono::seconds(180));
  ASSERT_EQ(first.exit_code, 0) << Show(first);
  auto recover_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  ++recovers;

  Load load(d.communities->url(), d.communities->AdminPassword(), rng(), communities);
  load.Start();
  std::map<std::string, int> kills;
  int64_t total = 0, recover_reruns = 0, recover_done_before_kill = 0;
  while (total < target) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 800));
    switch (rng() % 3) {
      case 0:
        d.communities->Kill();
        ASSERT_TRUE(d.communities->Start()) << "Communities after kill " << total;
        ++kills["communities"];
        break;
      case 1:
        d.forums->Kill();
        ASSERT_TRUE(d.forums->Start()) << "Forums after kill " << total;
        ++kills["forums"];
        break;
      default: {
        auto argv = recover_argv();
        ++recovers;
        auto t0 = Clock::now();
        auto run = testing::RunCommandKilledAfter(
            argv, {}, std::chrono::milliseconds(rng() % static_cast<uint64_t>(recover_ms + 1)));
        if (!run.killed) {
          // It finished first: no kill.
          ++recover_done_before_kill;
          if (run.result.exit_code == 0) {
            recover_ms = std::min<int64_t>(
                recover_ms,
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
            continue;
          }
        } else {
          ++kills["recover"];
        }
        // The same command again, until it finishes (each run resumes the last).
        int exit_code = -1;
        testing::CommandResult last;
        for (int attempt = 0; attempt < 5 && exit_code != 0; ++attempt) {
          last = testing::RunCommand(argv, {}, std::chrono::seconds(180));
          exit_code = last.exit_code;
          ++recover_reruns;
        }
        ASSERT_EQ(exit_code, 0) << "a killed `concord recover` did not finish when run again "
                                << "(seed " << seed << "):\n"
                                << Show(last);
        if (!run.killed) continue;
        break;
      }
    }
    ++total;
  }
  load.Stop();
  double kill_phase = Seconds(started);

  // Everything delivered, on its own.
  admin = d.Admin();
  json summary = WaitForDrainedQueue(admin, std::chrono::seconds(120));
  ASSERT_TRUE(summary.contains("items") && summary["items"].empty())
      << "the delivery queue did not drain within 120 s of the last kill: " << summary.dump();
  auto forums_admin = d.ForumsAdmin();
  int64_t duplicates = ExpectEachEventAppliedOnce(admin, forums_admin, "forums", "Forum") +
                       ExpectEachEventAppliedOnce(admin, admin, "wikis", "Wiki");
  ExpectSameState(admin, forums_admin, "forums", "Forum");
  ExpectSameState(admin, admin, "wikis", "Wiki");
  EXPECT_NE(testing::RunCommand({(testing::BinDir() / "concord").string(), "maintenance", "status",
                                 "--data-dir", d.communities_dir.path().string()})
                .exit_code,
            0)
      << "maintenance mode is still on after the last recover";

  std::cout << "crash test: " << total << " kills (communities " << kills["communities"]
            << ", forums " << kills["forums"] << ", recover " << kills["recover"] << "; "
            << recover_done_before_kill << " recover runs finished before their kill), "
            << recover_reruns << " recover reruns (a whole run takes " << recover_ms
            << " ms or more), " << load.ok() << " changes made, " << load.unavailable()
            << " not (maintenance mode, a process down) and " << load.refused() << " refused, "
            << duplicates << " duplicate deliveries refused; kills took " << kill_phase
            << " s, all " << Seconds(started) << " s (seed " << seed << ")\n";
  EXPECT_EQ(d.communities->Stop(), 0);
  EXPECT_EQ(d.forums->Stop(), 0);
}

}  // namespace
}  // namespace concord
