#pragma once
// The synced-resource export (docs/xml-export.md, docs/synced-resources.xsd): every
// community-owned resource an application has, with the community attributes it holds for it.
// Written by the applications (exportSyncedResourceInfo), read by the synchronization reports.
// Both directions stream: memory does not grow with the number of resources.
//
//   ExportWriter w(sink);                       // sink(std::string_view) -> bool
//   CONCORD_RETURN_IF_ERROR(w.Begin(header));
//   for (...) CONCORD_RETURN_IF_ERROR(w.Add(resource));
//   CONCORD_RETURN_IF_ERROR(w.End());
//
//   CONCORD_ASSIGN_OR_RETURN(auto r, ExportReader::Open(path));
//   while (true) { CONCORD_ASSIGN_OR_RETURN(auto next, r->Next()); if (!next) break; ... }

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "concord/base/clock.h"
#include "concord/base/error.h"

namespace concord::xml {

constexpr int kFormatVersion = 1;
constexpr std::string_view kNamespace = "urn:concord:synced-resources:1";

struct ExportHeader {
  std::string remote_app_def_id;
  Millis exported = 0;
  int64_t last_applied_event_seq = 0;  // the application's, when it exported
  int format_version = kFormatVersion;
};

// One resource and the community attributes the application holds for it.
struct SyncedResource {
  std::string object_identifying_id;  // the application's resource id
  std::string community_uuid;
  std::optional<std::string> widget_instance_id;
  int64_t version = 0;  // the Communities version the application last applied
  bool in_trash = false;
  std::string name;
  std::string visibility;
  bool list_when_private = false;
  std::string theme;
  bool owners_approve_content = false;
  bool viewers_flag_content = false;
  std::vector<std::string> owners;   // user ids, sorted
  std::vector<std::string> members;  // user ids, sorted (owners not repeated)
};

// The XSD, as docs/synced-resources.xsd has it (compiled in).
std::string_view Schema();

// Writes an export to `sink` (which returns false to abort). Resources must come in community
// uuid order; kInternal otherwise. Text that XML cannot carry (control characters) is replaced.
class ExportWriter {
 public:
  using Sink = std::function<bool(std::string_view)>;
  explicit ExportWriter(Sink sink);
  ~ExportWriter();
  Status Begin(const ExportHeader& header);
  Status Add(const SyncedResource& resource);
  Status End();
  int64_t count() const { return count_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t count_ = 0;
};

// Reads an export file as a stream, validating it against the schema as it goes. Refuses a
// DOCTYPE (so no entities, external or not), deep nesting, a file that is truncated (no
// <end>, or a count that does not match) or out of community order. Errors are
// kInvalidArgument naming the file and line.
class ExportReader {
 public:
  static Result<std::unique_ptr<ExportReader>> Open(const std::filesystem::path& file);
  ~ExportReader();
  const ExportHeader& header() const { return header_; }
  // The next resource, or nullopt after the last (the end marker checked).
  Result<std::optional<SyncedResource>> Next();

 private:
  ExportReader() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ExportHeader header_;
};

}  // namespace concord::xml
