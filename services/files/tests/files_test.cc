// Files' own rules (src/domain/files.h) on a temporary SQLite database and content store: who
// sees and who adds to a community library and to a personal one, uploads, who reads a private
// or public file, shares following communities' visibility, folders, deletion and checkFiles.
// Communities are made known to the application the way Communities does it: by lifecycle
// events.
#include "domain/files.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "concord/files/files.h"
#include "concord/testing/communities.h"

namespace concord::files::domain {
namespace {

namespace fs = std::filesystem;
using lifecycle::EventType;
using lifecycle::LifecycleEvent;
using remoteapp::Access;
using testing::kAdmin;
using testing::kMember;
using testing::kOwner;
using testing::kStranger;

const CommunityUuid kPublic("11111111-0000-4000-8000-000000000001");
const CommunityUuid kPrivate("11111111-0000-4000-8000-000000000002");

class FilesTest : public ::testing::Test {
 protected:
  FilesTest()
      : db_("files", Migrations()), events_("Files"), files_(db_.database(), content_dir()) {}

  template <typename F>
  auto InTx(F&& f) {
    return db_.InWrite(std::forward<F>(f));
  }

  fs::path content_dir() const { return db_.dir() / "files-content"; }

  nlohmann::json Apply(const LifecycleEvent& e) {
    auto r = InTx([&](db::Connection& c) { return files_.application().ApplyIn(c, "Files", e); });
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? *r : nlohmann::json::object();
  }
  // Tells the application about `community`: with its Files widget (returns the library the
  // widget makes; without sample content, which `concord populate` adds to a file library of
  // twenty at random), or by a community event only, as an application that tracks communities
  // without its widget hears of every community.
  std::string Community(const CommunityUuid& community, const std::string& visibility,
                        bool widget) {
    auto reply = Apply(events_.Event(
        community, visibility, widget ? EventType::kRemoteAppAdded : EventType::kCommunityUpdated));
    return reply.value("resourceId", "");
  }

  Result<File> Upload(const Principal& who, const std::string& library, std::string_view content,
                      const std::string& visibility = "private",
                      std::optional<std::string> folder = std::nullopt) {
    CONCORD_ASSIGN_OR_RETURN(auto upload, files_.StartUpload(who, {library, "notes.txt", visibility,
                                                                   std::move(folder)}));
    CONCORD_RETURN_IF_ERROR(upload->Append(content.substr(0, 3)));
    CONCORD_RETURN_IF_ERROR(upload->Append(content.substr(3)));
    return upload->Finish();
  }
  std::string Personal(const Principal& who) {
    auto l = InTx([&](db::Connection& c) { return files_.PersonalLibrary(c, who); });
    EXPECT_TRUE(l) << l.error().ToString();
    return l ? l->id : "";
  }
  // What `who` may do in the library or with the file; kNone where it does not exist for them.
  Access LibraryAccess(const Principal& who, const std::string& id) {
    auto l = InTx([&](db::Connection& c) { return files_.LoadLibrary(c, who, id); });
    return l ? l->access : Access::kNone;
  }
  Access FileAccess(const Principal& who, const std::string& id) {
    auto f = InTx([&](db::Connection& c) { return files_.LoadFile(c, who, id); });
    return f ? f->access : Access::kNone;
  }
  Result<Share> ShareFile(const Principal& who, const std::string& file,
                          const CommunityUuid& community) {
    return InTx(
        [&](db::Connection& c) { return files_.ShareFile(c, who, file, community.value()); });
  }
  Result<Share> ShareFolder(const Principal& who, const std::string& folder,
                            const CommunityUuid& community) {
    return InTx(
        [&](db::Connection& c) { return files_.ShareFolder(c, who, folder, community.value()); });
  }
  Result<Folder> AddFolder(const Principal& who, const std::string& library,
                           std::optional<std::string> parent = std::nullopt,
                           const std::string& visibility = "private") {
    return InTx([&](db::Connection& c) {
      return files_.AddFolder(c, who, library, {"Reports", std::move(parent), visibility});
    });
  }
  // The regular files under the content store, temporary ones included.
  size_t FilesOnDisk() const {
    size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(content_dir(), ec)) {
      if (e.is_regular_file()) ++n;
    }
    return n;
  }

