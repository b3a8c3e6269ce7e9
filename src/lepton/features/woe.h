#pragma once
// Weight-of-evidence (WOE) binning and information value (IV), as credit scoring uses them, and
// the public form of fitted bins (`WoeBinning`) from which a scorecard is later computed (points
// per bin = -(coefficient * woe) * factor, plus offset terms; see ml/ scorecards).
//
// Conventions (the usual credit-scoring ones):
//   - target 1 = event ("bad"), 0 = non-event ("good");
//   - per bin: WOE = ln(share of all non-events in the bin / share of all events in the bin),
//     so a positive WOE means lower risk than average;
//     IV = sum over bins of (non-event share - event share) * WOE;
//   - smoothing: a bin with zero events or zero non-events gets `smoothing` (default 0.5) added
//     to both of its counts, and the shares are then taken of the adjusted totals. Bins with
//     both counts non-zero are not adjusted, so the IV equals the textbook value whenever no
//     bin is empty.
//
// Numeric binning, over the non-missing training values:
//   - quantile: edges at the j/bins quantiles (linear interpolation, numpy's default),
//     de-duplicated; bins are (lower, upper], the first open to -inf and the last to +inf;
//     empty bins are dropped.
//   - monotonic: start from `fine_bins` quantile bins; merge each bin with fewer than
//     `min_bin_events` events or non-events or less than `min_bin_share` of the rows into the
//     neighbour with the closer event rate; pool adjacent violators until the event rate (hence
//     the WOE) is monotonic (trying both directions and keeping the one with the larger IV);
//     then merge the closest adjacent pair until at most `max_bins` remain.
//   Missing values (NaN) get a bin of their own when the training rows have any.
// Categorical binning: one bin per category seen in training, in lexical order; categories with
// less than `min_bin_share` of the rows are pooled into one "other" bin; missing values get a
// bin of their own. At transform time an unseen category takes the "other" bin's WOE if there is
// one, else `default_woe` (0: average risk); so does a missing value when training had none.
//
// Thread-compatible value types.

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::features {

enum class WoeBinningMethod { kQuantile, kMonotonic };

struct WoeOptions {
  WoeBinningMethod method = WoeBinningMethod::kMonotonic;
  int bins = 10;       // quantile: number of bins; monotonic: the most bins kept
  int fine_bins = 20;  // monotonic: the quantile bins it starts from
  double min_bin_share = 0.05;
  int64_t min_bin_events = 1;  // monotonic only: least events and non-events per bin
  double smoothing = 0.5;
};

enum class WoeBinKind {
  kRange,       // numeric: (lower, upper]
  kCategories,  // categorical: the listed categories
  kOther,       // categorical: the pooled rare categories (also unseen ones at transform time)
  kMissing,     // missing values
};

struct WoeBin {
  WoeBinKind kind = WoeBinKind::kRange;
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
  std::vector<std::string> categories;  // kCategories and kOther
  int64_t count = 0;
  int64_t events = 0;
  int64_t non_events = 0;
  double event_rate = 0;  // events / count, unsmoothed
  double woe = 0;
  double iv = 0;  // this bin's term of the IV
};

struct WoeBinning {
  bool numeric = true;
  // Numeric: the range bins in ascending order, then the missing bin if any. Categorical: the
  // category bins, then "other" and "missing" if any.
  std::vector<WoeBin> bins;
  int64_t events = 0;
  int64_t non_events = 0;
  double iv = 0;
  double default_woe = 0;
  // Numeric: whether the WOE of the range bins is monotonic (always true for kMonotonic).
  bool monotonic = false;

  // {"numeric":…, "iv":…, "bins":[{"kind":"range","lower":…,"upper":…,"count":…,…}]}; infinite
  // edges are written as the strings "-inf" / "inf", and every double round-trips exactly.
  Json ToJson() const;
  // InvalidArgument naming `path` and the bad field.
  static absl::StatusOr<WoeBinning> FromJson(const Json& json, const std::string& path);
};

// Fits numeric bins. `values` NaN = missing; `target` 0/1, same length. InvalidArgument when the
// lengths differ, a target is not 0/1, or the rows hold no events or no non-events.
absl::StatusOr<WoeBinning> FitNumericWoe(std::span<const double> values,
                                         std::span<const double> target,
                                         const WoeOptions& options);

// Fits categorical bins. `present[i]` == 0 marks a missing value. Errors as `FitNumericWoe`.
absl::StatusOr<WoeBinning> FitCategoricalWoe(std::span<const std::string_view> values,
                                             std::span<const uint8_t> present,
                                             std::span<const double> target,
                                             const WoeOptions& options);

// Sets `woe`, `iv` and `event_rate` of every bin and the total `iv` from the counts.
void ComputeWoe(double smoothing, WoeBinning* binning);

}  // namespace lepton::features
