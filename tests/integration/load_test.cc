// Serving reliability under load, on the real binary (SQLite, port 0): a deployment that follows
// an unprotected alias keeps answering every request with 200 while the alias moves back and
// forth, its spec is replaced and it is rolled back — all under load from keep-alive
// connections; and the server's resident memory stays flat under a steady open-loop load.
//
// The long soak (10 minutes at 80 % of the maximum) is bench/serve/soak.sh; this is its short
// form for CI.

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "lepton/api/http_client.h"
#include "lepton/base/files.h"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "http_testing.h"
#include "load.h"
#include "process.h"

namespace lepton {
namespace {

using ::lepton::testing::HttpCall;
using ::lepton::testing::LoadGenerator;
using ::lepton::testing::LoadOptions;
using ::lepton::testing::LoadResult;
using ::lepton::testing::RunLepton;
using ::lepton::testing::ServerProcess;
using Clock = std::chrono::steady_clock;

// A fast, fixed training config (no search, no CV, no importance or bootstrap): seconds, not
// minutes. `trees` makes the two versions really different models.
Json FastConfig(int trees) {
  Json config = Json::parse(R"({
    "dataset": {"name": "credit/german_credit"},
    "target": {"column": "class", "positive_class": "bad"},
    "features": {
      "columns": ["checking_status", "duration", "credit_history", "purpose", "credit_amount",
                  "savings_status", "employment", "installment_commitment", "other_parties",
                  "residence_since", "property_magnitude", "other_payment_plans", "housing",
                  "existing_credits", "job", "num_dependents", "own_telephone"],
      "pipeline": {"auto": {"numeric": [], "string": [{"type": "one_hot", "min_frequency": 10}]}}},
    "split": {"method": "stratified", "test_fraction": 0.3, "seed": 42},
    "learner": {"flavor": "xgboost", "params": {"eta": 0.1, "max_depth": 3}},
    "metrics": {"report": ["auc"], "selection": "auc"},
    "permutation_importance": false,
    "bootstrap": false,
    "threshold": 0.1667,
    "experiment": {"name": "load-test"},
    "seed": 42,
    "threads": 1})");
  config["learner"]["params"]["n_estimators"] = trees;
  return config;
}

// The pid of our direct child process named `name` (the server; CLI children have exited).
int ChildPid(const std::string& name) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return -1;
  int found = -1;
  while (dirent* e = ::readdir(proc)) {
    int64_t pid = 0;
    if (!ParseInt(e->d_name, &pid)) continue;
    std::ifstream f(StrCat("/proc/", pid, "/stat"));
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    // "pid (comm) state ppid …"; comm may hold spaces, so split at the last ')'.
    const size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    if (stat.substr(open + 1, close - open - 1) == name && ppid == ::getpid()) found = static_cast<int>(pid);
  }
  ::closedir(proc);
  return found;
}

// Answers per served version, as the OIP response's "model_version" says, counted from the load
// generator's I/O threads; and the first few non-200 bodies, for the failure message.
class VersionCounter {
 public:
  void Observe(int status, std::string_view body) {
    if (status != 200) {
      std::lock_guard lock(mu_);
      if (failures_.size() < 5) failures_.push_back(StrCat(status, ": ", body.substr(0, 300)));
      return;
    }
    constexpr std::string_view kKey = R"("model_version":")";
    const size_t at = body.find(kKey);
    int64_t v = 0;
    if (at == std::string_view::npos ||
        !ParseInt(body.substr(at + kKey.size(), body.find('"', at + kKey.size()) - at - kKey.size()), &v) || v < 1 ||
        v >= static_cast<int64_t>(counts_.size())) {
      unparsed_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    counts_[v].fetch_add(1, std::memory_order_relaxed);
  }
  int64_t count(int version) const { return counts_[version].load(); }
  int64_t unparsed() const { return unparsed_.load(); }
  std::vector<std::string> failures() const {
    std::lock_guard lock(mu_);
    return failures_;
  }

 private:
  std::array<std::atomic<int64_t>, 8> counts_{};
  std::atomic<int64_t> unparsed_{0};
  mutable std::mutex mu_;
  std::vector<std::string> failures_;
};

