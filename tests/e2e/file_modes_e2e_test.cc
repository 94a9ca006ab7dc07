// What Concord writes is its owner's only (directories 0700, files 0600), whatever the umask it
// was started with; `concord status` warns about looser modes in the data directory.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <thread>

#include "concord/http/client.h"
#include "concord/testing/process.h"

namespace concord {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::ConcordServer;
using testing::Show;
using testing::TempDir;

unsigned ModeOf(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

// Every directory and file under `root` (itself included) that others may reach, but `except`.
std::vector<std::string> Loose(const fs::path& root, const std::set<std::string>& except = {}) {
  std::vector<std::string> out;
  auto look = [&](const fs::path& p) {
    if (except.contains(p.filename().string())) return;
    if ((ModeOf(p) & 077) != 0) out.push_back(fmt::format("{} {:o}", p.string(), ModeOf(p)));
  };
  look(root);
  for (const auto& e : fs::recursive_directory_iterator(root)) look(e.path());
  return out;
}

class UmaskOf022 {
 public:
  UmaskOf022() : saved_(::umask(022)) {}
  ~UmaskOf022() { ::umask(saved_); }

 private:
  mode_t saved_;
};

TEST(FileModesTest, EverythingConcordWritesIsItsOwnersOnlyWhateverTheUmask) {
  UmaskOf022 umask;  // what concord and concord-admin inherit
  TempDir dir("modes");
  TempDir elsewhere("modes-out");
  ASSERT_EQ(ModeOf(dir.path()), 0755u);
  ConcordServer server(dir.path());
  ASSERT_TRUE(server.Start());
  auto admin = server.AdminClient();
  auto c = *admin.Post("/communities/api/communities", {{"name", "Modes"}});
  std::string path = "/communities/api/communities/" + std::string(c["uuid"]);
  std::string library;
  for (int i = 0; i < 500 && library.empty(); ++i) {
    json widgets = *admin.Get(path + "/widgets");
    for (const auto& w : widgets["items"]) {
      if (w["widgetDefId"] == "Files" && w["remoteResourceId"].is_string())
        library = w["remoteResourceId"];
    }
    if (library.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(library.empty());
  auto up = admin.Send("POST", "/files/api/libraries/" + library + "/files?name=a.txt", "secret");
  ASSERT_EQ(up->status, 201) << up->raw_body;

  // While it runs: the databases with their -wal and -shm, the content, the credentials.
  EXPECT_EQ(ModeOf(dir.path()), 0700u);
  for (const char* f : {"communities.db", "communities.db-wal", "communities.db-shm", "files.db",
                        "files.db-wal", "files.db-shm", "files-content"}) {
    ASSERT_TRUE(fs::exists(dir.path() / f)) << f;
    EXPECT_EQ(ModeOf(dir.path() / f), fs::is_directory(dir.path() / f) ? 0700u : 0600u) << f;
  }
  // A backup and an export, made elsewhere.
  fs::path backup = elsewhere.path() / "monday";
  auto b = testing::RunConcord(dir.path(), {"backup", "--all", "--to", backup.string()});
  ASSERT_EQ(b.exit_code, 0) << Show(b);
  fs::path exported = elsewhere.path() / "forums.xml";
  auto e = testing::RunCommand(
      {(testing::BinDir() / "concord-admin").string(), "--url", server.url(), "-user", "admin",
       "-c",
       "execfile(\"forumsAdmin.py\")\nForumsService.exportSyncedResourceInfo(\"" +
           exported.string() + "\", \"community\")"},
      {"CONCORD_PASSWORD=" + server.AdminPassword()});
  ASSERT_EQ(e.exit_code, 0) << Show(e);
  ASSERT_TRUE(fs::exists(exported)) << Show(e);
  EXPECT_EQ(ModeOf(exported), 0600u);
  EXPECT_EQ(Loose(backup), std::vector<std::string>{});
  // serve.log is the test's own (the server's stderr).
  EXPECT_EQ(Loose(dir.path(), {"serve.log"}), std::vector<std::string>{});

  // A mode loosened by hand is found by `concord status`.
  fs::permissions(dir.path() / "communities.db", fs::perms::owner_read | fs::perms::owner_write |
                                                     fs::perms::group_read |
                                                     fs::perms::others_read);
  auto s = testing::RunConcord(dir.path(), {"status"});
  EXPECT_EQ(s.exit_code, 0) << Show(s);
  EXPECT_NE(s.err.find("warning: " + (dir.path() / "communities.db").string() + " has mode 0644"),
            std::string::npos)
      << Show(s);
  EXPECT_EQ(s.err.find("files.db "), std::string::npos) << Show(s);
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace concord
