#include "store/page_store.h"

namespace concord::wikis::store {
namespace {

// A page with its latest version.
constexpr std::string_view kPageQuery =
    "SELECT p.id, p.wiki_id, p.title, p.author, p.created, v.version, v.content, v.author, "
    "v.created "
    "FROM pages p JOIN page_versions v ON v.page_id = p.id AND v.version = "
    "(SELECT MAX(version) FROM page_versions WHERE page_id = p.id) ";

Result<std::vector<Page>> ReadPages(db::Rows r) {
  std::vector<Page> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(Page{r.Text(0), r.Text(1), r.Text(2), UserId(r.Text(3)), r.Int(4), r.Int(5),
                       r.Text(6), UserId(r.Text(7)), r.Int(8)});
  }
  return out;
}

}  // namespace

Status PageStore::InsertPage(db::Connection& c, const Page& p) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO pages (id, wiki_id, title, author, created) VALUES ($1, $2, $3, $4, $5)", p.id,
      p.wiki_id, p.title, p.author, p.created));
  return AddVersion(c, p.id, 1, p.author, p.content, p.created);
}

Result<std::optional<Page>> PageStore::FindPage(db::Connection& c, const std::string& id) const {
  static const std::string sql = std::string(kPageQuery) + "WHERE p.id = $1";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(sql, id));
  CONCORD_ASSIGN_OR_RETURN(auto pages, ReadPages(std::move(r)));
  if (pages.empty()) return std::optional<Page>{};
  return std::optional(pages[0]);
}

Result<std::vector<Page>> PageStore::Pages(db::Connection& c, const std::string& wiki_id,
                                           const std::string& after, int limit) const {
  static const std::string sql =
      std::string(kPageQuery) + "WHERE p.wiki_id = $1 AND p.id > $2 ORDER BY p.id LIMIT $3";
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query(sql, wiki_id, after, limit));
  return ReadPages(std::move(r));
}

Status PageStore::AddVersion(db::Connection& c, const std::string& page_id, int64_t version,
                             const UserId& author, const std::string& content, Millis when) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO page_versions (page_id, version, author, content, created) VALUES "
                "($1, $2, $3, $4, $5)",
                page_id, version, author, content, when));
  return Ok();
}

Result<std::vector<PageVersion>> PageStore::Versions(db::Connection& c,
                                                     const std::string& page_id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query(
          "SELECT version, author, created, LENGTH(content) FROM page_versions WHERE page_id = $1 "
          "ORDER BY version",
          page_id));
  std::vector<PageVersion> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(
        PageVersion{r.Int(0), UserId(r.Text(1)), r.Int(2), static_cast<size_t>(r.Int(3))});
  }
  return out;
}

Status PageStore::DeletePage(db::Connection& c, const std::string& id) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM pages WHERE id = $1", id));
  return Ok();
}

}  // namespace concord::wikis::store