class LoadTest : public ::testing::Test {
 protected:
  // One server, one trained model with two versions, one deployment for all tests (training
  // twice per test would double the wall time for nothing).
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() / StrCat("lepton_load_", ::getpid()));
    std::filesystem::remove_all(*dir_);
    std::filesystem::create_directories(*dir_);
    home_ = new std::string((*dir_ / "home").string());
    server_ = new ServerProcess({"--home", *home_});
  }
  static void TearDownTestSuite() {
    delete server_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete home_;
  }

  void SetUp() override {
    ASSERT_FALSE(server_->url().empty()) << server_->startup_output();
    if (token_.empty()) {
      auto t = ReadFile(*home_ + "/admin.token");
      ASSERT_OK(t);
      token_ = std::string(StripWhitespace(*t));
    }
    if (!deployed_) {
      ASSERT_NO_FATAL_FAILURE(Deploy());
    }
  }

  api::HttpResponse Http(const std::string& method, const std::string& target, const std::string& body = "") {
    return HttpCall(server_->url(), method, target, token_, body);
  }
  static Json Body(const api::HttpResponse& r) {
    auto j = ParseJson(r.body);
    return j.ok() ? *j : Json();
  }

  // Ingests German credit, trains two small XGBoost models, registers them as versions 1 and 2
  // of `credit`, points `champion` (unprotected) at 1 and deploys `credit` following it.
  void Deploy() {
    const std::string examples = std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/";
    const std::vector<std::string> server = {"--server", server_->url(), "--token", token_};
    auto cli = [&](std::vector<std::string> args) {
      args.insert(args.end(), server.begin(), server.end());
      return RunLepton(args);
    };
    auto r = cli({"lake", "ingest", examples + "german_credit.csv", "--dataset", "credit/german_credit"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(Http("POST", "/api/v1/models", R"({"name":"credit"})").status, 201);
    for (int trees : {20, 40}) {
      const std::string config = (*dir_ / StrCat("config_", trees, ".json")).string();
      ASSERT_OK(WriteFileAtomically(config, DumpJson(FastConfig(trees))));
      r = cli({"train", "-f", config});
      ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
      const std::string run_id = r.out.substr(4, r.out.find(' ', 4) - 4);
      api::HttpResponse v = Http("POST", "/api/v1/models/credit/versions", DumpJson(Json{{"run_id", run_id}}));
      ASSERT_EQ(v.status, 201) << v.body;
    }
    ASSERT_EQ(Http("PUT", "/api/v1/models/credit/aliases/champion", R"({"version":1})").status, 200);
    // max_concurrency above the connection count: a 503 here could only be a serving bug, not
    // admission doing its job.
    api::HttpResponse d = Http("POST", "/api/v1/deployments", DumpJson(Json{{"name", "credit"},
                                                                            {"model", "credit"},
                                                                            {"alias", "champion"},
                                                                            {"max_concurrency", kConnections * 2},
                                                                            {"queue_timeout_ms", 10000}}));
    ASSERT_EQ(d.status, 201) << d.body;
    ASSERT_EQ(Body(d)["status"]["serving_version"], 1);
    deployed_ = true;
  }

  LoadOptions InferLoad(VersionCounter* counter) {
    auto body = ReadFile(std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/applicant.json");
    EXPECT_OK(body);
    LoadOptions o;
    o.url = server_->url() + "/v2/models/credit/infer";
    o.method = "POST";
    o.headers = {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}};
    // Without its "parameters" (contributions): plain scoring, the path dynamic batching takes.
    if (body.ok()) {
      auto j = ParseJson(*body);
      EXPECT_OK(j);
      if (j.ok()) {
        j->erase("parameters");
        o.body = DumpJson(*j);
      }
    }
    o.connections = kConnections;
    o.request_timeout = absl::Seconds(20);
    if (counter != nullptr) {
      o.on_response = [counter](int status, std::string_view b) { counter->Observe(status, b); };
    }
    return o;
  }

  // Waits (at most 10 s) until traffic is answered only by `version`: it answered 100 more
  // requests and no other version answered anything for 300 ms. False on timeout.
  static bool TrafficMovesTo(const VersionCounter& c, int version) {
    const int other = version == 1 ? 2 : 1;
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    const int64_t start = c.count(version);
    while (Clock::now() < deadline) {
      const int64_t other_before = c.count(other);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      if (c.count(other) == other_before && c.count(version) >= start + 100) return true;
    }
    return false;
  }

  static constexpr int kConnections = 24;
  static std::filesystem::path* dir_;
  static std::string* home_;
  static ServerProcess* server_;
  static std::string token_;
  static bool deployed_;
};

std::filesystem::path* LoadTest::dir_ = nullptr;
std::string* LoadTest::home_ = nullptr;
ServerProcess* LoadTest::server_ = nullptr;
std::string LoadTest::token_;
bool LoadTest::deployed_ = false;

// Alias moves (with an immediate refresh, once through the 2-s watcher alone, and a burst of ten
// back-to-back), a spec replacement and a rollback, all while 24 keep-alive connections send as
// fast as they can: not one request may fail, and the answers must show each switch happened.
TEST_F(LoadTest, AliasMovesSpecChangesAndRollbackUnderLoadFailNoRequest) {
  VersionCounter versions;
  LoadOptions o = InferLoad(&versions);
  o.duration = absl::Seconds(60);  // a bound; stopped when the choreography is done
  LEPTON_ASSERT_OK_AND_ASSIGN(auto gen, LoadGenerator::Create(o));
  absl::StatusOr<LoadResult> result;
  std::thread runner([&] { result = gen->Run(); });
  // Stops the load on every exit path, so that a failed assertion does not wait for the bound.
  struct Stopper {
    std::function<void()> stop;
    ~Stopper() { stop(); }
  } stopper{[&] {
    gen->Stop();
    if (runner.joinable()) runner.join();
  }};

  // Each state is held for a while under load, so that the test spends ~20 s in all.
  auto hold = [] { std::this_thread::sleep_for(std::chrono::milliseconds(1500)); };
  ASSERT_TRUE(TrafficMovesTo(versions, 1)) << "no answers from version 1 under load";
  hold();
  auto move_alias = [&](int version, bool refresh, bool settle = true) {
    api::HttpResponse a = Http("PUT", "/api/v1/models/credit/aliases/champion", StrCat(R"({"version":)", version, "}"));
    ASSERT_EQ(a.status, 200) << a.body;
    if (refresh) {
      api::HttpResponse f = Http("POST", "/api/v1/deployments/credit/refresh", "{}");
      ASSERT_EQ(f.status, 200) << f.body;
      EXPECT_EQ(Body(f)["status"]["serving_version"], version) << f.body;
    }
    if (settle) {
      ASSERT_TRUE(TrafficMovesTo(versions, version)) << "traffic did not move to version " << version;
      hold();
    }
  };
  int moves = 0;
  for (int v : {2, 1, 2}) {
    ASSERT_NO_FATAL_FAILURE(move_alias(v, /*refresh=*/true));
    ++moves;
  }
  // Through the watcher alone (it re-resolves every 2 s).
  ASSERT_NO_FATAL_FAILURE(move_alias(1, /*refresh=*/false));
  ++moves;

  // Replace the spec (same alias, other limits, log sampling, dynamic batching on): the served
  // version stays; from here on versions are swapped with batches in flight.
  const Json batching = {{"max_batch_size", 16}, {"max_queue_delay_us", 300}};
  api::HttpResponse put = Http("PUT", "/api/v1/deployments/credit",
                               DumpJson(Json{{"model", "credit"},
                                             {"alias", "champion"},
                                             {"max_concurrency", kConnections * 3},
                                             {"queue_timeout_ms", 20000},
                                             {"log_sample_rate", 0.5},
                                             {"batching", batching}}));
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Body(put)["status"]["serving_version"], 1) << put.body;
  EXPECT_EQ(Body(put)["revision"], 2) << put.body;
  ASSERT_TRUE(TrafficMovesTo(versions, 1)) << "version 1 stopped answering after the spec change";
  hold();
  ASSERT_NO_FATAL_FAILURE(move_alias(2, /*refresh=*/true));
  ++moves;

  // Rollback pins the version served before (1); then follow the alias (at 2) again.
  api::HttpResponse rolled = Http("POST", "/api/v1/deployments/credit/rollback", "{}");
  ASSERT_EQ(rolled.status, 200) << rolled.body;
  EXPECT_EQ(Body(rolled)["version"], 1) << rolled.body;
  EXPECT_EQ(Body(rolled)["status"]["serving_version"], 1) << rolled.body;
  ASSERT_TRUE(TrafficMovesTo(versions, 1)) << "rollback did not move traffic to version 1";
  hold();
  put = Http("PUT", "/api/v1/deployments/credit",
             DumpJson(Json{{"model", "credit"}, {"alias", "champion"}, {"max_concurrency", kConnections * 2},
                           {"batching", batching}}));
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Body(put)["batching"], batching) << put.body;
  ASSERT_TRUE(TrafficMovesTo(versions, 2)) << "following the alias again did not move traffic to version 2";
  hold();

  // A burst: ten moves back and forth as fast as the API allows, each refreshed at once, so
  // versions are loaded, swapped in and drained while requests are still running on them.
  for (int i = 0; i < 10; ++i) {
    ASSERT_NO_FATAL_FAILURE(move_alias(i % 2 == 0 ? 1 : 2, /*refresh=*/true, /*settle=*/false));
    ++moves;
  }
  ASSERT_TRUE(TrafficMovesTo(versions, 2)) << "traffic did not settle on version 2 after the burst";
  hold();

  stopper.stop();
  ASSERT_OK(result);
  const LoadResult& r = *result;
  const std::string summary = r.ToJson();
  std::cout << "alias moves " << moves << ", answers v1 " << versions.count(1) << ", v2 " << versions.count(2) << "\n"
            << summary << "\n";
  EXPECT_GT(r.requests, 1000) << summary;
  EXPECT_EQ(r.non_2xx, 0) << summary << "\nfirst failures:\n" << StrJoin(versions.failures(), "\n");
  EXPECT_EQ(r.transport_errors(), 0) << summary;
  EXPECT_EQ(r.reconnects, 0) << summary;  // keep-alive held throughout
  EXPECT_EQ(versions.unparsed(), 0) << "answers without a model_version";
  EXPECT_EQ(versions.count(1) + versions.count(2), r.requests);
  // Batching really happened: some model calls answered several requests.
  const std::string metrics = Http("GET", "/metrics", "").body;
  double rows = 0, count = 0;
  for (std::string_view line : Split(metrics, '\n')) {
    if (line.starts_with("lepton_inference_model_batch_rows_sum{deployment=\"credit\"}")) rows = std::stod(std::string(line.substr(line.rfind(' ') + 1)));
    if (line.starts_with("lepton_inference_model_batch_rows_count{deployment=\"credit\"}")) count = std::stod(std::string(line.substr(line.rfind(' ') + 1)));
  }
  EXPECT_GT(count, 0);
  EXPECT_GT(rows, count) << "every request had a model call of its own";
  EXPECT_GT(versions.count(1), 0);
  EXPECT_GT(versions.count(2), 0);
  // The server is still healthy and serves the alias's version.
  EXPECT_EQ(Body(Http("GET", "/api/v1/deployments/credit"))["status"]["serving_version"], 2);
}

