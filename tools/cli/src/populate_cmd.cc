// `concord populate` (populate_cmd.h).
#include "populate_cmd.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <map>

#include "cli_error.h"
#include "concord/base/log.h"
#include "concord/communities/sample_data.h"
#include "concord/db/database.h"
#include "concord/deployment/deployment.h"
#include "concord/lifecycle/events.h"
#include "services.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;

// The event an application receives for a sample community: its state, and the widget.
lifecycle::LifecycleEvent SampleEvent(const communities::SampleCommunity& s) {
  lifecycle::LifecycleEvent e;
  e.id = EventId(NewUuid());
  e.created = s.community.created;
  e.actor = s.community.created_by;
  auto& st = e.community;
  st.uuid = s.community.uuid;
  st.name = s.community.name;
  st.visibility = std::string(communities::VisibilityName(s.community.visibility));
  st.list_when_private = s.community.list_when_private;
  st.theme = s.community.theme;
  st.owners_approve_content = s.community.owners_approve_content;
  st.viewers_flag_content = s.community.viewers_flag_content;
  st.version = s.community.version;
  for (const auto& [user, role] : s.members) {
    (role == communities::Role::kOwner ? st.owners : st.members).push_back(user);
  }
  return e;
}

}  // namespace

int Populate(const std::string& data_dir, int64_t count, uint64_t seed) {
  deployment::DataDir dir{fs::absolute(data_dir)};
  InitLogging("info");
  auto lock = deployment::Lock::Acquire(dir, "concord populate");
  if (!lock) return Fail("populate", lock.error());
  auto services = OpenServices(dir);
  if (!services) return Fail("populate", services.error());
  // One write transaction per application database for the whole load: an interrupted populate
  // leaves them as they were.
  struct AppLoad {
    HostedApplication* hosted;
    db::Database::Lease lease;
    std::optional<db::Transaction> tx;
    std::vector<std::string> deferred_indexes;
  };
  std::vector<AppLoad> loads;
  for (auto& app : services->applications) {
    auto lease = app.database->Acquire();
    if (!lease) return Fail("populate", lease.error());
    loads.push_back(AppLoad{&app, std::move(*lease), std::nullopt});
    // As for Communities: tuned for the length of the load (the deployment lock keeps
    // everyone else out); 64 MiB of page cache each, eight databases and Communities' under
    // 1 GB together.
    if (auto s = loads.back().lease->TuneForBulkLoad(true, int64_t{64} << 10); !s) {
      return Fail("populate", s.error());
    }
    auto tx = db::Transaction::Begin(*loads.back().lease, db::TxMode::kWrite);
    if (!tx) return Fail("populate", tx.error());
    loads.back().tx.emplace(std::move(*tx));
    // The synced records' secondary indexes (members by user, records by resource), which
    // nothing reads during the load, are built once at the end, by sorting: kept row by row,
    // the members' index alone took half the load.
    auto deferred =
        loads.back().lease->DropSecondaryIndexes({"synced_members", "synced_communities"});
    if (!deferred) return Fail("populate", deferred.error());
    loads.back().deferred_indexes = std::move(*deferred);
  }
  int64_t resources = 0;
  auto give_to_applications =
      [&](const communities::SampleCommunity& s) -> Result<std::map<std::string, std::string>> {
    std::map<std::string, std::string> bound;
    lifecycle::LifecycleEvent e = SampleEvent(s);
    for (auto& load : loads) {
      bool has_widget = false;
      for (const auto& app : load.hosted->remote_apps) {
        for (const auto& w : s.widgets) {
          if (w.widget_def_id != app) continue;
          has_widget = true;
          e.type = lifecycle::EventType::kRemoteAppAdded;
          e.widget = lifecycle::WidgetRef{w.instance_id, app, std::nullopt};
          CONCORD_ASSIGN_OR_RETURN(auto resource,
                                   load.hosted->application->Populate(*load.lease, app, e));
          if (resource) {
            bound[w.instance_id.value()] = *resource;
            ++resources;
          }
        }
      }
      // Applications that know communities without their widget
      // (tracks_communities_without_widget).
      if (!has_widget && load.hosted->application->definition().tracks_communities_without_widget) {
        e.type = lifecycle::EventType::kCommunityUpdated;
        e.widget.reset();
        for (const auto& app : load.hosted->remote_apps) {
          CONCORD_RETURN_IF_ERROR(load.hosted->application->Populate(*load.lease, app, e));
        }
      }
    }
    return bound;
  };
  auto start = std::chrono::steady_clock::now();
  int64_t last_report = 0;
  auto report = communities::Populate(
      *services->communities_db, {.communities = count,
                                  .seed = seed,
                                  .progress =
                                      [&](int64_t n) {
                                        if (n - last_report >= 50000 || n == count) {
                                          spdlog::info("populate: {} of {} communities", n, count);
                                          last_report = n;
                                        }
                                      },
                                  .applications = give_to_applications});
  if (!report) return Fail("populate", report.error());
  for (auto& load : loads) {
    for (const auto& sql : load.deferred_indexes) {
      if (auto s = load.lease->ExecuteScript(sql); !s) return Fail("populate", s.error());
    }
    if (auto s = load.tx->Commit(); !s) return Fail("populate", s.error());
    (void)load.lease->TuneForBulkLoad(false, 0);
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fs::path sample_creds = dir.root / "sample-users.credentials";
  std::error_code ec;
  fs::remove(sample_creds, ec);
  if (auto s = deployment::WriteCredentials(sample_creds, {"user000000", report->sample_password});
      !s) {
    return Fail("populate", s.error());
  }
  std::cout << fmt::format(
      "populated {} communities ({} subcommunities), {} users, {} memberships, {} widgets and {} "
      "application resources in {:.1f} s\n"
      "sample users user000000 ... user{:06} share the password in {}\n",
      report->communities, report->subcommunities, report->users, report->memberships,
      report->widgets, resources, secs, report->users - 1, sample_creds.string());
  return 0;
}

}  // namespace concord::cli
