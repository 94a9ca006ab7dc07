#include "domain/forums.h"

#include "concord/forums/forums.h"

namespace concord::forums::domain {

const remoteapp::ItemKind kTopics{.noun = "topic",
                                  .a_noun = "a topic",
                                  .table = "topics",
                                  .parent_column = "forum_id",
                                  .titled = true,
                                  .content_length = 100000,
                                  .multiline = true,
                                  .content_optional = true,
                                  .add_denied = "only members of the community start topics"};

const remoteapp::ItemKind kReplies{.noun = "reply",
                                   .a_noun = "a reply",
                                   .table = "replies",
                                   .parent_column = "topic_id",
                                   .content_length = 20000,
                                   .add_denied = "only members of the community reply"};

const remoteapp::ContainerKind& Forums() {
  static const remoteapp::ContainerKind kForums{
      .noun = "forum",
      .plural = "forums",
      .sample = {&kTopics, "Introductions", "Say hello to {}."},
      .trash_all_of_community = true};
  return kForums;
}

remoteapp::AppDefinition Definition() {
  return remoteapp::Define(Describe(), {"forums", "name", ""});
}

}  // namespace concord::forums::domain
