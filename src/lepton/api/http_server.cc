// The only translation unit (with http_client.cc) that compiles Beast: ~20 s per TU.
#include "lepton/base/strings.h"
#include "lepton/api/http_server.h"

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lepton/api/status_http.h"
#include "lepton/base/logging.h"

namespace lepton::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

std::string_view ToStd(beast::string_view s) { return {s.data(), s.size()}; }

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(absl::ToChronoNanoseconds(d));
}

class Session;

void ConfigureParser(http::request_parser<http::string_body>& parser,
                     const HttpServerOptions& options) {
  parser.header_limit(options.header_limit_bytes);
  parser.body_limit(options.max_body_bytes);
}

// Moves a parsed Beast request into our plain value. False when the target is not an
// origin-form path (the caller answers 400).
bool ToHttpRequest(http::request<http::string_body>& req, HttpRequest* out) {
  out->method = std::string(ToStd(req.method_string()));
  out->target = std::string(ToStd(req.target()));
  out->headers.clear();
  for (const auto& field : req) {
    out->headers.emplace_back(AsciiLower(ToStd(field.name_string())),
                              std::string(ToStd(field.value())));
  }
  out->body = std::move(req.body());
  return ParseTarget(out->target, &out->path, &out->query);
}

// Appends `value` without CR or LF (a header value must not end the header early).
void AppendHeaderValue(std::string_view value, std::string* out) {
  for (char c : value) out->push_back(c == '\r' || c == '\n' ? ' ' : c);
}

// 1xx, 204 and 304 responses have no body and no Content-Length (RFC 9110 §8.6).
bool StatusHasNoBody(int status) { return status / 100 == 1 || status == 204 || status == 304; }

// The status line and headers of a response whose body is `body_size` bytes, as Beast writes
// them after `keep_alive` and `prepare_payload`: Content-Length unless the status forbids a body
// (1xx, 204, 304); Connection only where it differs from the version's default. Written as text
// because Beast's fields allocate per header and its serializer costs more than the handler on a
// small inference request.
void AppendResponseHead(const HttpResponse& response, size_t body_size, unsigned version, bool keep_alive,
                        std::string* out) {
  out->append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out->append(std::to_string(response.status));
  out->push_back(' ');
  const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(response.status));
  out->append(reason.data(), reason.size());
  out->append("\r\nServer: lepton\r\nContent-Type: ");
  AppendHeaderValue(response.content_type, out);
  out->append("\r\n");
  for (const auto& [name, value] : response.headers) {
    AppendHeaderValue(name, out);
    out->append(": ");
    AppendHeaderValue(value, out);
    out->append("\r\n");
  }
  if (!StatusHasNoBody(response.status)) {
    out->append("Content-Length: ");
    out->append(std::to_string(body_size));
    out->append("\r\n");
  }
  if (version >= 11 && !keep_alive) out->append("Connection: close\r\n");
  if (version < 11 && keep_alive) out->append("Connection: keep-alive\r\n");
  out->append("\r\n");
}

int StatusForParseError(beast::error_code ec) {
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::body_limit) return 413;
  return 400;
}

// One I/O thread with its io_context and the sessions it owns. Sessions are touched only from
// this thread, so the set needs no lock.
// Members are destroyed in reverse order: the io_context goes first, and the pending handlers it
// destroys may end sessions, which erase themselves from `sessions`.
struct Worker {
  std::unordered_set<Session*> sessions;
  std::thread thread;
  net::io_context ioc{1};
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, HttpHandler handler)
      : options_(options), handler_(std::move(handler)) {}

  absl::Status Listen();
  void Run();
  bool Shutdown(absl::Duration deadline);

  const HttpServerOptions& options() const { return options_; }
  const HttpHandler& handler() const { return handler_; }
  bool draining() const { return draining_.load(std::memory_order_acquire); }
  std::atomic<int64_t> open_connections{0};
  std::atomic<int64_t> requests_served{0};
  int port = 0;
  // Open while the io_contexts run: deferred responses post to them only through it.
  struct Gate {
    std::mutex mu;
    bool open = true;
  };
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();

 private:
  void Accept();

  HttpServerOptions options_;
  HttpHandler handler_;
  std::vector<std::unique_ptr<Worker>> workers_;
  // The acceptor has a thread of its own, so that handlers blocking the I/O threads never delay
  // accepting or, at shutdown, closing the listening socket.
  net::io_context accept_ioc_{1};
  std::thread accept_thread_;
  std::optional<tcp::acceptor> acceptor_;
  size_t next_worker_ = 0;
  std::atomic<bool> draining_{false};
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
  bool all_closed_ = true;
};

