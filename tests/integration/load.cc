#include "load.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <optional>
#include <thread>

#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core/error.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/http/error.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/string_body.hpp"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"

namespace lepton::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr int kSubBits = 7;                        // 128 sub-buckets per power of two
constexpr int64_t kExact = int64_t{1} << (kSubBits + 1);  // values below are exact
constexpr int kBuckets = 64 << kSubBits;
constexpr auto kConnectBackoff = std::chrono::milliseconds(100);
constexpr uint64_t kBodyLimit = uint64_t{64} << 20;

int BucketOf(int64_t v) {
  if (v < kExact) return static_cast<int>(v);
  const int exponent = 63 - std::countl_zero(static_cast<uint64_t>(v));
  const int shift = exponent - kSubBits;
  return std::min(kBuckets - 1, shift * (1 << kSubBits) + static_cast<int>(v >> shift));
}

// The largest value that falls into bucket `b`.
int64_t BucketUpper(int b) {
  if (b < kExact) return b;
  const int shift = b / (1 << kSubBits) - 1;
  const int64_t mantissa = b % (1 << kSubBits) + (1 << kSubBits);
  return ((mantissa + 1) << shift) - 1;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

// Splits "http://host[:port]/target" (host may be a bracketed IPv6 literal).
bool ParseUrl(std::string_view url, std::string* host, std::string* port, std::string* target) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return false;
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  *target = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (authority.empty()) return false;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    *host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.empty()) {
      *port = "80";
    } else if (authority.front() == ':') {
      *port = std::string(authority.substr(1));
    } else {
      return false;
    }
  } else {
    const size_t colon = authority.rfind(':');
    *host = std::string(authority.substr(0, colon));
    *port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  }
  int64_t p = 0;
  return !host->empty() && ParseInt(*port, &p) && p > 0 && p < 65536;
}

}  // namespace

// ------------------------------------------------------------------------- LatencyHistogram

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets, 0) {}

void LatencyHistogram::Record(int64_t micros) {
  micros = std::max<int64_t>(micros, 0);
  ++buckets_[BucketOf(micros)];
  ++count_;
  sum_ += micros;
  max_ = std::max(max_, micros);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int b = 0; b < kBuckets; ++b) buckets_[b] += other.buckets_[b];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

LatencyHistogram LatencyHistogram::Since(const LatencyHistogram& earlier) const {
  LatencyHistogram out;
  for (int b = 0; b < kBuckets; ++b) {
    out.buckets_[b] = buckets_[b] - earlier.buckets_[b];
    if (out.buckets_[b] > 0) out.max_ = std::min(max_, BucketUpper(b));
  }
  out.count_ = count_ - earlier.count_;
  out.sum_ = sum_ - earlier.sum_;
  return out;
}

int64_t LatencyHistogram::PercentileMicros(double q) const {
  if (count_ == 0) return 0;
  const auto wanted = static_cast<int64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_)));
  int64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[b];
    if (seen >= std::max<int64_t>(wanted, 1)) return std::min(max_, BucketUpper(b));
  }
  return max_;
}

// ------------------------------------------------------------------------------- LoadResult

std::string LoadResult::ToJson() const {
  Json statuses = Json::object();
  for (const auto& [status, n] : by_status) statuses[std::to_string(status)] = n;
  auto ms = [](int64_t micros) { return static_cast<double>(micros) / 1000.0; };
  return DumpJson(Json{{"elapsed_seconds", elapsed_seconds},
                       {"requests", requests},
                       {"rps", requests_per_second()},
                       {"by_status", statuses},
                       {"non_2xx", non_2xx},
                       {"connect_errors", connect_errors},
                       {"reset_errors", reset_errors},
                       {"timeout_errors", timeout_errors},
                       {"other_errors", other_errors},
                       {"errors", errors()},
                       {"reconnects", reconnects},
                       {"unsent", unsent},
                       {"latency_ms",
                        {{"p50", ms(latency.PercentileMicros(0.50))},
                         {"p90", ms(latency.PercentileMicros(0.90))},
                         {"p99", ms(latency.PercentileMicros(0.99))},
                         {"p999", ms(latency.PercentileMicros(0.999))},
                         {"max", ms(latency.max_micros())},
                         {"mean", latency.MeanMicros() / 1000.0}}}});
}

// ------------------------------------------------------------------------------ the workers

struct LoadGenerator::Endpoints {
  std::vector<tcp::endpoint> list;
};

// One I/O thread with its io_context, its share of the connections and its counts.
struct LoadGenerator::Worker {
  struct Connection;
  Worker(LoadGenerator& gen, int connections);
  void Start();
  void Shutdown();  // posted: closes every connection and cancels every timer
  template <typename F>
  void Count(F&& update) {
    std::lock_guard lock(mu);
    update(stats);
  }

  LoadGenerator& gen;
  asio::io_context ioc{1};
  std::vector<std::unique_ptr<Connection>> conns;
  std::thread thread;
  std::mutex mu;
  LoadResult stats;  // guarded by `mu`
};

