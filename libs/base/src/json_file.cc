#include "concord/base/json_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

namespace concord {

namespace fs = std::filesystem;
using nlohmann::json;

JsonFields::JsonFields(std::string source, json object, std::string path)
    : source_(std::move(source)), object_(std::move(object)), path_(std::move(path)) {}

std::string JsonFields::FieldPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

Error JsonFields::Invalid(std::string_view key, std::string_view message) const {
  std::string field = FieldPath(key);
  return InvalidArgument(field, fmt::format("{}: field '{}' {}", source_, field, message)).error();
}

bool JsonFields::Has(std::string_view key) const {
  auto it = object_.find(key);
  return it != object_.end() && !it->is_null();
}

std::vector<std::string> JsonFields::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [k, v] : object_.items()) keys.push_back(k);
  return keys;
}

Result<const json*> JsonFields::Find(std::string_view key, bool required,
                                     std::string_view type) const {
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) {
    if (!required) return nullptr;
    return std::unexpected(Invalid(key, fmt::format("is missing (it must be {})", type)));
  }
  return &*it;
}

namespace {

template <typename T>
Result<T> Typed(const JsonFields& f, const json* v, std::string_view key, std::string_view type,
                bool ok) {
  if (!ok) {
    return std::unexpected(
        f.Invalid(key, fmt::format("must be {}, not {}", type, std::string(v->type_name()))));
  }
  return v->get<T>();
}

constexpr std::string_view kString = "a string";
constexpr std::string_view kInt = "a whole number";
constexpr std::string_view kBool = "true or false";
constexpr std::string_view kNumber = "a number";
constexpr std::string_view kObject = "an object";
constexpr std::string_view kObjects = "a list of objects";
constexpr std::string_view kStrings = "a list of strings";

bool IsInt(const json& v) { return v.is_number_integer(); }

bool AllOf(const json& v, bool (*pred)(const json&)) {
  if (!v.is_array()) return false;
  for (const auto& e : v) {
    if (!pred(e)) return false;
  }
  return true;
}

}  // namespace

Result<std::string> JsonFields::String(std::string_view key) const {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Find(key, true, kString));
  return Typed<std::string>(*this, v, key, kString, v->is_string());
}

Result<int64_t> JsonFields::Int(std::string_view key) const {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Find(key, true, kInt));
  return Typed<int64_t>(*this, v, key, kInt, IsInt(*v));
}

Result<double> JsonFields::Number(std::string_view key) const {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Find(key, true, kNumber));
  return Typed<double>(*this, v, key, kNumber, v->is_number());
}

Result<bool> JsonFields::Bool(std::string_view key) const {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Find(key, true, kBool));
  return Typed<bool>(*this, v, key, kBool, v->is_boolean());
}

Result<JsonFields> JsonFields::Object(std::string_view key) const {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Find(key, true, kObject));
  if (!v->is_object()) {
    return std::unexpected(
        Invalid(key, fmt::format("must be {}, not {}", kObject, std::string(v->type_name()))));
  }
  return JsonFields(source_, *v, FieldPath(key));
}

Result<std::vector<JsonFields>> JsonFields::Objects(std::string_view key) const {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Find(key, true, kObjects));
  if (!AllOf(*v, [](const json& e) { return e.is_object(); })) {
    return std::unexpected(Invalid(key, fmt::format("must be {}", kObjects)));
  }
  std::vector<JsonFields> out;
  out.reserve(v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    out.emplace_back(source_, (*v)[i], fmt::format("{}[{}]", FieldPath(key), i));
  }
  return out;
}

Result<std::vector<std::string>> JsonFields::Strings(std::string_view key) const {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Find(key, true, kStrings));
  if (!AllOf(*v, [](const json& e) { return e.is_string(); })) {
    return std::unexpected(Invalid(key, fmt::format("must be {}", kStrings)));
  }
  return v->get<std::vector<std::string>>();
}

Result<std::string> JsonFields::String(std::string_view key, std::string fallback) const {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Find(key, false, kString));
  if (!v) return fallback;
  return Typed<std::string>(*this, v, key, kString, v->is_string());
}

Result<int64_t> JsonFields::Int(std::string_view key, int64_t fallback) const {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Find(key, false, kInt));
  if (!v) return fallback;
  return Typed<int64_t>(*this, v, key, kInt, IsInt(*v));
}

Result<bool> JsonFields::Bool(std::string_view key, bool fallback) const {
  CONCORD_ASSIGN_OR_RETURN(const json* v, Find(key, false, kBool));
  if (!v) return fallback;
  return Typed<bool>(*this, v, key, kBool, v->is_boolean());
}

Result<std::vector<std::string>> JsonFields::Strings(std::string_view key,
                                                     std::vector<std::string> fallback) const {
  if (!Has(key)) return fallback;
  return Strings(key);
}

namespace {

// Whether `text` nests objects and arrays more than `limit` deep, counted outside strings. (For
// text that is not JSON the answer means little; the parser refuses such text anyway.)
bool NestsDeeperThan(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace

Result<JsonFields> ReadJsonFile(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return NotFound(fmt::format("{} does not exist", file.string()));
  std::ifstream in(file, std::ios::binary);
  if (!in) return Unavailable(fmt::format("cannot read {}", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Unavailable(fmt::format("cannot read {}", file.string()));
  std::string name = file.filename().string();
  // nlohmann parses any depth, but copies and prints a document recursively: a few hundred
  // kilobytes of `[[[[` would overflow the stack of whatever reads the file next.
  const std::string content = text.str();
  if (NestsDeeperThan(content, kMaxJsonFileDepth)) {
    return InvalidArgument(name, fmt::format("{} nests deeper than {} levels (damaged?): read "
                                             "nothing from it",
                                             file.string(), kMaxJsonFileDepth));
  }
  auto j = json::parse(content, nullptr, false);
  if (j.is_discarded()) {
    return InvalidArgument(name, fmt::format("{} is not JSON (damaged or truncated): read nothing "
                                             "from it",
                                             file.string()));
  }
  if (!j.is_object()) {
    return InvalidArgument(
        name, fmt::format("{} must hold a JSON object, not {}", file.string(), j.type_name()));
  }
  return JsonFields(file.string(), std::move(j));
}

Status WriteFileDurably(const fs::path& file, std::string_view content, unsigned mode) {
  fs::path tmp = file;
  tmp += fmt::format(".tmp{}", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return Unavailable(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
  }
  ::fchmod(fd, mode);
  size_t done = 0;
  bool ok = true;
  while (ok && done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int saved = errno;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    if (ok) saved = errno;
    ::unlink(tmp.c_str());
    return Unavailable(fmt::format("cannot write {}: {}", file.string(), std::strerror(saved)));
  }
  // The rename is durable only once the directory is.
  fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    if (dfd >= 0) ::close(dfd);
    return Unavailable(fmt::format("cannot sync the directory {}", dir.string()));
  }
  ::close(dfd);
  return Ok();
}

}  // namespace concord