namespace {

// The initial capacity of each connection's read buffer (see Session's constructor).
constexpr size_t kReadBufferBytes = 8 * 1024;
// A request body buffer up to this capacity is kept for the connection's next request.
constexpr size_t kSpareBodyMaxBytes = 64 * 1024;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Worker& worker, HttpServer::Impl& server)
      : stream_(std::move(socket)), worker_(worker), server_(server) {
    ++server_.open_connections;
    // Beast reads max(512, free capacity) bytes at a time and its parser consumes the body as it
    // arrives, so an unreserved buffer never grows and a 1.6 KB request took four recvmsg calls
    // (plus four reactor polls). With 8 KiB a typical request is one read.
    buffer_.reserve(kReadBufferBytes);
  }
  ~Session() {
    worker_.sessions.erase(this);
    --server_.open_connections;
  }

  void Start() {
    worker_.sessions.insert(this);
    beast::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = lepton::StrCat(ep.address().to_string(), ":", ep.port());
    ReadHeader();
  }

  // Closes the connection if it is waiting for a request (called at shutdown).
  void CloseIfIdle() {
    if (!busy_) Close();
  }

 private:
  void ReadHeader() {
    if (server_.draining()) return Close();
    busy_ = false;
    parser_.emplace();
    ConfigureParser(*parser_, server_.options());
    parser_->get().body() = std::move(spare_body_);  // empty; keeps the last body's capacity
    stream_.expires_after(ToChrono(first_ ? server_.options().read_timeout
                                          : server_.options().idle_timeout));
    first_ = false;
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    busy_ = true;
    // The body usually arrived with the header, in the same read: parse what is buffered now and
    // answer without another composed read and trip through the reactor when it is complete.
    while (!parser_->is_done() && buffer_.size() > 0) {
      beast::error_code pec;
      const size_t used = parser_->put(buffer_.data(), pec);
      buffer_.consume(used);
      if (pec == http::error::need_more) break;
      if (pec) return OnReadError(pec);
      if (used == 0) break;
    }
    if (parser_->is_done()) return OnRequest();
    stream_.expires_after(ToChrono(server_.options().read_timeout));
    const auto& req = parser_->get();
    if (EqualsIgnoreCase(ToStd(req[http::field::expect]), "100-continue") &&
        !parser_->is_done()) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                       req.version());
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code e, size_t) {
        if (e) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->OnRequest();
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return Close();
    }
    if (ec == beast::error::timeout) {
      // The stream has already closed the socket (that is how tcp_stream times out), so a
      // slow or idle client is disconnected without a 408.
      return Close();
    }
    if (ec == http::error::header_limit) {
      return SendErrorAndClose(431, absl::StatusCode::kInvalidArgument,
                               lepton::StrCat("request headers exceed ",
                                            server_.options().header_limit_bytes, " bytes"));
    }
    if (ec == http::error::body_limit) {
      return SendErrorAndClose(413, absl::StatusCode::kInvalidArgument,
                               lepton::StrCat("request body exceeds ",
                                            server_.options().max_body_bytes, " bytes"));
    }
    SendErrorAndClose(400, absl::StatusCode::kInvalidArgument,
                      lepton::StrCat("malformed HTTP request: ", ec.message()));
  }

  void OnRequest() {
    auto& req = parser_->get();
    HttpRequest request;
    request.remote = remote_;
    HttpResponse response;
    if (!ToHttpRequest(req, &request)) {
      response = ErrorResponse(400, absl::StatusCode::kInvalidArgument,
                               "malformed request target: expected an absolute path");
    } else {
      try {
        response = server_.handler()(request);
      } catch (const std::exception& e) {
        // Handlers return errors as values; this is a last line of defence, not a channel.
        Log(LogLevel::kError, "handler threw", {{"what", e.what()}});
        response = ErrorResponse(absl::InternalError(e.what()));
      }
    }
    ++server_.requests_served;
    // The next request's body reuses this one's buffer (one allocation less per request), unless
    // it is large.
    if (request.body.capacity() <= kSpareBodyMaxBytes) {
      spare_body_ = std::move(request.body);
      spare_body_.clear();
    }
    const bool keep_alive = req.keep_alive() && !server_.draining();
    if (response.deferred) return AwaitDeferred(std::move(response.deferred), req.version(), keep_alive);
    Write(std::move(response), req.version(), keep_alive);
  }

  // Waits, without blocking the thread, for a response completed elsewhere (DeferredResponse).
  // The timer keeps the session alive inside its io_context, as a pending read would, so that a
  // shutdown cut destroys it with the io_context like any other; the completion holds only a weak
  // reference and posts through the server's gate, which is closed before the io_contexts stop.
  // A response not ready within the read timeout is answered 504 and the connection closed.
  void AwaitDeferred(std::shared_ptr<DeferredResponse> deferred, unsigned version, bool keep_alive) {
    awaiting_ = true;
    timer_.expires_after(ToChrono(server_.options().read_timeout));
    timer_.async_wait([self = shared_from_this(), version](beast::error_code ec) {
      if (ec || !self->awaiting_) return;  // cancelled: the response came first
      self->awaiting_ = false;
      self->Write(ErrorResponse(504, absl::StatusCode::kDeadlineExceeded,
                                "the response was not ready within the server's read timeout"),
                  version, /*keep_alive=*/false);
    });
    std::weak_ptr<Session> weak = shared_from_this();
    deferred->OnComplete([weak, gate = server_.gate, &ioc = worker_.ioc, version,
                          keep_alive](HttpResponse response) {
      std::lock_guard<std::mutex> lock(gate->mu);
      if (!gate->open) return;
      net::post(ioc, [weak, response = std::move(response), version, keep_alive]() mutable {
        std::shared_ptr<Session> self = weak.lock();
        if (self == nullptr || !self->awaiting_) return;
        self->awaiting_ = false;
        self->timer_.cancel();
        self->Write(std::move(response), version, keep_alive);
      });
    });
  }

  void SendErrorAndClose(int status, absl::StatusCode code, std::string_view message) {
    busy_ = true;
    Write(ErrorResponse(status, code, message), 11, /*keep_alive=*/false);
  }

  void Write(HttpResponse response, unsigned version, bool keep_alive) {
    if (response.producer) return WriteStream(std::move(response), version, keep_alive);
    // The head and body live in the session until the write completes (one write at a time).
    out_head_.clear();
    out_body_ = std::move(response.body);
    if (StatusHasNoBody(response.status)) out_body_.clear();
    AppendResponseHead(response, out_body_.size(), version, keep_alive, &out_head_);
    const std::array<net::const_buffer, 2> buffers{net::buffer(out_head_), net::buffer(out_body_)};
    stream_.expires_after(ToChrono(server_.options().read_timeout));
    // Posted, so that the thread first finishes the other requests that became ready with this
    // one and then sends the answers together: a send that wakes the client right away lets the
    // client preempt this thread once per response (~10 % fewer req/s under wrk on shared cores).
    net::post(stream_.get_executor(), [self = shared_from_this(), buffers, keep_alive]() {
      net::async_write(self->stream_, buffers, [self, keep_alive](beast::error_code ec, size_t) {
        if (ec || !keep_alive) return self->Close();
        self->ReadHeader();
      });
    });
  }

  // A response whose body comes from `HttpResponse::producer`. The serializer keeps a reference
  // to `res`, so the state lives behind one pointer and never moves.
  struct Stream {
    explicit Stream(BodyProducer p) : producer(std::move(p)) {}
    BodyProducer producer;
    http::response<http::buffer_body> res;
    std::optional<http::response_serializer<http::buffer_body>> serializer;
    std::string chunk;  // the bytes `res.body()` points into while they are written
    bool chunked = true;
  };

  // Sends the status line and headers, then one chunk at a time: the producer is asked for the
  // next chunk only when the previous one has been written (back-pressure), and each write gets
  // the same timeout as a non-streamed response. HTTP/1.0 clients cannot take chunked encoding,
  // so they get the body delimited by the end of the connection.
  void WriteStream(HttpResponse response, unsigned version, bool keep_alive) {
    auto stream = std::make_shared<Stream>(std::move(response.producer));
    auto& res = stream->res;
    res.version(version);
    res.result(static_cast<unsigned>(response.status));
    res.set(http::field::server, "lepton");
    res.set(http::field::content_type, response.content_type);
    for (auto& [k, v] : response.headers) res.set(k, v);
    stream->chunked = version >= 11;
    res.keep_alive(keep_alive && stream->chunked);
    res.chunked(stream->chunked);
    res.body().data = nullptr;
    res.body().more = true;
    stream->serializer.emplace(res);
    stream_.expires_after(ToChrono(server_.options().read_timeout));
    http::async_write_header(stream_, *stream->serializer,
                             [self = shared_from_this(), stream](beast::error_code ec, size_t) {
                               if (ec) return self->Close();
                               self->WriteNextChunk(std::move(stream));
                             });
  }

  void WriteNextChunk(std::shared_ptr<Stream> stream) {
    absl::StatusOr<std::optional<std::string>> next;
    try {
      next = stream->producer();
    } catch (const std::exception& e) {
      next = absl::InternalError(e.what());
    }
    if (!next.ok()) {
      Log(LogLevel::kWarning, "streamed response aborted",
          {{"error", next.status().ToString()}, {"remote", remote_}});
      return Abort(stream->chunked);
    }
    auto& body = stream->res.body();
    if (!next->has_value()) {
      // The end: chunked encoding writes the final zero-length chunk now.
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    } else {
      stream->chunk = **std::move(next);
      if (stream->chunk.empty()) {
        // Nothing to write; ask again without starving the thread's other connections.
        return net::post(stream_.get_executor(), [self = shared_from_this(), stream]() mutable {
          self->WriteNextChunk(std::move(stream));
        });
      }
      body.data = stream->chunk.data();
      body.size = stream->chunk.size();
      body.more = true;
    }
    stream_.expires_after(ToChrono(server_.options().read_timeout));
    http::async_write(stream_, *stream->serializer,
                      [self = shared_from_this(), stream](beast::error_code ec, size_t) mutable {
                        // `need_buffer`: the chunk is written and the serializer wants the next.
                        if (ec == http::error::need_buffer) ec = {};
                        if (ec) return self->Close();
                        if (!stream->serializer->is_done()) {
                          return self->WriteNextChunk(std::move(stream));
                        }
                        const bool keep_alive = stream->res.keep_alive();
                        stream.reset();  // the producer's cleanup runs before the next request
                        if (!keep_alive) return self->Close();
                        self->ReadHeader();
                      });
  }

  // Ends a streamed response that cannot be completed so that the client cannot mistake it for
  // a complete one: with chunked encoding, closing before the final chunk suffices; a body
  // delimited by the end of the connection needs a reset (RST) instead of a clean close.
  void Abort(bool chunked) {
    if (closed_) return;
    if (!chunked) {
      beast::error_code ec;
      stream_.socket().set_option(net::socket_base::linger(true, 0), ec);
      closed_ = true;
      stream_.socket().close(ec);
      return;
    }
    Close();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string spare_body_;  // an empty string with capacity, for the next request's body
  std::string out_head_, out_body_;  // the response being written (Write)
  Worker& worker_;
  HttpServer::Impl& server_;
  std::string remote_;
  net::steady_timer timer_{stream_.get_executor()};  // AwaitDeferred's deadline
  bool busy_ = false;
  bool first_ = true;
  bool closed_ = false;
  bool awaiting_ = false;  // a deferred response is pending
};

}  // namespace

