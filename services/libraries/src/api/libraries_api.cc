// Libraries' HTTP API (docs/http-api.md): routes and JSON only; the rules are the domain's.
#include "concord/libraries/libraries.h"
#include "concord/remoteapp/routes.h"
#include "domain/libraries.h"

namespace concord::libraries {
namespace {

using nlohmann::json;

// A document; its content only on its own page (listings give its size).
json DocumentJson(const remoteapp::Item& d, bool with_content) {
  json j = {{"id", d.id},
            {"libraryId", d.parent_id},
            {"title", d.title},
            {"author", d.author.value()},
            {"created", FormatTimestamp(d.created)},
            {"size", d.content.size()}};
  if (with_content) j["content"] = d.content;
  return j;
}

void MountApi(remoteapp::Routes& routes, remoteapp::ContentApplication& app) {
  remoteapp::MountThreads(
      routes, app.content(),
      {.container_path = "/libraries/api/libraries",
       .container_json = [](db::Connection&, const remoteapp::Visible& v) -> Result<json> {
         return json{{"id", v.container.id},
                     {"communityUuid", v.container.community.value()},
                     {"title", v.container.title},
                     {"created", FormatTimestamp(v.container.created)}};
       },
       .items = {&domain::kDocuments, "documents",
                 [](const remoteapp::Item& d) { return DocumentJson(d, false); }},
       .item_path = "/libraries/api/documents",
       .item_detail = [](db::Connection&, const remoteapp::Content::Loaded& l) -> Result<json> {
         return DocumentJson(l.item, true);
       }});
}

}  // namespace

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return remoteapp::ContentService(context.database, domain::Definition(), domain::Libraries(),
                                   MountApi);
}

}  // namespace concord::libraries
