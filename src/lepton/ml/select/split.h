#pragma once
// Train/test splits and cross-validation folds as row-index vectors, independent of any learner:
// callers take the rows with `FeatureMatrix::Take` and fit their feature pipeline on the training
// indices only, which is what keeps statistics of held-out rows out of the model.
//
// Every function is deterministic: the same arguments (and `seed`) give the same indices on
// every platform (see internal/random.h); different seeds give different shuffles. Index vectors
// are returned in ascending row order. Pure functions, safe to call concurrently.
//
// Errors are InvalidArgument: no rows, `test_fraction` outside (0, 1) or leaving either side
// empty, `k` outside [2, rows], a NaN label or key, and for stratification a class with too few
// rows (named in the message).

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::ml {

struct TrainTestSplit {
  std::vector<int64_t> train;
  std::vector<int64_t> test;
  Json ToJson() const;  // {"train_rows", "test_rows"}
};

// One cross-validation fold: fit on `train`, score on `valid`.
struct Fold {
  std::vector<int64_t> train;
  std::vector<int64_t> valid;
};

// The test side gets ceil(test_fraction * rows) rows (as sklearn's `train_test_split`), chosen
// uniformly at random.
absl::StatusOr<TrainTestSplit> RandomSplit(int64_t rows, double test_fraction, uint64_t seed);

// As `RandomSplit`, but each class (distinct label value) is split in proportion: the test size
// of class c is the total test size times its share, rounded by largest remainder so that the
// sizes add up. Every class needs at least 2 rows.
absl::StatusOr<TrainTestSplit> StratifiedSplit(std::span<const double> labels,
                                               double test_fraction, uint64_t seed);

// Out-of-time split: the rows with the latest keys form the test side. The cut is placed so that
// ceil(test_fraction * rows) rows are at or after it, then moved so that rows sharing the key at
// the cut all go to the test side (a key never straddles the split); every training key is then
// strictly smaller than every test key. InvalidArgument when that leaves no training row.
absl::StatusOr<TrainTestSplit> TimeSplit(std::span<const int64_t> keys, double test_fraction);
absl::StatusOr<TrainTestSplit> TimeSplit(std::span<const double> keys, double test_fraction);
// Strings compare bytewise, so ISO-8601 dates and timestamps sort in time order.
absl::StatusOr<TrainTestSplit> TimeSplit(std::span<const std::string> keys,
                                         double test_fraction);

// `k` folds over a seeded shuffle of the rows: each row is in exactly one validation fold, fold
// sizes differ by at most one (the larger first, as sklearn's `KFold`).
absl::StatusOr<std::vector<Fold>> KFold(int64_t rows, int k, uint64_t seed);

// As `KFold`, but each class is spread evenly: every validation fold holds floor or ceil of
// (class rows / k) rows of every class, and fold sizes still differ by at most one. Every class
// needs at least `k` rows (a fold without a class cannot score AUC).
absl::StatusOr<std::vector<Fold>> StratifiedKFold(std::span<const double> labels, int k,
                                                  uint64_t seed);

}  // namespace lepton::ml
