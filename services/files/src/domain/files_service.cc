// The Files service: its content rules, and what it does when Communities adds or removes a
// Files widget. A community library's access follows the Files record of its community; a
// personal file's, its owner, its visibility, and the communities it is shared with (by the
// Files record of each).
#include <fmt/format.h>
#include <unistd.h>

#include "concord/base/text.h"
#include "concord/files/files.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "store/file_store.h"

namespace concord::files {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;
using remoteapp::Access;

const store::FileStore kStore;
const std::string kApp = "Files";

json LibraryJson(const store::Library& l) {
  return {{"id", l.id},
          {"communityUuid", l.community ? json(l.community->value()) : json(nullptr)},
          {"owner", l.owner ? json(l.owner->value()) : json(nullptr)},
          {"title", l.title},
          {"created", FormatTimestamp(l.created)}};
}

json FileJson(const store::File& f) {
  return {{"id", f.id},
          {"libraryId", f.library_id},
          {"folderId", f.folder_id ? json(*f.folder_id) : json(nullptr)},
          {"name", f.name},
          {"owner", f.owner.value()},
          {"visibility", f.visibility},
          {"size", f.size},
          {"sha256", f.sha256},
          {"created", FormatTimestamp(f.created)}};
}

Result<std::string> ValidFileName(std::string_view name, std::string_view field) {
  CONCORD_ASSIGN_OR_RETURN(std::string n, ValidSingleLine(name, field, 255));
  if (n.find_first_of("/\\") != std::string::npos || n == "." || n == "..") {
    return InvalidArgument(std::string(field),
                           fmt::format("'{}' must not contain '/' or '\\\\'", field));
  }
  return n;
}

}  // namespace

struct FilesService::Impl final : remoteapp::ResourceHooks, remoteapp::CommunityShares {
  std::shared_ptr<db::Database> db;
  store::ContentStore content;
  remoteapp::RemoteApplication app;

  Impl(std::shared_ptr<db::Database> database, std::filesystem::path content_dir)
      : db(database),
        content(std::move(content_dir)),
        app(remoteapp::Define(Describe(), {"file_libraries", "title", ""}), database, *this) {}

  Result<std::string> CreateResource(db::Connection& c, const std::string&,
                                     const lifecycle::LifecycleEvent& e) override {
    store::Library l{NewUuid(),        e.community.uuid, std::nullopt,
                     e.community.name, NowMillis(),      std::nullopt};
    CONCORD_RETURN_IF_ERROR(kStore.InsertLibrary(c, l));
    return l.id;
  }

  Status RemoveResource(db::Connection& c, const std::string&, const std::string& id) override {
    return kStore.TrashLibrary(c, id, NowMillis());  // to the Files trash; content stays on disk
  }

  // Sample data: a folder in every library, and in one library of twenty a file on disk
  // (creating a million files would make `populate` disk-bound; the load's durability is its
  // transaction's, so no fsync per file).
  Status AddSampleContent(db::Connection& c, const std::string&, const std::string& id,
                          const lifecycle::LifecycleEvent& e) override {
    UserId owner = e.community.owners.empty() ? e.actor : e.community.owners.front();
    CONCORD_RETURN_IF_ERROR(
        kStore.InsertFolder(c, store::Folder{NewUuid(), id, std::nullopt, "Shared", NowMillis()}));
    if (std::hash<std::string>{}(id) % 20 != 0) return Ok();
    std::string text = "Files of " + e.community.name + ".\n";
    std::string file_id = NewUuid();
    CONCORD_ASSIGN_OR_RETURN(std::string sha, content.Write(file_id, text, /*durable=*/false));
    return kStore.InsertFile(c,
                             store::File{file_id, id, std::nullopt, "README.txt", owner, "private",
                                         static_cast<int64_t>(text.size()), sha, NowMillis()});
  }

  // What `who` may do in a library: kNotFound when nothing.
  Result<Access> LibraryAccess(db::Connection& c, const store::Library& l,
                               const http::Principal& who) {
    if (l.trashed_at) return NotFound(fmt::format("library {} not found", l.id));
    if (l.community) {
      CONCORD_ASSIGN_OR_RETURN(auto a,
                               app.AccessToCommunity(c, kApp, *l.community, who, "library", l.id));
      return a.access;
    }
    if (who.admin || l.owner == who.id) return Access::kOwn;
    return NotFound(fmt::format("library {} not found", l.id));
  }

