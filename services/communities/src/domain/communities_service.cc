#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <thread>

#include "concord/base/secrets.h"
#include "concord/base/text.h"
#include "concord/communities/service.h"
#include "concord/lifecycle/events.h"
#include "concord/lifecycle/widgets.h"
#include "domain/event_publisher.h"
#include "domain/validation.h"
#include "store/community_store.h"
#include "store/event_store.h"

namespace concord::communities {
namespace {

const store::CommunityStore kCommunities;
const store::UserStore kUsers;
const store::EventStore kEvents;
// The actor of changes the system makes on its own (the trash's retention).
const Actor kSystem{UserId("system"), true};
using db::Connection;
using db::TxMode;
using lifecycle::EventType;

std::unexpected<Error> CommunityNotFound(const CommunityUuid& uuid) {
  return NotFound(fmt::format("community {} not found", uuid.value()));
}

std::unexpected<Error> NotAllowedToChange(const Community& c) {
  return PermissionDenied(fmt::format(
      "only the owners of community {} and administrators can change it", c.uuid.value()));
}

// Keyset paging: ask the store for one row more than the page, to know whether there is a next.
template <typename T, typename Key>
Page<T> MakePage(std::vector<T> rows, int limit, Key&& key) {
  Page<T> page;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<size_t>(limit));
    page.next = key(rows.back());
  }
  page.items = std::move(rows);
  return page;
}

}  // namespace

struct CommunitiesService::Loaded {
  Community community;
  std::optional<Role> role;
  bool full = true;  // the caller sees all of it (not only a listing)
  bool can_manage = false;
};

CommunitiesService::CommunitiesService(ServiceOptions options)
    : options_(std::move(options)),
      publisher_(std::make_unique<domain::EventPublisher>(options_.subscriptions)) {}

CommunitiesService::~CommunitiesService() = default;

// A write transaction; wakes the event dispatcher once it has committed.
template <typename F>
auto CommunitiesService::Write(F&& fn) {
  auto result = options_.database->InTransaction(TxMode::kWrite, std::forward<F>(fn));
  if (result && options_.events_committed) options_.events_committed();
  return result;
}

Result<CommunitiesService::Loaded> CommunitiesService::Load(Connection& c, const Actor& actor,
                                                            const CommunityUuid& uuid) {
  CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(uuid.value()));
  CONCORD_ASSIGN_OR_RETURN(auto found, kCommunities.Find(c, uuid));
  if (!found) return CommunityNotFound(uuid);
  Loaded l;
  l.community = std::move(*found);
  CONCORD_ASSIGN_OR_RETURN(l.role, kCommunities.RoleOf(c, uuid, actor.id));
  l.can_manage = actor.admin || l.role == Role::kOwner;
  if (l.community.trash) {
    if (!l.can_manage) return CommunityNotFound(uuid);
    return NotFound(
        fmt::format("community {} is in the trash; restore it first "
                    "(POST /communities/api/trash/{}/restore)",
                    uuid.value(), uuid.value()));
  }
  if (l.community.visibility == Visibility::kRestricted && !l.role && !actor.admin) {
    if (!l.community.list_when_private) return CommunityNotFound(uuid);
    l.full = false;
  }
  return l;
}

Result<CommunitiesService::Loaded> CommunitiesService::LoadToChange(Connection& c,
                                                                    const Actor& actor,
                                                                    const CommunityUuid& uuid) {
  CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, actor, uuid));
  if (!l.can_manage) return l.full ? NotAllowedToChange(l.community) : CommunityNotFound(uuid);
  return l;
}

Status CommunitiesService::Touch(Connection& c, Community& community, const Actor& actor) {
  community.version += 1;
  community.last_mod = std::max(NowMillis(), community.last_mod);
  community.last_mod_by = actor.id;
  return kCommunities.Update(c, community);
}

Result<User> CommunitiesService::ResolveUser(Connection& c, const std::string& ref) {
  std::optional<User> u;
  if (IsUuid(ref)) {
    CONCORD_ASSIGN_OR_RETURN(u, kUsers.FindById(c, UserId(ref)));
  } else if (ref.find('@') != std::string::npos) {
    CONCORD_ASSIGN_OR_RETURN(u, kUsers.FindByEmail(c, ref));
  } else {
    CONCORD_ASSIGN_OR_RETURN(u, kUsers.FindByLogin(c, ref));
  }
  if (!u) {
    return NotFound(
        fmt::format("no user '{}' (give a user id, login or email)", ref.substr(0, 100)));
  }
  return *u;
}

// ---------------------------------------------------------------------------------------------
// Communities

