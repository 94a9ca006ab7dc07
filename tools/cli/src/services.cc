#include "services.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "concord/base/secrets.h"

namespace concord::cli {

void InitLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("concord");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

std::vector<std::string> InProcessApplications() { return {"Blog", "IdeationBlog"}; }

Result<OpenedServices> OpenServices(const deployment::DataDir& dir) {
  CONCORD_RETURN_IF_ERROR(InitSecrets());
  OpenedServices s;
  CONCORD_ASSIGN_OR_RETURN(s.config, deployment::LoadConfig(dir));
  // Every application with a handler hears lifecycle events: those served here, and those
  // configured under [lifecycle.handlers].
  communities::Subscriptions subscriptions{.applications = InProcessApplications()};
  for (const auto& [app, url] : s.config.handler_urls) {
    if (std::find(subscriptions.applications.begin(), subscriptions.applications.end(), app) ==
        subscriptions.applications.end()) {
      subscriptions.applications.push_back(app);
    }
  }
  CONCORD_ASSIGN_OR_RETURN(s.communities_db,
                           db::Database::Open(s.config.communities_database,
                                              {.base_dir = dir.root, .max_connections = 8}));
  CONCORD_RETURN_IF_ERROR(db::Migrate(*s.communities_db, communities::Migrations(), "communities"));
  auto on_events = s.on_events;
  s.communities = std::make_unique<communities::CommunitiesService>(
      communities::ServiceOptions{.database = s.communities_db,
                                  .trash_retention_days = s.config.trash_retention_days,
                                  .subscriptions = subscriptions,
                                  .events_committed = [on_events] {
                                    if (*on_events) (*on_events)();
                                  }});
  CONCORD_ASSIGN_OR_RETURN(s.blogs_db,
                           db::Database::Open("sqlite:blogs.db", {.base_dir = dir.root}));
  CONCORD_RETURN_IF_ERROR(db::Migrate(*s.blogs_db, blogs::Migrations(), "blogs"));
  s.blogs = std::make_unique<blogs::BlogsService>(s.blogs_db);
  CONCORD_ASSIGN_OR_RETURN(
      bool created, s.communities->EnsureInitialAdmin([&](const std::string& password) {
        return deployment::WriteCredentials(dir.Credentials(), {"admin", password});
      }));
  if (created) {
    spdlog::info("created the administrator 'admin'; its password is in {}",
                 dir.Credentials().string());
  }
  return s;
}

}  // namespace concord::cli
