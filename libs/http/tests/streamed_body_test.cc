// Bodies taken as they arrive (Server::PostStreamed, for uploads): never whole in memory, never
// read for a caller the route refuses, undone when they do not finish.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "concord/http/client.h"
#include "concord/http/server.h"
#include "concord/testing/process.h"
#include "concord/testing/raw_connection.h"

namespace concord::http {
namespace {

using concord::testing::RawConnection;
using concord::testing::StatusLine;

using namespace std::chrono_literals;

class OneUser final : public Authenticator {
 public:
  Result<Principal> Authenticate(std::string_view login, std::string_view password) override {
    if (login == "member" && password == "pw") return Principal{UserId("u-m"), "member", false};
    return Unauthenticated("invalid credentials");
  }
};

// What the sinks saw, across requests.
struct Seen {
  std::atomic<int> begun{0}, finished{0}, undone{0};
  std::atomic<size_t> largest_piece{0};
  std::atomic<int> pieces{0};
  std::mutex mu;
  std::string last_body;
};

// Keeps what it is given (the test checks it arrived intact) and notes the largest piece.
class RecordingSink final : public BodySink {
 public:
  explicit RecordingSink(Seen& seen) : seen_(seen) { ++seen_.begun; }
  ~RecordingSink() override {
    if (!finished_) ++seen_.undone;
  }
  Status Write(std::string_view piece) override {
    if (piece.find("FAIL") != std::string_view::npos) return Unavailable("the disk is full");
    size_t seen = seen_.largest_piece.load();
    while (piece.size() > seen && !seen_.largest_piece.compare_exchange_weak(seen, piece.size())) {
    }
    body_.append(piece);
    ++seen_.pieces;
    return Ok();
  }
  Result<Response> Finish() override {
    finished_ = true;
    ++seen_.finished;
    std::lock_guard lock(seen_.mu);
    seen_.last_body = body_;
    return Response::Json(201, {{"bytes", body_.size()}});
  }

 private:
  Seen& seen_;
  std::string body_;
  bool finished_ = false;
};

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

constexpr char kAuth[] = "Authorization: Basic bWVtYmVyOnB3\r\n";  // member:pw

class StreamedBodyTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options) {
    server_ = std::make_unique<Server>(std::move(options), std::make_shared<OneUser>());
    server_->PostStreamed("/api/upload", Access::kSignedIn,
                          [this](const Request& r) -> Result<std::unique_ptr<BodySink>> {
                            if (r.Query("deny")) return PermissionDenied("not yours to write");
                            EXPECT_TRUE(r.body.empty());
                            return std::make_unique<RecordingSink>(seen_);
                          });
    server_->Post("/api/small", Access::kSignedIn, [](const Request& r) -> Result<Response> {
      return Response::Json(200, {{"bytes", r.body.size()}});
    });
    server_->Get("/api/hello", Access::kSignedIn, [](const Request&) -> Result<Response> {
      return Response::Json(200, {{"hello", true}});
    });
    // A download: the file `file_` (Response::file), or a reply produced as it goes.
    server_->Get("/api/file", Access::kSignedIn, [this](const Request&) -> Result<Response> {
      Response r;
      r.content_type = "application/octet-stream";
      r.file = file_;
      return r;
    });
    server_->Get("/api/stream", Access::kSignedIn, [](const Request&) -> Result<Response> {
      Response r;
      r.content_type = "text/plain";
      r.stream = [](const Response::Writer& write) { return write("one ") && write("two"); };
      return r;
    });
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port);
    port_ = *port;
    thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    if (server_) {
      server_->Stop();
      thread_.join();
    }
  }
  Client Member() {
    return Client({.url = "http://127.0.0.1:" + std::to_string(port_),
                   .user = "member",
                   .password = "pw",
                   .timeout = 20s});
  }
  // Waits up to 5 s for `done`.
  static bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(10ms);
    return done();
  }

  Seen seen_;
  std::filesystem::path file_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

