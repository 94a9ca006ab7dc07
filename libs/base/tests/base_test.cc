#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "concord/base/clock.h"
#include "concord/base/error.h"
#include "concord/base/ids.h"
#include "concord/base/json_file.h"
#include "concord/base/log.h"
#include "concord/base/secrets.h"
#include "concord/base/text.h"

namespace concord {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("x", "must be even");
  return x / 2;
}

Result<int> Quarter(int x) {
  CONCORD_ASSIGN_OR_RETURN(int h, Half(x));
  CONCORD_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(ErrorTest, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().field, "x");
  EXPECT_EQ(r.error().ToString(), "INVALID_ARGUMENT: must be even");
}

TEST(IdsTest, GeneratedUuidsAreCanonicalAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = NewUuid();
    EXPECT_TRUE(IsUuid(u)) << u;
    EXPECT_EQ(u[14], '4');
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(IdsTest, SeededUuidsAreReproducible) {
  std::mt19937_64 a(42), b(42), c(43);
  EXPECT_EQ(NewUuid(a), NewUuid(b));
  EXPECT_NE(NewUuid(a), NewUuid(c));
}

// RFC 9562 version 7: the milliseconds in the first 48 bits, big-endian; version 7; variant 10.
TEST(IdsTest, TimeOrderedUuidsCarryTheirTimeAndSortByIt) {
  std::mt19937_64 rng(42);
  const int64_t ms = 0x0123456789ab;
  std::string u = NewTimeOrderedUuid(ms, rng);
  EXPECT_TRUE(IsUuid(u)) << u;
  EXPECT_EQ(u.substr(0, 13), "01234567-89ab") << u;
  EXPECT_EQ(u[14], '7') << u;
  EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
  std::string later = NewTimeOrderedUuid(ms + 1, rng);
  EXPECT_LT(u, later);
  std::mt19937_64 again(42);
  EXPECT_EQ(NewTimeOrderedUuid(ms, again), u) << "the same draws make the same uuid";
}

TEST(IdsTest, RejectsNonCanonicalUuids) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("1234"));
  EXPECT_FALSE(IsUuid("A1B2C3D4-0000-4000-8000-000000000000"));  // upper case
  EXPECT_FALSE(IsUuid("a1b2c3d4x0000-4000-8000-000000000000"));
  EXPECT_FALSE(IsUuid("../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaa"));
  EXPECT_TRUE(IsUuid("a1b2c3d4-0000-4000-8000-000000000000"));
}

TEST(ClockTest, TimestampsRoundTrip) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000Z");
  Millis t = 1795000000123;
  EXPECT_EQ(ParseTimestamp(FormatTimestamp(t)), t);
  EXPECT_EQ(ParseTimestamp("2026-11-26T09:30:00Z"), ParseTimestamp("2026-11-26T09:30:00.000Z"));
  EXPECT_FALSE(ParseTimestamp("yesterday"));
}

