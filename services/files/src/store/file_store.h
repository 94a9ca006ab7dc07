#pragma once
// All of the Files service's SQL, and its content store on disk.

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
  Status TrashLibrary(db::Connection& c, const std::string& id, Millis when) const;
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
};

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
  struct Scan {
    int64_t checked = 0;    // content files looked at
    int64_t uploading = 0;  // of which uploads in progress, left alone
  };
  Result<Scan> ForEachUnrecorded(
      const std::function<Result<bool>(const std::string& id)>& recorded,
      const std::function<Status(const std::string& id, const std::filesystem::path& path)>& extra)
      const;

  // Writes the content atomically (temporary file, fsync unless `durable` is false, rename);
  // returns its SHA-256 (hex).
  Result<std::string> Write(const std::string& id, std::string_view content,
                            bool durable = true) const;
  Result<std::string> Read(const std::string& id) const;
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
