#include "concord/xml/synced_resources.h"

#include <fmt/format.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include <array>
#include <charconv>
#include <mutex>

#include "concord/base/text.h"

namespace concord::xml {
namespace {

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

// libxml2 prints to stderr unless told otherwise; errors reach us through the handlers we set.
void Quiet(void*, xmlErrorPtr) {}
void InitLibxml() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetStructuredErrorFunc(nullptr, Quiet);
  });
}

// XML 1.0 cannot carry most control characters, nor the noncharacters U+FFFE and U+FFFF: they
// become U+FFFD.
std::string Clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    unsigned char u = static_cast<unsigned char>(ch);
    if (u < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
      out += "\xEF\xBF\xBD";
    } else if (s.substr(i, 3) == "\xEF\xBF\xBE" || s.substr(i, 3) == "\xEF\xBF\xBF") {
      out += "\xEF\xBF\xBD";
      i += 2;
    } else {
      out += ch;
    }
  }
  return IsValidUtf8(out) ? out : std::string("\xEF\xBF\xBD");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Writer
//
// Written by hand rather than with libxml2's text writer, which cost about half of an export
// (one call, one buffer and one escape pass per node). The output is what that writer produced
// (the golden file pins it): two-space indentation, text escaped as xmlEncodeSpecialChars does
// (& < > " and CR), attribute values as libxml2 serializes them (& < > " and TAB, LF, CR as
// character references). The reader (libxml2, validating) reads it back.

namespace {

// What each byte needs: nothing, an escape (in text and attributes, or in attributes only), or
// the slow path (a control character XML cannot carry, or a byte of a multi-byte sequence, whose
// UTF-8 must be checked).
enum ByteClass : uint8_t { kPlain, kEscape, kEscapeInAttribute, kSlow };
constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = kSlow;
  for (int c = 0x80; c < 0x100; ++c) t[c] = kSlow;
  for (char c : {'&', '<', '>', '"', '\r'}) t[static_cast<unsigned char>(c)] = kEscape;
  t['\n'] = kEscapeInAttribute;
  t['\t'] = kEscapeInAttribute;
  return t;
}();

const char* EscapeOf(char c) {
  switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\r': return "&#13;";
    case '\n': return "&#10;";
    default: return "&#9;";
  }
}

// Appends `s` escaped. Stops at a byte that needs the slow path, leaving `out` as it was and
// returning false, unless `s` is already `cleaned`.
bool AppendEscaped(std::string& out, std::string_view s, bool attribute, bool cleaned) {
  const size_t mark = out.size();
  size_t run = 0;  // start of the pending run of bytes that need no escape
  for (size_t k = 0; k < s.size(); ++k) {
    uint8_t c = kByteClass[static_cast<unsigned char>(s[k])];
    if (c == kPlain || (c == kEscapeInAttribute && !attribute)) continue;
    if (c == kSlow) {
      if (cleaned) continue;
      out.resize(mark);
      return false;
    }
    out.append(s.substr(run, k - run));
    out.append(EscapeOf(s[k]));
    run = k + 1;
  }
  out.append(s.substr(run));
  return true;
}

// Text with a control character or non-ASCII (rare in ids, common enough in names) is cleaned
// first: valid UTF-8 without the characters XML forbids.
void AppendText(std::string& out, std::string_view s, bool attribute) {
  if (!AppendEscaped(out, s, attribute, false)) AppendEscaped(out, Clean(s), attribute, true);
}

}  // namespace

struct ExportWriter::Impl {
  Sink sink;
  bool sink_failed = false;
  bool begun = false;
  bool ended = false;
  std::string last_community;
  // The sink (an HTTP chunk, a file write) gets about 256 KiB at a time.
  std::string pending;
  static constexpr size_t kChunk = size_t{256} * 1024;

