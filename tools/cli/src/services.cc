#include "services.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "concord/base/secrets.h"

namespace concord::cli {

void InitLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("concord");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

Result<OpenedServices> OpenServices(const deployment::DataDir& dir) {
  CONCORD_RETURN_IF_ERROR(InitSecrets());
  OpenedServices s;
  CONCORD_ASSIGN_OR_RETURN(s.config, deployment::LoadConfig(dir));
  CONCORD_ASSIGN_OR_RETURN(s.communities_db,
                           db::Database::Open(s.config.communities_database,
                                              {.base_dir = dir.root, .max_connections = 8}));
  CONCORD_RETURN_IF_ERROR(db::Migrate(*s.communities_db, communities::Migrations(), "communities"));
  s.communities = std::make_unique<communities::CommunitiesService>(communities::ServiceOptions{
      .database = s.communities_db, .trash_retention_days = s.config.trash_retention_days});
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
