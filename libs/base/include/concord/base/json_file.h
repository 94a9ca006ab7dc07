#pragma once
// Files Concord writes and reads back: JSON documents read field by field with their types
// checked, and files replaced durably.
//
// Every file Concord reads (backup manifests, recover-state.json, maintenance.json, server.json,
// set-aside files, reports) goes through `ReadJsonFile` and a `JsonFields`, so that a damaged or
// hand-edited file fails with one kind of error naming the file and the field, never with an
// exception out of nlohmann::json:
//
//   CONCORD_ASSIGN_OR_RETURN(JsonFields m, ReadJsonFile(dir / "manifest.json"));
//   CONCORD_ASSIGN_OR_RETURN(std::string id, m.String("deploymentId"));
//   CONCORD_ASSIGN_OR_RETURN(JsonFields services, m.Object("services"));
//   CONCORD_ASSIGN_OR_RETURN(int64_t version, m.Int("formatVersion", 0));  // optional, 0 if absent
//
// Errors are kInvalidArgument with `field` set to the field's path ("services.communities.file")
// and a message naming the file, the field and the type it must have.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "concord/base/error.h"

namespace concord {

// One JSON object of a file, and where it is (the file and the path of the object in it).
// Holds a copy of the object; cheap enough for the small files it reads.
class JsonFields {
 public:
  // `source` names the file in messages; `path` is the object's place in it ("" at the top).
  JsonFields(std::string source, nlohmann::json object, std::string path = "");

  // Required fields: kInvalidArgument when absent or of another type.
  Result<std::string> String(std::string_view key) const;
  Result<int64_t> Int(std::string_view key) const;
  Result<double> Number(std::string_view key) const;  // whole or not
  Result<bool> Bool(std::string_view key) const;
  Result<JsonFields> Object(std::string_view key) const;
  // An array of objects.
  Result<std::vector<JsonFields>> Objects(std::string_view key) const;
  Result<std::vector<std::string>> Strings(std::string_view key) const;

  // Optional fields: the fallback when absent (or null), kInvalidArgument when of another type.
  Result<std::string> String(std::string_view key, std::string fallback) const;
  Result<int64_t> Int(std::string_view key, int64_t fallback) const;
  Result<bool> Bool(std::string_view key, bool fallback) const;
  Result<std::vector<std::string>> Strings(std::string_view key,
                                           std::vector<std::string> fallback) const;

  bool Has(std::string_view key) const;
  // The object's keys, in the document's order.
  std::vector<std::string> Keys() const;
  const nlohmann::json& document() const { return object_; }
  const std::string& source() const { return source_; }

  // kInvalidArgument naming the file and `key` with `message`: for checks of a value's meaning
  // ("formatVersion must be 1") made by the caller.
  Error Invalid(std::string_view key, std::string_view message) const;

 private:
  std::string FieldPath(std::string_view key) const;
  Result<const nlohmann::json*> Find(std::string_view key, bool required,
                                     std::string_view type) const;

  std::string source_;
  nlohmann::json object_;
  std::string path_;
};

// How deeply a file ReadJsonFile reads may nest (objects and arrays). The files Concord writes
// nest a few levels.
inline constexpr int kMaxJsonFileDepth = 64;

// Reads `file` as one JSON object. kNotFound when it does not exist; kInvalidArgument naming the
// file when it is not JSON (garbage, truncated), nests deeper than kMaxJsonFileDepth, or is not
// an object; kUnavailable when it cannot be read.
Result<JsonFields> ReadJsonFile(const std::filesystem::path& file);

// Replaces `file` with `content` so that a crash at any moment leaves the old file or the new
// one, whole: written to a temporary file beside it, fsynced, renamed over it, and the directory
// fsynced. `mode` applies to the new file. kUnavailable on failure (the old file stays).
Status WriteFileDurably(const std::filesystem::path& file, std::string_view content,
                        unsigned mode = 0600);

}  // namespace concord
