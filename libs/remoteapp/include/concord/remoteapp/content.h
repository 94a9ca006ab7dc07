#pragma once
// The content most applications keep, once: a community's containers (a blog, a forum, a wiki, a
// library, a status board: rows of the application's resource table) and the authored items
// that hang on them (entries, topics, status updates, documents) or on each other (comments,
// replies). An application describes its kinds of item; the rules every one of them follows
// live here:
//
// - a container or item the caller may not see does not exist for the caller (kNotFound), as
//   RemoteApplication::AccessToCommunity decides by the application's synced record;
// - readers read, members (kContribute) add items, the community's owners own its containers;
// - an item's author and the community's owners delete it.
//
// Domain code: no HTTP, no SQL (src/store/content_store.cc holds that). Every call runs in the
// caller's transaction on the application's database.
//
//   const remoteapp::ItemKind kTopics{.noun = "topic", .a_noun = "a topic", .table = "topics",
//                                     .parent_column = "forum_id", .titled = true, ...};
//   remoteapp::Content content(app, {.noun = "forum", ...});
//   CONCORD_ASSIGN_OR_RETURN(auto page, content.Items(c, who, kTopics, forum_id, after));

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "concord/base/clock.h"
#include "concord/base/error.h"
#include "concord/base/ids.h"
#include "concord/base/principal.h"
#include "concord/db/database.h"
#include "concord/lifecycle/events.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::remoteapp {

// A row of the application's resource table (AppDefinition::ResourceTable).
struct Container {
  std::string id;
  std::string app;  // its remoteAppDefId
  CommunityUuid community;
  std::string title;  // "" where the table has no title column
  Millis created = 0;
  std::optional<Millis> trashed_at;
};

// A container as one caller may see it.
struct Visible {
  Container container;
  // The application's record of the community; for an orphan (no record: administrators only)
  // just the community and the remoteAppDefId.
  SyncedCommunity record;
  Access access = Access::kNone;
};

// An authored item: on a container (parent = the container's id) or on another item.
struct Item {
  std::string id;
  std::string parent_id;
  UserId author;
  std::string title;  // "" for a kind without titles
  std::string content;
  Millis created = 0;
  std::vector<int64_t> counts;  // one per ItemKind::counts, when read
};

// A kind of item: what it is called, where it is kept, and what a new one must satisfy.
struct ItemKind {
  std::string noun;    // "topic": "topic <id> not found"
  std::string a_noun;  // "a topic": "only the author and the community's owners delete a topic"
  // Its table (columns id, <parent_column>, author, content, created, and title when `titled`)
  // and the column naming its parent. Compile-time names only.
  std::string table;
  std::string parent_column;
  bool titled = false;
  // Counted with each item: rows of `table` whose `column` is the item's id (votes, comments).
  struct Count {
    std::string table;
    std::string column;
  };
  std::vector<Count> counts;
  // A new item: the title (when titled) is one line of at most kTitleLength characters; the
  // content at most `content_length` characters, one line unless `multiline`, and required
  // unless `content_optional`.
  size_t content_length = 20000;
  bool multiline = false;
  bool content_optional = false;
  // Why a reader (not a member) may not add one: "only members of the community start topics".
  std::string add_denied;
};

inline constexpr size_t kTitleLength = 256;

// A container kind: the application's resource table, as its content API names it.
struct ContainerKind {
  std::string noun;    // "forum", "status board"
  std::string plural;  // "forums": "only the community's owners create forums"
  // The item a new container gets from `concord populate` (sample data); none when `kind` is
  // null. Its title and content are written with the community's name in place of {}.
  struct Sample {
    const ItemKind* kind = nullptr;
    std::string title;
    std::string content;
  } sample;
  // Or, for content that is not items (a wiki's pages): writes the sample itself.
  std::function<Status(db::Connection&, const std::string& container_id,
                       const lifecycle::LifecycleEvent&)>
      add_sample;
  // remote.app.removed sends every container of the community to the trash, not only the
  // widget's (Forums: a community may own several).
  bool trash_all_of_community = false;
};

// Checks a new item's title and content against its kind (kInvalidArgument naming the field).
struct ItemText {
  std::string title;
  std::string content;
};
Result<ItemText> ValidItemText(const ItemKind& kind, const std::string& title,
                               const std::string& content);

// PermissionDenied(`message`) unless `have` is at least `need`.
Status Require(Access have, Access need, std::string_view message);

