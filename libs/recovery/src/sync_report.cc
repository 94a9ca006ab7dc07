#include "concord/recovery/sync_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>

#include "concord/apps/registry.h"
#include "concord/base/text.h"
#include "concord/http/client.h"
#include "concord/lifecycle/widgets.h"
#include "concord/xml/synced_resources.h"
#include "messages.h"

namespace concord::recovery {

namespace fs = std::filesystem;
using nlohmann::json;

CommunityState StateFromJson(const json& j) {
  CommunityState s;
  s.uuid = j.value("uuid", "");
  s.name = j.value("name", "");
  s.visibility = j.value("visibility", "");
  s.list_when_private = j.value("listWhenPrivate", false);
  s.theme = j.value("theme", "");
  s.owners_approve_content = j.value("ownersApproveContent", false);
  s.viewers_flag_content = j.value("viewersFlagContent", false);
  s.version = j.value("version", int64_t{0});
  s.trashed = j.value("trashed", false);
  if (j.contains("widget") && j["widget"].is_object()) {
    const auto& w = j["widget"];
    s.widget_instance_id = w.value("instanceId", "");
    if (w.contains("resourceId") && w["resourceId"].is_string()) s.resource_id = w["resourceId"];
    s.ui_location = w.value("uiLocation", "");
  }
  for (const auto& o : j.value("owners", json::array())) {
    s.owners.push_back(Owner{o.value("id", ""), o.value("login", ""), o.value("email", ""),
                             o.value("displayName", "")});
  }
  for (const auto& m : j.value("members", json::array())) s.members.push_back(m.get<std::string>());
  return s;
}

namespace {

class HttpSource : public CommunitySource {
 public:
  HttpSource(http::Client& client, int page_size) : client_(client), page_size_(page_size) {}
  Result<std::vector<CommunityState>> Page(const std::string& app,
                                           const std::string& after) override {
    std::string path =
        fmt::format("/communities/api/admin/sync/{}?limit={}", http::UrlEncode(app), page_size_);
    if (!after.empty()) path += "&after=" + after;
    CONCORD_ASSIGN_OR_RETURN(auto page, client_.Get(path));
    std::vector<CommunityState> out;
    for (const auto& i : page["items"]) out.push_back(StateFromJson(i));
    return out;
  }
  Result<std::vector<CommunityState>> Lookup(const std::string& app,
                                             const std::vector<std::string>& uuids) override {
    CONCORD_ASSIGN_OR_RETURN(
        auto r,
        client_.Post(fmt::format("/communities/api/admin/sync/{}/lookup", http::UrlEncode(app)),
                     {{"uuids", uuids}}));
    std::vector<CommunityState> out;
    for (const auto& i : r["items"]) out.push_back(StateFromJson(i));
    return out;
  }

 private:
  http::Client& client_;
  int page_size_;
};

// One output file, written under a temporary name.
class OutFile {
 public:
  explicit OutFile(fs::path final_path) : final_(std::move(final_path)) {
    temp_ = final_;
    temp_ += ".partial";
    out_.open(temp_, std::ios::binary | std::ios::trunc);
    std::error_code perm_ec;
    fs::permissions(temp_, fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace, perm_ec);
  }
  ~OutFile() {
    if (!committed_) {
      out_.close();
      std::error_code ec;
      fs::remove(temp_, ec);
    }
  }
  bool ok() const { return static_cast<bool>(out_); }
  void Write(std::string_view s) { out_.write(s.data(), static_cast<std::streamsize>(s.size())); }
  Status Close() {
    out_.close();
    if (!out_) return Unavailable(fmt::format("cannot write {} (disk full?)", temp_.string()));
    return Ok();
  }
  Status Commit() {
    std::error_code ec;
    fs::rename(temp_, final_, ec);
    if (ec) return Unavailable(fmt::format("cannot write {}: {}", final_.string(), ec.message()));
    committed_ = true;
    return Ok();
  }
  const fs::path& path() const { return final_; }

