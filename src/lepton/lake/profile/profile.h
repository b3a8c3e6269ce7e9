#pragma once
// Dataset profiling: per-column statistics and data-quality alerts for one table version,
// computed in a single streaming pass with bounded memory.
//
//   Profiler profiler(schema, ProfileOptions{});
//   for (const RecordBatch& b : batches) LEPTON_RETURN_IF_ERROR(profiler.Add(b));
//   Profile p = profiler.Finish();
//   Json j = ProfileToJson(p);           // for the API
//   std::string t = ProfileToTable(p);   // for the CLI
//
// Per column (sketches.h documents their accuracy):
//   - count, nulls, NaNs (floating point; excluded from every numeric statistic);
//   - distinct non-null values: exact while at most `exact_distinct_limit` distinct values were
//     seen, then a HyperLogLog estimate (precision 14: ~0.8% standard error);
//   - min / max for numerics, dates, timestamps and strings (bytewise), and the true share for
//     bools (as `mean`);
//   - numerics (int32, int64, float, double): mean, sample standard deviation (n - 1) and
//     population skewness (g1 = m3 / m2^1.5) by Welford's online updates; quantiles and a
//     `histogram_bins` equal-width histogram over [min, max] from a reservoir sample of
//     `quantile_sample_size` values (exact up to that many values; beyond, histogram counts are
//     the sample's scaled to the column's count, summing exactly to it);
//   - top values by count (space-saving over `top_k_candidates` counters): always for strings
//     and bools; for other types only while exact (at most `top_k_candidates` distinct values),
//     i.e. for low-cardinality columns.
// Per table: rows, and duplicate rows (rows minus distinct rows, by a 64-bit hash of each whole
// row): exact while at most `exact_row_hash_limit` distinct rows were seen (up to 64-bit hash
// collisions), then estimated from a HyperLogLog of the row hashes (its ~0.8% error is relative
// to the number of distinct rows, so small duplicate counts in big tables become noise).
//
// Memory per column: 2^hll_precision bytes (16 KiB) + up to `exact_distinct_limit` hashes
// (~64 KiB) + `top_k_candidates` values, and for numerics the reservoir (8 bytes per sampled
// value: 800 KiB at the default); per table up to `exact_row_hash_limit` row hashes (~16 MiB).
//
// Thread-compatible: one `Profiler` is fed by one thread at a time; `Profile` is a plain value.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"

namespace lepton::lake::profile {

struct ProfileOptions {
  // Sketch sizes.
  int hll_precision = 14;                 // 2^14 one-byte registers per column
  int64_t exact_distinct_limit = 4096;    // exact distinct counts up to this many values
  int64_t quantile_sample_size = 100000;  // reservoir per numeric column (8 bytes each)
  int histogram_bins = 20;
  int top_k = 10;                          // top values reported
  int top_k_candidates = 64;               // counters tracked (>= top_k)
  int64_t exact_row_hash_limit = 1 << 20;  // exact duplicate rows up to this many distinct rows
  std::vector<double> quantiles = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};
  uint64_t seed = 42;  // reservoir sampling

  // Alert thresholds.
  double max_missing_share = 0.2;              // high_missing: nulls / count > this
  double high_cardinality_share = 0.5;         // high_cardinality (strings): distinct / non-null >
  int64_t high_cardinality_min_distinct = 50;  //   this share and distinct > this
  double max_abs_skewness = 2.0;               // skewed (numerics): |skewness| > this
  int64_t max_duplicate_rows = 0;              // duplicate_rows: duplicates > this
  int64_t id_min_rows = 10;                    // likely_id: at least this many rows, no nulls, all
                                               //   distinct (>= 99% when estimated), int or string
};

// InvalidArgument naming the first out-of-range option (non-positive sizes, quantiles outside
// [0, 1], `hll_precision` outside [4, 18], `top_k_candidates` < `top_k`).
absl::Status ValidateOptions(const ProfileOptions& options);

// A typed value: bools as bool, integers, dates (days) and timestamps (microseconds) as int64,
// floating point as double, strings as string. The column type says how to read it.
using Scalar = std::variant<bool, int64_t, double, std::string>;

struct Quantile {
  double q = 0;
  double value = 0;
};

struct HistogramBin {
  double lower = 0;  // inclusive
  double upper = 0;  // exclusive, except for the last bin
  int64_t count = 0;
};

struct TopValue {
  Scalar value;
  int64_t count = 0;
};

struct ColumnProfile {
  std::string name;
  DataType type = DataType::kString;
  int64_t count = 0;  // rows, nulls included
  int64_t null_count = 0;
  int64_t nan_count = 0;  // float / double NaNs (not nulls)
  int64_t distinct = 0;   // distinct non-null values
  bool distinct_exact = true;
  std::optional<Scalar> min;
  std::optional<Scalar> max;
  // Numerics (and the true share for bools): unset without values.
  std::optional<double> mean;
  std::optional<double> std;        // sample standard deviation; unset below 2 values
  std::optional<double> skewness;   // unset below 3 values or with zero variance
  std::vector<Quantile> quantiles;  // numerics only, in `ProfileOptions::quantiles` order
  bool quantiles_exact = true;
  std::vector<HistogramBin> histogram;  // numerics only
  std::vector<TopValue> top_values;     // by count descending, then value ascending
  bool top_values_exact = true;

