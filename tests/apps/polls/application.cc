// Polls: a small application that exists to prove the registry (issue 12). It is registered
// exactly as the product's applications are (its folder, and its line in CONCORD_APPLICATIONS),
// and tests/e2e/registry_e2e_test.cc shows it taking part in lifecycle events, export, report,
// orphan deletion, resync and `concord recover` with no other change. As a test fixture it is left
// out of the registry unless CONCORD_TEST_APPLICATIONS=1 is set (libs/apps/registry.h).
#include "concord/apps/application.h"

namespace concord::polls {

const apps::Application& Describe() {
  using Shape = apps::OrphanDeletion::Shape;
  static const apps::Application kApplication{
      .service = "polls",
      .title = "Polls",
      .widgets = {{"Poll", false, true, "col2"}},
      .console = {{"PollsService", "pollsAdmin.py", "Polls (a test application)"}},
      .export_command = {"PollsService", "filePath", "eventType", ""},
      .orphans = {.shape = Shape::kById,
                  .object = "PollsService",
                  .remove = "deletePoll",
                  .remove_param = "pollId",
                  .id_key = "pollId",
                  .noun = "poll"},
      .test_fixture = true,
  };
  return kApplication;
}

}  // namespace concord::polls
