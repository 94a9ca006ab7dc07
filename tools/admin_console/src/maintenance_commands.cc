// MaintenanceService: Concord's maintenance mode from the console, over /api/admin/maintenance.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <sstream>

#include "command.h"

namespace concord::admin {
namespace {

const std::string kPath = "/api/admin/maintenance";

Value StateValue(const nlohmann::json& j) {
  Value v;
  for (const char* key :
       {"enabled", "allow", "since", "by", "reason", "retryAfterSeconds", "customPage"}) {
    v[key] = Value::parse(j.value(key, nlohmann::json()).dump());
  }
  return v;
}

}  // namespace

// Prints the state and every process of the deployment told; fails (naming them) when one could
// not be told, unless `force`.
Result<Value> Told(Session& s, const nlohmann::json& r, bool force) {
  s.Print(r["description"].get<std::string>() + "\n");
  std::vector<std::string> untold;
  auto processes = r.value("processes", nlohmann::json::array());
  if (processes.size() < 2) processes = nlohmann::json::array();  // one process: nothing to add
  for (const auto& p : processes) {
    bool told = p.value("told", false);
    s.Print(fmt::format("  {} {} ({}){}\n", told ? "told" : "NOT TOLD", p.value("url", "?"),
                        p.value("services", ""), told ? "" : ": " + p.value("error", "")));
    if (!told) untold.push_back(p.value("url", "?"));
  }
  if (!untold.empty() && !force) {
    return Unavailable(fmt::format(
        "{} process(es) of the deployment could not be told and do not enforce this: {} (they "
        "take the deployment's state once back; pass force=True to accept)",
        untold.size(), fmt::format("{}", fmt::join(untold, ", "))));
  }
  return Value(1);
}

void AddMaintenanceCommands(std::vector<Command>& out) {
  const std::string svc = "MaintenanceService";
  out.push_back(
      {svc,
       "enable",
       {{"allow", Kind::kStringList, true},
        {"pageFile", Kind::kString, true},
        {"reason", Kind::kString, true},
        {"force", Kind::kFlag, true}},
       "Turns maintenance mode on for the whole deployment (every process enforces it before "
       "this returns): every address but the local host and `allow` (a list, or a "
       "comma-separated string, of addresses and CIDR ranges) gets 503 with the maintenance "
       "page: the HTML file pageFile on this machine, or the default one. Refused if it would "
       "shut out your own address. Fails, naming them, if a process could not be told, unless "
       "force. Returns 1.",
       Failure::kRaise,
       [](Session& s, const Args& a) -> Result<Value> {
         nlohmann::json body = {{"enabled", true}};
         if (a.size() > 0 && !a[0].is_null()) body["allow"] = nlohmann::json::parse(a[0].dump());
         if (a.size() > 1 && !a[1].is_null()) {
           std::ifstream in(a[1].get<std::string>(), std::ios::binary);
           if (!in) {
             return NotFound(fmt::format("cannot read the page file {} on this machine",
                                         a[1].get<std::string>()));
           }
           std::stringstream text;
           text << in.rdbuf();
           body["page"] = text.str();
         }
         if (a.size() > 2 && !a[2].is_null()) body["reason"] = a[2].get<std::string>();
         bool force = a.size() > 3 && !a[3].is_null() && a[3].get<bool>();
         CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Put(kPath, body));
         return Told(s, r, force);
       }});
  out.push_back({svc,
                 "disable",
                 {{"force", Kind::kFlag, true}},
                 "Turns maintenance mode off for the whole deployment; fails, naming them, if a "
                 "process could not be told, unless force. Returns 1.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   bool force = !a.empty() && !a[0].is_null() && a[0].get<bool>();
                   CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Put(kPath, {{"enabled", false}}));
                   return Told(s, r, force);
                 }});
  out.push_back({svc,
                 "status",
                 {},
                 "Maintenance mode's state: a dict with enabled, allow, since, by, reason.",
                 Failure::kRaise,
                 [](Session& s, const Args&) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Get(kPath));
                   return StateValue(r);
                 }});
}

}  // namespace concord::admin
