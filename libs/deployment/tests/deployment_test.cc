#include "concord/deployment/deployment.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace concord::deployment {
namespace {

class DeploymentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.root = fs::temp_directory_path() /
                ("concord-dep-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_.root);
    fs::create_directories(dir_.root);
  }
  void TearDown() override { fs::remove_all(dir_.root); }
  void WriteConfig(const std::string& text) { std::ofstream(dir_.Config()) << text; }
  DataDir dir_;
};

TEST_F(DeploymentTest, MissingConfigGivesDefaults) {
  auto c = LoadConfig(dir_);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->trash_retention_days, 30);
}

TEST_F(DeploymentTest, ConfigValuesAreRead) {
  WriteConfig("[server]\nlisten = \"127.0.0.1:9000\"\n[communities]\ntrash_retention_days = 7\n");
  auto c = LoadConfig(dir_);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->listen, "127.0.0.1:9000");
  EXPECT_EQ(c->trash_retention_days, 7);
}

TEST_F(DeploymentTest, ConfigErrorsNameTheKey) {
  WriteConfig("[communities]\ntrash_retention_dayz = 7\n");
  auto c = LoadConfig(dir_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().field, "communities.trash_retention_dayz");
  EXPECT_FALSE(c.error().accepted.empty());

  WriteConfig("[communities]\ntrash_retention_days = \"seven\"\n");
  c = LoadConfig(dir_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().field, "communities.trash_retention_days");

  WriteConfig("[server\nlisten=");
  c = LoadConfig(dir_);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("not valid TOML"), std::string::npos);

  WriteConfig("[server]\nlisten = \"nowhere\"\n");
  EXPECT_FALSE(LoadConfig(dir_));
}

// Several hosts and nodes: Communities nodes as one URL or a list, where each application runs,
// where this process is reached; bad values named.
TEST_F(DeploymentTest, NodesAndEndpointsAreReadAndChecked) {
  WriteConfig("[services]\ncommunities_url = \"http://10.0.0.4:8080\"\n");
  auto c = LoadConfig(dir_);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->communities_urls, std::vector<std::string>{"http://10.0.0.4:8080"});

  WriteConfig(
      "[server]\nadvertise_url = \"http://node-a.example.com:8080\"\n"
      "[services]\ncommunities_url = [\"http://10.0.0.4:8080\", \"http://10.0.0.5:8080\"]\n"
      "[services.forums]\nurl = \"http://forums.example.com\"\n"
      "nodes = [\"http://10.0.0.7:8080\", \"http://10.0.0.8:8080\"]\n"
      "[services.blogs]\nurl = \"http://10.0.0.6:8080\"\n");
  c = LoadConfig(dir_);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->communities_urls,
            (std::vector<std::string>{"http://10.0.0.4:8080", "http://10.0.0.5:8080"}));
  EXPECT_EQ(c->advertise_url, "http://node-a.example.com:8080");
  EXPECT_EQ(c->service_endpoints["forums"].url, "http://forums.example.com");
  EXPECT_EQ(c->service_endpoints["forums"].nodes.size(), 2U);
  EXPECT_EQ(c->service_endpoints["blogs"].nodes,
            std::vector<std::string>{"http://10.0.0.6:8080"});  // default: the url itself

  for (const auto& [text, field] : std::vector<std::pair<std::string, std::string>>{
           {"[services]\ncommunities_url = []\n", "services.communities_url"},
           {"[services]\ncommunities_url = [\"ftp://x\"]\n", "services.communities_url"},
           {"[services]\ncommunities_url = 8080\n", "services.communities_url"},
           {"[server]\nadvertise_url = \"10.0.0.4:8080\"\n", "server.advertise_url"},
           {"[services.forums]\nnodes = [\"http://10.0.0.7:8080\"]\n", "services.forums.url"},
           {"[services.forums]\nurl = \"http://a\"\nport = 1\n", "services.forums.port"},
           {"[services.nosuch]\nurl = \"http://a\"\n", "services.nosuch"}}) {
    WriteConfig(text);
    auto bad = LoadConfig(dir_);
    ASSERT_FALSE(bad) << text;
    EXPECT_EQ(bad.error().field, field) << text << bad.error().ToString();
  }
}

