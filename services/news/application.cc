// Status Updates, as the registry knows it (libs/apps/include/concord/apps/application.h).
#include "concord/apps/application.h"

namespace concord::news {

const apps::Application& Describe() {
  using Shape = apps::OrphanDeletion::Shape;
  static const apps::Application kApplication{
      .service = "news",
      .title = "Status Updates",
      .widgets = {{"StatusUpdates", true, true, "col2statusposts"}},
      .console = {{"NewsMicrobloggingService", "newsAdmin.py", "Status Updates"}},
      .export_command = {"NewsMicrobloggingService", "filePath", "eventType", ""},
      .orphans = {.shape = Shape::kByCommunity,
                  .object = "NewsMicrobloggingService",
                  .remove = "deleteMicroblogs",
                  .remove_param = "communityId",
                  .id_key = "id",
                  .noun = "status updates board"},
  };
  return kApplication;
}

}  // namespace concord::news
