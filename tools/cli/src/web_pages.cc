#include "web_pages.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace concord::cli {
namespace {

namespace fs = std::filesystem;

std::string_view ContentType(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kTypes = {{
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".html", "text/html; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".woff2", "font/woff2"},
      {".json", "application/json"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  std::string ext = file.extension().string();
  for (const auto& [e, type] : kTypes) {
    if (e == ext) return type;
  }
  return "application/octet-stream";
}

constexpr std::string_view kNotBuilt =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Concord</title></head>"
    "<body><h1>Concord</h1><p>The web pages are not built. Run <code>make build</code> (it builds "
    "them with npm into build/web/pages), or set <code>[server] web_root</code> in concord.toml to "
    "where they are. The JSON APIs answer under <code>/communities/api/</code> (HTTP Basic).</p>"
    "</body></html>";

}  // namespace

fs::path DefaultWebRoot() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return (self.parent_path().parent_path() / "web" / "pages").lexically_normal();
}

void MountWebPages(http::Server& server, const fs::path& web_root) {
  server.Get("/", http::Access::kPublic,
             [web_root](const http::Request&) -> Result<http::Response> {
               http::Response r;
               r.content_type = "text/html; charset=utf-8";
               r.headers.emplace_back("Cache-Control", "no-cache");
               std::error_code ec;
               if (web_root.empty() || !fs::is_regular_file(web_root / "index.html", ec)) {
                 r.body = std::string(kNotBuilt);
                 return r;
               }
               r.file = web_root / "index.html";
               return r;
             });
  // Only plain file names in the assets folder: nothing else of the disk is reachable.
  server.Get("/ui/assets/([A-Za-z0-9][A-Za-z0-9._-]{0,127})", http::Access::kPublic,
             [web_root](const http::Request& req) -> Result<http::Response> {
               const std::string& name = req.path_params[0];
               fs::path file = web_root / "assets" / name;
               std::error_code ec;
               if (name.find("..") != std::string::npos || web_root.empty() ||
                   !fs::is_regular_file(file, ec)) {
                 return NotFound("no such asset: " + name);
               }
               http::Response r;
               r.content_type = std::string(ContentType(file));
               // Their names change with their content (Vite's hashes): kept for a year.
               r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
               r.file = file;
               return r;
             });
}

}  // namespace concord::cli
