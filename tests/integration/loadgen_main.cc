// `lepton_loadgen`: the keep-alive load generator of load.h as a command, for bench/serve/soak.sh
// and by hand. One fixed request over N persistent connections, closed-loop (--rate 0, the
// maximum) or open-loop at a fixed rate with latency measured from each request's scheduled time.
//
// Exit codes: 0 the run finished without errors; 3 it finished but some answer was not 2xx or a
// transport error happened (counts in the summary and the JSON); 1 it could not run; 2 bad usage.

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "lepton/base/json.h"
#include "lepton/base/strings.h"
#include "load.h"

namespace lepton::testing {
namespace {

constexpr char kUsage[] = R"(usage: lepton_loadgen --url http://127.0.0.1:8080/v2/models/NAME/infer [flags]

  --url URL            http://host:port/target (required; this machine only)
  --method M           default POST with --body, else GET
  --body FILE          request body (sent with Content-Type: application/json unless a
                       --header sets Content-Type)
  --header 'K: V'      extra request header, repeatable (e.g. 'Authorization: Bearer …')
  --connections N      keep-alive connections (default 16)
  --rate R             0 (default): closed-loop, as fast as possible; else open-loop at R
                       requests/s in total, latency measured from each request's scheduled time
  --duration S         seconds to run (default 10)
  --threads N          I/O threads of the generator (default 1)
  --timeout S          seconds before an unanswered request counts as a timeout (default 10)
  --progress S         every S seconds print the last interval's req/s, errors and p99
  --json-out FILE      write the result (and the progress intervals) as JSON

exit: 0 no errors, 3 some non-2xx answer or transport error, 1 could not run, 2 bad usage
)";

int Usage(const std::string& error) {
  std::cerr << "lepton_loadgen: " << error << "\n" << kUsage;
  return 2;
}

bool ParseSeconds(const std::string& text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && end != nullptr && *end == '\0' && *out >= 0;
}

int Main(int argc, char** argv) {
  LoadOptions o;
  std::string body_file, json_out, method;
  double progress_s = 0, duration_s = 10, timeout_s = 10;
  bool has_content_type = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= argc) return Usage(StrCat(flag, ": missing value (or unknown flag)"));
    const std::string value = argv[++i];
    int64_t n = 0;
    if (flag == "--url") {
      o.url = value;
    } else if (flag == "--method") {
      method = value;
    } else if (flag == "--body") {
      body_file = value;
    } else if (flag == "--header") {
      const size_t colon = value.find(':');
      if (colon == std::string::npos || colon == 0) return Usage(StrCat("--header: expected 'Name: value', got '", value, "'"));
      std::string name(StripWhitespace(std::string_view(value).substr(0, colon)));
      has_content_type |= EqualsIgnoreCase(name, "content-type");
      o.headers.emplace_back(std::move(name), std::string(StripWhitespace(std::string_view(value).substr(colon + 1))));
    } else if (flag == "--connections") {
      if (!ParseInt(value, &n) || n < 1 || n > 10000) return Usage("--connections: expected 1..10000");
      o.connections = static_cast<int>(n);
    } else if (flag == "--threads") {
      if (!ParseInt(value, &n) || n < 1 || n > 64) return Usage("--threads: expected 1..64");
      o.threads = static_cast<int>(n);
    } else if (flag == "--rate") {
      if (!ParseSeconds(value, &o.rate_per_second)) return Usage("--rate: expected a number >= 0");
    } else if (flag == "--duration") {
      if (!ParseSeconds(value, &duration_s) || duration_s <= 0) return Usage("--duration: expected seconds > 0");
    } else if (flag == "--timeout") {
      if (!ParseSeconds(value, &timeout_s) || timeout_s <= 0) return Usage("--timeout: expected seconds > 0");
    } else if (flag == "--progress") {
      if (!ParseSeconds(value, &progress_s)) return Usage("--progress: expected seconds >= 0");
    } else if (flag == "--json-out") {
      json_out = value;
    } else {
      return Usage(StrCat("unknown flag ", flag));
    }
  }
  if (o.url.empty()) return Usage("--url is required");
  if (!body_file.empty()) {
    std::ifstream f(body_file, std::ios::binary);
    if (!f) return Usage(StrCat("--body: cannot read ", body_file));
    std::stringstream ss;
    ss << f.rdbuf();
    o.body = ss.str();
    if (!has_content_type) o.headers.emplace_back("Content-Type", "application/json");
  }
  o.method = !method.empty() ? method : (body_file.empty() ? "GET" : "POST");
  o.duration = absl::Seconds(duration_s);
  o.request_timeout = absl::Seconds(timeout_s);
  auto gen = LoadGenerator::Create(o);
  if (!gen.ok()) return Usage(std::string(gen.status().message()));

  // SIGINT / SIGTERM end the run early (the summary is still printed); blocked here, before any
  // thread starts, and waited for below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<LoadResult> result = absl::UnknownError("not run");
  std::atomic<bool> done{false};
  std::thread runner([&] {
    result = (*gen)->Run();
    done.store(true);
  });
  Json intervals = Json::array();
  LoadResult last;
  auto next_progress = std::chrono::steady_clock::now() + std::chrono::duration<double>(progress_s);
  while (!done.load()) {
    timespec wait{0, 100'000'000};
    if (sigtimedwait(&signals, nullptr, &wait) > 0) (*gen)->Stop();
    if (progress_s > 0 && std::chrono::steady_clock::now() >= next_progress) {
      next_progress += std::chrono::duration<double>(progress_s);
      LoadResult now = (*gen)->Snapshot();
      const double dt = now.elapsed_seconds - last.elapsed_seconds;
      if (dt <= 0) continue;
      const LatencyHistogram window = now.latency.Since(last.latency);
      const double rps = static_cast<double>(now.requests - last.requests) / dt;
      const int64_t errors = now.errors() - last.errors();
      const double p99_ms = static_cast<double>(window.PercentileMicros(0.99)) / 1000.0;
      std::printf("[%6.0fs] %9.0f req/s  errors %lld (total %lld)  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
                  now.elapsed_seconds, rps, static_cast<long long>(errors), static_cast<long long>(now.errors()),
                  static_cast<double>(window.PercentileMicros(0.5)) / 1000.0, p99_ms,
                  static_cast<double>(window.max_micros()) / 1000.0);
      std::fflush(stdout);
      intervals.push_back({{"t", now.elapsed_seconds}, {"rps", rps}, {"errors", errors}, {"p99_ms", p99_ms},
                           {"max_ms", static_cast<double>(window.max_micros()) / 1000.0}});
      last = std::move(now);
    }
  }
  runner.join();
  if (!result.ok()) {
    std::cerr << "lepton_loadgen: " << result.status().message() << "\n";
    return 1;
  }
  const LoadResult& r = *result;
  std::printf("%s %s, %d connections, %s, %.1f s\n", o.method.c_str(), o.url.c_str(), o.connections,
              o.rate_per_second > 0 ? StrCat("open-loop at ", o.rate_per_second, " req/s").c_str() : "closed-loop",
              r.elapsed_seconds);
  std::printf("requests %lld (%.0f req/s)  errors %lld (non-2xx %lld, connect %lld, reset %lld, timeout %lld, "
              "other %lld)  reconnects %lld  unsent %lld\n",
              static_cast<long long>(r.requests), r.requests_per_second(), static_cast<long long>(r.errors()),
              static_cast<long long>(r.non_2xx), static_cast<long long>(r.connect_errors),
              static_cast<long long>(r.reset_errors), static_cast<long long>(r.timeout_errors),
              static_cast<long long>(r.other_errors), static_cast<long long>(r.reconnects),
              static_cast<long long>(r.unsent));
  std::string statuses;
  for (const auto& [status, count] : r.by_status) StrAppend(&statuses, " ", status, ":", count);
  std::printf("status%s\n", statuses.empty() ? " (none)" : statuses.c_str());
  std::printf("latency p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms\n",
              r.latency.PercentileMicros(0.5) / 1000.0, r.latency.PercentileMicros(0.9) / 1000.0,
              r.latency.PercentileMicros(0.99) / 1000.0, r.latency.PercentileMicros(0.999) / 1000.0,
              r.latency.max_micros() / 1000.0);
  if (!json_out.empty()) {
    Json j = Json::parse(r.ToJson());
    j["url"] = o.url;
    j["method"] = o.method;
    j["connections"] = o.connections;
    j["rate"] = o.rate_per_second;
    j["progress"] = intervals;
    std::ofstream f(json_out);
    f << DumpJson(j) << "\n";
    if (!f) {
      std::cerr << "lepton_loadgen: cannot write " << json_out << "\n";
      return 1;
    }
  }
  return r.errors() == 0 ? 0 : 3;
}

}  // namespace
}  // namespace lepton::testing

int main(int argc, char** argv) { return lepton::testing::Main(argc, argv); }
