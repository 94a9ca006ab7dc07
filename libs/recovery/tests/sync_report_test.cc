// generateSyncReports over a fixed export and a fixed Communities state: every kind of
// difference and orphan found, each locale's output equal to its golden files.
#include "concord/recovery/sync_report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "concord/testing/process.h"
#include "concord/xml/synced_resources.h"

namespace concord::recovery {
namespace {

namespace fs = std::filesystem;

std::string U(int n) { return fmt::format("{:08x}-0000-4000-8000-000000000000", n); }

// Communities, as a vector (paged two at a time, to exercise paging).
class FakeSource : public CommunitySource {
 public:
  std::vector<CommunityState> all;  // in uuid order; those with the widget have an instance id
  int pages = 0, lookups = 0;
  Result<std::vector<CommunityState>> Page(const std::string&, const std::string& after) override {
    ++pages;
    std::vector<CommunityState> out;
    for (const auto& c : all) {
      if (c.widget_instance_id && c.uuid > after && out.size() < 2) out.push_back(c);
    }
    return out;
  }
  Result<std::vector<CommunityState>> Lookup(const std::string&,
                                             const std::vector<std::string>& uuids) override {
    ++lookups;
    std::vector<CommunityState> out;
    for (const auto& c : all) {
      if (std::find(uuids.begin(), uuids.end(), c.uuid) != uuids.end()) out.push_back(c);
    }
    return out;
  }
};

CommunityState Community(int n, std::string name, bool widget, std::string resource) {
  CommunityState c;
  c.uuid = U(n);
  c.name = std::move(name);
  c.visibility = "public";
  c.theme = "default";
  c.version = 3;
  if (widget) {
    c.widget_instance_id = "w-" + std::to_string(n);
    c.resource_id = std::move(resource);
    c.ui_location = "col2";
  }
  c.owners = {Owner{"u-owner", "olivia", "olivia@example.com", "Olivia <O'Brien>"}};
  c.members = {"u-m1", "u-m2"};
  return c;
}

xml::SyncedResource Resource(const CommunityState& c, std::string id) {
  xml::SyncedResource r;
  r.object_identifying_id = std::move(id);
  r.community_uuid = c.uuid;
  r.widget_instance_id = c.widget_instance_id;
  r.version = c.version;
  r.name = c.name;
  r.visibility = c.visibility;
  r.theme = c.theme;
  r.owners = {"u-owner"};
  r.members = c.members;
  return r;
}

class SyncReportTest : public ::testing::Test {
 protected:
  testing::TempDir dir_{"sync-report"};
  FakeSource source_;
  std::vector<xml::SyncedResource> export_;

  void SetUp() override {
    auto& all = source_.all;
    // 1: in step. 2: renamed, restricted, new theme, moderation on, a member promoted and one
    // added. 3: trashed (its visibility forced to private). 4: widget bound to another
    // resource. 5: has the widget, the application lacks its resource. 6: exists without the
    // widget. 8: in the trash without the widget. (7 and 9 do not exist.) 10: hostile name.
    all.push_back(Community(1, "In Step", true, "r-1"));
    all.push_back(Community(2, "Renamed", true, "r-2"));
    all.push_back(Community(3, "Trashed", true, "r-3"));
    all.push_back(Community(4, "Rebound", true, "r-4-new"));
    all.push_back(Community(5, "Widget Added Later", true, "r-5"));
    all.push_back(Community(6, "Widget Removed", false, ""));
    all.push_back(Community(8, "Trashed Without Widget", false, ""));
    all.push_back(Community(10, "<script>alert('x')</script> & Co", true, "r-10"));
    all.back().owners[0].email = "a?subject=x&body=y@example.com";  // headers in a mailto: link
    export_.push_back(Resource(all[0], "r-1"));
    auto two = Resource(all[1], "r-2");
    two.name = "Old Name";
    two.visibility = "private";
    two.theme = "blue";
    two.owners_approve_content = true;
    two.owners = {};
    two.members = {"u-m1", "u-owner", "u-gone"};
    export_.push_back(two);
    auto three = Resource(all[2], "r-3");
    all[2].trashed = true;
    all[2].visibility = "private";
    export_.push_back(three);
    export_.push_back(Resource(all[3], "r-4-old"));
    export_.push_back(Resource(all[5], "r-6"));
    auto seven = Resource(all[0], "r-7");
    seven.community_uuid = U(7);
    seven.name = "Lost Community";
    export_.push_back(seven);
    auto eight = Resource(all[6], "r-8");
    all[6].trashed = true;
    export_.push_back(eight);
    auto nine = Resource(all[0], "r-9");
    nine.community_uuid = U(9);
    nine.name = "Also Lost";
    nine.in_trash = true;
    export_.push_back(nine);
    auto ten = Resource(all[7], "r-10");
    ten.name = "\"><img src=x onerror=alert(1)>";
    export_.push_back(ten);
    // 11: the application's record is bound to another instance of the widget (removed and
    // assigned back after the backup Communities was restored from).
    all.push_back(Community(11, "Widget Replaced", true, "r-11"));
    auto eleven = Resource(all[8], "r-11");
    eleven.widget_instance_id = "w-old";
    export_.push_back(eleven);
  }

