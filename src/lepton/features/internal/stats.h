#pragma once
// Small statistics helpers shared by the transformers.

#include <cmath>
#include <span>
#include <vector>

namespace lepton::features::internal {

// The `q` quantile (0..1) of ascending `sorted` (non-empty) with linear interpolation between
// closest ranks, as numpy's default.
inline double SortedQuantile(std::span<const double> sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = lo + 1 < sorted.size() ? lo + 1 : lo;
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

// The non-NaN values of `values`, ascending.
std::vector<double> SortedPresent(std::span<const double> values);

}  // namespace lepton::features::internal