  double null_share() const {
    return count == 0 ? 0 : static_cast<double>(null_count) / static_cast<double>(count);
  }
  // The q-quantile if it was requested, else nullopt.
  std::optional<double> QuantileAt(double q) const;
};

// Data-quality alerts (thresholds in `ProfileOptions`):
//   kHighMissing      column: null share > `max_missing_share` (default 20%); value = share
//   kConstant         column: exactly one distinct non-null value; value = 1
//   kHighCardinality  string column: distinct / non-null > 0.5 and distinct > 50, unless it is
//                     a likely ID (which says more); value = distinct
//   kSkewed           numeric column: |skewness| > 2; value = skewness
//   kDuplicateRows    table (column ""): duplicate rows > 0; value = duplicates
//   kLikelyId         int32 / int64 / string column of >= 10 rows, no nulls, all values
//                     distinct (>= 99% of rows once estimated); value = distinct
enum class AlertKind {
  kHighMissing,
  kConstant,
  kHighCardinality,
  kSkewed,
  kDuplicateRows,
  kLikelyId
};
// "high_missing", "constant", "high_cardinality", "skewed", "duplicate_rows", "likely_id".
std::string_view AlertKindName(AlertKind kind);

struct Alert {
  std::string column;  // empty for table-level alerts (duplicate_rows)
  AlertKind kind = AlertKind::kHighMissing;
  std::string message;
  double value = 0;  // the measured quantity: share, distinct count, skewness or duplicates
};

struct Profile {
  int64_t version = -1;  // the table version profiled (set by `Lake::Profile`), or -1
  int64_t rows = 0;
  int64_t duplicate_rows = 0;
  bool duplicate_rows_exact = true;
  std::vector<ColumnProfile> columns;  // in schema order
  std::vector<Alert> alerts;           // table alerts first, then by column order

  // The column called `name`, or nullptr.
  const ColumnProfile* Find(std::string_view name) const;
  // Whether an alert of `kind` exists for `column` ("" for table alerts).
  bool HasAlert(std::string_view column, AlertKind kind) const;
};

// Streams record batches into a `Profile` (see the file comment).
class Profiler {
 public:
  // Invalid `options` (see `ValidateOptions`) make every `Add` fail.
  Profiler(const Schema& schema, ProfileOptions options);
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  // Folds the rows of `batch` into the profile. InvalidArgument when the options are invalid or
  // the batch's column names and types differ from the schema's (nothing is added then).
  absl::Status Add(const RecordBatch& batch);

  // The profile of everything added, with alerts. The profiler may keep receiving batches.
  Profile Finish() const;

 private:
  struct ColumnState;
  Schema schema_;
  ProfileOptions options_;
  absl::Status options_status_;
  int64_t rows_ = 0;
  std::vector<std::unique_ptr<ColumnState>> columns_;
  struct RowState;
  std::unique_ptr<RowState> row_state_;
};

// Profiles all of `batches` (which must share `schema`). Errors as `Profiler::Add`.
absl::StatusOr<Profile> ProfileBatches(const Schema& schema,
                                       const std::vector<RecordBatch>& batches,
                                       const ProfileOptions& options = {});

// The alerts `profile` deserves under `options` (`Finish` already fills `Profile::alerts`).
std::vector<Alert> ComputeAlerts(const Profile& profile, const ProfileOptions& options);

// JSON for the API:
// {"version": 3 (null when -1), "rows": 1000, "duplicate_rows": 0, "duplicate_rows_exact": true,
//  "columns": [{"name", "type", "count", "null_count", "null_share", "nan_count", "distinct",
//               "distinct_exact", "min", "max", "mean", "std", "skewness",
//               "quantiles": [{"q": 0.5, "value": 38}], "quantiles_exact",
//               "histogram": [{"lower", "upper", "count"}],
//               "top_values": [{"value", "count"}], "top_values_exact"}, …],
//  "alerts": [{"column", "kind", "message", "value"}]}
// Every key is always present (null when not applicable). Numbers are JSON numbers (non-finite
// ones null); min, max and top values of dates are "YYYY-MM-DD" and of timestamps
// "YYYY-MM-DDTHH:MM:SS.ffffffZ"; table-level alerts have "column": null.
Json ProfileToJson(const Profile& profile);

// A fixed-width text table for the CLI: a header line with the row and duplicate counts, one row
// per column (name, type, nulls %, distinct, min, max, mean, std, p50; long cells are cut with
// ".."), then the alerts, one per line.
std::string ProfileToTable(const Profile& profile);

// `value` as text for display: dates and timestamps in ISO 8601, doubles with up to 6
// significant digits, strings as they are.
std::string FormatScalar(const Scalar& value, DataType type);

}  // namespace lepton::lake::profile
