#include "lepton/api/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lepton/api/http_client.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::api {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A raw TCP client, to send what well-behaved clients never would.
class RawConn {
 public:
  explicit RawConn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawConn() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(std::string_view data) {
    size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  // Reads until the peer closes or `timeout_ms` passes without data.
  std::string ReadAll(int timeout_ms = 3000) { return Read({}, timeout_ms); }
  // Reads until `needle` arrives (or timeout), leaving the connection open.
  std::string ReadUntil(std::string_view needle, int timeout_ms = 3000) {
    return Read(needle, timeout_ms);
  }
  bool closed() const { return closed_; }
  // The peer reset the connection (rather than closing it cleanly).
  bool reset() const { return reset_; }

 private:
  // Reads until `needle` (when not empty) arrives, the peer closes, or `timeout_ms` passes
  // without data.
  std::string Read(std::string_view needle, int timeout_ms) {
    std::string out;
    char buf[4096];
    // Searches only the bytes that could complete `needle`, so that long reads stay linear.
    size_t searched = 0;
    while (needle.empty() || out.find(needle, searched) == std::string::npos) {
      searched = out.size() >= needle.size() ? out.size() - needle.size() + 1 : 0;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) break;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        reset_ = n < 0 && errno == ECONNRESET;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  bool reset_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    options.io_threads = 2;
    auto s = HttpServer::Start(options, [this](const HttpRequest& r) {
      ++handled_;
      if (stream_handler_ && r.path.starts_with("/stream")) return stream_handler_(r);
      if (r.path == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(400));
      if (r.path.starts_with("/status/")) {  // that status, an extra header (with a CR LF), a body
        HttpResponse res;
        res.status = std::stoi(r.path.substr(8));
        res.content_type = "text/plain";
        res.headers.push_back({"X-Extra", "a\r\nInjected: 1"});
        res.body = "hello";
        return res;
      }
      HttpResponse res = HttpResponse::MakeJson(
          200, {{"method", r.method}, {"path", r.path}, {"body_bytes", r.body.size()}});
      return res;
    });
    ASSERT_OK(s);
    server_ = *std::move(s);
  }
  // Waits until the server has closed every connection (bounded).
  bool AllClosed() {
    for (int i = 0; i < 400 && server_->open_connections() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return server_->open_connections() == 0;
  }
  std::atomic<int> handled_{0};
  // Answers the paths starting with "/stream" when set (before `StartServer`).
  std::function<HttpResponse(const HttpRequest&)> stream_handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesAndKeepsConnectionsAlive) {
  StartServer();
  RawConn c(server_->port());
  ASSERT_TRUE(c.connected());
  c.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(c.ReadUntil("\"/a\""), StartsWith("HTTP/1.1 200 OK"));
  c.Send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  const std::string second = c.ReadUntil("\"/b\"");
  EXPECT_THAT(second, HasSubstr("\"body_bytes\":3"));
  EXPECT_FALSE(c.closed());
  EXPECT_EQ(handled_.load(), 2);
}

TEST_F(HttpServerTest, ResponseHeadsFollowTheVersionAndStatus) {
  StartServer();
  {
    RawConn c(server_->port());
    c.Send("GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.ReadUntil("hello"),
              "HTTP/1.1 201 Created\r\nServer: lepton\r\nContent-Type: text/plain\r\n"
              "X-Extra: a  Injected: 1\r\nContent-Length: 5\r\n\r\nhello");
    // No body and no Content-Length for 204; the connection stays open.
    c.Send("GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.ReadUntil("\r\n\r\n"),
              "HTTP/1.1 204 No Content\r\nServer: lepton\r\nContent-Type: text/plain\r\n"
              "X-Extra: a  Injected: 1\r\n\r\n");
    // Connection: close asked for: said and done.
    c.Send("GET /status/200 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const std::string closing = c.ReadAll();
    EXPECT_THAT(closing, HasSubstr("Content-Length: 5\r\nConnection: close\r\n\r\nhello"));
    EXPECT_TRUE(c.closed());
  }
  {
    // HTTP/1.0: closed by default; kept alive, and said so, when asked.
    RawConn c(server_->port());
    c.Send("GET /status/200 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_THAT(c.ReadUntil("hello"), StartsWith("HTTP/1.0 200 OK\r\n"));
    c.Send("GET /status/200 HTTP/1.0\r\n\r\n");
    const std::string last = c.ReadAll();
    EXPECT_THAT(last, StartsWith("HTTP/1.0 200 OK\r\n"));
    EXPECT_THAT(last, ::testing::Not(HasSubstr("Connection:")));
    EXPECT_TRUE(c.closed());
  }
}

TEST_F(HttpServerTest, BodiesOfDifferentSizesOnOneConnectionAreEachWhole) {
  // The connection reuses its body buffer: a long body, then short ones, then one past the size
  // kept, then an empty one.
  StartServer();
  RawConn c(server_->port());
  for (size_t n : {size_t{3000}, size_t{10}, size_t{0}, size_t{100000}, size_t{7}, size_t{0}}) {
    c.Send(lepton::StrCat("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: ", n, "\r\n\r\n", std::string(n, 'z')));
    EXPECT_THAT(c.ReadUntil("\"/b\""), HasSubstr(lepton::StrCat("\"body_bytes\":", n, ","))) << n;
  }
  EXPECT_FALSE(c.closed());
}

TEST_F(HttpServerTest, PipelinedAndSplitRequestsAreEachAnsweredInOrder) {
  // Two requests in one write (the second waits in the buffer), then one whose body comes in
  // two writes after its header.
  StartServer();
  RawConn c(server_->port());
  c.Send("POST /p1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nabPOST /p2 HTTP/1.1\r\nHost: x\r\n"
         "Content-Length: 3\r\n\r\nabc");
  const std::string both = c.ReadUntil("\"/p2\"");
  ASSERT_NE(both.find("\"/p1\""), std::string::npos);
  EXPECT_LT(both.find("\"/p1\""), both.find("\"/p2\""));
  EXPECT_THAT(both, HasSubstr("\"body_bytes\":2,"));
  EXPECT_THAT(both, HasSubstr("\"body_bytes\":3,"));
  c.Send("POST /p3 HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.Send("def");
  EXPECT_THAT(c.ReadUntil("\"/p3\""), HasSubstr("\"body_bytes\":6,"));
  EXPECT_EQ(handled_.load(), 3);
}

TEST_F(HttpServerTest, OversizedBodyIs413AndConnectionCloses) {
  StartServer({.max_body_bytes = 1024});
  RawConn c(server_->port());
  c.Send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  const std::string r = c.ReadAll();
  EXPECT_THAT(r, StartsWith("HTTP/1.1 413"));
  EXPECT_THAT(r, HasSubstr("\"code\":\"INVALID_ARGUMENT\""));
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(handled_.load(), 0);
  EXPECT_TRUE(AllClosed());
}

TEST_F(HttpServerTest, OversizedChunkedBodyIs413) {
  StartServer({.max_body_bytes = 16});
  RawConn c(server_->port());
  c.Send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n" +
         std::string(32, 'a') + "\r\n0\r\n\r\n");
  EXPECT_THAT(c.ReadAll(), StartsWith("HTTP/1.1 413"));
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  StartServer();
  RawConn c(server_->port());
  c.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_THAT(c.ReadAll(), StartsWith("HTTP/1.1 431"));
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(HttpServerTest, GarbageIs400) {
  StartServer();
  RawConn c(server_->port());
  c.Send("NOT HTTP AT ALL\r\n\r\n");
  const std::string r = c.ReadAll();
  EXPECT_THAT(r, StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(r, HasSubstr("malformed HTTP request"));
  RawConn d(server_->port());
  d.Send("GET relative/path HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(d.ReadAll(), StartsWith("HTTP/1.1 400"));
}

TEST_F(HttpServerTest, SlowClientIsDisconnectedAfterReadTimeout) {
  StartServer({.read_timeout = absl::Milliseconds(300)});
  RawConn c(server_->port());
  c.Send("GET /a HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
  const auto start = std::chrono::steady_clock::now();
  const std::string r = c.ReadAll(5000);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r, "");
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(handled_.load(), 0);
  EXPECT_LT(waited, std::chrono::seconds(4));
  EXPECT_TRUE(AllClosed());
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedQuietly) {
  StartServer({.idle_timeout = absl::Milliseconds(200)});
  RawConn c(server_->port());
  c.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string r = c.ReadAll(3000);  // the response, then the close after the idle time
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(r.find("408"), std::string::npos);
  EXPECT_TRUE(c.closed());
}

TEST_F(HttpServerTest, ExpectContinueIsHonoured) {
  StartServer();
  RawConn c(server_->port());
  c.Send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_THAT(c.ReadUntil("\r\n\r\n"), StartsWith("HTTP/1.1 100 Continue"));
  c.Send("abcd");
  EXPECT_THAT(c.ReadUntil("body_bytes"), HasSubstr("200 OK"));
}

TEST_F(HttpServerTest, ManyConnectionsLeakNothing) {
  StartServer();
  auto client = HttpClient::Create("http://127.0.0.1:" + std::to_string(server_->port()));
  ASSERT_OK(client);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto r = client->Send("GET", "/ping");
        EXPECT_OK(r);
        if (r.ok()) {
          EXPECT_EQ(r->status, 200);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 20; ++i) {
    RawConn c(server_->port());
    c.Send("GARBAGE\r\n\r\n");
    c.ReadAll();
  }
  EXPECT_TRUE(AllClosed());
  EXPECT_EQ(server_->requests_served(), 200);
}

TEST_F(HttpServerTest, GracefulShutdownFinishesInFlightRequests) {
  StartServer();
  const int port = server_->port();
  RawConn busy(port);
  RawConn idle(port);
  idle.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_THAT(idle.ReadUntil("\"/a\""), HasSubstr("200 OK"));
  busy.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the handler is now sleeping
  bool clean = false;
  std::thread stopper([&] { clean = server_->Shutdown(absl::Seconds(5)); });
  const std::string r = busy.ReadAll(5000);
  stopper.join();
  EXPECT_TRUE(clean);
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(r, HasSubstr("Connection: close"));
  EXPECT_TRUE(busy.closed());
  idle.ReadAll(1000);
  EXPECT_TRUE(idle.closed());
  RawConn late(port);
  EXPECT_FALSE(late.connected());
}

TEST_F(HttpServerTest, ShutdownDeadlineCutsStuckRequests) {
  StartServer();
  RawConn busy(server_->port());
  busy.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(server_->Shutdown(absl::Milliseconds(50)));
}

TEST_F(HttpServerTest, PortInUseIsUnavailable) {
  StartServer();
  auto second = HttpServer::Start({.port = server_->port()}, [](const HttpRequest&) {
    return HttpResponse{};
  });
  EXPECT_THAT(second, ::lepton::testing::StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(HttpServer::Start({.host = "not-an-ip"}, [](const HttpRequest&) { return HttpResponse{}; }),
              ::lepton::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

// Streamed responses: chunk `i` of a test body is 256 KiB starting with "<i>".
constexpr size_t kChunkBytes = 256 * 1024;

std::string TestChunk(int i) {
  std::string chunk(kChunkBytes, static_cast<char>('a' + i % 26));
  const std::string tag = "<" + std::to_string(i) + ">";
  chunk.replace(0, tag.size(), tag);
  return chunk;
}

std::string ExpectedBody(int chunks) {
  std::string body;
  for (int i = 0; i < chunks; ++i) body += TestChunk(i);
  return body;
}

// What a test producer did, shared between the producer (owned by the server) and the test.
struct ProducerLog {
  std::atomic<int> produced{0};
  std::atomic<bool> destroyed{false};
};

// A producer of `chunks` test chunks that fails with DataLoss instead of chunk `fail_at` (if
// >= 0). `log->destroyed` is set when the server drops the producer.
BodyProducer TestProducer(std::shared_ptr<ProducerLog> log, int chunks, int fail_at = -1) {
  struct State {
    std::shared_ptr<ProducerLog> log;
    int next = 0;
    ~State() { log->destroyed = true; }
  };
  auto state = std::make_shared<State>();
  state->log = std::move(log);
  return [state, chunks, fail_at]() -> absl::StatusOr<std::optional<std::string>> {
    if (state->next == fail_at) return absl::DataLossError("data file became unreadable");
    if (state->next == chunks) return std::optional<std::string>();
    ++state->log->produced;
    return std::optional<std::string>(TestChunk(state->next++));
  };
}

HttpResponse StreamResponse(BodyProducer producer) {
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.headers.emplace_back("X-Streamed", "yes");
  r.producer = std::move(producer);
  return r;
}

// Waits until `log->produced` has not changed for 300 ms (bounded by 10 s) and returns it.
int ProducedWhenSettled(const ProducerLog& log) {
  int last = -1;
  for (int quiet = 0, i = 0; quiet < 6 && i < 200; ++i) {
    const int now = log.produced.load();
    quiet = now == last ? quiet + 1 : 0;
    last = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return last;
}

TEST_F(HttpServerTest, StreamsFiftyMegabytesCompleteAndInOrder) {
  constexpr int kChunks = 200;  // 50 MiB
  auto log = std::make_shared<ProducerLog>();
  stream_handler_ = [log](const HttpRequest&) {
    return StreamResponse(TestProducer(log, kChunks));
  };
  StartServer();
  auto client = HttpClient::Create("http://127.0.0.1:" + std::to_string(server_->port()));
  ASSERT_OK(client);
  auto r = client->Send("GET", "/stream", "", {}, absl::Seconds(60));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "application/octet-stream");
  EXPECT_EQ(r->Header("transfer-encoding"), "chunked");
  EXPECT_EQ(r->Header("content-length"), "");
  EXPECT_EQ(r->Header("x-streamed"), "yes");
  ASSERT_EQ(r->body.size(), kChunks * kChunkBytes);
  EXPECT_TRUE(r->body == ExpectedBody(kChunks)) << "the body differs from the chunks in order";
  EXPECT_EQ(log->produced.load(), kChunks);
  EXPECT_TRUE(AllClosed());
  EXPECT_TRUE(log->destroyed.load());
}

TEST_F(HttpServerTest, StreamIsProducedOnlyAsTheClientReads) {
  constexpr int kChunks = 200;  // 50 MiB, far more than the socket buffers hold
  auto log = std::make_shared<ProducerLog>();
  stream_handler_ = [log](const HttpRequest&) {
    return StreamResponse(TestProducer(log, kChunks));
  };
  StartServer();
  RawConn c(server_->port());
  c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  // The client reads nothing: the producer stops once the socket buffers are full.
  const int before_reading = ProducedWhenSettled(*log);
  EXPECT_GT(before_reading, 0);
  EXPECT_LT(before_reading, kChunks / 2) << "chunks are produced without waiting for the client";
  const std::string r = c.ReadUntil("\r\n0\r\n\r\n", 10000);
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(r, HasSubstr("Transfer-Encoding: chunked"));
  EXPECT_EQ(log->produced.load(), kChunks);
  EXPECT_FALSE(c.closed());  // keep-alive: the chunked body ended cleanly
  c.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(c.ReadUntil("\"/a\""), HasSubstr("200 OK"));
}

TEST_F(HttpServerTest, ProducerErrorTruncatesTheChunkedBody) {
  auto log = std::make_shared<ProducerLog>();
  stream_handler_ = [log](const HttpRequest&) {
    return StreamResponse(TestProducer(log, /*chunks=*/10, /*fail_at=*/3));
  };
  StartServer();
  RawConn c(server_->port());
  c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string r = c.ReadAll(5000);
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200 OK"));
  EXPECT_THAT(r, HasSubstr(TestChunk(2)));
  EXPECT_FALSE(r.ends_with("\r\n0\r\n\r\n")) << "a failed stream must not end like a complete one";
  EXPECT_EQ(r.find("\r\n0\r\n\r\n"), std::string::npos);
  EXPECT_TRUE(c.closed());
  // A real HTTP client reports the truncation as an error.
  auto client = HttpClient::Create("http://127.0.0.1:" + std::to_string(server_->port()));
  ASSERT_OK(client);
  EXPECT_THAT(client->Send("GET", "/stream"),
              ::lepton::testing::StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(AllClosed());
}

TEST_F(HttpServerTest, Http10ClientsGetTheStreamDelimitedByClose) {
  auto log = std::make_shared<ProducerLog>();
  stream_handler_ = [log](const HttpRequest& r) {
    return StreamResponse(TestProducer(log, /*chunks=*/4, r.path == "/stream/fail" ? 2 : -1));
  };
  StartServer();
  RawConn ok(server_->port());
  ok.Send("GET /stream HTTP/1.0\r\n\r\n");
  const std::string r = ok.ReadAll(5000);
  EXPECT_THAT(r, StartsWith("HTTP/1.0 200 OK"));
  EXPECT_EQ(r.find("Transfer-Encoding"), std::string::npos);
  EXPECT_TRUE(r.ends_with("\r\n\r\n" + ExpectedBody(4)));
  EXPECT_TRUE(ok.closed());
  EXPECT_FALSE(ok.reset());
  // Without chunked framing only a reset tells the client that the body is incomplete.
  RawConn failed(server_->port());
  failed.Send("GET /stream/fail HTTP/1.0\r\n\r\n");
  failed.ReadAll(5000);
  EXPECT_TRUE(failed.closed());
  EXPECT_TRUE(failed.reset());
}

TEST_F(HttpServerTest, StalledStreamIsCutAfterTheWriteTimeout) {
  auto log = std::make_shared<ProducerLog>();
  stream_handler_ = [log](const HttpRequest&) { return StreamResponse(TestProducer(log, 1000)); };
  StartServer({.read_timeout = absl::Milliseconds(300)});
  RawConn c(server_->port());
  c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");  // and never reads
  for (int i = 0; i < 1000 && log->produced.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GT(log->produced.load(), 0);
  EXPECT_TRUE(AllClosed());
  EXPECT_TRUE(log->destroyed.load());
  EXPECT_LT(log->produced.load(), 1000);
}

TEST_F(HttpServerTest, GracefulShutdownLetsAStreamFinish) {
  constexpr int kChunks = 40;
  auto log = std::make_shared<ProducerLog>();
  auto midway = std::make_shared<std::promise<void>>();
  stream_handler_ = [log, midway](const HttpRequest&) {
    BodyProducer inner = TestProducer(log, kChunks);
    return StreamResponse([inner, midway, n = 0]() mutable {
      if (++n == 5) midway->set_value();
      return inner();
    });
  };
  StartServer();
  auto client = HttpClient::Create("http://127.0.0.1:" + std::to_string(server_->port()));
  ASSERT_OK(client);
  auto response = std::async(std::launch::async, [&] { return client->Send("GET", "/stream"); });
  midway->get_future().wait();
  EXPECT_TRUE(server_->Shutdown(absl::Seconds(20)));
  auto r = response.get();
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), kChunks * kChunkBytes);
}

TEST_F(HttpServerTest, ShutdownDeadlineCutsAStalledStream) {
  auto log = std::make_shared<ProducerLog>();
  stream_handler_ = [log](const HttpRequest&) { return StreamResponse(TestProducer(log, 1000)); };
  StartServer();  // default 30 s write timeout: only the shutdown deadline ends this stream
  RawConn c(server_->port());
  c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");  // and never reads
  ASSERT_GT(ProducedWhenSettled(*log), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(server_->Shutdown(absl::Milliseconds(200)));
  server_.reset();  // destroys the cut connection and its producer
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(log->destroyed.load());
  const std::string r = c.ReadAll(5000);
  EXPECT_EQ(r.find("\r\n0\r\n\r\n"), std::string::npos);
  EXPECT_TRUE(c.closed());
}

// Deferred responses: completed by another thread ("the batcher") while the I/O thread serves
// other connections.
class DeferredTest : public HttpServerTest {
 protected:
  // "/deferred" answers after `delay`, completed from a thread of its own; "/never" never.
  void StartDeferred(HttpServerOptions options, std::chrono::milliseconds delay) {
    stream_handler_ = nullptr;
    options.io_threads = 1;  // one I/O thread: only a free thread can serve the second client
    auto s = HttpServer::Start(options, [this, delay](const HttpRequest& r) {
      HttpResponse res;
      if (r.path == "/deferred" || r.path == "/never") {
        res.deferred = std::make_shared<DeferredResponse>();
        res.deferred->Then([](HttpResponse& out) { out.headers.emplace_back("X-Step", "1"); });
        if (r.path == "/deferred") {
          std::lock_guard<std::mutex> lock(mu_);
          completers_.emplace_back([d = res.deferred, delay, path = r.path] {
            std::this_thread::sleep_for(delay);
            d->Complete(HttpResponse::MakeJson(200, {{"path", path}}));
          });
        } else {
          never_.push_back(res.deferred);
        }
        return res;
      }
      return HttpResponse::MakeJson(200, {{"path", r.path}});
    });
    ASSERT_OK(s);
    server_ = *std::move(s);
  }
  void TearDown() override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : completers_) t.join();
  }
  std::mutex mu_;
  std::vector<std::thread> completers_;
  std::vector<std::shared_ptr<DeferredResponse>> never_;
};

TEST_F(DeferredTest, AnswersWhenCompletedAndFreesTheThreadMeanwhile) {
  StartDeferred({}, std::chrono::milliseconds(300));
  RawConn waiting(server_->port());
  RawConn other(server_->port());
  waiting.Send("GET /deferred HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto before = std::chrono::steady_clock::now();
  other.Send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(other.ReadUntil("\"/quick\""), StartsWith("HTTP/1.1 200"));
  // The only I/O thread answered while the deferred one was still pending.
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(200));
  const std::string r = waiting.ReadUntil("\"/deferred\"");
  EXPECT_THAT(r, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(r, HasSubstr("X-Step: 1"));  // steps run before delivery
  // Keep-alive: the same connection serves the next request.
  waiting.Send("GET /deferred HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(waiting.ReadUntil("\"/deferred\""), StartsWith("HTTP/1.1 200"));
  EXPECT_FALSE(waiting.closed());
}

TEST_F(DeferredTest, CompletedBeforeTheHandlerReturnsIsDeliveredToo) {
  StartDeferred({}, std::chrono::milliseconds(0));
  for (int i = 0; i < 50; ++i) {
    RawConn c(server_->port());
    c.Send("GET /deferred HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_THAT(c.ReadUntil("\"/deferred\""), StartsWith("HTTP/1.1 200")) << i;
  }
}

TEST_F(DeferredTest, NeverCompletedIs504AfterTheReadTimeout) {
  StartDeferred({.read_timeout = absl::Milliseconds(200)}, std::chrono::milliseconds(0));
  RawConn c(server_->port());
  c.Send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string r = c.ReadAll(3000);
  EXPECT_THAT(r, StartsWith("HTTP/1.1 504"));
  EXPECT_TRUE(c.closed());
  // Completing it late is harmless.
  for (auto& d : never_) d->Complete(HttpResponse::MakeJson(200, {}));
  EXPECT_TRUE(AllClosed());
}

TEST_F(DeferredTest, ShutdownWaitsForPendingOnesAndDropsLateOnes) {
  StartDeferred({}, std::chrono::milliseconds(200));
  RawConn c(server_->port());
  c.Send("GET /deferred HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(server_->Shutdown(absl::Seconds(5)));  // waited for the completion
  EXPECT_THAT(c.ReadAll(1000), StartsWith("HTTP/1.1 200"));

  // Cut by the deadline, completed after the server is gone: dropped without touching it.
  StartDeferred({}, std::chrono::milliseconds(400));
  RawConn cut(server_->port());
  cut.Send("GET /deferred HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(server_->Shutdown(absl::Milliseconds(20)));
  server_.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the completer runs now
  EXPECT_TRUE(cut.ReadAll(500).empty());
}

TEST(ParseRawRequestTest, ParsesLikeTheServer) {
  HttpRequest r;
  EXPECT_EQ(ParseRawRequest("POST /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n"
                            "X-Up: V\r\n\r\nhi",
                            {}, &r),
            0);
  EXPECT_EQ(r.path, "/a b");
  EXPECT_EQ(r.body, "hi");
  EXPECT_EQ(r.Header("x-up"), "V");
  EXPECT_EQ(ParseRawRequest("GET / HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n", {}, &r), 431);
  EXPECT_EQ(ParseRawRequest("POST / HTTP/1.1\r\nContent-Length: 99\r\n\r\n", {.max_body_bytes = 10}, &r), 413);
  EXPECT_EQ(ParseRawRequest("garbage", {}, &r), 400);
  EXPECT_EQ(ParseRawRequest("GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", {}, &r), 400);
}

}  // namespace
}  // namespace lepton::api
