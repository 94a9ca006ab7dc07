// CommunitiesScheduler (reference section 5.2), over /communities/api/admin/scheduler.
#include <fmt/format.h>

#include "command.h"

namespace concord::admin {
namespace {

std::string TaskPath(const Value& name) {
  return "/communities/api/admin/scheduler/tasks/" + http::UrlEncode(name.get<std::string>());
}

// The reference's HashMap: its four documented keys first, then what Concord adds.
Value DetailsValue(const nlohmann::json& d) {
  Value v;
  for (const char* key : {"currentServerTime", "nextFireTime", "status", "taskName", "interval",
                          "lastStarted", "lastFinished", "lastResult"}) {
    v[key] = Value::parse(d.value(key, nlohmann::json()).dump());
  }
  return v;
}

}  // namespace

void AddSchedulerCommands(std::vector<Command>& out) {
  const std::string svc = "CommunitiesScheduler";
  out.push_back({svc,
                 "getTaskDetails",
                 {{"taskName", Kind::kString}},
                 "The task's state: a dict with currentServerTime, nextFireTime, status "
                 "(SCHEDULED, RUNNING or SUSPENDED) and taskName. Tasks: "
                 "LifecycleRetryQueuedEvents, EventLogCleanup, fullDelete.",
                 Failure::kRaise,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_ASSIGN_OR_RETURN(auto d, s.client().Get(TaskPath(a[0])));
                   return DetailsValue(d);
                 }});
  out.push_back({svc,
                 "pauseSchedulingTask",
                 {{"taskName", Kind::kString}},
                 "Suspends the task (it stays suspended across restarts; a run in progress "
                 "finishes). Returns 1, or 0 on failure.",
                 Failure::kReturnZero,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_RETURN_IF_ERROR(s.client().Post(TaskPath(a[0]) + "/pause", {}));
                   return Value(1);
                 }});
  out.push_back({svc,
                 "resumeSchedulingTask",
                 {{"taskName", Kind::kString}},
                 "A suspended task is scheduled again; it runs at its next fire time. Returns "
                 "1, or 0 on failure.",
                 Failure::kReturnZero,
                 [](Session& s, const Args& a) -> Result<Value> {
                   CONCORD_RETURN_IF_ERROR(s.client().Post(TaskPath(a[0]) + "/resume", {}));
                   return Value(1);
                 }});
  out.push_back(
      {svc,
       "forceTaskExecution",
       {{"taskName", Kind::kString}, {"executeSynchronously", Kind::kFlag, true}},
       "Runs the task now, even if suspended (Concord's addition, as some applications' schedulers "
       "have it). "
       "executeSynchronously \"true\" waits for the run and prints its result; \"false\" (the "
       "default) returns at once. Returns 1, or 0 on failure.",
       Failure::kReturnZero,
       [](Session& s, const Args& a) -> Result<Value> {
         bool sync = a.size() > 1 && a[1].get<bool>();
         CONCORD_ASSIGN_OR_RETURN(
             auto d,
             s.client().Post(TaskPath(a[0]) + "/run?synchronous=" + (sync ? "true" : "false"), {}));
         if (sync) {
           std::string result = d.value("lastResult", nlohmann::json()).is_string()
                                    ? d["lastResult"].get<std::string>()
                                    : "ok";
           s.Print(fmt::format("{}: {}\n", a[0].get<std::string>(), result));
           if (result != "ok") return Unavailable(result);
         }
         return Value(1);
       }});
}

}  // namespace concord::admin
