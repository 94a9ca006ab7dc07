#include "concord/http/json_body.h"

#include <fmt/format.h>

namespace concord::http {
namespace {

using Json = nlohmann::json;

// nlohmann's DOM builder behind a depth count: returning false from a SAX event stops the
// parser at once, before the deep part is ever built.
class DepthLimitedSax final : public nlohmann::detail::json_sax_dom_parser<Json> {
 public:
  explicit DepthLimitedSax(Json& out) : json_sax_dom_parser(out, /*allow_exceptions=*/false) {}

  bool start_object(std::size_t n) { return Enter() && json_sax_dom_parser::start_object(n); }
  bool end_object() {
    --depth_;
    return json_sax_dom_parser::end_object();
  }
  bool start_array(std::size_t n) { return Enter() && json_sax_dom_parser::start_array(n); }
  bool end_array() {
    --depth_;
    return json_sax_dom_parser::end_array();
  }
  bool parse_error(std::size_t position, const std::string& token,
                   const nlohmann::detail::exception& e) {
    syntax_error_ = true;
    return json_sax_dom_parser::parse_error(position, token, e);
  }

  bool too_deep() const { return too_deep_; }
  bool syntax_error() const { return syntax_error_; }

 private:
  bool Enter() {
    if (++depth_ > kMaxJsonDepth) too_deep_ = true;
    return !too_deep_;
  }
  int depth_ = 0;
  bool too_deep_ = false;
  bool syntax_error_ = false;
};

}  // namespace

Result<nlohmann::json> ParseJson(std::string_view text, std::string_view field) {
  Json out;
  DepthLimitedSax sax(out);
  bool ok = Json::sax_parse(text, &sax, nlohmann::detail::input_format_t::json,
                            /*strict=*/true, /*ignore_comments=*/false);
  if (sax.too_deep()) {
    return InvalidArgument(std::string(field),
                           fmt::format("the JSON nests deeper than {} levels, the most the "
                                       "server accepts",
                                       kMaxJsonDepth));
  }
  if (!ok || sax.syntax_error() || sax.is_errored()) {
    return InvalidArgument(std::string(field),
                           "the request body is not valid JSON (or not valid UTF-8)");
  }
  return out;
}

Result<JsonBody> JsonBody::Parse(std::string_view text, bool allow_empty) {
  if (allow_empty && text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return JsonBody(nlohmann::json::object());
  }
  CONCORD_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(text));
  if (!j.is_object()) return InvalidArgument("body", "the request body must be a JSON object");
  return JsonBody(std::move(j));
}

const nlohmann::json* JsonBody::Find(std::string_view field) {
  known_.emplace(field);
  auto it = json_.find(field);
  if (it == json_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool JsonBody::Has(std::string_view field) const { return json_.contains(field); }

bool JsonBody::IsNull(std::string_view field) const {
  auto it = json_.find(field);
  return it != json_.end() && it->is_null();
}

Result<std::optional<std::string>> JsonBody::OptString(std::string_view field) {
  const auto* v = Find(field);
  if (!v) return std::optional<std::string>{};
  if (!v->is_string())
    return InvalidArgument(std::string(field), fmt::format("'{}' must be a string", field));
  return std::optional(v->get<std::string>());
}

Result<std::string> JsonBody::RequiredString(std::string_view field) {
  CONCORD_ASSIGN_OR_RETURN(auto v, OptString(field));
  if (!v) return InvalidArgument(std::string(field), fmt::format("'{}' is required", field));
  return *v;
}

Result<std::optional<bool>> JsonBody::OptBool(std::string_view field) {
  const auto* v = Find(field);
  if (!v) return std::optional<bool>{};
  if (!v->is_boolean()) {
    return InvalidArgument(std::string(field), fmt::format("'{}' must be true or false", field),
                           {"true", "false"});
  }
  return std::optional(v->get<bool>());
}

Result<std::optional<int64_t>> JsonBody::OptInt(std::string_view field) {
  const auto* v = Find(field);
  if (!v) return std::optional<int64_t>{};
  if (!v->is_number_integer()) {
    return InvalidArgument(std::string(field), fmt::format("'{}' must be an integer", field));
  }
  return std::optional(v->get<int64_t>());
}

Result<std::optional<std::vector<std::string>>> JsonBody::OptStringList(std::string_view field) {
  const auto* v = Find(field);
  if (!v) return std::optional<std::vector<std::string>>{};
  if (!v->is_array()) {
    return InvalidArgument(std::string(field),
                           fmt::format("'{}' must be a list of strings", field));
  }
  std::vector<std::string> out;
  for (const auto& e : *v) {
    if (!e.is_string()) {
      return InvalidArgument(std::string(field),
                             fmt::format("'{}' must be a list of strings", field));
    }
    out.push_back(e.get<std::string>());
  }
  return std::optional(std::move(out));
}

Status JsonBody::RejectUnknownFields() const {
  for (const auto& [key, value] : json_.items()) {
    if (!known_.contains(key)) {
      return InvalidArgument(key, fmt::format("unknown field '{}'", key),
                             std::vector<std::string>(known_.begin(), known_.end()));
    }
  }
  return Ok();
}

}  // namespace concord::http
