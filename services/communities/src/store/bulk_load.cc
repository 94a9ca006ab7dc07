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

  // Tuned for the length of the load (the deployment lock keeps everyone else out): a 256 MiB
  // page cache (the sample communities' time-ordered uuids append rows to the tables rather than
  // scatter them, so a larger cache buys nothing; the process stays under 1 GB at any size); no
  // fsync; and the secondary indexes built once at the end, by sorting, instead of row by row. One
  // transaction for the whole load: an interrupted populate leaves the database as it was,
  // indexes included.
  CONCORD_RETURN_IF_ERROR(c.TuneForBulkLoad(true, int64_t{256} << 10));
  auto load = [&]() -> Result<PopulateReport> {
    CONCORD_ASSIGN_OR_RETURN(auto tx, db::Transaction::Begin(c, db::TxMode::kWrite));
    CONCORD_ASSIGN_OR_RETURN(std::vector<std::string> deferred_indexes,
                             c.DropSecondaryIndexes({"communities", "members", "widgets"}));
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
  // The connection goes back to the pool: the defaults again, whatever happened.
  (void)c.TuneForBulkLoad(false, 0);
  return result;
}

}  // namespace concord::communities