absl::Status HttpServer::Impl::Listen() {
  beast::error_code ec;
  const auto address = net::ip::make_address(options_.host, ec);
  if (ec) return absl::InvalidArgumentError(lepton::StrCat("listen host '", options_.host, "' is not an IP address"));
  int threads = options_.io_threads > 0 ? options_.io_threads
                                        : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, threads);
  for (int i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>());
  tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
  acceptor_.emplace(accept_ioc_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(lepton::StrCat("cannot listen on ", options_.host, ":",
                                               options_.port, ": ", ec.message()));
  }
  port = acceptor_->local_endpoint().port();
  return absl::OkStatus();
}

void HttpServer::Impl::Run() {
  Accept();
  accept_thread_ = std::thread([this] {
    auto guard = net::make_work_guard(accept_ioc_);
    accept_ioc_.run();
  });
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->thread = std::thread([worker] {
      auto guard = net::make_work_guard(worker->ioc);
      worker->ioc.run();
    });
  }
}

void HttpServer::Impl::Accept() {
  Worker& target = *workers_[next_worker_];
  next_worker_ = (next_worker_ + 1) % workers_.size();
  acceptor_->async_accept(target.ioc, [this, &target](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_->is_open()) return;
    if (!ec && !draining()) {
      auto session = std::make_shared<Session>(std::move(socket), target, *this);
      net::post(target.ioc, [session] { session->Start(); });
    } else if (ec) {
      // EMFILE and friends: log and keep accepting rather than die.
      Log(LogLevel::kWarning, "accept failed", {{"error", ec.message()}});
    }
    Accept();
  });
}

