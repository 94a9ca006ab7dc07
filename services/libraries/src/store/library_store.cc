#include "store/library_store.h"

namespace concord::libraries::store {
namespace {

Result<std::vector<Document>> ReadDocuments(db::Rows r) {
  std::vector<Document> out;
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
    if (!has) break;
    out.push_back(
        Document{r.Text(0), r.Text(1), r.Text(2), r.Text(3), UserId(r.Text(4)), r.Int(5)});
  }
  return out;
}

}  // namespace

Status LibraryStore::InsertLibrary(db::Connection& c, const Library& l) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "INSERT INTO libraries (id, community_uuid, title, created) VALUES ($1, $2, $3, $4)", l.id,
      l.community, l.title, l.created));
  return Ok();
}

Result<std::optional<Library>> LibraryStore::FindLibrary(db::Connection& c,
                                                         const std::string& id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query("SELECT id, community_uuid, title, created, trashed_at FROM libraries WHERE id = $1",
              id));
  CONCORD_ASSIGN_OR_RETURN(bool has, r.Next());
  if (!has) return std::optional<Library>{};
  return std::optional(
      Library{r.Text(0), CommunityUuid(r.Text(1)), r.Text(2), r.Int(3), r.OptInt(4)});
}

Status LibraryStore::TrashLibrary(db::Connection& c, const std::string& id, Millis when) const {
  CONCORD_RETURN_IF_ERROR(c.Execute(
      "UPDATE libraries SET trashed_at = $2 WHERE id = $1 AND trashed_at IS NULL", id, when));
  return Ok();
}

Status LibraryStore::InsertDocument(db::Connection& c, const Document& d) const {
  CONCORD_RETURN_IF_ERROR(
      c.Execute("INSERT INTO documents (id, library_id, title, content, author, created) VALUES "
                "($1, $2, $3, $4, $5, $6)",
                d.id, d.library_id, d.title, d.content, d.author, d.created));
  return Ok();
}

Result<std::optional<Document>> LibraryStore::FindDocument(db::Connection& c,
                                                           const std::string& id) const {
  CONCORD_ASSIGN_OR_RETURN(
      db::Rows r,
      c.Query("SELECT id, library_id, title, content, author, created FROM documents WHERE id = $1",
              id));
  CONCORD_ASSIGN_OR_RETURN(auto all, ReadDocuments(std::move(r)));
  if (all.empty()) return std::optional<Document>{};
  return std::optional(all[0]);
}

Result<std::vector<Document>> LibraryStore::Documents(db::Connection& c,
                                                      const std::string& library_id,
                                                      const std::string& after, int limit) const {
  CONCORD_ASSIGN_OR_RETURN(db::Rows r, c.Query("SELECT id, library_id, title, content, author, "
                                               "created FROM documents WHERE library_id = $1 "
                                               "AND id > $2 ORDER BY id LIMIT $3",
                                               library_id, after, limit));
  return ReadDocuments(std::move(r));
}

Status LibraryStore::DeleteDocument(db::Connection& c, const std::string& id) const {
  CONCORD_RETURN_IF_ERROR(c.Execute("DELETE FROM documents WHERE id = $1", id));
  return Ok();
}

}  // namespace concord::libraries::store
