#pragma once
// A feature pipeline: turns a `lake::RecordBatch` into the `FeatureMatrix` a learner consumes.
// It is built from a JSON spec (the "features" section of model_config.json), fitted on the
// training rows only, saved as JSON with the model, and restored at serving time to give
// bit-identical output.
//
// Spec (full reference with examples in docs/features.md):
//
//   {
//     "columns": [                                 // explicit columns, in output order
//       {"name": "age", "steps": [{"type": "impute", "strategy": "median",
//                                  "add_indicator": true},
//                                 {"type": "standardize"}]},
//       {"names": ["duration", "credit_amount"],   // a group: same steps, fitted per column
//        "steps": [{"type": "woe", "binning": "monotonic"}]},
//       {"name": "purpose", "steps": [{"type": "one_hot", "min_frequency": 10}]}
//     ],
//     "auto": {                                    // optional: all other columns, by type
//       "exclude": ["class", "id"],                // e.g. the target and id columns
//       "numeric": [{"type": "impute", "strategy": "mean"}],   // int32/int64/float/double
//       "bool": [],                                // falls back to "numeric" when absent
//       "string": [{"type": "one_hot"}],
//       "date": [{"type": "date_parts"}]           // date and timestamp columns
//     }                                            // a type without a rule is left out
//   }
//
// Steps (each an object with "type" and its parameters; defaults in brackets):
//   impute       strategy: mean|median|mode|constant (required), value (for constant: number
//                or string), add_indicator [false] -> extra 0/1 column "<col>:missing".
//                mean/median numeric only; mode/constant also strings. A column with no
//                present training value imputes 0 (mode of strings: "").
//   standardize  with_mean [true], with_std [true]; population std over present values;
//                a constant column gets scale 1.
//   min_max      min [0], max [1].
//   log          log1p(x); negative: error|nan|clip|signed ["error"]. "error" fails `Fit` on a
//                negative training value; at transform time a negative value then gives NaN
//                (serving never fails on a value). clip: log1p(max(x, 0)); signed:
//                sign(x) * log1p(|x|).
//   clip         lower / upper (fixed), or lower_quantile / upper_quantile in [0, 1] (fitted).
//   one_hot      (strings) min_frequency [1], max_categories [none]: rarer categories share a
//                "<col>=__rare__" column; unseen ones (and missing ones, when training had none)
//                go to "<col>=__unknown__". Missing values are the category "__missing__".
//                Columns: kept categories in lexical order, then __rare__ (if any), __unknown__.
//   ordinal      (strings) order: lexical|frequency ["lexical"] or categories: [explicit list];
//                unknown: minus_one|nan ["minus_one"] for unseen categories; missing -> NaN.
//   woe          (numeric or strings; needs the 0/1 target) binning: monotonic|quantile,
//                bins [8 monotonic / 10 quantile], fine_bins [20], min_bin_share [0.05],
//                min_bin_events [1], smoothing [0.5]. See woe.h for the algorithms.
//   tfidf        (strings, sparse) ngram_range [[1,1]], lowercase [true], min_df [1], max_df
//                [1.0] (integer = document count, float = share), max_features, sublinear_tf
//                [false], use_idf [true], smooth_idf [true], norm: l2|l1|none ["l2"].
//                Columns "<col>#<term>" in lexical order. Matches sklearn's TfidfVectorizer.
//   hash         (strings, sparse) n_bits [18] -> 2^n_bits columns "<col>#hash<i>",
//                ngram_range, lowercase, alternate_sign [true], norm ["l2"]. Matches sklearn's
//                HashingVectorizer.
//   date_parts   (date/timestamp) parts ["year","month","day","day_of_week"] from year, month,
//                day, day_of_week (Monday 0), day_of_year, quarter, hour, minute, second,
//                is_weekend, epoch_days; UTC. Columns "<col>:<part>".
// Chains: one_hot, tfidf, hash and date_parts must be last; ordinal and woe turn strings into
// numbers that later steps may scale. A numeric chain outputs one column named after the
// column (woe: "<col>:woe", ordinal: "<col>:ordinal"); a string or date chain must end with
// an encoder. Missing numeric values stay NaN unless imputed.
//
// Output: dense row-major unless a tfidf or hash step is present; then the whole matrix is CSR,
// with every dense-part value stored explicitly (zeros and NaN too) and text values only where
// non-zero.
//
// Thread-safety: `Transform*`, `ToJson`, `Report` and the accessors are const and may run
// concurrently; `Fit` may not run concurrently with anything.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/features/matrix.h"
#include "lepton/features/woe.h"
#include "lepton/lake/column.h"

