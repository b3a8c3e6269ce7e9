#pragma once
// Drift statistics for model monitoring: how far the current distribution of one feature (or of
// the model score) has moved from a reference profile saved at training time.
//
// A `ReferenceProfile` summarises the reference data in bounded space, so that it can be stored
// as JSON beside the model: for a numeric column, quantile bins with the reference share of each
// bin, the missing share and a bounded sorted sample for the Kolmogorov-Smirnov (KS) test; for a
// categorical column, the share of each of the most frequent categories, of all the others
// ("other") and of missing values.
//
// Two statistics compare current data with a profile (thresholds and caveats from the MLOps
// conventions reference, mlops-conventions.md §7):
//
// - PSI, the population stability index: sum over buckets of (c - r) * ln(c / r), where r and c
//   are the reference and current shares of the bucket. Buckets are the bins (numeric) or the
//   kept categories plus "other" (categorical), and always a "missing" bucket. A share of 0
//   would make the term infinite, so a zero share is replaced by `kPsiEpsilon` = 1e-4, or by a
//   millionth of the smallest non-zero share of the same side when that is itself <= 1e-4 (so
//   the stand-in stays below every observed share). This is Evidently's rule (`get_binned_data`
//   in its stattests/utils.py, used by `psi.py`, the PSI the reference doc cites); the reference
//   doc itself names no epsilon. A bucket empty on both sides adds nothing. Note the caveat of
//   §7.2: PSI of a small window is biased upward (empty bins cost ~0.1 * ln(1000) each), so a
//   fixed threshold fires often below ~1000 rows; `DriftResult::n` is reported to judge that.
// - KS (numeric only): the two-sample statistic sup |F_ref - F_cur| between the reference
//   sample and the current non-missing values, and its asymptotic two-sided p-value exactly as
//   `scipy.stats.ks_2samp(ref, cur, method='asymp')` computes it: the Kolmogorov distribution
//   `scipy.stats.kstwo.sf(d, round(m * n / (m + n)))` (Simard & L'Ecuyer's algorithm selection).
//   When the reference had more non-missing values than `ReferenceOptions::max_sample`, the test
//   is against the sample, and `m` is the sample size.
//
// All free functions are pure and safe to call concurrently. `DriftWindow` (below) accumulates
// a serving window without keeping every value.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::ml {

// Stand-in for a zero bucket share in PSI (see the file comment).
inline constexpr double kPsiEpsilon = 1e-4;

struct ReferenceOptions {
  // Numeric: quantile bins before ties are merged, in [1, 1000]. Ten (deciles) is the usual
  // credit-scoring choice; Evidently's PSI uses 30.
  int bins = 10;
  // Numeric: the most non-missing reference values kept (by a seeded reservoir sample) for the
  // KS test, in [0, 1000000]; 0 keeps none, and then drift results carry no KS.
  int64_t max_sample = 10000;
  // Seeds the reservoir; the same values in the same order and the same seed give the same sample.
  uint64_t seed = 42;
  // Categorical: the most frequent categories kept by name, in [1, 100000]; the rest are "other".
  int top_categories = 50;
};

// What one column looked like on the reference (training) data. Plain value type; compare with
// `==`. Shares are fractions of `count`, missing rows included, so that
// sum(proportions) + other + missing == 1 (up to rounding).
struct ReferenceProfile {
  enum class Kind { kNumeric, kCategorical };
  Kind kind = Kind::kNumeric;
  int64_t count = 0;  // reference rows, missing included; >= 1

  // Numeric: the inner bin edges, finite and strictly increasing. Bin 0 is (-inf, edges[0]],
  // bin i is (edges[i-1], edges[i]] and the last is (edges.back(), +inf): right-closed, as
  // `numpy.searchsorted(edges, x, side='left')` numbers them. Each edge is a reference value,
  // the inverted-CDF quantile at i / bins (`numpy.quantile(..., method='inverted_cdf')`), kept
  // only when above the previous edge and below the reference maximum; so ties merge bins and
  // every bin holds reference values. Empty when the non-missing values are all equal or absent.
  std::vector<double> edges;
  // Numeric: the reference share of each bin (edges.size() + 1 of them). Categorical: the share
  // of each entry of `categories`.
  std::vector<double> proportions;
  // Categorical: the kept categories, most frequent first (ties by byte order).
  std::vector<std::string> categories;
  double other = 0;    // categorical: share of present values outside `categories`; numeric: 0
  double missing = 0;  // share of missing rows
  // Numeric: the KS sample, sorted ascending, finite; at most `max_sample` values.
  std::vector<double> sample;

