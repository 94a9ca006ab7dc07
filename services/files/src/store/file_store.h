#pragma once
// The Files service's own SQL, and its content store on disk. file_libraries is also the
// application's resource table: making a widget's library and sending it to the trash with the
// widget is libs/remoteapp's SQL.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "concord/base/clock.h"
#include "concord/db/database.h"

namespace concord::files::store {

struct Library {
  std::string id;
  std::optional<CommunityUuid> community;
  std::optional<UserId> owner;
  std::string title;
  Millis created = 0;
  std::optional<Millis> trashed_at;
};

struct File {
  std::string id;
  std::string library_id;
  std::optional<std::string> folder_id;
  std::string name;
  UserId owner;
  std::string visibility;  // private | public
  int64_t size = 0;
  std::string sha256;
  Millis created = 0;
};

struct Folder {
  std::string id;
  std::string library_id;
  std::optional<std::string> parent_id;
  std::string name;
  Millis created = 0;
  std::string visibility = "private";  // private | public
};

struct Share {
  CommunityUuid community;
  std::string community_name;  // as last known
  std::string community_visibility;
  Millis shared = 0;
};

class FileStore {
 public:
  Status InsertLibrary(db::Connection& c, const Library& l) const;
  Result<std::optional<Library>> FindLibrary(db::Connection& c, const std::string& id) const;
  Result<std::optional<Library>> PersonalLibrary(db::Connection& c, const UserId& owner) const;
  Status InsertFolder(db::Connection& c, const Folder& f) const;
  Result<std::optional<Folder>> FindFolder(db::Connection& c, const std::string& id) const;
  Result<std::vector<Folder>> Folders(db::Connection& c, const std::string& library_id) const;
  Status InsertFile(db::Connection& c, const File& f) const;
  Result<std::optional<File>> FindFile(db::Connection& c, const std::string& id) const;
  // Whether a file (trashed or not) has the id.
  Result<bool> FileRecorded(db::Connection& c, const std::string& id) const;
  Result<std::vector<File>> Files(db::Connection& c, const std::string& library_id,
                                  const std::string& after, int limit) const;
  Status TrashFile(db::Connection& c, const std::string& id, Millis when) const;
  // Shares of a file or of a folder (`folder` true).
  Status Share(db::Connection& c, const std::string& id, const store::Share& s,
               bool folder = false) const;
  Result<std::vector<store::Share>> Shares(db::Connection& c, const std::string& id,
                                           bool folder = false) const;
  // Calls `each` with the id of every file (trashed or not), in id order; its first error stops.
  Status ForEachFileId(db::Connection& c,
                       const std::function<Status(const std::string& id)>& each) const;

  // The communities files or folders are shared with, in uuid order after `after`.
  Result<std::vector<std::string>> SharedCommunities(db::Connection& c, const std::string& after,
                                                     int limit) const;
  // Removes every share with the community (of private items only, when `private_only`);
  // returns how many went.
  Result<int64_t> RemoveShares(db::Connection& c, const std::string& community,
                               bool private_only) const;
  // Brings the community's name and visibility up to date in its shares; returns how many
  // changed.
  Result<int64_t> UpdateShares(db::Connection& c, const std::string& community,
                               const std::string& name, const std::string& visibility) const;
};

struct Sha256State;

// File content on disk: <root>/<first two characters of the id>/<id>. Directories are 0700 and
// files 0600, whatever the umask.
class ContentStore {
  struct InFlight {
    std::mutex mu;
    std::multiset<std::string> ids;
  };

 public:
  explicit ContentStore(std::filesystem::path root) : root_(std::move(root)) {}

  // An upload in progress: from before its content is written until its record commits (or
  // it fails). Content in progress has no record yet; checkFiles must leave it alone.
  class Upload {
   public:
    Upload(std::shared_ptr<InFlight> in_flight, std::string id);
    Upload(Upload&&) = default;
    ~Upload();

   private:
    std::shared_ptr<InFlight> in_flight_;
    std::string id_;
  };
  // Marks `id` as being uploaded while the returned object lives. Thread-safe.
  [[nodiscard]] Upload BeginUpload(const std::string& id) const;
  // Whether `id` is being uploaded. Ask before looking for its record: an upload that is no
  // longer in progress has either committed its record or removed its content.
  bool Uploading(const std::string& id) const;

  // checkFiles' scan of the store: calls `extra(id, path)` for every content file without a
  // record, as `recorded(id)` says. Temporary files and uploads in progress are skipped before
  // `recorded` is asked (so its answer cannot be stale: an upload no longer in progress has
  // committed its record or removed its content). The first error of a callback stops the scan.
  // A temporary file untouched this long is an abandoned upload's (longer than the longest
  // upload_stall_timeout_seconds): the scan reports it as extra, by its name "<id>.tmp".
  static constexpr std::chrono::hours kAbandonedAfter{2};
  struct Scan {
    int64_t checked = 0;    // content files looked at
    int64_t uploading = 0;  // of which uploads in progress, left alone
  };
  Result<Scan> ForEachUnrecorded(
      const std::function<Result<bool>(const std::string& id)>& recorded,
      const std::function<Status(const std::string& id, const std::filesystem::path& path)>& extra)
      const;

  // Content written as it arrives: a temporary file beside its place, renamed into place by
  // Commit. Destroyed uncommitted, it removes the temporary file.
  class Writer {
   public:
    Writer(int fd, std::filesystem::path tmp, std::filesystem::path path, bool durable);
    Writer(Writer&& other) noexcept;
    Writer& operator=(Writer&&) = delete;
    ~Writer();
    Status Append(std::string_view piece);
    // Flushes (fsync unless not durable) and renames into place; returns the SHA-256 (hex).
    Result<std::string> Commit();
    int64_t size() const { return size_; }

   private:
    int fd_;
    std::filesystem::path tmp_, path_;
    bool durable_;
    int64_t size_ = 0;
    std::unique_ptr<Sha256State> sha_;
  };
  [[nodiscard]] Result<Writer> BeginWrite(const std::string& id, bool durable = true) const;
  // Writes the content atomically (a Writer's steps at once); returns its SHA-256 (hex).
  Result<std::string> Write(const std::string& id, std::string_view content,
                            bool durable = true) const;
  // Calls `piece` with the content in order, 64 KiB at a time, until it returns false.
  Status Read(const std::string& id, const std::function<bool(std::string_view)>& piece) const;
  // Whether the content of `id` is on disk (a reader can then open it).
  bool Has(const std::string& id) const;
  // Where the content of `id` is (or would be) on disk.
  std::filesystem::path Path(const std::string& id) const { return PathOf(id); }
  void Remove(const std::string& id) const;
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path PathOf(const std::string& id) const;
  std::filesystem::path root_;
  std::shared_ptr<InFlight> in_flight_ = std::make_shared<InFlight>();
};

// SHA-256 of `content`, in lower-case hex.
std::string Sha256Hex(std::string_view content);

}  // namespace concord::files::store
