#pragma once
// generateSyncReports (reference section 8.1): compares an application's export with the
// Communities database and writes <remoteAppDefId>_communityDifferences and
// <remoteAppDefId>_orphanedRemoteApplications, as localized HTML for people and JSON for
// programs (docs/sync-reports.md).
//
// The export (in community order) and the Communities state (paged in the same order) are
// merged as two streams, so memory stays flat however many communities there are. The four
// files are written under temporary names and renamed only when all are complete: an error
// leaves no partial report.

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "concord/base/clock.h"
#include "concord/base/error.h"

namespace concord::http {
class Client;
}

namespace concord::recovery {

struct Owner {
  std::string id, login, email, display_name;
};

// A community as Communities has it, with its widget of the application being compared.
struct CommunityState {
  std::string uuid;
  std::string name;
  std::string visibility;
  bool list_when_private = false;
  std::string theme;
  bool owners_approve_content = false;
  bool viewers_flag_content = false;
  int64_t version = 0;
  bool trashed = false;
  std::optional<std::string> widget_instance_id;  // none: the community lacks the widget
  std::optional<std::string> resource_id;         // the resource its widget is bound to
  std::string ui_location;
  std::vector<Owner> owners;
  std::vector<std::string> members;  // ids, owners not repeated
};

// The JSON of GET /communities/api/admin/sync/{widgetDefId}.
CommunityState StateFromJson(const nlohmann::json& j);

// Where the Communities side comes from.
class CommunitySource {
 public:
  virtual ~CommunitySource() = default;
  // Communities with the application's widget (trashed included), uuid order, after `after`;
  // empty at the end.
  virtual Result<std::vector<CommunityState>> Page(const std::string& widget_def_id,
                                                   const std::string& after) = 0;
  // Those of `uuids` that exist, with or without the widget.
  virtual Result<std::vector<CommunityState>> Lookup(const std::string& widget_def_id,
                                                     const std::vector<std::string>& uuids) = 0;
};

// The Communities admin API as a source.
std::unique_ptr<CommunitySource> HttpCommunitySource(http::Client& client, int page_size = 500);

struct ReportSummary {
  std::string remote_app_def_id;
  int64_t resources = 0;                     // in the export
  int64_t differences = 0;                   // communities listed in communityDifferences
  int64_t orphans = 0;                       // resources listed in orphanedRemoteApplications
  std::vector<std::filesystem::path> files;  // the four written
};

// "en", "de" or "fr": `requested` if given (kInvalidArgument naming the accepted ones
// otherwise), else from LC_ALL / LC_MESSAGES / LANG, else English.
Result<std::string> ResolveLocale(const std::string& requested);

// Writes the reports of `export_file` into `out_dir` (created if missing). kInvalidArgument for
// a bad or hostile export (nothing written), kUnavailable if Communities cannot be read.
Result<ReportSummary> GenerateSyncReports(const std::filesystem::path& export_file,
                                          const std::filesystem::path& out_dir,
                                          CommunitySource& source, const std::string& locale,
                                          Millis now);

}  // namespace concord::recovery