  // {"kind": "numeric", "count", "edges", "proportions", "missing", "sample"} or
  // {"kind": "categorical", "count", "categories", "proportions", "other", "missing"}. Doubles
  // are written in shortest round-trip form, so FromJson(ToJson()) == *this exactly (categories
  // must be valid UTF-8 for that; `DumpJson` replaces invalid bytes).
  Json ToJson() const;
  // InvalidArgument naming the field: unknown or missing fields, wrong types, and a profile that
  // fails the invariants above (edges not increasing, share count not matching, shares outside
  // [0, 1] or not summing to 1 within 1e-6, unsorted or non-finite sample, repeated category).
  static absl::StatusOr<ReferenceProfile> FromJson(const Json& json);

  bool operator==(const ReferenceProfile&) const = default;
};

// Profiles a numeric column; NaN is missing. InvalidArgument: no rows, an infinite value (a
// profile stores finite numbers only), or options out of range. A column with every value
// missing is accepted: its profile has one (empty) bin and no sample, so any current value
// shows as drift. Cost O(n log n).
absl::StatusOr<ReferenceProfile> NumericReference(std::span<const double> values,
                                                  const ReferenceOptions& options = {});

// Profiles a categorical column. `present` is empty (no value missing) or one flag per value,
// 0 meaning missing (the value is then ignored). InvalidArgument: no rows, `present` of another
// length, or options out of range. Every row missing is accepted (as `NumericReference`).
absl::StatusOr<ReferenceProfile> CategoricalReference(std::span<const std::string_view> values,
                                                      std::span<const uint8_t> present = {},
                                                      const ReferenceOptions& options = {});

// The PSI bands of `DriftResult::level`: "none" below `moderate_psi`, "moderate" below
// `significant_psi`, "significant" from there. The defaults 0.1 / 0.25 are the common bands of
// reference doc §7.2 (driftwatch's table); CapyMOA (after Wu & Olson 2010) puts "significant" at
// 0.2 and Evidently flags drift from 0.1. Need 0 <= moderate_psi <= significant_psi, finite.
struct DriftOptions {
  double moderate_psi = 0.1;
  double significant_psi = 0.25;
};

// One PSI bucket of a drift result.
struct DriftBucket {
  enum class Kind { kBin, kCategory, kOther, kMissing };
  Kind kind = Kind::kBin;
  // kBin: the interval, e.g. "(-inf, 1.5]", "(1.5, 3]", "(3, +inf)" (edges at 6 significant
  // digits, for display only); kCategory: the category; kOther: "other"; kMissing: "missing".
  std::string label;
  double reference = 0;  // reference share, before the epsilon stand-in
  double current = 0;    // current share, before the epsilon stand-in
  double psi = 0;        // this bucket's term of `DriftResult::psi`
  // {"kind": "bin" | "category" | "other" | "missing", "label", "reference", "current", "psi"}
  Json ToJson() const;
};

struct DriftResult {
  double psi = 0;
  // Numeric only, and only when both the reference sample and the current non-missing values
  // are non-empty.
  std::optional<double> ks_statistic;
  std::optional<double> ks_p_value;
  int64_t n = 0;            // current rows, missing included
  int64_t ks_n = 0;         // current values in the KS test (non-missing; capped in a window)
  int64_t ks_reference_n = 0;  // reference sample size used in the KS test
  std::string level;        // "none", "moderate" or "significant" by PSI (`DriftOptions`)
  // Every bucket in profile order: bins or categories, then "other" (categorical), "missing".
  std::vector<DriftBucket> buckets;
  // {"psi", "ks_statistic", "ks_p_value" (both omitted when absent), "n", "ks_n",
  //  "ks_reference_n", "level", "buckets": [...]}
  Json ToJson() const;
};

// Numeric current values against a numeric profile; NaN is missing and +-inf fall in the first
// or last bin (and take part in KS). InvalidArgument: no current rows, a categorical or invalid
// profile, or bad `options`. Cost O(n log n) for KS (the current values are sorted).
absl::StatusOr<DriftResult> NumericDrift(const ReferenceProfile& reference,
                                         std::span<const double> current,
                                         const DriftOptions& options = {});