// One keep-alive connection: connect, then request / answer in a loop until stopped. Runs only
// on its worker's thread (no strand needed).
struct LoadGenerator::Worker::Connection {
  explicit Connection(Worker& w) : worker(w), stream(w.ioc), timer(w.ioc) {}

  LoadGenerator& gen() { return worker.gen; }
  bool stopping() { return gen().stopping_.load(std::memory_order_relaxed); }

  void Connect() {
    if (stopping()) return;
    stream.expires_after(std::chrono::nanoseconds(absl::ToInt64Nanoseconds(gen().options_.request_timeout)));
    stream.async_connect(gen().endpoints_->list, [this](beast::error_code ec, const tcp::endpoint&) {
      if (stopping()) return;
      if (ec) {
        worker.Count([](LoadResult& s) { ++s.connect_errors; });
        stream.close();
        timer.expires_after(kConnectBackoff);
        timer.async_wait([this](beast::error_code) { Connect(); });
        return;
      }
      stream.socket().set_option(tcp::no_delay(true));
      if (connected_before) worker.Count([](LoadResult& s) { ++s.reconnects; });
      connected_before = true;
      Next();
    });
  }

  void Next() {
    if (stopping()) return;
    const LoadOptions& o = gen().options_;
    if (o.rate_per_second <= 0) {
      scheduled_ns = NowNs();
      Send();
      return;
    }
    const int64_t slot = gen().next_slot_.fetch_add(1, std::memory_order_relaxed);
    scheduled_ns = gen().start_ns_ + static_cast<int64_t>(static_cast<double>(slot) * 1e9 / o.rate_per_second);
    const int64_t wait_ns = scheduled_ns - NowNs();
    if (wait_ns <= 0) {
      Send();
      return;
    }
    timer.expires_after(std::chrono::nanoseconds(wait_ns));
    timer.async_wait([this](beast::error_code ec) {
      if (!ec) Send();
    });
  }

  void Send() {
    if (stopping()) return;
    if (gen().options_.rate_per_second <= 0) scheduled_ns = NowNs();
    stream.expires_after(std::chrono::nanoseconds(absl::ToInt64Nanoseconds(gen().options_.request_timeout)));
    asio::async_write(stream, asio::buffer(gen().request_), [this](beast::error_code ec, size_t) {
      if (ec) return Failed(ec);
      parser.emplace();
      parser->body_limit(kBodyLimit);
      http::async_read(stream, buffer, *parser, [this](beast::error_code ec2, size_t) {
        if (ec2) return Failed(ec2);
        Answered();
      });
    });
  }

  void Answered() {
    if (stopping()) return;
    const int64_t latency_us = (NowNs() - scheduled_ns) / 1000;
    const int status = static_cast<int>(parser->get().result_int());
    worker.Count([&](LoadResult& s) {
      ++s.requests;
      ++s.by_status[status];
      if (status < 200 || status > 299) ++s.non_2xx;
      s.latency.Record(latency_us);
    });
    if (gen().options_.on_response) gen().options_.on_response(status, parser->get().body());
    if (!parser->keep_alive()) {
      Reopen();
      return;
    }
    Next();
  }

  void Failed(beast::error_code ec) {
    if (stopping()) return;
    worker.Count([&](LoadResult& s) {
      if (ec == beast::error::timeout) {
        ++s.timeout_errors;
      } else if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
                 ec == asio::error::broken_pipe || ec == asio::error::connection_aborted || ec == http::error::partial_message) {
        ++s.reset_errors;
      } else {
        ++s.other_errors;
      }
    });
    Reopen();
  }

  void Reopen() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.clear();
    Connect();
  }

  void Close() {
    stream.close();
    timer.cancel();
  }

  Worker& worker;
  beast::tcp_stream stream;
  asio::steady_timer timer;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  int64_t scheduled_ns = 0;
  bool connected_before = false;
};

LoadGenerator::Worker::Worker(LoadGenerator& g, int connections) : gen(g) {
  for (int i = 0; i < connections; ++i) conns.push_back(std::make_unique<Connection>(*this));
}

void LoadGenerator::Worker::Start() {
  for (auto& c : conns) asio::post(ioc, [c = c.get()] { c->Connect(); });
  thread = std::thread([this] { ioc.run(); });
}

void LoadGenerator::Worker::Shutdown() {
  asio::post(ioc, [this] {
    for (auto& c : conns) c->Close();
  });
}

// --------------------------------------------------------------------------- LoadGenerator