bool HttpServer::Impl::Shutdown(absl::Duration deadline) {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_) return all_closed_;
  shut_down_ = true;
  draining_.store(true, std::memory_order_release);
  std::promise<void> acceptor_closed;
  net::post(accept_ioc_, [this, &acceptor_closed] {
    beast::error_code ec;
    acceptor_->close(ec);
    acceptor_closed.set_value();
  });
  acceptor_closed.get_future().wait();
  for (auto& w : workers_) {
    Worker* worker = w.get();
    net::post(worker->ioc, [worker] {
      // Copy: closing may destroy sessions, which erase themselves from the set.
      std::vector<Session*> idle(worker->sessions.begin(), worker->sessions.end());
      for (Session* s : idle) {
        if (worker->sessions.contains(s)) s->CloseIfIdle();
      }
    });
  }
  const absl::Time until = absl::Now() + deadline;
  while (open_connections.load() > 0 && absl::Now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  all_closed_ = open_connections.load() == 0;
  {
    // Deferred responses completing from now on are dropped instead of posted to io_contexts
    // that are stopping and will be destroyed.
    std::lock_guard<std::mutex> gate_lock(gate->mu);
    gate->open = false;
  }
  accept_ioc_.stop();
  if (accept_thread_.joinable()) accept_thread_.join();
  for (auto& w : workers_) w->ioc.stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  // Sessions still alive were cut by the deadline; their handlers die with the io_contexts.
  for (auto& w : workers_) w->sessions.clear();
  return all_closed_;
}

int ParseRawRequest(std::string_view raw, const HttpServerOptions& options, HttpRequest* out) {
  http::request_parser<http::string_body> parser;
  ConfigureParser(parser, options);
  parser.eager(true);
  beast::error_code ec;
  const size_t used = parser.put(net::buffer(raw.data(), raw.size()), ec);
  if (!ec && !parser.is_done()) {
    // A body without a length ends with the input (as when the peer half-closes).
    parser.put_eof(ec);
  }
  if (ec) return StatusForParseError(ec);
  if (used > raw.size() || !parser.is_done()) return 400;
  return ToHttpRequest(parser.get(), out) ? 0 : 400;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { impl_->Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              HttpHandler handler) {
  auto impl = std::make_unique<Impl>(options, std::move(handler));
  absl::Status s = impl->Listen();
  if (!s.ok()) return s;
  impl->Run();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const { return impl_->port; }
int64_t HttpServer::open_connections() const { return impl_->open_connections.load(); }
int64_t HttpServer::requests_served() const { return impl_->requests_served.load(); }
bool HttpServer::Shutdown(absl::Duration deadline) { return impl_->Shutdown(deadline); }

}  // namespace lepton::api