TEST(SecretsTest, PasswordHashVerifiesOnlyTheRightPassword) {
  ASSERT_TRUE(InitSecrets());
  auto hash = HashPassword("correct horse");
  ASSERT_TRUE(hash);
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_EQ(hash->find("correct horse"), std::string::npos);
  EXPECT_TRUE(VerifyPassword("correct horse", *hash));
  EXPECT_FALSE(VerifyPassword("correct horsf", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse", "not a hash"));
}

TEST(SecretsTest, RandomPasswordsDiffer) {
  std::string a = RandomPassword(), b = RandomPassword();
  EXPECT_EQ(a.size(), 24u);
  EXPECT_NE(a, b);
  EXPECT_EQ(ProcessKeyedDigest("x"), ProcessKeyedDigest("x"));
  EXPECT_NE(ProcessKeyedDigest("x"), ProcessKeyedDigest("y"));
}

TEST(TextTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("Équipe 東京 🚀"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_EQ(Utf8Length("Équipe"), 6u);
}

TEST(TextTest, ControlCharactersAndTrim) {
  EXPECT_TRUE(HasControlChars(std::string("a\0b", 3), true));
  EXPECT_TRUE(HasControlChars("a\x1b[31mred", true));
  EXPECT_FALSE(HasControlChars("line\nline", true));
  EXPECT_TRUE(HasControlChars("line\nline", false));
  EXPECT_EQ(Trim("  a b \n"), "a b");
}

// Names and text become XML in the exports, which cannot carry U+FFFE and U+FFFF: refused, and
// said so, while other characters outside ASCII are welcome.
TEST(TextTest, NonCharactersAreRefused) {
  for (const char* bad : {"bad \xEF\xBF\xBF name", "\xEF\xBF\xBE"}) {
    auto line = ValidSingleLine(bad, "name", 100);
    ASSERT_FALSE(line) << bad;
    EXPECT_EQ(line.error().field, "name");
    EXPECT_NE(line.error().message.find("U+FFFE or U+FFFF"), std::string::npos);
    EXPECT_FALSE(ValidText(bad, "description", 100));
  }
  EXPECT_TRUE(ValidSingleLine("Z\xC3\xBCrich \xEF\xBF\xBD \xF0\x9F\x99\x82", "name", 100));
}

TEST(LogTest, EscapingKeepsEveryMessageOnOneLine) {
  // A decoded request path that tries to start a forged line of its own.
  std::string forged = "/nothing\n2026-12-01T06:00:00.000 INFO  request method=POST status=201";
  EXPECT_EQ(EscapeForLog(forged).find('\n'), std::string::npos);
  EXPECT_EQ(EscapeForLog("a\r\tb\x1b[31m\x7f"), "a\\r\\tb\\x1b[31m\\x7f");
  EXPECT_EQ(EscapeForLog("Équipe \xff"), "Équipe \\xff");  // valid UTF-8 kept, invalid escaped
}

TEST(LogTest, JsonLinesCarryFieldsAndEscapeValues) {
  InitLogging("info", LogFormat::kJson);
  ::testing::internal::CaptureStderr();
  LogEvent(spdlog::level::info, "request",
           {{"path", std::string_view("/x\n{\"forged\":1}")}, {"status", int64_t{404}}});
  spdlog::info("plain \"quoted\"\nsecond");
  spdlog::default_logger()->flush();
  std::string out = ::testing::internal::GetCapturedStderr();
  InitLogging("info", LogFormat::kText);
  // Exactly two lines, each one JSON object.
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  std::string first = out.substr(0, out.find('\n'));
  EXPECT_NE(first.find(R"("message":"request","path":"/x\n{\"forged\":1}","status":404)"),
            std::string::npos)
      << first;
  EXPECT_NE(out.find(R"("message":"plain \"quoted\"\nsecond")"), std::string::npos) << out;
  EXPECT_FALSE(ParseLogFormat("xml"));
}

// A wrong type, a missing field, garbage and truncation: each an error naming the file and the
// field, never an exception.
TEST(JsonFileTest, BadFilesAreErrorsNamingTheFileAndTheField) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("base-json-" + NewUuid());
  fs::create_directories(dir);
  fs::path file = dir / "manifest.json";
  struct Case {
    std::string content;
    std::string field;  // expected in Error::field and the message
  };
  const std::vector<Case> cases = {
      {R"({"deploymentId": 17, "services": {"forums": {"file": "forums.db"}}})", "deploymentId"},
      {R"({"services": {"forums": {"file": "forums.db"}}})", "deploymentId"},
      {R"({"deploymentId": "x", "services": {"forums": {"file": 3}}})", "services.forums.file"},
      {R"({"deploymentId": "x", "services": []})", "services"},
      {R"({"deploymentId": "x", "servi)", "manifest.json"},
      {"\x01garbage", "manifest.json"},
      {"[1, 2]", "manifest.json"},
  };
  for (const auto& c : cases) {
    std::ofstream(file, std::ios::trunc) << c.content;
    auto read = [&]() -> Status {
      CONCORD_ASSIGN_OR_RETURN(JsonFields m, ReadJsonFile(file));
      CONCORD_ASSIGN_OR_RETURN(std::string id, m.String("deploymentId"));
      CONCORD_ASSIGN_OR_RETURN(JsonFields services, m.Object("services"));
      for (const auto& key : services.Keys()) {
        CONCORD_ASSIGN_OR_RETURN(JsonFields entry, services.Object(key));
        CONCORD_ASSIGN_OR_RETURN(std::string f, entry.String("file"));
        CONCORD_ASSIGN_OR_RETURN(int64_t bytes, entry.Int("bytes", 0));
        (void)f;
        (void)bytes;
      }
      (void)id;
      return Ok();
    };
    auto s = read();
    ASSERT_FALSE(s) << c.content;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << c.content;
    EXPECT_EQ(s.error().field, c.field) << c.content;
    EXPECT_NE(s.error().message.find(file.string()), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find(c.field), std::string::npos) << s.error().message;
  }
  EXPECT_EQ(ReadJsonFile(dir / "none.json").error().code, ErrorCode::kNotFound);
  fs::remove_all(dir);
}

// Found with tests/fuzz/backup_manifest_fuzzer (an input longer than libFuzzer tries): a file of a
// few hundred thousand nested arrays parsed, and copying the first object read from it (Object)
// overflowed the stack (`concord restore` died of SIGSEGV). Files nest a few levels; deeper than
// kMaxJsonFileDepth is refused.
TEST(JsonFileTest, ADeeplyNestedFileIsRefusedNamingTheFile) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("base-json-deep-" + NewUuid());
  fs::create_directories(dir);
  fs::path file = dir / "manifest.json";
  auto nested = [](int depth) {
    return R"({"services": {"forums": )" + std::string(depth, '[') + std::string(depth, ']') +
           R"(}, "note": "[[[[ in a string does not count \" [[[["})";
  };
  std::ofstream(file, std::ios::trunc) << nested(200000);
  auto deep = ReadJsonFile(file);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(deep.error().field, "manifest.json");
  EXPECT_NE(deep.error().message.find(file.string()), std::string::npos) << deep.error().message;
  EXPECT_NE(deep.error().message.find("deeper than 64"), std::string::npos) << deep.error().message;
  // The deepest accepted: 64 levels with the top object and "services".
  std::ofstream(file, std::ios::trunc) << nested(kMaxJsonFileDepth - 2);
  auto deepest = ReadJsonFile(file);
  ASSERT_TRUE(deepest) << deepest.error().message;
  EXPECT_TRUE(deepest->Object("services"));
  std::ofstream(file, std::ios::trunc) << nested(kMaxJsonFileDepth - 1);
  EXPECT_FALSE(ReadJsonFile(file));
  fs::remove_all(dir);
}

TEST(JsonFileTest, OptionalFieldsFallBackOnlyWhenAbsent) {
  JsonFields f("state.json", nlohmann::json{{"n", 3}, {"s", nullptr}, {"b", "yes"}});
  EXPECT_EQ(f.Int("n", 0).value(), 3);
  EXPECT_EQ(f.Int("missing", 7).value(), 7);
  EXPECT_EQ(f.String("s", "dflt").value(), "dflt");
  EXPECT_FALSE(f.Bool("b", false));
  EXPECT_FALSE(f.String("n", ""));
}

TEST(JsonFileTest, DurableWritesReplaceTheFileWhole) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("base-durable-" + NewUuid());
  fs::create_directories(dir);
  ASSERT_TRUE(WriteFileDurably(dir / "a.json", "{\"v\": 1}\n"));
  ASSERT_TRUE(WriteFileDurably(dir / "a.json", "{\"v\": 2}\n"));
  EXPECT_EQ(ReadJsonFile(dir / "a.json")->Int("v").value(), 2);
  EXPECT_EQ((fs::status(dir / "a.json").permissions() & fs::perms::all),
            fs::perms::owner_read | fs::perms::owner_write);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1) << "no temporary file left behind";
  EXPECT_FALSE(WriteFileDurably(dir / "no-such-dir" / "a.json", "x"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace concord