Result<Community> CommunitiesService::Create(const Actor& actor, CommunityDraft d) {
  CONCORD_ASSIGN_OR_RETURN(d.name, validation::Name(d.name));
  if (d.handle) {
    CONCORD_ASSIGN_OR_RETURN(d.handle, validation::Handle(*d.handle));
  }
  CONCORD_ASSIGN_OR_RETURN(d.description, validation::Description(d.description));
  CONCORD_ASSIGN_OR_RETURN(d.tags, validation::Tags(d.tags));
  CONCORD_ASSIGN_OR_RETURN(d.theme, validation::Theme(d.theme));
  if (d.owner && !actor.admin) {
    return PermissionDenied("only administrators can name another user as the first owner");
  }
  return Write([&](Connection& c) -> Result<Community> {
    User owner;
    if (d.owner) {
      CONCORD_ASSIGN_OR_RETURN(owner, ResolveUser(c, *d.owner));
    } else {
      CONCORD_ASSIGN_OR_RETURN(auto me, kUsers.FindById(c, actor.id));
      if (!me) return Unauthenticated("the calling user no longer exists");
      owner = *me;
    }
    if (owner.disabled) return FailedPrecondition(fmt::format("user {} is disabled", owner.login));
    if (d.parent) {
      CONCORD_ASSIGN_OR_RETURN(Loaded parent, Load(c, actor, *d.parent));
      if (!parent.full) return CommunityNotFound(*d.parent);
      if (!parent.can_manage) {
        return PermissionDenied(fmt::format(
            "only the owners of community {} and administrators can create subcommunities in it",
            d.parent->value()));
      }
      if (parent.community.parent) {
        return FailedPrecondition(fmt::format(
            "community {} is itself a subcommunity; subcommunities cannot have subcommunities",
            d.parent->value()));
      }
      if (parent.community.visibility == Visibility::kRestricted &&
          d.visibility != Visibility::kRestricted) {
        return InvalidArgument("visibility",
                               "a subcommunity of a restricted community must be restricted",
                               {"private"});
      }
      CONCORD_ASSIGN_OR_RETURN(auto owner_role, kCommunities.RoleOf(c, *d.parent, owner.id));
      if (!owner_role) {
        return FailedPrecondition(fmt::format(
            "user {} is not a member of the parent community {}; a subcommunity's members must "
            "belong to its parent",
            owner.login, d.parent->value()));
      }
    }
    if (d.handle) {
      CONCORD_ASSIGN_OR_RETURN(bool taken, kCommunities.HandleTaken(c, *d.handle));
      if (taken) {
        return std::unexpected(Error{ErrorCode::kAlreadyExists,
                                     fmt::format("the handle '{}' is taken", *d.handle),
                                     "handle",
                                     {}});
      }
    }
    Millis now = NowMillis();
    Community x;
    x.uuid = CommunityUuid(NewUuid());
    x.name = d.name;
    x.handle = d.handle;
    x.description = d.description;
    x.tags = d.tags;
    x.visibility = d.visibility;
    x.list_when_private = d.list_when_private;
    x.theme = d.theme;
    x.owners_approve_content = d.owners_approve_content;
    x.viewers_flag_content = d.viewers_flag_content;
    x.parent = d.parent;
    x.created = x.last_mod = now;
    x.created_by = x.last_mod_by = actor.id;
    x.version = 1;
    x.member_count = 1;
    CONCORD_RETURN_IF_ERROR(kCommunities.Insert(c, x));
    CONCORD_RETURN_IF_ERROR(kCommunities.InsertMember(c, x.uuid, owner.id, Role::kOwner, now));
    for (const auto& def : lifecycle::AllWidgetDefs()) {
      if (!def.in_new_communities) continue;
      Widget w{WidgetInstanceId(NewUuid()),  x.uuid, std::string(def.def_id), std::nullopt,
               std::string(def.ui_location), now};
      CONCORD_RETURN_IF_ERROR(kCommunities.InsertWidget(c, w));
      if (def.remote) {
        CONCORD_RETURN_IF_ERROR(
            publisher_->Publish(c, EventType::kRemoteAppAdded, x, actor, {.widget = &w}));
      }
    }
    // Applications that keep every community (Activities, Files) learn of it even without
    // their widget: community members of activities and shares need their record.
    CONCORD_RETURN_IF_ERROR(
        publisher_->Publish(c, EventType::kCommunityUpdated, x, actor,
                            {.recipients = domain::Recipients::kOnlyApplicationsWithoutWidget}));
    return x;
  });
}

Result<CommunityView> CommunitiesService::Get(const Actor& actor, const CommunityUuid& uuid) {
  return options_.database->InTransaction(
      TxMode::kRead, [&](Connection& c) -> Result<CommunityView> {
        CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, actor, uuid));
        return CommunityView{std::move(l.community), l.full, l.role};
      });
}

Result<Page<CommunityView>> CommunitiesService::List(const Actor& actor, ListFilter f) {
  CONCORD_ASSIGN_OR_RETURN(int limit, validation::Limit(f.limit));
  if (!f.after.empty()) CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(f.after, "after"));
  if (f.parent) CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(f.parent->value(), "parent"));
  return options_.database->InTransaction(
      TxMode::kRead, [&](Connection& c) -> Result<Page<CommunityView>> {
        store::ListQuery q;
        q.after = f.after;
        q.limit = limit + 1;
        q.visibility = f.visibility;
        q.member = f.member;
        q.name = f.name;
        q.parent = f.parent;
        q.caller = actor.id;
        q.caller_sees_all = actor.admin;
        CONCORD_ASSIGN_OR_RETURN(auto rows, kCommunities.List(c, q));
        std::vector<CommunityView> views;
        views.reserve(rows.size());
        for (auto& r : rows) {
          bool full =
              actor.admin || r.caller_role || r.community.visibility != Visibility::kRestricted;
          views.push_back(CommunityView{std::move(r.community), full, r.caller_role});
        }
        return MakePage(std::move(views), limit,
                        [](const CommunityView& v) { return v.community.uuid.value(); });
      });
}

Result<Community> CommunitiesService::Update(const Actor& actor, const CommunityUuid& uuid,
                                             CommunityPatch p) {
  if (p.name) {
    CONCORD_ASSIGN_OR_RETURN(p.name, validation::Name(*p.name));
  }
  if (p.handle && *p.handle) {
    CONCORD_ASSIGN_OR_RETURN(*p.handle, validation::Handle(**p.handle));
  }
  if (p.description) {
    CONCORD_ASSIGN_OR_RETURN(p.description, validation::Description(*p.description));
  }
  if (p.tags) {
    CONCORD_ASSIGN_OR_RETURN(p.tags, validation::Tags(*p.tags));
  }
  if (p.theme) {
    CONCORD_ASSIGN_OR_RETURN(p.theme, validation::Theme(*p.theme));
  }
  return Write([&](Connection& c) -> Result<Community> {
    CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadToChange(c, actor, uuid));
    Community& x = l.community;
    if (p.expected_version && *p.expected_version != x.version) {
      return MakeError(
          ErrorCode::kAborted,
          fmt::format("community {} changed since version {} (now {}); reload it and retry",
                      uuid.value(), *p.expected_version, x.version));
    }
    Community before = x;
    if (p.name) x.name = *p.name;
    if (p.handle) {
      if (*p.handle && *p.handle != x.handle) {
        CONCORD_ASSIGN_OR_RETURN(bool taken, kCommunities.HandleTaken(c, **p.handle));
        if (taken) {
          return std::unexpected(Error{ErrorCode::kAlreadyExists,
                                       fmt::format("the handle '{}' is taken", **p.handle),
                                       "handle",
                                       {}});
        }
      }
      x.handle = *p.handle;
    }
    if (p.description) x.description = *p.description;
    if (p.tags) x.tags = *p.tags;
    if (p.list_when_private) x.list_when_private = *p.list_when_private;
    if (p.theme) x.theme = *p.theme;
    if (p.owners_approve_content) x.owners_approve_content = *p.owners_approve_content;
    if (p.viewers_flag_content) x.viewers_flag_content = *p.viewers_flag_content;
    if (p.visibility && *p.visibility != x.visibility) {
      if (x.parent && *p.visibility != Visibility::kRestricted) {
        CONCORD_ASSIGN_OR_RETURN(auto parent, kCommunities.Find(c, *x.parent));
        if (parent && parent->visibility == Visibility::kRestricted) {
          return InvalidArgument("visibility",
                                 "a subcommunity of a restricted community must be restricted",
                                 {"private"});
        }
      }
      if (*p.visibility == Visibility::kRestricted) {
        CONCORD_ASSIGN_OR_RETURN(auto subs, kCommunities.Subcommunities(c, x.uuid));
        std::vector<std::string> open;
        for (const auto& s : subs) {
          CONCORD_ASSIGN_OR_RETURN(auto sub, kCommunities.Find(c, s));
          if (sub && sub->visibility != Visibility::kRestricted) open.push_back(s.value());
        }
        if (!open.empty()) {
          return FailedPrecondition(fmt::format(
              "community {} has subcommunities that are not restricted ({}); make them restricted "
              "first",
              uuid.value(), fmt::join(open, ", ")));
        }
      }
      x.visibility = *p.visibility;
    }
    bool changed = x.name != before.name || x.handle != before.handle ||
                   x.description != before.description || x.tags != before.tags ||
                   x.visibility != before.visibility ||
                   x.list_when_private != before.list_when_private || x.theme != before.theme ||
                   x.owners_approve_content != before.owners_approve_content ||
                   x.viewers_flag_content != before.viewers_flag_content;
    if (!changed) return x;
    CONCORD_RETURN_IF_ERROR(Touch(c, x, actor));
    if (x.visibility != before.visibility) {
      CONCORD_RETURN_IF_ERROR(publisher_->Publish(c, EventType::kVisibilityChanged, x, actor));
    }
    bool others = x.name != before.name || x.description != before.description ||
                  x.tags != before.tags || x.list_when_private != before.list_when_private ||
                  x.theme != before.theme || x.handle != before.handle ||
                  x.owners_approve_content != before.owners_approve_content ||
                  x.viewers_flag_content != before.viewers_flag_content;
    if (others)
      CONCORD_RETURN_IF_ERROR(publisher_->Publish(c, EventType::kCommunityUpdated, x, actor));
    return x;
  });
}