 private:
  fs::path final_, temp_;
  std::ofstream out_;
  bool committed_ = false;
};

constexpr std::string_view kStyle =
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #ccc;padding:.4em;text-align:left;vertical-align:top}"
    "th{background:#f0f0f0}code{font-size:90%}ul{margin:0;padding-left:1.2em}";

std::string H(std::string_view s) { return EscapeHtml(s); }

// A report: an HTML table and a JSON list, written row by row.
class Report {
 public:
  Report(const fs::path& dir, const std::string& app, std::string_view kind, Msg title,
         const std::string& locale, const xml::ExportHeader& header, Millis now,
         const std::vector<Msg>& columns, std::string_view json_list)
      : html_(dir / fmt::format("{}_{}.html", app, kind)),
        json_(dir / fmt::format("{}_{}.json", app, kind)),
        locale_(locale),
        json_list_(json_list) {
    std::string heading = fmt::format("{}: {}", app, Text(title, locale));
    html_.Write(fmt::format(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title>"
        "<style>{}</style></head>\n<body>\n<h1>{}</h1>\n<p>{}: {} &middot; export {} "
        "(lastAppliedEventSeq {})</p>\n<table>\n<thead><tr>",
        locale, H(heading), kStyle, H(heading), Text(Msg::kGenerated, locale), FormatTimestamp(now),
        FormatTimestamp(header.exported), header.last_applied_event_seq));
    for (Msg c : columns) html_.Write(fmt::format("<th>{}</th>", H(Text(c, locale))));
    html_.Write("</tr></thead>\n<tbody>\n");
    json head = {{"remoteAppDefId", app},
                 {"report", kind},
                 {"generated", FormatTimestamp(now)},
                 {"locale", locale},
                 {"export",
                  {{"exported", FormatTimestamp(header.exported)},
                   {"lastAppliedEventSeq", header.last_applied_event_seq},
                   {"formatVersion", header.format_version}}}};
    std::string text = head.dump(2);
    text.pop_back();  // the closing brace: the list follows
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    json_.Write(text + fmt::format(",\n  \"{}\": [", json_list_));
  }

  bool ok() const { return html_.ok() && json_.ok(); }

  void Row(const std::vector<std::string>& cells_html, const json& item) {
    html_.Write("<tr>");
    for (const auto& c : cells_html) html_.Write("<td>" + c + "</td>");
    html_.Write("</tr>\n");
    json_.Write(std::string(count_ ? "," : "") + "\n    " +
                item.dump(-1, ' ', false, json::error_handler_t::replace));
    ++count_;
  }

  Status Finish(Msg count_label, Msg none) {
    html_.Write("</tbody>\n</table>\n");
    html_.Write(count_ == 0
                    ? fmt::format("<p>{}</p>\n", H(Text(none, locale_)))
                    : fmt::format("<p>{}: {}</p>\n", H(Text(count_label, locale_)), count_));
    html_.Write("</body></html>\n");
    json_.Write(fmt::format("\n  ],\n  \"count\": {}\n}}\n", count_));
    CONCORD_RETURN_IF_ERROR(html_.Close());
    return json_.Close();
  }
  Status Commit() {
    CONCORD_RETURN_IF_ERROR(html_.Commit());
    return json_.Commit();
  }
  int64_t count() const { return count_; }
  std::vector<fs::path> files() const { return {html_.path(), json_.path()}; }

