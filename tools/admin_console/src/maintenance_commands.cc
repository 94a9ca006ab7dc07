// MaintenanceService: Concord's maintenance mode from the console, over /api/admin/maintenance.
#include <fmt/format.h>

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

void AddMaintenanceCommands(std::vector<Command>& out) {
  const std::string svc = "MaintenanceService";
  out.push_back(
      {svc,
       "enable",
       {{"allow", Kind::kStringList, true},
        {"pageFile", Kind::kString, true},
        {"reason", Kind::kString, true}},
       "Turns maintenance mode on: every address but the local host and `allow` (a list, or a "
       "comma-separated string, of addresses and CIDR ranges) gets 503 with the maintenance "
       "page: the HTML file pageFile on this machine, or the default one. Refused if it would "
       "shut out your own address. Returns 1.",
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
         CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Put(kPath, body));
         s.Print(r["description"].get<std::string>() + "\n");
         return Value(1);
       }});
  out.push_back({svc,
                 "disable",
                 {},
                 "Turns maintenance mode off. Returns 1.",
                 Failure::kRaise,
                 [](Session& s, const Args&) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(auto r, s.client().Put(kPath, {{"enabled", false}}));
                   s.Print(r["description"].get<std::string>() + "\n");
                   return Value(1);
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
