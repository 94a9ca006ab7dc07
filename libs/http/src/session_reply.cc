#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "concord/base/log.h"
#include "server_impl.h"

namespace concord::http {

namespace {

// A file sent as it is read, a piece at a time, by the I/O thread (Response::file): no worker
// waits for the client, and memory is one piece per download.
struct FileBody {
  struct value_type {            // NOLINT(readability-identifier-naming): Beast's Body names it so
    std::shared_ptr<void> open;  // closes the file when the last copy goes
    int fd = -1;
    uint64_t size = 0;
  };
  static uint64_t size(const value_type& v) { return v.size; }
  class writer {  // NOLINT(readability-identifier-naming): Beast's Body names it so
   public:
    using const_buffers_type = net::const_buffer;
    template <bool isRequest, class Fields>
    writer(const bhttp::header<isRequest, Fields>&, const value_type& v)
        : file_(v), piece_(kPieceBytes) {}
    void init(beast::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      if (sent_ >= file_.size) return boost::none;
      size_t want = static_cast<size_t>(std::min<uint64_t>(piece_.size(), file_.size - sent_));
      ssize_t n = ::pread(file_.fd, piece_.data(), want, static_cast<off_t>(sent_));
      if (n <= 0) {  // shorter than it was: the client sees the reply cut short
        ec = boost::system::errc::make_error_code(boost::system::errc::io_error);
        return boost::none;
      }
      sent_ += static_cast<uint64_t>(n);
      return std::make_pair(net::const_buffer(piece_.data(), static_cast<size_t>(n)),
                            sent_ < file_.size);
    }

   private:
    const value_type& file_;
    std::vector<char> piece_;
    uint64_t sent_ = 0;
  };
};

// On every answer (docs/adr/0020-web-pages.md): nothing runs but this site's own scripts and
// styles, no page frames ours, no type is sniffed, no address leaks to other sites.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kSecurityHeaders = {{
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
     "form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
    {"X-Frame-Options", "DENY"},
}};

// The security headers `r` does not set itself, to add.
template <typename Add>
void AddSecurityHeaders(const Response& r, Add&& add) {
  for (const auto& [name, value] : kSecurityHeaders) {
    bool own = std::any_of(r.headers.begin(), r.headers.end(),
                           [&](const auto& h) { return beast::iequals(h.first, name); });
    if (!own) add(name, value);
  }
}

}  // namespace

void Server::Impl::Session::Finish(Response r, bool keep_alive) {
  if (closed_) return;
  if (page_client_ && r.status == 401) {
    std::erase_if(r.headers,
                  [](const auto& h) { return beast::iequals(h.first, "WWW-Authenticate"); });
  }
  keep_alive = keep_alive && !server_->stopping && !timed_out_;
  if (!r.file.empty()) return SendFile(r, keep_alive);
  Log(r.status);
  auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
  res->version(11);
  res->result(static_cast<unsigned>(r.status));
  if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res->insert(k, v);
  AddSecurityHeaders(r, [&](std::string_view k, std::string_view v) { res->insert(k, v); });
  if (r.status != 204 && r.status != 304) res->body() = std::move(r.body);
  res->keep_alive(keep_alive);
  res->prepare_payload();
  if (head_only_) res->body().clear();  // Content-Length stays that of the full reply
  head_only_ = false;
  SetDeadline(Clock::now() + server_->options.write_timeout);
  auto sr = std::make_shared<bhttp::serializer<false, bhttp::string_body>>(*res);
  bhttp::async_write(
      socket_, *sr, [self = shared_from_this(), res, sr, keep_alive](beast::error_code ec, size_t) {
        if (ec) return self->Close();
        if (!keep_alive) return self->Linger();
        self->WaitForRequest();
      });
}

void Server::Impl::Session::SendFile(const Response& r, bool keep_alive) {
  int fd = ::open(r.file.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    if (fd >= 0) ::close(fd);
    return Finish(
        server_->ErrorResponse(Error{ErrorCode::kNotFound, "the file is no longer there", {}, {}}),
        keep_alive);
  }
  Log(r.status);
  auto res = std::make_shared<bhttp::response<FileBody>>();
  res->version(11);
  res->result(static_cast<unsigned>(r.status));
  if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res->insert(k, v);
  AddSecurityHeaders(r, [&](std::string_view k, std::string_view v) { res->insert(k, v); });
  res->body().open = std::shared_ptr<void>(nullptr, [fd](void*) { ::close(fd); });
  res->body().fd = fd;
  res->body().size = static_cast<uint64_t>(st.st_size);
  res->keep_alive(keep_alive);
  res->prepare_payload();
  auto sr = std::make_shared<bhttp::serializer<false, FileBody>>(*res);
  auto after = [self = shared_from_this(), res, sr, keep_alive](beast::error_code ec, size_t) {
    if (ec) return self->Close();
    self->CancelDeadline();
    if (!keep_alive) return self->Linger();
    self->WaitForRequest();
  };
  SetDeadline(Clock::now() + server_->options.write_timeout);
  if (head_only_) {
    head_only_ = false;
    return bhttp::async_write_header(socket_, *sr, std::move(after));
  }
  WriteSome(res, sr, std::move(after));
}

