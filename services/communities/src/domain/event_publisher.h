#pragma once
// The lifecycle events Communities publishes: who hears an event about a community, and its
// entry in the event log with a delivery to each of them, in the caller's write transaction.

#include <cstdint>
#include <optional>

#include "concord/communities/model.h"
#include "concord/communities/service.h"
#include "concord/db/database.h"
#include "concord/lifecycle/events.h"

namespace concord::communities::domain {

// Which of a community's applications hear an event.
enum class Recipients {
  // The applications with a widget in the community, and those that track every community.
  kEveryApplication,
  // Only those that track every community and have no widget in it (a community just created:
  // the others heard remote.app.added).
  kOnlyApplicationsWithoutWidget,
};

struct PublishOptions {
  const Widget* widget = nullptr;  // the widget of a widget or remote.app event
  bool resync = false;             // the application applies it whatever version it holds
  std::optional<CommunityUuid> transfer_from;  // remote.app.transfer: the community left
  Recipients recipients = Recipients::kEveryApplication;
};

// Thread-safe (it holds only the subscriptions, fixed at start-up).
class EventPublisher {
 public:
  explicit EventPublisher(Subscriptions subscriptions);

  // Records a lifecycle event about `community` (in its current state) for every subscribed
  // application that should hear it. Returns the seq the event log assigned it, or nullopt when
  // no application hears it (nothing is logged).
  Result<std::optional<int64_t>> Publish(db::Connection& c, lifecycle::EventType type,
                                         const Community& community, const Actor& actor,
                                         const PublishOptions& options = {}) const;

 private:
  Subscriptions subscriptions_;
};

}  // namespace concord::communities::domain
