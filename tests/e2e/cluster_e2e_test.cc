// A "company" deployment (docs/deployment.md, "Several hosts and nodes"), with real processes on
// loopback addresses standing for hosts: PostgreSQL with a database per service; two
// Communities nodes (127.0.0.11, 127.0.0.12) over one database; Blogs, Forums, Files and
// Activities each in a process of its own on its own address and data directory.
// - Under a steady load of changes sent to both nodes, the node delivering the events is
//   SIGKILLed: the other takes over, every application applies every event exactly once (no
//   gap, no repeat), the queue drains within 30 s of the kill, and the applications' synced
//   records equal Communities' state.
// - An application's process killed and restarted under the same load: its events wait, then
//   drain in order.
// - `concord maintenance on` through one node: the very next request from a non-allowed address
//   to any process gets 503; `off`: the very next gets through.
// - `concord status` lists every node and application; `concord backup --all` backs up every
//   service's database wherever it runs; `concord recover --restored forums` after a pg_restore
//   of Forums' database, run against a node, with Forums elsewhere: exit 0, verification clean.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <thread>

#include "concord/http/client.h"
#include "concord/testing/postgres.h"
#include "concord/testing/process.h"
#include "delivery_checks.h"

namespace concord {
namespace {

namespace fs = std::filesystem;
using e2e::ExpectEachEventAppliedOnce;
using e2e::ExpectSameState;
using nlohmann::json;
using testing::ConcordServer;
using testing::Show;
using testing::TempDir;
using Clock = std::chrono::steady_clock;

const std::string kBase = "/communities/api/communities/";

// One process of the deployment: its address, data directory and server.
struct Process {
  std::string name;
  std::string host;
  int port = testing::FreePort();
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<ConcordServer> server;
  std::string url() const { return "http://" + host + ":" + std::to_string(port); }
};

class Company {
 public:
  Company() : pg_(testing::PostgresServer::FromEnvironment()) {}

  // Creates the databases and configuration, and starts every process.
  void Start() {
    ASSERT_TRUE(pg_) << "no PostgreSQL server (the pg_server fixture)";
    const std::vector<std::pair<std::string, std::string>> layout = {
        {"node-a", "127.0.0.11"},  {"node-b", "127.0.0.12"}, {"blogs", "127.0.0.13"},
        {"forums", "127.0.0.14"},  {"files", "127.0.0.15"},  {"activities", "127.0.0.16"},
        {"forums-2", "127.0.0.17"}};
    for (const auto& [name, host] : layout) {
      auto p = std::make_unique<Process>();
      p->name = name;
      p->host = host;
      p->dir = std::make_unique<TempDir>("cluster-" + name);
      processes_[name] = std::move(p);
    }
    std::map<std::string, std::string> databases;
    // Activities keeps the embedded default (SQLite on its host); the others are on the server.
    for (const std::string service : {"communities", "blogs", "forums", "files"}) {
      auto url = pg_->CreateDatabase("cluster_" + service);
      ASSERT_TRUE(url) << url.error().ToString();
      databases[service] = *url;
    }
    auto storage = [&](const std::string& service) -> std::string {
      if (!databases.contains(service)) return "";
      return "[" + service + "]\ndatabase = \"" + databases[service] + "\"\npassword_file = \"" +
             pg_->password_file().string() + "\"\n";
    };
    std::string handlers = "[lifecycle.handlers]\n";
    for (const auto& [app, service] :
         std::vector<std::pair<std::string, std::string>>{{"Blog", "blogs"},
                                                          {"IdeationBlog", "blogs"},
                                                          {"Forum", "forums"},
                                                          {"Files", "files"},
                                                          {"Activities", "activities"}}) {
      handlers += app + " = \"" + processes_[service]->url() + "/" + service + "/api/lifecycle/" +
                  app + "\"\n";
    }
    std::string nodes =
        "[\"" + processes_["node-a"]->url() + "\", \"" + processes_["node-b"]->url() + "\"]";
    // Forums runs as two processes over its database: events go to the first, and the
    // deployment knows both.
    std::string forums_nodes = "[services.forums]\nurl = \"" + Url("forums") + "\"\nnodes = [\"" +
                               Url("forums") + "\", \"" + Url("forums-2") + "\"]\n";
    for (const std::string node : {"node-a", "node-b"}) {
      std::ofstream(Dir(node) / "concord.toml")
          << storage("communities") << handlers << forums_nodes;
    }
    for (const std::string name : {"blogs", "forums", "files", "activities", "forums-2"}) {
      std::ofstream(Dir(name) / "concord.toml") << "[services]\ncommunities_url = " << nodes << "\n"
                                                << storage(name == "forums-2" ? "forums" : name);
    }
    for (auto& [name, p] : processes_) {
      std::string services = name.starts_with("node-") ? "communities"
                             : name == "forums-2"      ? "forums"
                                                       : name;
      p->server = std::make_unique<ConcordServer>(p->dir->path(),
                                                  std::vector<std::string>{"--services", services},
                                                  p->host + ":" + std::to_string(p->port));
    }
    // The first node creates the deployment (its id, the administrator); every other process
    // joins it with the same deployment.id.
    ASSERT_TRUE(Server("node-a").Start());
    // The administrator runs commands from the second node too.
    fs::copy_file(Dir("node-a") / "admin.credentials", Dir("node-b") / "admin.credentials");
    for (auto& [name, p] : processes_) {
      if (name == "node-a") continue;
      fs::copy_file(Dir("node-a") / "deployment.id", p->dir->path() / "deployment.id");
      ASSERT_TRUE(p->server->Start()) << name << ": " << p->server->Log();
    }
  }

