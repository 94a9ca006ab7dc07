#include "store/file_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

namespace concord::files::store {
namespace {

Result<std::vector<Library>> ReadLibraries(db::Rows r) {
  std::vector<Library> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    Library l{r.Text(0), std::nullopt, std::nullopt, r.Text(3), r.Int(4), r.OptInt(5)};
    if (auto c = r.OptText(1)) l.community = CommunityUuid(*c);
    if (auto o = r.OptText(2)) l.owner = UserId(*o);
    out.push_back(std::move(l));
  }
  return out;
}

Result<std::vector<File>> ReadFiles(db::Rows r) {
  std::vector<File> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(File{r.Text(0), r.Text(1), r.OptText(2), r.Text(3), UserId(r.Text(4)), r.Text(5),
                       r.Int(6), r.Text(7), r.Int(8)});
  }
  return out;
}

Result<std::vector<Folder>> ReadFolders(db::Rows r) {
  std::vector<Folder> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(Folder{r.Text(0), r.Text(1), r.OptText(2), r.Text(3), r.Int(4), r.Text(5)});
  }
  return out;
}

template <typename T>
std::optional<T> First(std::vector<T> v) {
  if (v.empty()) return std::nullopt;
  return std::move(v[0]);
}

constexpr std::string_view kLibraryColumns =
    "id, community_uuid, owner, title, created, trashed_at";
constexpr std::string_view kFileColumns =
    "id, library_id, folder_id, name, owner, visibility, size, sha256, created";

}  // namespace

std::string Sha256Hex(std::string_view content) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(content.data()),
                     content.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return hex;
}

Status FileStore::InsertLibrary(db::Connection& c, const Library& l) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO file_libraries (id, community_uuid, owner, title, created) VALUES "
                "($1, $2, $3, $4, $5)",
                l.id, l.community, l.owner, l.title, l.created));
  return Ok();
}

Result<std::optional<Library>> FileStore::FindLibrary(db::Connection& c,
                                                      const std::string& id) const {
  static const std::string sql =
      "SELECT " + std::string(kLibraryColumns) + " FROM file_libraries WHERE id = $1";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(sql, id));
  CONCORD_ASSIGN_OR_RETURN(auto all, ReadLibraries(std::move(r)));
  return First(std::move(all));
}

Result<std::optional<Library>> FileStore::PersonalLibrary(db::Connection& c,
                                                          const UserId& owner) const {
  static const std::string sql =
      "SELECT " + std::string(kLibraryColumns) + " FROM file_libraries WHERE owner = $1";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(sql, owner));
  CONCORD_ASSIGN_OR_RETURN(auto all, ReadLibraries(std::move(r)));
  return First(std::move(all));
}

Status FileStore::InsertFolder(db::Connection& c, const Folder& f) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO folders (id, library_id, parent_id, name, created, visibility) VALUES ($1, $2, "
      "$3, $4, $5, $6)",
      f.id, f.library_id, f.parent_id, f.name, f.created, f.visibility));
  return Ok();
}

Result<std::optional<Folder>> FileStore::FindFolder(db::Connection& c,
                                                    const std::string& id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query(
          "SELECT id, library_id, parent_id, name, created, visibility FROM folders WHERE id = $1",
          id));
  CONCORD_ASSIGN_OR_RETURN(auto all, ReadFolders(std::move(r)));
  return First(std::move(all));
}

Result<std::vector<Folder>> FileStore::Folders(db::Connection& c,
                                               const std::string& library_id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query("SELECT id, library_id, parent_id, name, created, visibility FROM folders WHERE "
              "library_id = $1 "
              "ORDER BY name, id",
              library_id));
  return ReadFolders(std::move(r));
}

Status FileStore::InsertFile(db::Connection& c, const File& f) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO files (id, library_id, folder_id, name, owner, visibility, size, sha256, "
      "created) VALUES "
      "($1, $2, $3, $4, $5, $6, $7, $8, $9)",
      f.id, f.library_id, f.folder_id, f.name, f.owner, f.visibility, f.size, f.sha256, f.created));
  return Ok();
}

Result<bool> FileStore::FileRecorded(db::Connection& c, const std::string& id) const {
  CONCORD_ASSIGN_OR_RETURN(auto n, c.QueryInt("SELECT COUNT(*) FROM files WHERE id = $1", id));
  return n.value_or(0) > 0;
}

Result<std::optional<File>> FileStore::FindFile(db::Connection& c, const std::string& id) const {
  static const std::string sql =
      "SELECT " + std::string(kFileColumns) + " FROM files WHERE id = $1 AND trashed_at IS NULL";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(sql, id));
  CONCORD_ASSIGN_OR_RETURN(auto all, ReadFiles(std::move(r)));
  return First(std::move(all));
}

Result<std::vector<File>> FileStore::Files(db::Connection& c, const std::string& library_id,
                                           const std::string& after, int limit) const {
  static const std::string sql =
      "SELECT " + std::string(kFileColumns) +
      " FROM files WHERE library_id = $1 AND trashed_at IS NULL AND id > $2 "
      "ORDER BY id LIMIT $3";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(sql, library_id, after, limit));
  return ReadFiles(std::move(r));
}

