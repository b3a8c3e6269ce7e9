#pragma once
// Hyper-parameter search and cross-validation, independent of any learner: the caller supplies
// `fit_and_score`, which fits its whole pipeline (feature transformers included) on the training
// indices of a fold and scores the validation indices, so nothing learnt from validation rows
// leaks into the model being scored.
//
// Search-space JSON (the `search` object of model_config.json):
//
//   "search": {
//     "strategy": "random",            // "grid" (every combination) or "random" (sampled)
//     "n_iter": 20,                    // random only (required there): candidates to draw
//     "seed": 42,                      // random only, optional (default 42)
//     "metric": "auc",                 // the cross-validated metric that picks the best
//     "direction": "maximize",         // optional: "maximize" or "minimize"; default minimize
//                                      // for log_loss, logloss, brier, rmse, mae, mape, mse,
//                                      // error, maximize otherwise
//     "space": {
//       "max_depth": [3, 4, 6],                              // a list: these values
//       "eta": {"low": 0.01, "high": 0.3, "log": true},      // log-uniform real in [low, high]
//       "subsample": {"low": 0.5, "high": 1.0},              // uniform real in [low, high]
//       "min_child_weight": {"low": 1, "high": 20, "int": true},            // uniform integer
//       "max_bin": {"low": 16, "high": 1024, "int": true, "log": true}      // log-uniform integer
//     }
//   }
//
// Each parameter is a non-empty list of JSON values (any type) or a range object with numeric
// `low` <= `high` and optional booleans `log` (needs `low` > 0) and `int` (needs integer bounds,
// both inclusive). Ranges only make sense for random search; a grid rejects them. Errors are
// InvalidArgument naming the JSON path, e.g. `search.space.eta.low: expected a number, got
// string`, or `search.space.eta.hihg: unknown field` for a misspelt key of a range.
//
// Candidate order. Grid: parameters in ascending name order, the last name varying fastest (the
// order of sklearn's `ParameterGrid`): {"a": [1, 2], "b": ["x", "y"]} gives a=1 b=x, a=1 b=y,
// a=2 b=x, a=2 b=y. Random: when every parameter is a list, `n_iter` distinct grid points drawn
// without replacement (the whole grid, in grid order, when `n_iter` >= its size, as sklearn's
// `ParameterSampler`); otherwise `n_iter` independent draws, each parameter in name order.
// Draws are reproducible by seed on every platform.
//
// Thread-compatible: `SearchSpace` is immutable after `FromJson`. `CrossValidate` runs the
// folds one after another on the calling thread, or up to `CvOptions::parallelism` of them at
// once on threads of its own (see `CrossValidate`).

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/ml/select/split.h"

namespace lepton::ml {

namespace internal {
class Rng;
}  // namespace internal

class SearchSpace {
 public:
  // An empty space: one candidate, `{}`.
  SearchSpace() = default;

  // Parses a `space` object; `path` prefixes error messages ("search.space").
  static absl::StatusOr<SearchSpace> FromJson(const Json& space,
                                              std::string path = "search.space");

  // Every combination, in the documented order. InvalidArgument when a parameter is a range or
  // the grid has more than `max_candidates` points.
  absl::StatusOr<std::vector<Json>> Grid(int64_t max_candidates = 100000) const;

  // `n_iter` (>= 1) random candidates as documented above. InvalidArgument for `n_iter` < 1.
  absl::StatusOr<std::vector<Json>> Sample(int64_t n_iter, uint64_t seed) const;

  // The parameter names, ascending.
  std::vector<std::string> names() const;

 private:
  struct Param {
    std::string name;
    std::vector<Json> choices;  // empty for a range
    double low = 0;
    double high = 0;
    bool log = false;
    bool integer = false;
    bool is_range() const { return choices.empty(); }
  };
  explicit SearchSpace(std::vector<Param> params, std::string path)
      : params_(std::move(params)), path_(std::move(path)) {}
  static Json Draw(const Param& p, internal::Rng& rng);

  std::vector<Param> params_;  // ascending by name
  std::string path_;
};

enum class Direction { kMaximize, kMinimize };

// "maximize" / "minimize" and back (InvalidArgument for anything else).
std::string_view DirectionName(Direction direction);
absl::StatusOr<Direction> ParseDirection(std::string_view name);
// The default direction for a metric name (see the file comment).
Direction DefaultDirection(std::string_view metric);

enum class SearchStrategy { kGrid, kRandom };

// The `search` object of model_config.json, validated.
struct SearchConfig {
  SearchStrategy strategy = SearchStrategy::kGrid;
  SearchSpace space;
  int64_t n_iter = 0;  // random only
  uint64_t seed = 42;
  std::string metric;
  Direction direction = Direction::kMaximize;