Result<Community> CommunitiesService::Trash(const Actor& actor, const CommunityUuid& uuid) {
  return Write([&](Connection& c) -> Result<Community> {
    CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadToChange(c, actor, uuid));
    Millis now = NowMillis();
    auto trash = [&](Community& x, bool with_parent) -> Status {
      x.trash = TrashState{now, actor.id, x.visibility, with_parent};
      x.visibility = Visibility::kRestricted;  // as the reference: the trash forces private
      CONCORD_RETURN_IF_ERROR(Touch(c, x, actor));
      CONCORD_RETURN_IF_ERROR(publisher_->Publish(c, EventType::kVisibilityChanged, x, actor));
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

Result<Page<Community>> CommunitiesService::ListTrash(const Actor& actor, std::string after,
                                                      int limit) {
  CONCORD_ASSIGN_OR_RETURN(limit, validation::Limit(limit));
  if (!after.empty()) CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(after, "after"));
  return options_.database->InTransaction(
      TxMode::kRead, [&](Connection& c) -> Result<Page<Community>> {
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

namespace {

// Loads a trashed community that `actor` may act on in the trash (its owners, administrators).
Result<Community> LoadTrashed(Connection& c, const Actor& actor, const CommunityUuid& uuid) {
  CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(uuid.value()));
  CONCORD_ASSIGN_OR_RETURN(auto found, kCommunities.Find(c, uuid));
  if (!found) return CommunityNotFound(uuid);
  CONCORD_ASSIGN_OR_RETURN(auto role, kCommunities.RoleOf(c, uuid, actor.id));
  bool can_manage = actor.admin || role == Role::kOwner;
  bool visible = can_manage || role || found->visibility != Visibility::kRestricted;
  if (!found->trash) {
    if (!visible) return CommunityNotFound(uuid);
    return FailedPrecondition(fmt::format("community {} is not in the trash", uuid.value()));
  }
  if (!can_manage) return CommunityNotFound(uuid);
  return *found;
}

}  // namespace

// Purges a community and its subcommunities, telling each application first
// (community.prepare.delete), as the reference does when the trash is emptied.
Status CommunitiesService::PurgeTree(Connection& c, const CommunityUuid& uuid, const Actor& actor) {
  CONCORD_ASSIGN_OR_RETURN(auto subs, kCommunities.Subcommunities(c, uuid));
  subs.push_back(uuid);
  for (const auto& s : subs) {
    CONCORD_ASSIGN_OR_RETURN(auto x, kCommunities.Find(c, s));
    if (!x) continue;
    x->version += 1;  // the deletion is a change too: applications see a newer state
    CONCORD_RETURN_IF_ERROR(publisher_->Publish(c, EventType::kPrepareDelete, *x, actor));
    CONCORD_RETURN_IF_ERROR(kCommunities.Delete(c, s));
  }
  return Ok();
}

Result<Community> CommunitiesService::Restore(const Actor& actor, const CommunityUuid& uuid) {
  return Write([&](Connection& c) -> Result<Community> {
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
      CONCORD_RETURN_IF_ERROR(publisher_->Publish(c, EventType::kVisibilityChanged, y, actor));
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

Status CommunitiesService::Purge(const Actor& actor, const CommunityUuid& uuid) {
  return Write([&](Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(Community x, LoadTrashed(c, actor, uuid));
    if (x.trash->with_parent) {
      return FailedPrecondition(fmt::format(
          "community {} went to the trash with its parent; purge the parent", uuid.value()));
    }
    return PurgeTree(c, uuid, actor);
  });
}

Result<int64_t> CommunitiesService::PurgeExpired(Millis now) {
  Millis before = now - static_cast<Millis>(options_.trash_retention_days) * kMillisPerDay;
  int64_t purged = 0;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(int64_t n, Write([&](Connection& c) -> Result<int64_t> {
                               CONCORD_ASSIGN_OR_RETURN(auto due,
                                                        kCommunities.TrashedBefore(c, before, 100));
                               for (const auto& u : due)
                                 CONCORD_RETURN_IF_ERROR(PurgeTree(c, u, kSystem));
                               return static_cast<int64_t>(due.size());
                             }));
    purged += n;
    if (n < 100) return purged;
  }
}

// ---------------------------------------------------------------------------------------------
// Members

Result<Page<Member>> CommunitiesService::ListMembers(const Actor& actor, const CommunityUuid& uuid,
                                                     std::optional<Role> role, std::string after,
                                                     int limit) {
  CONCORD_ASSIGN_OR_RETURN(limit, validation::Limit(limit));
  return options_.database->InTransaction(
      TxMode::kRead, [&](Connection& c) -> Result<Page<Member>> {
        CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, actor, uuid));
        // A listed restricted community shows its owners to everyone, and nothing more.
        if (!l.full && role != Role::kOwner) return CommunityNotFound(uuid);
        CONCORD_ASSIGN_OR_RETURN(auto rows, kCommunities.Members(c, uuid, role, after, limit + 1));
        return MakePage(std::move(rows), limit, [](const Member& m) { return m.user.value(); });
      });
}

Result<Member> CommunitiesService::GetMember(const Actor& actor, const CommunityUuid& uuid,
                                             const UserId& user) {
  return options_.database->InTransaction(TxMode::kRead, [&](Connection& c) -> Result<Member> {
    CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, actor, uuid));
    CONCORD_ASSIGN_OR_RETURN(auto m, kCommunities.FindMember(c, uuid, user));
    // A listed restricted community shows its owners, and nobody else, to non-members.
    if (!m || (!l.full && m->role != Role::kOwner)) {
      if (!l.full) return CommunityNotFound(uuid);
      return NotFound(
          fmt::format("user {} is not a member of community {}", user.value(), uuid.value()));
    }
    return *m;
  });
}

Result<std::vector<Member>> CommunitiesService::AddMembers(const Actor& actor,
                                                           const CommunityUuid& uuid,
                                                           const std::vector<std::string>& refs,
                                                           Role role) {
  if (refs.empty()) return InvalidArgument("users", "name at least one user to add");
  if (refs.size() > 1000) return InvalidArgument("users", "add at most 1000 users at a time");
  return Write([&](Connection& c) -> Result<std::vector<Member>> {
    CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, actor, uuid));
    if (!l.full) return CommunityNotFound(uuid);
    Community& x = l.community;
    std::vector<User> users;
    std::set<UserId> seen;
    for (const auto& ref : refs) {
      CONCORD_ASSIGN_OR_RETURN(User u, ResolveUser(c, ref));
      if (seen.insert(u.id).second) users.push_back(std::move(u));
    }
    bool self_join = users.size() == 1 && users[0].id == actor.id && role == Role::kMember;
    if (!l.can_manage) {
      if (!self_join) return NotAllowedToChange(x);
      if (x.visibility != Visibility::kPublic) {
        return PermissionDenied(fmt::format(
            "community {} is moderated: ask one of its owners to add you", uuid.value()));
      }
    }
    Millis now = NowMillis();
    std::vector<Member> added;
    for (const auto& u : users) {
      if (u.disabled) return FailedPrecondition(fmt::format("user {} is disabled", u.login));
      CONCORD_ASSIGN_OR_RETURN(auto existing, kCommunities.RoleOf(c, uuid, u.id));
      if (existing) {
        return AlreadyExists(
            fmt::format("{} is already a {} of community {}; change a role with PUT .../members/{}",
                        u.login, RoleName(*existing), uuid.value(), u.id.value()));
      }
      if (x.parent) {
        CONCORD_ASSIGN_OR_RETURN(auto in_parent, kCommunities.RoleOf(c, *x.parent, u.id));
        if (!in_parent) {
          return FailedPrecondition(fmt::format(
              "{} is not a member of the parent community {}; a subcommunity's members must "
              "belong to its parent",
              u.login, x.parent->value()));
        }
      }
      CONCORD_RETURN_IF_ERROR(kCommunities.InsertMember(c, uuid, u.id, role, now));
      added.push_back(Member{u.id, u.login, u.email, u.display_name, role, now});
    }
    x.member_count += static_cast<int64_t>(added.size());
    CONCORD_RETURN_IF_ERROR(Touch(c, x, actor));
    CONCORD_RETURN_IF_ERROR(publisher_->Publish(c, EventType::kMembersAdded, x, actor));
    return added;
  });
}

