#include "concord/testing/communities.h"

#include <stdexcept>

namespace concord::testing {

const Principal kOwner{UserId("00000000-0000-4000-8000-00000000000a"), "owner", false};
const Principal kMember{UserId("00000000-0000-4000-8000-00000000000b"), "member", false};
const Principal kStranger{UserId("00000000-0000-4000-8000-00000000000c"), "stranger", false};
const Principal kAdmin{UserId("00000000-0000-4000-8000-00000000000d"), "admin", true};

AppDatabase::AppDatabase(std::string_view service, db::MigrationList migrations)
    : dir_(std::string(service) + "-domain") {
  auto db = db::Database::Open("sqlite:" + std::string(service) + ".db", {.base_dir = dir_.path()});
  if (!db) throw std::runtime_error(db.error().ToString());
  database_ = *db;
  if (auto migrated = db::Migrate(*database_, migrations, service); !migrated) {
    throw std::runtime_error(migrated.error().ToString());
  }
}

CommunityEvents::CommunityEvents(std::string remote_app_def_id)
    : app_(std::move(remote_app_def_id)) {}

lifecycle::LifecycleEvent CommunityEvents::Event(const CommunityUuid& community,
                                                 const std::string& visibility,
                                                 lifecycle::EventType type,
                                                 std::vector<UserId> members) {
  using lifecycle::EventType;
  lifecycle::LifecycleEvent e;
  e.id = EventId(NewUuid());
  e.seq = ++seq_;
  e.type = type;
  e.created = NowMillis();
  e.actor = kOwner.id;
  e.community = {.uuid = community,
                 .name = "Community " + community.value().substr(0, 8),
                 .visibility = visibility,
                 .version = seq_,
                 .owners = {kOwner.id},
                 .members = std::move(members)};
  if (type == EventType::kRemoteAppAdded || type == EventType::kRemoteAppRemoved ||
      type == EventType::kRemoteAppTransfer) {
    e.widget = lifecycle::WidgetRef{WidgetInstanceId("w-" + community.value()), app_, {}};
  }
  return e;
}

}  // namespace concord::testing
