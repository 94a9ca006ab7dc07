// The administrators' API of the Communities scheduler: what concord-admin's
// CommunitiesScheduler commands call.
#include "concord/communities/service.h"
#include "concord/http/server.h"
#include "concord/scheduler/scheduler.h"

namespace concord::communities {
namespace {

using http::Request;
using http::Response;
using nlohmann::json;

json DetailsJson(const scheduler::TaskDetails& d) {
  auto ts = [](std::optional<Millis> t) { return t ? json(FormatTimestamp(*t)) : json(nullptr); };
  return {{"taskName", d.task_name},
          {"status", scheduler::TaskStatusName(d.status)},
          {"interval", d.interval},
          {"nextFireTime", ts(d.next_fire_time)},
          {"currentServerTime", FormatTimestamp(d.current_server_time)},
          {"lastStarted", ts(d.last_started)},
          {"lastFinished", ts(d.last_finished)},
          {"lastResult", d.last_result.empty() ? json(nullptr) : json(d.last_result)}};
}

}  // namespace

void MountSchedulerApi(http::Server& server, scheduler::Scheduler& s) {
  const std::string base = "/communities/api/admin/scheduler/tasks";
  server.Get(base, http::Access::kAdministrator, [&s](const Request&) -> Result<Response> {
    json items = json::array();
    for (const auto& name : s.TaskNames()) {
      CONCORD_ASSIGN_OR_RETURN(auto d, s.Details(name));
      items.push_back(DetailsJson(d));
    }
    return Response::Json(200, {{"items", items}});
  });
  server.Get(base + "/([^/]+)", http::Access::kAdministrator,
             [&s](const Request& r) -> Result<Response> {
               CONCORD_ASSIGN_OR_RETURN(auto d, s.Details(r.path_params[0]));
               return Response::Json(200, DetailsJson(d));
             });
  server.Post(base + "/([^/]+)/(pause|resume|run)", http::Access::kAdministrator,
              [&s](const Request& r) -> Result<Response> {
                const std::string& name = r.path_params[0];
                const std::string& action = r.path_params[1];
                if (action == "pause") {
                  CONCORD_RETURN_IF_ERROR(s.Pause(name));
                } else if (action == "resume") {
                  CONCORD_RETURN_IF_ERROR(s.Resume(name));
                } else {
                  std::string sync = r.Query("synchronous").value_or("false");
                  if (sync != "true" && sync != "false") {
                    return InvalidArgument("synchronous", "synchronous must be true or false",
                                           {"true", "false"});
                  }
                  CONCORD_RETURN_IF_ERROR(s.ForceExecution(name, sync == "true"));
                }
                CONCORD_ASSIGN_OR_RETURN(auto d, s.Details(name));
                return Response::Json(200, DetailsJson(d));
              });
}

}  // namespace concord::communities
