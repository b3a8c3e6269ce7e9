#pragma once
// The numeric input of every learner: what a fitted feature pipeline produces from a batch of
// rows, and what training and serving hand to a model. Row-major float32 (what XGBoost and
// libtorch consume without conversion), dense or CSR-sparse (hashed text features run to 2^18
// columns); NaN marks a missing value in dense matrices (XGBoost's default `missing`).
// Thread-compatible.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lepton::features {

struct FeatureMatrix {
  int64_t rows = 0;
  // One name per column, e.g. "age", "purpose=car", "text#hash1234".
  std::vector<std::string> columns;
  bool sparse = false;
  // Dense: rows * columns.size() values, row-major. Sparse (CSR): `values` holds the stored
  // entries, `col_indices` their columns (ascending within a row) and `row_offsets` (rows + 1
  // entries) where each row starts; absent entries are 0.
  std::vector<float> values;
  std::vector<uint32_t> col_indices;
  std::vector<int64_t> row_offsets;

  int64_t cols() const { return static_cast<int64_t>(columns.size()); }
  // Dense only: the values of row `r`.
  std::span<const float> Row(int64_t r) const {
    return {values.data() + r * cols(), static_cast<size_t>(cols())};
  }
  // The value at (r, c) for either layout (0 for an absent sparse entry).
  float At(int64_t r, int64_t c) const;
  // The rows at `indices`, in that order (for CV folds and splits).
  FeatureMatrix Take(std::span<const int64_t> indices) const;
};

}  // namespace lepton::features
