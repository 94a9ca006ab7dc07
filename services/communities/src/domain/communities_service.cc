// CommunitiesService, the facade: it holds the parts of the domain (the event publisher, the
// trash, membership, widgets, synchronization and queue administration, the user directory),
// each in a file of its own, and forwards to them. The communities themselves (create, read,
// list, update) are its own, below.

#include <fmt/format.h>

#include <algorithm>

#include "concord/base/text.h"
#include "concord/communities/service.h"
#include "concord/lifecycle/events.h"
#include "concord/lifecycle/widgets.h"
#include "domain/access.h"
#include "domain/event_publisher.h"
#include "domain/membership.h"
#include "domain/queue_administration.h"
#include "domain/sync_administration.h"
#include "domain/transactions.h"
#include "domain/trash.h"
#include "domain/user_directory.h"
#include "domain/validation.h"
#include "domain/widgets.h"
#include "store/community_store.h"

namespace concord::communities {
namespace {
const store::CommunityStore kCommunities;
const store::UserStore kUsers;
using db::Connection;
using domain::CommunityNotFound;
using domain::Load;
using domain::LoadedCommunity;
using domain::LoadToChange;
using domain::MakePage;
using domain::ResolveUser;
using domain::Touch;
using lifecycle::EventType;
}  // namespace

CommunitiesService::CommunitiesService(ServiceOptions options)
    : options_(std::move(options)),
      transactions_(
          std::make_unique<domain::Transactions>(options_.database, options_.events_committed)),
      publisher_(std::make_unique<domain::EventPublisher>(options_.subscriptions)),
      trash_(std::make_unique<domain::CommunityTrash>(*transactions_, *publisher_,
                                                      options_.trash_retention_days)),
      membership_(std::make_unique<domain::Membership>(*transactions_, *publisher_)),
      widgets_(std::make_unique<domain::CommunityWidgets>(*transactions_, *publisher_)),
      queue_(std::make_unique<domain::QueueAdministration>(*transactions_, options_.deliveries)),
      sync_(std::make_unique<domain::SyncAdministration>(*transactions_, *publisher_, *queue_,
                                                         options_.deliveries)),
      users_(std::make_unique<domain::UserDirectory>(*transactions_)) {}

CommunitiesService::~CommunitiesService() = default;

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
  return transactions_->Write([&](Connection& c) -> Result<Community> {
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
      CONCORD_ASSIGN_OR_RETURN(LoadedCommunity parent, Load(c, actor, *d.parent));
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
    CONCORD_ASSIGN_OR_RETURN(x.version, kCommunities.NextVersion(c, 0));
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
  return transactions_->Read([&](Connection& c) -> Result<CommunityView> {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, Load(c, actor, uuid));
    return CommunityView{std::move(l.community), l.full, l.role};
  });
}

Result<Page<CommunityView>> CommunitiesService::List(const Actor& actor, ListFilter f) {
  CONCORD_ASSIGN_OR_RETURN(int limit, validation::Limit(f.limit));
  if (!f.after.empty()) CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(f.after, "after"));
  if (f.parent) CONCORD_RETURN_IF_ERROR(validation::CommunityUuidText(f.parent->value(), "parent"));
  return transactions_->Read([&](Connection& c) -> Result<Page<CommunityView>> {
    store::ListQuery q;
    q.after = f.after;
    q.limit = limit + 1;
    q.visibility = f.visibility;
    q.member = f.member;
    q.name = f.name;
    if (f.name_contains) q.name_contains = AsciiLower(*f.name_contains);
    q.tag = f.tag;
    q.parent = f.parent;
    q.caller = actor.id;
    q.caller_sees_all = actor.admin;
    CONCORD_ASSIGN_OR_RETURN(auto rows, kCommunities.List(c, q));
    std::vector<CommunityView> views;
    views.reserve(rows.size());
    for (auto& r : rows) {
      bool full = actor.admin || r.caller_role || r.community.visibility != Visibility::kRestricted;
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
  return transactions_->Write([&](Connection& c) -> Result<Community> {
    CONCORD_ASSIGN_OR_RETURN(LoadedCommunity l, LoadToChange(c, actor, uuid));
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
// ---------------------------------------------------------------------------------------------
// The other parts

Result<Community> CommunitiesService::Trash(const Actor& actor, const CommunityUuid& uuid) {
  return trash_->Trash(actor, uuid);
}
Result<Page<Community>> CommunitiesService::ListTrash(const Actor& actor, std::string after,
                                                      int limit) {
  return trash_->ListTrash(actor, std::move(after), limit);
}
Result<Community> CommunitiesService::Restore(const Actor& actor, const CommunityUuid& uuid) {
  return trash_->Restore(actor, uuid);
}
Status CommunitiesService::Purge(const Actor& actor, const CommunityUuid& uuid) {
  return trash_->Purge(actor, uuid);
}
Result<int64_t> CommunitiesService::PurgeExpired(Millis now) { return trash_->PurgeExpired(now); }

Result<Page<Member>> CommunitiesService::ListMembers(const Actor& actor, const CommunityUuid& uuid,
                                                     std::optional<Role> role, std::string after,
                                                     int limit) {
  return membership_->ListMembers(actor, uuid, role, std::move(after), limit);
}
Result<Member> CommunitiesService::GetMember(const Actor& actor, const CommunityUuid& uuid,
                                             const UserId& user) {
  return membership_->GetMember(actor, uuid, user);
}
Result<std::vector<Member>> CommunitiesService::AddMembers(const Actor& actor,
                                                           const CommunityUuid& uuid,
                                                           const std::vector<std::string>& users,
                                                           Role role) {
  return membership_->AddMembers(actor, uuid, users, role);
}
Result<Member> CommunitiesService::SetRole(const Actor& actor, const CommunityUuid& uuid,
                                           const UserId& user, Role role) {
  return membership_->SetRole(actor, uuid, user, role);
}
Status CommunitiesService::RemoveMember(const Actor& actor, const CommunityUuid& uuid,
                                        const UserId& user) {
  return membership_->RemoveMember(actor, uuid, user);
}

Result<std::vector<Widget>> CommunitiesService::ListWidgets(const Actor& actor,
                                                            const CommunityUuid& uuid) {
  return widgets_->ListWidgets(actor, uuid);
}
Result<Widget> CommunitiesService::AddWidget(const Actor& actor, const CommunityUuid& uuid,
                                             const std::string& widget_def_id,
                                             std::optional<std::string> ui_location) {
  return widgets_->AddWidget(actor, uuid, widget_def_id, std::move(ui_location));
}
Status CommunitiesService::RemoveWidget(const Actor& actor, const CommunityUuid& uuid,
                                        const WidgetInstanceId& id) {
  return widgets_->RemoveWidget(actor, uuid, id);
}
Result<int64_t> CommunitiesService::RemoveAllWidgets(const Actor& actor,
                                                     const std::string& widget_def_id) {
  return widgets_->RemoveAllWidgets(actor, widget_def_id);
}

Result<User> CommunitiesService::CreateUser(const Actor& actor, NewUser user) {
  return users_->CreateUser(actor, std::move(user));
}
Result<Page<User>> CommunitiesService::ListUsers(const Actor& actor, std::string after, int limit) {
  return users_->ListUsers(actor, std::move(after), limit);
}
Result<User> CommunitiesService::GetUser(const Actor& actor, const std::string& ref) {
  return users_->GetUser(actor, ref);
}
Result<User> CommunitiesService::SetUserDisabled(const Actor& actor, const UserId& id,
                                                 bool disabled) {
  return users_->SetUserDisabled(actor, id, disabled);
}
Result<User> CommunitiesService::Verify(std::string_view login, std::string_view password) {
  return users_->Verify(login, password);
}
Result<bool> CommunitiesService::EnsureInitialAdmin(
    const std::function<Status(const std::string&)>& persist) {
  return users_->EnsureInitialAdmin(persist);
}
Status CommunitiesService::EnsureServiceAccount(
    const std::string& login, const std::function<Status(const std::string&)>& persist) {
  return users_->EnsureServiceAccount(login, persist);
}
Result<StartedSession> CommunitiesService::StartSession(const Actor& actor) {
  return users_->StartSession(actor);
}
Result<WebSession> CommunitiesService::FindSession(std::string_view token) {
  return users_->FindSession(token);
}
Status CommunitiesService::EndSession(std::string_view token) { return users_->EndSession(token); }
Result<bool> CommunitiesService::RetireServiceAccount(const std::string& login) {
  return users_->RetireServiceAccount(login);
}
Status CommunitiesService::RestoreServiceAccount(const std::string& login,
                                                 const std::string& password) {
  return users_->RestoreServiceAccount(login, password);
}
void CommunitiesService::OnCredentialsChanged(std::function<void()> callback) {
  users_->OnCredentialsChanged(std::move(callback));
}

Result<std::vector<SyncState>> CommunitiesService::SyncStates(const Actor& actor,
                                                              const std::string& widget_def_id,
                                                              const std::string& after, int limit) {
  return sync_->SyncStates(actor, widget_def_id, after, limit);
}
Result<std::vector<SyncState>> CommunitiesService::SyncLookup(
    const Actor& actor, const std::string& widget_def_id, const std::vector<std::string>& uuids) {
  return sync_->SyncLookup(actor, widget_def_id, uuids);
}
Result<CommunitiesService::ResyncOutcome> CommunitiesService::Resync(
    const Actor& actor, const std::vector<CommunityUuid>& communities,
    const std::optional<std::string>& widget_def_id, std::chrono::milliseconds wait) {
  return sync_->Resync(actor, communities, widget_def_id, wait);
}
Result<Widget> CommunitiesService::AssignRemoteApp(
    const Actor& actor, const std::string& remote_app_def_id, const std::string& resource_id,
    const CommunityUuid& old_community, const CommunityUuid& new_community,
    const std::string& ui_location, std::chrono::milliseconds wait) {
  return sync_->AssignRemoteApp(actor, remote_app_def_id, resource_id, old_community, new_community,
                                ui_location, wait);
}

Status CommunitiesService::ValidateQueuedEventFilter(const QueuedEventFilter& filter) {
  return domain::QueueAdministration::ValidateQueuedEventFilter(filter);
}
Result<std::vector<QueueSummary>> CommunitiesService::QueuedEventsSummary(const Actor& actor) {
  return queue_->QueuedEventsSummary(actor);
}
Result<Page<QueuedEvent>> CommunitiesService::ListQueuedEvents(const Actor& actor,
                                                               const QueuedEventFilter& filter,
                                                               const std::string& after,
                                                               int limit) {
  return queue_->ListQueuedEvents(actor, filter, after, limit);
}
Result<int64_t> CommunitiesService::ClearQueuedEvents(const Actor& actor,
                                                      const QueuedEventFilter& filter) {
  return queue_->ClearQueuedEvents(actor, filter);
}
Result<int64_t> CommunitiesService::TrimEventLog(Millis before) {
  return queue_->TrimEventLog(before);
}
Result<CommunitiesService::EventLogBounds> CommunitiesService::EventLog(const Actor& actor) {
  return queue_->EventLog(actor);
}
Result<CommunitiesService::EventLogPage> CommunitiesService::ListEventLog(
    const Actor& actor, const std::optional<std::string>& remote_app_def_id, int64_t after_seq,
    int limit) {
  return queue_->ListEventLog(actor, remote_app_def_id, after_seq, limit);
}
Status CommunitiesService::AdvanceEventSequence(const Actor& actor, int64_t at_least,
                                                int64_t versions_at_least) {
  return queue_->AdvanceEventSequence(actor, at_least, versions_at_least);
}

}  // namespace concord::communities