 private:
  OutFile html_, json_;
  std::string locale_;
  std::string json_list_;
  int64_t count_ = 0;
};

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// a - b, both sorted.
std::vector<std::string> Minus(const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::string Bool(bool b) { return b ? "true" : "false"; }

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The reference's command that deletes an orphan (section 9), from its application's
// description (libs/apps).
std::string DeleteCommand(const std::string& app, const xml::SyncedResource& r) {
  const apps::Application* a = apps::ByWidget(app);
  if (!a) return "";
  const apps::OrphanDeletion& o = a->orphans;
  using Shape = apps::OrphanDeletion::Shape;
  switch (o.shape) {
    case Shape::kNone: return "";
    case Shape::kFetchByCommunity:
      return fmt::format("{0}.{1}({0}.{2}({3}))", o.object, o.remove, o.fetch,
                         Quote(r.community_uuid));
    case Shape::kFetchByName:
      return fmt::format("{0}.{1}({0}.{2}({0}.{3}({4}), {5}, {6}))", o.object, o.remove, o.filter,
                         o.fetch, Quote(r.name), Quote(r.object_identifying_id),
                         Quote(std::string(o.id_key)));
    case Shape::kById:
      return fmt::format("{}.{}({})", o.object, o.remove, Quote(r.object_identifying_id));
    case Shape::kByCommunity:
      return fmt::format("{}.{}({})", o.object, o.remove, Quote(r.community_uuid));
  }
  return "";
}

std::string AssignCommand(const std::string& app, const xml::SyncedResource& r,
                          const std::string& target) {
  const auto* def = lifecycle::FindWidgetDef(app);
  return fmt::format("CommunitiesRemoteAppService.assignRemoteApp({}, {}, {}, {}, {})", Quote(app),
                     Quote(r.object_identifying_id), Quote(r.community_uuid), Quote(target),
                     Quote(def ? std::string(def->ui_location) : "col2"));
}

// An address as a mailto: URI carries it (RFC 6068): the characters that would start headers or
// a fragment, or end the attribute, percent-encoded.
std::string MailtoAddress(const std::string& email) {
  std::string out;
  for (char ch : email) {
    if (ch == '%' || ch == '?' || ch == '&' || ch == '#' || ch == '"' || ch == ' ' || ch == '<' ||
        ch == '>' || static_cast<unsigned char>(ch) < 0x20) {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(ch));
    } else {
      out += ch;
    }
  }
  return out;
}

std::string OwnersHtml(const std::vector<Owner>& owners) {
  std::string out;
  for (const auto& o : owners) {
    out += fmt::format("{}{} &lt;<a href=\"mailto:{}\">{}</a>&gt;", out.empty() ? "" : "<br>",
                       H(o.display_name), H(MailtoAddress(o.email)), H(o.email));
  }
  return out;
}

json OwnersJson(const std::vector<Owner>& owners) {
  json out = json::array();
  for (const auto& o : owners) {
    out.push_back(
        {{"id", o.id}, {"login", o.login}, {"email", o.email}, {"displayName", o.display_name}});
  }
  return out;
}

class Merger {
 public:
  Merger(const std::string& app, const std::string& locale, Report& diffs, Report& orphans,
         CommunitySource& source)
      : app_(app), locale_(locale), diffs_(diffs), orphans_(orphans), source_(source) {}

