#include "lepton/ml/select/search.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

TEST(SearchSpaceTest, GridEnumeratesAllCombinationsLastNameFastest) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      SearchSpace space,
      SearchSpace::FromJson(Json::parse(R"({"b": ["x", "y"], "a": [1, 2], "c": [true]})")));
  EXPECT_THAT(space.names(), ::testing::ElementsAre("a", "b", "c"));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> grid, space.Grid());
  ASSERT_EQ(grid.size(), 4u);
  EXPECT_EQ(grid[0], Json::parse(R"({"a": 1, "b": "x", "c": true})"));
  EXPECT_EQ(grid[1], Json::parse(R"({"a": 1, "b": "y", "c": true})"));
  EXPECT_EQ(grid[2], Json::parse(R"({"a": 2, "b": "x", "c": true})"));
  EXPECT_EQ(grid[3], Json::parse(R"({"a": 2, "b": "y", "c": true})"));
}

TEST(SearchSpaceTest, EmptySpaceIsOneCandidate) {
  LEPTON_ASSERT_OK_AND_ASSIGN(SearchSpace space, SearchSpace::FromJson(Json::object()));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> grid, space.Grid());
  EXPECT_EQ(grid, std::vector<Json>{Json::object()});
}

TEST(SearchSpaceTest, GridRejectsRangesAndHugeGrids) {
  LEPTON_ASSERT_OK_AND_ASSIGN(SearchSpace space, SearchSpace::FromJson(Json::parse(
                                                     R"({"eta": {"low": 0.1, "high": 1}})")));
  EXPECT_THAT(space.Grid(), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("search.space.eta: a range cannot be enumerated")));
  LEPTON_ASSERT_OK_AND_ASSIGN(SearchSpace big, SearchSpace::FromJson(Json::parse(
                                                   R"({"a": [1,2,3], "b": [1,2,3]})")));
  EXPECT_THAT(big.Grid(8), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("9 combinations")));
}

TEST(SearchSpaceTest, RandomSamplesStayInsideRanges) {
  LEPTON_ASSERT_OK_AND_ASSIGN(SearchSpace space, SearchSpace::FromJson(Json::parse(R"({
      "eta": {"low": 0.001, "high": 1.0, "log": true},
      "subsample": {"low": 0.5, "high": 1.0},
      "depth": {"low": 2, "high": 8, "int": true},
      "bins": {"low": 16, "high": 1024, "int": true, "log": true},
      "booster": ["gbtree", "dart"]})")));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> samples, space.Sample(4000, 11));
  ASSERT_EQ(samples.size(), 4000u);
  std::set<int64_t> depths;
  int below_001 = 0, below_01 = 0, below_1 = 0, dart = 0;
  for (const Json& s : samples) {
    const double eta = s["eta"].get<double>();
    ASSERT_GE(eta, 0.001);
    ASSERT_LE(eta, 1.0);
    below_001 += eta < 0.01;
    below_01 += eta < 0.1;
    below_1 += eta <= 1.0;
    const double sub = s["subsample"].get<double>();
    ASSERT_GE(sub, 0.5);
    ASSERT_LE(sub, 1.0);
    ASSERT_TRUE(s["depth"].is_number_integer());
    depths.insert(s["depth"].get<int64_t>());
    ASSERT_TRUE(s["bins"].is_number_integer());
    ASSERT_GE(s["bins"].get<int64_t>(), 16);
    ASSERT_LE(s["bins"].get<int64_t>(), 1024);
    dart += s["booster"] == "dart";
  }
  // Integer bounds are inclusive and every value occurs.
  EXPECT_EQ(depths, (std::set<int64_t>{2, 3, 4, 5, 6, 7, 8}));
  // Log-uniform over three decades: about a third of the draws per decade (uniform would put
  // under 1% below 0.01).
  EXPECT_NEAR(below_001 / 4000.0, 1.0 / 3, 0.04);
  EXPECT_NEAR(below_01 / 4000.0, 2.0 / 3, 0.04);
  EXPECT_EQ(below_1, 4000);
  EXPECT_NEAR(dart / 4000.0, 0.5, 0.04);
}

TEST(SearchSpaceTest, RandomIsReproducibleBySeed) {
  LEPTON_ASSERT_OK_AND_ASSIGN(SearchSpace space, SearchSpace::FromJson(Json::parse(
                                                     R"({"eta": {"low": 0.01, "high": 0.3}})")));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> a, space.Sample(5, 3));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> b, space.Sample(5, 3));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> c, space.Sample(5, 4));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_THAT(space.Sample(0, 1), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SearchSpaceTest, RandomOverListsSamplesDistinctGridPoints) {
  LEPTON_ASSERT_OK_AND_ASSIGN(SearchSpace space, SearchSpace::FromJson(Json::parse(
                                                     R"({"a": [1,2,3,4], "b": [1,2,3]})")));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> some, space.Sample(10, 5));
  EXPECT_EQ(std::set<Json>(some.begin(), some.end()).size(), 10u);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> all, space.Sample(50, 5));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> grid, space.Grid());
  EXPECT_EQ(all, grid);  // n_iter >= grid size: the whole grid, in grid order
}

