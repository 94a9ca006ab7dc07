#include "domain/libraries.h"

#include "concord/libraries/libraries.h"

namespace concord::libraries::domain {

const remoteapp::ItemKind kDocuments{.noun = "document",
                                     .a_noun = "a document",
                                     .table = "documents",
                                     .parent_column = "library_id",
                                     .titled = true,
                                     .content_length = 1000000,
                                     .multiline = true,
                                     .content_optional = true,
                                     .add_denied = "only members of the community add documents"};

const remoteapp::ContainerKind& Libraries() {
  static const remoteapp::ContainerKind kLibraries{
      .noun = "library",
      .plural = "libraries",
      .sample = {&kDocuments, "Charter", "What {} is for."}};
  return kLibraries;
}

remoteapp::AppDefinition Definition() {
  return remoteapp::Define(Describe(), {"libraries", "title", ""});
}

}  // namespace concord::libraries::domain