  bool Flush() {
    if (pending.empty() || sink_failed) return !sink_failed;
    if (!sink(pending)) sink_failed = true;
    pending.clear();
    return !sink_failed;
  }
  Status MaybeFlush() {
    if (pending.size() >= kChunk && !Flush()) {
      return Unavailable("the export's destination stopped accepting data");
    }
    return Ok();
  }
  void Attribute(std::string_view name, std::string_view value) {
    pending += ' ';
    pending += name;
    pending += "=\"";
    AppendText(pending, value, true);
    pending += '"';
  }
  void Element(std::string_view name, std::string_view text) {
    pending += "    <";
    pending += name;
    pending += '>';
    AppendText(pending, text, false);
    pending += "</";
    pending += name;
    pending += ">\n";
  }
  void Flag(std::string_view name, bool value) { Element(name, value ? "true" : "false"); }
  void People(std::string_view name, const std::vector<std::string>& ids) {
    pending += "    <";
    pending += name;
    if (ids.empty()) {
      pending += "/>\n";
      return;
    }
    pending += ">\n";
    for (const auto& id : ids) {
      pending += "      <user";
      Attribute("id", id);
      pending += "/>\n";
    }
    pending += "    </";
    pending += name;
    pending += ">\n";
  }
};

ExportWriter::ExportWriter(Sink sink) : impl_(std::make_unique<Impl>()) {
  impl_->sink = std::move(sink);
  impl_->pending.reserve(Impl::kChunk + size_t{64} * 1024);
}

ExportWriter::~ExportWriter() = default;

Status ExportWriter::Begin(const ExportHeader& h) {
  auto& i = *impl_;
  if (i.begun) return Internal("the export was already begun");
  i.begun = true;
  i.pending += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<syncedResources";
  i.Attribute("xmlns", kNamespace);
  i.Attribute("formatVersion", std::to_string(h.format_version));
  i.Attribute("remoteAppDefId", h.remote_app_def_id);
  i.Attribute("exported", FormatTimestamp(h.exported));
  i.Attribute("lastAppliedEventSeq", std::to_string(h.last_applied_event_seq));
  i.pending += ">\n";
  return i.MaybeFlush();
}

Status ExportWriter::Add(const SyncedResource& r) {
  auto& i = *impl_;
  if (!i.begun || i.ended) return Internal("a resource was added outside Begin and End");
  if (!i.last_community.empty() && r.community_uuid <= i.last_community) {
    return Internal("the export's resources must come in community uuid order");
  }
  i.last_community = r.community_uuid;
  i.pending += "  <resource";
  i.Attribute("objectIdentifyingId", r.object_identifying_id);
  i.Attribute("communityUuid", r.community_uuid);
  if (r.widget_instance_id) i.Attribute("widgetInstanceId", *r.widget_instance_id);
  i.Attribute("version", std::to_string(r.version));
  i.Attribute("inTrash", r.in_trash ? "true" : "false");
  i.pending += ">\n";
  i.Element("name", r.name);
  i.Element("visibility", r.visibility);
  i.Flag("listWhenPrivate", r.list_when_private);
  i.Element("theme", r.theme);
  i.Flag("ownersApproveContent", r.owners_approve_content);
  i.Flag("viewersFlagContent", r.viewers_flag_content);
  i.People("owners", r.owners);
  i.People("members", r.members);
  i.pending += "  </resource>\n";
  ++count_;
  return i.MaybeFlush();
}

Status ExportWriter::End() {
  auto& i = *impl_;
  if (!i.begun || i.ended) return Internal("the export was ended twice or never begun");
  i.ended = true;
  i.pending += "  <end";
  i.Attribute("resources", std::to_string(count_));
  i.pending += "/>\n</syncedResources>\n";
  if (!i.Flush()) return Unavailable("the export's destination stopped accepting data");
  return Ok();
}

// ---------------------------------------------------------------------------------------------
// Reader

struct ExportReader::Impl {
  std::string file;
  xmlSchemaParserCtxtPtr schema_parser = nullptr;
  xmlSchemaPtr schema = nullptr;
  xmlTextReaderPtr r = nullptr;
  std::string error;  // the first error libxml2 reported
  std::string last_community;
  int64_t count = 0;
  bool done = false;

  ~Impl() {
    if (r) xmlFreeTextReader(r);
    if (schema) xmlSchemaFree(schema);
    if (schema_parser) xmlSchemaFreeParserCtxt(schema_parser);
  }

  static void OnError(void* ctx, xmlErrorPtr e) {
    auto* self = static_cast<Impl*>(ctx);
    if (!self->error.empty() || e == nullptr || e->level == XML_ERR_WARNING) return;
    std::string message = e->message ? e->message : "malformed XML";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    self->error = fmt::format("line {}: {}", e->line, message);
  }

