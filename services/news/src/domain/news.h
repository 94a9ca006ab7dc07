#pragma once
// Status Updates' content: a board per community (its widget's), the status updates posted on
// it and the comments on an update. The shared rules are libs/remoteapp's (content.h); News adds
// one of its own: a board whose posting is switched off takes no new status updates.

#include "concord/remoteapp/content.h"

namespace concord::news::domain {

extern const remoteapp::ItemKind kPosts;
extern const remoteapp::ItemKind kComments;
const remoteapp::ContainerKind& Boards();
remoteapp::AppDefinition Definition();

// Whether members may post on the board.
Result<bool> PostingOpen(db::Connection& c, const remoteapp::Visible& board);
// kFailedPrecondition when posting is switched off on the board.
Status CheckPostingOpen(db::Connection& c, const remoteapp::Visible& board);

}  // namespace concord::news::domain
