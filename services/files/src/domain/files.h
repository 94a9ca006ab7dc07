#pragma once
// Files' content and its rules. A community library belongs to a community (the Files widget's
// resource: a container of libs/remoteapp's content.h) and its access follows the Files record
// of its community. A personal library belongs to a user and is made the first time they ask
// for it. Libraries hold folders and files; a file's content is on disk (store::ContentStore),
// its SHA-256 in the database. Rules:
//
// - readers read a community library; its members add folders and files; a file's owner and
//   the community's owners delete the file (to the Files trash);
// - a personal library is its owner's (and administrators'): nobody else sees it (kNotFound);
// - a personal file is its owner's; anyone signed in reads a public one; a private one is read
//   only by the members and owners of the communities it, or its folder, is shared with (by the
//   Files record of each, so also of communities without the widget); nobody else sees it;
// - a personal file's or folder's owner shares it with a community it can see; a private one
//   only with a restricted community, as sharing it with any other would make it public.
//
// No HTTP, no SQL (src/store/file_store.cc). Calls taking a db::Connection run in the caller's
// transaction on the application's database; uploads and checkFiles open their own.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "concord/remoteapp/content.h"
#include "store/file_store.h"

namespace concord::files::domain {

using store::File;
using store::Folder;
using store::Library;
using store::Share;

remoteapp::AppDefinition Definition();

// The name of a new file or folder: one line of at most 255 characters, neither "." nor "..",
// without '/' or '\'. kInvalidArgument naming `field`.
Result<std::string> ValidFileName(std::string_view name, std::string_view field);
// A new file's or folder's visibility: private (the default) or public. kInvalidArgument (field
// visibility) for anything else, saying that "a <noun> is private or public".
Result<std::string> ValidVisibility(const std::optional<std::string>& visibility,
                                    std::string_view noun);

class Upload;

class Files final : public remoteapp::CommunityShares {
 public:
  // Over the application's migrated database, with content under `content_dir`. Not copyable:
  // the application and uploads keep references.
  Files(std::shared_ptr<db::Database> database, std::filesystem::path content_dir);
  Files(const Files&) = delete;
  Files& operator=(const Files&) = delete;

  remoteapp::RemoteApplication& application() { return app_.application(); }
  const std::shared_ptr<db::Database>& database() const { return app_.database(); }

  // A library as `who` may see it, with what `who` may do in it: kNotFound ("library <id> not
  // found") when it does not exist, is in the trash, or `who` may not see it.
  struct LoadedLibrary {
    Library library;
    remoteapp::Access access = remoteapp::Access::kNone;
  };
  Result<LoadedLibrary> LoadLibrary(db::Connection& c, const Principal& who, const std::string& id);
  // `who`'s personal library, made (titled "<login>'s files") the first time.
  Result<Library> PersonalLibrary(db::Connection& c, const Principal& who);
  // The folders of a library as LoadLibrary gave it, by name.
  Result<std::vector<Folder>> Folders(db::Connection& c, const LoadedLibrary& library);
  // A page of its files not in the trash, by id after `after` (kPageSize + 1 rows).
  Result<std::vector<File>> FilesIn(db::Connection& c, const LoadedLibrary& library,
                                    const std::string& after);
  // A new folder (name from ValidFileName, visibility from ValidVisibility) in the library, or
  // in its folder `parent`: contributors only; kInvalidArgument (field parentId) for a parent
  // that is not a folder of the library.
  struct NewFolder {
    std::string name;
    std::optional<std::string> parent;
    std::string visibility;
  };
  Result<Folder> AddFolder(db::Connection& c, const Principal& who, const std::string& library_id,
                           NewFolder folder);

  // A file as `who` may see it, its library, and what `who` may do with it (kOwn for its owner
  // and administrators, or by the community library; kRead for a reader): kNotFound ("file <id>
  // not found") when it does not exist, is in the trash, or `who` may not see it.
  struct LoadedFile {
    File file;
    Library library;
    remoteapp::Access access = remoteapp::Access::kNone;
  };
  Result<LoadedFile> LoadFile(db::Connection& c, const Principal& who, const std::string& id);
  // The communities a file as LoadFile gave it is shared with (its own shares, not its
  // folder's).
  Result<std::vector<Share>> SharesOf(db::Connection& c, const LoadedFile& file);
  // Where the file's content is on disk: kNotFound when it is missing from the content store.
  Result<std::filesystem::path> ContentPath(const File& file) const;
  // To the Files trash: the file's owner and the community's owners only.
  Status DeleteFile(db::Connection& c, const Principal& who, const std::string& id);
  // Shares a personal file, or a personal folder and the files in it, with `community` (a
  // community uuid): kFailedPrecondition for a community library's (shared with its community
  // already) and for a private one and a community that is not restricted; kPermissionDenied
  // for a file someone else owns; kNotFound for a folder `who` may not see and for a community
  // `who` may not see or this application does not know. Sharing again updates the share.
  Result<Share> ShareFile(db::Connection& c, const Principal& who, const std::string& file_id,
                          const std::string& community);
  Result<Share> ShareFolder(db::Connection& c, const Principal& who, const std::string& folder_id,
                            const std::string& community);