  fs::path WriteExport(const std::string& app) {
    fs::path p = dir_.path() / (app + ".xml");
    std::ofstream out(p, std::ios::binary);
    xml::ExportWriter w([&](std::string_view s) {
      out << s;
      return true;
    });
    EXPECT_TRUE(w.Begin({.remote_app_def_id = app,
                         .exported = *ParseTimestamp("2026-11-26T08:00:00.000Z"),
                         .last_applied_event_seq = 1234}));
    for (const auto& r : export_) EXPECT_TRUE(w.Add(r));
    EXPECT_TRUE(w.End());
    return p;
  }
};

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(SyncReportTest, FindsEveryKindOfDifferenceAndOrphanInEveryLocale) {
  fs::path golden_dir =
      fs::path(std::getenv("CONCORD_SOURCE_DIR") ? std::getenv("CONCORD_SOURCE_DIR") : "../..") /
      "libs/recovery/tests/golden";
  Millis now = *ParseTimestamp("2026-11-26T09:00:00.000Z");
  for (const std::string locale : {"en", "de", "fr"}) {
    fs::path out = dir_.path() / ("out-" + locale);
    auto summary = GenerateSyncReports(WriteExport("Forum"), out, source_, locale, now);
    ASSERT_TRUE(summary) << summary.error().ToString();
    EXPECT_EQ(summary->remote_app_def_id, "Forum");
    EXPECT_EQ(summary->resources, 10);
    EXPECT_EQ(summary->differences, 6);  // 2, 3, 4 (its own resource missing), 5, 10, 11
    EXPECT_EQ(summary->orphans, 5);      // r-4-old, r-6, r-7, r-8, r-9
    ASSERT_EQ(summary->files.size(), 4u);
    for (const auto& f : summary->files) {
      fs::path golden = golden_dir / (locale + "_" + f.filename().string());
      std::string got = Read(f);
      if (std::getenv("CONCORD_UPDATE_GOLDEN")) std::ofstream(golden, std::ios::binary) << got;
      EXPECT_EQ(got, Read(golden)) << f << ": run with CONCORD_UPDATE_GOLDEN=1 to accept a change";
    }
  }
  // What a program reads: the JSON.
  auto diffs = nlohmann::json::parse(Read(dir_.path() / "out-en/Forum_communityDifferences.json"));
  std::map<std::string, nlohmann::json> by_uuid;
  for (const auto& d : diffs["differences"]) by_uuid[d["communityUuid"]] = d;
  ASSERT_EQ(by_uuid.size(), 6u);
  auto two = by_uuid[U(2)];
  EXPECT_EQ(two["status"], "differs");
  std::map<std::string, std::pair<std::string, std::string>> attrs;
  for (const auto& a : two["attributes"])
    attrs[a["attribute"]] = {a["communities"], a["application"]};
  EXPECT_EQ(attrs["name"], std::make_pair(std::string("Renamed"), std::string("Old Name")));
  EXPECT_EQ(attrs["visibility"], std::make_pair(std::string("public"), std::string("private")));
  EXPECT_EQ(attrs["theme"], std::make_pair(std::string("default"), std::string("blue")));
  EXPECT_EQ(attrs["ownersApproveContent"],
            std::make_pair(std::string("false"), std::string("true")));
  EXPECT_EQ(two["ownersMissing"], nlohmann::json({"u-owner"}));
  EXPECT_EQ(two["membersMissing"], nlohmann::json({"u-m2"}));
  EXPECT_EQ(two["membersExtra"], nlohmann::json({"u-gone", "u-owner"}));
  EXPECT_EQ(two["owners"][0]["email"], "olivia@example.com");
  // The trashed community is reported as trashed, not as a visibility difference.
  EXPECT_EQ(by_uuid[U(3)]["status"], "trashed");
  for (const auto& a : by_uuid[U(3)]["attributes"]) EXPECT_NE(a["attribute"], "visibility");
  EXPECT_EQ(by_uuid[U(4)]["status"], "missingResource");
  EXPECT_EQ(by_uuid[U(4)]["objectIdentifyingId"], "r-4-new");
  EXPECT_EQ(by_uuid[U(5)]["status"], "missingResource");
  EXPECT_FALSE(by_uuid.contains(U(1)));
  EXPECT_EQ(by_uuid[U(11)]["status"], "differs");
  ASSERT_EQ(by_uuid[U(11)]["attributes"].size(), 1u) << by_uuid[U(11)].dump();
  EXPECT_EQ(by_uuid[U(11)]["attributes"][0]["attribute"], "widgetInstanceId");
  EXPECT_EQ(by_uuid[U(11)]["attributes"][0]["communities"], "w-11");
  EXPECT_EQ(by_uuid[U(11)]["attributes"][0]["application"], "w-old");

  auto orphans =
      nlohmann::json::parse(Read(dir_.path() / "out-en/Forum_orphanedRemoteApplications.json"));
  std::map<std::string, nlohmann::json> by_id;
  for (const auto& o : orphans["orphans"]) by_id[o["objectIdentifyingId"]] = o;
  EXPECT_EQ(by_id["r-4-old"]["reason"], "widgetBoundElsewhere");
  EXPECT_EQ(by_id["r-6"]["reason"], "widgetMissing");
  EXPECT_EQ(by_id["r-6"]["assignCommand"],
            "CommunitiesRemoteAppService.assignRemoteApp(\"Forum\", \"r-6\", \"" + U(6) + "\", \"" +
                U(6) + "\", \"col2\")");
  EXPECT_EQ(by_id["r-7"]["reason"], "communityMissing");
  EXPECT_EQ(by_id["r-7"]["oldCommunityUuid"], U(7));
  EXPECT_EQ(by_id["r-8"]["reason"], "communityTrashed");
  EXPECT_EQ(by_id["r-9"]["reason"], "communityMissing");
  EXPECT_NE(by_id["r-7"]["deleteCommand"].get<std::string>().find("ForumsService.deleteForums("),
            std::string::npos);
  // Hostile names are escaped in HTML.
  std::string html = Read(dir_.path() / "out-en/Forum_communityDifferences.html");
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("Olivia &lt;O&#39;Brien&gt;"), std::string::npos);
  // An address is a mailto: address only: ? and & would add a subject and body.
  EXPECT_NE(html.find("mailto:a%3Fsubject=x%26body=y@example.com\""), std::string::npos) << html;
  EXPECT_EQ(html.find("mailto:a?"), std::string::npos);
  EXPECT_GT(source_.pages, 3) << "the Communities side is read in pages";
}

TEST_F(SyncReportTest, ABadExportLeavesNoReportBehind) {
  fs::path good = WriteExport("Wiki");
  std::string text = Read(good);
  fs::path truncated = dir_.path() / "truncated.xml";
  std::ofstream(truncated, std::ios::binary) << text.substr(0, text.size() * 2 / 3);
  fs::path out = dir_.path() / "bad-out";
  auto r = GenerateSyncReports(truncated, out, source_, "en", 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos) << r.error().message;
  EXPECT_TRUE(fs::is_empty(out)) << "no report, not even a partial one";
  // A Communities that fails mid-way leaves nothing either.
  class Failing : public FakeSource {
    Result<std::vector<CommunityState>> Lookup(const std::string&,
                                               const std::vector<std::string>&) override {
      return Unavailable("Communities went away");
    }
  } failing;
  failing.all = source_.all;
  r = GenerateSyncReports(good, out, failing, "en", 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(fs::is_empty(out));
  // An export of an application this Concord does not have (the schema takes any name; the
  // registry says which exist).
  r = GenerateSyncReports(WriteExport("Guestbook"), out, source_, "en", 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("'Guestbook', which is not a remote application"),
            std::string::npos)
      << r.error().message;
  EXPECT_FALSE(r.error().accepted.empty());
  EXPECT_TRUE(fs::is_empty(out));
}

TEST(LocaleTest, ComesFromTheArgumentOrTheEnvironment) {
  EXPECT_EQ(*ResolveLocale("de"), "de");
  EXPECT_EQ(*ResolveLocale("fr_FR.UTF-8"), "fr");
  auto bad = ResolveLocale("es");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().accepted, (std::vector<std::string>{"en", "de", "fr"}));
  ::setenv("LC_ALL", "de_DE.UTF-8", 1);
  EXPECT_EQ(*ResolveLocale(""), "de");
  ::setenv("LC_ALL", "C", 1);
  EXPECT_EQ(*ResolveLocale(""), "en");
  ::unsetenv("LC_ALL");
}

}  // namespace
}  // namespace concord::recovery
