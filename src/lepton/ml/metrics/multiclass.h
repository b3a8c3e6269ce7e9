#pragma once
// Evaluation metrics for multiclass classifiers, matching scikit-learn (1.2): `accuracy_score`,
// `precision_recall_fscore_support` / `classification_report` (macro, micro, weighted averages),
// `confusion_matrix` and `log_loss(labels=range(k))`.
//
// Inputs: `labels` are class indices 0..k-1 (as doubles, like `LabeledData::y`); `probs` holds
// rows * k probabilities, row-major (what `Learner::Predict` returns for multiclass); the
// predicted class is the first arg-max of a row (numpy's `argmax`). `weights` is empty or one
// non-negative weight per row. Per-class ratios with a zero denominator are 0 (sklearn's
// `zero_division="warn"`). Pure functions, safe to call concurrently.

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/ml/metrics/binary.h"

namespace lepton::ml {

struct ClassMetrics {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  double support = 0;  // (weighted) rows whose true class this is
};

struct MulticlassReport {
  int num_classes = 0;
  int64_t rows = 0;
  double accuracy = 0;
  ClassMetrics macro;     // unweighted mean over classes; support = all rows
  ClassMetrics micro;     // from pooled counts (equals accuracy when every row has one class)
  ClassMetrics weighted;  // mean over classes weighted by support
  std::vector<ClassMetrics> per_class;
  // confusion[t][p]: (weighted) rows of true class t predicted as p.
  std::vector<std::vector<double>> confusion;
  double log_loss = 0;
  // {"num_classes", "rows", "accuracy", "macro": {"precision", "recall", "f1", "support"},
  //  "micro": {...}, "weighted": {...}, "per_class": [{...}, ...], "confusion_matrix": [[...]],
  //  "log_loss"}
  Json ToJson() const;
};

// Everything above. `num_classes` >= 2 and `probs.size() == labels.size() * num_classes`.
// InvalidArgument: no rows, mismatched lengths, a label that is not an integer in
// [0, num_classes), a probability outside [0, 1] or NaN, a bad weight, eps outside [0, 0.5).
absl::StatusOr<MulticlassReport> EvaluateMulticlass(std::span<const double> labels,
                                                    std::span<const double> probs,
                                                    int num_classes,
                                                    std::span<const double> weights = {},
                                                    double log_loss_eps = kLogLossEps);

// Mean negative log-likelihood of the true class after clipping each probability to
// [eps, 1 - eps] and renormalising the row (sklearn `log_loss`). Same errors as above.
absl::StatusOr<double> MulticlassLogLoss(std::span<const double> labels,
                                         std::span<const double> probs, int num_classes,
                                         std::span<const double> weights = {},
                                         double eps = kLogLossEps);

}  // namespace lepton::ml
