// Wikis, as the registry knows it (libs/apps/include/concord/apps/application.h).
#include "concord/apps/application.h"

namespace concord::wikis {

const apps::Application& Describe() {
  using Shape = apps::OrphanDeletion::Shape;
  static const apps::Application kApplication{
      .service = "wikis",
      .title = "Wikis",
      .widgets = {{"Wiki", false, true, "col2", 0.3}},
      .console = {{"WikisLibraryService", "wikisAdmin.py", "Wikis"}},
      .export_command = {"WikisLibraryService", "fullpathForOutput", "type", ""},
      .orphans = {.shape = Shape::kById,
                  .object = "WikisLibraryService",
                  .remove = "delete",
                  .remove_param = "libraryId",
                  .id_key = "libraryId",
                  .batch = "deleteBatch",
                  .noun = "community wiki, with all its pages,"},
  };
  return kApplication;
}

}  // namespace concord::wikis