class Content final : public ResourceHooks {
 public:
  // Over `app`, whose definition names the resource table; `app` must outlive this.
  Content(RemoteApplication& app, ContainerKind kind);

  RemoteApplication& application() { return app_; }
  const ContainerKind& kind() const { return kind_; }

  // ResourceHooks: a container per widget, titled with the community's name; to the trash on
  // removal; the sample item.
  Result<std::string> CreateResource(db::Connection& c, const std::string& app,
                                     const lifecycle::LifecycleEvent& event) override;
  Status RemoveResource(db::Connection& c, const std::string& app,
                        const std::string& resource_id) override;
  // Only that container, even where RemoveResource trashes all of the community's.
  Status TrashResource(db::Connection& c, const std::string& app,
                       const std::string& resource_id) override;
  Status AddSampleContent(db::Connection& c, const std::string& app, const std::string& resource_id,
                          const lifecycle::LifecycleEvent& event) override;

  // The container as `who` may see it: kNotFound ("<noun> <id> not found") when it does not
  // exist, is in the trash, or belongs to a community `who` may not see.
  Result<Visible> Container(db::Connection& c, const Principal& who, const std::string& id);
  // The containers of `community` (for `app`), not in the trash, oldest first: kNotFound when
  // `who` may not see the community, or when the application does not know it.
  struct OfCommunity {
    std::vector<remoteapp::Container> containers;
    Access access = Access::kNone;
  };
  Result<OfCommunity> ContainersOf(db::Connection& c, const Principal& who, const std::string& app,
                                   const CommunityUuid& community);
  // A new container of `community` (owners only), besides the one its widget made.
  Result<remoteapp::Container> AddContainer(db::Connection& c, const Principal& who,
                                            const std::string& app, const CommunityUuid& community,
                                            std::string title);
  // To the application's trash (owners only).
  Status TrashContainer(db::Connection& c, const Principal& who, const std::string& id);

  // A page of a container's items, by id after `after` (kPageSize + 1 rows: see PageJson).
  Result<std::vector<Item>> Items(db::Connection& c, const Principal& who, const ItemKind& kind,
                                  const std::string& container_id, const std::string& after);
  // The item, and the container it hangs on as `who` may see it: kNotFound ("<noun> <id> not
  // found") when either does not exist for `who`.
  struct Loaded {
    Item item;
    Visible container;
  };
  Result<Loaded> LoadItem(db::Connection& c, const Principal& who, const ItemKind& kind,
                          const std::string& id);
  // The items on item `parent_id` (comments, replies), oldest first, at most 1,000.
  Result<std::vector<Item>> Thread(db::Connection& c, const ItemKind& kind,
                                   const std::string& parent_id);
  // Adds an item by `who` to a container (members only; `add_denied` otherwise).
  Result<Item> Add(db::Connection& c, const Principal& who, const ItemKind& kind,
                   const Visible& container, ItemText text);
  // Adds `kind` on item `parent` of `parent_kind` (a comment, a reply): members only.
  Result<Item> AddOn(db::Connection& c, const Principal& who, const ItemKind& parent_kind,
                     const std::string& parent_id, const ItemKind& kind, ItemText text);
  // Deletes the item and what hangs on it: its author and the community's owners only.
  Status Delete(db::Connection& c, const Principal& who, const ItemKind& kind,
                const std::string& id);
  // The item as stored now (after a change to what it counts).
  Result<std::optional<Item>> Find(db::Connection& c, const ItemKind& kind, const std::string& id);

 private:
  RemoteApplication& app_;
  ContainerKind kind_;
};

// An application whose content is containers and items: its RemoteApplication (synced record,
// lifecycle handler, export, resource administration) with its Content as the resource hooks.
class ContentApplication {
 public:
  ContentApplication(AppDefinition definition, ContainerKind kind,
                     std::shared_ptr<db::Database> database)
      : database_(database),
        content_(app_, std::move(kind)),
        app_(std::move(definition), std::move(database), content_) {}
  ContentApplication(const ContentApplication&) = delete;
  ContentApplication& operator=(const ContentApplication&) = delete;

  RemoteApplication& application() { return app_; }
  Content& content() { return content_; }
  const std::shared_ptr<db::Database>& database() const { return database_; }

 private:
  std::shared_ptr<db::Database> database_;
  Content content_;  // constructed first: it only keeps a reference to app_
  RemoteApplication app_;
};

// The author of sample content for a community: its first owner, else the event's actor.
UserId SampleAuthor(const lifecycle::LifecycleEvent& event);

}  // namespace concord::remoteapp