Status FileStore::TrashFile(db::Connection& c, const std::string& id, Millis when) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("UPDATE files SET trashed_at = $2 WHERE id = $1 AND trashed_at IS NULL", id, when));
  return Ok();
}

Status FileStore::Share(db::Connection& c, const std::string& id, const store::Share& s,
                        bool folder) const {
  static const std::string kFile =
      "INSERT INTO file_shares (file_id, community_uuid, community_name, community_visibility, "
      "shared) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (file_id, community_uuid) DO UPDATE SET "
      "community_name = $3, community_visibility = $4";
  static const std::string kFolder =
      "INSERT INTO folder_shares (folder_id, community_uuid, community_name, community_visibility, "
      "shared) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (folder_id, community_uuid) DO UPDATE SET "
      "community_name = $3, community_visibility = $4";
  CONCORD_RETURN_IF_ERROR(c.Execute(folder ? kFolder : kFile, id, s.community, s.community_name,
                                    s.community_visibility, s.shared));
  return Ok();
}

Result<std::vector<store::Share>> FileStore::Shares(db::Connection& c, const std::string& id,
                                                    bool folder) const {
  static const std::string kFile =
      "SELECT community_uuid, community_name, community_visibility, shared FROM file_shares "
      "WHERE file_id = $1 ORDER BY community_uuid";
  static const std::string kFolder =
      "SELECT community_uuid, community_name, community_visibility, shared FROM folder_shares "
      "WHERE folder_id = $1 ORDER BY community_uuid";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(folder ? kFolder : kFile, id));
  std::vector<store::Share> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(store::Share{CommunityUuid(r.Text(0)), r.Text(1), r.Text(2), r.Int(3)});
  }
  return out;
}

Status FileStore::ForEachFileId(db::Connection& c,
                                const std::function<Status(const std::string&)>& each) const {
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.Query("SELECT id FROM files ORDER BY id"));
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    CONCORD_RETURN_IF_ERROR(each(rows.Text(0)));
  }
  return Ok();
}

Result<std::vector<std::string>> FileStore::SharedCommunities(db::Connection& c,
                                                              const std::string& after,
                                                              int limit) const {
  return c.QueryTexts(
      "SELECT community_uuid FROM (SELECT community_uuid FROM file_shares UNION "
      "SELECT community_uuid FROM folder_shares) AS shared WHERE community_uuid > $1 "
      "ORDER BY community_uuid LIMIT $2",
      after, limit);
}

Result<int64_t> FileStore::RemoveShares(db::Connection& c, const std::string& community,
                                        bool private_only) const {
  if (!private_only) {
    CONCORD_ASSIGN_OR_RETURN(
        int64_t a, c.Execute("DELETE FROM file_shares WHERE community_uuid = $1", community));
    CONCORD_ASSIGN_OR_RETURN(
        int64_t b, c.Execute("DELETE FROM folder_shares WHERE community_uuid = $1", community));
    return a + b;
  }
  CONCORD_ASSIGN_OR_RETURN(
      int64_t a, c.Execute("DELETE FROM file_shares WHERE community_uuid = $1 AND file_id IN "
                           "(SELECT id FROM files WHERE visibility = 'private')",
                           community));
  CONCORD_ASSIGN_OR_RETURN(
      int64_t b, c.Execute("DELETE FROM folder_shares WHERE community_uuid = $1 AND folder_id IN "
                           "(SELECT id FROM folders WHERE visibility = 'private')",
                           community));
  return a + b;
}

Result<int64_t> FileStore::UpdateShares(db::Connection& c, const std::string& community,
                                        const std::string& name,
                                        const std::string& visibility) const {
  CONCORD_ASSIGN_OR_RETURN(
      int64_t a, c.Execute("UPDATE file_shares SET community_name = $2, community_visibility = $3 "
                           "WHERE community_uuid = $1 AND (community_name <> $2 OR "
                           "community_visibility <> $3)",
                           community, name, visibility));
  CONCORD_ASSIGN_OR_RETURN(
      int64_t b, c.Execute("UPDATE folder_shares SET community_name = $2, community_visibility = "
                           "$3 WHERE community_uuid = $1 AND (community_name <> $2 OR "
                           "community_visibility <> $3)",
                           community, name, visibility));
  return a + b;
}

std::filesystem::path ContentStore::PathOf(const std::string& id) const {
  return root_ / id.substr(0, 2) / id;
}

ContentStore::Upload::Upload(std::shared_ptr<InFlight> in_flight, std::string id)
    : in_flight_(std::move(in_flight)), id_(std::move(id)) {
  std::lock_guard lock(in_flight_->mu);
  in_flight_->ids.insert(id_);
}

ContentStore::Upload::~Upload() {
  if (!in_flight_) return;  // moved from
  std::lock_guard lock(in_flight_->mu);
  if (auto it = in_flight_->ids.find(id_); it != in_flight_->ids.end()) in_flight_->ids.erase(it);
}

