#pragma once
// What an application's domain tests need to stand in for Communities: its callers, the
// application's own database, and lifecycle events about communities as Communities sends them,
// to make communities known to the application (RemoteApplication::ApplyIn, Populate).
//
//   testing::AppDatabase db("files", files::Migrations());
//   testing::CommunityEvents events("Files");
//   auto added = events.Event(community, "private", lifecycle::EventType::kRemoteAppAdded);
//   auto reply = db.InWrite([&](db::Connection& c) { return app.ApplyIn(c, "Files", added); });

#include <memory>
#include <string>
#include <vector>

#include "concord/base/principal.h"
#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/lifecycle/events.h"
#include "concord/testing/process.h"

namespace concord::testing {

// Signed-in callers, with user ids as Communities makes them (UUIDs): kOwner owns and kMember is
// a member of every community CommunityEvents describes (unless told otherwise); kStranger is
// neither; kAdmin is an administrator.
extern const Principal kOwner;
extern const Principal kMember;
extern const Principal kStranger;
extern const Principal kAdmin;

// An application's SQLite database in a temporary directory, migrated with `migrations`; removed
// with the directory. Throws (failing the test) when it cannot be opened or migrated.
class AppDatabase {
 public:
  AppDatabase(std::string_view service, db::MigrationList migrations);

  const std::shared_ptr<db::Database>& database() const { return database_; }
  // The temporary directory (the database is in it; the test may add its own files).
  const fs::path& dir() const { return dir_.path(); }

  // `f(connection)` in a write transaction; returns what `f` returns.
  template <typename F>
  auto InWrite(F&& f) {
    using R = decltype(f(std::declval<db::Connection&>()));
    return database_->InTransaction(db::TxMode::kWrite,
                                    [&](db::Connection& c) -> R { return f(c); });
  }

 private:
  TempDir dir_;
  std::shared_ptr<db::Database> database_;
};

// Lifecycle events as Communities sends them to one application, each with the next seq and a
// newer community version than the one before.
class CommunityEvents {
 public:
  // For the application whose widget is `remote_app_def_id` ("Files").
  explicit CommunityEvents(std::string remote_app_def_id);

  // An event of `type` about `community` ("Community <the first 8 characters of its uuid>",
  // of `visibility`), by kOwner, who owns it; `members` are its other members. A remote.app.*
  // event names the community's widget of this application (instance "w-<uuid>").
  lifecycle::LifecycleEvent Event(const CommunityUuid& community, const std::string& visibility,
                                  lifecycle::EventType type,
                                  std::vector<UserId> members = {kMember.id});

 private:
  std::string app_;
  int64_t seq_ = 0;
};

}  // namespace concord::testing