  Result<store::Library> LoadLibrary(db::Connection& c, const std::string& id) {
    CONCORD_ASSIGN_OR_RETURN(auto l, kStore.FindLibrary(c, id));
    if (!l) return NotFound(fmt::format("library {} not found", id.substr(0, 60)));
    return *l;
  }

  // One upload, its body written to the content store as it arrives. The content is written
  // first (a temporary file, renamed into place), then the record: a crash in between leaves an
  // extra binary on disk (what checkFiles finds), never a record without content. While the
  // upload lives, checkFiles leaves its content alone; destroyed unfinished, it removes it.
  class Upload final : public http::BodySink {
   public:
    Upload(Impl& files, http::Principal who, std::string library_id, std::string name,
           std::string visibility, std::optional<std::string> folder)
        : files_(files),
          who_(std::move(who)),
          library_id_(std::move(library_id)),
          name_(std::move(name)),
          visibility_(std::move(visibility)),
          folder_(std::move(folder)),
          id_(NewUuid()),
          in_flight_(files.content.BeginUpload(id_)) {}

    // Whether the caller may add this file to the library (and its folder): the library if so.
    Result<store::Library> Check(db::Connection& c) const {
      CONCORD_ASSIGN_OR_RETURN(store::Library l, files_.LoadLibrary(c, library_id_));
      CONCORD_ASSIGN_OR_RETURN(Access a, files_.LibraryAccess(c, l, who_));
      if (a == Access::kRead) return PermissionDenied("only members of the community add files");
      if (folder_) {
        CONCORD_ASSIGN_OR_RETURN(auto f, kStore.FindFolder(c, *folder_));
        if (!f || f->library_id != l.id)
          return InvalidArgument("folder", "no such folder in this library");
      }
      return l;
    }

    Status Begin() {
      CONCORD_ASSIGN_OR_RETURN(auto w, files_.content.BeginWrite(id_));
      writer_.emplace(std::move(w));
      return Ok();
    }

    Status Write(std::string_view piece) override { return writer_->Append(piece); }