ContentStore::Upload ContentStore::BeginUpload(const std::string& id) const {
  return Upload(in_flight_, id);
}

bool ContentStore::Uploading(const std::string& id) const {
  std::lock_guard lock(in_flight_->mu);
  return in_flight_->ids.contains(id);
}

Result<ContentStore::Scan> ContentStore::ForEachUnrecorded(
    const std::function<Result<bool>(const std::string&)>& recorded,
    const std::function<Status(const std::string&, const std::filesystem::path&)>& extra) const {
  namespace fs = std::filesystem;
  Scan scan;
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) return scan;
  for (auto it = fs::recursive_directory_iterator(root_, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string id = it->path().filename().string();
    if (id.ends_with(".tmp")) {
      // A write in progress, or one abandoned when its process was killed: that one is extra
      // once nothing has been written to it for longer than any upload may stall.
      auto modified = it->last_write_time(ec);
      if (ec || Uploading(id.substr(0, id.size() - 4)) ||
          std::filesystem::file_time_type::clock::now() - modified < kAbandonedAfter) {
        ec.clear();
        continue;
      }
      ++scan.checked;
      CONCORD_RETURN_IF_ERROR(extra(id, it->path()));
      continue;
    }
    ++scan.checked;
    // Its content is written, its record not committed yet.
    if (Uploading(id)) {
      ++scan.uploading;
      continue;
    }
    CONCORD_ASSIGN_OR_RETURN(bool known, recorded(id));
    if (known) continue;
    CONCORD_RETURN_IF_ERROR(extra(id, it->path()));
  }
  return scan;
}

struct Sha256State {
  crypto_hash_sha256_state state;
};

ContentStore::Writer::Writer(int fd, std::filesystem::path tmp, std::filesystem::path path,
                             bool durable)
    : fd_(fd),
      tmp_(std::move(tmp)),
      path_(std::move(path)),
      durable_(durable),
      sha_(std::make_unique<Sha256State>()) {
  crypto_hash_sha256_init(&sha_->state);
}

ContentStore::Writer::Writer(Writer&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      tmp_(std::move(other.tmp_)),
      path_(std::move(other.path_)),
      durable_(other.durable_),
      size_(other.size_),
      sha_(std::move(other.sha_)) {}

ContentStore::Writer::~Writer() {
  if (fd_ < 0) return;  // committed, or moved from
  ::close(fd_);
  ::unlink(tmp_.c_str());
}

Status ContentStore::Writer::Append(std::string_view piece) {
  if (fd_ < 0) return Internal("the content store's writer was used after it was committed");
  crypto_hash_sha256_update(&sha_->state, reinterpret_cast<const unsigned char*>(piece.data()),
                            piece.size());
  while (!piece.empty()) {
    ssize_t n = ::write(fd_, piece.data(), piece.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Unavailable(fmt::format("the Files content store cannot be written ({})",
                                     n < 0 ? std::strerror(errno) : "no space"));
    }
    piece.remove_prefix(static_cast<size_t>(n));
    size_ += n;
  }
  return Ok();
}

Result<std::string> ContentStore::Writer::Commit() {
  if (fd_ < 0) return Internal("the content store's writer was committed twice");
  bool ok = !durable_ || ::fsync(fd_) == 0;
  ok = ::close(std::exchange(fd_, -1)) == 0 && ok;
  if (!ok || ::rename(tmp_.c_str(), path_.c_str()) != 0) {
    ::unlink(tmp_.c_str());
    return Unavailable("the Files content store cannot be written");
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&sha_->state, digest);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return std::string(hex);
}

Result<ContentStore::Writer> ContentStore::BeginWrite(const std::string& id, bool durable) const {
  std::filesystem::path path = PathOf(id);
  for (const auto& dir : {root_, path.parent_path()}) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      ::chmod(dir.c_str(), 0700);
    }
  }
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("the Files content store cannot be written");
  return Writer(fd, std::move(tmp), std::move(path), durable);
}

Result<std::string> ContentStore::Write(const std::string& id, std::string_view content,
                                        bool durable) const {
  CONCORD_ASSIGN_OR_RETURN(Writer w, BeginWrite(id, durable));
  CONCORD_RETURN_IF_ERROR(w.Append(content));
  return w.Commit();
}

Status ContentStore::Read(const std::string& id,
                          const std::function<bool(std::string_view)>& piece) const {
  std::ifstream in(PathOf(id), std::ios::binary);
  if (!in)
    return NotFound(fmt::format("the content of file {} is missing from the content store", id));
  std::string buffer(size_t{64} * 1024, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    auto n = static_cast<size_t>(in.gcount());
    if (n > 0 && !piece(std::string_view(buffer.data(), n))) break;
  }
  if (in.bad()) return Unavailable("the Files content store cannot be read");
  return Ok();
}

bool ContentStore::Has(const std::string& id) const {
  std::error_code ec;
  return std::filesystem::is_regular_file(PathOf(id), ec);
}

void ContentStore::Remove(const std::string& id) const {
  std::error_code ec;
  std::filesystem::remove(PathOf(id), ec);
}

}  // namespace concord::files::store
