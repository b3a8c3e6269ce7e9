#pragma once
// Permutation importance (Breiman 2001; scikit-learn's `permutation_importance`): how much a
// metric worsens when one input column's values are shuffled across the rows, which breaks the
// column's link to the target but keeps its distribution. It needs only predictions, so it
// explains every learner the same way (MLP and TorchScript included), and it works on the raw
// input columns, before the feature pipeline, so one-hot or TF-IDF blocks count as one feature.
//
// Contracts:
//   - Deterministic for a given seed: repeat k of column j shuffles with a generator seeded
//     from (seed, j, k), so adding a column does not change the others' numbers.
//   - `drop` is "how much worse": baseline - permuted for a maximized metric (AUC, accuracy),
//     permuted - baseline for a minimized one (log loss, RMSE). Near zero or negative: the
//     model does not rely on the column (within noise).
//   - At most `max_rows` rows are used: a seeded sample when there are more.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"

namespace lepton::train {

struct PermutationOptions {
  std::string metric = "auc";  // reported with the result
  bool maximize = true;
  int repeats = 5;
  int64_t max_rows = 2000;
  uint64_t seed = 42;
};

struct ColumnImportance {
  std::string column;
  double mean = 0;                // mean drop over the repeats
  double std = 0;                 // population standard deviation of the drops
  std::vector<double> drops;      // one per repeat
};

struct PermutationImportance {
  std::string metric;
  double baseline = 0;            // the metric on the unshuffled rows
  int64_t rows = 0;               // rows used
  int repeats = 0;
  std::vector<ColumnImportance> columns;  // sorted by mean drop, largest first

  // {"metric", "baseline", "rows", "repeats", "columns": [{"column", "mean", "std", "drops"}]}.
  Json ToJson() const;
};

// The metric of the model on `rows`, whose row i is row `positions[i]` of the batch given to
// ComputePermutationImportance (so the caller picks the matching targets), with at most one
// column shuffled.
using ScoreFn = std::function<absl::StatusOr<double>(const lake::RecordBatch& rows,
                                                     std::span<const int64_t> positions)>;

// Scores every column of `rows`. Errors from `score` are returned as they are;
// InvalidArgument for no rows, repeats < 1 or max_rows < 1.
absl::StatusOr<PermutationImportance> ComputePermutationImportance(
    const lake::RecordBatch& rows, const ScoreFn& score, const PermutationOptions& options);

}  // namespace lepton::train
