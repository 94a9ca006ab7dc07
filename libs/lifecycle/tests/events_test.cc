#include "concord/lifecycle/events.h"

#include <gtest/gtest.h>

#include "concord/lifecycle/visibility.h"

namespace concord::lifecycle {
namespace {

TEST(EventsTest, RoundTripThroughJson) {
  LifecycleEvent e;
  e.id = EventId(NewUuid());
  e.seq = 42;
  e.type = EventType::kRemoteAppAdded;
  e.created = 1795000000123;
  e.actor = UserId(NewUuid());
  e.community = {CommunityUuid(NewUuid()),
                 "Équipe \"Ops\"",
                 "private",
                 true,
                 "blue",
                 true,
                 false,
                 false,
                 7,
                 {UserId("o1")},
                 {UserId("m1"), UserId("m2")}};
  e.widget = WidgetRef{WidgetInstanceId("w1"), "Blog", std::nullopt};
  auto back = EventFromJson(nlohmann::json::parse(ToJson(e).dump()));
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->seq, 42);
  EXPECT_EQ(back->type, EventType::kRemoteAppAdded);
  EXPECT_EQ(back->created, e.created);
  EXPECT_EQ(back->community.name, "Équipe \"Ops\"");
  EXPECT_EQ(back->community.members.size(), 2u);
  EXPECT_EQ(back->community.version, 7);
  ASSERT_TRUE(back->widget);
  EXPECT_EQ(back->widget->widget_def_id, "Blog");
  EXPECT_FALSE(back->widget->remote_resource_id);
}

TEST(EventsTest, TheReferenceVocabulary) {
  for (const auto& name : EventTypeNames()) {
    auto t = ParseEventType(name);
    ASSERT_TRUE(t) << name;
    EXPECT_EQ(EventTypeName(*t), name);
  }
  EXPECT_EQ(ParseEventType("community.visibility.changed").value(), EventType::kVisibilityChanged);
  auto bad = ParseEventType("community.deleted");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().accepted.size(), 11u);
}

TEST(EventsTest, MalformedEventsNameWhatIsWrong) {
  EXPECT_EQ(EventFromJson(nlohmann::json::array()).error().field, "event");
  EXPECT_EQ(EventFromJson({{"eventId", "x"}}).error().field, "seq");
  EXPECT_EQ(EventFromJson({{"eventId", "x"}, {"seq", 1}, {"eventType", "nope"}}).error().field,
            "eventType");
  EXPECT_EQ(EventFromJson({{"eventId", "x"},
                           {"seq", 1},
                           {"eventType", "community.updated"},
                           {"community", {{"uuid", "../x"}}}})
                .error()
                .field,
            "community.uuid");
  // A visibility no application knows would be read as open by none and closed by none: refused.
  auto event = ToJson(LifecycleEvent{
      .id = EventId(NewUuid()),
      .seq = 1,
      .community = {
          .uuid = CommunityUuid(NewUuid()), .name = "x", .visibility = "secret", .version = 1}});
  auto refused = EventFromJson(event);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "community.visibility");
  event["community"]["visibility"] = "publicInviteOnly";
  EXPECT_TRUE(EventFromJson(event));
}

TEST(VisibilityTest, NamesAreTheReferences) {
  for (const auto& name : VisibilityNames()) {
    auto v = ParseVisibility(name);
    ASSERT_TRUE(v) << name;
    EXPECT_EQ(VisibilityName(*v), name);
  }
  EXPECT_EQ(ParseVisibility("private").value(), Visibility::kRestricted);
  auto bad = ParseVisibility("restricted", "community.visibility");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "community.visibility");
  EXPECT_EQ(bad.error().accepted, VisibilityNames());
}

}  // namespace
}  // namespace concord::lifecycle
