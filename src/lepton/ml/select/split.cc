#include "lepton/ml/select/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/select/internal/random.h"

namespace lepton::ml {

namespace {

using internal::Rng;

// ceil(test_fraction * rows) as sklearn computes it, with a little slack so that 0.2 * 1000
// is 200 even if the product rounds up by an ulp.
absl::StatusOr<int64_t> TestSize(int64_t rows, double test_fraction) {
  if (rows <= 0) return absl::InvalidArgumentError("split: no rows");
  if (!(test_fraction > 0 && test_fraction < 1)) {
    return absl::InvalidArgumentError(
        StrCat("split: test_fraction ", test_fraction, " must be within (0, 1)"));
  }
  const int64_t n_test =
      static_cast<int64_t>(std::ceil(test_fraction * static_cast<double>(rows) - 1e-9));
  if (n_test < 1 || n_test >= rows) {
    return absl::InvalidArgumentError(StrCat("split: test_fraction ", test_fraction, " of ", rows,
                                             " rows leaves one side empty"));
  }
  return n_test;
}

// Rows grouped by label value, classes in ascending label order.
absl::StatusOr<std::map<double, std::vector<int64_t>>> ByClass(std::string_view what,
                                                               std::span<const double> labels) {
  std::map<double, std::vector<int64_t>> classes;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (std::isnan(labels[i])) {
      return absl::InvalidArgumentError(StrCat(what, ": label at row ", i, " is NaN"));
    }
    classes[labels[i]].push_back(static_cast<int64_t>(i));
  }
  return classes;
}

TrainTestSplit FromTestMask(const std::vector<bool>& is_test) {
  TrainTestSplit s;
  for (size_t i = 0; i < is_test.size(); ++i) {
    (is_test[i] ? s.test : s.train).push_back(static_cast<int64_t>(i));
  }
  return s;
}

template <typename Key>
absl::StatusOr<TrainTestSplit> TimeSplitImpl(std::span<const Key> keys, double test_fraction) {
  LEPTON_ASSIGN_OR_RETURN(int64_t n_test,
                          TestSize(static_cast<int64_t>(keys.size()), test_fraction));
  if constexpr (std::is_floating_point_v<Key>) {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (std::isnan(keys[i])) {
        return absl::InvalidArgumentError(StrCat("time split: key at row ", i, " is NaN"));
      }
    }
  }
  std::vector<size_t> order(keys.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  const Key& cut = keys[order[keys.size() - static_cast<size_t>(n_test)]];
  std::vector<bool> is_test(keys.size());
  size_t train_rows = 0;
  for (size_t i = 0; i < keys.size(); ++i) {
    is_test[i] = !(keys[i] < cut);
    train_rows += is_test[i] ? 0 : 1;
  }
  if (train_rows == 0) {
    return absl::InvalidArgumentError(
        "time split: every row shares the earliest key of the test side, so no row is left to "
        "train on");
  }
  return FromTestMask(is_test);
}

std::vector<Fold> FoldsFromAssignment(const std::vector<int>& fold_of, int k) {
  std::vector<Fold> folds(k);
  for (size_t i = 0; i < fold_of.size(); ++i) {
    for (int f = 0; f < k; ++f) {
      (f == fold_of[i] ? folds[f].valid : folds[f].train).push_back(static_cast<int64_t>(i));
    }
  }
  return folds;
}

absl::Status CheckK(int64_t rows, int k) {
  if (rows <= 0) return absl::InvalidArgumentError("k-fold: no rows");
  if (k < 2 || k > rows) {
    return absl::InvalidArgumentError(
        StrCat("k-fold: k = ", k, " must be within [2, ", rows, "] (the number of rows)"));
  }
  return absl::OkStatus();
}

}  // namespace

Json TrainTestSplit::ToJson() const {
  return Json{{"train_rows", train.size()}, {"test_rows", test.size()}};
}

absl::StatusOr<TrainTestSplit> RandomSplit(int64_t rows, double test_fraction, uint64_t seed) {
  LEPTON_ASSIGN_OR_RETURN(int64_t n_test, TestSize(rows, test_fraction));
  std::vector<int64_t> perm(static_cast<size_t>(rows));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  Rng rng(seed);
  rng.Shuffle(perm);
  std::vector<bool> is_test(static_cast<size_t>(rows));
  for (int64_t i = 0; i < n_test; ++i) is_test[perm[i]] = true;
  return FromTestMask(is_test);
}

