#pragma once
// All of the Libraries service's SQL.

#include <optional>
#include <string>
#include <vector>

#include "concord/base/clock.h"
#include "concord/db/database.h"

namespace concord::libraries::store {

struct Library {
  std::string id;
  CommunityUuid community;
  std::string title;
  Millis created = 0;
  std::optional<Millis> trashed_at;
};

struct Document {
  std::string id;
  std::string library_id;
  std::string title;
  std::string content;
  UserId author;
  Millis created = 0;
};

class LibraryStore {
 public:
  Status InsertLibrary(db::Connection& c, const Library& l) const;
  Result<std::optional<Library>> FindLibrary(db::Connection& c, const std::string& id) const;
  Status TrashLibrary(db::Connection& c, const std::string& id, Millis when) const;
  Status InsertDocument(db::Connection& c, const Document& d) const;
  Result<std::optional<Document>> FindDocument(db::Connection& c, const std::string& id) const;
  Result<std::vector<Document>> Documents(db::Connection& c, const std::string& library_id,
                                          const std::string& after, int limit) const;
  Status DeleteDocument(db::Connection& c, const std::string& id) const;
};

}  // namespace concord::libraries::store
