#include "concord/remoteapp/content.h"

#include <fmt/format.h>

#include "concord/base/text.h"
#include "store/content_store.h"

namespace concord::remoteapp {
namespace {

const store::ItemStore kItems;

std::string WithCommunityName(const std::string& text, const lifecycle::LifecycleEvent& e) {
  std::string out = text;
  if (auto at = out.find("{}"); at != std::string::npos) out.replace(at, 2, e.community.name);
  return out;
}

}  // namespace

Result<ItemText> ValidItemText(const ItemKind& kind, const std::string& title,
                               const std::string& content) {
  ItemText out;
  if (kind.titled) {
    CONCORD_ASSIGN_OR_RETURN(out.title, ValidSingleLine(title, "title", kTitleLength));
  }
  if (kind.multiline) {
    CONCORD_ASSIGN_OR_RETURN(out.content, ValidText(content, "content", kind.content_length));
  } else {
    CONCORD_ASSIGN_OR_RETURN(out.content, ValidSingleLine(content, "content", kind.content_length));
  }
  return out;
}

Status Require(Access have, Access need, std::string_view message) {
  if (have < need) return PermissionDenied(std::string(message));
  return Ok();
}

UserId SampleAuthor(const lifecycle::LifecycleEvent& e) {
  return e.community.owners.empty() ? e.actor : e.community.owners.front();
}

Content::Content(RemoteApplication& app, ContainerKind kind) : app_(app), kind_(std::move(kind)) {}

namespace {
// The application's resource table; a table without an app column serves the application's one
// remoteAppDefId.
store::ContainerStore Containers(const RemoteApplication& app) {
  return store::ContainerStore(app.definition().resources,
                               app.definition().remote_app_defs.front());
}
}  // namespace

Result<std::string> Content::CreateResource(db::Connection& c, const std::string& app,
                                            const lifecycle::LifecycleEvent& e) {
  remoteapp::Container x{NewUuid(), app, e.community.uuid, e.community.name, NowMillis(), {}};
  CONCORD_RETURN_IF_ERROR(Containers(app_).Insert(c, x));
  return x.id;
}

Status Content::RemoveResource(db::Connection& c, const std::string& app, const std::string& id) {
  auto containers = Containers(app_);
  if (kind_.trash_all_of_community) {
    CONCORD_ASSIGN_OR_RETURN(auto x, containers.Find(c, id));
    if (!x) return Ok();
    CONCORD_ASSIGN_OR_RETURN(auto all, containers.OfCommunity(c, app, x->community));
    for (const auto& other : all)
      CONCORD_RETURN_IF_ERROR(containers.Trash(c, other.id, NowMillis()));
  }
  return containers.Trash(c, id, NowMillis());  // to the application's trash, as the reference's
}

Status Content::TrashResource(db::Connection& c, const std::string&, const std::string& id) {
  return Containers(app_).Trash(c, id, NowMillis());
}

Status Content::AddSampleContent(db::Connection& c, const std::string&, const std::string& id,
                                 const lifecycle::LifecycleEvent& e) {
  if (kind_.add_sample) return kind_.add_sample(c, id, e);
  const auto& s = kind_.sample;
  if (!s.kind) return Ok();
  return kItems.Insert(c, *s.kind,
                       Item{NewUuid(),
                            id,
                            SampleAuthor(e),
                            WithCommunityName(s.title, e),
                            WithCommunityName(s.content, e),
                            NowMillis(),
                            {}});
}

Result<Visible> Content::Container(db::Connection& c, const Principal& who, const std::string& id) {
  CONCORD_ASSIGN_OR_RETURN(auto x, Containers(app_).Find(c, id));
  if (!x || x->trashed_at)
    return NotFound(fmt::format("{} {} not found", kind_.noun, id.substr(0, 60)));
  CONCORD_ASSIGN_OR_RETURN(auto a,
                           app_.AccessToCommunity(c, x->app, x->community, who, kind_.noun, id));
  auto record = a.record.value_or(SyncedCommunity{x->community, x->app});
  return Visible{*x, std::move(record), a.access};
}

Result<Content::OfCommunity> Content::ContainersOf(db::Connection& c, const Principal& who,
                                                   const std::string& app,
                                                   const CommunityUuid& community) {
  CONCORD_ASSIGN_OR_RETURN(
      auto a, app_.AccessToCommunity(c, app, community, who, "community", community.value()));
  OfCommunity out;
  out.access = a.access;
  CONCORD_ASSIGN_OR_RETURN(out.containers, Containers(app_).OfCommunity(c, app, community));
  return out;
}

Result<remoteapp::Container> Content::AddContainer(db::Connection& c, const Principal& who,
                                                   const std::string& app,
                                                   const CommunityUuid& community,
                                                   std::string title) {
  CONCORD_ASSIGN_OR_RETURN(
      auto a, app_.AccessToCommunity(c, app, community, who, "community", community.value()));
  if (!a.record) {
    return NotFound(fmt::format("community {} has no {}", community.value(), kind_.plural));
  }
  CONCORD_RETURN_IF_ERROR(Require(
      a.access, Access::kOwn, fmt::format("only the community's owners create {}", kind_.plural)));
  remoteapp::Container x{NewUuid(), app, community, std::move(title), NowMillis(), {}};
  CONCORD_RETURN_IF_ERROR(Containers(app_).Insert(c, x));
  return x;
}

Status Content::TrashContainer(db::Connection& c, const Principal& who, const std::string& id) {
  CONCORD_ASSIGN_OR_RETURN(Visible v, Container(c, who, id));
  CONCORD_RETURN_IF_ERROR(Require(
      v.access, Access::kOwn, fmt::format("only the community's owners delete {}", kind_.plural)));
  return Containers(app_).Trash(c, id, NowMillis());
}

Result<std::vector<Item>> Content::Items(db::Connection& c, const Principal& who,
                                         const ItemKind& kind, const std::string& container_id,
                                         const std::string& after) {
  CONCORD_ASSIGN_OR_RETURN(Visible v, Container(c, who, container_id));
  return kItems.Page(c, kind, v.container.id, after, static_cast<int>(kPageSize) + 1);
}

Result<Content::Loaded> Content::LoadItem(db::Connection& c, const Principal& who,
                                          const ItemKind& kind, const std::string& id) {
  Item item;
  CONCORD_ASSIGN_OR_RETURN(
      Visible v, LoadChild(
                     kind.noun, id, [&] { return kItems.Find(c, kind, id); },
                     [&](const Item& x) { return Container(c, who, x.parent_id); }, item));
  return Loaded{std::move(item), std::move(v)};
}

Result<std::vector<Item>> Content::Thread(db::Connection& c, const ItemKind& kind,
                                          const std::string& parent_id) {
  return kItems.Thread(c, kind, parent_id, 1000);
}

namespace {

// A new item by `who` on `parent_id`, where `who` has `access`: members only.
Result<Item> AddItem(db::Connection& c, const Principal& who, Access access, const ItemKind& kind,
                     const std::string& parent_id, ItemText text) {
  CONCORD_RETURN_IF_ERROR(Require(access, Access::kContribute, kind.add_denied));
  Item item{NewUuid(),
            parent_id,
            who.id,
            std::move(text.title),
            std::move(text.content),
            NowMillis(),
            std::vector<int64_t>(kind.counts.size(), 0)};
  CONCORD_RETURN_IF_ERROR(kItems.Insert(c, kind, item));
  return item;
}

}  // namespace

Result<Item> Content::Add(db::Connection& c, const Principal& who, const ItemKind& kind,
                          const Visible& container, ItemText text) {
  return AddItem(c, who, container.access, kind, container.container.id, std::move(text));
}

Result<Item> Content::AddOn(db::Connection& c, const Principal& who, const ItemKind& parent_kind,
                            const std::string& parent_id, const ItemKind& kind, ItemText text) {
  CONCORD_ASSIGN_OR_RETURN(Loaded parent, LoadItem(c, who, parent_kind, parent_id));
  return AddItem(c, who, parent.container.access, kind, parent.item.id, std::move(text));
}

Status Content::Delete(db::Connection& c, const Principal& who, const ItemKind& kind,
                       const std::string& id) {
  CONCORD_ASSIGN_OR_RETURN(Loaded l, LoadItem(c, who, kind, id));
  if (l.container.access != Access::kOwn && l.item.author != who.id) {
    return PermissionDenied(
        fmt::format("only the author and the community's owners delete {}", kind.a_noun));
  }
  return kItems.Delete(c, kind, l.item.id);
}

Result<std::optional<Item>> Content::Find(db::Connection& c, const ItemKind& kind,
                                          const std::string& id) {
  return kItems.Find(c, kind, id);
}

}  // namespace concord::remoteapp