Result<Member> CommunitiesService::SetRole(const Actor& actor, const CommunityUuid& uuid,
                                           const UserId& user, Role role) {
  return Write([&](Connection& c) -> Result<Member> {
    CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadToChange(c, actor, uuid));
    CONCORD_ASSIGN_OR_RETURN(auto current, kCommunities.RoleOf(c, uuid, user));
    if (!current) {
      return NotFound(
          fmt::format("user {} is not a member of community {}", user.value(), uuid.value()));
    }
    CONCORD_ASSIGN_OR_RETURN(auto u, kUsers.FindById(c, user));
    Member m{user, u->login, u->email, u->display_name, role, 0};
    if (*current == role) return m;
    if (*current == Role::kOwner) {
      CONCORD_ASSIGN_OR_RETURN(int64_t owners, kCommunities.CountOwners(c, uuid));
      if (owners <= 1) {
        return FailedPrecondition(
            fmt::format("{} is the last owner of community {}; make another member an owner first",
                        u->login, uuid.value()));
      }
    }
    CONCORD_RETURN_IF_ERROR(kCommunities.UpdateRole(c, uuid, user, role));
    CONCORD_RETURN_IF_ERROR(Touch(c, l.community, actor));
    CONCORD_RETURN_IF_ERROR(
        publisher_->Publish(c, EventType::kMembersModified, l.community, actor));
    return m;
  });
}

Status CommunitiesService::RemoveMember(const Actor& actor, const CommunityUuid& uuid,
                                        const UserId& user) {
  return Write([&](Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, actor, uuid));
    bool leaving = user == actor.id;
    if (!l.can_manage && !(leaving && l.role)) {
      return l.full ? NotAllowedToChange(l.community) : CommunityNotFound(uuid);
    }
    CONCORD_ASSIGN_OR_RETURN(auto current, kCommunities.RoleOf(c, uuid, user));
    if (!current) {
      return NotFound(
          fmt::format("user {} is not a member of community {}", user.value(), uuid.value()));
    }
    auto last_owner = [&](const CommunityUuid& in) -> Result<bool> {
      CONCORD_ASSIGN_OR_RETURN(auto r, kCommunities.RoleOf(c, in, user));
      if (r != Role::kOwner) return false;
      CONCORD_ASSIGN_OR_RETURN(int64_t owners, kCommunities.CountOwners(c, in));
      return owners <= 1;
    };
    CONCORD_ASSIGN_OR_RETURN(bool is_last, last_owner(uuid));
    if (is_last) {
      return FailedPrecondition(fmt::format(
          "user {} is the last owner of community {} and cannot be removed; make another member "
          "an owner first",
          user.value(), uuid.value()));
    }
    // Leaving a community means leaving its subcommunities too.
    CONCORD_ASSIGN_OR_RETURN(auto subs, kCommunities.SubcommunitiesOfMember(c, uuid, user));
    for (const auto& s : subs) {
      CONCORD_ASSIGN_OR_RETURN(bool last_in_sub, last_owner(s));
      if (last_in_sub) {
        return FailedPrecondition(
            fmt::format("user {} is the last owner of subcommunity {}; make another member an "
                        "owner there first",
                        user.value(), s.value()));
      }
    }
    for (const auto& s : subs) {
      CONCORD_ASSIGN_OR_RETURN(auto sub, kCommunities.Find(c, s));
      CONCORD_RETURN_IF_ERROR(kCommunities.DeleteMember(c, s, user));
      sub->member_count -= 1;
      CONCORD_RETURN_IF_ERROR(Touch(c, *sub, actor));
      CONCORD_RETURN_IF_ERROR(publisher_->Publish(c, EventType::kMembersRemoved, *sub, actor));
    }
    CONCORD_RETURN_IF_ERROR(kCommunities.DeleteMember(c, uuid, user));
    l.community.member_count -= 1;
    CONCORD_RETURN_IF_ERROR(Touch(c, l.community, actor));
    CONCORD_RETURN_IF_ERROR(publisher_->Publish(c, EventType::kMembersRemoved, l.community, actor));
    return Ok();
  });
}

