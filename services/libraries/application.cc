// Libraries, as the registry knows it (libs/apps/include/concord/apps/application.h).
//
// The reference has no console object, export or orphan command for Libraries (its export and
// report steps "do not apply", section 12): LibrariesService and librariesAdmin.py are Concord's
// own, shaped like Wikis', so that Libraries can be exported, reported on and cleaned up like
// every other application.
#include "concord/apps/application.h"

namespace concord::libraries {

const apps::Application& Describe() {
  using Shape = apps::OrphanDeletion::Shape;
  static const apps::Application kApplication{
      .service = "libraries",
      .title = "Libraries",
      .widgets = {{"Library", false, true, "col2", 0.05}},
      .console = {{"LibrariesService", "librariesAdmin.py", "Libraries (Concord)"}},
      .export_command = {"LibrariesService", "filePath", "eventType", ""},
      .orphans = {.shape = Shape::kById,
                  .object = "LibrariesService",
                  .remove = "delete",
                  .remove_param = "libraryId",
                  .id_key = "libraryId",
                  .batch = "deleteBatch",
                  .noun = "community library, with all its documents,"},
  };
  return kApplication;
}

}  // namespace concord::libraries
