#include "concord/communities/sample_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <numeric>

#include "concord/apps/registry.h"
#include "concord/lifecycle/widgets.h"

namespace concord::communities {
namespace {

constexpr std::array kAdjectives = {
    "Global",   "Regional", "Northern", "Southern", "Agile", "Open",   "Digital", "Core",
    "Advanced", "Customer", "Internal", "Future",   "Green", "Secure", "Shared",  "Lean"};
constexpr std::array kTopics = {
    "Marketing",  "Sales",    "Engineering", "Finance",  "Design", "Research",      "Support",
    "Operations", "Data",     "Cloud",       "Security", "Legal",  "Hiring",        "Training",
    "Quality",    "Platform", "Mobile",      "Partners", "Events", "Sustainability"};
constexpr std::array kKinds = {"Team",   "Community", "Guild",   "Network",       "Forum",
                               "Circle", "Hub",       "Program", "Working Group", "Practice"};
constexpr std::array kTags = {"project", "team",     "social",   "howto",      "announcements",
                              "release", "customer", "internal", "q1",         "q2",
                              "q3",      "q4",       "planning", "onboarding", "archive",
                              "emea",    "apac",     "americas"};
constexpr std::array kThemes = {"default", "default", "default", "blue", "silver", "green", "red"};
constexpr std::array kFirst = {"Ada",    "Bruno", "Chloé",   "Dmitri", "Eun-ji", "Farah", "Gustav",
                               "Hana",   "Ines",  "Jonas",   "Kofi",   "Lena",   "Mateo", "Nadia",
                               "Omar",   "Priya", "Quentin", "Rosa",   "Sven",   "Tomás", "Uma",
                               "Viktor", "Wen",   "Yara",    "Zoltan"};
constexpr std::array kLast = {"Almeida",  "Becker",    "Chen",    "Dubois",   "Eriksson",
                              "Fischer",  "García",    "Haddad",  "Ito",      "Jensen",
                              "Kowalski", "Lindqvist", "Müller",  "Nakamura", "Okafor",
                              "Petrov",   "Rossi",     "Schmidt", "Tanaka",   "Weber"};

constexpr Millis kThreeYears = 3LL * 365 * kMillisPerDay;

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string UserIdAt(uint64_t seed, int64_t i) {
  // User i's id is a pure function of the seed and i (a hash, not a generator to seed: this
  // runs once per membership), so members can be drawn without keeping all users in memory.
  uint64_t hi = SplitMix64(seed ^ (static_cast<uint64_t>(i) * 2 + 1));
  uint64_t lo = SplitMix64(hi ^ static_cast<uint64_t>(i));
  return FormatUuid(hi, lo);
}

}  // namespace

SampleGenerator::SampleGenerator(uint64_t seed, int64_t communities)
    : rng_(seed), seed_(seed), total_(communities) {
  user_count_ = std::clamp<int64_t>(communities / 2, 50, 200000);
  start_ = NowMillis() - kThreeYears;
}

User SampleGenerator::UserAt(int64_t i) const {
  std::string login = fmt::format("user{:06}", i);
  uint64_t s = static_cast<uint64_t>(i);
  std::string name =
      fmt::format("{} {}", kFirst[s % kFirst.size()], kLast[(s / kFirst.size()) % kLast.size()]);
  return User{
      UserId(UserIdAt(seed_, i)), login, login + "@example.com", name, false, false, start_};
}

SampleCommunity SampleGenerator::Next() {
  auto uniform = [&](int64_t lo, int64_t hi) {  // inclusive
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  };
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; };
  auto pick = [&](const auto& arr) {
    return arr[static_cast<size_t>(uniform(0, static_cast<int64_t>(arr.size()) - 1))];
  };