// ---------------------------------------------------------------------------------------------
// Widgets

Result<std::vector<Widget>> CommunitiesService::ListWidgets(const Actor& actor,
                                                            const CommunityUuid& uuid) {
  return options_.database->InTransaction(
      TxMode::kRead, [&](Connection& c) -> Result<std::vector<Widget>> {
        CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, actor, uuid));
        if (!l.full) return CommunityNotFound(uuid);
        return kCommunities.Widgets(c, uuid);
      });
}

Result<Widget> CommunitiesService::AddWidget(const Actor& actor, const CommunityUuid& uuid,
                                             const std::string& def_id,
                                             std::optional<std::string> ui_location) {
  const lifecycle::WidgetDef* def = lifecycle::FindWidgetDef(def_id);
  if (!def) {
    return InvalidArgument("widgetDefId",
                           fmt::format("unknown widgetDefId '{}' (widget ids are case-sensitive)",
                                       def_id.substr(0, 60)),
                           lifecycle::WidgetDefIds());
  }
  if (ui_location && *ui_location != def->ui_location) {
    return InvalidArgument(
        "uiLocation",
        fmt::format("the {} widget goes in uiLocation '{}'", def_id, def->ui_location),
        {std::string(def->ui_location)});
  }
  return Write([&](Connection& c) -> Result<Widget> {
    CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadToChange(c, actor, uuid));
    CONCORD_ASSIGN_OR_RETURN(auto widgets, kCommunities.Widgets(c, uuid));
    for (const auto& w : widgets) {
      if (w.widget_def_id == def_id) {
        return AlreadyExists(fmt::format(
            "community {} already has a {} widget (instance {}); a community has at most one",
            uuid.value(), def_id, w.instance_id.value()));
      }
    }
    Widget w{WidgetInstanceId(NewUuid()),   uuid,       def_id, std::nullopt,
             std::string(def->ui_location), NowMillis()};
    CONCORD_RETURN_IF_ERROR(kCommunities.InsertWidget(c, w));
    CONCORD_RETURN_IF_ERROR(Touch(c, l.community, actor));
    if (def->remote) {
      CONCORD_RETURN_IF_ERROR(
          publisher_->Publish(c, EventType::kRemoteAppAdded, l.community, actor, {.widget = &w}));
    }
    CONCORD_RETURN_IF_ERROR(
        publisher_->Publish(c, EventType::kWidgetAdded, l.community, actor, {.widget = &w}));
    return w;
  });
}

Status CommunitiesService::RemoveWidget(const Actor& actor, const CommunityUuid& uuid,
                                        const WidgetInstanceId& id) {
  return Write([&](Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadToChange(c, actor, uuid));
    CONCORD_ASSIGN_OR_RETURN(auto widgets, kCommunities.Widgets(c, uuid));
    auto it = std::find_if(widgets.begin(), widgets.end(),
                           [&](const Widget& w) { return w.instance_id == id; });
    if (it == widgets.end()) {
      return NotFound(
          fmt::format("community {} has no widget {}", uuid.value(), id.value().substr(0, 60)));
    }
    const auto* def = lifecycle::FindWidgetDef(it->widget_def_id);
    if (def && !def->removable) {
      return FailedPrecondition(fmt::format("the {} widget cannot be removed", it->widget_def_id));
    }
    CONCORD_RETURN_IF_ERROR(kCommunities.DeleteWidget(c, id));
    CONCORD_RETURN_IF_ERROR(Touch(c, l.community, actor));
    if (def && def->remote) {
      CONCORD_RETURN_IF_ERROR(publisher_->Publish(c, EventType::kRemoteAppRemoved, l.community,
                                                  actor, {.widget = &*it}));
    }
    CONCORD_RETURN_IF_ERROR(
        publisher_->Publish(c, EventType::kWidgetRemoved, l.community, actor, {.widget = &*it}));
    return Ok();
  });
}