  testing::AppDatabase db_;
  testing::CommunityEvents events_;
  Files files_;
};

void ExpectError(const auto& result, ErrorCode code, const std::string& message) {
  ASSERT_FALSE(result) << "expected: " << message;
  EXPECT_EQ(result.error().code, code);
  EXPECT_EQ(result.error().message, message);
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(FilesTest, ACommunityLibraryFollowsItsCommunity) {
  std::string open = Community(kPublic, "public", true);
  std::string closed = Community(kPrivate, "private", true);
  EXPECT_EQ(LibraryAccess(kOwner, open), Access::kOwn);
  EXPECT_EQ(LibraryAccess(kMember, open), Access::kContribute);
  EXPECT_EQ(LibraryAccess(kStranger, open), Access::kRead);
  EXPECT_EQ(LibraryAccess(kMember, closed), Access::kContribute);
  EXPECT_EQ(LibraryAccess(kAdmin, closed), Access::kOwn);
  ExpectError(InTx([&](db::Connection& c) { return files_.LoadLibrary(c, kStranger, closed); }),
              ErrorCode::kNotFound, "library " + closed + " not found");
  // Removing the widget sends the library to the trash: it is gone for everybody.
  Apply(events_.Event(kPublic, "public", EventType::kRemoteAppRemoved));
  EXPECT_EQ(LibraryAccess(kAdmin, open), Access::kNone);
}

TEST_F(FilesTest, PopulateGivesALibraryASampleFolder) {
  auto e = events_.Event(kPublic, "public", EventType::kRemoteAppAdded);
  auto library =
      InTx([&](db::Connection& c) { return files_.application().Populate(c, "Files", e); });
  ASSERT_TRUE(library && *library);
  auto folders = InTx([&](db::Connection& c) -> Result<std::vector<Folder>> {
    CONCORD_ASSIGN_OR_RETURN(auto l, files_.LoadLibrary(c, kStranger, **library));
    return files_.Folders(c, l);
  });
  ASSERT_TRUE(folders) << folders.error().ToString();
  ASSERT_EQ(folders->size(), 1u);
  EXPECT_EQ(folders->front().name, "Shared");
}

TEST_F(FilesTest, MembersAddFoldersReadersDoNot) {
  std::string open = Community(kPublic, "public", true);
  std::string closed = Community(kPrivate, "private", true);
  auto folder = AddFolder(kMember, open);
  ASSERT_TRUE(folder) << folder.error().ToString();
  EXPECT_EQ(folder->library_id, open);
  EXPECT_TRUE(AddFolder(kMember, open, folder->id));
  ExpectError(AddFolder(kStranger, open), ErrorCode::kPermissionDenied,
              "only members of the community add folders");
  ExpectError(AddFolder(kStranger, closed), ErrorCode::kNotFound,
              "library " + closed + " not found");
  auto elsewhere = AddFolder(kMember, closed, folder->id);
  ExpectError(elsewhere, ErrorCode::kInvalidArgument, "no such folder in this library");
  EXPECT_EQ(elsewhere.error().field, "parentId");
}

TEST_F(FilesTest, APersonalLibraryIsItsOwners) {
  std::string mine = Personal(kMember);
  EXPECT_EQ(Personal(kMember), mine);  // made once
  auto l = InTx([&](db::Connection& c) { return files_.LoadLibrary(c, kMember, mine); });
  ASSERT_TRUE(l);
  EXPECT_EQ(l->library.title, "member's files");
  EXPECT_EQ(l->library.owner, kMember.id);
  EXPECT_EQ(LibraryAccess(kAdmin, mine), Access::kOwn);
  ExpectError(InTx([&](db::Connection& c) { return files_.LoadLibrary(c, kStranger, mine); }),
              ErrorCode::kNotFound, "library " + mine + " not found");
  ExpectError(Upload(kStranger, mine, "not yours"), ErrorCode::kNotFound,
              "library " + mine + " not found");
}

TEST_F(FilesTest, AnUploadIsCheckedWrittenThenRecorded) {
  std::string open = Community(kPublic, "public", true);
  auto f = Upload(kMember, open, "hello, files");
  ASSERT_TRUE(f) << f.error().ToString();
  EXPECT_EQ(f->owner, kMember.id);
  EXPECT_EQ(f->size, 12);
  EXPECT_EQ(f->sha256, store::Sha256Hex("hello, files"));
  auto path = files_.ContentPath(*f);
  ASSERT_TRUE(path) << path.error().ToString();
  EXPECT_EQ(ReadAll(*path), "hello, files");
  auto listed = InTx([&](db::Connection& c) -> Result<std::vector<File>> {
    CONCORD_ASSIGN_OR_RETURN(auto l, files_.LoadLibrary(c, kStranger, open));
    return files_.FilesIn(c, l, "");
  });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, f->id);
  // Refused before a byte is written: a reader, and a folder of another library.
  ExpectError(Upload(kStranger, open, "let me in"), ErrorCode::kPermissionDenied,
              "only members of the community add files");
  std::string other = Community(kPrivate, "private", true);
  auto folder = AddFolder(kMember, other);
  ASSERT_TRUE(folder);
  auto misplaced = Upload(kMember, open, "misplaced", "private", folder->id);
  ExpectError(misplaced, ErrorCode::kInvalidArgument, "no such folder in this library");
  EXPECT_EQ(misplaced.error().field, "folder");
  EXPECT_EQ(FilesOnDisk(), 1u);
}

TEST_F(FilesTest, AnUploadWhoseWriterLeftIsNotRecordedAndLeavesNoContent) {
  std::string open = Community(kPublic, "public", true);
  {
    auto upload = files_.StartUpload(kMember, {open, "late.txt", "private", std::nullopt});
    ASSERT_TRUE(upload) << upload.error().ToString();
    ASSERT_TRUE((*upload)->Append("written while a member"));
    // Meanwhile the member leaves the community: a reader now.
    Apply(events_.Event(kPublic, "public", EventType::kMembersRemoved, {}));
    ExpectError((*upload)->Finish(), ErrorCode::kPermissionDenied,
                "only members of the community add files");
  }
  EXPECT_EQ(FilesOnDisk(), 0u);
  // An upload abandoned before its end (the client went away) leaves nothing either.
  {
    auto upload = files_.StartUpload(kOwner, {open, "gone.txt", "private", std::nullopt});
    ASSERT_TRUE(upload);
    ASSERT_TRUE((*upload)->Append("half of it"));
  }
  EXPECT_EQ(FilesOnDisk(), 0u);
}

TEST_F(FilesTest, APrivateFileIsItsOwnersAPublicOneEveryonesToRead) {
  std::string mine = Personal(kOwner);
  auto hidden = Upload(kOwner, mine, "private notes");
  auto shown = Upload(kOwner, mine, "public notes", "public");
  ASSERT_TRUE(hidden && shown);
  EXPECT_EQ(FileAccess(kOwner, hidden->id), Access::kOwn);
  EXPECT_EQ(FileAccess(kAdmin, hidden->id), Access::kOwn);
  ExpectError(InTx([&](db::Connection& c) { return files_.LoadFile(c, kStranger, hidden->id); }),
              ErrorCode::kNotFound, "file " + hidden->id + " not found");
  EXPECT_EQ(FileAccess(kStranger, shown->id), Access::kRead);
  // Readers may not delete; the owner may.
  auto del = [&](const Principal& who, const std::string& id) {
    return InTx([&](db::Connection& c) { return files_.DeleteFile(c, who, id); });
  };
  ExpectError(del(kStranger, shown->id), ErrorCode::kPermissionDenied,
              "only the file's owner and the community's owners delete it");
  EXPECT_TRUE(del(kOwner, shown->id));
  EXPECT_EQ(FileAccess(kOwner, shown->id), Access::kNone);
}

TEST_F(FilesTest, AFileOwnerAndTheCommunityOwnersDeleteCommunityFiles) {
  std::string open = Community(kPublic, "public", true);
  auto f = Upload(kMember, open, "minutes");
  ASSERT_TRUE(f);
  EXPECT_EQ(FileAccess(kMember, f->id), Access::kContribute);
  EXPECT_EQ(FileAccess(kStranger, f->id), Access::kRead);
  auto del = [&](const Principal& who) {
    return InTx([&](db::Connection& c) { return files_.DeleteFile(c, who, f->id); });
  };
  ExpectError(del(kStranger), ErrorCode::kPermissionDenied,
              "only the file's owner and the community's owners delete it");
  EXPECT_TRUE(del(kOwner));
  ExpectError(del(kOwner), ErrorCode::kNotFound, "file " + f->id + " not found");
}

TEST_F(FilesTest, APrivateFileIsSharedOnlyWithARestrictedCommunity) {
  Community(kPublic, "public", false);
  Community(kPrivate, "private", false);
  std::string mine = Personal(kOwner);
  auto f = Upload(kOwner, mine, "budget");
  ASSERT_TRUE(f);
  ExpectError(ShareFile(kOwner, f->id, kPublic), ErrorCode::kFailedPrecondition,
              "a private file can be shared only with a restricted community; make the file "
              "public first");
  EXPECT_EQ(FileAccess(kMember, f->id), Access::kNone);
  auto shared = ShareFile(kOwner, f->id, kPrivate);
  ASSERT_TRUE(shared) << shared.error().ToString();
  EXPECT_EQ(shared->community_name, "Community 11111111");
  EXPECT_EQ(shared->community_visibility, "private");
  // The community's members read it now; they neither share it on nor delete it.
  EXPECT_EQ(FileAccess(kMember, f->id), Access::kRead);
  EXPECT_EQ(FileAccess(kStranger, f->id), Access::kNone);
  ExpectError(ShareFile(kMember, f->id, kPrivate), ErrorCode::kPermissionDenied,
              "only the file's owner shares it");
  auto shares = InTx([&](db::Connection& c) -> Result<std::vector<Share>> {
    CONCORD_ASSIGN_OR_RETURN(auto lf, files_.LoadFile(c, kOwner, f->id));
    return files_.SharesOf(c, lf);
  });
  ASSERT_TRUE(shares);
  ASSERT_EQ(shares->size(), 1u);
  EXPECT_EQ(shares->front().community, kPrivate);
  // A public file goes to any community.
  auto open = Upload(kOwner, mine, "agenda", "public");
  ASSERT_TRUE(open);
  EXPECT_TRUE(ShareFile(kOwner, open->id, kPublic));
}

TEST_F(FilesTest, ACommunityLibrarysFilesAndFoldersAreNotShared) {
  std::string library = Community(kPrivate, "private", true);
  auto f = Upload(kOwner, library, "inside");
  auto folder = AddFolder(kOwner, library);
  ASSERT_TRUE(f && folder);
  ExpectError(ShareFile(kOwner, f->id, kPrivate), ErrorCode::kFailedPrecondition,
              "a community file is shared with its community already");
  ExpectError(ShareFolder(kOwner, folder->id, kPrivate), ErrorCode::kFailedPrecondition,
              "a community folder is shared with its community already");
}

TEST_F(FilesTest, AFolderShareReachesTheFilesInIt) {
  Community(kPublic, "public", false);
  Community(kPrivate, "private", false);
  std::string mine = Personal(kOwner);
  auto folder = AddFolder(kOwner, mine);
  ASSERT_TRUE(folder) << folder.error().ToString();
  auto f = Upload(kOwner, mine, "in the folder", "private", folder->id);
  ASSERT_TRUE(f) << f.error().ToString();
  ExpectError(ShareFolder(kStranger, folder->id, kPrivate), ErrorCode::kNotFound,
              "folder " + folder->id + " not found");
  ExpectError(ShareFolder(kOwner, folder->id, kPublic), ErrorCode::kFailedPrecondition,
              "a private folder can be shared only with a restricted community");
  EXPECT_EQ(FileAccess(kMember, f->id), Access::kNone);
  ASSERT_TRUE(ShareFolder(kOwner, folder->id, kPrivate));
  EXPECT_EQ(FileAccess(kMember, f->id), Access::kRead);
  EXPECT_EQ(FileAccess(kStranger, f->id), Access::kNone);
  // A public folder goes to any community.
  auto open = AddFolder(kOwner, mine, std::nullopt, "public");
  ASSERT_TRUE(open);
  EXPECT_TRUE(ShareFolder(kOwner, open->id, kPublic));
}

TEST_F(FilesTest, SharesFollowTheCommunitiesTheyAreWith) {
  Community(kPrivate, "private", false);
  std::string mine = Personal(kOwner);
  auto hidden = Upload(kOwner, mine, "private");
  auto shown = Upload(kOwner, mine, "public", "public");
  ASSERT_TRUE(hidden && shown);
  ASSERT_TRUE(ShareFile(kOwner, hidden->id, kPrivate));
  ASSERT_TRUE(ShareFile(kOwner, shown->id, kPrivate));
  auto listed = InTx([&](db::Connection& c) { return files_.SharedCommunities(c, "", 10); });
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, std::vector<std::string>{kPrivate.value()});
  auto sync = [&](const remoteapp::CommunityTruth& t) {
    return InTx([&](db::Connection& c) { return files_.Sync(c, t); });
  };
  // Renamed, still restricted: both shares are updated, none removed.
  auto renamed = sync({kPrivate.value(), true, "Renamed", "private"});
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->updated, 2);
  EXPECT_EQ(renamed->removed, 0);
  EXPECT_EQ(FileAccess(kMember, hidden->id), Access::kRead);
  // No longer restricted: the private file is no longer shared with it, the public one is.
  auto opened = sync({kPrivate.value(), true, "Renamed", "public"});
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->removed, 1);
  EXPECT_EQ(opened->updated, 1);
  EXPECT_EQ(FileAccess(kMember, hidden->id), Access::kNone);
  auto shares = InTx([&](db::Connection& c) -> Result<std::vector<Share>> {
    CONCORD_ASSIGN_OR_RETURN(auto lf, files_.LoadFile(c, kOwner, shown->id));
    return files_.SharesOf(c, lf);
  });
  ASSERT_TRUE(shares && shares->size() == 1u);
  EXPECT_EQ(shares->front().community_name, "Renamed");
  EXPECT_EQ(shares->front().community_visibility, "public");
  // Gone: its shares go, the files stay with their owner.
  auto gone = sync({kPrivate.value(), false, "", ""});
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->removed, 1);
  EXPECT_EQ(FileAccess(kOwner, shown->id), Access::kOwn);
  listed = InTx([&](db::Connection& c) { return files_.SharedCommunities(c, "", 10); });
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
}

