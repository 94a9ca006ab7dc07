#pragma once
// Blogs' content: a blog per Blog or IdeationBlog widget, its entries (ideas, in an ideation
// blog) and the comments on an entry. The shared rules are libs/remoteapp's (content.h); Blogs
// adds votes: members vote for an idea of an ideation blog, once each.

#include "concord/remoteapp/content.h"

namespace concord::blogs::domain {

// Entries carry two counts: counts[kVotes] and counts[kComments].
extern const remoteapp::ItemKind kEntries;
inline constexpr size_t kVotes = 0;
inline constexpr size_t kComments = 1;
extern const remoteapp::ItemKind kEntryComments;
const remoteapp::ContainerKind& Blogs();
remoteapp::AppDefinition Definition();

// `who` votes for entry `entry_id`: kFailedPrecondition outside an ideation blog, kPermission-
// Denied for a reader, kAlreadyExists for a second vote. Returns the entry with its new counts.
Result<remoteapp::Item> Vote(db::Connection& c, remoteapp::Content& content, const Principal& who,
                             const std::string& entry_id);

}  // namespace concord::blogs::domain