Result<int64_t> CommunitiesService::RemoveAllWidgets(const Actor& actor,
                                                     const std::string& widget_def_id) {
  if (!actor.admin) return PermissionDenied("only administrators remove widgets everywhere");
  const auto* def = lifecycle::FindWidgetDef(widget_def_id);
  if (!def) {
    return InvalidArgument("widgetDefId",
                           fmt::format("unknown widgetDefId '{}' (ids are case-sensitive)",
                                       widget_def_id.substr(0, 60)),
                           lifecycle::WidgetDefIds());
  }
  if (!def->removable) {
    return FailedPrecondition(fmt::format("the {} widget cannot be removed", widget_def_id));
  }
  int64_t removed = 0;
  std::string after;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(auto batch,
                             options_.database->InTransaction(TxMode::kRead, [&](Connection& c) {
                               return kCommunities.WidgetsByDef(c, widget_def_id, after, 200);
                             }));
    if (batch.empty()) return removed;
    for (const auto& w : batch) {
      after = w.community.value();
      auto s = RemoveWidget(actor, w.community, w.instance_id);
      if (s) {
        ++removed;
      } else if (s.error().code != ErrorCode::kNotFound) {  // kNotFound: in the trash, or gone
        return std::unexpected(s.error());
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Synchronization state

namespace {
Status CheckRemoteDef(const std::string& widget_def_id) {
  const auto* def = lifecycle::FindWidgetDef(widget_def_id);
  if (!def || !def->remote) {
    return InvalidArgument(
        "widgetDefId",
        fmt::format("'{}' is not a remote application's widgetDefId", widget_def_id.substr(0, 60)),
        lifecycle::RemoteWidgetDefIds());
  }
  return Ok();
}
}  // namespace

Result<std::vector<SyncState>> CommunitiesService::SyncStates(const Actor& actor,
                                                              const std::string& widget_def_id,
                                                              const std::string& after, int limit) {
  if (!actor.admin) return PermissionDenied("only administrators compare applications");
  CONCORD_RETURN_IF_ERROR(CheckRemoteDef(widget_def_id));
  if (!after.empty()) CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(after, "after"));
  if (limit < 1 || limit > 1000) return InvalidArgument("limit", "limit must be from 1 to 1000");
  return options_.database->InTransaction(TxMode::kRead, [&](Connection& c) {
    return kCommunities.SyncStates(c, widget_def_id, after, limit);
  });
}

Result<std::vector<SyncState>> CommunitiesService::SyncLookup(
    const Actor& actor, const std::string& widget_def_id, const std::vector<std::string>& uuids) {
  if (!actor.admin) return PermissionDenied("only administrators compare applications");
  CONCORD_RETURN_IF_ERROR(CheckRemoteDef(widget_def_id));
  if (uuids.size() > 1000) return InvalidArgument("uuids", "at most 1000 uuids at a time");
  for (const auto& u : uuids) CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(u, "uuids"));
  return options_.database->InTransaction(TxMode::kRead, [&](Connection& c) {
    return kCommunities.SyncLookup(c, widget_def_id, uuids);
  });
}

Result<CommunitiesService::ResyncOutcome> CommunitiesService::Resync(
    const Actor& actor, const std::vector<CommunityUuid>& communities,
    const std::optional<std::string>& widget_def_id, std::chrono::milliseconds wait) {
  if (!actor.admin) return PermissionDenied("only administrators resync applications");
  if (widget_def_id) CONCORD_RETURN_IF_ERROR(CheckRemoteDef(*widget_def_id));
  if (communities.size() > 1000) return InvalidArgument("communities", "at most 1000 at a time");
  for (const auto& u : communities) {
    CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(u.value(), "communityUuid"));
  }
  // The reference's precondition: nothing queued for the applications concerned.
  CONCORD_ASSIGN_OR_RETURN(auto queued,
                           ListQueuedEvents(actor, {.remote_app_def_id = widget_def_id}, "", 500));
  for (const auto& q : queued.items) {
    if (q.state == "queued") {
      return FailedPrecondition(fmt::format(
          "lifecycle events for {} are queued (see CommunitiesQEventService."
          "viewQueuedEventsSummary()): retry or clear them first, as the reference requires "
          "an empty queue before a resync",
          q.remote_app_def_id));
    }
  }
  ResyncOutcome out;
  int64_t first_seq = 0, last_seq = 0;
  for (const auto& uuid : communities) {
    auto published = Write([&](Connection& c) -> Result<int64_t> {
      // A community in the trash is resynced too: its applications learn that it is there.
      CONCORD_ASSIGN_OR_RETURN(auto found, kCommunities.Find(c, uuid));
      if (!found) return CommunityNotFound(uuid);
      Loaded l;
      l.community = std::move(*found);
      CONCORD_ASSIGN_OR_RETURN(auto widgets, kCommunities.Widgets(c, uuid));
      int64_t n = 0;
      for (const auto& w : widgets) {
        const auto* def = lifecycle::FindWidgetDef(w.widget_def_id);
        if (!def || !def->remote) continue;
        if (widget_def_id && w.widget_def_id != *widget_def_id) continue;
        CONCORD_ASSIGN_OR_RETURN(
            auto seq, publisher_->Publish(c, EventType::kRemoteAppAdded, l.community, actor,
                                          {.widget = &w, .resync = true}));
        if (seq) {
          if (first_seq == 0) first_seq = *seq;
          last_seq = *seq;
        }
        ++n;
      }
      return n;
    });
    if (!published) return std::unexpected(published.error());
    out.events += *published;
    ++out.communities;
  }
  if (out.events == 0) return out;
  // Wait for the deliveries (the dispatcher was woken by the commits).
  CONCORD_ASSIGN_OR_RETURN(out.still_queued, WaitForDelivery(first_seq, last_seq, wait));
  return out;
}

Result<int64_t> CommunitiesService::WaitForDelivery(int64_t first_seq, int64_t last_seq,
                                                    std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(int64_t left,
                             options_.database->InTransaction(TxMode::kRead, [&](Connection& c) {
                               return kEvents.CountUndelivered(c, first_seq, last_seq);
                             }));
    if (left == 0 || std::chrono::steady_clock::now() >= deadline) return left;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<Widget> CommunitiesService::AssignRemoteApp(const Actor& actor, const std::string& app,
                                                   const std::string& resource_id,
                                                   const CommunityUuid& old_community,
                                                   const CommunityUuid& new_community,
                                                   const std::string& ui_location,
                                                   std::chrono::milliseconds wait) {
  if (!actor.admin) return PermissionDenied("only administrators assign remote applications");
  CONCORD_RETURN_IF_ERROR(CheckRemoteDef(app));
  const auto* def = lifecycle::FindWidgetDef(app);
  if (ui_location != def->ui_location) {
    return InvalidArgument("uiLocation",
                           fmt::format("the {} widget goes in uiLocation '{}', not '{}'", app,
                                       def->ui_location, ui_location.substr(0, 40)),
                           {std::string(def->ui_location)});
  }
  CONCORD_ASSIGN_OR_RETURN(std::string id,
                           ValidSingleLine(resource_id, "objectIdentifyingId", 200));
  CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(old_community.value(), "oldCommunityUuid"));
  CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(new_community.value(), "newCommunityUuid"));
  std::optional<int64_t> transfer_seq;  // none if the application does not hear events
  CONCORD_ASSIGN_OR_RETURN(
      Widget w, Write([&](Connection& c) -> Result<Widget> {
        CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadToChange(c, actor, new_community));
        CONCORD_ASSIGN_OR_RETURN(auto widgets, kCommunities.Widgets(c, new_community));
        for (const auto& existing : widgets) {
          if (existing.widget_def_id == app) {
            return FailedPrecondition(fmt::format(
                "community {} already has a {} widget (instance {}): a community has at most one. "
                "Remove it first with CommunitiesService.removeAllWidgetsByWidgetDefId(\"{}\", "
                "\"{}\"), or assign to another community",
                new_community.value(), app, existing.instance_id.value(), new_community.value(),
                app));
          }
        }
        Widget added{WidgetInstanceId(NewUuid()), new_community, app, id, ui_location, NowMillis()};
        CONCORD_RETURN_IF_ERROR(kCommunities.InsertWidget(c, added));
        CONCORD_RETURN_IF_ERROR(Touch(c, l.community, actor));
        CONCORD_ASSIGN_OR_RETURN(
            transfer_seq, publisher_->Publish(c, EventType::kRemoteAppTransfer, l.community, actor,
                                              {.widget = &added, .transfer_from = old_community}));
        CONCORD_RETURN_IF_ERROR(publisher_->Publish(c, EventType::kWidgetAdded, l.community, actor,
                                                    {.widget = &added}));
        return added;
      }));
  int64_t left = 0;
  if (transfer_seq) {
    CONCORD_ASSIGN_OR_RETURN(left, WaitForDelivery(*transfer_seq, *transfer_seq, wait));
  }
  if (left > 0) {
    return Unavailable(fmt::format(
        "the widget was added to {}, but {} has not taken the resource yet: the transfer event "
        "is queued (CommunitiesQEventService.viewQueuedEventsByRemoteAppDefId(\"{}\", None, 10) "
        "shows why); it is retried with the queue",
        new_community.value(), app, app));
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// Queued lifecycle events

Status CommunitiesService::ValidateQueuedEventFilter(const QueuedEventFilter& f) {
  if (f.remote_app_def_id) {
    const auto* def = lifecycle::FindWidgetDef(*f.remote_app_def_id);
    if (!def || !def->remote) {
      return InvalidArgument("remoteAppDefId",
                             fmt::format("'{}' is not a remoteAppDefId (ids are case-sensitive)",
                                         f.remote_app_def_id->substr(0, 60)),
                             lifecycle::RemoteWidgetDefIds());
    }
  }
  if (f.community)
    CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(f.community->value(), "resourceId"));
  if (f.event_type) {
    auto t = lifecycle::ParseEventType(*f.event_type);
    if (!t) {
      return InvalidArgument("eventType",
                             fmt::format("unknown event type '{}'", f.event_type->substr(0, 60)),
                             lifecycle::EventTypeNames());
    }
  }
  if (f.event_id && !IsUuid(f.event_id->value())) {
    return InvalidArgument("eventId", fmt::format("'{}' is not an event id (a uuid)",
                                                  f.event_id->value().substr(0, 60)));
  }
  if (f.event_ids.size() > kMaxEventIdsPerCall) {
    return InvalidArgument("eventIds", fmt::format("at most {} eventIds a call, not {}",
                                                   kMaxEventIdsPerCall, f.event_ids.size()));
  }
  for (const auto& id : f.event_ids) {
    if (!IsUuid(id.value())) {
      return InvalidArgument(
          "eventIds", fmt::format("'{}' is not an event id (a uuid)", id.value().substr(0, 60)));
    }
  }
  return Ok();
}

