#include "concord/xml/synced_resources.h"

#include <fmt/format.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlwriter.h>

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

// XML 1.0 cannot carry most control characters: they become U+FFFD.
std::string Clean(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    unsigned char u = static_cast<unsigned char>(ch);
    if (u < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
      out += "\xEF\xBF\xBD";
    } else {
      out += ch;
    }
  }
  return IsValidUtf8(out) ? out : std::string("\xEF\xBF\xBD");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Writer

struct ExportWriter::Impl {
  Sink sink;
  bool sink_failed = false;
  xmlTextWriterPtr w = nullptr;
  std::string last_community;
  // libxml2 hands over 4 KiB at a time; the sink (an HTTP chunk, a file write) gets 64 KiB.
  std::string pending;
  static constexpr size_t kChunk = 64 * 1024;

  bool Flush() {
    if (pending.empty() || sink_failed) return !sink_failed;
    if (!sink(pending)) sink_failed = true;
    pending.clear();
    return !sink_failed;
  }
  static int Write(void* ctx, const char* buf, int len) {
    auto* self = static_cast<Impl*>(ctx);
    self->pending.append(buf, static_cast<size_t>(len));
    if (self->pending.size() >= kChunk && !self->Flush()) return -1;
    return len;
  }
  static int Close(void*) { return 0; }

  Status Check(int rc, std::string_view what) {
    if (rc >= 0) return Ok();
    if (sink_failed) return Unavailable("the export's destination stopped accepting data");
    return Internal(fmt::format("writing the export failed ({})", what));
  }
  Status Element(const char* name, std::string_view text) {
    return Check(xmlTextWriterWriteElement(w, X(name), X(Clean(text).c_str())), name);
  }
  Status Attribute(const char* name, std::string_view value) {
    return Check(xmlTextWriterWriteAttribute(w, X(name), X(Clean(value).c_str())), name);
  }
  Status People(const char* name, const std::vector<std::string>& ids) {
    CONCORD_RETURN_IF_ERROR(Check(xmlTextWriterStartElement(w, X(name)), name));
    for (const auto& id : ids) {
      CONCORD_RETURN_IF_ERROR(Check(xmlTextWriterStartElement(w, X("user")), "user"));
      CONCORD_RETURN_IF_ERROR(Attribute("id", id));
      CONCORD_RETURN_IF_ERROR(Check(xmlTextWriterEndElement(w), "user"));
    }
    return Check(xmlTextWriterEndElement(w), name);
  }
};

ExportWriter::ExportWriter(Sink sink) : impl_(std::make_unique<Impl>()) {
  InitLibxml();
  impl_->sink = std::move(sink);
  impl_->pending.reserve(Impl::kChunk + 4096);
  xmlOutputBufferPtr out = xmlOutputBufferCreateIO(Impl::Write, Impl::Close, impl_.get(), nullptr);
  impl_->w = xmlNewTextWriter(out);
  xmlTextWriterSetIndent(impl_->w, 1);
  xmlTextWriterSetIndentString(impl_->w, X("  "));
}

ExportWriter::~ExportWriter() {
  if (impl_->w) xmlFreeTextWriter(impl_->w);
}

Status ExportWriter::Begin(const ExportHeader& h) {
  auto& i = *impl_;
  CONCORD_RETURN_IF_ERROR(
      i.Check(xmlTextWriterStartDocument(i.w, nullptr, "UTF-8", nullptr), "start"));
  CONCORD_RETURN_IF_ERROR(i.Check(xmlTextWriterStartElement(i.w, X("syncedResources")), "root"));
  CONCORD_RETURN_IF_ERROR(i.Attribute("xmlns", kNamespace));
  CONCORD_RETURN_IF_ERROR(i.Attribute("formatVersion", std::to_string(h.format_version)));
  CONCORD_RETURN_IF_ERROR(i.Attribute("remoteAppDefId", h.remote_app_def_id));
  CONCORD_RETURN_IF_ERROR(i.Attribute("exported", FormatTimestamp(h.exported)));
  return i.Attribute("lastAppliedEventSeq", std::to_string(h.last_applied_event_seq));
}

Status ExportWriter::Add(const SyncedResource& r) {
  auto& i = *impl_;
  if (!i.last_community.empty() && r.community_uuid <= i.last_community) {
    return Internal("the export's resources must come in community uuid order");
  }
  i.last_community = r.community_uuid;
  CONCORD_RETURN_IF_ERROR(i.Check(xmlTextWriterStartElement(i.w, X("resource")), "resource"));
  CONCORD_RETURN_IF_ERROR(i.Attribute("objectIdentifyingId", r.object_identifying_id));
  CONCORD_RETURN_IF_ERROR(i.Attribute("communityUuid", r.community_uuid));
  if (r.widget_instance_id)
    CONCORD_RETURN_IF_ERROR(i.Attribute("widgetInstanceId", *r.widget_instance_id));
  CONCORD_RETURN_IF_ERROR(i.Attribute("version", std::to_string(r.version)));
  CONCORD_RETURN_IF_ERROR(i.Attribute("inTrash", r.in_trash ? "true" : "false"));
  CONCORD_RETURN_IF_ERROR(i.Element("name", r.name));
  CONCORD_RETURN_IF_ERROR(i.Element("visibility", r.visibility));
  CONCORD_RETURN_IF_ERROR(i.Element("listWhenPrivate", r.list_when_private ? "true" : "false"));
  CONCORD_RETURN_IF_ERROR(i.Element("theme", r.theme));
  CONCORD_RETURN_IF_ERROR(
      i.Element("ownersApproveContent", r.owners_approve_content ? "true" : "false"));
  CONCORD_RETURN_IF_ERROR(
      i.Element("viewersFlagContent", r.viewers_flag_content ? "true" : "false"));
  CONCORD_RETURN_IF_ERROR(i.People("owners", r.owners));
  CONCORD_RETURN_IF_ERROR(i.People("members", r.members));
  CONCORD_RETURN_IF_ERROR(i.Check(xmlTextWriterEndElement(i.w), "resource"));
  ++count_;
  return Ok();
}

Status ExportWriter::End() {
  auto& i = *impl_;
  CONCORD_RETURN_IF_ERROR(i.Check(xmlTextWriterStartElement(i.w, X("end")), "end"));
  CONCORD_RETURN_IF_ERROR(i.Attribute("resources", std::to_string(count_)));
  CONCORD_RETURN_IF_ERROR(i.Check(xmlTextWriterEndElement(i.w), "end"));
  CONCORD_RETURN_IF_ERROR(i.Check(xmlTextWriterEndDocument(i.w), "document"));
  CONCORD_RETURN_IF_ERROR(i.Check(xmlTextWriterFlush(i.w), "flush"));
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
