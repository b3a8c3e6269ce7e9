#include "lepton/ml/select/search.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/select/internal/random.h"

namespace lepton::ml {

namespace {

// Grids past this size are sampled with replacement instead of without.
constexpr int64_t kMaxEnumeratedGrid = 1000000;

std::string Child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : StrCat(path, ".", key);
}

absl::Status Invalid(std::string message) {
  return absl::InvalidArgumentError(std::move(message));
}

// Reads a required number field of a range object.
absl::StatusOr<double> RangeBound(const std::optional<Json>& v, const std::string& path,
                                  bool integer) {
  if (!v) return Invalid(StrCat(path, ": required field is missing"));
  if (!v->is_number()) return Invalid(StrCat(path, ": expected a number, got ", v->type_name()));
  if (integer && !v->is_number_integer()) {
    return Invalid(StrCat(path, ": expected an integer for an \"int\" range, got ", v->dump()));
  }
  const double d = v->get<double>();
  if (!std::isfinite(d)) return Invalid(StrCat(path, ": must be finite"));
  return d;
}

// Grid size (saturating at INT64_MAX).
int64_t GridSize(const std::vector<size_t>& radices) {
  int64_t n = 1;
  for (size_t r : radices) {
    if (n > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(r)) {
      return std::numeric_limits<int64_t>::max();
    }
    n *= static_cast<int64_t>(r);
  }
  return n;
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double PopulationStd(const std::vector<double>& v, double mean) {
  double s = 0;
  for (double x : v) s += (x - mean) * (x - mean);
  return std::sqrt(s / static_cast<double>(v.size()));
}

}  // namespace

absl::StatusOr<SearchSpace> SearchSpace::FromJson(const Json& space, std::string path) {
  if (!space.is_object()) {
    return Invalid(StrCat(path, ": expected an object of parameter name to list or range, got ",
                          space.type_name()));
  }
  std::vector<Param> params;
  for (auto it = space.begin(); it != space.end(); ++it) {  // nlohmann objects iterate sorted
    const std::string p_path = Child(path, it.key());
    Param p;
    p.name = it.key();
    const Json& v = it.value();
    if (v.is_array()) {
      if (v.empty()) return Invalid(StrCat(p_path, ": the list of values is empty"));
      p.choices.assign(v.begin(), v.end());
    } else if (v.is_object()) {
      JsonFields f(v, p_path);
      const std::optional<Json> low = f.OptionalValue("low");
      const std::optional<Json> high = f.OptionalValue("high");
      p.log = f.OptionalBool("log").value_or(false);
      p.integer = f.OptionalBool("int").value_or(false);
      LEPTON_RETURN_IF_ERROR(f.Finish());
      LEPTON_ASSIGN_OR_RETURN(p.low, RangeBound(low, Child(p_path, "low"), p.integer));
      LEPTON_ASSIGN_OR_RETURN(p.high, RangeBound(high, Child(p_path, "high"), p.integer));
      if (p.low > p.high) {
        return Invalid(StrCat(p_path, ": low (", low->dump(), ") is greater than high (",
                              high->dump(), ")"));
      }
      if (p.log && !(p.low > 0)) {
        return Invalid(StrCat(p_path, ".low: a log range needs low > 0, got ", low->dump()));
      }
    } else {
      return Invalid(StrCat(p_path,
                            ": expected a non-empty list of values or a range object "
                            "{\"low\", \"high\", \"log\", \"int\"}, got ",
                            v.type_name()));
    }
    params.push_back(std::move(p));
  }
  return SearchSpace(std::move(params), std::move(path));
}

std::vector<std::string> SearchSpace::names() const {
  std::vector<std::string> out;
  for (const Param& p : params_) out.push_back(p.name);
  return out;
}

absl::StatusOr<std::vector<Json>> SearchSpace::Grid(int64_t max_candidates) const {
  std::vector<size_t> radices;
  for (const Param& p : params_) {
    if (p.is_range()) {
      return Invalid(StrCat(Child(path_, p.name),
                            ": a range cannot be enumerated; use a list for grid search or "
                            "\"strategy\": \"random\""));
    }
    radices.push_back(p.choices.size());
  }
  const int64_t size = GridSize(radices);
  if (size > max_candidates) {
    return Invalid(StrCat(path_, ": the grid has ", size, " combinations, more than the limit of ",
                          max_candidates, "; use random search"));
  }
  std::vector<Json> out;
  out.reserve(static_cast<size_t>(size));
  std::vector<size_t> digit(params_.size(), 0);
  for (int64_t n = 0; n < size; ++n) {
    Json c = Json::object();
    for (size_t i = 0; i < params_.size(); ++i) c[params_[i].name] = params_[i].choices[digit[i]];
    out.push_back(std::move(c));
    // Odometer: the last parameter varies fastest.
    for (size_t i = params_.size(); i-- > 0;) {
      if (++digit[i] < radices[i]) break;
      digit[i] = 0;
    }
  }
  return out;
}

Json SearchSpace::Draw(const Param& p, internal::Rng& rng) {
  if (!p.is_range()) return p.choices[rng.Below(p.choices.size())];
  if (p.integer) {
    const int64_t lo = static_cast<int64_t>(p.low), hi = static_cast<int64_t>(p.high);
    if (!p.log) return lo + static_cast<int64_t>(rng.Below(static_cast<uint64_t>(hi - lo) + 1));
    // Log-uniform over [lo, hi + 1), floored: each integer gets the mass of its unit interval.
    const double x = std::exp(std::log(static_cast<double>(lo)) +
                              rng.Uniform() * (std::log(static_cast<double>(hi) + 1) -
                                               std::log(static_cast<double>(lo))));
    return std::clamp(static_cast<int64_t>(std::floor(x)), lo, hi);
  }
  if (p.log) {
    const double x = std::exp(std::log(p.low) + rng.Uniform() * (std::log(p.high) - std::log(p.low)));
    return std::clamp(x, p.low, p.high);
  }
  return p.low + rng.Uniform() * (p.high - p.low);
}

absl::StatusOr<std::vector<Json>> SearchSpace::Sample(int64_t n_iter, uint64_t seed) const {
  if (n_iter < 1) return Invalid(StrCat(path_, ": n_iter ", n_iter, " must be at least 1"));
  internal::Rng rng(seed);
  bool all_lists = true;
  std::vector<size_t> radices;
  for (const Param& p : params_) {
    all_lists = all_lists && !p.is_range();
    radices.push_back(p.choices.size());
  }
  const int64_t size = all_lists ? GridSize(radices) : 0;
  if (all_lists && size <= kMaxEnumeratedGrid) {
    LEPTON_ASSIGN_OR_RETURN(std::vector<Json> grid, Grid(kMaxEnumeratedGrid));
    if (n_iter >= size) return grid;
    // Partial Fisher-Yates: the first `n_iter` of a seeded permutation of the grid.
    std::vector<size_t> idx(grid.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::vector<Json> out;
    for (int64_t i = 0; i < n_iter; ++i) {
      const size_t j = static_cast<size_t>(i) + rng.Below(idx.size() - static_cast<size_t>(i));
      std::swap(idx[static_cast<size_t>(i)], idx[j]);
      out.push_back(grid[idx[static_cast<size_t>(i)]]);
    }
    return out;
  }
  std::vector<Json> out;
  for (int64_t i = 0; i < n_iter; ++i) {
    Json c = Json::object();
    for (const Param& p : params_) c[p.name] = Draw(p, rng);
    out.push_back(std::move(c));
  }
  return out;
}

std::string_view DirectionName(Direction direction) {
  return direction == Direction::kMinimize ? "minimize" : "maximize";
}

absl::StatusOr<Direction> ParseDirection(std::string_view name) {
  if (name == "maximize") return Direction::kMaximize;
  if (name == "minimize") return Direction::kMinimize;
  return Invalid(StrCat("unknown direction \"", name, "\" (expected maximize or minimize)"));
}

Direction DefaultDirection(std::string_view metric) {
  for (std::string_view loss :
       {"log_loss", "logloss", "brier", "rmse", "mae", "mape", "mse", "error"}) {
    if (metric == loss) return Direction::kMinimize;
  }
  return Direction::kMaximize;
}

absl::StatusOr<SearchConfig> SearchConfig::FromJson(const Json& search, std::string path) {
  JsonFields f(search, path);
  const std::string strategy = f.String("strategy");
  const std::optional<Json> space = f.OptionalValue("space");
  const std::optional<int64_t> n_iter = f.OptionalInt("n_iter");
  const std::optional<int64_t> seed = f.OptionalInt("seed");
  const std::string metric = f.String("metric");
  const std::optional<std::string> direction = f.OptionalString("direction");
  LEPTON_RETURN_IF_ERROR(f.Finish());
  SearchConfig c;
  if (strategy == "grid") {
    c.strategy = SearchStrategy::kGrid;
  } else if (strategy == "random") {
    c.strategy = SearchStrategy::kRandom;
  } else {
    return Invalid(StrCat(Child(path, "strategy"), ": expected \"grid\" or \"random\", got \"",
                          strategy, "\""));
  }
  if (!space) return Invalid(StrCat(Child(path, "space"), ": required field is missing"));
  LEPTON_ASSIGN_OR_RETURN(c.space, SearchSpace::FromJson(*space, Child(path, "space")));
  if (c.strategy == SearchStrategy::kRandom) {
    if (!n_iter) {
      return Invalid(StrCat(Child(path, "n_iter"), ": required for random search"));
    }
    if (*n_iter < 1) return Invalid(StrCat(Child(path, "n_iter"), ": must be at least 1"));
    c.n_iter = *n_iter;
  } else {
    if (n_iter) return Invalid(StrCat(Child(path, "n_iter"), ": only valid for random search"));
    LEPTON_RETURN_IF_ERROR(c.space.Grid().status());  // ranges in a grid fail here, with path
  }
  if (seed) {
    if (*seed < 0) return Invalid(StrCat(Child(path, "seed"), ": must be >= 0"));
    c.seed = static_cast<uint64_t>(*seed);
  }
  if (metric.empty()) return Invalid(StrCat(Child(path, "metric"), ": must not be empty"));
  c.metric = metric;
  c.direction = DefaultDirection(metric);
  if (direction) {
    auto d = ParseDirection(*direction);
    if (!d.ok()) return Annotate(d.status(), Child(path, "direction"));
    c.direction = *d;
  }
  return c;
}

absl::StatusOr<std::vector<Json>> SearchConfig::Candidates() const {
  if (strategy == SearchStrategy::kGrid) return space.Grid();
  return space.Sample(n_iter, seed);
}

Json CandidateResult::ToJson() const {
  Json m = Json::object();
  for (const auto& [name, s] : metrics) {
    m[name] = Json{{"mean", s.mean}, {"std", s.std}, {"folds", s.folds}};
  }
  return Json{{"index", index}, {"params", params}, {"metrics", std::move(m)}};
}

Json CvResult::ToJson() const {
  Json c = Json::array();
  for (const CandidateResult& r : candidates) c.push_back(r.ToJson());
  const CandidateResult& b = best();
  const auto it = b.metrics.find(metric);
  return Json{{"metric", metric},
              {"direction", DirectionName(direction)},
              {"best_index", best_index},
              {"best_params", b.params},
              {"best_score", it == b.metrics.end() ? Json(nullptr) : Json(it->second.mean)},
              {"candidates", std::move(c)}};
}

absl::StatusOr<CvResult> CrossValidate(std::span<const Fold> folds,
                                       std::span<const Json> candidates,
                                       const FitAndScore& fit_and_score,
                                       const CvOptions& options) {
  if (!fit_and_score) return Invalid("cross-validation: no fit_and_score function");
  return CrossValidate(
      folds, candidates,
      [&fit_and_score](const CvProgress&, std::span<const int64_t> train,
                       std::span<const int64_t> valid, const Json& params) {
        return fit_and_score(train, valid, params);
      },
      options);
}

absl::StatusOr<CvResult> CrossValidate(std::span<const Fold> folds,
                                       std::span<const Json> candidates,
                                       const FitAndScoreAt& fit_and_score,
                                       const CvOptions& options) {
  if (folds.empty()) return Invalid("cross-validation: no folds");
  if (candidates.empty()) return Invalid("cross-validation: no candidates");
  if (options.metric.empty()) return Invalid("cross-validation: no metric to select by");
  if (!fit_and_score) return Invalid("cross-validation: no fit_and_score function");
  if (options.parallelism < 1) {
    return Invalid(StrCat("cross-validation: parallelism ", options.parallelism,
                          " must be at least 1"));
  }
  const int64_t num_candidates = static_cast<int64_t>(candidates.size());
  const int64_t num_folds = static_cast<int64_t>(folds.size());
  const int64_t total = num_candidates * num_folds;
  auto at = [&](int64_t i) {
    return CvProgress{.candidate = i / num_folds, .num_candidates = num_candidates,
                      .fold = i % num_folds, .num_folds = num_folds};
  };
  auto where = [&](int64_t i) {
    return StrCat("candidate ", i / num_folds, " ", DumpJson(candidates[i / num_folds]), " fold ",
                  i % num_folds);
  };
  // One evaluation: fit, score, and check that the metric is there.
  auto evaluate = [&](int64_t i) -> absl::StatusOr<Json> {
    const Fold& fold = folds[i % num_folds];
    absl::StatusOr<Json> scored =
        fit_and_score(at(i), fold.train, fold.valid, candidates[i / num_folds]);
    if (!scored.ok()) return Annotate(scored.status(), where(i));
    if (!scored->is_object()) {
      return Invalid(StrCat(where(i), ": fit_and_score returned ", scored->type_name(),
                            ", expected an object of metrics"));
    }
    const auto selected = scored->find(options.metric);
    if (selected == scored->end() || !(selected->is_number() || selected->is_null())) {
      return Invalid(StrCat(where(i), ": fit_and_score returned no numeric metric \"",
                            options.metric, "\""));
    }
    return scored;
  };

  // The outcome of each evaluation by number, whatever order they finish in. Everything below
  // `mu` is guarded by it; `scored[i]` and `thrown[i]` are written once, under it.
  std::mutex mu;
  std::vector<std::optional<absl::StatusOr<Json>>> scored(static_cast<size_t>(total));
  std::vector<std::exception_ptr> thrown(static_cast<size_t>(total));
  int64_t next = 0;           // the next evaluation to start
  bool stop = false;          // an error, exception or cancellation: start nothing new
  int64_t cancelled_at = -1;  // the evaluation `progress` refused to start
  // Each worker takes the next number (calling `progress` for it under the lock, so progress
  // calls are serialized and in order) and evaluates it outside the lock. Exceptions are caught
  // so that none escapes a worker thread; they are rethrown on the calling thread below.
  auto work = [&] {
    for (;;) {
      int64_t i = 0;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stop || next >= total) return;
        i = next;
        if (options.progress) {
          bool go = false;
          try {
            go = options.progress(at(i));
          } catch (...) {
            thrown[static_cast<size_t>(i)] = std::current_exception();
            stop = true;
            return;
          }
          if (!go) {
            cancelled_at = i;
            stop = true;
            return;
          }
        }
        ++next;
      }
      std::optional<absl::StatusOr<Json>> outcome;
      std::exception_ptr exception;
      try {
        outcome = evaluate(i);
      } catch (...) {
        exception = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mu);
      if (exception || !outcome->ok()) stop = true;
      thrown[static_cast<size_t>(i)] = exception;
      scored[static_cast<size_t>(i)] = std::move(outcome);
    }
  };
  {
    const int64_t workers = std::min<int64_t>(options.parallelism, total);
    std::vector<std::thread> pool;
    for (int64_t w = 1; w < workers; ++w) {
      try {
        pool.emplace_back(work);
      } catch (const std::system_error&) {
        break;  // no more threads to be had: fewer workers, same result
      }
    }
    work();
    for (std::thread& t : pool) t.join();
  }
  // The first failure in evaluation order wins, exactly where a sequential run would stop.
  for (int64_t i = 0; i < total; ++i) {
    if (thrown[static_cast<size_t>(i)]) std::rethrow_exception(thrown[static_cast<size_t>(i)]);
    if (i == cancelled_at) {
      return absl::CancelledError(StrCat("cross-validation cancelled before ", where(i)));
    }
    const std::optional<absl::StatusOr<Json>>& s = scored[static_cast<size_t>(i)];
    if (!s.has_value()) {
      return absl::InternalError(StrCat("cross-validation: ", where(i), " never ran"));
    }
    if (!s->ok()) return s->status();
  }

