#pragma once
// Forums' content: a community's forums (a community may own several: its widget's and those
// its owners create), their topics and the replies to a topic. The rules are libs/remoteapp's
// (content.h); this is what Forums' things are called and where they are kept.

#include "concord/remoteapp/content.h"

namespace concord::forums::domain {

extern const remoteapp::ItemKind kTopics;
extern const remoteapp::ItemKind kReplies;
// Forums in the resource table `forums`; removing the widget sends all of them to the trash.
const remoteapp::ContainerKind& Forums();
remoteapp::AppDefinition Definition();

}  // namespace concord::forums::domain
