#include "domain/wikis.h"

#include <fmt/format.h>

#include "concord/wikis/wikis.h"

namespace concord::wikis::domain {
namespace {

using remoteapp::Access;

const store::PageStore kPages;

// The home page every new wiki gets from `concord populate`.
Status AddHomePage(db::Connection& c, const std::string& wiki_id,
                   const lifecycle::LifecycleEvent& e) {
  Millis now = NowMillis();
  UserId author = remoteapp::SampleAuthor(e);
  return kPages.InsertPage(c, Page{NewUuid(), wiki_id, "Home", author, now, 1,
                                   "The " + e.community.name + " wiki.", author, now});
}

}  // namespace

const remoteapp::ContainerKind& Wikis() {
  static const remoteapp::ContainerKind kWikis{
      .noun = "wiki", .plural = "wikis", .add_sample = AddHomePage};
  return kWikis;
}

remoteapp::AppDefinition Definition() {
  return remoteapp::Define(Describe(), {"wikis", "title", ""});
}

Result<WikiPages::Loaded> WikiPages::Load(db::Connection& c, const Principal& who,
                                          const std::string& page_id) {
  Page page;
  CONCORD_ASSIGN_OR_RETURN(
      remoteapp::Visible wiki,
      remoteapp::LoadChild(
          "page", page_id, [&] { return kPages.FindPage(c, page_id); },
          [&](const Page& p) { return content_.Container(c, who, p.wiki_id); }, page));
  return Loaded{std::move(page), std::move(wiki)};
}

Result<std::vector<Page>> WikiPages::Pages(db::Connection& c, const Principal& who,
                                           const std::string& wiki_id, const std::string& after) {
  CONCORD_ASSIGN_OR_RETURN(remoteapp::Visible wiki, content_.Container(c, who, wiki_id));
  return kPages.Pages(c, wiki.container.id, after, static_cast<int>(remoteapp::kPageSize) + 1);
}

Result<Page> WikiPages::Create(db::Connection& c, const Principal& who, const std::string& wiki_id,
                               const std::string& title, const std::string& text) {
  CONCORD_ASSIGN_OR_RETURN(remoteapp::Visible wiki, content_.Container(c, who, wiki_id));
  CONCORD_RETURN_IF_ERROR(remoteapp::Require(wiki.access, Access::kContribute,
                                             "only members of the community write in its wiki"));
  Millis now = NowMillis();
  Page p{NewUuid(), wiki.container.id, title, who.id, now, 1, text, who.id, now};
  if (auto s = kPages.InsertPage(c, p); !s) {
    if (s.error().code == ErrorCode::kAlreadyExists) {
      return std::unexpected(Error{ErrorCode::kAlreadyExists,
                                   fmt::format("the wiki has a page titled '{}' already", title),
                                   "title",
                                   {}});
    }
    return std::unexpected(s.error());
  }
  return p;
}

Result<Page> WikiPages::Get(db::Connection& c, const Principal& who, const std::string& page_id) {
  CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, who, page_id));
  return l.page;
}

Result<Page> WikiPages::Edit(db::Connection& c, const Principal& who, const std::string& page_id,
                             const std::string& text, std::optional<int64_t> expected) {
  CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, who, page_id));
  CONCORD_RETURN_IF_ERROR(remoteapp::Require(l.wiki.access, Access::kContribute,
                                             "only members of the community edit its wiki"));
  const Page& p = l.page;
  if (expected && *expected != p.version) {
    return MakeError(ErrorCode::kAborted,
                     fmt::format("page {} is at version {}, not {}: reload it and edit again", p.id,
                                 p.version, *expected));
  }
  CONCORD_RETURN_IF_ERROR(kPages.AddVersion(c, p.id, p.version + 1, who.id, text, NowMillis()));
  CONCORD_ASSIGN_OR_RETURN(auto updated, kPages.FindPage(c, p.id));
  if (!updated) return NotFound(fmt::format("page {} not found", p.id));
  return *updated;
}

Result<std::vector<PageVersion>> WikiPages::Versions(db::Connection& c, const Principal& who,
                                                     const std::string& page_id) {
  CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, who, page_id));
  return kPages.Versions(c, l.page.id);
}

Status WikiPages::Delete(db::Connection& c, const Principal& who, const std::string& page_id) {
  CONCORD_ASSIGN_OR_RETURN(Loaded l, Load(c, who, page_id));
  if (l.wiki.access != Access::kOwn && l.page.author != who.id) {
    return PermissionDenied("only the page's author and the community's owners delete a page");
  }
  return kPages.DeletePage(c, l.page.id);
}

}  // namespace concord::wikis::domain