  // InvalidArgument naming the JSON path of the first missing, mistyped or unknown field.
  static absl::StatusOr<SearchConfig> FromJson(const Json& search, std::string path = "search");
  // The candidates this search evaluates (`Grid()` or `Sample(n_iter, seed)`).
  absl::StatusOr<std::vector<Json>> Candidates() const;
};

// Fits on `train` rows with `params` and returns metrics on `valid` rows as a JSON object. Its
// top-level numbers (null counts as NaN) are the metrics; other values are ignored, so a whole
// report's `ToJson()` may be returned. An error aborts the cross-validation.
using FitAndScore = std::function<absl::StatusOr<Json>(
    std::span<const int64_t> train, std::span<const int64_t> valid, const Json& params)>;

// Where a cross-validation is: called before fitting fold `fold` (0-based, of `num_folds`) of
// candidate `candidate` (0-based, of `num_candidates`). Returning false cancels.
struct CvProgress {
  int64_t candidate = 0;
  int64_t num_candidates = 0;
  int64_t fold = 0;
  int64_t num_folds = 0;
};
using CvProgressCallback = std::function<bool(const CvProgress&)>;

// `FitAndScore` that is also told which evaluation it is (`at`: candidate and fold, as the
// progress callback sees them) — what a parallel caller needs, since the last progress call
// no longer names the evaluation being fitted.
using FitAndScoreAt = std::function<absl::StatusOr<Json>(
    const CvProgress& at, std::span<const int64_t> train, std::span<const int64_t> valid,
    const Json& params)>;

struct CvOptions {
  std::string metric;  // required: the metric that picks the best candidate
  Direction direction = Direction::kMaximize;
  CvProgressCallback progress;  // may be empty
  // How many (candidate, fold) evaluations may run at once (>= 1). 1: one after another on the
  // calling thread. N > 1: on the calling thread plus up to N - 1 threads started for this
  // call, so `fit_and_score` must then be safe to call concurrently (`progress` is not: its
  // calls are serialized). The result does not depend on it — see `CrossValidate`.
  int parallelism = 1;
};

// One metric of one candidate over the folds: mean and population standard deviation (numpy's
// `std`, as sklearn's `cv_results_`).
struct MetricSummary {
  double mean = 0;
  double std = 0;
  std::vector<double> folds;
};

struct CandidateResult {
  int64_t index = 0;
  Json params;
  // The metrics every fold reported, by name.
  std::map<std::string, MetricSummary> metrics;
  // {"index", "params", "metrics": {name: {"mean", "std", "folds": [...]}}}
  Json ToJson() const;
};

struct CvResult {
  std::vector<CandidateResult> candidates;  // in candidate order
  int64_t best_index = 0;
  std::string metric;
  Direction direction = Direction::kMaximize;
  const CandidateResult& best() const { return candidates[static_cast<size_t>(best_index)]; }
  // {"metric", "direction", "best_index", "best_params", "best_score", "candidates": [...]}
  Json ToJson() const;
};

// Runs `fit_and_score` on every fold of every candidate and picks the candidate with the best
// mean `options.metric` (ties: the earliest candidate; candidates with a non-finite mean are
// never picked while another has a finite one). Pass `candidates = {Json::object()}` for plain
// cross-validation of fixed parameters.
// InvalidArgument: no folds or candidates, no metric name, `parallelism` < 1, a fold result
// that is not an object or lacks the metric, or no candidate with a finite mean. Cancelled:
// `progress` returned false. Errors of `fit_and_score` are returned with the candidate and fold
// prefixed.
//
// Evaluations are numbered candidate-major (candidate c, fold f is c * num_folds + f) and are
// started in that order; `progress` is called for each just before it starts, in that order,
// never concurrently. With `parallelism` > 1 several run at once and finish in any order, but
// their results are kept by number and summarised exactly as in a sequential run, so for a
// `fit_and_score` whose result depends only on its arguments the `CvResult` (means, stds, best)
// and the returned error are the same for every `parallelism`:
//   - after an error (or an exception) nothing new starts; the evaluations already running
//     finish, and the error of the LOWEST-numbered failed evaluation is returned — the one a
//     sequential run stops at, since every lower number has been started too. An exception is
//     rethrown on the calling thread the same way;
//   - after `progress` returned false nothing new starts; once the running evaluations finish,
//     Cancelled is returned unless one numbered lower failed (then that error, as sequentially).
// What may differ: with `parallelism` > 1, `progress` may already have been called for a few
// evaluations past one that fails (they started while it ran).
absl::StatusOr<CvResult> CrossValidate(std::span<const Fold> folds,
                                       std::span<const Json> candidates,
                                       const FitAndScoreAt& fit_and_score,
                                       const CvOptions& options);
// The same for a `fit_and_score` that does not need to know which evaluation it is.
absl::StatusOr<CvResult> CrossValidate(std::span<const Fold> folds,
                                       std::span<const Json> candidates,
                                       const FitAndScore& fit_and_score,
                                       const CvOptions& options);

}  // namespace lepton::ml
