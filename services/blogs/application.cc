// Blogs and Ideation Blogs, as the registry knows them
// (libs/apps/include/concord/apps/application.h).
#include "concord/apps/application.h"

namespace concord::blogs {

const apps::Application& Describe() {
  using Shape = apps::OrphanDeletion::Shape;
  static const apps::Application kApplication{
      .service = "blogs",
      .title = "Blogs",
      .widgets = {{"Blog", false, true, "col2", 0.25}, {"IdeationBlog", false, true, "col2", 0.08}},
      .console = {{"BlogsAdminService", "blogsAdmin.py", "Blogs and Ideation Blogs"}},
      .export_command = {"BlogsAdminService", "FullFilePath", "ContainerType", "BlogType"},
      .orphans = {.shape = Shape::kById,
                  .object = "BlogsAdminService",
                  .remove = "deleteWeblog",
                  .remove_param = "weblogId",
                  .id_key = "weblogId",
                  .noun = "blog or ideation blog"},
  };
  return kApplication;
}

}  // namespace concord::blogs
