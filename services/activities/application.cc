// Activities, as the registry knows it (libs/apps/include/concord/apps/application.h).
#include "concord/apps/application.h"

namespace concord::activities {

const apps::Application& Describe() {
  using Shape = apps::OrphanDeletion::Shape;
  static const apps::Application kApplication{
      .service = "activities",
      .title = "Activities",
      .widgets = {{"Activities", false, true, "col2", 0.3}},
      .tracks_communities_without_widget = true,  // personal activities have community members
      .console = {{"ActivityService", "activitiesAdmin.py", "Activities"},
                  {"AccessControlService", "activitiesAdmin.py", "Activities' community members"}},
      .export_command = {"ActivityService", "filePath", "eventType", ""},
      .orphans = {.shape = Shape::kFetchByCommunity,
                  .object = "ActivityService",
                  .fetch = "fetchActivitiesByCommunityExId",
                  .fetch_param = "communityUuid",
                  .remove = "deleteActivities",
                  .remove_param = "activities",
                  .id_key = "activityId",
                  .noun = "activity"},
      .shares = {.object = "AccessControlService",
                 .method = "syncAllCommunityShares",
                 .summary = "Brings communities that are members of activities in line with "
                            "Communities: name and access level updated; a community that no "
                            "longer exists is removed from the activities' membership."},
  };
  return kApplication;
}

}  // namespace concord::activities