TEST_F(FilesTest, CheckFilesMovesContentWithoutARecordAndReportsRecordsWithoutContent) {
  std::string open = Community(kPublic, "public", true);
  auto kept = Upload(kMember, open, "kept");
  auto lost = Upload(kMember, open, "lost");
  ASSERT_TRUE(kept && lost);
  fs::path lost_path = *files_.ContentPath(*lost);
  fs::path stray = content_dir() / "ab" / "ab-stray";
  fs::create_directories(stray.parent_path());
  std::ofstream(stray) << "no record";
  fs::remove(lost_path);
  ExpectError(files_.ContentPath(*lost), ErrorCode::kNotFound,
              "the content of file " + lost->id + " is missing from the content store");
  ExpectError(files_.CheckFiles("relative/dir"), ErrorCode::kInvalidArgument,
              "extraFileDirectory must be an absolute path on the Files server");
  ExpectError(files_.CheckFiles((content_dir() / "extra").string()), ErrorCode::kInvalidArgument,
              "extraFileDirectory must be outside the Files content store");
  fs::path extra = db_.dir() / "extra";
  auto report = files_.CheckFiles(extra.string());
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_EQ(report->checked, 2);
  EXPECT_EQ(report->extra, 1);
  EXPECT_EQ(report->moved, std::vector<std::string>{"ab-stray"});
  EXPECT_EQ(report->missing, 1);
  EXPECT_EQ(report->missing_ids, std::vector<std::string>{lost->id});
  EXPECT_EQ(ReadAll(extra / "ab-stray"), "no record");
  EXPECT_FALSE(fs::exists(stray));
  EXPECT_EQ(ReadAll(*files_.ContentPath(*kept)), "kept");
}

TEST(FilesRules, NamesAndVisibilities) {
  EXPECT_EQ(ValidFileName("report.pdf", "name").value_or(""), "report.pdf");
  for (const char* bad : {"a/b", "a\\b", ".", "..", "two\nlines", ""}) {
    auto r = ValidFileName(bad, "name");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "name") << bad;
  }
  EXPECT_FALSE(ValidFileName(std::string(256, 'x'), "name"));
  EXPECT_EQ(ValidVisibility(std::nullopt, "file").value_or(""), "private");
  EXPECT_EQ(ValidVisibility("public", "file").value_or(""), "public");
  auto other = ValidVisibility("secret", "folder");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().field, "visibility");
  EXPECT_EQ(other.error().message, "a folder is private or public");
}

}  // namespace
}  // namespace concord::files::domain