// A steady open-loop load: no errors, and the server's resident memory in the second half is
// not much above the first half (after a warm-up). A sanity guard against a per-request leak —
// the real soak is bench/serve/soak.sh.
TEST_F(LoadTest, ResidentMemoryStaysFlatUnderSteadyLoad) {
  const int pid = ChildPid("lepton");
  ASSERT_GT(pid, 0) << "the server process was not found among our children";
  LoadOptions o = InferLoad(nullptr);
  o.connections = 8;
  o.rate_per_second = 1500;
  o.duration = absl::Seconds(14);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto gen, LoadGenerator::Create(o));
  absl::StatusOr<LoadResult> result;
  std::thread runner([&] { result = gen->Run(); });
  std::this_thread::sleep_for(std::chrono::seconds(2));  // warm-up: pools, buffers, caches
  std::vector<int64_t> rss_kib;
  while (rss_kib.size() < 23) {  // 12 s of samples
    auto rss = testing::ProcessRssKib(pid);
    if (!rss.ok()) break;
    rss_kib.push_back(*rss);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  runner.join();
  ASSERT_OK(result);
  ASSERT_GE(rss_kib.size(), 10u) << "the server went away";
  const size_t half = rss_kib.size() / 2;
  const int64_t first_max = *std::max_element(rss_kib.begin(), rss_kib.begin() + half);
  const int64_t second_max = *std::max_element(rss_kib.begin() + half, rss_kib.end());
  std::cout << "RSS KiB: " << StrJoin(rss_kib, " ") << "\n" << result->ToJson() << "\n";
  EXPECT_GT(result->requests, 5000) << result->ToJson();
  EXPECT_EQ(result->errors(), 0) << result->ToJson();
  // Generous (allocator arenas and the prediction log's buffers move the RSS by a few MiB):
  // 32 MiB or a quarter more, whichever is larger. The second half's ~9000 requests exceed it
  // only when each keeps ~4 KiB or more — a request or response body kept per request.
  EXPECT_LE(second_max, first_max + std::max<int64_t>(32 * 1024, first_max / 4))
      << "RSS grew from " << first_max << " KiB to " << second_max << " KiB";
}

}  // namespace
}  // namespace lepton
