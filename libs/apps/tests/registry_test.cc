// The registry: every application registered once, and each description consistent with
// itself, so that a new application's mistakes show here rather than in a console session.
#include "concord/apps/registry.h"

#include <gtest/gtest.h>

#include <set>

namespace concord::apps {
namespace {

TEST(RegistryTest, TheReferencesApplicationsInItsOrder) {
  EXPECT_EQ(ServiceNames(), (std::vector<std::string>{"activities", "blogs", "files", "forums",
                                                      "wikis", "news", "libraries"}));
  EXPECT_EQ(WidgetDefIds(),
            (std::vector<std::string>{"Activities", "Blog", "IdeationBlog", "Files", "Forum",
                                      "Wiki", "StatusUpdates", "Library"}));
}

TEST(RegistryTest, LookupsAreExactAndCaseSensitive) {
  ASSERT_NE(ByWidget("IdeationBlog"), nullptr);
  EXPECT_EQ(ByWidget("IdeationBlog")->service, "blogs");
  EXPECT_EQ(ByService("forums")->widgets.front().def_id, "Forum");
  EXPECT_EQ(FindWidget("StatusUpdates")->ui_location, "col2statusposts");
  EXPECT_EQ(ByWidget("forum"), nullptr);
  EXPECT_EQ(ByService("Forums"), nullptr);
  EXPECT_EQ(FindWidget("Members"), nullptr);  // local widgets are not applications
}

// What a console session would otherwise discover: commands on objects that do not exist,
// names used twice.
TEST(RegistryTest, EveryDescriptionIsConsistent) {
  std::set<std::string_view> services, widgets, objects;
  for (const Application* a : All()) {
    SCOPED_TRACE(std::string(a->service));
    EXPECT_TRUE(services.insert(a->service).second) << "service named twice";
    EXPECT_FALSE(a->title.empty());
    ASSERT_FALSE(a->widgets.empty());
    for (const auto& w : a->widgets) {
      EXPECT_TRUE(widgets.insert(w.def_id).second) << w.def_id << " served twice";
      EXPECT_TRUE(w.ui_location == "col2" || w.ui_location == "col2statusposts");
      EXPECT_GE(w.sample_share, 0);
      EXPECT_LE(w.sample_share, 1);
    }
    std::set<std::string_view> own;
    for (const auto& o : a->console) {
      EXPECT_TRUE(objects.insert(o.name).second) << o.name << " belongs to two applications";
      EXPECT_TRUE(o.script.ends_with("Admin.py")) << o.script;
      own.insert(o.name);
    }
    const auto& e = a->export_command;
    if (!e.object.empty()) {
      EXPECT_TRUE(own.contains(e.object)) << e.object;
      EXPECT_FALSE(e.path_param.empty());
      EXPECT_FALSE(e.type_param.empty());
      EXPECT_EQ(!e.app_param.empty(), a->widgets.size() > 1)
          << "an application serving several remoteAppDefIds picks one with app_param";
    }
    const auto& o = a->orphans;
    using Shape = OrphanDeletion::Shape;
    if (o.shape != Shape::kNone) {
      EXPECT_TRUE(own.contains(o.object)) << o.object;
      EXPECT_FALSE(o.remove.empty());
      EXPECT_FALSE(o.remove_param.empty());
      EXPECT_FALSE(o.id_key.empty());
      EXPECT_FALSE(o.noun.empty());
      bool fetches = o.shape == Shape::kFetchByCommunity || o.shape == Shape::kFetchByName;
      EXPECT_EQ(fetches, !o.fetch.empty() && !o.fetch_param.empty());
      EXPECT_EQ(o.shape == Shape::kFetchByName, !o.filter.empty());
    }
    if (!a->shares.object.empty()) {
      EXPECT_TRUE(own.contains(a->shares.object)) << a->shares.object;
      EXPECT_FALSE(a->shares.method.empty());
      EXPECT_FALSE(a->shares.summary.empty());
    }
  }
}

}  // namespace
}  // namespace concord::apps
