#include "domain/blogs.h"

#include "concord/blogs/blogs.h"
#include "store/vote_store.h"

namespace concord::blogs::domain {

const remoteapp::ItemKind kEntries{.noun = "entry",
                                   .a_noun = "an entry",
                                   .table = "entries",
                                   .parent_column = "blog_id",
                                   .titled = true,
                                   .counts = {{"votes", "entry_id"}, {"comments", "entry_id"}},
                                   .content_length = 100000,
                                   .multiline = true,
                                   .content_optional = true,
                                   .add_denied = "only members of the community write in its blog"};

const remoteapp::ItemKind kEntryComments{.noun = "comment",
                                         .a_noun = "a comment",
                                         .table = "comments",
                                         .parent_column = "entry_id",
                                         .content_length = 20000,
                                         .add_denied = "only members of the community comment"};

const remoteapp::ContainerKind& Blogs() {
  static const remoteapp::ContainerKind kBlogs{
      .noun = "blog", .plural = "blogs", .sample = {&kEntries, "Welcome to {}", "First post."}};
  return kBlogs;
}

remoteapp::AppDefinition Definition() {
  return remoteapp::Define(Describe(), {"blogs", "title", "remote_app_def_id"});
}

Result<remoteapp::Item> Vote(db::Connection& c, remoteapp::Content& content, const Principal& who,
                             const std::string& entry_id) {
  CONCORD_ASSIGN_OR_RETURN(auto l, content.LoadItem(c, who, kEntries, entry_id));
  if (l.container.container.app != "IdeationBlog") {
    return FailedPrecondition("votes are for ideas in an ideation blog");
  }
  CONCORD_RETURN_IF_ERROR(remoteapp::Require(l.container.access, remoteapp::Access::kContribute,
                                             "only members of the community vote"));
  CONCORD_ASSIGN_OR_RETURN(bool counted, store::Vote(c, l.item.id, who.id, NowMillis()));
  if (!counted) return AlreadyExists("you have voted for this idea already");
  CONCORD_ASSIGN_OR_RETURN(auto after, content.Find(c, kEntries, l.item.id));
  if (!after) return NotFound("entry " + entry_id.substr(0, 60) + " not found");
  return *after;
}

}  // namespace concord::blogs::domain
