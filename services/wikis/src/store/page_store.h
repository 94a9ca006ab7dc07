#pragma once
// The Wikis service's own SQL: pages and their versions (wikis are libs/remoteapp's containers).

#include <optional>
#include <string>
#include <vector>

#include "concord/base/clock.h"
#include "concord/db/database.h"

namespace concord::wikis::store {

struct Page {
  std::string id;
  std::string wiki_id;
  std::string title;
  UserId author;
  Millis created = 0;
  int64_t version = 0;  // the latest
  std::string content;  // of the latest version
  UserId last_author;
  Millis last_modified = 0;
};

struct PageVersion {
  int64_t version = 0;
  UserId author;
  Millis created = 0;
  size_t length = 0;
};

class PageStore {
 public:
  // A new page with its first version. kAlreadyExists if the wiki has a page of that title.
  Status InsertPage(db::Connection& c, const Page& p) const;
  Result<std::optional<Page>> FindPage(db::Connection& c, const std::string& id) const;
  Result<std::vector<Page>> Pages(db::Connection& c, const std::string& wiki_id,
                                  const std::string& after, int limit) const;
  Status AddVersion(db::Connection& c, const std::string& page_id, int64_t version,
                    const UserId& author, const std::string& content, Millis when) const;
  Result<std::vector<PageVersion>> Versions(db::Connection& c, const std::string& page_id) const;
  Status DeletePage(db::Connection& c, const std::string& id) const;
};

}  // namespace concord::wikis::store
