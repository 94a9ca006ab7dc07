#include "domain/files.h"

#include <fmt/format.h>
#include <unistd.h>

#include "concord/base/text.h"
#include "concord/files/files.h"

namespace concord::files::domain {
namespace {

using remoteapp::Access;

const store::FileStore kStore;
const std::string kApp = "Files";

bool IsVisibility(std::string_view v) { return v == "private" || v == "public"; }

}  // namespace

remoteapp::AppDefinition Definition() {
  return remoteapp::Define(Describe(), {"file_libraries", "title", ""});
}

Result<std::string> ValidFileName(std::string_view name, std::string_view field) {
  CONCORD_ASSIGN_OR_RETURN(std::string n, ValidSingleLine(name, field, 255));
  if (n.find_first_of("/\\") != std::string::npos || n == "." || n == "..") {
    return InvalidArgument(std::string(field),
                           fmt::format("'{}' must not contain '/' or '\\\\'", field));
  }
  return n;
}

Result<std::string> ValidVisibility(const std::optional<std::string>& visibility,
                                    std::string_view noun) {
  std::string v = visibility.value_or("private");
  if (!IsVisibility(v)) {
    return InvalidArgument("visibility", fmt::format("a {} is private or public", noun),
                           {"private", "public"});
  }
  return v;
}

Files::Files(std::shared_ptr<db::Database> database, std::filesystem::path content_dir)
    : content_(std::move(content_dir)),
      app_(Definition(),
           {.noun = "library",
            .plural = "libraries",
            .add_sample =
                [this](db::Connection& c, const std::string& library_id,
                       const lifecycle::LifecycleEvent& e) {
                  return AddSampleContent(c, library_id, e);
                }},
           std::move(database)) {}

// Sample data: a folder in every library, and in one library of twenty a file on disk
// (creating a million files would make `populate` disk-bound; the load's durability is its
// transaction's, so no fsync per file).
Status Files::AddSampleContent(db::Connection& c, const std::string& library_id,
                               const lifecycle::LifecycleEvent& e) {
  CONCORD_RETURN_IF_ERROR(
      kStore.InsertFolder(c, Folder{NewUuid(), library_id, std::nullopt, "Shared", NowMillis()}));
  if (std::hash<std::string>{}(library_id) % 20 != 0) return Ok();
  std::string text = "Files of " + e.community.name + ".\n";
  std::string file_id = NewUuid();
  CONCORD_ASSIGN_OR_RETURN(std::string sha, content_.Write(file_id, text, /*durable=*/false));
  return kStore.InsertFile(
      c, File{file_id, library_id, std::nullopt, "README.txt", remoteapp::SampleAuthor(e),
              "private", static_cast<int64_t>(text.size()), sha, NowMillis()});
}

Result<Library> Files::FindLibrary(db::Connection& c, const std::string& id) {
  CONCORD_ASSIGN_OR_RETURN(auto l, kStore.FindLibrary(c, id));
  if (!l) return NotFound(fmt::format("library {} not found", id.substr(0, 60)));
  return *l;
}

Result<Access> Files::LibraryAccess(db::Connection& c, const Library& l, const Principal& who) {
  if (l.trashed_at) return NotFound(fmt::format("library {} not found", l.id));
  if (l.community) {
    CONCORD_ASSIGN_OR_RETURN(
        auto a, application().AccessToCommunity(c, kApp, *l.community, who, "library", l.id));
    return a.access;
  }
  if (who.admin || l.owner == who.id) return Access::kOwn;
  return NotFound(fmt::format("library {} not found", l.id));
}

Result<Files::LoadedLibrary> Files::LoadLibrary(db::Connection& c, const Principal& who,
                                                const std::string& id) {
  CONCORD_ASSIGN_OR_RETURN(Library l, FindLibrary(c, id));
  CONCORD_ASSIGN_OR_RETURN(Access a, LibraryAccess(c, l, who));
  return LoadedLibrary{std::move(l), a};
}

Result<Library> Files::PersonalLibrary(db::Connection& c, const Principal& who) {
  CONCORD_ASSIGN_OR_RETURN(auto l, kStore.PersonalLibrary(c, who.id));
  if (l) return *l;
  Library mine{NewUuid(), std::nullopt, who.id, who.login + "'s files", NowMillis(), std::nullopt};
  CONCORD_RETURN_IF_ERROR(kStore.InsertLibrary(c, mine));
  return mine;
}

Result<std::vector<Folder>> Files::Folders(db::Connection& c, const LoadedLibrary& l) {
  return kStore.Folders(c, l.library.id);
}

Result<std::vector<File>> Files::FilesIn(db::Connection& c, const LoadedLibrary& l,
                                         const std::string& after) {
  return kStore.Files(c, l.library.id, after, remoteapp::kPageSize + 1);
}

Result<Folder> Files::AddFolder(db::Connection& c, const Principal& who,
                                const std::string& library_id, NewFolder folder) {
  CONCORD_ASSIGN_OR_RETURN(LoadedLibrary l, LoadLibrary(c, who, library_id));
  CONCORD_RETURN_IF_ERROR(remoteapp::Require(l.access, Access::kContribute,
                                             "only members of the community add folders"));
  if (folder.parent) {
    CONCORD_ASSIGN_OR_RETURN(auto p, kStore.FindFolder(c, *folder.parent));
    if (!p || p->library_id != l.library.id)
      return InvalidArgument("parentId", "no such folder in this library");
  }
  Folder f{NewUuid(),
           l.library.id,
           std::move(folder.parent),
           std::move(folder.name),
           NowMillis(),
           std::move(folder.visibility)};
  CONCORD_RETURN_IF_ERROR(kStore.InsertFolder(c, f));
  return f;
}

Result<bool> Files::ReadsAsCommunityMember(db::Connection& c, const File& f, const Principal& who) {
  // Shared with a community directly, or through its folder.
  CONCORD_ASSIGN_OR_RETURN(auto shares, kStore.Shares(c, f.id));
  if (f.folder_id) {
    CONCORD_ASSIGN_OR_RETURN(auto folder_shares, kStore.Shares(c, *f.folder_id, /*folder=*/true));
    shares.insert(shares.end(), folder_shares.begin(), folder_shares.end());
  }
  for (const auto& s : shares) {
    CONCORD_ASSIGN_OR_RETURN(auto record, application().Find(c, s.community, kApp));
    if (!record || record->in_trash) continue;
    CONCORD_ASSIGN_OR_RETURN(Access in_community, application().AccessOf(c, *record, who));
    if (in_community >= Access::kContribute) return true;
  }
  return false;
}

Result<Files::LoadedFile> Files::LoadFile(db::Connection& c, const Principal& who,
                                          const std::string& id) {
  auto not_found = [&] { return NotFound(fmt::format("file {} not found", id.substr(0, 60))); };
  CONCORD_ASSIGN_OR_RETURN(auto f, kStore.FindFile(c, id));
  if (!f) return not_found();
  CONCORD_ASSIGN_OR_RETURN(Library l, FindLibrary(c, f->library_id));
  if (l.community) {
    // Whatever keeps the library from the caller keeps the file: it does not exist for them.
    auto a = LibraryAccess(c, l, who);
    if (!a) return not_found();
    return LoadedFile{std::move(*f), std::move(l), *a};
  }
  if (l.trashed_at) return not_found();
  if (who.admin || f->owner == who.id) return LoadedFile{std::move(*f), std::move(l), Access::kOwn};
  if (f->visibility == "public") return LoadedFile{std::move(*f), std::move(l), Access::kRead};
  CONCORD_ASSIGN_OR_RETURN(bool member, ReadsAsCommunityMember(c, *f, who));
  if (member) return LoadedFile{std::move(*f), std::move(l), Access::kRead};
  return not_found();
}

Result<std::vector<Share>> Files::SharesOf(db::Connection& c, const LoadedFile& f) {
  return kStore.Shares(c, f.file.id);
}

Result<std::filesystem::path> Files::ContentPath(const File& f) const {
  if (!content_.Has(f.id)) {
    return NotFound(fmt::format("the content of file {} is missing from the content store", f.id));
  }
  return content_.Path(f.id);
}

Status Files::DeleteFile(db::Connection& c, const Principal& who, const std::string& id) {
  CONCORD_ASSIGN_OR_RETURN(LoadedFile lf, LoadFile(c, who, id));
  if (lf.access != Access::kOwn && lf.file.owner != who.id) {
    return PermissionDenied("only the file's owner and the community's owners delete it");
  }
  return kStore.TrashFile(c, lf.file.id, NowMillis());
}

Result<Share> Files::ShareWith(db::Connection& c, const Principal& who,
                               const std::string& community, const std::string& visibility,
                               std::string_view refusal) {
  CONCORD_ASSIGN_OR_RETURN(
      auto a, application().AccessToCommunity(c, kApp, CommunityUuid(community), who, "community",
                                              community));
  if (!a.record) return NotFound(fmt::format("community {} not found", community));
  if (visibility == "private" && a.record->visibility != "private") {
    return FailedPrecondition(std::string(refusal));
  }
  return Share{CommunityUuid(community), a.record->name, a.record->visibility, NowMillis()};
}

Result<Share> Files::ShareFile(db::Connection& c, const Principal& who, const std::string& file_id,
                               const std::string& community) {
  CONCORD_ASSIGN_OR_RETURN(LoadedFile lf, LoadFile(c, who, file_id));
  if (lf.library.community)
    return FailedPrecondition("a community file is shared with its community already");
  if (lf.file.owner != who.id && !who.admin) {
    return PermissionDenied("only the file's owner shares it");
  }
  CONCORD_ASSIGN_OR_RETURN(
      Share share, ShareWith(c, who, community, lf.file.visibility,
                             "a private file can be shared only with a restricted community; "
                             "make the file public first"));
  CONCORD_RETURN_IF_ERROR(kStore.Share(c, lf.file.id, share));
  return share;
}

Result<Share> Files::ShareFolder(db::Connection& c, const Principal& who,
                                 const std::string& folder_id, const std::string& community) {
  auto not_found = [&] {
    return NotFound(fmt::format("folder {} not found", folder_id.substr(0, 60)));
  };
  CONCORD_ASSIGN_OR_RETURN(auto folder, kStore.FindFolder(c, folder_id));
  if (!folder) return not_found();
  CONCORD_ASSIGN_OR_RETURN(Library l, FindLibrary(c, folder->library_id));
  if (l.community)
    return FailedPrecondition("a community folder is shared with its community already");
  if (l.trashed_at || (l.owner != who.id && !who.admin)) return not_found();
  CONCORD_ASSIGN_OR_RETURN(
      Share share, ShareWith(c, who, community, folder->visibility,
                             "a private folder can be shared only with a restricted community"));
  CONCORD_RETURN_IF_ERROR(kStore.Share(c, folder->id, share, /*folder=*/true));
  return share;
}

Result<std::vector<std::string>> Files::SharedCommunities(db::Connection& c,
                                                          const std::string& after, int limit) {
  return kStore.SharedCommunities(c, after, limit);
}

Result<remoteapp::ShareSyncCounts> Files::Sync(db::Connection& c,
                                               const remoteapp::CommunityTruth& t) {
  remoteapp::ShareSyncCounts n;
  if (!t.exists) {
    CONCORD_ASSIGN_OR_RETURN(n.removed, kStore.RemoveShares(c, t.uuid, /*private_only=*/false));
    return n;
  }
  if (t.visibility != "private") {
    CONCORD_ASSIGN_OR_RETURN(n.removed, kStore.RemoveShares(c, t.uuid, /*private_only=*/true));
  }
  CONCORD_ASSIGN_OR_RETURN(n.updated, kStore.UpdateShares(c, t.uuid, t.name, t.visibility));
  return n;
}

Result<Files::CheckReport> Files::CheckFiles(const std::string& extra_dir_text) {
  namespace fs = std::filesystem;
  fs::path extra_dir(extra_dir_text);
  if (!extra_dir.is_absolute()) {
    return InvalidArgument("extraFileDirectory",
                           "extraFileDirectory must be an absolute path on the Files server");
  }
  fs::path root = fs::weakly_canonical(content_.root());
  fs::path target = fs::weakly_canonical(extra_dir);
  if (target.string().starts_with(root.string())) {
    return InvalidArgument("extraFileDirectory",
                           "extraFileDirectory must be outside the Files content store");
  }
  std::error_code ec;
  fs::create_directories(target, ec);
  if (!fs::is_directory(target, ec) || ::access(target.c_str(), W_OK | R_OK) != 0) {
    return InvalidArgument("extraFileDirectory",
                           fmt::format("cannot create, read or write {}", target.string()));
  }
  CheckReport report;
  report.extra_dir = target;
  // Outside a transaction: each record is looked for as committed at that moment, so that an
  // upload that finished during the scan (no longer in progress) is found with its record, as
  // ContentStore::ForEachUnrecorded requires; a snapshot from the scan's start would miss it.
  auto lease = database()->Acquire();
  if (!lease) return std::unexpected(lease.error());
  CONCORD_ASSIGN_OR_RETURN(
      auto scan, content_.ForEachUnrecorded(
                     [&](const std::string& id) { return kStore.FileRecorded(**lease, id); },
                     [&](const std::string& id, const fs::path& from) -> Status {
                       fs::path to = target / id;
                       std::error_code move_ec;
                       fs::rename(from, to, move_ec);
                       if (move_ec && !fs::exists(from)) return Ok();  // a failed upload removed it
                       if (move_ec) {  // another file system: copy, then remove
                         move_ec.clear();
                         fs::copy_file(from, to, fs::copy_options::overwrite_existing, move_ec);
                         if (!move_ec) fs::remove(from, move_ec);
                       }
                       if (move_ec) {
                         return Unavailable(fmt::format("cannot move {} to {}: {}", id, to.string(),
                                                        move_ec.message()));
                       }
                       ++report.extra;
                       if (report.moved.size() < 1000) report.moved.push_back(id);
                       return Ok();
                     }));
  report.checked = scan.checked;
  report.uploading = scan.uploading;
  CONCORD_RETURN_IF_ERROR(kStore.ForEachFileId(**lease, [&](const std::string& id) -> Status {
    if (!fs::exists(root / id.substr(0, 2) / id, ec)) {
      ++report.missing;
      if (report.missing_ids.size() < 1000) report.missing_ids.push_back(id);
    }
    return Ok();
  }));
  return report;
}

Result<std::unique_ptr<Upload>> Files::StartUpload(const Principal& who, NewFile file) {
  std::unique_ptr<Upload> upload(new Upload(*this, who, std::move(file)));
  CONCORD_RETURN_IF_ERROR(database()->InTransaction(
      db::TxMode::kRead, [&](db::Connection& c) { return upload->Check(c); }));
  CONCORD_ASSIGN_OR_RETURN(auto writer, content_.BeginWrite(upload->id_));
  upload->writer_.emplace(std::move(writer));
  return upload;
}

Upload::Upload(Files& files, Principal who, Files::NewFile file)
    : files_(files),
      who_(std::move(who)),
      file_(std::move(file)),
      id_(NewUuid()),
      in_flight_(files.content_.BeginUpload(id_)) {}

Upload::~Upload() {
  if (committed_ && !recorded_) files_.content_.Remove(id_);
}

Result<Library> Upload::Check(db::Connection& c) const {
  CONCORD_ASSIGN_OR_RETURN(Files::LoadedLibrary l, files_.LoadLibrary(c, who_, file_.library_id));
  CONCORD_RETURN_IF_ERROR(
      remoteapp::Require(l.access, Access::kContribute, "only members of the community add files"));
  if (file_.folder) {
    CONCORD_ASSIGN_OR_RETURN(auto f, kStore.FindFolder(c, *file_.folder));
    if (!f || f->library_id != l.library.id)
      return InvalidArgument("folder", "no such folder in this library");
  }
  return l.library;
}

Status Upload::Append(std::string_view piece) { return writer_->Append(piece); }

Result<File> Upload::Finish() {
  int64_t size = writer_->size();
  CONCORD_ASSIGN_OR_RETURN(std::string sha, writer_->Commit());
  committed_ = true;
  auto recorded =
      files_.database()->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<File> {
        CONCORD_ASSIGN_OR_RETURN(Library l, Check(c));
        File f{id_,  l.id, file_.folder, file_.name, who_.id, file_.visibility,
               size, sha,  NowMillis()};
        CONCORD_RETURN_IF_ERROR(kStore.InsertFile(c, f));
        return f;
      });
  if (recorded) recorded_ = true;
  return recorded;
}

}  // namespace concord::files::domain
