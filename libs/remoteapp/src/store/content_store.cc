#include "store/content_store.h"

namespace concord::remoteapp::store {
namespace {

// id, parent, author, title, content, created, then one count per kind.counts.
std::string ItemSelect(const ItemKind& k) {
  std::string sql = "SELECT t.id, t." + k.parent_column + ", t.author, " +
                    (k.titled ? "t.title" : "''") + ", t.content, t.created";
  for (const auto& n : k.counts) {
    sql += ", (SELECT COUNT(*) FROM " + n.table + " n WHERE n." + n.column + " = t.id)";
  }
  return sql + " FROM " + k.table + " t ";
}

Item ItemFromRow(const ItemKind& k, const db::Rows& r) {
  Item i{r.Text(0), r.Text(1), UserId(r.Text(2)), r.Text(3), r.Text(4), r.Int(5), {}};
  for (size_t n = 0; n < k.counts.size(); ++n) i.counts.push_back(r.Int(6 + static_cast<int>(n)));
  return i;
}

Result<std::vector<Item>> AllItems(const ItemKind& k, db::Rows r) {
  std::vector<Item> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(ItemFromRow(k, r));
  }
  return out;
}

Container ContainerFromRow(const db::Rows& r, const std::string& app) {
  std::string row_app = r.Text(1);
  return Container{
      r.Text(0),  row_app.empty() ? app : row_app, CommunityUuid(r.Text(2)), r.Text(3), r.Int(4),
      r.OptInt(5)};
}

}  // namespace

ContainerStore::ContainerStore(AppDefinition::ResourceTable table, std::string app)
    : table_(std::move(table)),
      app_(std::move(app)),
      select_("SELECT id, " + (table_.app_column.empty() ? "''" : table_.app_column) +
              ", community_uuid, " + (table_.title_column.empty() ? "''" : table_.title_column) +
              ", created, trashed_at FROM " + table_.table + " ") {}

Status ContainerStore::Insert(db::Connection& c, const Container& x) const {
  std::string columns = "id, community_uuid, created";
  db::Params params{x.id, x.community.value(), x.created};
  auto add = [&](const std::string& column, const std::string& value) {
    if (column.empty()) return;
    params.emplace_back(value);
    columns += ", " + column;
  };
  add(table_.title_column, x.title);
  add(table_.app_column, x.app);
  std::string values;
  for (size_t i = 1; i <= params.size(); ++i) values += (i > 1 ? ", $" : "$") + std::to_string(i);
  CONCORD_RETURN_IF_ERROR(c.ExecuteParams(
      "INSERT INTO " + table_.table + " (" + columns + ") VALUES (" + values + ")", params));
  return Ok();
}

Result<std::optional<Container>> ContainerStore::Find(db::Connection& c,
                                                      const std::string& id) const {
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(select_ + "WHERE id = $1", id));
  CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
  if (!has) return std::optional<Container>{};
  return std::optional(ContainerFromRow(r, app_));
}

Result<std::vector<Container>> ContainerStore::OfCommunity(db::Connection& c,
                                                           const std::string& app,
                                                           const CommunityUuid& community) const {
  std::string sql = select_ + "WHERE community_uuid = $1 AND trashed_at IS NULL" +
                    (table_.app_column.empty() ? "" : " AND " + table_.app_column + " = $2") +
                    " ORDER BY created, id";
  db::Params params{community.value()};
  if (!table_.app_column.empty()) params.emplace_back(app);
  CONCORD_ASSIGN_OR_RETURN(db::Rows rows, c.QueryParams(sql, params));
  std::vector<Container> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
    if (!has) break;
    out.push_back(ContainerFromRow(rows, app_));
  }
  return out;
}

Status ContainerStore::Trash(db::Connection& c, const std::string& id, Millis when) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "UPDATE " + table_.table + " SET trashed_at = $2 WHERE id = $1 AND trashed_at IS NULL", id,
      when));
  return Ok();
}

Status ItemStore::Insert(db::Connection& c, const ItemKind& k, const Item& i) const {
  std::string sql = "INSERT INTO " + k.table + " (id, " + k.parent_column +
                    ", author, content, created" + (k.titled ? ", title" : "") +
                    ") VALUES ($1, $2, $3, $4, $5" + (k.titled ? ", $6)" : ")");
  db::Params params{i.id, i.parent_id, i.author.value(), i.content, i.created};
  if (k.titled) params.emplace_back(i.title);
  CONCORD_RETURN_IF_ERROR(c.ExecuteParams(sql, params));
  return Ok();
}

Result<std::optional<Item>> ItemStore::Find(db::Connection& c, const ItemKind& k,
                                            const std::string& id) const {
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(ItemSelect(k) + "WHERE t.id = $1", id));
  CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
  if (!has) return std::optional<Item>{};
  return std::optional(ItemFromRow(k, r));
}

Result<std::vector<Item>> ItemStore::Page(db::Connection& c, const ItemKind& k,
                                          const std::string& parent_id, const std::string& after,
                                          int limit) const {
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(ItemSelect(k) + "WHERE t." + k.parent_column +
                                                   " = $1 AND t.id > $2 ORDER BY t.id LIMIT $3",
                                               parent_id, after, limit));
  return AllItems(k, std::move(r));
}

Result<std::vector<Item>> ItemStore::Thread(db::Connection& c, const ItemKind& k,
                                            const std::string& parent_id, int limit) const {
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(ItemSelect(k) + "WHERE t." + k.parent_column +
                                                   " = $1 ORDER BY t.created, t.id LIMIT $2",
                                               parent_id, limit));
  return AllItems(k, std::move(r));
}

Status ItemStore::Delete(db::Connection& c, const ItemKind& k, const std::string& id) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM " + k.table + " WHERE id = $1", id));
  return Ok();
}

}  // namespace concord::remoteapp::store
