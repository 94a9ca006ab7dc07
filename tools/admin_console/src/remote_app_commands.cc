// CommunitiesRemoteAppService (reference section 8).
#include <fmt/format.h>

#include <filesystem>

#include "command.h"
#include "concord/base/ids.h"
#include "concord/lifecycle/widgets.h"
#include "concord/recovery/sync_report.h"

namespace concord::admin {
namespace {

namespace fs = std::filesystem;

Result<fs::path> AbsolutePath(const std::string& param, const std::string& text) {
  if (text.find('\\') != std::string::npos) {
    return InvalidArgument(param, fmt::format("{} must use forward slashes: '{}'", param, text));
  }
  fs::path p(text);
  if (!p.is_absolute()) {
    return InvalidArgument(
        param, fmt::format("{} must be an absolute path, not '{}'", param, text.substr(0, 200)));
  }
  return p;
}

// Resyncs a batch; an error unless every event was delivered.
Result<int64_t> Resync(Session& s, const std::vector<std::string>& uuids,
                       const std::optional<std::string>& widget) {
  nlohmann::json body = {{"communities", uuids}};
  if (widget) body["widgetDefId"] = *widget;
  CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Post("/communities/api/admin/resync", body));
  if (r["stillQueued"].get<int64_t>() > 0) {
    return Unavailable(
        fmt::format("{} of {} resync events are not delivered yet: is every application running? "
                    "CommunitiesQEventService.viewQueuedEventsSummary() shows them",
                    r["stillQueued"].get<int64_t>(), r["events"].get<int64_t>()));
  }
  return r["events"].get<int64_t>();
}

Status CheckRemoteWidget(const std::string& id) {
  const auto* def = lifecycle::FindWidgetDef(id);
  if (!def || !def->remote) {
    return InvalidArgument("widgetDefId",
                           fmt::format("'{}' is not a remote application's widgetDefId (ids are "
                                       "case-sensitive)",
                                       id.substr(0, 60)),
                           lifecycle::RemoteWidgetDefIds());
  }
  return Ok();
}

// Every community with the widget (those in the trash too) after `after`, printing the
// reference's progress line every ten communities. Resynced 500 a call (ten a call, as the
// reference's output suggests, spent most of the time waiting for each call's deliveries); a
// line is printed only once its communities' events are delivered, so the last uuid printed is
// where restartResyncRemoteAppsForAllCommunities may resume.
Result<Value> ResyncAll(Session& s, const std::string& widget, std::string after) {
  CONCORD_RETURN_IF_ERROR(CheckRemoteWidget(widget));
  if (!after.empty() && !IsUuid(after)) {
    return InvalidArgument("lastCommunityUuid",
                           fmt::format("'{}' is not a community uuid", after.substr(0, 60)));
  }
  int64_t processed = 0;
  while (true) {
    std::string path = fmt::format("/communities/api/admin/sync/{}?limit=500", widget);
    if (!after.empty()) path += "&after=" + after;
    CONCORD_ASSIGN_OR_RETURN(auto page, s.client().Get(path));
    if (page["items"].empty()) break;
    std::vector<std::string> batch;
    for (const auto& c : page["items"]) batch.push_back(c["uuid"].get<std::string>());
    CONCORD_RETURN_IF_ERROR(Resync(s, batch, widget));
    for (size_t i = 0; i < batch.size(); ++i) {
      ++processed;
      after = batch[i];
      if (i % 10 == 9 || i + 1 == batch.size()) {
        s.Print(fmt::format("Total Processed: {}   Last processed communityUuid: {}\n", processed,
                            after));
      }
    }
  }
  s.Print("Done.\n");
  return Value(processed);
}

}  // namespace