namespace lepton::features {

namespace internal {
class Chain;
}  // namespace internal

// The fitted WOE bins of one column, for scorecards.
struct WoeFeature {
  std::string column;         // input column
  std::string output_column;  // its column in the feature matrix
  WoeBinning binning;
};

class Pipeline {
 public:
  // Validates `spec` (the schema above). InvalidArgument naming the JSON path under
  // `path` and what was expected, e.g.
  // `features.columns[1].steps[0].strategy: expected one of "mean", …, got "avg"`.
  static absl::StatusOr<Pipeline> Create(const Json& spec, std::string path = "features");

  // Restores a pipeline saved by `ToJson` (fitted). InvalidArgument naming the bad path.
  static absl::StatusOr<Pipeline> FromJson(const Json& saved);

  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  ~Pipeline();

  // Fits every step on `rows` only, replacing any earlier fit (nothing of it is kept).
  // `target` is one 0/1 value per row when a woe step is present, otherwise it may be empty.
  // InvalidArgument: a listed column missing from `rows` or of a type its steps cannot take
  // (naming the column and the spec path), a bad target, or a step's own fit error.
  absl::Status Fit(const lake::RecordBatch& rows, std::span<const double> target);
  bool fitted() const { return fitted_; }

  // Transforms `batch` (rows in order). Columns are found by name; extra columns are ignored;
  // numeric types (bool, int32, int64, float, double) are interchangeable, and date and
  // timestamp are. InvalidArgument naming the column when one is missing or of the wrong
  // type; FailedPrecondition before `Fit`. Unseen categories never fail.
  absl::StatusOr<FeatureMatrix> Transform(const lake::RecordBatch& batch) const;
  // As `Transform`, into `*out`, reusing its buffers (for per-request serving).
  absl::Status TransformInto(const lake::RecordBatch& batch, FeatureMatrix* out) const;

  // Output column names (after `Fit`).
  const std::vector<std::string>& output_columns() const { return output_columns_; }
  bool sparse_output() const { return sparse_; }
  // The input columns and their training types (after `Fit`), for validating requests.
  const std::vector<lake::Field>& input_signature() const { return inputs_; }
  // For each output column (after `Fit`), the index in `input_signature()` of the input column
  // it is computed from: every "purpose=…" one-hot column, a "<col>:missing" indicator and the
  // "<col>#<term>" TF-IDF columns map to their column's index. Empty before `Fit`.
  std::vector<int> OutputSources() const;
  // OK when `schema` has every input column with a compatible type, else InvalidArgument
  // naming the first offending column.
  absl::Status ValidateInput(const lake::Schema& schema) const;

  // The spec the pipeline was created from.
  const Json& spec() const { return spec_; }
  // The fitted state: {"format": "lepton.features.pipeline/1", "spec": …, "inputs": […],
  // "chains": [{"column", "type", "steps": [{"config": …, "fitted": …}]}]}. Doubles round-trip
  // exactly. FailedPrecondition-free: an unfitted pipeline gives an empty "chains".
  Json ToJson() const;
  // What was learned, for people: per column its steps' fitted values (imputation values,
  // scaler statistics, categories, vocabulary sizes, WOE bins), plus "iv": columns by IV.
  Json Report() const;
  // The fitted WOE binnings, in output order.
  std::vector<WoeFeature> WoeBinnings() const;

 private:
  Pipeline();

  Json spec_;
  std::string path_;
  bool fitted_ = false;
  bool sparse_ = false;
  std::vector<std::unique_ptr<internal::Chain>> chains_;
  std::vector<lake::Field> inputs_;
  std::vector<std::string> output_columns_;
};

}  // namespace lepton::features