TEST_F(StreamedBodyTest, ALargeBodyArrivesWholeInPiecesBeyondTheBodyLimit) {
  // The ordinary body limit is 64 KiB; the upload is 20 MiB and arrives intact, in pieces.
  Start({.threads = 2, .max_body_bytes = size_t{64} * 1024});
  std::string body = Pattern(size_t{20} * 1024 * 1024);
  auto reply = Member().Send("POST", "/api/upload", body);
  ASSERT_TRUE(reply) << reply.error().ToString();
  EXPECT_EQ(reply->status, 201);
  EXPECT_EQ(reply->body["bytes"], body.size());
  EXPECT_EQ(seen_.finished, 1);
  {
    std::lock_guard lock(seen_.mu);
    EXPECT_TRUE(seen_.last_body == body) << "the body arrived changed";
  }
  // No piece near the whole: what the server holds at once is bounded by its read size; and
  // pieces are not tiny either (each costs a worker's turn).
  EXPECT_LE(seen_.largest_piece, 256u * 1024);
  EXPECT_LE(seen_.pieces, 20 * 1024 / 16) << "pieces of less than 16 KiB on average";
  // An ordinary route keeps its own limit.
  auto small = Member().Send("POST", "/api/small", std::string(size_t{100} * 1024, 'x'));
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 413);
  // A body sent chunked arrives as well.
  RawConnection c(port_);
  ASSERT_TRUE(c.Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                     "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  std::string got = c.ReadAll(2s);
  EXPECT_EQ(StatusLine(got), "HTTP/1.1 201 Created");
  std::lock_guard lock(seen_.mu);
  EXPECT_EQ(seen_.last_body, "hello world");
}

TEST_F(StreamedBodyTest, ARefusedCallersBodyIsNeverRead) {
  Start({.threads = 2});
  RawConnection c(port_);
  // Headers of a 100 MB upload and no body: the refusal comes at once, not after the body.
  ASSERT_TRUE(c.Send(std::string("POST /api/upload?deny=1 HTTP/1.1\r\nHost: x\r\n") + kAuth +
                     "Content-Length: 100000000\r\n\r\n"));
  std::string got = c.ReadAll(3s);
  EXPECT_EQ(StatusLine(got), "HTTP/1.1 403 Forbidden");
  EXPECT_NE(got.find("not yours to write"), std::string::npos);
  EXPECT_EQ(seen_.begun, 0);
  // Unauthenticated: 401, the route's handler never asked.
  RawConnection anonymous(port_);
  ASSERT_TRUE(anonymous.Send("POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"));
  EXPECT_EQ(StatusLine(anonymous.ReadAll(3s)), "HTTP/1.1 401 Unauthorized");
  EXPECT_EQ(seen_.begun, 0);
}

TEST_F(StreamedBodyTest, ExpectContinueWaitsForTheRoutesAnswer) {
  Start({.threads = 2});
  RawConnection refused(port_);
  ASSERT_TRUE(refused.Send(std::string("POST /api/upload?deny=1 HTTP/1.1\r\nHost: x\r\n") + kAuth +
                           "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(StatusLine(refused.ReadAll(1s)), "HTTP/1.1 403 Forbidden");
  RawConnection allowed(port_);
  ASSERT_TRUE(allowed.Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                           "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(StatusLine(allowed.ReadAll(500ms)), "HTTP/1.1 100 Continue");
  ASSERT_TRUE(allowed.Send("hello"));
  EXPECT_EQ(StatusLine(allowed.ReadAll(1s)), "HTTP/1.1 201 Created");
}

TEST_F(StreamedBodyTest, TooLargeIs413AndUndoesWhatWasWritten) {
  Start({.threads = 2, .max_streamed_body_bytes = size_t{1024} * 1024});
  // From Content-Length: refused before the route is asked.
  RawConnection declared(port_);
  ASSERT_TRUE(declared.Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                            "Content-Length: 2000000\r\n\r\n"));
  EXPECT_EQ(StatusLine(declared.ReadAll(3s)), "HTTP/1.1 413 Payload Too Large");
  EXPECT_EQ(seen_.begun, 0);
  // Chunked, growing past the limit: 413 once it does, and the sink is undone.
  RawConnection chunked(port_);
  ASSERT_TRUE(chunked.Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                           "Transfer-Encoding: chunked\r\n\r\n"));
  std::string piece = Pattern(size_t{64} * 1024);
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
  for (int i = 0; i < 20; ++i) {
    if (!chunked.Send(std::string(size) + piece + "\r\n")) break;
  }
  EXPECT_EQ(StatusLine(chunked.ReadAll(3s)), "HTTP/1.1 413 Payload Too Large");
  EXPECT_TRUE(Eventually([&] { return seen_.undone == 1; }));
  EXPECT_EQ(seen_.finished, 0);
}

TEST_F(StreamedBodyTest, AClientThatGoesAwayOrStallsLeavesNothing) {
  Start({.threads = 2, .streamed_body_stall_timeout = 1s});
  {
    RawConnection gone(port_);
    ASSERT_TRUE(gone.Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                          "Content-Length: 10000000\r\n\r\n" + Pattern(size_t{1024} * 1024)));
    ASSERT_TRUE(Eventually([&] { return seen_.begun == 1; }));
  }  // closed half-way
  EXPECT_TRUE(Eventually([&] { return seen_.undone == 1; }));
  RawConnection stalled(port_);
  ASSERT_TRUE(stalled.Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                           "Content-Length: 1000\r\n\r\nsome of it"));
  EXPECT_EQ(StatusLine(stalled.ReadAll(4s)), "HTTP/1.1 408 Request Timeout");
  EXPECT_TRUE(Eventually([&] { return seen_.undone == 2; }));
  EXPECT_EQ(seen_.finished, 0);
}

