#pragma once
// All of the Files service's SQL, and its content store on disk.

#include <filesystem>
#include <optional>
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
  Result<std::vector<File>> Files(db::Connection& c, const std::string& library_id,
                                  const std::string& after, int limit) const;
  Status TrashFile(db::Connection& c, const std::string& id, Millis when) const;
  // Shares of a file or of a folder (`folder` true).
  Status Share(db::Connection& c, const std::string& id, const store::Share& s,
               bool folder = false) const;
  Result<std::vector<store::Share>> Shares(db::Connection& c, const std::string& id,
                                           bool folder = false) const;
};

// File content on disk: <root>/<first two characters of the id>/<id>.
class ContentStore {
 public:
  explicit ContentStore(std::filesystem::path root) : root_(std::move(root)) {}
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
};

// SHA-256 of `content`, in lower-case hex.
std::string Sha256Hex(std::string_view content);

}  // namespace concord::files::store