  ConcordServer& Server(const std::string& name) { return *processes_.at(name)->server; }
  fs::path Dir(const std::string& name) { return processes_.at(name)->dir->path(); }
  std::string Url(const std::string& name) { return processes_.at(name)->url(); }
  std::string Password() { return Server("node-a").AdminPassword(); }
  http::Client Admin(const std::string& name, const std::string& source = "") {
    return http::Client({.url = Url(name),
                         .user = "admin",
                         .password = Password(),
                         .timeout = std::chrono::seconds(30),
                         .source_address = source});
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    out.reserve(processes_.size());
    for (const auto& [name, p] : processes_) out.push_back(name);
    return out;
  }

 private:
  std::optional<testing::PostgresServer> pg_;
  std::map<std::string, std::unique_ptr<Process>> processes_;
};

// Renames and membership changes sent round-robin to the given nodes until stopped.
class Load {
 public:
  Load(Company& company, std::vector<std::string> nodes, std::vector<std::string> communities)
      : company_(company), nodes_(std::move(nodes)), communities_(std::move(communities)) {}
  ~Load() { Stop(); }
  void Start() {
    for (const auto& node : nodes_) {
      threads_.emplace_back([this, node] {
        auto c = company_.Admin(node);
        for (int n = 0; !stop_; ++n) {
          const std::string& uuid =
              communities_[(static_cast<size_t>(n) * 7 + node.size()) % communities_.size()];
          auto r = n % 3 == 2 ? c.Post(kBase + uuid + "/members", {{"users", {"worker"}}})
                              : c.Put(kBase + uuid, {{"name", node + " " + std::to_string(n)}});
          (r ? ok_ : failed_)++;
          if (n % 3 == 2 && r) (void)c.Delete(kBase + uuid + "/members/worker");
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      });
    }
  }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int64_t ok() const { return ok_; }

 private:
  Company& company_;
  std::vector<std::string> nodes_;
  std::vector<std::string> communities_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> ok_{0}, failed_{0};
  std::vector<std::thread> threads_;
};

// `concord ARGS... --data-dir DIR` (subcommands of subcommands, such as `maintenance on`).
testing::CommandResult Cli(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), (testing::BinDir() / "concord").string());
  args.push_back("--data-dir");
  args.push_back(dir.string());
  return testing::RunCommand(args);
}

// The node holding the delivery leases (the first listed with any), from `node`'s view.
std::string LeaseHolder(Company& company, const std::string& node) {
  auto view = company.Admin(node).Get("/communities/api/admin/deployment");
  if (!view) return "";
  for (const auto& n : (*view)["communities"]) {
    if (!n["leases"].empty() && n["up"].get<bool>()) return n["url"];
  }
  return "";
}

// Waits until the queue, seen through `node`, is empty; how long it took, or -1.
double DrainSeconds(http::Client& admin, int limit_seconds) {
  auto start = Clock::now();
  while (Clock::now() - start < std::chrono::seconds(limit_seconds)) {
    auto s = admin.Get("/communities/api/admin/queue/summary");
    if (s && (*s)["items"].empty()) {
      return std::chrono::duration<double>(Clock::now() - start).count();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

// For each community, the application applied its events in seq order.
void ExpectAppliedInOrder(http::Client& application, const std::string& service,
                          const std::string& app) {
  auto applied = e2e::AllPages(application, "/" + service + "/api/admin/applied/" + app);
  std::map<std::string, std::pair<int64_t, std::string>> last;  // community -> seq, appliedAt
  for (const auto& a : applied) {
    std::string community = a["communityUuid"];
    std::string at = a["appliedAt"];
    auto it = last.find(community);
    if (it != last.end()) {
      EXPECT_LE(it->second.second, at) << app << ": seq " << a["seq"] << " of " << community
                                       << " applied before seq " << it->second.first;
    }
    last[community] = {a["seq"].get<int64_t>(), at};
  }
}

// The deliveries (Blog's) a history shows: its last sample's counter for a deployment's, and
// for a node's own (`scope=node`) the growth from its first sample that has Blog to its last.
int64_t BlogDeliveries(const json& history, bool own) {
  int64_t first = -1, last = 0;
  for (const auto& s : history["samples"]) {
    if (!s["apps"].contains("Blog")) continue;
    last = s["apps"]["Blog"]["delivered"].get<int64_t>();
    if (first < 0) first = last;
  }
  return own ? last - std::max<int64_t>(first, 0) : last;
}

TEST(ClusterTest, ACompanyDeploymentSurvivesItsNodesAndIsAdministeredFromOneConsole) {
  // Delivery samples every 2 s rather than 10 (the dashboard's history, checked below).
  ::setenv("CONCORD_METRICS_INTERVAL_MS", "2000", 1);
  Company company;
  ASSERT_NO_FATAL_FAILURE(company.Start());
  auto a = company.Admin("node-a");
  ASSERT_TRUE(a.Post("/communities/api/users", {{"login", "worker"},
                                                {"email", "worker@example.com"},
                                                {"displayName", "Worker"},
                                                {"password", "pw-worker-123"}}));
  std::vector<std::string> communities;
  for (int i = 0; i < 8; ++i) {
    auto c = a.Post("/communities/api/communities", {{"name", "Company " + std::to_string(i)}});
    ASSERT_TRUE(c) << c.error().ToString();
    communities.push_back((*c)["uuid"]);
    for (const std::string widget : {"Blog", "Forum"}) {
      (void)a.Post(kBase + communities.back() + "/widgets", {{"widgetDefId", widget}});
    }
  }
  ASSERT_GE(DrainSeconds(a, 20), 0);

  // Status from one node: every node and application, up.
  auto status = testing::RunConcord(company.Dir("node-a"), {"status"});
  EXPECT_EQ(status.exit_code, 0) << Show(status);
  for (const std::string name : {"node-a", "node-b", "blogs", "forums", "files", "activities"}) {
    EXPECT_NE(status.out.find(company.Url(name)), std::string::npos) << name << Show(status);
  }
  EXPECT_NE(status.out.find("leases: "), std::string::npos) << Show(status);

  // 1. The node delivering the events dies under load.
  {
    Load load(company, {"node-a", "node-b"}, communities);
    load.Start();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    std::string holder = LeaseHolder(company, "node-b");
    ASSERT_FALSE(holder.empty());
    std::string victim = holder == company.Url("node-a") ? "node-a" : "node-b";
    std::string survivor = victim == "node-a" ? "node-b" : "node-a";
    company.Server(victim).Kill();
    auto killed_at = Clock::now();
    // Until its leases expire, a retry through the survivor cannot run where it should: it says
    // so per application rather than counting them retried.
    auto retry = company.Admin(survivor).Post("/communities/api/admin/queue/retry",
                                              {{"resourceType", "community"}});
    ASSERT_TRUE(retry) << retry.error().ToString();
    EXPECT_FALSE((*retry)["notRetried"].empty()) << retry->dump();
    for (const auto& n : (*retry)["notRetried"]) {
      EXPECT_NE(n["error"].get<std::string>().find(company.Url(victim)), std::string::npos)
          << retry->dump();
    }
    std::this_thread::sleep_for(std::chrono::seconds(4));
    load.Stop();
    EXPECT_GT(load.ok(), 100);
    auto s = company.Admin(survivor);
    // An application still authenticates users with the first Communities node gone.
    auto fresh = company.Admin("forums-2");
    auto read = fresh.Get("/forums/api/admin/progress");
    EXPECT_TRUE(read) << read.error().ToString();
    double left = 30 - std::chrono::duration<double>(Clock::now() - killed_at).count();
    double drained = DrainSeconds(s, static_cast<int>(left));
    ASSERT_GE(drained, 0) << "the queue did not drain within 30 s of the kill";
    std::cout << "queue drained " << 30 - left + drained << " s after the kill of " << victim
              << "\n";
    EXPECT_EQ(LeaseHolder(company, survivor), company.Url(survivor))
        << "the surviving node did not take the delivery leases";
    for (const auto& [service, app] :
         std::vector<std::pair<std::string, std::string>>{{"blogs", "Blog"},
                                                          {"forums", "Forum"},
                                                          {"files", "Files"},
                                                          {"activities", "Activities"}}) {
      auto client = company.Admin(service);
      ExpectEachEventAppliedOnce(s, client, service, app);
      ExpectAppliedInOrder(client, service, app);
    }
    for (const auto& [service, app] :
         std::vector<std::pair<std::string, std::string>>{{"blogs", "Blog"}, {"forums", "Forum"}}) {
      auto client = company.Admin(service);
      ExpectSameState(s, client, service, app);
    }
    // Forums' second process, over the same database, answers the same.
    auto second = company.Admin("forums-2");
    ExpectSameState(s, second, "forums", "Forum");
    ASSERT_TRUE(company.Server(victim).Start()) << company.Server(victim).Log();
  }

  // The dashboard's delivery history is the deployment's from either node: the deliveries each
  // node made, summed (the restarted node made none since, the survivor all of them).
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));  // two samples after the drain
  {
    int64_t own = 0;
    for (const std::string node : {"node-a", "node-b"}) {
      auto h = company.Admin(node).Get("/communities/api/admin/metrics/history?scope=node");
      ASSERT_TRUE(h) << h.error().ToString();
      own += BlogDeliveries(*h, true);
    }
    EXPECT_GT(own, 100);
    for (const std::string node : {"node-a", "node-b"}) {
      auto h = company.Admin(node).Get("/communities/api/admin/metrics/history");
      ASSERT_TRUE(h) << h.error().ToString();
      ASSERT_EQ((*h)["otherNodes"].size(), 1u) << h->dump();
      EXPECT_TRUE((*h)["otherNodes"][0]["included"].get<bool>()) << h->dump();
      EXPECT_EQ(BlogDeliveries(*h, false), own) << node << ": " << h->dump();
    }
  }

  // Pausing a task through one node pauses it on the other; disabling a user through one node
  // shuts them out of the other at once.
  auto b = company.Admin("node-b");
  const std::string task = "/communities/api/admin/scheduler/tasks/EventLogCleanup";
  ASSERT_TRUE(a.Post(task + "/pause", json::object()));
  auto details = b.Get(task);
  ASSERT_TRUE(details) << details.error().ToString();
  EXPECT_EQ((*details)["status"], "SUSPENDED") << details->dump();
  ASSERT_TRUE(b.Post(task + "/resume", json::object()));
  EXPECT_EQ((*a.Get(task))["status"], "SCHEDULED");
  ASSERT_TRUE(a.Post("/communities/api/users", {{"login", "leaver"},
                                                {"email", "leaver@example.com"},
                                                {"displayName", "Leaver"},
                                                {"password", "pw-leaver-123"}}));
  http::Client leaver(
      {.url = company.Url("node-b"), .user = "leaver", .password = "pw-leaver-123"});
  ASSERT_TRUE(leaver.Get("/communities/api/users/me"));  // verified, and cached, by node B
  ASSERT_TRUE(a.Post("/communities/api/users/leaver/disable", json::object()));
  int status_code = 0;
  for (int i = 0; i < 20 && status_code != 401; ++i) {
    auto r = leaver.Send("GET", "/communities/api/users/me", "");
    status_code = r ? r->status : 0;
    if (status_code != 401) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status_code, 401) << "node B still lets a user disabled through node A in";

  // 2. An application's process killed and restarted under load: its events wait, then drain.
  {
    Load load(company, {"node-a", "node-b"}, communities);
    load.Start();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    company.Server("forums").Kill();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    auto queued = a.Get("/communities/api/admin/queue/events?remoteAppDefId=Forum&limit=1");
    ASSERT_TRUE(queued);
    EXPECT_FALSE((*queued)["items"].empty()) << "Forum's events did not wait for it";
    ASSERT_TRUE(company.Server("forums").Start()) << company.Server("forums").Log();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    load.Stop();
    ASSERT_GE(DrainSeconds(a, 30), 0);
    auto forums = company.Admin("forums");
    ExpectEachEventAppliedOnce(a, forums, "forums", "Forum");
    ExpectAppliedInOrder(forums, "forums", "Forum");
    ExpectSameState(a, forums, "forums", "Forum");
  }

  // Maintenance turned on for Forums alone, on its host (to restore its database, say), is that
  // administrator's: the nodes, which tell late processes the deployment's state every 10 s,
  // leave a later change alone.
  auto forums_on = Cli(company.Dir("forums"), {"maintenance", "on"});
  ASSERT_EQ(forums_on.exit_code, 0) << Show(forums_on);
  auto user_status = [&](const std::string& name) {
    auto r = company.Admin(name, "127.0.0.99").Send("GET", "/api/admin/node", "");
    return r ? r->status : 0;
  };
  // That process reads its file within a second.
  for (int i = 0; i < 20 && user_status("forums") != 503; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto until = Clock::now() + std::chrono::seconds(12); Clock::now() < until;) {
    ASSERT_EQ(user_status("forums"), 503) << "Forums' own maintenance mode was switched off";
    ASSERT_EQ(user_status("blogs"), 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  auto forums_off = Cli(company.Dir("forums"), {"maintenance", "off"});
  ASSERT_EQ(forums_off.exit_code, 0) << Show(forums_off);

  // 3. Maintenance mode through one node: every process enforces it at once.
  auto on = Cli(company.Dir("node-b"), {"maintenance", "on"});
  ASSERT_EQ(on.exit_code, 0) << Show(on);
  for (const auto& name : company.Names()) {
    EXPECT_NE(on.out.find("told " + company.Url(name)), std::string::npos) << name << Show(on);
    auto user = company.Admin(name, "127.0.0.99");
    auto r = user.Send("GET", "/api/admin/node", "");
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->status, 503) << name << " let a user in right after `maintenance on`";
  }
  // The deployment's own processes still talk to each other: a change still reaches Forums.
  auto renamed = a.Put(kBase + communities[0], {{"name", "During maintenance"}});
  ASSERT_TRUE(renamed) << renamed.error().ToString();
  ASSERT_GE(DrainSeconds(a, 20), 0);
  auto off = Cli(company.Dir("node-a"), {"maintenance", "off"});
  ASSERT_EQ(off.exit_code, 0) << Show(off);
  for (const auto& name : company.Names()) {
    auto user = company.Admin(name, "127.0.0.99");
    auto r = user.Send("GET", "/api/admin/node", "");
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->status, 200) << name << " shut a user out right after `maintenance off`";
  }
  // A process that cannot be told is named, and the command fails unless --force.
  company.Server("files").Stop();
  auto partial = Cli(company.Dir("node-a"), {"maintenance", "on"});
  EXPECT_EQ(partial.exit_code, 1) << Show(partial);
  EXPECT_NE(partial.out.find("NOT TOLD " + company.Url("files")), std::string::npos)
      << Show(partial);
  // The console's MaintenanceService says the same.
  auto console = testing::RunConsole(company.Server("node-a"), "MaintenanceService.disable()");
  EXPECT_NE(console.exit_code, 0) << Show(console);
  EXPECT_NE(console.out.find("NOT TOLD " + company.Url("files")), std::string::npos)
      << Show(console);
  console = testing::RunConsole(company.Server("node-a"), "MaintenanceService.disable(True)");
  EXPECT_EQ(console.exit_code, 0) << Show(console);
  auto forced = Cli(company.Dir("node-a"), {"maintenance", "off", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << Show(forced);
  // A backup of the whole deployment with a process down is not complete: it says which.
  TempDir backups("cluster-backup");
  auto incomplete = testing::RunConcord(
      company.Dir("node-a"), {"backup", "--all", "--to", (backups.path() / "partial").string()});
  EXPECT_NE(incomplete.exit_code, 0) << Show(incomplete);
  EXPECT_NE(incomplete.err.find("files"), std::string::npos) << Show(incomplete);
  ASSERT_TRUE(company.Server("files").Start());
  status = testing::RunConcord(company.Dir("node-b"), {"status", "--json"});
  EXPECT_EQ(status.exit_code, 0) << Show(status);

  // The proxy configuration: an upstream per service, with every node of it.
  auto nginx = Cli(company.Dir("node-a"), {"maintenance", "nginx-config"});
  ASSERT_EQ(nginx.exit_code, 0) << Show(nginx);
  auto host_port = [&](const std::string& name) { return company.Url(name).substr(7); };
  for (const auto& [group, members] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"concord_communities", {host_port("node-a"), host_port("node-b")}},
           {"concord_forums", {host_port("forums"), host_port("forums-2")}},
           {"concord_blogs", {host_port("blogs")}}}) {
    auto at = nginx.out.find("upstream " + group + " {");
    ASSERT_NE(at, std::string::npos) << group << Show(nginx);
    std::string block = nginx.out.substr(at, nginx.out.find('}', at) - at);
    for (const auto& m : members) {
      EXPECT_NE(block.find("server " + m + " "), std::string::npos) << group << ": " << block;
    }
  }

  // 4. Backup of the whole deployment from one node.
  auto backup = testing::RunConcord(company.Dir("node-a"),
                                    {"backup", "--all", "--to", (backups.path() / "b").string()});
  ASSERT_EQ(backup.exit_code, 0) << Show(backup);
  auto manifest = testing::ReadJsonFile(backups.path() / "b" / "manifest.json");
  for (const std::string service : {"communities", "blogs", "forums", "files", "activities"}) {
    ASSERT_TRUE(manifest["services"].contains(service)) << service << manifest.dump(2);
    EXPECT_EQ(manifest["services"][service]["format"],
              service == "activities" ? "sqlite" : "pg_dump")
        << service;
    EXPECT_TRUE(
        fs::exists(backups.path() / "b" / manifest["services"][service]["file"].get<std::string>()))
        << service;
  }

  // 5. Forums' database restored by its DBA (pg_restore) to a copy older than the last changes;
  // `concord recover` from a node brings it back in step.
  company.Server("forums").Stop();
  ASSERT_TRUE(testing::SaveTestDatabase(company.Dir("forums"), "forums", backups.path()));
  ASSERT_TRUE(company.Server("forums").Start());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(a.Put(kBase + communities[i], {{"name", "After the backup " + std::to_string(i)}}));
  }
  ASSERT_GE(DrainSeconds(a, 20), 0);
  auto progress = [&] {
    auto p = company.Admin("forums").Get("/forums/api/admin/progress");
    return p ? (*p)["lastAppliedEventSeq"].get<int64_t>() : -1;
  };
  int64_t before_restore = progress();
  company.Server("forums").Stop();
  ASSERT_TRUE(testing::RestoreTestDatabase(backups.path(), "forums", company.Dir("forums")));
  ASSERT_TRUE(company.Server("forums").Start());
  ASSERT_LT(progress(), before_restore) << "the restore did not take Forums back";
  auto recover = testing::RunConcord(
      company.Dir("node-b"),
      {"recover", "--restored", "forums", "--out", (backups.path() / "recover").string()});
  ASSERT_EQ(recover.exit_code, 0) << Show(recover);
  EXPECT_NE(recover.out.find("Replayed 4 events"), std::string::npos) << Show(recover);
  EXPECT_NE(recover.out.find("Recovered: 0 communities differ, 0 orphans"), std::string::npos)
      << Show(recover);
  auto forums = company.Admin("forums");
  ExpectSameState(a, forums, "forums", "Forum");
  for (int i = 0; i < 4; ++i) {
    auto record = forums.Get("/forums/api/synced/Forum/" + communities[i]);
    ASSERT_TRUE(record);
    EXPECT_EQ((*record)["name"], "After the backup " + std::to_string(i));
  }
}

}  // namespace
}  // namespace concord
