#pragma once
// The reports' words in each language they are written in.

#include <string>
#include <string_view>

namespace concord::recovery {

enum class Msg {
  kDifferencesTitle,
  kOrphansTitle,
  kGenerated,
  kCommunity,
  kOwners,
  kStatus,
  kDifferences,
  kAttribute,
  kInCommunities,
  kInApplication,
  kStatusDiffers,
  kStatusTrashed,
  kStatusMissing,
  kOwnersMissing,
  kOwnersExtra,
  kMembersMissing,
  kMembersExtra,
  kNoDifferences,
  kDifferencesCount,
  kObjectId,
  kOldCommunity,
  kReason,
  kAction,
  kReasonCommunityMissing,
  kReasonWidgetMissing,
  kReasonBoundElsewhere,
  kReasonCommunityTrashed,
  kNoOrphans,
  kOrphansCount,
  kKeep,
  kDelete,
  kNone,
  kCount,
};

// The text of `m` in `locale` ("en", "de", "fr").
std::string_view Text(Msg m, const std::string& locale);

}  // namespace concord::recovery