  SampleCommunity s;
  Community& c = s.community;
  // Made oldest first, with time-ordered uuids (its widgets' too): each community's rows, its
  // members' and widgets', and every application's record of it and its members, are appended
  // to their tables' B-trees instead of landing on a random page of a tree that outgrows the
  // cache (the applications' own resource ids stay random). Their time is the community's place
  // in the stream from a fixed day, not the clock (nothing reads it back; `created` is the
  // community's time): the same seed makes the same uuids.
  const int64_t offset = (kThreeYears * produced_) / std::max<int64_t>(total_, 1);
  constexpr int64_t kSampleEpoch = 1'600'000'000'000;  // 2020-09-13
  c.created = start_ + offset;
  c.uuid = CommunityUuid(NewTimeOrderedUuid(kSampleEpoch + offset, rng_));
  c.name = fmt::format("{} {} {}", pick(kAdjectives), pick(kTopics), pick(kKinds));
  double v = std::uniform_real_distribution<double>(0, 1)(rng_);
  c.visibility = v < 0.65   ? Visibility::kPublic
                 : v < 0.80 ? Visibility::kModerated
                            : Visibility::kRestricted;
  c.list_when_private = c.visibility == Visibility::kRestricted && chance(0.3);
  c.description = fmt::format("The {} space for everything about {}.", c.name, pick(kTopics));
  for (int64_t t = uniform(0, 3); t > 0; --t) {
    std::string tag = pick(kTags);
    if (std::find(c.tags.begin(), c.tags.end(), tag) == c.tags.end()) c.tags.push_back(tag);
  }
  c.theme = pick(kThemes);
  c.owners_approve_content = chance(0.1);
  c.viewers_flag_content = chance(0.1);
  c.last_mod = c.created + uniform(0, 30) * kMillisPerDay / 10;

  // Members: most communities small, a few huge.
  double r = std::uniform_real_distribution<double>(0, 1)(rng_);
  int64_t size = r < 0.80    ? uniform(1, 8)
                 : r < 0.97  ? uniform(9, 40)
                 : r < 0.999 ? uniform(41, 400)
                             : uniform(1000, 5000);
  size = std::min(size, user_count_);

  std::vector<UserId> chosen;
  const Recent* parent = nullptr;
  if (!recent_top_level_.empty() && chance(0.07)) {
    parent = &recent_top_level_[static_cast<size_t>(
        uniform(0, static_cast<int64_t>(recent_top_level_.size()) - 1))];
    c.parent = parent->uuid;
    if (parent->visibility == Visibility::kRestricted) c.visibility = Visibility::kRestricted;
    size = std::min<int64_t>(size, static_cast<int64_t>(parent->members.size()));
    chosen.assign(parent->members.begin(), parent->members.begin() + size);
  } else {
    // `size` distinct users: a random start and a stride coprime with the user count.
    int64_t start = uniform(0, user_count_ - 1);
    int64_t stride = uniform(1, user_count_ - 1);
    while (std::gcd(stride, user_count_) != 1) ++stride;
    for (int64_t k = 0; k < size; ++k) {
      chosen.push_back(UserId(UserIdAt(seed_, (start + k * stride) % user_count_)));
    }
  }
  int64_t owners = 1 + (size > 10) + (size > 100);
  for (int64_t k = 0; k < size; ++k) {
    s.members.emplace_back(chosen[static_cast<size_t>(k)],
                           k < owners ? Role::kOwner : Role::kMember);
  }
  c.created_by = c.last_mod_by = chosen.front();
  c.member_count = size;
  c.version = 1 + size;

  for (const auto& def : lifecycle::AllWidgetDefs()) {
    bool add = def.in_new_communities;
    // The other applications' widgets: on the share of communities their description says.
    if (const apps::Widget* w = apps::FindWidget(def.def_id); w && !add) {
      add = chance(w->sample_share);
    }
    if (!add) continue;
    s.widgets.push_back(Widget{WidgetInstanceId(NewTimeOrderedUuid(kSampleEpoch + offset, rng_)),
                               c.uuid, std::string(def.def_id), std::nullopt,
                               std::string(def.ui_location), c.created});
  }

  if (!c.parent) {
    Recent rec{c.uuid, c.visibility, chosen};
    if (recent_top_level_.size() < 16) {
      recent_top_level_.push_back(std::move(rec));
    } else {
      recent_top_level_[static_cast<size_t>(produced_ % 16)] = std::move(rec);
    }
  }
  ++produced_;
  return s;
}

}  // namespace concord::communities