  // The export's resource and Communities' community with the widget, same uuid.
  Status Both(const xml::SyncedResource& x, const CommunityState& c) {
    if (c.resource_id && *c.resource_id != x.object_identifying_id) {
      CONCORD_RETURN_IF_ERROR(Orphan(x, &c, Msg::kReasonBoundElsewhere));
      return Missing(c);
    }
    json attrs = json::array();
    std::vector<std::string> rows;
    auto diff = [&](const char* attribute, const std::string& in_communities,
                    const std::string& in_app) {
      if (in_communities == in_app) return;
      attrs.push_back(
          {{"attribute", attribute}, {"communities", in_communities}, {"application", in_app}});
      rows.push_back(fmt::format("<li><code>{}</code>: {} <b>{}</b> &middot; {} <b>{}</b></li>",
                                 attribute, H(Text(Msg::kInCommunities, locale_)),
                                 H(in_communities), H(Text(Msg::kInApplication, locale_)),
                                 H(in_app)));
    };
    diff("name", c.name, x.name);
    if (!c.trashed) diff("visibility", c.visibility, x.visibility);
    diff("listWhenPrivate", Bool(c.list_when_private), Bool(x.list_when_private));
    diff("theme", c.theme, x.theme);
    diff("ownersApproveContent", Bool(c.owners_approve_content), Bool(x.owners_approve_content));
    diff("viewersFlagContent", Bool(c.viewers_flag_content), Bool(x.viewers_flag_content));
    if (!c.resource_id) diff("resourceId", "", x.object_identifying_id);
    // The widget the application's record is bound to: after a restore of Communities the
    // resource can be bound to another instance of the widget (removed and assigned back since),
    // and the application would take the restored widget's removal as not its own. (Exports
    // from before Concord wrote the attribute do not say.)
    if (x.widget_instance_id && c.widget_instance_id) {
      diff("widgetInstanceId", *c.widget_instance_id, *x.widget_instance_id);
    }
    // A community in the trash takes its resources there with it.
    diff("resourceInTrash", Bool(c.trashed), Bool(x.in_trash));
    std::vector<std::string> c_owners;
    c_owners.reserve(c.owners.size());
    for (const auto& o : c.owners) c_owners.push_back(o.id);
    c_owners = Sorted(c_owners);
    auto c_members = Sorted(c.members);
    auto x_owners = Sorted(x.owners);
    auto x_members = Sorted(x.members);
    json people = {{"ownersMissing", Minus(c_owners, x_owners)},
                   {"ownersExtra", Minus(x_owners, c_owners)},
                   {"membersMissing", Minus(c_members, x_members)},
                   {"membersExtra", Minus(x_members, c_members)}};
    bool people_differ = false;
    for (const auto& [k, v] : people.items()) people_differ = people_differ || !v.empty();
    bool trash_shows = c.trashed && c.visibility != x.visibility;
    if (attrs.empty() && !people_differ && !trash_shows) return Ok();
    Msg status = c.trashed ? Msg::kStatusTrashed : Msg::kStatusDiffers;
    return Difference(c, x.object_identifying_id, status, attrs, rows, people);
  }

  // A community whose widget's resource the application does not have.
  Status Missing(const CommunityState& c) {
    json attrs = json::array();
    json people = {{"ownersMissing", json::array()},
                   {"ownersExtra", json::array()},
                   {"membersMissing", json::array()},
                   {"membersExtra", json::array()}};
    return Difference(c, c.resource_id.value_or(""),
                      c.trashed ? Msg::kStatusTrashed : Msg::kStatusMissing, attrs, {}, people,
                      true);
  }

  // A resource with no community with the widget: looked up in batches.
  Status Unmatched(xml::SyncedResource x) {
    pending_.push_back(std::move(x));
    return pending_.size() >= 500 ? Flush() : Ok();
  }

  Status Flush() {
    if (pending_.empty()) return Ok();
    std::vector<std::string> uuids;
    uuids.reserve(pending_.size());
    for (const auto& x : pending_) uuids.push_back(x.community_uuid);
    CONCORD_ASSIGN_OR_RETURN(auto found, source_.Lookup(app_, uuids));
    for (const auto& x : pending_) {
      auto it = std::find_if(found.begin(), found.end(),
                             [&](const CommunityState& c) { return c.uuid == x.community_uuid; });
      if (it == found.end()) {
        CONCORD_RETURN_IF_ERROR(Orphan(x, nullptr, Msg::kReasonCommunityMissing));
      } else if (!it->widget_instance_id) {
        CONCORD_RETURN_IF_ERROR(Orphan(
            x, &*it, it->trashed ? Msg::kReasonCommunityTrashed : Msg::kReasonWidgetMissing));
      } else {
        CONCORD_RETURN_IF_ERROR(Orphan(x, &*it, Msg::kReasonBoundElsewhere));
      }
    }
    pending_.clear();
    return Ok();
  }

