// Forums, as the registry knows it (libs/apps/include/concord/apps/application.h).
#include "concord/apps/application.h"

namespace concord::forums {

const apps::Application& Describe() {
  using Shape = apps::OrphanDeletion::Shape;
  static const apps::Application kApplication{
      .service = "forums",
      .title = "Forums",
      .widgets = {{"Forum", true, true, "col2"}},
      .console = {{"ForumsService", "forumsAdmin.py", "Forums"}},
      .export_command = {"ForumsService", "filePath", "eventType", ""},
      .orphans = {.shape = Shape::kFetchByName,
                  .object = "ForumsService",
                  .fetch = "fetchForumsByName",
                  .fetch_param = "forumName",
                  .filter = "filterInput",
                  .remove = "deleteForums",
                  .remove_param = "forums",
                  .id_key = "forumID",
                  .noun = "forum"},
  };
  return kApplication;
}

}  // namespace concord::forums