absl::StatusOr<TrainTestSplit> StratifiedSplit(std::span<const double> labels,
                                               double test_fraction, uint64_t seed) {
  const int64_t rows = static_cast<int64_t>(labels.size());
  LEPTON_ASSIGN_OR_RETURN(int64_t n_test, TestSize(rows, test_fraction));
  LEPTON_ASSIGN_OR_RETURN(auto classes, ByClass("stratified split", labels));
  // Largest-remainder allocation of the test rows over the classes (ties: lower label first).
  std::vector<int64_t> take;
  std::vector<std::pair<double, size_t>> remainders;
  int64_t allocated = 0;
  for (const auto& [label, members] : classes) {
    if (members.size() < 2) {
      return absl::InvalidArgumentError(StrCat("stratified split: class ", label, " has ",
                                               members.size(), " row; each class needs 2"));
    }
    const double exact = static_cast<double>(n_test) * static_cast<double>(members.size()) /
                         static_cast<double>(rows);
    const int64_t base = static_cast<int64_t>(std::floor(exact));
    remainders.emplace_back(exact - static_cast<double>(base), take.size());
    take.push_back(base);
    allocated += base;
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t r = 0; allocated < n_test && r < remainders.size(); ++r, ++allocated) {
    ++take[remainders[r].second];
  }
  Rng rng(seed);
  std::vector<bool> is_test(labels.size());
  size_t c = 0;
  for (auto& [label, members] : classes) {
    rng.Shuffle(members);
    for (int64_t i = 0; i < take[c]; ++i) is_test[members[i]] = true;
    ++c;
  }
  return FromTestMask(is_test);
}

absl::StatusOr<TrainTestSplit> TimeSplit(std::span<const int64_t> keys, double test_fraction) {
  return TimeSplitImpl(keys, test_fraction);
}
absl::StatusOr<TrainTestSplit> TimeSplit(std::span<const double> keys, double test_fraction) {
  return TimeSplitImpl(keys, test_fraction);
}
absl::StatusOr<TrainTestSplit> TimeSplit(std::span<const std::string> keys,
                                         double test_fraction) {
  return TimeSplitImpl(keys, test_fraction);
}

absl::StatusOr<std::vector<Fold>> KFold(int64_t rows, int k, uint64_t seed) {
  LEPTON_RETURN_IF_ERROR(CheckK(rows, k));
  std::vector<int64_t> perm(static_cast<size_t>(rows));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  Rng rng(seed);
  rng.Shuffle(perm);
  std::vector<int> fold_of(static_cast<size_t>(rows));
  int64_t pos = 0;
  for (int f = 0; f < k; ++f) {
    const int64_t size = rows / k + (f < rows % k ? 1 : 0);
    for (int64_t i = 0; i < size; ++i) fold_of[perm[pos++]] = f;
  }
  return FoldsFromAssignment(fold_of, k);
}

absl::StatusOr<std::vector<Fold>> StratifiedKFold(std::span<const double> labels, int k,
                                                  uint64_t seed) {
  LEPTON_RETURN_IF_ERROR(CheckK(static_cast<int64_t>(labels.size()), k));
  LEPTON_ASSIGN_OR_RETURN(auto classes, ByClass("stratified k-fold", labels));
  // Deal the shuffled members of each class, class after class, round-robin over the folds:
  // a class's members occupy consecutive deal positions, so each fold gets floor or ceil of
  // its share, and the whole deal is round-robin, so fold sizes differ by at most one.
  Rng rng(seed);
  std::vector<int> fold_of(labels.size());
  int64_t pos = 0;
  for (auto& [label, members] : classes) {
    if (members.size() < static_cast<size_t>(k)) {
      return absl::InvalidArgumentError(StrCat("stratified k-fold: class ", label, " has ",
                                               members.size(), " rows, fewer than k = ", k));
    }
    rng.Shuffle(members);
    for (int64_t row : members) fold_of[row] = static_cast<int>(pos++ % k);
  }
  return FoldsFromAssignment(fold_of, k);
}

}  // namespace lepton::ml