    Result<Response> Finish() override {
      int64_t size = writer_->size();
      CONCORD_ASSIGN_OR_RETURN(std::string sha, writer_->Commit());
      committed_ = true;
      auto result =
          files_.db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            CONCORD_ASSIGN_OR_RETURN(store::Library l, Check(c));
            store::File f{id_, l.id, folder_, name_, who_.id, visibility_, size, sha, NowMillis()};
            CONCORD_RETURN_IF_ERROR(kStore.InsertFile(c, f));
            return Response::Json(201, FileJson(f));
          });
      if (result) recorded_ = true;
      return result;
    }

    ~Upload() override {
      if (committed_ && !recorded_) files_.content.Remove(id_);
    }

   private:
    Impl& files_;
    http::Principal who_;
    std::string library_id_, name_, visibility_;
    std::optional<std::string> folder_;
    std::string id_;
    store::ContentStore::Upload in_flight_;
    std::optional<store::ContentStore::Writer> writer_;  // removes its temporary file unless
    bool committed_ = false;                             // committed
    bool recorded_ = false;
  };

  struct LoadedFile {
    store::File file;
    store::Library library;
    Access access;
  };

  Result<LoadedFile> LoadFile(db::Connection& c, const http::Principal& who,
                              const std::string& id) {
    auto not_found = [&] { return NotFound(fmt::format("file {} not found", id.substr(0, 60))); };
    CONCORD_ASSIGN_OR_RETURN(auto f, kStore.FindFile(c, id));
    if (!f) return not_found();
    CONCORD_ASSIGN_OR_RETURN(store::Library l, LoadLibrary(c, f->library_id));
    if (l.community) {
      auto a = LibraryAccess(c, l, who);
      if (!a) return not_found();
      return LoadedFile{*f, l, *a};
    }
    if (l.trashed_at) return not_found();
    if (who.admin || f->owner == who.id) return LoadedFile{*f, l, Access::kOwn};
    if (f->visibility == "public") return LoadedFile{*f, l, Access::kRead};
    // Shared with a community directly, or through its folder.
    CONCORD_ASSIGN_OR_RETURN(auto shares, kStore.Shares(c, f->id));
    if (f->folder_id) {
      CONCORD_ASSIGN_OR_RETURN(auto folder_shares,
                               kStore.Shares(c, *f->folder_id, /*folder=*/true));
      shares.insert(shares.end(), folder_shares.begin(), folder_shares.end());
    }
    for (const auto& s : shares) {
      CONCORD_ASSIGN_OR_RETURN(auto record, app.Find(c, s.community, kApp));
      if (!record || record->in_trash) continue;
      CONCORD_ASSIGN_OR_RETURN(Access in_community, app.AccessOf(c, *record, who));
      if (in_community == Access::kContribute || in_community == Access::kOwn) {
        return LoadedFile{*f, l, Access::kRead};
      }
    }
    return not_found();
  }

  Result<store::Library> PersonalLibraryOf(db::Connection& c, const http::Principal& who) {
    CONCORD_ASSIGN_OR_RETURN(auto l, kStore.PersonalLibrary(c, who.id));
    if (l) return *l;
    store::Library mine{NewUuid(),   std::nullopt, who.id, who.login + "'s files",
                        NowMillis(), std::nullopt};
    CONCORD_RETURN_IF_ERROR(kStore.InsertLibrary(c, mine));
    return mine;
  }

  // syncAllCommunityShares (reference section 10).
  Result<std::vector<std::string>> SharedCommunities(db::Connection& c, const std::string& after,
                                                     int limit) override {
    CONCORD_ASSIGN_OR_RETURN(
        db::Rows rows,
        c.Query("SELECT community_uuid FROM (SELECT community_uuid FROM file_shares UNION "
                "SELECT community_uuid FROM folder_shares) WHERE community_uuid > $1 "
                "ORDER BY community_uuid LIMIT $2",
                after, limit));
    std::vector<std::string> out;
    while (true) {
      CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
      if (!has) break;
      out.push_back(rows.Text(0));
    }
    return out;
  }
  Result<remoteapp::ShareSyncCounts> Sync(db::Connection& c,
                                          const remoteapp::CommunityTruth& t) override {
    remoteapp::ShareSyncCounts n;
    if (!t.exists) {  // gone: the items stay with their owners, no longer shared
      CONCORD_ASSIGN_OR_RETURN(
          int64_t a, c.Execute("DELETE FROM file_shares WHERE community_uuid = $1", t.uuid));
      CONCORD_ASSIGN_OR_RETURN(
          int64_t b, c.Execute("DELETE FROM folder_shares WHERE community_uuid = $1", t.uuid));
      n.removed = a + b;
      return n;
    }
    if (t.visibility != "private") {  // a private item is shared with restricted communities only
      CONCORD_ASSIGN_OR_RETURN(
          int64_t a, c.Execute("DELETE FROM file_shares WHERE community_uuid = $1 AND file_id IN "
                               "(SELECT id FROM files WHERE visibility = 'private')",
                               t.uuid));
      CONCORD_ASSIGN_OR_RETURN(
          int64_t b,
          c.Execute("DELETE FROM folder_shares WHERE community_uuid = $1 AND folder_id IN "
                    "(SELECT id FROM folders WHERE visibility = 'private')",
                    t.uuid));
      n.removed = a + b;
    }
    CONCORD_ASSIGN_OR_RETURN(
        int64_t a,
        c.Execute("UPDATE file_shares SET community_name = $2, community_visibility = $3 "
                  "WHERE community_uuid = $1 AND (community_name <> $2 OR "
                  "community_visibility <> $3)",
                  t.uuid, t.name, t.visibility));
    CONCORD_ASSIGN_OR_RETURN(
        int64_t b, c.Execute("UPDATE folder_shares SET community_name = $2, community_visibility = "
                             "$3 WHERE community_uuid = $1 AND (community_name <> $2 OR "
                             "community_visibility <> $3)",
                             t.uuid, t.name, t.visibility));
    n.updated = a + b;
    return n;
  }

  // checkFiles (reference section 10): binaries without a database record move to
  // `extra_dir`; records without their binary are reported.
  Result<json> CheckFiles(const std::string& extra_dir_text) {
    namespace fs = std::filesystem;
    fs::path extra_dir(extra_dir_text);
    if (!extra_dir.is_absolute()) {
      return InvalidArgument("extraFileDirectory",
                             "extraFileDirectory must be an absolute path on the Files server");
    }
    fs::path root = fs::weakly_canonical(content.root());
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
    json moved = json::array(), missing = json::array();
    int64_t checked = 0, extra = 0, missing_count = 0, uploading = 0;
    auto lease = db->Acquire();
    if (!lease) return std::unexpected(lease.error());
    CONCORD_ASSIGN_OR_RETURN(
        auto scan, content.ForEachUnrecorded(
                       [&](const std::string& id) { return kStore.FileRecorded(**lease, id); },
                       [&](const std::string& id, const fs::path& from) -> Status {
                         fs::path to = target / id;
                         std::error_code move_ec;
                         fs::rename(from, to, move_ec);
                         if (move_ec && !fs::exists(from))
                           return Ok();  // a failed upload removed it
                         if (move_ec) {  // another file system: copy, then remove
                           move_ec.clear();
                           fs::copy_file(from, to, fs::copy_options::overwrite_existing, move_ec);
                           if (!move_ec) fs::remove(from, move_ec);
                         }
                         if (move_ec) {
                           return Unavailable(fmt::format("cannot move {} to {}: {}", id,
                                                          to.string(), move_ec.message()));
                         }
                         ++extra;
                         if (moved.size() < 1000) moved.push_back(id);
                         return Ok();
                       }));
    checked = scan.checked;
    uploading = scan.uploading;
    CONCORD_ASSIGN_OR_RETURN(db::Rows rows, (*lease)->Query("SELECT id FROM files ORDER BY id"));
    while (true) {
      CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
      if (!has) break;
      std::string id = rows.Text(0);
      if (!fs::exists(root / id.substr(0, 2) / id, ec)) {
        ++missing_count;
        if (missing.size() < 1000) missing.push_back(id);
      }
    }
    return json{{"checked", checked},
                {"extra", extra},
                {"moved", moved},
                {"missing", missing_count},
                {"uploading", uploading},
                {"missingIds", missing},
                {"extraFileDirectory", target.string()}};
  }

  void Mount(http::Server& s) {
    app.Mount(s);
    remoteapp::MountCommunityShares(s, "/files/api", db, *this);
    s.Post("/files/api/admin/check-files", http::Access::kAdministrator,
           [this](const Request& r) -> Result<Response> {
             CONCORD_ASSIGN_OR_RETURN(auto body, http::JsonBody::Parse(r.body));
             CONCORD_ASSIGN_OR_RETURN(auto dir, body.RequiredString("extraFileDirectory"));
             CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
             CONCORD_ASSIGN_OR_RETURN(auto out, CheckFiles(dir));
             return Response::Json(200, out);
           });
    s.Get("/files/api/me/library", http::Access::kSignedIn,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(
                db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
                  CONCORD_ASSIGN_OR_RETURN(store::Library l, PersonalLibraryOf(c, r.principal));
                  return Response::Json(200, LibraryJson(l));
                });
          });
    s.Get("/files/api/libraries/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(store::Library l, LoadLibrary(c, r.path_params[0]));
              CONCORD_RETURN_IF_ERROR(LibraryAccess(c, l, r.principal));
              json j = LibraryJson(l);
              CONCORD_ASSIGN_OR_RETURN(auto folders, kStore.Folders(c, l.id));
              j["folders"] = json::array();
              for (const auto& f : folders) {
                j["folders"].push_back(
                    {{"id", f.id},
                     {"name", f.name},
                     {"parentId", f.parent_id ? json(*f.parent_id) : json(nullptr)}});
              }
              return Response::Json(200, j);
            });
          });
    s.Get("/files/api/libraries/([^/]+)/files", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(store::Library l, LoadLibrary(c, r.path_params[0]));
              CONCORD_RETURN_IF_ERROR(LibraryAccess(c, l, r.principal));
              CONCORD_ASSIGN_OR_RETURN(
                  auto files,
                  kStore.Files(c, l.id, r.Query("after").value_or(""), remoteapp::kPageSize + 1));
              return Response::Json(200, remoteapp::PageJson(files, FileJson));
            });
          });
    s.Post(
        "/files/api/libraries/([^/]+)/folders", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
          CONCORD_ASSIGN_OR_RETURN(std::string name, b.RequiredString("name"));
          CONCORD_ASSIGN_OR_RETURN(auto parent, b.OptString("parentId"));
          CONCORD_ASSIGN_OR_RETURN(auto folder_visibility, b.OptString("visibility"));
          CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
          std::string visibility = folder_visibility.value_or("private");
          if (visibility != "private" && visibility != "public") {
            return InvalidArgument("visibility", "a folder is private or public",
                                   {"private", "public"});
          }
          CONCORD_ASSIGN_OR_RETURN(name, ValidFileName(name, "name"));
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            CONCORD_ASSIGN_OR_RETURN(store::Library l, LoadLibrary(c, r.path_params[0]));
            CONCORD_ASSIGN_OR_RETURN(Access a, LibraryAccess(c, l, r.principal));
            if (a == Access::kRead)
              return PermissionDenied("only members of the community add folders");
            if (parent) {
              CONCORD_ASSIGN_OR_RETURN(auto p, kStore.FindFolder(c, *parent));
              if (!p || p->library_id != l.id)
                return InvalidArgument("parentId", "no such folder in this library");
            }
            store::Folder f{NewUuid(), l.id, parent, name, NowMillis(), visibility};
            CONCORD_RETURN_IF_ERROR(kStore.InsertFolder(c, f));
            return Response::Json(201, {{"id", f.id},
                                        {"name", f.name},
                                        {"parentId", parent ? json(*parent) : json(nullptr)}});
          });
        });
    // Upload: the body is the file's content, taken as it arrives (never whole in memory);
    // name, folder and visibility are query parameters. Who may write is checked before a byte
    // of the body is read, and again in the transaction that records the file (membership may
    // change in between).
    s.PostStreamed("/files/api/libraries/([^/]+)/files", http::Access::kCommunityWrite,
                   [this](const Request& r) -> Result<std::unique_ptr<http::BodySink>> {
                     CONCORD_ASSIGN_OR_RETURN(std::string name,
                                              ValidFileName(r.Query("name").value_or(""), "name"));
                     std::string visibility = r.Query("visibility").value_or("private");
                     if (visibility != "private" && visibility != "public") {
                       return InvalidArgument("visibility", "a file is private or public",
                                              {"private", "public"});
                     }
                     auto upload = std::make_unique<Upload>(*this, r.principal, r.path_params[0],
                                                            std::move(name), std::move(visibility),
                                                            r.Query("folder"));
                     CONCORD_RETURN_IF_ERROR(db->InTransaction(
                         db::TxMode::kRead, [&](db::Connection& c) { return upload->Check(c); }));
                     CONCORD_RETURN_IF_ERROR(upload->Begin());
                     return upload;
                   });
    s.Get("/files/api/files/([^/]+)", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            return db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Result<Response> {
              CONCORD_ASSIGN_OR_RETURN(LoadedFile lf, LoadFile(c, r.principal, r.path_params[0]));
              json j = FileJson(lf.file);
              if (lf.access == Access::kOwn) {
                CONCORD_ASSIGN_OR_RETURN(auto shares, kStore.Shares(c, lf.file.id));
                j["shares"] = json::array();
                for (const auto& s : shares) {
                  j["shares"].push_back({{"communityUuid", s.community.value()},
                                         {"communityName", s.community_name},
                                         {"communityVisibility", s.community_visibility}});
                }
              }
              return Response::Json(200, j);
            });
          });
    s.Get("/files/api/files/([^/]+)/content", http::Access::kCommunityRead,
          [this](const Request& r) -> Result<Response> {
            CONCORD_ASSIGN_OR_RETURN(auto lf,
                                     db->InTransaction(db::TxMode::kRead, [&](db::Connection& c) {
                                       return LoadFile(c, r.principal, r.path_params[0]);
                                     }));
            if (!content.Has(lf.file.id)) {
              return NotFound(fmt::format(
                  "the content of file {} is missing from the content store", lf.file.id));
            }
            // Sent from disk by the server as the client takes it: never whole in memory, and
            // no worker waits for a slow client.
            Response res;
            res.status = 200;
            res.content_type = "application/octet-stream";
            res.headers.emplace_back("X-Concord-SHA256", lf.file.sha256);
            res.headers.emplace_back("X-Concord-Size", std::to_string(lf.file.size));
            res.file = content.Path(lf.file.id);
            return res;
          });
    s.Delete(
        "/files/api/files/([^/]+)", http::Access::kCommunityWrite,
        [this](const Request& r) -> Result<Response> {
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            CONCORD_ASSIGN_OR_RETURN(LoadedFile lf, LoadFile(c, r.principal, r.path_params[0]));
            if (lf.access != Access::kOwn && lf.file.owner != r.principal.id) {
              return PermissionDenied("only the file's owner and the community's owners delete it");
            }
            CONCORD_RETURN_IF_ERROR(kStore.TrashFile(c, lf.file.id, NowMillis()));
            return Response::NoContent();
          });
        });
    // A personal folder's owner shares it (and the files in it) with a community, under the
    // files' rule: a private folder goes only to a restricted community.
    s.Post(
        "/files/api/folders/([^/]+)/shares", http::Access::kPersonalOwner,
        [this](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
          CONCORD_ASSIGN_OR_RETURN(std::string community, b.RequiredString("community"));
          CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
          if (!IsUuid(community))
            return InvalidArgument("community", "'community' must be a community uuid");
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            auto not_found = [&] {
              return NotFound(fmt::format("folder {} not found", r.path_params[0].substr(0, 60)));
            };
            CONCORD_ASSIGN_OR_RETURN(auto folder, kStore.FindFolder(c, r.path_params[0]));
            if (!folder) return not_found();
            CONCORD_ASSIGN_OR_RETURN(store::Library l, LoadLibrary(c, folder->library_id));
            if (l.community)
              return FailedPrecondition("a community folder is shared with its community already");
            if (l.trashed_at || (l.owner != r.principal.id && !r.principal.admin))
              return not_found();
            CONCORD_ASSIGN_OR_RETURN(
                auto a, app.AccessToCommunity(c, kApp, CommunityUuid(community), r.principal,
                                              "community", community));
            if (!a.record) return NotFound(fmt::format("community {} not found", community));
            if (folder->visibility == "private" && a.record->visibility != "private") {
              return FailedPrecondition(
                  "a private folder can be shared only with a restricted community");
            }
            store::Share share{CommunityUuid(community), a.record->name, a.record->visibility,
                               NowMillis()};
            CONCORD_RETURN_IF_ERROR(kStore.Share(c, folder->id, share, /*folder=*/true));
            return Response::Json(201, {{"communityUuid", community},
                                        {"communityName", share.community_name},
                                        {"communityVisibility", share.community_visibility}});
          });
        });
    // A personal file's owner shares it with a community. A private file goes only to a
    // restricted community: sharing it with a public one would make it public.
    s.Post(
        "/files/api/files/([^/]+)/shares", http::Access::kPersonalOwner,
        [this](const Request& r) -> Result<Response> {
          CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
          CONCORD_ASSIGN_OR_RETURN(std::string community, b.RequiredString("community"));
          CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
          if (!IsUuid(community))
            return InvalidArgument("community", "'community' must be a community uuid");
          return db->InTransaction(db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
            CONCORD_ASSIGN_OR_RETURN(LoadedFile lf, LoadFile(c, r.principal, r.path_params[0]));
            if (lf.library.community)
              return FailedPrecondition("a community file is shared with its community already");
            if (lf.file.owner != r.principal.id && !r.principal.admin) {
              return PermissionDenied("only the file's owner shares it");
            }
            CONCORD_ASSIGN_OR_RETURN(
                auto a, app.AccessToCommunity(c, kApp, CommunityUuid(community), r.principal,
                                              "community", community));
            if (!a.record) return NotFound(fmt::format("community {} not found", community));
            if (lf.file.visibility == "private" && a.record->visibility != "private") {
              return FailedPrecondition(
                  "a private file can be shared only with a restricted community; make the "
                  "file public first");
            }
            store::Share share{CommunityUuid(community), a.record->name, a.record->visibility,
                               NowMillis()};
            CONCORD_RETURN_IF_ERROR(kStore.Share(c, lf.file.id, share));
            return Response::Json(201, {{"communityUuid", community},
                                        {"communityName", share.community_name},
                                        {"communityVisibility", share.community_visibility}});
          });
        });
  }
};

FilesService::FilesService(std::shared_ptr<db::Database> database,
                           std::filesystem::path content_dir)
    : impl_(std::make_unique<Impl>(std::move(database), std::move(content_dir))) {}
FilesService::~FilesService() = default;

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return std::make_unique<FilesService>(context.database, context.content_dir);
}
void FilesService::Mount(http::Server& server) { impl_->Mount(server); }
remoteapp::RemoteApplication& FilesService::application() { return impl_->app; }

}  // namespace concord::files