  // A new file `name` (ValidFileName) of `visibility` (ValidVisibility) for the library, or its
  // folder `folder`: StartUpload checks who may add it (contributors only; kInvalidArgument,
  // field folder, for a folder not of the library), in a transaction of its own, and opens its
  // content for writing.
  struct NewFile {
    std::string library_id;
    std::string name;
    std::string visibility;
    std::optional<std::string> folder;
  };
  Result<std::unique_ptr<Upload>> StartUpload(const Principal& who, NewFile file);

  // checkFiles (reference section 10): moves content without a record to `extra_dir` (an
  // absolute directory outside the content store, made if need be) and reports records without
  // their content. Content of uploads in progress is left alone. kInvalidArgument (field
  // extraFileDirectory) for a directory it may not use.
  struct CheckReport {
    int64_t checked = 0;                   // content files looked at
    int64_t extra = 0;                     // moved away
    int64_t missing = 0;                   // records without content
    int64_t uploading = 0;                 // uploads in progress, left alone
    std::vector<std::string> moved;        // the first 1,000 moved
    std::vector<std::string> missing_ids;  // the first 1,000 missing
    std::filesystem::path extra_dir;       // where they went
  };
  Result<CheckReport> CheckFiles(const std::string& extra_dir);

  // CommunityShares (FilesDataIntegrityService.syncAllCommunityShares): the communities files
  // and folders are shared with. A community that no longer exists loses its shares (the items
  // stay with their owners); one that is no longer restricted loses the shares of private
  // items; the others' names and visibilities are brought up to date.
  Result<std::vector<std::string>> SharedCommunities(db::Connection& c, const std::string& after,
                                                     int limit) override;
  Result<remoteapp::ShareSyncCounts> Sync(db::Connection& c,
                                          const remoteapp::CommunityTruth& truth) override;

 private:
  friend class Upload;
  Result<Library> FindLibrary(db::Connection& c, const std::string& id);
  // What `who` may do in the library: kNotFound when nothing.
  Result<remoteapp::Access> LibraryAccess(db::Connection& c, const Library& library,
                                          const Principal& who);
  // Whether `who` may read the personal file as a member of a community it is shared with.
  Result<bool> ReadsAsCommunityMember(db::Connection& c, const File& file, const Principal& who);
  // A share of an item of `visibility` with `community`; `refusal` when the item is private and
  // the community is not restricted.
  Result<Share> ShareWith(db::Connection& c, const Principal& who, const std::string& community,
                          const std::string& visibility, std::string_view refusal);
  Status AddSampleContent(db::Connection& c, const std::string& library_id,
                          const lifecycle::LifecycleEvent& event);

  store::ContentStore content_;
  remoteapp::ContentApplication app_;
};

// One upload (Files::StartUpload): its content written to the content store as it arrives,
// then its record. The content comes first (a temporary file, renamed into place), then the
// record: a crash in between leaves an extra binary on disk (what checkFiles finds), never a
// record without its content. While the upload lives, checkFiles leaves its content alone;
// destroyed without its record, it removes its content. Not thread-safe; `files` must outlive
// it.
class Upload {
 public:
  Upload(const Upload&) = delete;
  Upload& operator=(const Upload&) = delete;
  ~Upload();

  // The next piece of the content (kUnavailable when the content store cannot be written).
  Status Append(std::string_view piece);
  // Puts the content in place and records the file, checking again who may add it (membership
  // may have changed since the upload started), in a transaction of its own. Call once.
  Result<File> Finish();

 private:
  friend class Files;
  Upload(Files& files, Principal who, Files::NewFile file);
  // Whether `who_` may add the file: its library if so.
  Result<Library> Check(db::Connection& c) const;

  Files& files_;
  Principal who_;
  Files::NewFile file_;
  std::string id_;
  store::ContentStore::Upload in_flight_;
  std::optional<store::ContentStore::Writer> writer_;  // removes its temporary file unless
  bool committed_ = false;                             // committed
  bool recorded_ = false;
};

}  // namespace concord::files::domain
