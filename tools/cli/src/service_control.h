#pragma once
// The server side of `concord restore`: an administrator takes one service's database offline
// (requests for it get 503 naming the restore), the restore replaces it, and the service comes
// back online, migrating a restored older schema first.
//
//   GET  /api/admin/services                  each service of this process: online, schema
//   POST /api/admin/services/{name}/offline   waits for requests in flight, then closes it
//   POST /api/admin/services/{name}/online    reopens (and migrates) it

#include "services.h"

namespace concord::cli {

// `after_online(service)` runs once a service's database is back (Communities: its system
// account's password, which the restored database holds in an older version).
void MountServiceControlApi(http::Server& server, OpenedServices& services,
                            const std::function<Status(const std::string&)>& after_online);

}  // namespace concord::cli
