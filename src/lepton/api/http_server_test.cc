#include "lepton/api/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "lepton/api/http_client.h"
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

 private:
  // Reads until `needle` (when not empty) arrives, the peer closes, or `timeout_ms` passes
  // without data.
  std::string Read(std::string_view needle, int timeout_ms) {
    std::string out;
    char buf[4096];
    while (needle.empty() || out.find(needle) == std::string::npos) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) break;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    options.io_threads = 2;
    auto s = HttpServer::Start(options, [this](const HttpRequest& r) {
      ++handled_;
      if (r.path == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(400));
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
