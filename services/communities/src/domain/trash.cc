#include "domain/trash.h"

#include <fmt/format.h>

#include "domain/access.h"
#include "domain/validation.h"
#include "store/community_store.h"

namespace concord::communities::domain {
namespace {
const store::CommunityStore kCommunities;
// The actor of changes the system makes on its own (the trash's retention).
const Actor kSystem{UserId("system"), true};
using db::Connection;
using lifecycle::EventType;
}  // namespace

CommunityTrash::CommunityTrash(Transactions& tx, const EventPublisher& publisher,
                               int retention_days)
    : tx_(tx), publisher_(publisher), retention_days_(retention_days) {}

Result<Community> CommunityTrash::Trash(const Actor& actor, const CommunityUuid& uuid) {
  return tx_.Write([&](Connection& c) -> Result<Community> {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, LoadToChange(c, actor, uuid));
    Millis now = NowMillis();
    auto trash = [&](Community& x, bool with_parent) -> Status {
      x.trash = TrashState{now, actor.id, x.visibility, with_parent};
      x.visibility = Visibility::kRestricted;  // as the reference: the trash forces private
      CONCORD_RETURN_IF_ERROR(Touch(c, x, actor));
      CONCORD_RETURN_IF_ERROR(publisher_.Publish(c, EventType::kVisibilityChanged, x, actor));
      return Ok();
    };
    CONCORD_RETURN_IF_ERROR(trash(l.community, false));
    CONCORD_ASSIGN_OR_RETURN(auto subs, kCommunities.Subcommunities(c, uuid));
    for (const auto& s : subs) {
      CONCORD_ASSIGN_OR_RETURN(auto sub, kCommunities.Find(c, s));
      if (sub && !sub->trash) CONCORD_RETURN_IF_ERROR(trash(*sub, true));
    }
    return l.community;
  });
}

Result<Page<Community>> CommunityTrash::ListTrash(const Actor& actor, std::string after,
                                                  int limit) {
  CONCORD_ASSIGN_OR_RETURN(limit, validation::Limit(limit));
  if (!after.empty()) CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(after, "after"));
  return tx_.Read([&](Connection& c) -> Result<Page<Community>> {
    store::ListQuery q;
    q.after = after;
    q.limit = limit + 1;
    q.trashed = true;
    q.caller = actor.id;
    q.caller_sees_all = actor.admin;
    if (!actor.admin) q.trashed_owner = actor.id;
    CONCORD_ASSIGN_OR_RETURN(auto rows, kCommunities.List(c, q));
    std::vector<Community> out;
    for (auto& r : rows) out.push_back(std::move(r.community));
    return MakePage(std::move(out), limit, [](const Community& x) { return x.uuid.value(); });
  });
}

// Purges a community and its subcommunities, telling each application first
// (community.prepare.delete), as the reference does when the trash is emptied.
Status CommunityTrash::PurgeTree(Connection& c, const CommunityUuid& uuid, const Actor& actor) {
  CONCORD_ASSIGN_OR_RETURN(auto subs, kCommunities.Subcommunities(c, uuid));
  subs.push_back(uuid);
  for (const auto& s : subs) {
    CONCORD_ASSIGN_OR_RETURN(auto x, kCommunities.Find(c, s));
    if (!x) continue;
    // The deletion is a change too: applications see a newer state.
    CONCORD_ASSIGN_OR_RETURN(x->version, kCommunities.NextVersion(c, x->version));
    CONCORD_RETURN_IF_ERROR(publisher_.Publish(c, EventType::kPrepareDelete, *x, actor));
    CONCORD_RETURN_IF_ERROR(kCommunities.Delete(c, s));
  }
  return Ok();
}

Result<Community> CommunityTrash::Restore(const Actor& actor, const CommunityUuid& uuid) {
  return tx_.Write([&](Connection& c) -> Result<Community> {
    CONCORD_ASSIGN_OR_RETURN(Community x, LoadTrashed(c, actor, uuid));
    if (x.trash->with_parent) {
      return FailedPrecondition(
          fmt::format("community {} went to the trash with its parent {}; restore the parent",
                      uuid.value(), x.parent ? x.parent->value() : "?"));
    }
    if (x.parent) {
      CONCORD_ASSIGN_OR_RETURN(auto parent, kCommunities.Find(c, *x.parent));
      if (parent && parent->trash) {
        return FailedPrecondition(fmt::format(
            "its parent community {} is in the trash; restore it first", x.parent->value()));
      }
    }
    auto restore = [&](Community& y) -> Status {
      y.visibility = y.trash->visibility_before;
      y.trash.reset();
      CONCORD_RETURN_IF_ERROR(Touch(c, y, actor));
      CONCORD_RETURN_IF_ERROR(publisher_.Publish(c, EventType::kVisibilityChanged, y, actor));
      return Ok();
    };
    CONCORD_RETURN_IF_ERROR(restore(x));
    CONCORD_ASSIGN_OR_RETURN(auto subs, kCommunities.Subcommunities(c, uuid));
    for (const auto& s : subs) {
      CONCORD_ASSIGN_OR_RETURN(auto sub, kCommunities.Find(c, s));
      if (sub && sub->trash && sub->trash->with_parent) CONCORD_RETURN_IF_ERROR(restore(*sub));
    }
    return x;
  });
}

Status CommunityTrash::Purge(const Actor& actor, const CommunityUuid& uuid) {
  return tx_.Write([&](Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(Community x, LoadTrashed(c, actor, uuid));
    if (x.trash->with_parent) {
      return FailedPrecondition(fmt::format(
          "community {} went to the trash with its parent; purge the parent", uuid.value()));
    }
    return PurgeTree(c, uuid, actor);
  });
}

Result<int64_t> CommunityTrash::PurgeExpired(Millis now) {
  // Trashed at or before the cutoff: with retention 0, a community trashed in this very
  // millisecond is due too (TrashedBefore is strict).
  Millis before = now - static_cast<Millis>(retention_days_) * kMillisPerDay + 1;
  int64_t purged = 0;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(int64_t n, tx_.Write([&](Connection& c) -> Result<int64_t> {
      CONCORD_ASSIGN_OR_RETURN(auto due, kCommunities.TrashedBefore(c, before, 100));
      for (const auto& u : due) CONCORD_RETURN_IF_ERROR(PurgeTree(c, u, kSystem));
      return static_cast<int64_t>(due.size());
    }));
    purged += n;
    if (n < 100) return purged;
  }
}

}  // namespace concord::communities::domain
