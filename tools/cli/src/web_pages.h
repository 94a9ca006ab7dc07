#pragma once
// The web pages (web/, docs/adr/0020-web-pages.md), served by a process that runs Communities:
// GET / answers index.html and GET /ui/assets/<file> the built assets, to anyone (they hold no
// data; every page reads through the APIs, signed in). Without a built front end, GET / says
// how to build it.

#include <filesystem>

#include "concord/http/server.h"

namespace concord::cli {

// Where the pages were built: [server] web_root if set, else <directory of this program>/../web/
// pages (build/bin/concord -> build/web/pages).
std::filesystem::path DefaultWebRoot();

void MountWebPages(http::Server& server, const std::filesystem::path& web_root);

}  // namespace concord::cli