  CvResult result;
  result.metric = options.metric;
  result.direction = options.direction;
  for (int64_t c = 0; c < num_candidates; ++c) {
    // Per metric, its value in each fold so far; a metric missing from any fold is dropped.
    std::map<std::string, std::vector<double>> values;
    for (int64_t f = 0; f < num_folds; ++f) {
      const Json& fold_metrics = **scored[static_cast<size_t>(c * num_folds + f)];
      std::map<std::string, std::vector<double>> next_values;
      for (auto it = fold_metrics.begin(); it != fold_metrics.end(); ++it) {
        if (!it->is_number() && !it->is_null()) continue;
        const double v =
            it->is_null() ? std::numeric_limits<double>::quiet_NaN() : it->get<double>();
        if (f == 0) {
          next_values[it.key()] = {v};
        } else if (auto prev = values.find(it.key()); prev != values.end()) {
          prev->second.push_back(v);
          next_values[it.key()] = std::move(prev->second);
        }
      }
      values = std::move(next_values);
    }
    CandidateResult r;
    r.index = c;
    r.params = candidates[c];
    for (auto& [name, v] : values) {
      MetricSummary s;
      s.mean = Mean(v);
      s.std = PopulationStd(v, s.mean);
      s.folds = std::move(v);
      r.metrics.emplace(name, std::move(s));
    }
    result.candidates.push_back(std::move(r));
  }
  int64_t best = -1;
  double best_score = 0;
  for (const CandidateResult& r : result.candidates) {
    const double score = r.metrics.at(options.metric).mean;
    if (!std::isfinite(score)) continue;
    const bool better = best < 0 || (options.direction == Direction::kMaximize ? score > best_score
                                                                                : score < best_score);
    if (better) {
      best = r.index;
      best_score = score;
    }
  }
  if (best < 0) {
    return Invalid(StrCat("cross-validation: no candidate has a finite mean \"", options.metric,
                          "\""));
  }
  result.best_index = best;
  return result;
}

}  // namespace lepton::ml
