// Batched lifecycle delivery: POST {base}/lifecycle/{remoteAppDefId}/batch applies many logged
// events in one transaction (docs/http-api.md, "Lifecycle events"). An event the application
// refuses is answered with its error and rolled back alone; the later events of its community
// in the batch are held (not applied), so that each community's events still apply in order
// (all later events, when the refused one's community cannot be read); the rest of the batch is
// applied.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>

#include "concord/base/ids.h"
#include "concord/http/json_body.h"
#include "concord/http/server.h"
#include "concord/remoteapp/remote_app.h"

namespace concord::remoteapp {
namespace {

using nlohmann::json;

// An error that concerns the whole batch (the database is unavailable or busy, or PostgreSQL
// aborted the transaction: a deadlock, a failed commit): the batch is answered with it and
// nothing is applied, rather than refusing events that are not at fault.
bool BatchWide(const Error& e) {
  return e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kAborted;
}

// One event's refusal, as the HTTP edge would answer it alone: an internal error's detail goes
// to the log, with a reference the answer gives.
json Refusal(const Error& e, const std::string& service) {
  Error shown = e;
  if (e.code == ErrorCode::kInternal) {
    std::string ref = NewUuid().substr(0, 8);
    spdlog::error("{}: lifecycle event refused (reference {}): {}", service, ref, e.message);
    shown.message = "internal error; the server log has the details (reference " + ref + ")";
    shown.field.clear();
    shown.accepted.clear();
  }
  json out = http::ErrorJson(shown);
  out["status"] = http::ErrorStatus(e.code);
  return out;
}

// The community an event is about, read from its JSON even when the event is malformed
// otherwise ("" when it cannot be read): a refused event holds its community's later events.
std::string CommunityOf(const json& event) {
  if (!event.is_object()) return "";
  auto c = event.find("community");
  if (c == event.end() || !c->is_object()) return "";
  auto u = c->find("uuid");
  return u != c->end() && u->is_string() ? u->get<std::string>() : "";
}

}  // namespace

Result<std::vector<json>> RemoteApplication::ApplyBatch(const std::string& app,
                                                        const std::vector<json>& events) {
  CONCORD_RETURN_IF_ERROR(CheckServes(app));
  TrimAppliedEventsIfDue();
  std::vector<Result<lifecycle::LifecycleEvent>> parsed;
  parsed.reserve(events.size());
  for (const auto& e : events) parsed.push_back(lifecycle::EventFromJson(e));

  // `isolate`: each event in a savepoint of its own, so that a refused one is rolled back alone.
  // The first attempt goes without (one transaction, nothing more); only a batch with a refused
  // event is applied again, isolated.
  auto attempt = [&](bool isolate) {
    return database_->InTransaction(
        db::TxMode::kWrite, [&](db::Connection& c) -> Result<std::vector<json>> {
          std::vector<json> out(events.size());
          std::set<std::string> held;  // communities with a refused event earlier in the batch
          bool hold_all = false;       // a refused event's community could not be read
          for (size_t i = 0; i < events.size(); ++i) {
            std::string community =
                parsed[i] ? parsed[i]->community.uuid.value() : CommunityOf(events[i]);
            if (hold_all || (!community.empty() && held.contains(community))) {
              out[i] = {{"held", true}};
              continue;
            }
            if (!parsed[i]) {
              if (!isolate) return std::unexpected(parsed[i].error());
              out[i] = Refusal(parsed[i].error(), definition_.service);
              // Whose later events must wait for it: its community's, or, when that cannot be
              // read, every later one (Communities knows its community and holds it back).
              if (community.empty()) hold_all = true;
              held.insert(community);
              continue;
            }
            if (isolate) CONCORD_RETURN_IF_ERROR(c.Execute("SAVEPOINT lifecycle_event"));
            auto applied = ApplyIn(c, app, *parsed[i]);
            if (applied) {
              if (isolate) CONCORD_RETURN_IF_ERROR(c.Execute("RELEASE SAVEPOINT lifecycle_event"));
              out[i] = std::move(*applied);
              continue;
            }
            if (!isolate || BatchWide(applied.error())) return std::unexpected(applied.error());
            CONCORD_RETURN_IF_ERROR(c.Execute("ROLLBACK TO SAVEPOINT lifecycle_event"));
            CONCORD_RETURN_IF_ERROR(c.Execute("RELEASE SAVEPOINT lifecycle_event"));
            spdlog::warn("{}: lifecycle event {} for {} refused: {}", definition_.service,
                         parsed[i]->seq, app, applied.error().message);
            out[i] = Refusal(applied.error(), definition_.service);
            held.insert(community);
          }
          return out;
        });
  };
  auto whole = attempt(false);
  if (whole || BatchWide(whole.error())) return whole;
  return attempt(true);
}

void RemoteApplication::MountLifecycleBatch(http::Server& server) {
  server.Post(definition_.base_path + "/lifecycle/([^/]+)/batch", http::Access::kAdministrator,
              [this](const http::Request& r) -> Result<http::Response> {
                CONCORD_ASSIGN_OR_RETURN(json body, http::ParseJson(r.body));
                if (!body.is_object() || !body.contains("events") || !body["events"].is_array()) {
                  return InvalidArgument("events",
                                         "the body must be {\"events\": [lifecycle events]}");
                }
                const auto& events = body["events"];
                if (events.empty() || events.size() > kMaxLifecycleBatch) {
                  return InvalidArgument(
                      "events", fmt::format("a batch holds 1 to {} events; this one holds {}",
                                            kMaxLifecycleBatch, events.size()));
                }
                CONCORD_ASSIGN_OR_RETURN(
                    auto results, ApplyBatch(r.path_params[0], events.get<std::vector<json>>()));
                return http::Response::Json(200, {{"results", std::move(results)}});
              });
}

}  // namespace concord::remoteapp
