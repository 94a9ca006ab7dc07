#pragma once
// Wikis' content: a wiki per community (its widget's, a container of libs/remoteapp's
// content.h), its pages, and each page's versions. Rules: readers read; members write pages
// (titles unique in a wiki) and edit them, an edit naming the version it started from is refused
// when another edit came first; a page's author and the community's owners delete it.

#include <optional>
#include <vector>

#include "concord/remoteapp/content.h"
#include "store/page_store.h"

namespace concord::wikis::domain {

using store::Page;
using store::PageVersion;

const remoteapp::ContainerKind& Wikis();
remoteapp::AppDefinition Definition();

class WikiPages {
 public:
  explicit WikiPages(remoteapp::Content& content) : content_(content) {}

  // A page of the wiki's pages, by id after `after` (kPageSize + 1 rows).
  Result<std::vector<Page>> Pages(db::Connection& c, const Principal& who,
                                  const std::string& wiki_id, const std::string& after);
  // kAlreadyExists (field title) when the wiki has a page of that title.
  Result<Page> Create(db::Connection& c, const Principal& who, const std::string& wiki_id,
                      const std::string& title, const std::string& content);
  // The page as `who` may see it (kNotFound otherwise).
  Result<Page> Get(db::Connection& c, const Principal& who, const std::string& page_id);
  // A new version; kAborted when `expected_version` is given and is not the latest.
  Result<Page> Edit(db::Connection& c, const Principal& who, const std::string& page_id,
                    const std::string& content, std::optional<int64_t> expected_version);
  Result<std::vector<PageVersion>> Versions(db::Connection& c, const Principal& who,
                                            const std::string& page_id);
  Status Delete(db::Connection& c, const Principal& who, const std::string& page_id);

 private:
  struct Loaded {
    Page page;
    remoteapp::Visible wiki;
  };
  Result<Loaded> Load(db::Connection& c, const Principal& who, const std::string& page_id);
  remoteapp::Content& content_;
};

}  // namespace concord::wikis::domain
