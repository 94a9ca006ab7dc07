// The Files content store: content written as it arrives, what checkFiles sees of uploads in
// progress and of abandoned ones, and the modes it writes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <set>

#include "concord/testing/process.h"
#include "store/file_store.h"

namespace concord::files::store {
namespace {

namespace fs = std::filesystem;

struct Seen {
  std::set<std::string> asked;  // whose record was looked for
  std::set<std::string> extra;  // reported without a record
};

Seen ScanWithoutRecords(const ContentStore& store, ContentStore::Scan* scan = nullptr) {
  Seen seen;
  auto r = store.ForEachUnrecorded(
      [&](const std::string& id) -> Result<bool> {
        seen.asked.insert(id);
        return false;
      },
      [&](const std::string& id, const fs::path&) -> Status {
        seen.extra.insert(id);
        return Ok();
      });
  EXPECT_TRUE(r) << r.error().ToString();
  if (r && scan) *scan = *r;
  return seen;
}

// An upload's content is on disk before its record commits. checkFiles must not take it for an
// extra file (and move it away) in that moment: the upload is skipped before its record is even
// looked for, so a record committed meanwhile cannot be missed either. Once the upload is over
// (here: it failed and left its content), the content is extra like any other.
TEST(ContentStoreTest, CheckFilesLeavesTheContentOfAnUploadInProgressAlone) {
  testing::TempDir dir("content-store");
  ContentStore store(dir.path() / "files-content");
  ASSERT_TRUE(store.Write("stray-file", "no record"));
  {
    auto upload = store.BeginUpload("uploading-file");
    ASSERT_TRUE(store.Write("uploading-file", "record not committed yet"));
    EXPECT_TRUE(store.Uploading("uploading-file"));
    ContentStore::Scan scan;
    Seen seen = ScanWithoutRecords(store, &scan);
    EXPECT_EQ(seen.extra, std::set<std::string>{"stray-file"});
    EXPECT_FALSE(seen.asked.contains("uploading-file"));
    EXPECT_EQ(scan.checked, 2);
    EXPECT_EQ(scan.uploading, 1);
  }
  EXPECT_FALSE(store.Uploading("uploading-file"));
  EXPECT_EQ(ScanWithoutRecords(store).extra,
            (std::set<std::string>{"stray-file", "uploading-file"}));
}

// Content is its owner's only, whatever the umask.
TEST(ContentStoreTest, ContentIsWrittenWithOwnerOnlyModes) {
  mode_t saved = ::umask(022);
  testing::TempDir dir("content-modes");
  ContentStore store(dir.path() / "files-content");
  ASSERT_TRUE(store.Write("abcdef", "secret"));
  ::umask(saved);
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "files-content").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir.path() / "files-content" / "ab").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir.path() / "files-content" / "ab" / "abcdef").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// Content written piece by piece is in place, with the SHA-256 of the whole, only once
// committed; a writer dropped before that leaves nothing behind.
TEST(ContentStoreTest, AWriterPutsContentInPlaceOnlyWhenCommitted) {
  testing::TempDir dir("content-writer");
  ContentStore store(dir.path() / "files-content");
  std::string whole;
  {
    auto w = store.BeginWrite("aa-committed");
    ASSERT_TRUE(w);
    for (int i = 0; i < 100; ++i) {
      std::string piece(1000 + i, static_cast<char>('a' + i % 26));
      ASSERT_TRUE(w->Append(piece));
      whole += piece;
    }
    EXPECT_FALSE(store.Has("aa-committed"));  // only the temporary file, so far
    auto sha = w->Commit();
    ASSERT_TRUE(sha);
    EXPECT_EQ(*sha, Sha256Hex(whole));
    EXPECT_EQ(w->size(), static_cast<int64_t>(whole.size()));
  }
  std::string read;
  ASSERT_TRUE(store.Read("aa-committed", [&](std::string_view piece) {
    read.append(piece);
    return true;
  }));
  EXPECT_EQ(read, whole);
  {
    auto w = store.BeginWrite("bb-dropped");
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->Append("half of it"));
  }
  EXPECT_FALSE(store.Has("bb-dropped"));
  EXPECT_FALSE(fs::exists(dir.path() / "files-content" / "bb" / "bb-dropped.tmp"));
  EXPECT_FALSE(store.Read("cc-missing", [](std::string_view) { return true; }));
}

// The temporary file of an upload whose process was killed is extra once it has been untouched
// for longer than any upload may stall; a recent one may be another process's upload.
TEST(ContentStoreTest, AnAbandonedTemporaryFileIsExtraOnceOld) {
  testing::TempDir dir("content-abandoned");
  ContentStore store(dir.path() / "files-content");
  ASSERT_TRUE(store.Write("dd-kept", "recorded"));
  fs::path root = dir.path() / "files-content" / "dd";
  std::ofstream(root / "dd-recent.tmp") << "an upload, maybe in another process";
  std::ofstream(root / "dd-abandoned.tmp") << "killed half-way";
  fs::last_write_time(
      root / "dd-abandoned.tmp",
      fs::file_time_type::clock::now() - ContentStore::kAbandonedAfter - std::chrono::minutes(1));
  Seen seen;
  auto r = store.ForEachUnrecorded(
      [&](const std::string& id) -> Result<bool> {
        seen.asked.insert(id);
        return id == "dd-kept";
      },
      [&](const std::string& id, const fs::path&) -> Status {
        seen.extra.insert(id);
        return Ok();
      });
  ASSERT_TRUE(r);
  EXPECT_EQ(seen.extra, std::set<std::string>{"dd-abandoned.tmp"});
}

}  // namespace
}  // namespace concord::files::store