TEST_F(StreamedBodyTest, ASinkThatFailsAnswersItsErrorAndIsUndone) {
  Start({.threads = 2});
  auto reply =
      Member().Send("POST", "/api/upload", Pattern(size_t{300} * 1024) + "FAIL" + Pattern(1000));
  ASSERT_TRUE(reply) << reply.error().ToString();
  EXPECT_EQ(reply->status, 503);
  EXPECT_EQ(reply->body["error"]["message"], "the disk is full");
  EXPECT_TRUE(Eventually([&] { return seen_.undone == 1; }));
  EXPECT_EQ(seen_.finished, 0);
  // The server goes on serving.
  auto again = Member().Send("POST", "/api/upload", "fine");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 201);
}

// Bytes that are not body (a chunk's extensions, the trailer) are bounded too, and do not keep
// a stalled upload alive.
TEST_F(StreamedBodyTest, ChunkExtensionsAndTrailersCannotGrowWithoutBound) {
  Start({.threads = 2, .streamed_body_stall_timeout = 1s});
  std::string megabyte(size_t{1024} * 1024, 'a');
  RawConnection extension(port_);
  ASSERT_TRUE(extension.Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                             "Transfer-Encoding: chunked\r\n\r\n5;x="));
  for (int i = 0; i < 8 && extension.Send(megabyte); ++i) {
  }
  std::string got = extension.ReadAll(3s);
  EXPECT_EQ(StatusLine(got), "HTTP/1.1 400 Bad Request");
  EXPECT_NE(got.find("extensions or the trailer"), std::string::npos) << got;
  RawConnection trailer(port_);
  ASSERT_TRUE(trailer.Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                           "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: "));
  for (int i = 0; i < 8 && trailer.Send(megabyte); ++i) {
  }
  std::string refused = StatusLine(trailer.ReadAll(3s));
  EXPECT_TRUE(refused == "HTTP/1.1 400 Bad Request" ||
              refused == "HTTP/1.1 431 Request Header Fields Too Large")
      << refused;
  // Extension bytes trickled after the last body byte: the stall deadline still passes.
  RawConnection trickle(port_);
  ASSERT_TRUE(trickle.Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                           "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;"));
  std::string answer;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 20 && answer.empty(); ++i) {
    trickle.Send("e");
    answer = trickle.ReadAll(250ms);
  }
  EXPECT_EQ(StatusLine(answer), "HTTP/1.1 408 Request Timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  // All three uploads were undone.
  EXPECT_TRUE(Eventually([&] { return seen_.undone == 3; })) << seen_.undone;
  EXPECT_EQ(seen_.finished, 0);
}