  Error Fail(std::string_view why) const {
    int line = r ? xmlTextReaderGetParserLineNumber(r) : 0;
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{} is not a valid synced-resource export: {}", file,
                             !error.empty() ? error : fmt::format("line {}: {}", line, why)),
                 "syncedResourceInfoFilepath",
                 {}};
  }

  // Advances one node. false at the end of the document.
  Result<bool> Read() {
    int rc = xmlTextReaderRead(r);
    if (rc < 0 && error.empty()) {
      // Parser errors can bypass the reader's handler: take libxml2's last one.
      xmlErrorPtr last = xmlGetLastError();
      std::string why = last && last->message ? last->message : "";
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      return std::unexpected(Fail("the XML is malformed or truncated" +
                                  (why.empty() ? std::string() : " (" + why + ")")));
    }
    if (!error.empty() || rc < 0) return std::unexpected(Fail("malformed XML"));
    if (rc == 0) return false;
    int type = xmlTextReaderNodeType(r);
    if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
      return std::unexpected(Fail("a DOCTYPE is not allowed (no DTDs, no entities)"));
    }
    if (type == XML_READER_TYPE_ENTITY_REFERENCE || type == XML_READER_TYPE_ENTITY) {
      return std::unexpected(Fail("entities are not allowed"));
    }
    if (xmlTextReaderDepth(r) > 3) return std::unexpected(Fail("elements are nested too deeply"));
    if (xmlTextReaderIsValid(r) == 0 && !error.empty()) return std::unexpected(Fail("invalid"));
    return true;
  }

  std::string Name() const {
    const xmlChar* n = xmlTextReaderConstLocalName(r);
    return n ? reinterpret_cast<const char*>(n) : "";
  }
  std::optional<std::string> Attr(const char* name) const {
    xmlChar* v = xmlTextReaderGetAttribute(r, X(name));
    if (!v) return std::nullopt;
    std::string out(reinterpret_cast<const char*>(v));
    xmlFree(v);
    return out;
  }
};

namespace {

bool ParseBool(std::string_view s) { return s == "true" || s == "1"; }

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Result<std::unique_ptr<ExportReader>> ExportReader::Open(const std::filesystem::path& file) {
  InitLibxml();
  std::unique_ptr<ExportReader> reader(new ExportReader());
  reader->impl_ = std::make_unique<Impl>();
  auto& i = *reader->impl_;
  i.file = file.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return InvalidArgument("syncedResourceInfoFilepath",
                           fmt::format("cannot read {}: no such file", i.file));
  }
  if (std::filesystem::file_size(file, ec) == 0) {
    return InvalidArgument(
        "syncedResourceInfoFilepath",
        fmt::format("{} is not a valid synced-resource export: the file is empty", i.file));
  }
  auto schema = Schema();
  i.schema_parser = xmlSchemaNewMemParserCtxt(schema.data(), static_cast<int>(schema.size()));
  i.schema = i.schema_parser ? xmlSchemaParse(i.schema_parser) : nullptr;
  if (!i.schema) return Internal("the compiled-in export schema does not parse");
  // No network, no entity substitution, no DTD loading; libxml2's own depth and size limits stay.
  xmlResetLastError();
  i.r = xmlReaderForFile(i.file.c_str(), nullptr, XML_PARSE_NONET);
  if (!i.r) {
    return InvalidArgument("syncedResourceInfoFilepath", fmt::format("cannot read {}", i.file));
  }
  xmlTextReaderSetStructuredErrorHandler(i.r, Impl::OnError, &i);
  if (xmlTextReaderSetSchema(i.r, i.schema) != 0) return Internal("cannot apply the export schema");
  // The root element and its header.
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool more, i.Read());
    if (!more) return std::unexpected(i.Fail("the file is empty"));
    if (xmlTextReaderNodeType(i.r) == XML_READER_TYPE_ELEMENT) break;
  }
  auto ns = xmlTextReaderConstNamespaceUri(i.r);
  if (i.Name() != "syncedResources" || !ns ||
      std::string_view(reinterpret_cast<const char*>(ns)) != kNamespace) {
    return std::unexpected(
        i.Fail(fmt::format("the root element must be <syncedResources xmlns=\"{}\">", kNamespace)));
  }
  auto version = ParseInt(i.Attr("formatVersion").value_or(""));
  if (!version || *version != kFormatVersion) {
    return std::unexpected(
        i.Fail(fmt::format("format version {} is not supported (this Concord "
                           "reads version {})",
                           i.Attr("formatVersion").value_or("(none)"), kFormatVersion)));
  }
  auto& h = reader->header_;
  h.format_version = static_cast<int>(*version);
  h.remote_app_def_id = i.Attr("remoteAppDefId").value_or("");
  auto exported = ParseTimestamp(i.Attr("exported").value_or(""));
  auto seq = ParseInt(i.Attr("lastAppliedEventSeq").value_or(""));
  if (h.remote_app_def_id.empty() || !exported || !seq) {
    return std::unexpected(
        i.Fail("<syncedResources> needs remoteAppDefId, exported and lastAppliedEventSeq"));
  }
  h.exported = *exported;
  h.last_applied_event_seq = *seq;
  return reader;
}

