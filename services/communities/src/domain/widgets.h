#pragma once
// A community's widgets: listing, adding and removing them (with their lifecycle events), and
// removing one kind from every community. The contracts are CommunitiesService's
// (include/concord/communities/service.h).

#include <optional>
#include <string>
#include <vector>

#include "concord/communities/model.h"
#include "domain/event_publisher.h"
#include "domain/transactions.h"

namespace concord::communities::domain {

// Thread-safe.
class CommunityWidgets {
 public:
  CommunityWidgets(Transactions& tx, const EventPublisher& publisher);

  Result<std::vector<Widget>> ListWidgets(const Actor& actor, const CommunityUuid& uuid);
  Result<Widget> AddWidget(const Actor& actor, const CommunityUuid& uuid,
                           const std::string& widget_def_id,
                           std::optional<std::string> ui_location);
  Status RemoveWidget(const Actor& actor, const CommunityUuid& uuid, const WidgetInstanceId& id);
  Result<int64_t> RemoveAllWidgets(const Actor& actor, const std::string& widget_def_id);

 private:
  Transactions& tx_;
  const EventPublisher& publisher_;
};

}  // namespace concord::communities::domain
