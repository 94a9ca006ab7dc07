// The synced-resource export format: what is written reads back, the file matches the golden
// one, and every kind of bad file is refused with a clear error.
#include "concord/xml/synced_resources.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "concord/testing/process.h"

namespace concord::xml {
namespace {

namespace fs = std::filesystem;

std::vector<SyncedResource> Sample() {
  SyncedResource a;
  a.object_identifying_id = "blog-1";
  a.community_uuid = "0a000000-0000-4000-8000-000000000001";
  a.widget_instance_id = "w-1";
  a.version = 7;
  a.name = "R&D <Platform> \"Guild\" 'team'";
  a.visibility = "private";
  a.list_when_private = true;
  a.theme = "blue";
  a.owners_approve_content = true;
  a.owners = {"u-1"};
  a.members = {"u-2", "u-3"};
  SyncedResource b;
  b.object_identifying_id = "blog-2";
  b.community_uuid = "0b000000-0000-4000-8000-000000000002";
  b.version = 1;
  b.in_trash = true;
  b.name = "Zürich \xE2\x80\x94 caf\xC3\xA9 \x01 bell";
  b.visibility = "public";
  b.theme = "";
  b.viewers_flag_content = true;
  return {a, b};
}

std::string Write(const std::vector<SyncedResource>& resources) {
  std::string out;
  ExportWriter w([&](std::string_view chunk) {
    out += chunk;
    return true;
  });
  EXPECT_TRUE(w.Begin({.remote_app_def_id = "Blog",
                       .exported = *ParseTimestamp("2026-11-26T09:30:00.000Z"),
                       .last_applied_event_seq = 42}));
  for (const auto& r : resources) EXPECT_TRUE(w.Add(r));
  EXPECT_TRUE(w.End());
  return out;
}

class ExportFileTest : public ::testing::Test {
 protected:
  testing::TempDir dir_{"xml-export"};
  fs::path Put(const std::string& text) {
    fs::path p = dir_.path() / ("export-" + std::to_string(n_++) + ".xml");
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  // The error reading `text` fails with, or "" if it reads.
  std::string ErrorOf(const std::string& text) {
    auto r = ExportReader::Open(Put(text));
    if (!r) return r.error().message;
    while (true) {
      auto next = (*r)->Next();
      if (!next) return next.error().message;
      if (!*next) return "";
    }
  }
  int n_ = 0;
};

TEST_F(ExportFileTest, WhatIsWrittenReadsBackAndMatchesTheGoldenFile) {
  std::string xml = Write(Sample());
  fs::path golden =
      fs::path(std::getenv("CONCORD_SOURCE_DIR") ? std::getenv("CONCORD_SOURCE_DIR") : "../..") /
      "libs/xml/tests/golden/export.xml";
  if (std::getenv("CONCORD_UPDATE_GOLDEN")) std::ofstream(golden, std::ios::binary) << xml;
  std::ifstream in(golden, std::ios::binary);
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(xml, expected.str()) << "run with CONCORD_UPDATE_GOLDEN=1 to accept a change";

  auto reader = ExportReader::Open(Put(xml));
  ASSERT_TRUE(reader) << reader.error().ToString();
  EXPECT_EQ((*reader)->header().remote_app_def_id, "Blog");
  EXPECT_EQ((*reader)->header().last_applied_event_seq, 42);
  EXPECT_EQ(FormatTimestamp((*reader)->header().exported), "2026-11-26T09:30:00.000Z");
  auto want = Sample();
  want[1].name = "Zürich \xE2\x80\x94 caf\xC3\xA9 \xEF\xBF\xBD bell";  // the control character
  for (const auto& w : want) {
    auto got = (*reader)->Next();
    ASSERT_TRUE(got) << got.error().ToString();
    ASSERT_TRUE(*got);
    EXPECT_EQ((*got)->object_identifying_id, w.object_identifying_id);
    EXPECT_EQ((*got)->community_uuid, w.community_uuid);
    EXPECT_EQ((*got)->widget_instance_id, w.widget_instance_id);
    EXPECT_EQ((*got)->version, w.version);
    EXPECT_EQ((*got)->in_trash, w.in_trash);
    EXPECT_EQ((*got)->name, w.name);
    EXPECT_EQ((*got)->visibility, w.visibility);
    EXPECT_EQ((*got)->list_when_private, w.list_when_private);
    EXPECT_EQ((*got)->theme, w.theme);
    EXPECT_EQ((*got)->owners_approve_content, w.owners_approve_content);
    EXPECT_EQ((*got)->viewers_flag_content, w.viewers_flag_content);
    EXPECT_EQ((*got)->owners, w.owners);
    EXPECT_EQ((*got)->members, w.members);
  }
  auto end = (*reader)->Next();
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
  EXPECT_EQ(ErrorOf(Write({})), "");  // an application with nothing is a valid export
}

TEST_F(ExportFileTest, BadFilesAreRefusedWithTheReason) {
  std::string good = Write(Sample());
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    auto p = s.find(from);
    EXPECT_NE(p, std::string::npos) << from;
    return s.replace(p, from.size(), to);
  };
  struct Case {
    std::string text;
    std::string expected;
  } cases[] = {
      {good.substr(0, good.size() / 2), "truncated"},
      {good.substr(0, good.find("<end")), ""},  // libxml2 or we say it is cut short
      {"", "the file is empty"},
      {"not xml at all", "line 1"},
      {replaced("<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "<?xml version=\"1.0\"?>\n<!DOCTYPE syncedResources [<!ENTITY x SYSTEM "
                "\"file:///etc/passwd\">]>"),
       "DOCTYPE is not allowed"},
      {replaced("urn:concord:synced-resources:1", "urn:other"), "syncedResources"},
      {replaced("formatVersion=\"1\"", "formatVersion=\"2\""), "format version 2 is not supported"},
      {replaced("<end resources=\"2\"/>", "<end resources=\"3\"/>"),
       "<end> says 3 resources, the file has 2"},
      {replaced("<visibility>public</visibility>", "<visibility>restricted</visibility>"),
       "restricted"},
      {replaced("<theme>blue</theme>", "<theme>blue</theme><extra/>"), "extra"},
      {replaced("0b000000-0000-4000-8000-000000000002", "0000aaaa-0000-4000-8000-000000000002"),
       "not in community uuid order"},
      {replaced("communityUuid=\"0a000000-0000-4000-8000-000000000001\"",
                "communityUuid=\"../../etc/passwd\""),
       "communityUuid"},
      {replaced("<name>", "<name><b><c><d><e>deep</e></d></c></b>"), ""},
  };
  for (const auto& c : cases) {
    std::string error = ErrorOf(c.text);
    EXPECT_FALSE(error.empty()) << c.text.substr(0, 300);
    EXPECT_NE(error.find("is not a valid synced-resource export"), std::string::npos) << error;
    if (!c.expected.empty()) {
      EXPECT_NE(error.find(c.expected), std::string::npos) << error;
    }
  }
  // Deep nesting is stopped long before it costs memory.
  std::string deep = replaced("<name>", "<name>" + std::string(20000, '<'));
  EXPECT_FALSE(ErrorOf(deep).empty());
  std::string nested;
  for (int i = 0; i < 5000; ++i) nested += "<a>";
  EXPECT_FALSE(ErrorOf(replaced("<name>", "<name>" + nested)).empty());
  auto missing = ExportReader::Open(dir_.path() / "nope.xml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no such file"), std::string::npos);
}

// Every ASCII character in every free-text field and attribute reads back as it was written, except
// the control characters XML cannot carry, which become U+FFFD. (Tabs, line feeds and carriage
// returns survive in attributes too, where a parser would otherwise normalize them to spaces.)
TEST_F(ExportFileTest, EveryCharacterInEveryFieldReadsBack) {
  std::string all;
  for (int c = 1; c < 128; ++c) all += static_cast<char>(c);
  all += "\xC3\xA9\xE2\x80\x94\xF0\x9F\x99\x82";  // é — and an emoji
  std::string expected;
  for (char c : all) {
    auto u = static_cast<unsigned char>(c);
    expected += (u < 0x20 && c != '\t' && c != '\n' && c != '\r') ? std::string("\xEF\xBF\xBD")
                                                                  : std::string(1, c);
  }
  // The noncharacters U+FFFE and U+FFFF, which XML 1.0 cannot carry either.
  all += "\xEF\xBF\xBE\xEF\xBF\xBF";
  expected += "\xEF\xBF\xBD\xEF\xBF\xBD";
  SyncedResource r;
  r.object_identifying_id = all;
  r.community_uuid = "0c000000-0000-4000-8000-000000000003";  // the schema's uuid pattern
  r.widget_instance_id = all;
  r.name = all;
  r.visibility = "private";  // an enumeration in the schema
  r.theme = all;
  r.owners = {all};
  r.members = {"m-" + all};
  auto reader = ExportReader::Open(Put(Write({r})));
  ASSERT_TRUE(reader) << reader.error().message;
  auto got = (*reader)->Next();
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_TRUE(*got);
  const SyncedResource& back = **got;
  EXPECT_EQ(back.object_identifying_id, expected);
  EXPECT_EQ(back.widget_instance_id.value_or(""), expected);
  EXPECT_EQ(back.name, expected);
  EXPECT_EQ(back.theme, expected);
  EXPECT_EQ(back.owners, std::vector<std::string>{expected});
  EXPECT_EQ(back.members, std::vector<std::string>{"m-" + expected});
  auto end = (*reader)->Next();
  ASSERT_TRUE(end) << end.error().message;
  EXPECT_FALSE(*end);
}

TEST(ExportWriterTest, RefusesResourcesOutOfOrderAndReportsADeadSink) {
  ExportWriter w([](std::string_view) { return true; });
  ASSERT_TRUE(w.Begin({.remote_app_def_id = "Forum"}));
  auto s = Sample();
  ASSERT_TRUE(w.Add(s[1]));
  EXPECT_FALSE(w.Add(s[0]));
  ExportWriter dead([](std::string_view) { return false; });
  Status st = dead.Begin({.remote_app_def_id = "Forum"});
  for (int i = 0; st && i < 10000; ++i) {
    auto r = s[0];
    r.community_uuid = fmt::format("{:08x}-0000-4000-8000-000000000000", i);
    st = dead.Add(r);
  }
  if (st) st = dead.End();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace concord::xml