ExportReader::~ExportReader() = default;

Result<std::optional<SyncedResource>> ExportReader::Next() {
  auto& i = *impl_;
  if (i.done) return std::optional<SyncedResource>();
  while (true) {
    CONCORD_ASSIGN_OR_RETURN(bool more, i.Read());
    if (!more) return std::unexpected(i.Fail("the file ends before <end>: it is truncated"));
    int type = xmlTextReaderNodeType(i.r);
    if (type != XML_READER_TYPE_ELEMENT) continue;
    std::string name = i.Name();
    if (name == "end") {
      auto n = ParseInt(i.Attr("resources").value_or(""));
      if (!n || *n != i.count) {
        return std::unexpected(i.Fail(fmt::format("<end> says {} resources, the file has {}",
                                                  i.Attr("resources").value_or("?"), i.count)));
      }
      while (true) {  // nothing but the closing tag may follow
        CONCORD_ASSIGN_OR_RETURN(bool rest, i.Read());
        if (!rest) break;
        if (xmlTextReaderNodeType(i.r) == XML_READER_TYPE_ELEMENT) {
          return std::unexpected(i.Fail("elements after <end>"));
        }
      }
      i.done = true;
      return std::optional<SyncedResource>();
    }
    if (name != "resource") return std::unexpected(i.Fail("unexpected <" + name + ">"));
    SyncedResource res;
    res.object_identifying_id = i.Attr("objectIdentifyingId").value_or("");
    res.community_uuid = i.Attr("communityUuid").value_or("");
    res.widget_instance_id = i.Attr("widgetInstanceId");
    auto version = ParseInt(i.Attr("version").value_or(""));
    res.version = version.value_or(0);
    res.in_trash = ParseBool(i.Attr("inTrash").value_or("false"));
    if (!i.last_community.empty() && res.community_uuid <= i.last_community) {
      return std::unexpected(i.Fail("resources are not in community uuid order (" +
                                    res.community_uuid + " after " + i.last_community + ")"));
    }
    i.last_community = res.community_uuid;
    // Its children, up to </resource>.
    std::string field, list;
    std::string text;
    while (true) {
      CONCORD_ASSIGN_OR_RETURN(bool inner, i.Read());
      if (!inner)
        return std::unexpected(i.Fail("the file ends inside a <resource>: it is truncated"));
      int t = xmlTextReaderNodeType(i.r);
      std::string n = i.Name();
      if (t == XML_READER_TYPE_ELEMENT) {
        if (n == "owners" || n == "members") {
          list = n;
        } else if (n == "user") {
          auto id = i.Attr("id").value_or("");
          (list == "owners" ? res.owners : res.members).push_back(id);
        } else {
          field = n;
          text.clear();
          if (xmlTextReaderIsEmptyElement(i.r)) {
            if (field == "name") res.name.clear();
            if (field == "theme") res.theme.clear();
            field.clear();
          }
        }
      } else if (t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
                 t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
        const xmlChar* v = xmlTextReaderConstValue(i.r);
        if (!field.empty() && v) text += reinterpret_cast<const char*>(v);
      } else if (t == XML_READER_TYPE_END_ELEMENT) {
        if (n == "resource") break;
        if (n == field) {
          if (field == "name") res.name = text;
          if (field == "visibility") res.visibility = text;
          if (field == "listWhenPrivate") res.list_when_private = ParseBool(text);
          if (field == "theme") res.theme = text;
          if (field == "ownersApproveContent") res.owners_approve_content = ParseBool(text);
          if (field == "viewersFlagContent") res.viewers_flag_content = ParseBool(text);
          field.clear();
        }
      }
    }
    ++i.count;
    return std::optional(std::move(res));
  }
}

}  // namespace concord::xml
