#pragma once
// A small keep-alive HTTP/1.1 load generator for the integration tests and the serving soak
// (bench/serve/soak.sh through `lepton_loadgen`). It sends one fixed request (method, target,
// headers, body) over `connections` persistent connections to a server on this machine, either
//
//  - closed-loop (`rate_per_second` == 0): each connection sends its next request as soon as the
//    previous answer arrived — the maximum the server sustains at that concurrency; latency is
//    measured from the moment the request is written; or
//  - open-loop (`rate_per_second` > 0): request i is *scheduled* at start + i / rate, whatever
//    happened before. A free connection takes the next unclaimed slot, waits until its scheduled
//    time if that is still ahead, and sends. Latency is measured from the scheduled time, not from
//    the send, so a stall that makes requests wait for a free connection shows up in the
//    percentiles instead of being hidden (coordinated omission). When every connection is busy,
//    slots pile up and are sent late, with their lateness counted.
//
// It counts answers by HTTP status and transport errors by kind (connect, reset / EOF, timeout,
// other); after a transport error the connection is closed and re-opened (after a short back-off
// when connecting failed) and the run goes on. A server answering `Connection: close` is obeyed
// (the connection is re-opened, no error counted). Latencies go into a log-linear histogram
// (1 µs resolution below 256 µs, under 1 % relative error above), so p50/p99/max cost nothing to
// keep for hours.
//
// Thread-safety: `LoadGenerator` runs its I/O on `threads` internal threads. `Run` may be called
// once; `Stop` and `Snapshot` may be called from any thread at any time, also concurrently with
// `Run`; destroy the generator only after `Run` returned (or if it never ran).
// `LoadOptions::on_response` is called concurrently from the I/O threads.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace lepton::testing {

// Latency histogram in microseconds: exact below 256 µs, then 128 sub-buckets per power of two
// (relative error below 1/128). Not thread-safe; `LoadGenerator` keeps one per I/O thread.
class LatencyHistogram {
 public:
  LatencyHistogram();
  void Record(int64_t micros);  // negative values count as 0
  void Merge(const LatencyHistogram& other);
  int64_t count() const { return count_; }
  int64_t max_micros() const { return max_; }
  // The smallest bucket value v such that at least `q` (0..1) of the samples are <= v's bucket;
  // the upper edge of that bucket, capped at the maximum seen. 0 when empty.
  int64_t PercentileMicros(double q) const;
  double MeanMicros() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }
  // The samples recorded since `earlier` (an older copy of this histogram), e.g. the last
  // progress interval. Its maximum is the upper edge of its highest bucket.
  LatencyHistogram Since(const LatencyHistogram& earlier) const;

 private:
  std::vector<int64_t> buckets_;
  int64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t max_ = 0;
};

struct LoadOptions {
  // "http://host:port" followed by the request target, e.g.
  // "http://127.0.0.1:8080/v2/models/credit/infer". Only plain http on an IPv4/IPv6 literal or
  // "localhost": this generator is for servers on this machine.
  std::string url;
  std::string method = "GET";
  // Extra request headers ("Authorization", "Content-Type", …); Host, Content-Length and
  // Connection: keep-alive are set by the generator.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int connections = 16;
  // 0: closed-loop (as fast as possible); > 0: open-loop at this many requests per second, in
  // total over all connections.
  double rate_per_second = 0;
  // How long `Run` lasts (it may end earlier through `Stop`). Zero: until `Stop`.
  absl::Duration duration = absl::Seconds(10);
  // A request unanswered after this long counts as a timeout error; its connection is re-opened.
  absl::Duration request_timeout = absl::Seconds(10);
  // I/O threads; each owns `connections / threads` (rounded) of the connections.
  int threads = 1;
  // Called with each complete answer's status and body, from the I/O threads, concurrently.
  // Must be fast and thread-safe; null: bodies are dropped unread.
  std::function<void(int status, std::string_view body)> on_response;
};

// Counts and latencies so far (`Snapshot`) or of the whole run (`Run`).
struct LoadResult {
  double elapsed_seconds = 0;
  int64_t requests = 0;                 // answers received, any status
  std::map<int, int64_t> by_status;     // HTTP status -> answers
  int64_t non_2xx = 0;                  // answers with a status outside 200..299
  int64_t connect_errors = 0;           // could not connect (refused, unreachable)
  int64_t reset_errors = 0;             // connection reset or closed before a whole answer
  int64_t timeout_errors = 0;           // no whole answer within `request_timeout`
  int64_t other_errors = 0;             // malformed answer, anything else
  int64_t reconnects = 0;               // connections re-opened after the first (any cause)
  // Open-loop only: slots that were still waiting for a connection when the run ended (sent
  // never; not in `requests`, not errors).
  int64_t unsent = 0;
  LatencyHistogram latency;
  int64_t transport_errors() const { return connect_errors + reset_errors + timeout_errors + other_errors; }
  // Errors of any kind: transport errors plus non-2xx answers.
  int64_t errors() const { return transport_errors() + non_2xx; }
  double requests_per_second() const { return elapsed_seconds > 0 ? requests / elapsed_seconds : 0; }
  // {"requests", "rps", "by_status": {"200": n}, "non_2xx", "connect_errors", …, "latency_ms":
  //  {"p50", "p90", "p99", "p999", "max", "mean"}}.
  std::string ToJson() const;
};

class LoadGenerator {
 public:
  // InvalidArgument for a URL that is not http://host:port/target, connections < 1, threads < 1,
  // a negative rate or duration.
  static absl::StatusOr<std::unique_ptr<LoadGenerator>> Create(LoadOptions options);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  // Runs the load until `duration` has passed or `Stop` was called, then closes every connection
  // (requests in flight at that moment are abandoned, neither answers nor errors) and returns the
  // totals. Unavailable when the host name cannot be resolved. Call once.
  absl::StatusOr<LoadResult> Run();
  // Ends `Run` soon (within milliseconds). Safe from any thread, also before `Run` starts (then
  // `Run` returns at once) and more than once.
  void Stop();
  // The totals so far; safe during `Run`.
  LoadResult Snapshot() const;

 private:
  struct Worker;
  struct Endpoints;  // the resolved address(es), kept out of this header (Asio)
  explicit LoadGenerator(LoadOptions options);
  LoadOptions options_;
  std::string host_, port_;
  std::string request_;  // the whole request, serialized once
  std::unique_ptr<Endpoints> endpoints_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> ran_{false};
  std::atomic<int64_t> next_slot_{0};  // open-loop: the next unclaimed scheduled request
  std::mutex stop_mu_;                 // with `stop_cv_`: `Run` waits for the end or `Stop`
  std::condition_variable stop_cv_;
  mutable std::mutex mu_;              // guards `workers_`, `start_ns_`, `end_ns_`
  std::vector<std::unique_ptr<Worker>> workers_;
  int64_t start_ns_ = 0;               // steady-clock start of the run, ns; 0 before
  int64_t end_ns_ = 0;                 // set when `Run` ends
};

// The resident set size of process `pid` in KiB (VmRSS of /proc/<pid>/status). NotFound when
// the process does not exist.
absl::StatusOr<int64_t> ProcessRssKib(int pid);

}  // namespace lepton::testing