 private:
  Status Difference(const CommunityState& c, const std::string& resource, Msg status,
                    const json& attrs, const std::vector<std::string>& rows, const json& people,
                    bool missing = false) {
    std::string details;
    for (const auto& r : rows) details += r;
    auto list = [&](Msg label, const json& ids) {
      if (ids.empty()) return;
      std::vector<std::string> v = ids.get<std::vector<std::string>>();
      std::string shown;
      for (const auto& id : v) shown += (shown.empty() ? "" : ", ") + H(id);
      details += fmt::format("<li>{}: {}</li>", H(Text(label, locale_)), shown);
    };
    list(Msg::kOwnersMissing, people["ownersMissing"]);
    list(Msg::kOwnersExtra, people["ownersExtra"]);
    list(Msg::kMembersMissing, people["membersMissing"]);
    list(Msg::kMembersExtra, people["membersExtra"]);
    static const char* kStatusKey[] = {"differs", "trashed", "missingResource"};
    int status_index = status == Msg::kStatusDiffers ? 0 : status == Msg::kStatusTrashed ? 1 : 2;
    if (missing && status == Msg::kStatusTrashed)
      details += "<li>" + H(Text(Msg::kStatusMissing, locale_)) + "</li>";
    json item = {
        {"communityUuid", c.uuid},
        {"communityName", c.name},
        {"owners", OwnersJson(c.owners)},
        {"objectIdentifyingId", resource.empty() ? json(nullptr) : json(resource)},
        {"widgetInstanceId", c.widget_instance_id ? json(*c.widget_instance_id) : json(nullptr)},
        {"status", kStatusKey[status_index]},
        {"resourceMissing", missing},
        {"attributes", attrs}};
    item.update(people);
    diffs_.Row({fmt::format("{}<br><code>{}</code>", H(c.name), H(c.uuid)), OwnersHtml(c.owners),
                H(Text(status, locale_)), details.empty() ? "" : "<ul>" + details + "</ul>"},
               item);
    return Ok();
  }

  Status Orphan(const xml::SyncedResource& x, const CommunityState* c, Msg reason) {
    static const std::pair<Msg, const char*> kReasonKey[] = {
        {Msg::kReasonCommunityMissing, "communityMissing"},
        {Msg::kReasonWidgetMissing, "widgetMissing"},
        {Msg::kReasonCommunityTrashed, "communityTrashed"},
        {Msg::kReasonBoundElsewhere, "widgetBoundElsewhere"}};
    std::string key;
    for (const auto& [m, k] : kReasonKey) {
      if (m == reason) key = k;
    }
    // Same community when it exists and lacks only the widget; otherwise a new one.
    std::string target =
        reason == Msg::kReasonWidgetMissing ? x.community_uuid : "<newCommunityUuid>";
    std::string assign = AssignCommand(app_, x, target);
    std::string remove = DeleteCommand(app_, x);
    json item = {{"objectIdentifyingId", x.object_identifying_id},
                 {"oldCommunityUuid", x.community_uuid},
                 {"nameInApplication", x.name},
                 {"reason", key},
                 {"communityExists", c != nullptr},
                 {"communityTrashed", c != nullptr && c->trashed},
                 {"assignCommand", assign},
                 {"deleteCommand", remove}};
    orphans_.Row(
        {fmt::format("<code>{}</code>", H(x.object_identifying_id)),
         fmt::format("{}<br><code>{}</code>", H(x.name), H(x.community_uuid)),
         H(Text(reason, locale_)),
         fmt::format("{}: <code>{}</code><br>{}: <code>{}</code>", H(Text(Msg::kKeep, locale_)),
                     H(assign), H(Text(Msg::kDelete, locale_)), H(remove))},
        item);
    return Ok();
  }

