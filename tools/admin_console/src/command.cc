#include "command.h"

#include <fmt/format.h>

#include <algorithm>

#include "concord/apps/registry.h"

namespace concord::admin {

std::string Command::Signature() const {
  std::string out = name + "(";
  int optional = 0;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].optional) {
      out += "[";
      ++optional;
    }
    if (i > 0) out += ", ";
    out += params[i].name;
  }
  out += std::string(optional, ']') + ")";
  return out;
}

const std::vector<Service>& Services() {
  // The reference's table (connections-admin.md section 3), plus Concord's MaintenanceService:
  // Communities' objects here, each application's from its description (libs/apps).
  static const std::vector<Service> kServices = [] {
    std::vector<Service> out = {
        {"CommunitiesService", "communitiesAdmin.py", "find and change communities and members"},
        {"CommunitiesQEventService", "communitiesAdmin.py",
         "the queue of undelivered lifecycle events"},
        {"CommunitiesScheduler", "communitiesAdmin.py", "the Communities scheduled tasks"},
        {"MaintenanceService", "communitiesAdmin.py", "keep users out during repairs (Concord)"},
        {"CommunitiesRemoteAppService", "communitiesAdmin.py",
         "synchronization reports and resync"},
    };
    for (const apps::Application* a : apps::All()) {
      for (const auto& o : a->console) {
        out.push_back({std::string(o.name), std::string(o.script), std::string(o.summary)});
      }
    }
    return out;
  }();
  return kServices;
}

std::vector<std::string> AdminScripts() {
  std::vector<std::string> out;
  for (const auto& s : Services()) {
    if (std::find(out.begin(), out.end(), s.script) == out.end()) out.push_back(s.script);
  }
  return out;
}

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = [] {
    std::vector<Command> out;
    AddCommunityCommands(out);
    AddQueueCommands(out);
    AddSchedulerCommands(out);
    AddMaintenanceCommands(out);
    AddExportCommands(out);
    AddRemoteAppCommands(out);
    AddDeleteCommands(out);
    AddShareCommands(out);
    return out;
  }();
  return kCommands;
}

std::string Describe(const Command& c, const Error& e) {
  std::string out = fmt::format("{}.{}: {}", c.service, c.name, e.message);
  if (!e.accepted.empty()) out += fmt::format(" (accepted: {})", fmt::join(e.accepted, ", "));
  return out;
}

void PrintTable(Session& s, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out += " | ";
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size(), ' ');
    }
    return out + "\n";
  };
  std::string text = line(header);
  size_t total = 0;
  for (size_t w : width) total += w;
  text += std::string(total + 3 * (width.size() - 1), '-') + "\n";
  for (const auto& r : rows) text += line(r);
  s.Print(text);
}

Result<Value> RunCommand(Session& s, std::string_view service, std::string_view name,
                         const Args& args) {
  for (const auto& c : Commands()) {
    if (c.service != service || c.name != name) continue;
    size_t required = 0;
    for (const auto& p : c.params) required += p.optional ? 0 : 1;
    if (args.size() < required || args.size() > c.params.size()) {
      return InvalidArgument(
          "arguments", fmt::format("{} takes {} to {} arguments, not {}", c.Signature(), required,
                                   c.params.size(), args.size()));
    }
    return c.run(s, args);
  }
  return InvalidArgument("command", fmt::format("no command {}.{}", service, name));
}

}  // namespace concord::admin
