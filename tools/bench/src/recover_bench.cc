// concord-bench-recover: `concord recover` after a restore, end to end, on a populated deployment
// (its concord.toml picks SQLite or PostgreSQL). It backs up SERVICE (`communities` or an
// application's service), renames CHANGES communities (names new to the run) so that the backup
// is behind, restores SERVICE from the backup, and times `concord recover --restored SERVICE`,
// which must end recovered (exit 0). The floor, in the same run: the recovery's own
// verification step (a fresh export and report of every affected application), the least any
// verified recovery does. Each of recover's steps is printed with its time. See
// tools/bench/README.md.
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "concord/http/client.h"
#include "concord/testing/process.h"

namespace concord {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Fail(const std::string& why) {
  std::cerr << "concord-bench-recover: " << why << "\n";
  return 1;
}

testing::CommandResult Concord(const fs::path& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {(testing::BinDir() / "concord").string(), args[0], "--data-dir",
                                   dir.string()};
  argv.insert(argv.end(), args.begin() + 1, args.end());
  return testing::RunCommand(argv, {}, std::chrono::hours(3));
}

int Run(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: concord-bench-recover DATA_DIR SERVICE [CHANGES=100]   (a populated, "
                 "stopped deployment; SERVICE: communities, forums, blogs, ...)\n";
    return 2;
  }
  fs::path dir = fs::absolute(argv[1]);
  std::string service = argv[2];
  int changes = argc > 3 ? std::atoi(argv[3]) : 100;
  if (changes < 1) return Fail("CHANGES must be positive");
  fs::path work = dir / "bench-recover";
  std::error_code ec;
  fs::remove_all(work, ec);
  fs::create_directories(work, ec);
  if (ec) return Fail(fmt::format("cannot create {}: {}", work.string(), ec.message()));

  testing::ConcordServer server(dir);
  if (auto s = server.Start(); !s) return Fail(s.error().message);
  auto admin = server.AdminClient();
  auto backup_start = std::chrono::steady_clock::now();
  auto backup = Concord(dir, {"backup", "--service", service, "--to", (work / "backup").string()});
  if (backup.exit_code != 0) return Fail("backup: " + testing::Show(backup));
  double backup_secs = Seconds(backup_start);

  // The changes the restore takes back: renames of the first CHANGES communities.
  auto page = admin.Get(fmt::format("/communities/api/communities?limit={}", changes));
  if (!page) return Fail(page.error().message);
  if (static_cast<int>((*page)["items"].size()) < changes) {
    return Fail(fmt::format("the deployment has {} communities; populate at least {}",
                            (*page)["items"].size(), changes));
  }
  const auto run = std::chrono::system_clock::now().time_since_epoch().count();
  int i = 0;
  for (const auto& c : (*page)["items"]) {
    auto renamed = admin.Put("/communities/api/communities/" + c["uuid"].get<std::string>(),
                             {{"name", fmt::format("Bench recover {} {}", run, i++)}});
    if (!renamed) return Fail(renamed.error().message);
  }
  for (int tries = 0; !testing::WaitForEmptyQueue(admin); ++tries) {
    if (tries > 60) return Fail("the changes were not delivered within 10 minutes");
  }

  auto restore_start = std::chrono::steady_clock::now();
  auto restore =
      Concord(dir, {"restore", "--service", service, "--from", (work / "backup").string()});
  if (restore.exit_code != 0) return Fail("restore: " + testing::Show(restore));
  double restore_secs = Seconds(restore_start);

  auto start = std::chrono::steady_clock::now();
  auto recover = Concord(dir, {"recover", "--restored", service, "--out", (work / "run").string()});
  double total = Seconds(start);
  server.Stop();
  if (recover.exit_code != 0) return Fail("recover: " + testing::Show(recover));
  json state = testing::ReadJsonFile(work / "run" / "recover-state.json");
  if (!state.contains("seconds") || !state["seconds"].contains("verify")) {
    return Fail("recover-state.json does not say how long the verification took");
  }
  double floor = state["seconds"]["verify"].get<double>();

  fmt::print("{}: {} restored, {} communities renamed after its backup\n", dir.string(), service,
             changes);
  fmt::print("backup {:.1f} s, restore {:.1f} s\n", backup_secs, restore_secs);
  for (const auto& step : state.value("plan", json::array())) {
    std::string id = step.value("id", "");
    if (!state["seconds"].contains(id)) continue;
    fmt::print("  {:<30} {:8.2f} s\n", id, state["seconds"][id].get<double>());
  }
  fmt::print("reports before the resync: {} community-application pairs differed, {} orphans\n",
             state["before"].value("differences", int64_t{-1}),
             state["before"].value("orphans", int64_t{-1}));
  fmt::print("floor (verification: export and report of every affected application): {:.1f} s\n",
             floor);
  fmt::print("concord recover, verified clean: {:.1f} s  {:.2f}x the floor\n", total,
             total / floor);
  return 0;
}

}  // namespace
}  // namespace concord

int main(int argc, char** argv) {
  try {
    return concord::Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "concord-bench-recover: " << e.what() << "\n";
    return 1;
  }
}
