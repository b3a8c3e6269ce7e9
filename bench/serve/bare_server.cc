// bench/serve's ceiling: a bare Boost.Beast HTTP/1.1 keep-alive server that answers every
// request with the same fixed body — in bench/serve/run.sh, the exact bytes of `lepton server`'s
// answer to the benchmark's inference request. It does what Lepton's HTTP layer does at the
// least (src/lepton/api/http_server.cc's layout: an acceptor thread handing connections round
// robin to N I/O threads, each running its own io_context; TCP_NODELAY; Beast's request parser
// reading the whole body; a string-body response per request) and nothing else: no routing, no
// auth, no JSON, no model. Throughput against it is the most an HTTP server built like Lepton's
// can do on this machine, so lepton / bare says how much the work behind the route costs.
//
//   lepton_bare_server --body FILE [--listen HOST:PORT] [--threads N] [--content-type TYPE]
//
// --listen defaults to 127.0.0.1:0 (a free port); --threads to one per core (Lepton's default).
// Prints "bare_server listening on http://HOST:PORT (N I/O threads)" once it accepts; stops on
// SIGINT or SIGTERM.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  int threads = 0;  // 0: one per core
  std::string body_file;
  std::string content_type = "application/json";
};

struct Reply {
  std::string body;
  std::string content_type;
};

// One connection: read a request (headers and body), write the fixed reply, repeat while the
// client keeps the connection alive. Lives as long as an operation holds it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Reply& reply) : socket_(std::move(socket)), reply_(reply) {
    buffer_.reserve(8 * 1024);  // one read per typical request, as Lepton's sessions
  }

  void Start() {
    beast::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);  // best effort, as Lepton
    Read();
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(64 * 1024 * 1024);
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->Write();
                     });
  }

  void Write() {
    const http::request<http::string_body>& req = parser_->get();
    auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, req.version());
    res->set(http::field::server, "lepton-bare");
    res->set(http::field::content_type, reply_.content_type);
    res->keep_alive(req.keep_alive());
    res->body() = reply_.body;
    res->prepare_payload();
    http::async_write(socket_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) return self->Close();
      self->Read();
    });
  }

  void Close() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
  }

  tcp::socket socket_;
  const Reply& reply_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

struct Worker {
  net::io_context ioc{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{ioc.get_executor()};
  std::thread thread;
};

class Server {
 public:
  Server(const Options& options, Reply reply) : options_(options), reply_(std::move(reply)) {}

  // Binds, prints the address, serves until SIGINT/SIGTERM. Exceptions (bind failures) go to
  // main().
  void Run() {
    const int threads = options_.threads > 0
                            ? options_.threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    for (int i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>());
    const tcp::endpoint endpoint(net::ip::make_address(options_.host), options_.port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
    const tcp::endpoint bound = acceptor_.local_endpoint();
    std::printf("bare_server listening on http://%s:%u (%d I/O threads, %zu-byte body)\n",
                bound.address().to_string().c_str(), static_cast<unsigned>(bound.port()),
                threads, reply_.body.size());
    std::fflush(stdout);
    for (auto& w : workers_) {
      w->thread = std::thread([&ioc = w->ioc] { ioc.run(); });
    }
    signals_.async_wait([this](beast::error_code, int) {
      beast::error_code ec;
      acceptor_.close(ec);
      for (auto& w : workers_) w->ioc.stop();
    });
    Accept();
    accept_ioc_.run();
    for (auto& w : workers_) w->thread.join();
  }

 private:
  void Accept() {
    Worker& target = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    acceptor_.async_accept(target.ioc, [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;  // closed: shutting down
      if (!ec) std::make_shared<Session>(std::move(socket), reply_)->Start();
      Accept();
    });
  }

  Options options_;
  const Reply reply_;
  net::io_context accept_ioc_{1};
  tcp::acceptor acceptor_{accept_ioc_};
  net::signal_set signals_{accept_ioc_, SIGINT, SIGTERM};
  std::vector<std::unique_ptr<Worker>> workers_;
  size_t next_worker_ = 0;
};

[[noreturn]] void Usage(const char* problem) {
  std::fprintf(stderr,
               "lepton_bare_server: %s\nusage: lepton_bare_server --body FILE [--listen HOST:PORT] "
               "[--threads N] [--content-type TYPE]\n",
               problem);
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(("missing value after " + flag).c_str());
    const std::string value = argv[++i];
    if (flag == "--body") {
      o.body_file = value;
    } else if (flag == "--listen") {
      const size_t colon = value.rfind(':');
      if (colon == std::string::npos) Usage("--listen wants HOST:PORT");
      o.host = value.substr(0, colon);
      const std::string port = value.substr(colon + 1);
      char* end = nullptr;
      const long p = std::strtol(port.c_str(), &end, 10);
      if (port.empty() || *end != '\0' || p < 0 || p > 65535) Usage("--listen: bad port");
      o.port = static_cast<unsigned short>(p);
    } else if (flag == "--threads") {
      char* end = nullptr;
      const long n = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n < 0 || n > 1024) Usage("--threads wants 0..1024");
      o.threads = static_cast<int>(n);
    } else if (flag == "--content-type") {
      o.content_type = value;
    } else {
      Usage(("unknown flag " + flag).c_str());
    }
  }
  if (o.body_file.empty()) Usage("--body FILE is required");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseArgs(argc, argv);
  std::ifstream in(options.body_file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "lepton_bare_server: cannot read %s\n", options.body_file.c_str());
    return 1;
  }
  std::ostringstream body;
  body << in.rdbuf();
  try {
    Server server(options, Reply{body.str(), options.content_type});
    server.Run();
  } catch (const std::exception& e) {  // Boost.Asio throws on bind/listen failures
    std::fprintf(stderr, "lepton_bare_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