template <typename Res, typename Serializer, typename After>
void Server::Impl::Session::WriteSome(const std::shared_ptr<Res>& res,
                                      const std::shared_ptr<Serializer>& sr, After after) {
  SetDeadline(Clock::now() + server_->options.write_timeout);
  bhttp::async_write_some(socket_, *sr,
                          [self = shared_from_this(), res, sr, after = std::move(after)](
                              beast::error_code ec, size_t n) mutable {
                            if (ec || sr->is_done()) return after(ec, n);
                            self->WriteSome(res, sr, std::move(after));
                          });
}

void Server::Impl::Session::Linger() {
  beast::error_code ignored;
  (void)socket_.shutdown(tcp::socket::shutdown_send, ignored);
  SetDeadline(Clock::now() + std::chrono::seconds(2));
  DiscardInput(0);
}

void Server::Impl::Session::DiscardInput(size_t discarded) {
  constexpr size_t kMaxDiscarded = size_t{64} * 1024 * 1024;
  if (closed_ || discarded > kMaxDiscarded) return Close();
  auto scratch = std::make_shared<std::array<char, 16384>>();
  socket_.async_read_some(net::buffer(*scratch), [self = shared_from_this(), scratch, discarded](
                                                     beast::error_code ec, size_t n) {
    if (ec) return self->Close();
    self->DiscardInput(discarded + n);
  });
}

void Server::Impl::Session::Stream(const Response& r) {
  auto self = shared_from_this();
  bool chunked = http11_;
  bool head_only = head_only_;
  if (!chunked) keep_alive_ = false;
  std::ostringstream head;
  head << "HTTP/1.1 " << r.status << " "
       << bhttp::obsolete_reason(static_cast<bhttp::status>(r.status)) << "\r\n";
  if (!r.content_type.empty()) head << "Content-Type: " << r.content_type << "\r\n";
  for (const auto& [k, v] : r.headers) head << k << ": " << v << "\r\n";
  AddSecurityHeaders(
      r, [&](std::string_view k, std::string_view v) { head << k << ": " << v << "\r\n"; });
  if (chunked) head << "Transfer-Encoding: chunked\r\n";
  if (!keep_alive_) head << "Connection: close\r\n";
  head << "\r\n";
  bool ok = WriteChunk(head.str(), false);
  if (ok && !head_only) {
    ok = r.stream([&](std::string_view chunk) {
      if (chunk.empty()) return true;
      if (!chunked) return WriteChunk(std::string(chunk), false);
      std::ostringstream framed;
      framed << std::hex << chunk.size() << "\r\n";
      std::string data = framed.str();
      data.append(chunk);
      data += "\r\n";
      return WriteChunk(std::move(data), false);
    });
    if (ok && chunked) ok = WriteChunk("0\r\n\r\n", true);
  }
  net::post(server_->io, [self, ok, status = r.status] {
    self->head_only_ = false;
    self->in_handler_ = false;
    self->server_->HandlerFinished();
    self->Log(status);
    if (!ok || !self->keep_alive_ || self->server_->stopping) return self->Close();
    self->WaitForRequest();
  });
}

bool Server::Impl::Session::WriteChunk(std::string data, bool last) {
  auto done = std::make_shared<std::promise<bool>>();
  auto result = done->get_future();
  net::post(server_->io, [self = shared_from_this(), data = std::move(data), last, done]() mutable {
    self->AsyncWriteChunk(std::move(data), last, done);
  });
  if (result.wait_for(server_->options.write_timeout + std::chrono::seconds(1)) !=
      std::future_status::ready) {
    net::post(server_->io, [self = shared_from_this()] { self->Close(); });
    return false;
  }
  return result.get();
}

void Server::Impl::Session::AsyncWriteChunk(std::string data, bool,
                                            const std::shared_ptr<std::promise<bool>>& done) {
  if (closed_) return done->set_value(false);
  SetDeadline(Clock::now() + server_->options.write_timeout);
  auto buffer = std::make_shared<std::string>(std::move(data));
  net::async_write(socket_, net::buffer(*buffer),
                   [self = shared_from_this(), buffer, done](beast::error_code ec, size_t) {
                     self->CancelDeadline();
                     done->set_value(!ec);
                   });
}

void Server::Impl::Session::Log(int status) {
  auto ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
  // Only the methods routes have name themselves: any other word a client sends is "other".
  std::string_view method = request_.method;
  static constexpr std::array<std::string_view, 7> kMethods = {"GET",    "HEAD",  "POST",   "PUT",
                                                               "DELETE", "PATCH", "OPTIONS"};
  if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) method = "other";
  server_->metrics.Request(route_ ? std::string_view(route_->source) : std::string_view(), method,
                           status, ms / 1000);
  // The path without its query string: queries may hold search terms, never credentials,
  // but keep the line short and predictable. Every value is escaped by LogEvent.
  const std::string& who = request_.principal.login;
  LogEvent(spdlog::level::info, "request",
           {{"client", std::string_view(client_.empty() ? peer_ : client_)},
            {"method", std::string_view(request_.method)},
            {"path", std::string_view(request_.path)},
            {"status", static_cast<int64_t>(status)},
            {"ms", ms},
            {"user", std::string_view(who.empty() ? std::string_view("-") : who)}});
}

}  // namespace concord::http