TEST_F(StreamedBodyTest, OnlyTheChunkedCodingIsTaken) {
  Start({.threads = 2});
  RawConnection c(port_);
  ASSERT_TRUE(c.Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                     "Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
  EXPECT_EQ(StatusLine(c.ReadAll(2s)), "HTTP/1.1 501 Not Implemented");
  EXPECT_EQ(seen_.begun, 0);
}

TEST_F(StreamedBodyTest, UploadsAtOnceAreBounded) {
  Start({.threads = 2, .max_streamed_bodies = 2});
  std::vector<std::unique_ptr<RawConnection>> open;
  for (int i = 0; i < 2; ++i) {
    open.push_back(std::make_unique<RawConnection>(port_));
    ASSERT_TRUE(open.back()->Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                                  "Content-Length: 100\r\n\r\nabc"));
  }
  ASSERT_TRUE(Eventually([&] { return seen_.begun == 2; }));
  RawConnection third(port_);
  ASSERT_TRUE(third.Send(std::string("POST /api/upload HTTP/1.1\r\nHost: x\r\n") + kAuth +
                         "Content-Length: 100\r\n\r\n"));
  std::string got = third.ReadAll(2s);
  EXPECT_EQ(StatusLine(got), "HTTP/1.1 503 Service Unavailable");
  EXPECT_NE(got.find("Retry-After: 5"), std::string::npos);
  // Once one is over, its slot is free again.
  open.front().reset();
  ASSERT_TRUE(Eventually([&] { return seen_.undone == 1; }));
  auto reply = Member().Send("POST", "/api/upload", "now there is room");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 201);
}

// A download is sent by the I/O thread as the client takes it: clients that stop reading hold
// no worker, HEAD gets the headers only, and HTTP/1.0 gets no chunked coding.
TEST_F(StreamedBodyTest, DownloadsHoldNoWorkerAndFollowTheProtocol) {
  testing::TempDir dir("download");
  file_ = dir.path() / "big.bin";
  std::string content = Pattern(size_t{16} * 1024 * 1024);
  std::ofstream(file_, std::ios::binary) << content;
  Start({.threads = 1});
  std::vector<std::unique_ptr<RawConnection>> stuck;
  for (int i = 0; i < 4; ++i) {  // each reads nothing of a 16 MiB reply
    stuck.push_back(std::make_unique<RawConnection>(port_));
    ASSERT_TRUE(
        stuck.back()->Send(std::string("GET /api/file HTTP/1.1\r\nHost: x\r\n") + kAuth + "\r\n"));
  }
  std::this_thread::sleep_for(300ms);
  auto hello = Client({.url = "http://127.0.0.1:" + std::to_string(port_),
                       .user = "member",
                       .password = "pw",
                       .timeout = 2s})
                   .Get("/api/hello");
  ASSERT_TRUE(hello) << "the only worker is held by a download: " << hello.error().ToString();
  // The whole file, intact, with its length.
  std::string received;
  ASSERT_TRUE(Member().Download("/api/file", [&](std::string_view piece) {
    received.append(piece);
    return true;
  }));
  EXPECT_TRUE(received == content) << "the download differs";
  // HEAD, then another request on the same connection.
  RawConnection head(port_);
  ASSERT_TRUE(head.Send(std::string("HEAD /api/file HTTP/1.1\r\nHost: x\r\n") + kAuth +
                        "\r\nHEAD /api/stream HTTP/1.1\r\nHost: x\r\n" + kAuth +
                        "\r\nGET /api/hello HTTP/1.1\r\nHost: x\r\n" + kAuth + "\r\n"));
  std::string got = head.ReadAll(1s);
  EXPECT_NE(got.find("Content-Length: 16777216\r\n"), std::string::npos) << got.substr(0, 300);
  EXPECT_EQ(got.find("aaaa"), std::string::npos) << "HEAD sent a body";
  EXPECT_EQ(got.find("one two"), std::string::npos) << "HEAD sent a body";
  EXPECT_NE(got.find("{\"hello\":true}"), std::string::npos) << got;
  // HTTP/1.0: no chunked coding; the reply ends with the connection.
  RawConnection old(port_);
  ASSERT_TRUE(old.Send(std::string("GET /api/stream HTTP/1.0\r\nHost: x\r\n") + kAuth + "\r\n"));
  got = old.ReadAll(2s);
  EXPECT_EQ(got.find("Transfer-Encoding"), std::string::npos) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\none two")) << got;
  EXPECT_TRUE(old.closed());
}

TEST_F(StreamedBodyTest, AnEmptyUploadIsFinishedAtOnce) {
  Start({.threads = 2});
  auto reply = Member().Send("POST", "/api/upload", "");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 201);
  EXPECT_EQ(reply->body["bytes"], 0);
  EXPECT_EQ(seen_.finished, 1);
}

}  // namespace
}  // namespace concord::http