Result<std::vector<QueueSummary>> CommunitiesService::QueuedEventsSummary(const Actor& actor) {
  if (!actor.admin) return PermissionDenied("only administrators see the event queue");
  return options_.database->InTransaction(TxMode::kRead,
                                          [&](Connection& c) { return kEvents.Summary(c); });
}

Result<Page<QueuedEvent>> CommunitiesService::ListQueuedEvents(const Actor& actor,
                                                               const QueuedEventFilter& filter,
                                                               const std::string& after,
                                                               int limit) {
  if (!actor.admin) return PermissionDenied("only administrators see the event queue");
  CONCORD_RETURN_IF_ERROR(ValidateQueuedEventFilter(filter));
  CONCORD_ASSIGN_OR_RETURN(int n, validation::Limit(limit));
  // The cursor is "<seq>:<remoteAppDefId>" of the last row shown.
  int64_t after_seq = 0;
  std::string after_app;
  if (!after.empty()) {
    auto colon = after.find(':');
    bool ok = colon != std::string::npos && colon > 0 && colon < 19;
    for (size_t i = 0; ok && i < colon; ++i) ok = after[i] >= '0' && after[i] <= '9';
    if (!ok) return InvalidArgument("after", "not a cursor this listing returned");
    after_seq = std::stoll(after.substr(0, colon));
    after_app = after.substr(colon + 1);
  }
  return options_.database->InTransaction(
      TxMode::kRead, [&](Connection& c) -> Result<Page<QueuedEvent>> {
        CONCORD_ASSIGN_OR_RETURN(auto rows, kEvents.List(c, filter, after_seq, after_app, n + 1));
        Page<QueuedEvent> page;
        if (static_cast<int>(rows.size()) > n) {
          rows.resize(n);
          page.next = fmt::format("{}:{}", rows.back().seq, rows.back().remote_app_def_id);
        }
        page.items = std::move(rows);
        return page;
      });
}

Result<int64_t> CommunitiesService::ClearQueuedEvents(const Actor& actor,
                                                      const QueuedEventFilter& filter) {
  if (!actor.admin) return PermissionDenied("only administrators clear the event queue");
  CONCORD_RETURN_IF_ERROR(ValidateQueuedEventFilter(filter));
  return options_.database->InTransaction(TxMode::kWrite, [&](Connection& c) -> Result<int64_t> {
    int64_t n = 0;
    if (filter.event_ids.empty()) {
      CONCORD_ASSIGN_OR_RETURN(n, kEvents.Clear(c, filter));
    } else {
      // A list of events: each cleared with the other conditions, in one transaction. An id no
      // longer queued (delivered, or cleared by an earlier call) clears nothing.
      QueuedEventFilter one = filter;
      one.event_ids.clear();
      for (const auto& id : filter.event_ids) {
        one.event_id = id;
        CONCORD_ASSIGN_OR_RETURN(int64_t cleared, kEvents.Clear(c, one));
        n += cleared;
      }
    }
    spdlog::warn(
        "cleared {} queued lifecycle events (remoteAppDefId={} resourceId={} "
        "eventType={} eventId={}) by {}",
        n, filter.remote_app_def_id.value_or("*"),
        filter.community ? filter.community->value() : "*", filter.event_type.value_or("*"),
        filter.event_id            ? filter.event_id->value()
        : filter.event_ids.empty() ? "*"
                                   : fmt::format("{} listed", filter.event_ids.size()),
        actor.id.value());
    return n;
  });
}

// ---------------------------------------------------------------------------------------------
// Users

Result<User> CommunitiesService::CreateUser(const Actor& actor, NewUser n) {
  if (!actor.admin) return PermissionDenied("only administrators can create users");
  CONCORD_ASSIGN_OR_RETURN(n.login, validation::Login(n.login));
  CONCORD_ASSIGN_OR_RETURN(n.email, validation::Email(n.email));
  CONCORD_ASSIGN_OR_RETURN(n.display_name, validation::Name(n.display_name, "displayName"));
  CONCORD_RETURN_IF_ERROR(validation::Password(n.password));
  CONCORD_ASSIGN_OR_RETURN(std::string hash, HashPassword(n.password));
  return Write([&](Connection& c) -> Result<User> {
    CONCORD_ASSIGN_OR_RETURN(auto by_login, kUsers.FindByLogin(c, n.login));
    if (by_login) {
      return std::unexpected(Error{
          ErrorCode::kAlreadyExists, fmt::format("the login '{}' is taken", n.login), "login", {}});
    }
    CONCORD_ASSIGN_OR_RETURN(auto by_email, kUsers.FindByEmail(c, n.email));
    if (by_email) {
      return std::unexpected(Error{
          ErrorCode::kAlreadyExists, fmt::format("the email '{}' is taken", n.email), "email", {}});
    }
    User u{UserId(NewUuid()), n.login, n.email, n.display_name, n.admin, false, NowMillis()};
    CONCORD_RETURN_IF_ERROR(kUsers.Insert(c, u, hash));
    return u;
  });
}