TEST_F(DeploymentTest, EachServiceNamesItsOwnStorage) {
  WriteConfig(
      "[communities]\ndatabase = \"postgresql://concord@db1:5432/c?sslmode=require\"\n"
      "password_file = \"/etc/concord/db1.password\"\n"
      "[forums]\ndatabase = \"postgres://concord@db2/f\"\n"
      "[files]\ncontent_dir = \"/srv/files\"\n");
  auto c = LoadConfig(dir_);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->Storage("communities").database, "postgresql://concord@db1:5432/c?sslmode=require");
  EXPECT_EQ(c->Storage("communities").password_file, "/etc/concord/db1.password");
  EXPECT_EQ(c->Storage("forums").database, "postgres://concord@db2/f");
  EXPECT_EQ(c->Storage("files").database, "sqlite:files.db");  // the default
  EXPECT_EQ(c->Storage("files").content_dir, "/srv/files");
  EXPECT_EQ(c->Storage("wikis").database, "sqlite:wikis.db");

  struct Bad {
    std::string toml;
    std::string field;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"[forums]\ndatabse = \"sqlite:x.db\"\n", "forums.databse"},
           {"[forums]\ndatabase = \"mysql://x/y\"\n", "forums.database"},
           {"[forums]\npassword_file = \"p\"\n", "forums.password_file"},
           {"[communities]\ncontent_dir = \"x\"\n", "communities.content_dir"},
           {"[forum]\ndatabase = \"sqlite:x.db\"\n", "forum"},
       }) {
    WriteConfig(bad.toml);
    auto refused = LoadConfig(dir_);
    ASSERT_FALSE(refused) << bad.toml;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << bad.toml;
    EXPECT_EQ(refused.error().field, bad.field) << bad.toml;
  }
}

TEST_F(DeploymentTest, UploadLimitsAreReadAndChecked) {
  WriteConfig("[server]\nmax_upload_bytes = 5368709120\nupload_stall_timeout_seconds = 90\n");
  auto c = LoadConfig(dir_);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->max_upload_bytes, int64_t{5368709120});  // beyond 32 bits
  EXPECT_EQ(c->upload_stall_timeout_seconds, 90);
  for (const char* bad :
       {"max_upload_bytes = 10", "max_upload_bytes = \"1G\"", "upload_stall_timeout_seconds = 0"}) {
    WriteConfig(std::string("[server]\n") + bad + "\n");
    c = LoadConfig(dir_);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().field, "server." + std::string(bad).substr(0, std::string(bad).find(' ')));
    EXPECT_NE(c.error().message.find("whole number from"), std::string::npos) << bad;
  }
}

TEST_F(DeploymentTest, CredentialsAreWrittenOnceWithMode0600) {
  ASSERT_TRUE(WriteCredentials(dir_.Credentials(), {"admin", "s3cret"}));
  struct stat st {};
  ASSERT_EQ(::stat(dir_.Credentials().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto c = ReadCredentials(dir_.Credentials());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "admin");
  EXPECT_EQ(c->password, "s3cret");
  auto again = WriteCredentials(dir_.Credentials(), {"admin", "other"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(ReadCredentials(dir_.Credentials())->password, "s3cret");
}

TEST_F(DeploymentTest, LockExcludesASecondHolder) {
  auto first = Lock::Acquire(dir_, "concord serve");
  ASSERT_TRUE(first);
  auto second = Lock::Acquire(dir_, "concord populate");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(second.error().message.find("concord serve"), std::string::npos)
      << second.error().message;
}

TEST_F(DeploymentTest, ClientSettingsPreferTheEnvironment) {
  ASSERT_TRUE(WriteServerInfo(dir_, {"http://127.0.0.1:1234", ::getpid()}));
  ASSERT_TRUE(WriteCredentials(dir_.Credentials(), {"admin", "pw"}));
  ::unsetenv("CONCORD_URL");
  ::unsetenv("CONCORD_USER");
  ::unsetenv("CONCORD_PASSWORD");
  auto s = ResolveClientSettings(dir_);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->url, "http://127.0.0.1:1234");
  EXPECT_EQ(s->user, "admin");
  ::setenv("CONCORD_URL", "http://127.0.0.1:9", 1);
  ::setenv("CONCORD_USER", "alice", 1);
  ::setenv("CONCORD_PASSWORD", "apw", 1);
  s = ResolveClientSettings(dir_);
  ::unsetenv("CONCORD_URL");
  ::unsetenv("CONCORD_USER");
  ::unsetenv("CONCORD_PASSWORD");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->url, "http://127.0.0.1:9");
  EXPECT_EQ(s->user, "alice");
  EXPECT_EQ(s->password, "apw");
}

TEST_F(DeploymentTest, NoServerIsAClearError) {
  ::unsetenv("CONCORD_URL");
  auto s = ResolveClientSettings(dir_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("concord serve"), std::string::npos) << s.error().message;
}

TEST(ParseListenTest, Forms) {
  EXPECT_EQ(ParseListen("127.0.0.1:8080")->second, 8080);
  EXPECT_EQ(ParseListen("[::1]:80")->first, "::1");
  EXPECT_FALSE(ParseListen("localhost"));
  EXPECT_FALSE(ParseListen("a:99999"));
  EXPECT_FALSE(ParseListen(":80"));
}

}  // namespace
}  // namespace concord::deployment
