// Maintenance mode's address rules and state file.
#include "concord/maintenance/maintenance.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "concord/testing/process.h"

namespace concord::maintenance {
namespace {

TEST(AddressRangeTest, MatchesAddressesAndCidrRangesOfBothFamilies) {
  struct Case {
    const char* range;
    const char* address;
    bool inside;
  } cases[] = {
      {"10.0.0.5", "10.0.0.5", true},
      {"10.0.0.5", "10.0.0.6", false},
      {"192.168.0.0/16", "192.168.44.1", true},
      {"192.168.0.0/16", "192.169.0.1", false},
      {"10.1.2.128/25", "10.1.2.200", true},
      {"10.1.2.128/25", "10.1.2.127", false},
      {"0.0.0.0/0", "8.8.8.8", true},
      {"127.0.0.3", "::ffff:127.0.0.3", true},  // IPv4-mapped IPv6 is IPv4
      {"fd00::/8", "fd12:3456::1", true},
      {"fd00::/8", "fe80::1", false},
      {"2001:db8::1", "2001:db8::1", true},
      {"2001:db8::/32", "10.0.0.1", false},
      {"10.0.0.0/8", "not an address", false},
  };
  for (const auto& c : cases) {
    auto r = AddressRange::Parse(c.range);
    ASSERT_TRUE(r) << c.range;
    EXPECT_EQ(r->Contains(c.address), c.inside) << c.range << " " << c.address;
  }
  for (const char* bad : {"", "10.0.0", "10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x",
                          "host.example.com", "10.0.0.1,10.0.0.2"}) {
    auto r = AddressRange::Parse(bad, "allow");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "allow");
  }
}

class GateTest : public ::testing::Test {
 protected:
  testing::TempDir dir_{"maintenance"};
  fs::path file() { return dir_.path() / "maintenance.json"; }
  // Writes the state and waits out the gate's re-read interval.
  void Put(const State& s) {
    ASSERT_TRUE(Save(file(), s));
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
  }
};

TEST_F(GateTest, TurnsAwayEveryoneButTheLocalHostAndTheAllowList) {
  auto gate = Gate::Create(file(), {});
  ASSERT_TRUE(gate);
  EXPECT_FALSE((*gate)->Check("203.0.113.9", ""));  // off: everyone is served
  Put({.enabled = true,
       .allow = {"10.0.0.0/8"},
       .retry_after_seconds = 120,
       .reason = "<restore>"});
  auto refused = (*gate)->Check("203.0.113.9", "");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  bool retry_after = false;
  for (const auto& [k, v] : refused->headers) retry_after |= k == "Retry-After" && v == "120";
  EXPECT_TRUE(retry_after);
  EXPECT_NE(refused->body.find("maintenance"), std::string::npos);
  EXPECT_NE(refused->body.find("&lt;restore&gt;"), std::string::npos);  // escaped
  EXPECT_FALSE((*gate)->Check("127.0.0.1", ""));
  EXPECT_FALSE((*gate)->Check("::1", ""));
  EXPECT_TRUE((*gate)->Check("127.0.0.2", ""));  // another loopback address is not the local host
  EXPECT_FALSE((*gate)->Check("10.20.30.40", ""));
  // A forged X-Forwarded-For from an untrusted client changes nothing.
  EXPECT_TRUE((*gate)->Check("203.0.113.9", "10.0.0.1"));
  Put({.enabled = true, .page = "<h1>Back soon</h1>"});
  EXPECT_EQ((*gate)->Check("203.0.113.9", "")->body, "<h1>Back soon</h1>");
  Put({.enabled = false});
  EXPECT_FALSE((*gate)->Check("203.0.113.9", ""));
}

TEST_F(GateTest, BelievesForwardedForOnlyFromTrustedProxies) {
  auto gate = Gate::Create(file(), {"192.0.2.10", "198.51.100.0/24"});
  ASSERT_TRUE(gate);
  auto& g = **gate;
  EXPECT_EQ(g.ClientAddress("192.0.2.10", "203.0.113.9"), "203.0.113.9");
  // Right to left past our own proxies; what the client wrote further left is ignored.
  EXPECT_EQ(g.ClientAddress("192.0.2.10", "10.0.0.1, 203.0.113.9, 198.51.100.7"), "203.0.113.9");
  EXPECT_EQ(g.ClientAddress("203.0.113.9", "10.0.0.1"), "203.0.113.9");  // not a proxy of ours
  Put({.enabled = true, .allow = {"10.0.0.0/8"}});
  EXPECT_FALSE(g.Check("192.0.2.10", "10.1.1.1"));
  EXPECT_TRUE(g.Check("192.0.2.10", "10.1.1.1, 203.0.113.9"));
  EXPECT_FALSE(Gate::Create(file(), {"proxy.example.com"}));
}

TEST_F(GateTest, StateSurvivesAndBadStateIsRefused) {
  EXPECT_FALSE(Load(file())->enabled);
  State s{.enabled = true, .allow = {"10.0.0.1"}, .since = 1000, .by = "admin", .changed_at = 1234};
  ASSERT_TRUE(Save(file(), s));
  auto back = Load(file());
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->enabled);
  EXPECT_EQ(back->changed_at, 1234);
  EXPECT_EQ(back->allow, std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(back->by, "admin");
  EXPECT_NE(Describe(*back).find("maintenance: on"), std::string::npos);
  EXPECT_EQ(Describe(State{}), "maintenance: off");

  auto bad = Save(file(), {.enabled = true, .allow = {"10.0.0.1", "nonsense"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("nonsense"), std::string::npos);
  EXPECT_EQ(Save(file(), {.enabled = true, .page = "\xff\xfe"}).error().field, "page");
  EXPECT_EQ(Load(file())->allow, std::vector<std::string>{"10.0.0.1"});  // unchanged

  std::ofstream(file()) << "{not json";
  EXPECT_FALSE(Load(file()));
  // Found by tests/fuzz (corpus/maintenance/float-retry-after.json): a number that is not an
  // integer in range once went through an undefined float-to-int conversion.
  for (const char* bad :
       {R"({"enabled": true, "retryAfterSeconds": 1e300})",
        R"({"enabled": true, "retryAfterSeconds": 0})", R"({"enabled": true, "since": -1e300})",
        R"({"enabled": true, "since": 1.5})"}) {
    std::ofstream(file()) << bad;
    auto loaded = Load(file());
    ASSERT_FALSE(loaded) << bad;
    EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(Gate::Create(file(), {}));  // a damaged file stops a server at start-up
}

}  // namespace
}  // namespace concord::maintenance