Result<Page<User>> CommunitiesService::ListUsers(const Actor&, std::string after, int limit) {
  CONCORD_ASSIGN_OR_RETURN(limit, validation::Limit(limit));
  return options_.database->InTransaction(TxMode::kRead, [&](Connection& c) -> Result<Page<User>> {
    CONCORD_ASSIGN_OR_RETURN(auto rows, kUsers.List(c, after, limit + 1));
    return MakePage(std::move(rows), limit, [](const User& u) { return u.id.value(); });
  });
}

Result<User> CommunitiesService::GetUser(const Actor& actor, const std::string& ref) {
  return options_.database->InTransaction(TxMode::kRead, [&](Connection& c) -> Result<User> {
    return ResolveUser(c, ref == "me" ? actor.id.value() : ref);
  });
}

Result<User> CommunitiesService::SetUserDisabled(const Actor& actor, const UserId& id,
                                                 bool disabled) {
  if (!actor.admin) return PermissionDenied("only administrators can disable or enable users");
  if (disabled && id == actor.id) {
    return FailedPrecondition("you cannot disable your own account");
  }
  auto r = Write([&](Connection& c) -> Result<User> {
    CONCORD_ASSIGN_OR_RETURN(User u, ResolveUser(c, id.value()));
    CONCORD_RETURN_IF_ERROR(kUsers.SetDisabled(c, u.id, disabled));
    u.disabled = disabled;
    return u;
  });
  if (r) {
    for (const auto& changed : credentials_changed_) changed();
  }
  return r;
}

Result<User> CommunitiesService::Verify(std::string_view login, std::string_view password) {
  // Verify against a dummy hash when the login is unknown, so that the answer takes as long
  // for a login that does not exist as for a wrong password.
  static const std::string kDummyHash = HashPassword("concord-dummy-password").value_or("");
  auto found = options_.database->InTransaction(
      TxMode::kRead, [&](Connection& c) { return kUsers.FindCredentials(c, login); });
  if (!found) return std::unexpected(found.error());
  const auto& hash = *found && (*found)->second ? *(*found)->second : kDummyHash;
  bool ok = VerifyPassword(password, hash);
  if (!ok || !*found || !(*found)->second || (*found)->first.disabled) {
    return Unauthenticated("invalid credentials");
  }
  return (*found)->first;
}

Status CommunitiesService::RestoreServiceAccount(const std::string& login,
                                                 const std::string& password) {
  return SetServiceAccount(login, password, [](const std::string&) { return Ok(); });
}

Status CommunitiesService::EnsureServiceAccount(
    const std::string& login, const std::function<Status(const std::string&)>& persist) {
  return SetServiceAccount(login, RandomPassword(32), persist);
}

Status CommunitiesService::SetServiceAccount(
    const std::string& login, const std::string& password,
    const std::function<Status(const std::string&)>& persist) {
  CONCORD_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  auto r = Write([&](Connection& c) -> Status {
    CONCORD_ASSIGN_OR_RETURN(auto existing, kUsers.FindByLogin(c, login));
    if (existing) {
      CONCORD_RETURN_IF_ERROR(kUsers.SetPassword(c, existing->id, hash));
    } else {
      User u{UserId(NewUuid()), login, login + "@localhost", "Concord system account", true, false,
             NowMillis()};
      CONCORD_RETURN_IF_ERROR(kUsers.Insert(c, u, hash));
    }
    return persist(password);
  });
  if (r) {
    for (const auto& changed : credentials_changed_) changed();
  }
  return r;
}

Result<int64_t> CommunitiesService::TrimEventLog(Millis before) {
  return Write([&](Connection& c) { return kEvents.TrimLog(c, before); });
}

Result<CommunitiesService::EventLogBounds> CommunitiesService::EventLog(const Actor& actor) {
  if (!actor.admin) return PermissionDenied("only administrators see the event log");
  return options_.database->InTransaction(TxMode::kRead,
                                          [&](Connection& c) -> Result<EventLogBounds> {
                                            CONCORD_ASSIGN_OR_RETURN(auto b, kEvents.LogBounds(c));
                                            return EventLogBounds{b.first, b.last, b.assigned};
                                          });
}

Result<CommunitiesService::EventLogPage> CommunitiesService::ListEventLog(
    const Actor& actor, const std::optional<std::string>& app, int64_t after_seq, int limit) {
  if (!actor.admin) return PermissionDenied("only administrators see the event log");
  if (limit < 1 || limit > 1000) {
    return InvalidArgument("limit", fmt::format("limit must be from 1 to 1000, not {}", limit));
  }
  if (after_seq < 0) return InvalidArgument("after", "after must be a seq (0 or more)");
  if (app) {
    const auto* def = lifecycle::FindWidgetDef(*app);
    if (!def || !def->remote) {
      return InvalidArgument("remoteAppDefId",
                             fmt::format("'{}' is not a remote application", app->substr(0, 60)),
                             lifecycle::RemoteWidgetDefIds());
    }
  }
  return options_.database->InTransaction(
      TxMode::kRead, [&](Connection& c) -> Result<EventLogPage> {
        CONCORD_ASSIGN_OR_RETURN(auto rows,
                                 kEvents.Entries(c, after_seq, app.value_or(""), limit + 1));
        EventLogPage page;
        if (static_cast<int>(rows.size()) > limit) {
          rows.resize(limit);
          page.next = rows.back().seq;
        }
        page.items = std::move(rows);
        return page;
      });
}

Status CommunitiesService::AdvanceEventSequence(const Actor& actor, int64_t at_least) {
  if (!actor.admin) return PermissionDenied("only administrators advance the event sequence");
  if (at_least < 0) return InvalidArgument("atLeast", "atLeast must be 0 or more");
  return Write([&](Connection& c) { return kEvents.AdvanceSequence(c, at_least); });
}

Result<bool> CommunitiesService::EnsureInitialAdmin(
    const std::function<Status(const std::string&)>& persist) {
  std::string password = RandomPassword(24);
  CONCORD_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
  return Write([&](Connection& c) -> Result<bool> {
    CONCORD_ASSIGN_OR_RETURN(int64_t count, kUsers.Count(c));
    if (count > 0) return false;
    User u{UserId(NewUuid()), "admin", "admin@localhost", "Administrator", true, false,
           NowMillis()};
    CONCORD_RETURN_IF_ERROR(kUsers.Insert(c, u, hash));
    CONCORD_RETURN_IF_ERROR(persist(password));
    return true;
  });
}

}  // namespace concord::communities
