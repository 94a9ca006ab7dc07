// Files, as the registry knows it (libs/apps/include/concord/apps/application.h).
#include "concord/apps/application.h"

namespace concord::files {

const apps::Application& Describe() {
  using Shape = apps::OrphanDeletion::Shape;
  static const apps::Application kApplication{
      .service = "files",
      .title = "Files",
      .widgets = {{"Files", true, true, "col2"}},
      .tracks_communities_without_widget = true,  // personal files are shared with communities
      .has_content_store = true,
      .console = {{"FilesLibraryService", "filesAdmin.py", "Files libraries"},
                  {"FilesDataIntegrityService", "filesAdmin.py", "Files shares and content"}},
      .export_command = {"FilesLibraryService", "fullpathForOutput", "type", ""},
      .orphans = {.shape = Shape::kById,
                  .object = "FilesLibraryService",
                  .remove = "delete",
                  .remove_param = "libraryId",
                  .id_key = "libraryId",
                  .batch = "deleteBatch",
                  .noun = "community library, with all its content,"},
      .shares = {.object = "FilesDataIntegrityService",
                 .method = "syncAllCommunityShares",
                 .summary = "Brings files and folders shared with communities in line with "
                            "Communities: a renamed or re-restricted community's shares are "
                            "updated; a private item stops being shared with a community that is "
                            "no longer restricted; shares with a community that no longer exists "
                            "are removed (the owners keep their files).",
                 .content_check = "checkFiles"},
  };
  return kApplication;
}

}  // namespace concord::files
