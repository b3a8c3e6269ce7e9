// Serving-path prediction cost: a 100-tree depth-4 binary XGBoost model on German-credit-like
// data (7 numeric columns and 13 categorical ones one-hot encoded: 61 features, 5% missing),
// one row and 256 rows at a time, through the compiled `FlatForest` and through libxgboost
// (`XGBoostLearner::Predict`, which is XGBoosterPredictFromDense in-place prediction over the
// FeatureMatrix's buffer) with 1 thread and with all cores. The flat forest is timed through its
// raw-pointer API and, for single rows, also through its FeatureMatrix API. After the runs it
// prints how many times faster the flat forest is (medians when run with --benchmark_repetitions).
//
//   lepton_serve_predict_benchmark --benchmark_repetitions=5

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/xgboost/flat_forest.h"
#include "lepton/ml/xgboost/xgboost.h"

namespace lepton::ml {
namespace {

constexpr int kRows = 2048;
constexpr int kBatch = 256;
// Single-row runs cycle through this many rows (61 KB of input: a served row is warm in cache,
// as the feature pipeline has just written it).
constexpr int kSingleRows = 256;

// German credit's shape: its numeric columns' ranges and its categorical columns' level counts.
features::FeatureMatrix GermanLike(std::vector<double>* labels) {
  struct Numeric {
    const char* name;
    double lo, hi;
  };
  const std::vector<Numeric> numeric = {{"duration", 4, 72},
                                        {"credit_amount", 250, 18500},
                                        {"installment_rate", 1, 4},
                                        {"residence_since", 1, 4},
                                        {"age", 19, 75},
                                        {"existing_credits", 1, 4},
                                        {"num_dependents", 1, 2}};
  const std::vector<std::pair<const char*, int>> categorical = {{"checking_status", 4},
                                                                {"credit_history", 5},
                                                                {"purpose", 10},
                                                                {"savings_status", 5},
                                                                {"employment", 5},
                                                                {"personal_status", 4},
                                                                {"other_parties", 3},
                                                                {"property", 4},
                                                                {"other_payment_plans", 3},
                                                                {"housing", 3},
                                                                {"job", 4},
                                                                {"own_telephone", 2},
                                                                {"foreign_worker", 2}};
  features::FeatureMatrix x;
  for (const Numeric& n : numeric) x.columns.push_back(n.name);
  for (const auto& [name, levels] : categorical) {
    for (int l = 0; l < levels; ++l) x.columns.push_back(StrCat(name, "=", l));
  }
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> uniform;
  for (int r = 0; r < kRows; ++r) {
    double logit = -1.0;
    for (const Numeric& n : numeric) {
      const double u = uniform(rng);
      const float v = uniform(rng) < 0.05
                          ? std::nanf("")
                          : static_cast<float>(std::round(n.lo + u * (n.hi - n.lo)));
      x.values.push_back(v);
      logit += (u - 0.5) * (n.name == std::string("duration") ? 2.0 : 0.5);
    }
    for (const auto& [name, levels] : categorical) {
      const int level = static_cast<int>(uniform(rng) * levels);
      for (int l = 0; l < levels; ++l) x.values.push_back(l == level ? 1.0f : 0.0f);
      logit += (level - levels / 2.0) * 0.15;
    }
    labels->push_back(uniform(rng) < 1 / (1 + std::exp(-logit)) ? 1 : 0);
    ++x.rows;
  }
  return x;
}

struct Fixture {
  features::FeatureMatrix x;
  std::vector<features::FeatureMatrix> single_rows;   // 1-row matrices for the learner
  features::FeatureMatrix batch;                      // the first kBatch rows
  std::unique_ptr<XGBoostLearner> learner;            // nthread 1
  std::unique_ptr<XGBoostLearner> learner_all_cores;  // the same booster, nthread 0
  std::unique_ptr<FlatForest> forest;
};

const Fixture& Get() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    std::vector<double> y;
    f->x = GermanLike(&y);
    auto learner = XGBoostLearner::Create(
        Json{{"n_estimators", 100}, {"max_depth", 4}, {"eta", 0.1}, {"nthread", 1}});
    LEPTON_CHECK_OK(learner.status());
    f->learner = std::move(*learner);
    const absl::Status fit = f->learner->Fit({&f->x, y, {}}, nullptr, FitContext{});
    LEPTON_CHECK_OK(fit);
    auto bytes = f->learner->Save();
    LEPTON_CHECK_OK(bytes.status());
    auto imported = XGBoostLearner::Import(*bytes, Task::kBinary, 2, f->x.columns);
    LEPTON_CHECK_OK(imported.status());
    f->learner_all_cores = std::move(*imported);
    auto forest = FlatForest::Compile(*f->learner);
    LEPTON_CHECK_OK(forest.status());
    f->forest = std::make_unique<FlatForest>(std::move(*forest));
    for (int64_t r = 0; r < f->x.rows; ++r) f->single_rows.push_back(f->x.Take(std::vector{r}));
    std::vector<int64_t> first(kBatch);
    for (int64_t r = 0; r < kBatch; ++r) first[static_cast<size_t>(r)] = r;
    f->batch = f->x.Take(first);
    // The two must agree before their speed means anything.
    auto expected = f->learner->PredictWithLibxgboost(f->x, false);
    auto got = f->forest->Predict(f->x);
    LEPTON_CHECK_OK(expected.status());
    LEPTON_CHECK_OK(got.status());
    double max_diff = 0;
    for (size_t i = 0; i < got->size(); ++i) {
      max_diff = std::max(max_diff, std::fabs((*got)[i] - (*expected)[i]));
    }
    LEPTON_CHECK(max_diff <= 1e-6);
    std::printf("model: %d trees, %zu nodes, %d features; max |flat - xgboost| = %g\n",
                f->forest->num_trees(), f->forest->num_nodes(), f->forest->num_features(),
                max_diff);
    return f;
  }();
  return *fixture;
}