absl::StatusOr<std::unique_ptr<LoadGenerator>> LoadGenerator::Create(LoadOptions options) {
  std::string host, port, target;
  if (!ParseUrl(options.url, &host, &port, &target)) {
    return absl::InvalidArgumentError(StrCat("url: expected http://host:port/target, got \"", options.url, "\""));
  }
  if (options.connections < 1) return absl::InvalidArgumentError("connections: expected at least 1");
  if (options.threads < 1) return absl::InvalidArgumentError("threads: expected at least 1");
  if (options.rate_per_second < 0) return absl::InvalidArgumentError("rate: expected 0 (closed-loop) or more");
  if (options.duration < absl::ZeroDuration()) return absl::InvalidArgumentError("duration: expected 0 or more");
  if (options.request_timeout <= absl::ZeroDuration()) return absl::InvalidArgumentError("request timeout: expected > 0");
  options.threads = std::min(options.threads, options.connections);
  auto gen = std::unique_ptr<LoadGenerator>(new LoadGenerator(std::move(options)));
  gen->host_ = host;
  gen->port_ = port;
  const LoadOptions& o = gen->options_;
  std::string& r = gen->request_;
  StrAppend(&r, o.method, " ", target, " HTTP/1.1\r\nHost: ",
            host.find(':') != std::string::npos ? StrCat("[", host, "]") : host, ":", port, "\r\n");
  for (const auto& [k, v] : o.headers) StrAppend(&r, k, ": ", v, "\r\n");
  if (!o.body.empty() || o.method == "POST" || o.method == "PUT" || o.method == "PATCH") {
    StrAppend(&r, "Content-Length: ", o.body.size(), "\r\n");
  }
  StrAppend(&r, "\r\n", o.body);
  return gen;
}

LoadGenerator::LoadGenerator(LoadOptions options) : options_(std::move(options)) {}

LoadGenerator::~LoadGenerator() {
  Stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

absl::StatusOr<LoadResult> LoadGenerator::Run() {
  if (ran_.exchange(true)) return absl::FailedPreconditionError("LoadGenerator::Run may be called once");
  asio::io_context resolver_ioc;
  tcp::resolver resolver(resolver_ioc);
  beast::error_code ec;
  const auto resolved = resolver.resolve(host_, port_, ec);
  if (ec) return absl::UnavailableError(StrCat("resolving ", host_, ":", port_, ": ", ec.message()));
  endpoints_ = std::make_unique<Endpoints>();
  endpoints_->list.assign(resolved.begin(), resolved.end());
  {
    std::lock_guard lock(mu_);
    start_ns_ = NowNs();
    const int n = options_.threads;
    for (int t = 0; t < n; ++t) {
      const int share = options_.connections / n + (t < options_.connections % n ? 1 : 0);
      workers_.push_back(std::make_unique<Worker>(*this, share));
    }
    for (auto& w : workers_) w->Start();
  }
  {
    std::unique_lock lock(stop_mu_);
    auto stopped = [&] { return stopping_.load(); };
    if (options_.duration == absl::ZeroDuration()) {
      stop_cv_.wait(lock, stopped);
    } else {
      stop_cv_.wait_for(lock, std::chrono::nanoseconds(absl::ToInt64Nanoseconds(options_.duration)), stopped);
    }
  }
  {
    std::lock_guard lock(mu_);
    stopping_.store(true);
    end_ns_ = NowNs();
    for (auto& w : workers_) w->Shutdown();
  }
  for (auto& w : workers_) w->thread.join();
  LoadResult out = Snapshot();
  if (options_.rate_per_second > 0) {
    const auto due = static_cast<int64_t>(out.elapsed_seconds * options_.rate_per_second);
    out.unsent = std::max<int64_t>(0, due - next_slot_.load());
  }
  return out;
}

void LoadGenerator::Stop() {
  std::lock_guard lock(stop_mu_);
  stopping_.store(true);
  stop_cv_.notify_all();
}

LoadResult LoadGenerator::Snapshot() const {
  std::lock_guard lock(mu_);
  LoadResult out;
  if (start_ns_ == 0) return out;
  out.elapsed_seconds = static_cast<double>((end_ns_ != 0 ? end_ns_ : NowNs()) - start_ns_) / 1e9;
  for (const auto& w : workers_) {
    std::lock_guard wl(w->mu);
    const LoadResult& s = w->stats;
    out.requests += s.requests;
    for (const auto& [status, n] : s.by_status) out.by_status[status] += n;
    out.non_2xx += s.non_2xx;
    out.connect_errors += s.connect_errors;
    out.reset_errors += s.reset_errors;
    out.timeout_errors += s.timeout_errors;
    out.other_errors += s.other_errors;
    out.reconnects += s.reconnects;
    out.latency.Merge(s.latency);
  }
  return out;
}

absl::StatusOr<int64_t> ProcessRssKib(int pid) {
  std::ifstream f(StrCat("/proc/", pid, "/status"));
  if (!f) return absl::NotFoundError(StrCat("no process ", pid));
  std::string line;
  while (std::getline(f, line)) {
    if (line.starts_with("VmRSS:")) {
      int64_t kib = 0;
      std::string_view rest = StripWhitespace(std::string_view(line).substr(6));
      rest = rest.substr(0, rest.find(' '));
      if (ParseInt(rest, &kib)) return kib;
    }
  }
  return absl::NotFoundError(StrCat("no VmRSS for process ", pid, " (exited?)"));
}

}  // namespace lepton::testing