  std::string app_, locale_;
  Report& diffs_;
  Report& orphans_;
  CommunitySource& source_;
  std::vector<xml::SyncedResource> pending_;
};

}  // namespace

std::unique_ptr<CommunitySource> HttpCommunitySource(http::Client& client, int page_size) {
  return std::make_unique<HttpSource>(client, page_size);
}

Result<std::string> ResolveLocale(const std::string& requested) {
  static const std::vector<std::string> kLocales = {"en", "de", "fr"};
  if (!requested.empty()) {
    std::string l = AsciiLower(requested.substr(0, 2));
    if (std::find(kLocales.begin(), kLocales.end(), l) == kLocales.end()) {
      return InvalidArgument("locale",
                             fmt::format("reports are written in English, German or "
                                         "French, not '{}'",
                                         requested.substr(0, 20)),
                             kLocales);
    }
    return l;
  }
  for (const char* var : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* v = std::getenv(var);
    if (!v || !*v) continue;
    std::string l = AsciiLower(std::string(v).substr(0, 2));
    if (std::find(kLocales.begin(), kLocales.end(), l) != kLocales.end()) return l;
    break;
  }
  return std::string("en");
}

Result<ReportSummary> GenerateSyncReports(const fs::path& export_file, const fs::path& out_dir,
                                          CommunitySource& source, const std::string& locale,
                                          Millis now) {
  CONCORD_ASSIGN_OR_RETURN(auto reader, xml::ExportReader::Open(export_file));
  const auto& header = reader->header();
  const std::string app = header.remote_app_def_id;
  if (!apps::FindWidget(app)) {
    return InvalidArgument(
        "syncedResourceInfoFilepath",
        fmt::format("{} is an export of '{}', which is not a remote application of this Concord",
                    export_file.string(), app),
        apps::WidgetDefIds());
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (!fs::is_directory(out_dir, ec)) {
    return InvalidArgument("outputDirPath",
                           fmt::format("cannot create the directory {}", out_dir.string()));
  }
  Report diffs(out_dir, app, "communityDifferences", Msg::kDifferencesTitle, locale, header, now,
               {Msg::kCommunity, Msg::kOwners, Msg::kStatus, Msg::kDifferences}, "differences");
  Report orphans(out_dir, app, "orphanedRemoteApplications", Msg::kOrphansTitle, locale, header,
                 now, {Msg::kObjectId, Msg::kOldCommunity, Msg::kReason, Msg::kAction}, "orphans");
  if (!diffs.ok() || !orphans.ok()) {
    return Unavailable(fmt::format("cannot write in {}", out_dir.string()));
  }
  Merger merger(app, locale, diffs, orphans, source);
  ReportSummary summary;
  summary.remote_app_def_id = app;

  std::vector<CommunityState> page;
  size_t at = 0;
  bool communities_done = false;
  std::string after;
  // The next community with the widget, or nullptr at the end.
  auto community = [&]() -> Result<const CommunityState*> {
    if (at < page.size()) return &page[at];
    if (communities_done) return nullptr;
    CONCORD_ASSIGN_OR_RETURN(page, source.Page(app, after));
    at = 0;
    if (page.empty()) {
      communities_done = true;
      return nullptr;
    }
    after = page.back().uuid;
    return &page[0];
  };
  CONCORD_ASSIGN_OR_RETURN(auto x, reader->Next());
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(const CommunityState* c, community());
    if (!x && !c) break;
    if (x && c && x->community_uuid == c->uuid) {
      CONCORD_RETURN_IF_ERROR(merger.Both(*x, *c));
      ++at;
    } else if (x && (!c || x->community_uuid < c->uuid)) {
      CONCORD_RETURN_IF_ERROR(merger.Unmatched(*x));
    } else {
      CONCORD_RETURN_IF_ERROR(merger.Missing(*c));
      ++at;
      continue;
    }
    ++summary.resources;
    CONCORD_ASSIGN_OR_RETURN(x, reader->Next());
  }
  CONCORD_RETURN_IF_ERROR(merger.Flush());
  CONCORD_RETURN_IF_ERROR(diffs.Finish(Msg::kDifferencesCount, Msg::kNoDifferences));
  CONCORD_RETURN_IF_ERROR(orphans.Finish(Msg::kOrphansCount, Msg::kNoOrphans));
  CONCORD_RETURN_IF_ERROR(diffs.Commit());
  CONCORD_RETURN_IF_ERROR(orphans.Commit());
  summary.differences = diffs.count();
  summary.orphans = orphans.count();
  summary.files = diffs.files();
  for (const auto& f : orphans.files()) summary.files.push_back(f);
  return summary;
}

}  // namespace concord::recovery
