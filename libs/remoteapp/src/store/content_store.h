#pragma once
// The SQL of libs/remoteapp's content (content.h): containers in the application's resource
// table, items in the tables their kinds name. Table and column names come from compile-time
// definitions (AppDefinition::ResourceTable, ItemKind), never from requests.

#include <optional>
#include <string>
#include <vector>

#include "concord/remoteapp/content.h"

namespace concord::remoteapp::store {

class ContainerStore {
 public:
  // `app`: the remoteAppDefId of rows of a table without an app column.
  ContainerStore(AppDefinition::ResourceTable table, std::string app);
  Status Insert(db::Connection& c, const Container& container) const;
  Result<std::optional<Container>> Find(db::Connection& c, const std::string& id) const;
  // Not in the trash, oldest first.
  Result<std::vector<Container>> OfCommunity(db::Connection& c, const std::string& app,
                                             const CommunityUuid& community) const;
  Status Trash(db::Connection& c, const std::string& id, Millis when) const;

 private:
  AppDefinition::ResourceTable table_;
  std::string app_;
  std::string select_;  // SELECT id, app, community_uuid, title, created, trashed_at FROM <table>
};

class ItemStore {
 public:
  Status Insert(db::Connection& c, const ItemKind& kind, const Item& item) const;
  Result<std::optional<Item>> Find(db::Connection& c, const ItemKind& kind,
                                   const std::string& id) const;
  // By id after `after`, at most `limit`.
  Result<std::vector<Item>> Page(db::Connection& c, const ItemKind& kind,
                                 const std::string& parent_id, const std::string& after,
                                 int limit) const;
  // Oldest first, at most `limit`.
  Result<std::vector<Item>> Thread(db::Connection& c, const ItemKind& kind,
                                   const std::string& parent_id, int limit) const;
  Status Delete(db::Connection& c, const ItemKind& kind, const std::string& id) const;
};

}  // namespace concord::remoteapp::store
