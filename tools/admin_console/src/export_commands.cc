// exportSyncedResourceInfo on each application's service object (reference section 7): the
// application streams its export, the console writes it on this machine.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "command.h"
#include "concord/apps/registry.h"
#include "concord/lifecycle/widgets.h"

namespace concord::admin {
namespace {

namespace fs = std::filesystem;

Status CheckContainerType(const std::string& param, const Value& v) {
  if (v.get<std::string>() != "community") {
    return InvalidArgument(param,
                           fmt::format("{} must be \"community\" (lower case, singular), not '{}'",
                                       param, v.get<std::string>().substr(0, 40)),
                           {"community"});
  }
  return Ok();
}

// The file to write: an absolute path with forward slashes, in a directory that exists.
Result<fs::path> OutputFile(const std::string& param, const std::string& text) {
  if (text.find('\\') != std::string::npos) {
    return InvalidArgument(param, fmt::format("{} must use forward slashes: '{}'", param, text));
  }
  fs::path p(text);
  if (!p.is_absolute()) {
    return InvalidArgument(param,
                           fmt::format("{} must be an absolute path including the file name, "
                                       "e.g. /tmp/blogsOutput.xml; '{}' is not",
                                       param, text.substr(0, 200)));
  }
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    return InvalidArgument(param, fmt::format("{} is a directory; give a file name in it", text));
  }
  if (!fs::is_directory(p.parent_path(), ec)) {
    return InvalidArgument(param, fmt::format("the directory {} does not exist on this machine",
                                              p.parent_path().string()));
  }
  return p;
}

}  // namespace

// Downloads `app`'s export into `file` (through a .partial file renamed at the end, so a file
// by that name is always complete). Returns the number of resources.
Result<Value> ExportApp(Session& s, const std::string& app, const fs::path& file) {
  const auto* def = lifecycle::FindWidgetDef(app);
  std::string path = fmt::format("/{}/api/admin/export/{}", def->application, app);
  fs::path partial = file;
  partial += ".partial";
  std::string tail;
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) return Unavailable(fmt::format("cannot write {} on this machine", partial.string()));
    std::error_code perm_ec;  // the export holds every member of every community
    fs::permissions(partial, fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace, perm_ec);
    int64_t seen = 0, shown = 0;  // resources so far, for progress on long exports
    auto st = s.client().Download(path, [&](std::string_view chunk) {
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      if (chunk.size() >= 256) {
        tail.assign(chunk.substr(chunk.size() - 256));
      } else {
        tail.append(chunk);
        if (tail.size() > 256) tail.erase(0, tail.size() - 256);
      }
      // Approximate (a closing tag split across two chunks is not counted): progress only.
      for (auto p = chunk.find("</resource>"); p != std::string_view::npos;
           p = chunk.find("</resource>", p + 11)) {
        ++seen;
      }
      if (seen - shown >= 100000) {
        shown = seen;
        s.Print(fmt::format("  ... about {} {} resources so far\n", seen, app));
      }
      return static_cast<bool>(out);
    });
    out.close();
    if (st && !out)
      st = Unavailable(fmt::format("writing {} failed (disk full?)", partial.string()));
    if (!st) {
      std::error_code ec;
      fs::remove(partial, ec);
      return std::unexpected(st.error());
    }
  }
  // The end marker proves the application wrote the whole export.
  auto marker = tail.find("<end resources=\"");
  if (marker == std::string::npos || tail.find("</syncedResources>") == std::string::npos) {
    std::error_code ec;
    fs::remove(partial, ec);
    return Unavailable(
        "the export arrived incomplete; nothing was written (see the "
        "application's log)");
  }
  int64_t count = std::stoll(tail.substr(marker + 16));
  std::error_code ec;
  fs::rename(partial, file, ec);
  if (ec) return Unavailable(fmt::format("cannot rename {}: {}", partial.string(), ec.message()));
  s.Print(fmt::format("Exported {} {} resource{} to {}\n", count, app, count == 1 ? "" : "s",
                      file.string()));
  return Value(count);
}

namespace {

// <object>.exportSyncedResourceInfo(path, type[, app]) of one application (its description).
Command ExportCommand(const apps::Application& application) {
  const apps::ExportCommand& e = application.export_command;
  std::string path_param(e.path_param), type_param(e.type_param), app_param(e.app_param);
  std::vector<std::string> apps_served;
  apps_served.reserve(application.widgets.size());
  for (const auto& w : application.widgets) apps_served.emplace_back(w.def_id);
  std::vector<Param> params = {{path_param, Kind::kString}, {type_param, Kind::kString}};
  std::string help =
      "Writes an XML file (docs/xml-export.md), on this machine, of every "
      "community-owned " +
      std::string(application.title) +
      " resource with the community attributes the application holds. " + type_param +
      " must be \"community\"; " + path_param + " an absolute path, file name included.";
  if (!app_param.empty()) {
    params.push_back({app_param, Kind::kString, true});
    help += fmt::format(" {} picks which resources: \"{}\" (the default)", app_param,
                        fmt::join(apps_served, "\", \""));
    help += "; export and report each separately.";
  }
  help += " Returns the number of resources.";
  return {
      std::string(e.object),
      "exportSyncedResourceInfo",
      params,
      help,
      Failure::kRaise,
      [path_param, type_param, app_param, apps_served](Session& s, const Args& a) -> Result<Value> {
        CONCORD_RETURN_IF_ERROR(CheckContainerType(type_param, a[1]));
        std::string app = apps_served.front();
        if (a.size() > 2 && !a[2].is_null()) app = a[2].get<std::string>();
        if (std::find(apps_served.begin(), apps_served.end(), app) == apps_served.end()) {
          return InvalidArgument(app_param,
                                 fmt::format("{} must be \"{}\", not '{}'", app_param,
                                             fmt::join(apps_served, "\" or \""), app.substr(0, 40)),
                                 apps_served);
        }
        CONCORD_ASSIGN_OR_RETURN(auto file, OutputFile(path_param, a[0].get<std::string>()));
        return ExportApp(s, app, file);
      }};
}

}  // namespace

void AddExportCommands(std::vector<Command>& out) {
  for (const apps::Application* a : apps::All()) {
    if (!a->export_command.object.empty()) out.push_back(ExportCommand(*a));
  }
}

}  // namespace concord::admin
