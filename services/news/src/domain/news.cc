#include "domain/news.h"

#include "concord/news/news.h"
#include "store/board_store.h"

namespace concord::news::domain {

const remoteapp::ItemKind kPosts{.noun = "status update",
                                 .a_noun = "a status update",
                                 .table = "posts",
                                 .parent_column = "board_id",
                                 .content_length = 1000,  // a status update is short
                                 .add_denied = "only members of the community post status updates"};

const remoteapp::ItemKind kComments{.noun = "comment",
                                    .a_noun = "a comment",
                                    .table = "post_comments",
                                    .parent_column = "post_id",
                                    .content_length = 1000,
                                    .add_denied = "only members of the community comment"};

const remoteapp::ContainerKind& Boards() {
  static const remoteapp::ContainerKind kBoards{
      .noun = "status board", .plural = "status boards", .sample = {&kPosts, "", "{} is live."}};
  return kBoards;
}

remoteapp::AppDefinition Definition() { return remoteapp::Define(Describe(), {"boards", "", ""}); }

Result<bool> PostingOpen(db::Connection& c, const remoteapp::Visible& board) {
  CONCORD_ASSIGN_OR_RETURN(auto open, store::PostingOpen(c, board.container.id));
  return open.value_or(false);
}

Status CheckPostingOpen(db::Connection& c, const remoteapp::Visible& board) {
  CONCORD_ASSIGN_OR_RETURN(bool open, PostingOpen(c, board));
  if (!open) {
    return FailedPrecondition(
        "posting is switched off for this community's status updates; an owner can switch it on");
  }
  return Ok();
}

}  // namespace concord::news::domain
