// JSON request bodies (libs/http json_body.h): ParseJson with its depth limit, and JsonBody's
// typed accessors over whatever fields the document has. Seeds: tests/fuzz/corpus/json_body/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "concord/http/json_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = concord::http::ParseJson(text);
  if (json) (void)json->dump();  // what an error message or a log would do with it

  auto body = concord::http::JsonBody::Parse(text, /*allow_empty=*/size % 2 == 0);
  if (!body) return 0;
  // Ask for the fields the document has, each with every accessor, as endpoints would, and a
  // few it lacks.
  std::vector<std::string> fields = {"name", "visibility", "tags", "members"};
  if (json && json->is_object()) {
    for (const auto& [key, value] : json->items()) fields.push_back(key);
  }
  for (const auto& field : fields) {
    (void)body->Has(field);
    (void)body->IsNull(field);
    (void)body->OptString(field);
    (void)body->OptBool(field);
    (void)body->OptInt(field);
    (void)body->OptStringList(field);
  }
  (void)body->RejectUnknownFields();
  return 0;
}
