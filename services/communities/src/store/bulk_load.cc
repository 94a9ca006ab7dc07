// Bulk loading for `concord populate`: the sample stream written in large transactions with
// prepared statements, so a million communities take minutes, not hours.
#include <fmt/format.h>

#include "concord/base/secrets.h"
#include "concord/communities/sample_data.h"
#include "store/community_store.h"

namespace concord::communities {
namespace {

constexpr int kProgressEvery = 2000;

}  // namespace

Result<PopulateReport> Populate(db::Database& database, const PopulateOptions& options) {
  if (options.communities < 1 || options.communities > 10'000'000) {
    return InvalidArgument("communities", "populate makes from 1 to 10000000 communities");
  }
  CONCORD_ASSIGN_OR_RETURN(auto lease, database.Acquire());
  db::Connection& c = *lease;
  CONCORD_ASSIGN_OR_RETURN(auto existing, c.QueryInt("SELECT COUNT(*) FROM communities"));
  if (existing.value_or(0) > 0) {
    return FailedPrecondition(fmt::format(
        "populate fills an empty deployment, and this one has {} communities already", *existing));
  }

  // SQLite tuning for the length of the load (the deployment lock keeps everyone else out):
  // random uuid keys put every insert on a random B-tree page, so keep the pages in a 1 GiB
  // cache; skip the fsync (WAL stays consistent after a process crash); and build the
  // secondary indexes once at the end, by sorting, instead of row by row. One transaction for
  // the whole load: an interrupted populate leaves the database as it was, indexes included.
  bool sqlite = c.backend() == db::Backend::kSqlite;
  if (sqlite) {
    CONCORD_RETURN_IF_ERROR(
        c.ExecuteScript("PRAGMA cache_size = -1048576; PRAGMA synchronous = OFF"));
  }
  auto load = [&]() -> Result<PopulateReport> {
    CONCORD_ASSIGN_OR_RETURN(auto tx, db::Transaction::Begin(c, db::TxMode::kWrite));
    std::vector<std::string> deferred_indexes;
    if (sqlite) {
      CONCORD_ASSIGN_OR_RETURN(
          db::Rows rows,
          c.Query("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                  "AND tbl_name IN ('communities', 'members', 'widgets')"));
      std::vector<std::string> names;
      while (true) {
        CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
        if (!has) break;
        names.push_back(rows.Text(0));
        deferred_indexes.push_back(rows.Text(1));
      }
      for (const auto& n : names) CONCORD_RETURN_IF_ERROR(c.ExecuteScript("DROP INDEX " + n));
    }
    PopulateReport report;
    SampleGenerator gen(options.seed, options.communities);
    report.sample_password = RandomPassword(16);
    CONCORD_ASSIGN_OR_RETURN(std::string hash, HashPassword(report.sample_password));
    const store::CommunityStore communities;
    const store::UserStore users;

    for (int64_t i = 0; i < gen.user_count(); ++i) {
      // Sample users share one password hash: computing 200,000 Argon2id hashes would take
      // hours, and these accounts exist only for demonstrations and benchmarks.
      CONCORD_RETURN_IF_ERROR(users.Insert(c, gen.UserAt(i), hash));
    }
    report.users = gen.user_count();

    while (!gen.Done()) {
      for (int k = 0; k < kProgressEvery && !gen.Done(); ++k) {
        SampleCommunity s = gen.Next();
        if (options.applications) {
          CONCORD_ASSIGN_OR_RETURN(auto resources, options.applications(s));
          for (auto& w : s.widgets) {
            if (auto it = resources.find(w.instance_id.value()); it != resources.end()) {
              w.remote_resource_id = it->second;
            }
          }
        }
        CONCORD_RETURN_IF_ERROR(communities.Insert(c, s.community));
        for (const auto& [user, role] : s.members) {
          CONCORD_RETURN_IF_ERROR(
              communities.InsertMember(c, s.community.uuid, user, role, s.community.created));
        }
        for (const auto& w : s.widgets) CONCORD_RETURN_IF_ERROR(communities.InsertWidget(c, w));
        report.communities += 1;
        report.subcommunities += s.community.parent ? 1 : 0;
        report.memberships += static_cast<int64_t>(s.members.size());
        report.widgets += static_cast<int64_t>(s.widgets.size());
      }
      if (options.progress) options.progress(report.communities);
    }
    for (const auto& sql : deferred_indexes) CONCORD_RETURN_IF_ERROR(c.ExecuteScript(sql));
    CONCORD_RETURN_IF_ERROR(tx.Commit());
    return report;
  };
  auto result = load();
  if (sqlite) {
    // The connection goes back to the pool: restore the defaults whatever happened.
    (void)c.ExecuteScript("PRAGMA cache_size = -2000; PRAGMA synchronous = NORMAL");
  }
  return result;
}

}  // namespace concord::communities
