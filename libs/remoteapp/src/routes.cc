#include "concord/remoteapp/routes.h"

#include "concord/http/json_body.h"

namespace concord::remoteapp {

using http::Request;
using http::Response;
using nlohmann::json;

Routes::Routes(http::Server& server, std::shared_ptr<db::Database> database)
    : server_(server), database_(std::move(database)) {}

void Routes::InTransaction(AddRoute add, const std::string& pattern, http::Access access,
                           db::TxMode mode, Handler handler) {
  (server_.*add)(pattern, access,
                 [database = database_, mode,
                  handler = std::move(handler)](const Request& r) -> Result<Response> {
                   return database->InTransaction(
                       mode, [&](db::Connection& c) -> Result<Response> { return handler(c, r); });
                 });
}

void Routes::Get(const std::string& pattern, http::Access access, Handler handler) {
  InTransaction(&http::Server::Get, pattern, access, db::TxMode::kRead, std::move(handler));
}
void Routes::Post(const std::string& pattern, http::Access access, Handler handler) {
  InTransaction(&http::Server::Post, pattern, access, db::TxMode::kWrite, std::move(handler));
}
void Routes::Put(const std::string& pattern, http::Access access, Handler handler) {
  InTransaction(&http::Server::Put, pattern, access, db::TxMode::kWrite, std::move(handler));
}
void Routes::Delete(const std::string& pattern, http::Access access, Handler handler) {
  InTransaction(&http::Server::Delete, pattern, access, db::TxMode::kWrite, std::move(handler));
}

json ItemJson(const ItemKind& kind, const Item& i) {
  json j = {{"id", i.id},
            {"author", i.author.value()},
            {"content", i.content},
            {"created", FormatTimestamp(i.created)}};
  if (kind.titled) j["title"] = i.title;
  return j;
}

Result<ItemText> ReadItemText(const ItemKind& kind, const Request& r) {
  CONCORD_ASSIGN_OR_RETURN(http::JsonBody b, http::JsonBody::Parse(r.body));
  std::string title;
  if (kind.titled) {
    CONCORD_ASSIGN_OR_RETURN(title, b.RequiredString("title"));
  }
  std::string content;
  if (kind.content_optional) {
    CONCORD_ASSIGN_OR_RETURN(auto c, b.OptString("content"));
    content = c.value_or("");
  } else {
    CONCORD_ASSIGN_OR_RETURN(content, b.RequiredString("content"));
  }
  CONCORD_RETURN_IF_ERROR(b.RejectUnknownFields());
  return ValidItemText(kind, title, content);
}

namespace {

std::function<json(const Item&)> RenderOf(const ItemApi& a) {
  if (a.json) return a.json;
  const ItemKind* kind = a.kind;
  return [kind](const Item& i) { return ItemJson(*kind, i); };
}

}  // namespace

void MountThreads(Routes& routes, Content& content, const ThreadApi& api) {
  const std::string container = api.container_path + "/([^/]+)";
  const std::string item = api.item_path + "/([^/]+)";
  auto item_json = RenderOf(api.items);
  using Handler = Routes::Handler;
  using ReadText = std::function<Result<ItemText>(const Request&)>;
  using Write = std::function<Result<Response>(db::Connection&, const Request&, ItemText&)>;

  if (api.container_json) {
    routes.Get(container, http::Access::kCommunityRead,
               Handler([&content, render = api.container_json](
                           db::Connection& c, const Request& r) -> Result<Response> {
                 CONCORD_ASSIGN_OR_RETURN(Visible v,
                                          content.Container(c, r.principal, r.path_params[0]));
                 CONCORD_ASSIGN_OR_RETURN(json j, render(c, v));
                 return Response::Json(200, j);
               }));
  }
  if (api.container_delete) {
    routes.Delete(
        container, http::Access::kCommunityOwn,
        [&content](db::Connection& c, const Request& r) -> Result<Response> {
          CONCORD_RETURN_IF_ERROR(content.TrashContainer(c, r.principal, r.path_params[0]));
          return Response::NoContent();
        });
  }

  const ItemKind& kind = *api.items.kind;
  routes.Get(container + "/" + api.items.segment, http::Access::kCommunityRead,
             [&content, &kind, item_json](db::Connection& c, const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto items,
                                        content.Items(c, r.principal, kind, r.path_params[0],
                                                      r.Query("after").value_or("")));
               return Response::Json(200, PageJson(items, item_json));
             });
  routes.Post<ItemText>(
      container + "/" + api.items.segment, http::Access::kCommunityWrite,
      ReadText([&kind](const Request& r) { return ReadItemText(kind, r); }),
      Write([&content, &kind, item_json, before_add = api.before_add](
                db::Connection& c, const Request& r, ItemText& text) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(Visible v, content.Container(c, r.principal, r.path_params[0]));
        CONCORD_RETURN_IF_ERROR(Require(v.access, Access::kContribute, kind.add_denied));
        if (before_add) CONCORD_RETURN_IF_ERROR(before_add(c, v));
        CONCORD_ASSIGN_OR_RETURN(Item added, content.Add(c, r.principal, kind, v, std::move(text)));
        return Response::Json(201, item_json(added));
      }));

  auto detail = api.item_detail;
  routes.Get(item, http::Access::kCommunityRead,
             [&content, &kind, item_json, detail](db::Connection& c,
                                                  const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto loaded,
                                        content.LoadItem(c, r.principal, kind, r.path_params[0]));
               if (!detail) return Response::Json(200, item_json(loaded.item));
               CONCORD_ASSIGN_OR_RETURN(json j, detail(c, loaded));
               return Response::Json(200, j);
             });
  routes.Delete(item, http::Access::kCommunityWrite,
                [&content, &kind](db::Connection& c, const Request& r) -> Result<Response> {
                  CONCORD_RETURN_IF_ERROR(content.Delete(c, r.principal, kind, r.path_params[0]));
                  return Response::NoContent();
                });

  if (!api.replies.kind) return;
  const ItemKind& reply_kind = *api.replies.kind;
  routes.Post<ItemText>(
      item + "/" + api.replies.segment, http::Access::kCommunityWrite,
      ReadText([&reply_kind](const Request& r) { return ReadItemText(reply_kind, r); }),
      Write([&content, &kind, &reply_kind, reply_json = RenderOf(api.replies)](
                db::Connection& c, const Request& r, ItemText& text) -> Result<Response> {
        CONCORD_ASSIGN_OR_RETURN(Item added, content.AddOn(c, r.principal, kind, r.path_params[0],
                                                           reply_kind, std::move(text)));
        return Response::Json(201, reply_json(added));
      }));
}

namespace {

class ContentServiceImpl final : public Service {
 public:
  ContentServiceImpl(std::shared_ptr<db::Database> database, AppDefinition definition,
                     ContainerKind kind, MountApi mount_api)
      : app_(std::move(definition), std::move(kind), std::move(database)),
        mount_api_(std::move(mount_api)) {}
  void Mount(http::Server& server) override {
    app_.application().Mount(server);
    Routes routes(server, app_.database());
    mount_api_(routes, app_);
  }
  RemoteApplication& application() override { return app_.application(); }

 private:
  ContentApplication app_;
  MountApi mount_api_;
};

}  // namespace

std::unique_ptr<Service> ContentService(std::shared_ptr<db::Database> database,
                                        AppDefinition definition, ContainerKind kind,
                                        MountApi mount_api) {
  return std::make_unique<ContentServiceImpl>(std::move(database), std::move(definition),
                                              std::move(kind), std::move(mount_api));
}

}  // namespace concord::remoteapp