TEST(SearchSpaceTest, BadSpacesNameTheJsonPath) {
  struct Case {
    const char* space;
    const char* message;
  };
  const Case cases[] = {
      {R"({"depth": 3})", "search.space.depth: expected a non-empty list"},
      {R"({"depth": []})", "search.space.depth: the list of values is empty"},
      {R"({"eta": {"low": "a", "high": 1}})", "search.space.eta.low: expected a number, got string"},
      {R"({"eta": {"low": 0.1}})", "search.space.eta.high: required field is missing"},
      {R"({"eta": {"low": 0.1, "hihg": 1}})", "search.space.eta.hihg: unknown field"},
      {R"({"eta": {"low": 2, "high": 1}})", "search.space.eta: low (2) is greater than high (1)"},
      {R"({"eta": {"low": 0, "high": 1, "log": true}})", "search.space.eta.low: a log range needs low > 0"},
      {R"({"depth": {"low": 1.5, "high": 4, "int": true}})", "search.space.depth.low: expected an integer"},
      {R"({"eta": {"low": 0.1, "high": 1, "log": "yes"}})", "search.space.eta.log: expected a boolean"},
      {R"([1, 2])", "search.space: expected an object"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(SearchSpace::FromJson(Json::parse(c.space)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.space;
  }
}

TEST(SearchConfigTest, ParsesAndValidatesWithPaths) {
  LEPTON_ASSERT_OK_AND_ASSIGN(SearchConfig random, SearchConfig::FromJson(Json::parse(R"({
      "strategy": "random", "n_iter": 6, "seed": 9, "metric": "log_loss",
      "space": {"eta": {"low": 0.01, "high": 0.3, "log": true}}})")));
  EXPECT_EQ(random.strategy, SearchStrategy::kRandom);
  EXPECT_EQ(random.direction, Direction::kMinimize);  // default for a loss
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> candidates, random.Candidates());
  EXPECT_EQ(candidates.size(), 6u);

  LEPTON_ASSERT_OK_AND_ASSIGN(SearchConfig grid, SearchConfig::FromJson(Json::parse(R"({
      "strategy": "grid", "metric": "auc", "space": {"depth": [2, 3]}})")));
  EXPECT_EQ(grid.direction, Direction::kMaximize);
  EXPECT_EQ(grid.Candidates()->size(), 2u);

  const std::pair<const char*, const char*> bad[] = {
      {R"({"strategy": "grid", "metric": "auc", "space": {"eta": {"low": 0.1, "high": 1}}})",
       "search.space.eta: a range cannot be enumerated"},
      {R"({"strategy": "random", "metric": "auc", "space": {}})", "search.n_iter: required"},
      {R"({"strategy": "bayes", "metric": "auc", "space": {}})", "search.strategy: expected"},
      {R"({"strategy": "grid", "metric": "auc", "space": {}, "direction": "up"})",
       "search.direction: unknown direction"},
      {R"({"strategy": "grid", "metric": "auc", "space": {}, "folds": 5})",
       "search.folds: unknown field"},
      {R"({"strategy": "grid", "space": {}})", "search.metric: required field is missing"},
      {R"({"strategy": "grid", "metric": "auc", "space": {}, "n_iter": 3})",
       "search.n_iter: only valid for random search"},
      {R"({"strategy": "random", "metric": "auc", "n_iter": 2, "space": {"a": 1}})",
       "search.space.a: expected a non-empty list"},
  };
  for (const auto& [json, message] : bad) {
    EXPECT_THAT(SearchConfig::FromJson(Json::parse(json)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << json;
  }
}

// Four folds over 8 rows.
std::vector<Fold> FourFolds() { return *KFold(8, 4, 1); }

TEST(CrossValidateTest, SummarisesFoldsAndPicksTheBest) {
  const std::vector<Fold> folds = FourFolds();
  const std::vector<Json> candidates = {Json{{"depth", 1}}, Json{{"depth", 3}},
                                        Json{{"depth", 2}}};
  std::vector<std::vector<int64_t>> seen_valid;
  auto fit_and_score = [&](std::span<const int64_t> train, std::span<const int64_t> valid,
                           const Json& params) -> absl::StatusOr<Json> {
    seen_valid.emplace_back(valid.begin(), valid.end());
    EXPECT_EQ(train.size() + valid.size(), 8u);
    // auc = 0.5 + 0.1 * depth - 0.01 * fold; log_loss = 1 / depth.
    const int depth = params["depth"].get<int>();
    const int f = static_cast<int>((seen_valid.size() - 1) % 4);
    return Json{{"auc", 0.5 + 0.1 * depth - 0.01 * f}, {"log_loss", 1.0 / depth},
                {"note", "ignored"}};
  };
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CvResult r, CrossValidate(folds, candidates, fit_and_score, {.metric = "auc"}));
  ASSERT_EQ(r.candidates.size(), 3u);
  EXPECT_EQ(r.best_index, 1);
  EXPECT_EQ(r.best().params, (Json{{"depth", 3}}));
  const MetricSummary& auc = r.candidates[0].metrics.at("auc");
  ASSERT_EQ(auc.folds.size(), 4u);
  EXPECT_NEAR(auc.mean, 0.6 - 0.015, 1e-12);
  // Population std of {0.6, 0.59, 0.58, 0.57}: sqrt(0.0005 / 4).
  EXPECT_NEAR(auc.std, std::sqrt(0.0005 / 4), 1e-12);
  EXPECT_FALSE(r.candidates[0].metrics.contains("note"));
  // Each fold's validation rows were handed over, in fold order, for every candidate.
  ASSERT_EQ(seen_valid.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(seen_valid[i], folds[i % 4].valid);
  const Json j = r.ToJson();
  EXPECT_EQ(j["best_index"], 1);
  EXPECT_EQ(j["direction"], "maximize");
  EXPECT_NEAR(j["best_score"].get<double>(), 0.8 - 0.015, 1e-12);
  EXPECT_EQ(j["candidates"][2]["metrics"]["auc"]["folds"].size(), 4u);

  // Minimising log loss picks the deepest too; minimising AUC picks the shallowest.
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CvResult by_loss, CrossValidate(folds, candidates, fit_and_score,
                                      {.metric = "log_loss", .direction = Direction::kMinimize}));
  EXPECT_EQ(by_loss.best_index, 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CvResult worst, CrossValidate(folds, candidates, fit_and_score,
                                    {.metric = "auc", .direction = Direction::kMinimize}));
  EXPECT_EQ(worst.best_index, 0);
}

TEST(CrossValidateTest, TiesGoToTheEarliestCandidate) {
  const std::vector<Fold> folds = FourFolds();
  const std::vector<Json> candidates = {Json{{"id", 0}}, Json{{"id", 1}}, Json{{"id", 2}}};
  auto constant = [](std::span<const int64_t>, std::span<const int64_t>,
                     const Json& params) -> absl::StatusOr<Json> {
    return Json{{"auc", params["id"] == 0 ? 0.7 : 0.8}};
  };
  LEPTON_ASSERT_OK_AND_ASSIGN(CvResult r,
                              CrossValidate(folds, candidates, constant, {.metric = "auc"}));
  EXPECT_EQ(r.best_index, 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CvResult m, CrossValidate(folds, candidates, constant,
                                {.metric = "auc", .direction = Direction::kMinimize}));
  EXPECT_EQ(m.best_index, 0);
}

TEST(CrossValidateTest, NonFiniteMeansAreNeverBest) {
  const std::vector<Fold> folds = FourFolds();
  const std::vector<Json> candidates = {Json{{"id", 0}}, Json{{"id", 1}}};
  auto scorer = [](std::span<const int64_t>, std::span<const int64_t>,
                   const Json& params) -> absl::StatusOr<Json> {
    if (params["id"] == 0) return Json{{"log_loss", nullptr}};  // e.g. a diverged fit
    return Json{{"log_loss", 0.6}};
  };
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CvResult r, CrossValidate(folds, candidates, scorer,
                                {.metric = "log_loss", .direction = Direction::kMinimize}));
  EXPECT_EQ(r.best_index, 1);
  EXPECT_TRUE(std::isnan(r.candidates[0].metrics.at("log_loss").mean));
}

TEST(CrossValidateTest, ProgressReportsEveryFoldAndCancels) {
  const std::vector<Fold> folds = FourFolds();
  const std::vector<Json> candidates = {Json::object(), Json::object()};
  int fits = 0;
  auto scorer = [&](std::span<const int64_t>, std::span<const int64_t>,
                    const Json&) -> absl::StatusOr<Json> {
    ++fits;
    return Json{{"auc", 0.5}};
  };
  std::vector<std::string> calls;
  auto record = [&](const CvProgress& p) {
    calls.push_back(StrCat(p.candidate, "/", p.num_candidates, ":", p.fold, "/", p.num_folds));
    return true;
  };
  ASSERT_OK(CrossValidate(folds, candidates, scorer, {.metric = "auc", .progress = record}));
  EXPECT_THAT(calls, ::testing::ElementsAre("0/2:0/4", "0/2:1/4", "0/2:2/4", "0/2:3/4",
                                            "1/2:0/4", "1/2:1/4", "1/2:2/4", "1/2:3/4"));
  fits = 0;
  auto cancel_at_second_candidate = [](const CvProgress& p) { return p.candidate < 1; };
  EXPECT_THAT(CrossValidate(folds, candidates, scorer,
                            {.metric = "auc", .progress = cancel_at_second_candidate}),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("candidate 1")));
  EXPECT_EQ(fits, 4);  // nothing ran after the cancellation
}

TEST(CrossValidateTest, ErrorsNameCandidateAndFold) {
  const std::vector<Fold> folds = FourFolds();
  const std::vector<Json> candidates = {Json{{"depth", 2}}};
  int call = 0;
  auto failing = [&](std::span<const int64_t>, std::span<const int64_t>,
                     const Json&) -> absl::StatusOr<Json> {
    if (++call == 3) return absl::InvalidArgumentError("labels out of range");
    return Json{{"auc", 0.5}};
  };
  EXPECT_THAT(CrossValidate(folds, candidates, failing, {.metric = "auc"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("candidate 0 {\"depth\":2} fold 2: labels out of range")));
  auto no_metric = [](std::span<const int64_t>, std::span<const int64_t>,
                      const Json&) -> absl::StatusOr<Json> { return Json{{"accuracy", 0.5}}; };
  EXPECT_THAT(CrossValidate(folds, candidates, no_metric, {.metric = "auc"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no numeric metric \"auc\"")));
  EXPECT_THAT(CrossValidate({}, candidates, no_metric, {.metric = "auc"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no folds")));
  EXPECT_THAT(CrossValidate(folds, {}, no_metric, {.metric = "auc"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no candidates")));
  EXPECT_THAT(CrossValidate(folds, candidates, no_metric, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no metric")));
}


// A deterministic scorer whose result depends only on its arguments (candidate params and the
// fold's rows), with a little sleep whose length varies by fold so that parallel evaluations
// finish out of order.
absl::StatusOr<Json> RowScorer(std::span<const int64_t> train, std::span<const int64_t> valid,
                               const Json& params) {
  int64_t sum = 0;
  for (int64_t r : valid) sum += r * r;
  std::this_thread::sleep_for(std::chrono::milliseconds(2 * (valid.front() % 3)));
  const double depth = params["depth"].get<double>();
  Json out = {{"auc", 0.5 + 0.01 * depth + 1e-4 * static_cast<double>(sum) / 7.0},
              {"loss", 1.0 / (depth + static_cast<double>(train.size()))}};
  // A metric only some folds report: dropped from the summary, in any run.
  if (valid.front() % 2 == 0) out["sometimes"] = 1.0;
  return out;
}

TEST(CrossValidateParallelTest, SameResultAsSequentialForEveryParallelism) {
  const std::vector<Fold> folds = *KFold(40, 5, 3);
  const std::vector<Json> candidates = {Json{{"depth", 2}}, Json{{"depth", 6}}, Json{{"depth", 4}},
                                        Json{{"depth", 6}}};
  LEPTON_ASSERT_OK_AND_ASSIGN(CvResult sequential,
                              CrossValidate(folds, candidates, RowScorer, {.metric = "auc"}));
  EXPECT_EQ(sequential.best_index, 1);  // the tie with #3 goes to the earlier one
  for (int parallelism : {2, 3, 8, 100}) {
    std::mutex mu;
    std::set<std::thread::id> threads;
    std::atomic<int> running{0}, most_running{0};
    std::vector<std::string> progress;
    auto fit_and_score = [&](const CvProgress& at, std::span<const int64_t> train,
                             std::span<const int64_t> valid,
                             const Json& params) -> absl::StatusOr<Json> {
      const int now = ++running;
      for (int m = most_running; now > m && !most_running.compare_exchange_weak(m, now);) {
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        threads.insert(std::this_thread::get_id());
      }
      // The first evaluation waits (a while at most) for a second one to run beside it, so
      // that the overlap checked below does not depend on the scheduler.
      for (int ms = 0; at.candidate == 0 && at.fold == 0 && running < 2 && ms < 5000; ++ms) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      // `at` names the fold whose rows these are.
      EXPECT_TRUE(std::equal(valid.begin(), valid.end(), folds[at.fold].valid.begin(),
                             folds[at.fold].valid.end()));
      EXPECT_EQ(params, candidates[at.candidate]);
      absl::StatusOr<Json> r = RowScorer(train, valid, params);
      --running;
      return r;
    };
    // Progress is never called concurrently (no lock here on purpose) and comes in order.
    auto record = [&](const CvProgress& p) {
      progress.push_back(StrCat(p.candidate, ":", p.fold));
      return true;
    };
    LEPTON_ASSERT_OK_AND_ASSIGN(
        CvResult parallel,
        CrossValidate(folds, candidates, fit_and_score,
                      {.metric = "auc", .progress = record, .parallelism = parallelism}));
    // Bit-identical: same folds, means, stds, dropped metrics and best.
    EXPECT_EQ(parallel.ToJson(), sequential.ToJson()) << "parallelism " << parallelism;
    EXPECT_EQ(parallel.best_index, sequential.best_index);
    EXPECT_FALSE(parallel.candidates[0].metrics.contains("sometimes"));
    ASSERT_EQ(progress.size(), 20u);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(progress[i], StrCat(i / 5, ":", i % 5));
    EXPECT_GE(threads.size(), 2u) << "parallelism " << parallelism;
    EXPECT_LE(most_running.load(), parallelism);
    EXPECT_GE(most_running.load(), 2);
  }
  EXPECT_THAT(CrossValidate(folds, candidates, RowScorer, {.metric = "auc", .parallelism = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("parallelism 0")));
}

TEST(CrossValidateParallelTest, CancellationStopsNewWorkAndWaitsForRunningWork) {
  const std::vector<Fold> folds = FourFolds();
  const std::vector<Json> candidates = {Json::object(), Json::object(), Json::object()};
  std::atomic<int> started{0}, finished{0};
  auto slow = [&](std::span<const int64_t>, std::span<const int64_t>,
                  const Json&) -> absl::StatusOr<Json> {
    ++started;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ++finished;
    return Json{{"auc", 0.5}};
  };
  std::vector<int64_t> asked;
  auto cancel_at_fifth = [&](const CvProgress& p) {
    asked.push_back(p.candidate * p.num_folds + p.fold);
    return asked.size() < 5;
  };
  EXPECT_THAT(CrossValidate(folds, candidates, slow,
                            {.metric = "auc", .progress = cancel_at_fifth, .parallelism = 3}),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("before candidate 1 {} fold 0")));
  // Exactly the four evaluations before the refused one ran, all to the end, and no progress
  // call came after the refusal.
  EXPECT_EQ(started.load(), 4);
  EXPECT_EQ(finished.load(), 4);
  EXPECT_EQ(asked, (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST(CrossValidateParallelTest, TheLowestNumberedErrorWins) {
  const std::vector<Fold> folds = FourFolds();
  const std::vector<Json> candidates = {Json{{"id", 0}}, Json{{"id", 1}}, Json{{"id", 2}}};
  // Evaluation 6 (candidate 1, fold 2) fails at once; evaluation 5 (candidate 1, fold 1) fails
  // later, while 6's error is already in. A sequential run stops at 5, so 5's error must win.
  auto failing = [](const CvProgress& at, std::span<const int64_t>, std::span<const int64_t>,
                    const Json&) -> absl::StatusOr<Json> {
    const int64_t i = at.candidate * at.num_folds + at.fold;
    if (i == 5) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return absl::InvalidArgumentError("five");
    }
    if (i == 6) return absl::FailedPreconditionError("six");
    return Json{{"auc", 0.5}};
  };
  for (int parallelism : {1, 2, 4}) {
    EXPECT_THAT(CrossValidate(folds, candidates, failing,
                              {.metric = "auc", .parallelism = parallelism}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("candidate 1 {\"id\":1} fold 1: five")))
        << "parallelism " << parallelism;
  }
  // A cancellation after the failing evaluation started does not hide its error.
  auto cancel_from_seven = [](const CvProgress& p) {
    return p.candidate * p.num_folds + p.fold < 7;
  };
  EXPECT_THAT(CrossValidate(folds, candidates, failing,
                            {.metric = "auc", .progress = cancel_from_seven, .parallelism = 4}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("five")));
  // Invalid fold results count as errors of their evaluation, too.
  auto bad_result = [](const CvProgress& at, std::span<const int64_t>, std::span<const int64_t>,
                       const Json&) -> absl::StatusOr<Json> {
    if (at.candidate == 2) return Json::array();
    return Json{{"auc", 0.5}};
  };
  EXPECT_THAT(CrossValidate(folds, candidates, bad_result, {.metric = "auc", .parallelism = 3}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("candidate 2 {\"id\":2} fold 0: fit_and_score returned array")));
  // An exception in a worker thread is rethrown on the calling thread, not terminating.
  auto throwing = [](const CvProgress& at, std::span<const int64_t>, std::span<const int64_t>,
                     const Json&) -> absl::StatusOr<Json> {
    if (at.fold == 3) throw std::runtime_error("boom");
    return Json{{"auc", 0.5}};
  };
  EXPECT_THROW(
      (void)CrossValidate(folds, candidates, throwing, {.metric = "auc", .parallelism = 2}),
      std::runtime_error);
}

}  // namespace
}  // namespace lepton::ml
