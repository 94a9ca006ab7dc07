#pragma once
// Strict reading of JSON request bodies: every field is checked for its type, and a field the
// endpoint does not know is an error that lists the fields it does know (a typo such as
// "visiblity" must not be silently ignored).
//
//   CONCORD_ASSIGN_OR_RETURN(auto body, JsonBody::Parse(request.body));
//   CONCORD_ASSIGN_OR_RETURN(auto name, body.OptString("name"));
//   CONCORD_ASSIGN_OR_RETURN(auto tags, body.OptStringList("tags"));
//   CONCORD_RETURN_IF_ERROR(body.RejectUnknownFields());

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "concord/base/error.h"

namespace concord::http {

// How deeply a JSON text may nest (objects and arrays). Concord's own documents nest a few
// levels; the limit keeps a body of `[[[[...` from costing memory out of proportion to its size.
inline constexpr int kMaxJsonDepth = 64;

// Parses `text` as JSON, refusing it while parsing as soon as it nests deeper than
// kMaxJsonDepth. kInvalidArgument (field `field`) for invalid JSON or UTF-8, and for nesting
// too deep (the message names the limit).
[[nodiscard]] Result<nlohmann::json> ParseJson(std::string_view text,
                                               std::string_view field = "body");

class JsonBody {
 public:
  // kInvalidArgument if `text` is not a JSON object (empty text counts as {} when allowed), or
  // nests deeper than kMaxJsonDepth.
  static Result<JsonBody> Parse(std::string_view text, bool allow_empty = false);

  bool Has(std::string_view field) const;
  Result<std::optional<std::string>> OptString(std::string_view field);
  Result<std::string> RequiredString(std::string_view field);
  Result<std::optional<bool>> OptBool(std::string_view field);
  Result<std::optional<int64_t>> OptInt(std::string_view field);
  Result<std::optional<std::vector<std::string>>> OptStringList(std::string_view field);
  // Null is reported as "present but null": for fields that may be cleared.
  bool IsNull(std::string_view field) const;

  // kInvalidArgument naming the first field that no accessor asked for.
  Status RejectUnknownFields() const;

 private:
  explicit JsonBody(nlohmann::json j) : json_(std::move(j)) {}
  const nlohmann::json* Find(std::string_view field);
  nlohmann::json json_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace concord::http
