#pragma once
// The reference profile saved with a model at training (the bundle's reference.json), and the
// comparison of served data against it — the drift monitoring of issue 6. Per input column a
// ml::ReferenceProfile (numeric: quantile bins and a bounded sample; string: top categories),
// and one for the model's score (binary: P(positive); regression: the value).
//
// JSON: {"rows": n, "columns": {name: profile}, "score": profile | null}.
// Drift: {"rows": n, "columns": {name: DriftResult}, "score": DriftResult | null}
// (ml/metrics/drift.h: PSI with its level, KS statistic and p-value for numbers).

#include <span>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"

namespace lepton::train {

// `scores` one per row, or empty (multiclass: no score profile). InvalidArgument for no rows.
absl::StatusOr<Json> BuildReference(const lake::RecordBatch& inputs, std::span<const double> scores);

// Compares `current` (the same columns; extra ones ignored, missing ones skipped) and its
// `scores` with `reference`. InvalidArgument for no rows or a malformed reference.
absl::StatusOr<Json> CompareToReference(const Json& reference, const lake::RecordBatch& current,
                                        std::span<const double> scores);

}  // namespace lepton::train