void AddRemoteAppCommands(std::vector<Command>& out) {
  const std::string svc = "CommunitiesRemoteAppService";
  out.push_back(
      {svc,
       "generateSyncReports",
       {{"syncedResourceInfoFilepath", Kind::kString},
        {"outputDirPath", Kind::kString},
        {"locale", Kind::kString, true}},
       "Compares an application's export (exportSyncedResourceInfo) with Communities and writes "
       "<remoteAppDefId>_communityDifferences.html and <remoteAppDefId>_orphanedRemoteApplications"
       ".html, with the same findings as .json beside them, in outputDirPath (created if "
       "missing), on this machine. locale: en, de or fr (default: the console's locale). "
       "Returns a dict with the counts.",
       Failure::kRaise,
       [](Session& s, const Args& a) -> Result<Value> {
         CONCORD_ASSIGN_OR_RETURN(
             auto input, AbsolutePath("syncedResourceInfoFilepath", a[0].get<std::string>()));
         CONCORD_ASSIGN_OR_RETURN(auto dir, AbsolutePath("outputDirPath", a[1].get<std::string>()));
         std::string requested = a.size() > 2 && !a[2].is_null() ? a[2].get<std::string>() : "";
         CONCORD_ASSIGN_OR_RETURN(std::string locale, recovery::ResolveLocale(requested));
         auto source = recovery::HttpCommunitySource(s.client());
         CONCORD_ASSIGN_OR_RETURN(
             auto summary, recovery::GenerateSyncReports(input, dir, *source, locale, NowMillis()));
         s.Print(fmt::format(
             "{}: {} resources compared; {} communities with differences, {} "
             "orphaned resources.\n",
             summary.remote_app_def_id, summary.resources, summary.differences, summary.orphans));
         for (const auto& f : summary.files) s.Print("  " + f.string() + "\n");
         Value v;
         v["remoteAppDefId"] = summary.remote_app_def_id;
         v["resources"] = summary.resources;
         v["differences"] = summary.differences;
         v["orphans"] = summary.orphans;
         return v;
       }});
  out.push_back(
      {svc,
       "resyncRemoteAppsForCommunity",
       {{"communityUuid", Kind::kString}},
       "Sends the community's whole current state (visibility, theme, moderation, and in "
       "Concord also name and membership) to every remote application it has, which applies it "
       "whatever it held and re-creates a missing resource. Needs an empty queue and running "
       "applications. Returns the number of applications resynced.",
       Failure::kRaise,
       [](Session& s, const Args& a) -> Result<Value> {
         CONCORD_ASSIGN_OR_RETURN(int64_t n, Resync(s, {a[0].get<std::string>()}, std::nullopt));
         s.Print(fmt::format("Resynced {} application{} of {}.\n", n, n == 1 ? "" : "s",
                             a[0].get<std::string>()));
         return Value(n);
       }});
  out.push_back({svc,
                 "resyncRemoteAppsForCommunityAndWidget",
                 {{"communityUuid", Kind::kString}, {"widgetDefId", Kind::kString}},
                 "The same for one application of one community (Library included).",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_RETURN_IF_ERROR(CheckRemoteWidget(a[1].get<std::string>()));
                   CONCORD_ASSIGN_OR_RETURN(
                       int64_t n, Resync(s, {a[0].get<std::string>()}, a[1].get<std::string>()));
                   if (n == 0) {
                     return NotFound(fmt::format("community {} has no {} widget",
                                                 a[0].get<std::string>(), a[1].get<std::string>()));
                   }
                   s.Print(fmt::format("Resynced {} of {}.\n", a[1].get<std::string>(),
                                       a[0].get<std::string>()));
                   return Value(n);
                 }});
  out.push_back({svc,
                 "resyncRemoteAppsForAllCommunities",
                 {{"widgetDefId", Kind::kString}},
                 "The same for one application in every community that has its widget, in uuid "
                 "order, printing progress every 10 communities and Done. at the end. Returns "
                 "the number processed.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   return ResyncAll(s, a[0].get<std::string>(), "");
                 }});
  out.push_back(
      {svc,
       "assignRemoteApp",
       {{"remoteAppDefId", Kind::kString},
        {"objectIdentifyingId", Kind::kString},
        {"oldCommunityUuid", Kind::kString},
        {"newCommunityUuid", Kind::kString},
        {"uiLocation", Kind::kString}},
       "Keeps an orphaned resource: adds the widget to newCommunityUuid (the old community again "
       "when only the widget was lost) bound to the resource, which the application moves "
       "there. The community must not have that widget already. uiLocation: \"col2\", or "
       "\"col2statusposts\" for StatusUpdates. Prints Assignment succeeded; returns 1.",
       Failure::kRaise,
       [](Session& s, const Args& a) -> Result<Value> {
         std::string app = a[0].get<std::string>();
         CONCORD_RETURN_IF_ERROR(CheckRemoteWidget(app));
         // The resource must exist before Communities binds a widget to it.
         const auto* def = lifecycle::FindWidgetDef(app);
         auto resource =
             s.client().Get(fmt::format("/{}/api/admin/resources/{}/{}", def->application, app,
                                        http::UrlEncode(a[1].get<std::string>())));
         if (!resource) return std::unexpected(resource.error());
         CONCORD_RETURN_IF_ERROR(s.client().Post("/communities/api/admin/assign",
                                                 {{"remoteAppDefId", app},
                                                  {"objectIdentifyingId", a[1].get<std::string>()},
                                                  {"oldCommunityUuid", a[2].get<std::string>()},
                                                  {"newCommunityUuid", a[3].get<std::string>()},
                                                  {"uiLocation", a[4].get<std::string>()}}));
         s.Print("Assignment succeeded\n");
         return Value(1);
       }});
  out.push_back(
      {svc,
       "replayEvents",
       {{"remoteAppDefId", Kind::kString}, {"afterSeq", Kind::kValueOrNone, true}},
       "Concord's own: sends the application, in order, every lifecycle event Communities "
       "logged after the last one it applied (or after afterSeq): after its database was "
       "restored from a backup, this brings back the renames, visibility, membership and widget "
       "changes it missed, and re-creates the resources of widgets added since. Idempotent. "
       "Reports events the log no longer holds. Returns a dict with the counts.",
       Failure::kRaise,
       [](Session& s, const Args& a) -> Result<Value> {
         std::string app = a[0].get<std::string>();
         CONCORD_RETURN_IF_ERROR(CheckRemoteWidget(app));
         int64_t after = 0;
         if (a.size() > 1 && !a[1].is_null()) {
           if (!a[1].is_number_integer() || a[1].get<int64_t>() < 0) {
             return InvalidArgument("afterSeq", "afterSeq must be None or a seq (0 or more)");
           }
           after = a[1].get<int64_t>();
         } else {
           const auto* def = lifecycle::FindWidgetDef(app);
           CONCORD_ASSIGN_OR_RETURN(
               auto progress,
               s.client().Get(fmt::format("/{}/api/admin/progress", def->application)));
           after = progress["lastAppliedEventSeq"].get<int64_t>();
         }
         CONCORD_ASSIGN_OR_RETURN(auto r,
                                  s.client().Post("/communities/api/admin/events/replay",
                                                  {{"remoteAppDefId", app}, {"afterSeq", after}}));
         if (r["applicationAhead"].get<bool>()) {
           s.Print(fmt::format(
               "{} has applied events up to {}, past everything Communities logged: Communities "
               "was restored from an older backup. Nothing to replay; resync instead.\n",
               app, after));
         } else {
           s.Print(
               fmt::format("Replayed {} events after seq {} to {} ({} changed something, {} it "
                           "had applied already, {} skipped); last seq {}.\n",
                           r["replayed"].get<int64_t>(), after, app, r["applied"].get<int64_t>(),
                           r.value("duplicates", int64_t{0}), r["skipped"].get<int64_t>(),
                           r["lastSeq"].get<int64_t>()));
         }
         if (!r["missing"].is_null()) {
           s.Print(fmt::format(
               "Events {} to {} are no longer in the event log (trimmed): what "
               "they changed needs a resync.\n",
               r["missing"]["firstSeq"].get<int64_t>(), r["missing"]["lastSeq"].get<int64_t>()));
         }
         for (const auto& f : r["failures"])
           s.Print("  not replayed: " + f.get<std::string>() + "\n");
         return Value(r);
       }});
  out.push_back({svc,
                 "restartResyncRemoteAppsForAllCommunities",
                 {{"lastCommunityUuid", Kind::kString}, {"widgetDefId", Kind::kString}},
                 "Resumes an interrupted resyncRemoteAppsForAllCommunities after the last "
                 "community uuid it printed.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   return ResyncAll(s, a[1].get<std::string>(), a[0].get<std::string>());
                 }});
}

}  // namespace concord::admin
