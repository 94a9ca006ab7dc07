#pragma once
// What each remote application says about itself, once, in its own folder
// (services/<service>/application.cc): the facts every list in Concord is built from (the widget
// catalogue, the services `concord serve` hosts, the console's objects and commands, the report's
// command lines, the runbook's steps, backups, sample data). The registry (registry.h) holds one
// per application; adding an application is its folder and its name in CONCORD_APPLICATIONS
// (the top CMakeLists.txt).
//
// Names and values follow the reference (connections-admin.md): remoteAppDefIds (section 2.3),
// console objects and scripts (section 3), export commands (section 7), orphan deletion
// (section 9). Every string is a literal: descriptors are constants for the program's life.

#include <string_view>
#include <vector>

namespace concord::apps {

// A remoteAppDefId / widgetDefId the application serves (reference 2.3).
struct Widget {
  std::string_view def_id;       // "Blog", case-sensitive
  bool in_new_communities;       // added to every new community
  bool removable;                // owners may remove it
  std::string_view ui_location;  // "col2", or "col2statusposts" (StatusUpdates)
  // Of the communities `concord populate` creates, the share that gets this widget when new
  // communities do not get it anyway.
  double sample_share = 0;
};

// An object of the admin console (reference section 3).
struct ConsoleObject {
  std::string_view name;     // "ForumsService"
  std::string_view script;   // "forumsAdmin.py": what execfile loads it from
  std::string_view summary;  // a few words for the console's help
};

// The export of synced resources (reference section 7):
// <object>.exportSyncedResourceInfo(<path_param>, <type_param>[, <app_param>]).
struct ExportCommand {
  std::string_view object;      // "" when the application has none
  std::string_view path_param;  // "filePath"
  std::string_view type_param;  // "eventType": must be "community"
  // For an application serving several remoteAppDefIds, the optional parameter that picks one
  // (Blogs' "BlogType"; the first widget is the default).
  std::string_view app_param;
};

// How the reference deletes an orphan of the application (section 9). The console builds its
// commands from this, and the orphan report prints the command line for each orphan.
struct OrphanDeletion {
  enum class Shape {
    kNone,
    // <object>.<fetch>(<fetch_param>: communityUuid) gives a list of maps, each naming its id
    // under <id_key>; <object>.<remove>(<remove_param>: that list or ids). (Activities)
    kFetchByCommunity,
    // <object>.<fetch>(<fetch_param>: name) gives such a list, narrowed by
    // <object>.<filter>(list, regex, key); then <object>.<remove>(list). (Forums)
    kFetchByName,
    // <object>.<remove>(<remove_param>: the report's Object Identifying Id); with <batch>, also
    // <object>.<batch>(filePath: a file of ids). (Files, Wikis, Blogs)
    kById,
    // <object>.<remove>(<remove_param>: communityUuid): all the community's resources.
    // (Status Updates)
    kByCommunity,
  };
  Shape shape = Shape::kNone;
  std::string_view object;
  std::string_view fetch;
  std::string_view fetch_param;
  std::string_view filter;
  std::string_view remove;
  std::string_view remove_param;
  std::string_view id_key;  // the key of a resource's id in fetched maps ("forumID")
  std::string_view batch;
  std::string_view noun;  // what one resource is called in help texts ("forum")
};

// Repairing the application's records of shares with communities (reference section 10).
struct ShareRepair {
  std::string_view object;   // "" when the application has none
  std::string_view method;   // "syncAllCommunityShares"
  std::string_view summary;  // what it does, for the console's help
  // The content check run with it, on the same object: checkFiles(extraFileDirectory).
  std::string_view content_check;
};

struct Application {
  // The service: `--services` name, its database <service>.db, its API under /<service>/api.
  std::string_view service;
  std::string_view title;  // "Forums": for people
  std::vector<Widget> widgets;
  // Keeps a synced record of every community, with or without its widget (Activities, Files:
  // personal content is shared with communities).
  bool tracks_communities_without_widget = false;
  // Keeps content on disk beside its database, in <service>-content/ (Files): backed up and
  // restored with it, named on `concord recover --restored` as <service>-content.
  bool has_content_store = false;
  std::vector<ConsoleObject> console;
  ExportCommand export_command;
  OrphanDeletion orphans;
  ShareRepair shares;
  // A test application (tests/apps): registered like the others, seen only by processes that
  // run with CONCORD_TEST_APPLICATIONS=1 (registry.h).
  bool test_fixture = false;
};

}  // namespace concord::apps
