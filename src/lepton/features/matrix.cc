#include "lepton/features/matrix.h"

#include <algorithm>

namespace lepton::features {

float FeatureMatrix::At(int64_t r, int64_t c) const {
  if (!sparse) return values[static_cast<size_t>(r * cols() + c)];
  const auto begin = col_indices.begin() + row_offsets[static_cast<size_t>(r)];
  const auto end = col_indices.begin() + row_offsets[static_cast<size_t>(r) + 1];
  const auto it = std::lower_bound(begin, end, static_cast<uint32_t>(c));
  if (it == end || *it != static_cast<uint32_t>(c)) return 0.0f;
  return values[static_cast<size_t>(it - col_indices.begin())];
}

FeatureMatrix FeatureMatrix::Take(std::span<const int64_t> indices) const {
  FeatureMatrix out;
  out.rows = static_cast<int64_t>(indices.size());
  out.columns = columns;
  out.sparse = sparse;
  if (!sparse) {
    out.values.reserve(indices.size() * static_cast<size_t>(cols()));
    for (int64_t r : indices) {
      std::span<const float> row = Row(r);
      out.values.insert(out.values.end(), row.begin(), row.end());
    }
    return out;
  }
  out.row_offsets.reserve(indices.size() + 1);
  out.row_offsets.push_back(0);
  for (int64_t r : indices) {
    const auto b = static_cast<size_t>(row_offsets[static_cast<size_t>(r)]);
    const auto e = static_cast<size_t>(row_offsets[static_cast<size_t>(r) + 1]);
    out.values.insert(out.values.end(), values.begin() + b, values.begin() + e);
    out.col_indices.insert(out.col_indices.end(), col_indices.begin() + b,
                           col_indices.begin() + e);
    out.row_offsets.push_back(static_cast<int64_t>(out.values.size()));
  }
  return out;
}

}  // namespace lepton::features
