#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "concord/base/log.h"
#include "server_impl.h"

namespace concord::http {

void Server::Impl::Session::BeginStreamed() {
  CancelDeadline();
  // Each streamed body holds a file of the handler's besides its socket: bounded, so that
  // uploads cannot take every file descriptor from other requests.
  if (server_->streamed_bodies >= server_->options.max_streamed_bodies) {
    LogEvent(spdlog::level::warn, "upload refused: too many uploads at once",
             {{"client", std::string_view(client_)}});
    return Finish(Refusal(503, ErrorCode::kUnavailable,
                          "the server is taking as many uploads as it can; try again shortly",
                          std::chrono::seconds(5)),
                  false);
  }
  ++server_->streamed_bodies;
  streaming_ = true;
  // Reads of up to 64 KiB while the body arrives (a buffer read empty reads 512 bytes at a time).
  buffer_.reserve(kPieceBytes);
  in_handler_ = true;
  ++server_->in_handlers;
  auto self = shared_from_this();
  server_->workers->Submit([self] {
    auto sink = self->server_->Guarded([&] { return self->route_->streamed(self->request_); });
    net::post(self->server_->io, [self, sink = std::move(sink)]() mutable {
      self->in_handler_ = false;
      self->server_->HandlerFinished();
      if (!sink) return self->Finish(self->server_->ErrorResponse(sink.error()), false);
      self->sink_ = std::move(*sink);
      self->ContinueThen([self] { self->ReadPiece(); });
    });
  });
}

void Server::Impl::Session::ReadPiece(bool progress) {
  if (closed_) return DropSink();
  if (progress) {
    SetDeadline(Clock::now() + server_->options.streamed_body_stall_timeout,
                /*reading_request=*/true);
  }
  bhttp::async_read_some(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnPiece(ec); });
}

void Server::Impl::Session::OnPiece(beast::error_code ec) {
  if (timed_out_) {
    DropSink();
    return Finish(Refusal(408, ErrorCode::kDeadlineExceeded, "the request body stopped arriving"),
                  false);
  }
  if (ec == bhttp::error::body_limit) {
    DropSink();
    return Finish(BodyTooLarge(), false);
  }
  if (ec) {
    DropSink();
    if (ec == net::error::eof || ec == net::error::connection_reset ||
        ec == bhttp::error::partial_message) {
      Log(kClientClosed);
      return Close();  // the client went away
    }
    return Finish(FramingRefusal(ec), false);
  }
  std::string piece = std::move(parser_->get().body());
  parser_->get().body().clear();
  bool done = parser_->is_done();
  if (piece.empty() && !done) return ReadPiece(/*progress=*/false);
  CancelDeadline();
  // The sink writes on a worker; the next piece is read once it has.
  in_handler_ = true;
  ++server_->in_handlers;
  if (done) keep_alive_ = parser_->get().keep_alive();
  auto self = shared_from_this();
  server_->workers->Submit([self, piece = std::move(piece), done] {
    const Impl& server = *self->server_;
    std::optional<Response> out;
    auto written = server.Guarded([&]() -> Result<Response> {
      CONCORD_RETURN_IF_ERROR(self->sink_->Write(piece));
      if (!done) return Response{};
      return self->sink_->Finish();
    });
    if (!written) {
      out = server.ErrorResponse(written.error());
    } else if (done) {
      out = std::move(*written);
    }
    if (out) self->sink_.reset();  // undone unless finished
    net::post(self->server_->io, [self, out = std::move(out), done]() mutable {
      self->in_handler_ = false;
      self->server_->HandlerFinished();
      if (!out) return self->ReadPiece();
      self->EndStreaming();
      self->Finish(std::move(*out), done && self->keep_alive_);
    });
  });
}

void Server::Impl::Session::DropSink() {
  EndStreaming();
  if (!sink_) return;
  server_->workers->Submit([sink = std::shared_ptr<BodySink>(std::move(sink_))] {});
}

void Server::Impl::Session::EndStreaming() {
  if (!streaming_) return;
  streaming_ = false;
  --server_->streamed_bodies;
  if (buffer_.size() == 0) buffer_.shrink_to_fit();
}

}  // namespace concord::http