void BM_FlatSingleRow(benchmark::State& state) {
  const Fixture& f = Get();
  const auto cols = static_cast<size_t>(f.forest->num_features());
  double out = 0;
  size_t r = 0;
  for (auto _ : state) {
    f.forest->Predict(f.x.values.data() + r * cols, 1, &out);
    benchmark::DoNotOptimize(out);
    r = (r + 1) % kSingleRows;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_FlatSingleRow)->Unit(benchmark::kMicrosecond);

// The same through the checked FeatureMatrix API (validation and a result vector per call),
// as `XGBoostLearner::Predict` is called.
void BM_FlatSingleRowMatrix(benchmark::State& state) {
  const Fixture& f = Get();
  size_t r = 0;
  for (auto _ : state) {
    auto p = f.forest->Predict(f.single_rows[r]);
    benchmark::DoNotOptimize(p);
    r = (r + 1) % kSingleRows;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_FlatSingleRowMatrix)->Unit(benchmark::kMicrosecond);

void BM_XgboostSingleRow(benchmark::State& state) {
  const Fixture& f = Get();
  const XGBoostLearner& learner = state.range(0) == 1 ? *f.learner : *f.learner_all_cores;
  size_t r = 0;
  for (auto _ : state) {
    auto p = learner.PredictWithLibxgboost(f.single_rows[r], false);
    benchmark::DoNotOptimize(p);
    r = (r + 1) % kSingleRows;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_XgboostSingleRow)->ArgName("threads1")->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

void BM_FlatBatch256(benchmark::State& state) {
  const Fixture& f = Get();
  std::vector<double> out(kBatch);
  for (auto _ : state) {
    f.forest->Predict(f.batch.values.data(), kBatch, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
}
BENCHMARK(BM_FlatBatch256)->Unit(benchmark::kMicrosecond);

void BM_XgboostBatch256(benchmark::State& state) {
  const Fixture& f = Get();
  const XGBoostLearner& learner = state.range(0) == 1 ? *f.learner : *f.learner_all_cores;
  for (auto _ : state) {
    auto p = learner.PredictWithLibxgboost(f.batch, false);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kBatch);
}
BENCHMARK(BM_XgboostBatch256)->ArgName("threads1")->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

// The console output, plus each run's time kept for the ratios printed at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal (a reporter made here does not see --benchmark_color).
  RatioReporter() : ConsoleReporter(isatty(fileno(stdout)) != 0 ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      // Medians of repetitions win over single runs; means are not used.
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
      const std::string name = run.run_name.args.empty()
                                   ? run.run_name.function_name
                                   : StrCat(run.run_name.function_name, "/", run.run_name.args);
      auto& slot = times_[name];
      if (run.run_type == Run::RT_Aggregate || slot.second == false) {
        slot = {run.GetAdjustedRealTime(), run.run_type == Run::RT_Aggregate};
      }
    }
  }

  void PrintRatios() const {
    std::printf("\nflat forest speed-up (%s real time):\n", any_median() ? "median" : "single-run");
    for (const auto& [flat, xgboost] :
         {std::pair{"SingleRow", "SingleRow"}, std::pair{"SingleRowMatrix", "SingleRow"},
          std::pair{"Batch256", "Batch256"}}) {
      auto f = times_.find(StrCat("BM_Flat", flat));
      if (f == times_.end()) continue;
      for (const char* threads : {"threads1:1", "threads1:0"}) {
        auto x = times_.find(StrCat("BM_Xgboost", xgboost, "/", threads));
        if (x == times_.end()) continue;
        std::printf("  %-16s xgboost (%-9s) / flat = %9.3f / %8.3f us = %6.1fx\n", flat,
                    threads[9] == '1' ? "1 thread" : "all cores", x->second.first, f->second.first,
                    x->second.first / f->second.first);
      }
    }
  }

 private:
  bool any_median() const {
    for (const auto& [name, t] : times_) {
      if (t.second) return true;
    }
    return false;
  }

  std::map<std::string, std::pair<double, bool>> times_;  // run name -> (time, is median)
};

}  // namespace
}  // namespace lepton::ml

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  lepton::ml::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