// Categorical current values against a categorical profile. Values not among the profile's
// categories count as "other" (so a category never seen in training raises the "other" share).
// `present` as in `CategoricalReference`. InvalidArgument: no current rows, `present` of another
// length, a numeric or invalid profile, or bad `options`. Cost O(n log k).
absl::StatusOr<DriftResult> CategoricalDrift(const ReferenceProfile& reference,
                                             std::span<const std::string_view> current,
                                             std::span<const uint8_t> present = {},
                                             const DriftOptions& options = {});

// The two-sample KS test as `scipy.stats.ks_2samp(a, b, method='asymp')` (two-sided).
struct TwoSampleKs {
  double statistic = 0;  // sup |F_a - F_b| over all values
  double p_value = 1;
};
// InvalidArgument when either sample is empty or holds NaN (infinities are allowed). The
// samples need not be sorted. When both have a single value (the only case where
// round(m * n / (m + n)) is 0, which scipy answers with NaN) the p-value uses n = 1.
absl::StatusOr<TwoSampleKs> TwoSampleKsTest(std::span<const double> a, std::span<const double> b);

// Pr(D_n > d) for the two-sided one-sample Kolmogorov-Smirnov statistic D_n of `n` >= 1 values:
// `scipy.stats.kstwo.sf(d, n)`, following scipy 1.10's `_kolmogn` (exact Durbin matrix or
// Pomeranz recursion, Smirnov's one-sided sum, or the Pelz-Good expansion, chosen by Simard &
// L'Ecuyer's rules). 1 for d <= 0.5 / n, 0 for d >= 1; NaN for NaN `d`.
double KolmogorovSurvival(int64_t n, double d);

struct DriftWindowOptions {
  // The most current non-missing values kept (seeded reservoir) for KS, in [0, 1000000]; 0
  // disables KS. Past this many values the KS statistic is that of the reservoir.
  int64_t max_sample = 10000;
  uint64_t seed = 42;
  DriftOptions drift;
};

// Accumulates the current values of one column over a serving window: counts per PSI bucket
// and, for a numeric profile, a bounded reservoir of values for KS. Memory is
// O(buckets + max_sample) however many values are added. With no more non-missing values than
// `max_sample` since the last `Reset`, `Result()` equals `NumericDrift` / `CategoricalDrift` of
// the same values.
//
// Thread-safe: every method may be called concurrently (one internal mutex; `Add*` holds it for
// the whole batch, `Result` while it copies the state).
class DriftWindow {
 public:
  // InvalidArgument for an invalid profile (as `ReferenceProfile::FromJson` checks) or options
  // out of range.
  static absl::StatusOr<std::unique_ptr<DriftWindow>> Create(
      ReferenceProfile reference, const DriftWindowOptions& options = {});

  // Adds numeric values (NaN = missing). FailedPrecondition if the profile is categorical.
  absl::Status AddNumeric(std::span<const double> values);
  // Adds categorical values, `present` as in `CategoricalReference`. FailedPrecondition if the
  // profile is numeric; InvalidArgument for `present` of another length (nothing is added).
  absl::Status AddCategorical(std::span<const std::string_view> values,
                              std::span<const uint8_t> present = {});

  // The drift of the values added since the last `Reset`. FailedPrecondition when there are none.
  absl::StatusOr<DriftResult> Result() const;
  // Empties the window and reseeds the reservoir, so that equal windows give equal results.
  void Reset();
  // Rows added since the last `Reset`, missing included.
  int64_t count() const;
  const ReferenceProfile& reference() const { return reference_; }

 private:
  DriftWindow(ReferenceProfile reference, const DriftWindowOptions& options);

  const ReferenceProfile reference_;
  const DriftWindowOptions options_;
  const std::map<std::string, size_t, std::less<>> category_index_;  // categorical profiles

  mutable std::mutex mu_;
  std::vector<int64_t> counts_ ABSL_GUARDED_BY(mu_);  // per bucket, `DriftResult::buckets` order
  int64_t rows_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t seen_ ABSL_GUARDED_BY(mu_) = 0;  // non-missing values offered to the reservoir
  std::vector<double> reservoir_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lepton::ml
