#pragma once
// Sample data shaped like a company intranet, for `concord populate`, `make run` and the
// benchmarks: most communities small, a few with thousands of members, a fifth restricted,
// some subcommunities (whose members all belong to the parent), the default widgets plus a
// random choice of the optional remote ones. Deterministic for a given seed.
//
// The generator yields one community at a time, so a million communities never sit in memory;
// the remote applications' loaders (later) consume the same stream.

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "concord/communities/model.h"
#include "concord/db/database.h"

namespace concord::communities {

struct SampleCommunity {
  Community community;
  std::vector<std::pair<UserId, Role>> members;
  std::vector<Widget> widgets;
};

class SampleGenerator {
 public:
  SampleGenerator(uint64_t seed, int64_t communities);

  // The sample users (generated once, before the communities).
  int64_t user_count() const { return user_count_; }
  User UserAt(int64_t index) const;

  bool Done() const { return produced_ >= total_; }
  // The next community with its members and widgets.
  SampleCommunity Next();

 private:
  struct Recent {
    CommunityUuid uuid;
    Visibility visibility;
    std::vector<UserId> members;
  };
  std::mt19937_64 rng_;
  uint64_t seed_;
  int64_t total_;
  int64_t produced_ = 0;
  int64_t user_count_;
  Millis start_;
  std::vector<Recent> recent_top_level_;  // candidates parents, a small ring
};

struct PopulateOptions {
  int64_t communities = 100;
  uint64_t seed = 1;
  // Called every few thousand communities with the number written so far.
  std::function<void(int64_t written)> progress;
  // Called with each community before it is written: gives the remote applications their share
  // and returns the resource each remote widget is bound to (widget instance id -> resource id).
  std::function<Result<std::map<std::string, std::string>>(const SampleCommunity&)> applications;
};

struct PopulateReport {
  int64_t users = 0;
  int64_t communities = 0;
  int64_t subcommunities = 0;
  int64_t memberships = 0;
  int64_t widgets = 0;
  std::string sample_password;  // every sample user's password
};

// Fills a Communities database that has no communities yet. kFailedPrecondition if it has some.
Result<PopulateReport> Populate(db::Database& database, const PopulateOptions& options);

}  // namespace concord::communities
