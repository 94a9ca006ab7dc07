// HTTP request parsing as the server does it (libs/http/src/session.cc): the input is the raw
// bytes a client sends on one connection, parsed by Boost.Beast's request_parser with the
// server's default header and body limits, request after request (pipelining); each request's
// header fields are counted, its X-Forwarded-For lines joined, and its target split by
// http::ParseTarget. ParseTarget also gets the whole input as a target.
// Seeds: tests/fuzz/corpus/http_request/.
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "concord/http/server.h"

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::string path;
    std::multimap<std::string, std::string> query;
    concord::http::ParseTarget(std::string_view(reinterpret_cast<const char*>(data), size), path,
                               query);
  }

  static const concord::http::ServerOptions kServerDefaults;
  net::const_buffer input(data, size);
  while (input.size() > 0) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(kServerDefaults.max_header_bytes));
    parser.body_limit(kServerDefaults.max_body_bytes);
    parser.eager(true);
    beast::error_code ec;
    while (input.size() > 0 && !parser.is_done()) {
      size_t used = parser.put(input, ec);
      input += used;
      if (ec || used == 0) break;
    }
    // The input is all the connection sends: a request still wanting bytes meets its end.
    if (ec == bhttp::error::need_more) parser.put_eof(ec);
    if (!parser.is_header_done()) return 0;

    const auto& head = parser.get();
    int count = 0;
    for (auto it = head.begin(); it != head.end(); ++it) ++count;
    if (count > kServerDefaults.max_header_count) return 0;  // the server's 431
    std::string forwarded;
    for (auto [it, end] = head.equal_range("X-Forwarded-For"); it != end; ++it) {
      if (!forwarded.empty()) forwarded += ", ";
      forwarded.append(it->value());
    }
    (void)head.method_string();
    (void)parser.content_length();
    (void)parser.chunked();
    std::string path;
    std::multimap<std::string, std::string> query;
    concord::http::ParseTarget(head.target(), path, query);
    if (ec || !parser.is_done()) return 0;  // the server closes the connection after an error
    (void)parser.get().keep_alive();
  }
  return 0;
}
