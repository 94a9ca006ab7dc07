#include "concord/lifecycle/widgets.h"

#include <gtest/gtest.h>

namespace concord::lifecycle {
namespace {

TEST(WidgetCatalogueTest, RemoteApplicationsAreTheReferencesEight) {
  EXPECT_EQ(RemoteWidgetDefIds(),
            (std::vector<std::string>{"Activities", "Blog", "IdeationBlog", "Files", "Forum",
                                      "Wiki", "StatusUpdates", "Library"}));
}

TEST(WidgetCatalogueTest, NewCommunitiesGetTheReferenceDefaults) {
  std::vector<std::string> defaults;
  for (const auto& w : AllWidgetDefs()) {
    if (w.in_new_communities) defaults.emplace_back(w.def_id);
  }
  EXPECT_EQ(defaults, (std::vector<std::string>{"Files", "Forum", "StatusUpdates", "Members",
                                                "RecentUpdates", "Bookmarks"}));
}

TEST(WidgetCatalogueTest, LookupIsCaseSensitive) {
  ASSERT_NE(FindWidgetDef("StatusUpdates"), nullptr);
  EXPECT_EQ(FindWidgetDef("StatusUpdates")->ui_location, "col2statusposts");
  EXPECT_EQ(FindWidgetDef("statusupdates"), nullptr);
  EXPECT_EQ(FindWidgetDef("Blogs"), nullptr);
  EXPECT_FALSE(FindWidgetDef("Members")->removable);
}

}  // namespace
}  // namespace concord::lifecycle
