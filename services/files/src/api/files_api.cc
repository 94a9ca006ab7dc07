// Files' HTTP API (docs/http-api.md): routes and JSON only; the rules are the domain's.
#include "concord/files/files.h"
#include "concord/http/json_body.h"
#include "concord/remoteapp/routes.h"
#include "domain/files.h"

namespace concord::files {
namespace {

using http::JsonBody;
using http::Request;
using http::Response;
using nlohmann::json;
using remoteapp::Access;

json Nullable(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

json LibraryJson(const domain::Library& l) {
  return {{"id", l.id},
          {"communityUuid", l.community ? json(l.community->value()) : json(nullptr)},
          {"owner", l.owner ? json(l.owner->value()) : json(nullptr)},
          {"title", l.title},
          {"created", FormatTimestamp(l.created)}};
}

json FolderJson(const domain::Folder& f) {
  return {{"id", f.id}, {"name", f.name}, {"parentId", Nullable(f.parent_id)}};
}

json FileJson(const domain::File& f) {
  return {{"id", f.id},     {"libraryId", f.library_id}, {"folderId", Nullable(f.folder_id)},
          {"name", f.name}, {"owner", f.owner.value()},  {"visibility", f.visibility},
          {"size", f.size}, {"sha256", f.sha256},        {"created", FormatTimestamp(f.created)}};
}

json ShareJson(const domain::Share& s) {
  return {{"communityUuid", s.community.value()},
          {"communityName", s.community_name},
          {"communityVisibility", s.community_visibility}};
}

Result<domain::Files::NewFolder> ReadNewFolder(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
  CONCORD_ASSIGN_OR_RETURN(std::string name, b.RequiredString("name"));
  CONCORD_ASSIGN_OR_RETURN(auto parent, b.OptString("parentId"));
  CONCORD_ASSIGN_OR_RETURN(auto visibility, b.OptString("visibility"));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  domain::Files::NewFolder out{.parent = std::move(parent)};
  CONCORD_ASSIGN_OR_RETURN(out.visibility, domain::ValidVisibility(visibility, "folder"));
  CONCORD_ASSIGN_OR_RETURN(out.name, domain::ValidFileName(name, "name"));
  return out;
}

// {"community": a community uuid}.
Result<std::string> ReadShare(const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(JsonBody b, JsonBody::Parse(r.body));
  CONCORD_ASSIGN_OR_RETURN(std::string community, b.RequiredString("community"));
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  if (!IsUuid(community))
    return InvalidArgument("community", "'community' must be a community uuid");
  return community;
}

// An upload's body, as it arrives, into the domain's upload.
class UploadBody final : public http::BodySink {
 public:
  explicit UploadBody(std::unique_ptr<domain::Upload> upload) : upload_(std::move(upload)) {}
  Status Write(std::string_view piece) override { return upload_->Append(piece); }
  Result<Response> Finish() override {
    CONCORD_ASSIGN_OR_RETURN(domain::File f, upload_->Finish());
    return Response::Json(201, FileJson(f));
  }

 private:
  std::unique_ptr<domain::Upload> upload_;
};

void MountApi(remoteapp::Routes& routes, domain::Files& files) {
  http::Server& server = routes.server();
  server.Post("/files/api/admin/check-files", http::Access::kAdministrator,
              [&files](const Request& r) -> Result<Response> {
                CONCORD_ASSIGN_OR_RETURN(auto body, JsonBody::Parse(r.body));
                CONCORD_ASSIGN_OR_RETURN(auto dir, body.RequiredString("extraFileDirectory"));
                CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());
                CONCORD_ASSIGN_OR_RETURN(auto report, files.CheckFiles(dir));
                return Response::Json(200, {{"checked", report.checked},
                                            {"extra", report.extra},
                                            {"moved", report.moved},
                                            {"missing", report.missing},
                                            {"uploading", report.uploading},
                                            {"missingIds", report.missing_ids},
                                            {"extraFileDirectory", report.extra_dir.string()}});
              });
  // A read that may write: the caller's library is made the first time it is asked for.
  server.Get("/files/api/me/library", http::Access::kSignedIn,
             [&files](const Request& r) -> Result<Response> {
               return files.database()->InTransaction(
                   db::TxMode::kWrite, [&](db::Connection& c) -> Result<Response> {
                     CONCORD_ASSIGN_OR_RETURN(auto l, files.PersonalLibrary(c, r.principal));
                     return Response::Json(200, LibraryJson(l));
                   });
             });

  const std::string library = "/files/api/libraries/([^/]+)";
  routes.Get(library, http::Access::kCommunityRead,
             [&files](db::Connection& c, const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto l,
                                        files.LoadLibrary(c, r.principal, r.path_params[0]));
               CONCORD_ASSIGN_OR_RETURN(auto folders, files.Folders(c, l));
               json j = LibraryJson(l.library);
               j["folders"] = json::array();
               for (const auto& f : folders) j["folders"].push_back(FolderJson(f));
               return Response::Json(200, j);
             });
  routes.Get(
      library + "/files", http::Access::kCommunityRead,
      [&files](db::Connection& c, const Request& r) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(auto l, files.LoadLibrary(c, r.principal, r.path_params[0]));
        CONCORD_ASSIGN_OR_RETURN(auto page, files.FilesIn(c, l, r.Query("after").value_or("")));
        return Response::Json(200, remoteapp::PageJson(page, FileJson));
      });
  routes.Post<domain::Files::NewFolder>(
      library + "/folders", http::Access::kCommunityWrite, ReadNewFolder,
      [&files](db::Connection& c, const Request& r,
               domain::Files::NewFolder& folder) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(
            auto f, files.AddFolder(c, r.principal, r.path_params[0], std::move(folder)));
        return Response::Json(201, FolderJson(f));
      });
  // Upload: the body is the file's content, taken as it arrives (never whole in memory); name,
  // folder and visibility are query parameters. Who may write is checked before a byte of the
  // body is read, and again when the file is recorded.
  server.PostStreamed(
      library + "/files", http::Access::kCommunityWrite,
      [&files](const Request& r) -> Result<std::unique_ptr<http::BodySink>> {
        CONCORD_ASSIGN_OR_RETURN(std::string name,
                                 domain::ValidFileName(r.Query("name").value_or(""), "name"));
        CONCORD_ASSIGN_OR_RETURN(std::string visibility,
                                 domain::ValidVisibility(r.Query("visibility"), "file"));
        CONCORD_ASSIGN_OR_RETURN(
            auto upload,
            files.StartUpload(r.principal, {r.path_params[0], std::move(name),
                                            std::move(visibility), r.Query("folder")}));
        return std::make_unique<UploadBody>(std::move(upload));
      });

  const std::string file = "/files/api/files/([^/]+)";
  routes.Get(file, http::Access::kCommunityRead,
             [&files](db::Connection& c, const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto lf, files.LoadFile(c, r.principal, r.path_params[0]));
               json j = FileJson(lf.file);
               if (lf.access == Access::kOwn) {
                 CONCORD_ASSIGN_OR_RETURN(auto shares, files.SharesOf(c, lf));
                 j["shares"] = json::array();
                 for (const auto& s : shares) j["shares"].push_back(ShareJson(s));
               }
               return Response::Json(200, j);
             });
  server.Get(file + "/content", http::Access::kCommunityRead,
             [&files](const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(
                   auto lf,
                   files.database()->InTransaction(db::TxMode::kRead, [&](db::Connection& c) {
                     return files.LoadFile(c, r.principal, r.path_params[0]);
                   }));
               CONCORD_ASSIGN_OR_RETURN(auto path, files.ContentPath(lf.file));
               // Sent from disk by the server as the client takes it: never whole in memory, and
               // no worker waits for a slow client.
               Response res;
               res.status = 200;
               res.content_type = "application/octet-stream";
               res.headers.emplace_back("X-Concord-SHA256", lf.file.sha256);
               res.headers.emplace_back("X-Concord-Size", std::to_string(lf.file.size));
               res.file = std::move(path);
               return res;
             });
  routes.Delete(file, http::Access::kCommunityWrite,
                [&files](db::Connection& c, const Request& r) -> Result<Response> {
                  CONCORD_RETURN_IF_ERROR(files.DeleteFile(c, r.principal, r.path_params[0]));
                  return Response::NoContent();
                });
  // A personal folder's owner shares it (and the files in it) with a community; a personal
  // file's owner, the file.
  routes.Post<std::string>(
      "/files/api/folders/([^/]+)/shares", http::Access::kPersonalOwner, ReadShare,
      [&files](db::Connection& c, const Request& r, std::string& community) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(auto s,
                                 files.ShareFolder(c, r.principal, r.path_params[0], community));
        return Response::Json(201, ShareJson(s));
      });
  routes.Post<std::string>(
      file + "/shares", http::Access::kPersonalOwner, ReadShare,
      [&files](db::Connection& c, const Request& r, std::string& community) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(auto s,
                                 files.ShareFile(c, r.principal, r.path_params[0], community));
        return Response::Json(201, ShareJson(s));
      });
}

// What `concord serve` hosts: the lifecycle handler and shared routes (RemoteApplication), the
// shares for syncAllCommunityShares, then the content API.
class Service final : public remoteapp::Service {
 public:
  Service(std::shared_ptr<db::Database> database, std::filesystem::path content_dir)
      : files_(std::move(database), std::move(content_dir)) {}
  void Mount(http::Server& server) override {
    application().Mount(server);
    remoteapp::MountCommunityShares(server, application().definition().base_path, files_.database(),
                                    files_);
    remoteapp::Routes routes(server, files_.database());
    MountApi(routes, files_);
  }
  remoteapp::RemoteApplication& application() override { return files_.application(); }

 private:
  domain::Files files_;
};

}  // namespace

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return std::make_unique<Service>(context.database, context.content_dir);
}

}  // namespace concord::files
