// The Files content store: what checkFiles sees of uploads in progress, and the modes it writes.
#include <gtest/gtest.h>
#include <sys/stat.h>

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

}  // namespace
}  // namespace concord::files::store
