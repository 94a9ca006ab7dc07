#pragma once
// Libraries' content: a library per community (its widget's) and the documents in it. The rules
// are libs/remoteapp's (content.h); this is what Libraries' things are called and where they are
// kept.

#include "concord/remoteapp/content.h"

namespace concord::libraries::domain {

extern const remoteapp::ItemKind kDocuments;
const remoteapp::ContainerKind& Libraries();
remoteapp::AppDefinition Definition();

}  // namespace concord::libraries::domain
