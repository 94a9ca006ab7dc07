#pragma once
// The HTTP side of an application's content, once. Every content route has the same shape: read
// the request (before any transaction), open a transaction on the application's database, let
// the domain load what the caller may see and apply its rule, render JSON. `Routes` is that
// shape; `MountThreads` mounts the whole API of the container-and-items content most
// applications keep (content.h), given the paths and how each thing is rendered.
//
//   remoteapp::Routes routes(server, database);
//   routes.Get("/news/api/boards/([^/]+)", http::Access::kCommunityRead,
//              [&](db::Connection& c, const http::Request& r) -> Result<http::Response> {...});
//
// An application's src/api uses this header; its src/domain does not.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "concord/db/database.h"
#include "concord/http/server.h"
#include "concord/remoteapp/content.h"

namespace concord::remoteapp {

// Routes may be a temporary: what it mounts keeps no reference to it.
class Routes {
 public:
  Routes(http::Server& server, std::shared_ptr<db::Database> database);

  using Handler = std::function<Result<http::Response>(db::Connection&, const http::Request&)>;
  // GET in a read transaction.
  void Get(const std::string& pattern, http::Access access, Handler handler);
  // POST, PUT and DELETE in a write transaction.
  void Post(const std::string& pattern, http::Access access, Handler handler);
  void Put(const std::string& pattern, http::Access access, Handler handler);
  void Delete(const std::string& pattern, http::Access access, Handler handler);
  // POST and PUT with a body read by `read` before the transaction opens (a malformed body is
  // refused without touching the database), then `handler` in a write transaction.
  template <typename Body>
  using BodyReader = std::function<Result<Body>(const http::Request&)>;
  template <typename Body>
  using BodyHandler =
      std::function<Result<http::Response>(db::Connection&, const http::Request&, Body&)>;
  template <typename Body>
  void Post(const std::string& pattern, http::Access access, BodyReader<Body> read,
            BodyHandler<Body> handler) {
    WithBody<Body>(&http::Server::Post, pattern, access, std::move(read), std::move(handler));
  }
  template <typename Body>
  void Put(const std::string& pattern, http::Access access, BodyReader<Body> read,
           BodyHandler<Body> handler) {
    WithBody<Body>(&http::Server::Put, pattern, access, std::move(read), std::move(handler));
  }

  http::Server& server() { return server_; }

 private:
  using AddRoute = void (http::Server::*)(const std::string&, http::Access, http::Handler);
  template <typename Body>
  void WithBody(AddRoute add, const std::string& pattern, http::Access access,
                BodyReader<Body> read, BodyHandler<Body> handler) {
    (server_.*add)(pattern, access,
                   [database = database_, read = std::move(read), handler = std::move(handler)](
                       const http::Request& r) -> Result<http::Response> {
                     CONCORD_ASSIGN_OR_RETURN(Body body, read(r));
                     return database->InTransaction(
                         db::TxMode::kWrite, [&](db::Connection& c) -> Result<http::Response> {
                           return handler(c, r, body);
                         });
                   });
  }
  void InTransaction(AddRoute add, const std::string& pattern, http::Access access, db::TxMode mode,
                     Handler handler);
  http::Server& server_;
  std::shared_ptr<db::Database> database_;
};

// An item as JSON: id, author, content, created, and title for a titled kind.
nlohmann::json ItemJson(const ItemKind& kind, const Item& item);
// A new item's title and content from a JSON body: "title" (required when the kind is titled),
// "content" (required unless content_optional), nothing else; checked by ValidItemText.
Result<ItemText> ReadItemText(const ItemKind& kind, const http::Request& request);

// A kind of item as the API shows it.
struct ItemApi {
  const ItemKind* kind = nullptr;
  std::string segment;  // the collection's path segment: "topics", "replies"
  // How one is rendered in listings and in the answer to its creation (default ItemJson).
  std::function<nlohmann::json(const Item&)> json;
};

// The API of one container kind and its items (docs/http-api.md):
//   GET    {container_path}/{id}                       container_json (when set)
//   DELETE {container_path}/{id}                       owners (when container_delete)
//   GET    {container_path}/{id}/{items.segment}?after= a page of items
//   POST   {container_path}/{id}/{items.segment}       members: a new item
//   GET    {item_path}/{id}                            item_detail
//   DELETE {item_path}/{id}                            its author and the owners
//   POST   {item_path}/{id}/{replies.segment}          members: a reply (when replies.kind)
struct ThreadApi {
  std::string container_path;
  std::function<Result<nlohmann::json>(db::Connection&, const Visible&)> container_json;
  bool container_delete = false;
  ItemApi items;
  std::string item_path;
  // The item on its own page (default: its listing JSON).
  std::function<Result<nlohmann::json>(db::Connection&, const Content::Loaded&)> item_detail;
  ItemApi replies;
  // A rule of the application's checked before an item is added (after access): News refuses
  // status updates where posting is switched off.
  std::function<Status(db::Connection&, const Visible&)> before_add;
};
void MountThreads(Routes& routes, Content& content, const ThreadApi& api);

// The Service (what `concord serve` hosts) of a ContentApplication: Mount() mounts the lifecycle
// handler and the shared routes (RemoteApplication::Mount), then `mount_api` the application's
// content API.
using MountApi = std::function<void(Routes& routes, ContentApplication& app)>;
std::unique_ptr<Service> ContentService(std::shared_ptr<db::Database> database,
                                        AppDefinition definition, ContainerKind kind,
                                        MountApi mount_api);

}  // namespace concord::remoteapp
