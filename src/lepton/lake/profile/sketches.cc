#include "lepton/lake/profile/sketches.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "lepton/base/status.h"

namespace lepton::lake::profile {

uint64_t HashDouble(double v, uint64_t seed) {
  if (v == 0) v = 0;  // -0.0 == 0.0
  if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return Mix64(bits ^ (seed * 0xc2b2ae3d27d4eb4fULL + 0x165667b19e3779f9ULL));
}

uint64_t HashBytes(std::string_view s, uint64_t seed) {
  constexpr uint64_t kMul = 0x9fb21c651e98df25ULL;
  uint64_t h = seed ^ (static_cast<uint64_t>(s.size()) * 0x9e3779b97f4a7c15ULL);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (std::rotl(h ^ Mix64(w), 29) + 0x52dce729ULL) * kMul;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (std::rotl(h ^ Mix64(w ^ (static_cast<uint64_t>(n) << 56)), 29) + 0x38495ab5ULL) * kMul;
  }
  return Mix64(h);
}

HyperLogLog::HyperLogLog(int precision)
    : precision_(std::clamp(precision, 4, 18)), registers_(size_t{1} << precision_, 0) {}

void HyperLogLog::Add(uint64_t hash) {
  const size_t index = static_cast<size_t>(hash >> (64 - precision_));
  const uint64_t rest = hash << precision_;
  const int rank = rest == 0 ? 64 - precision_ + 1 : std::countl_zero(rest) + 1;
  uint8_t& r = registers_[index];
  if (rank > r) r = static_cast<uint8_t>(rank);
}

void HyperLogLog::Merge(const HyperLogLog& other) {
  LEPTON_CHECK(other.precision_ == precision_);
  for (size_t i = 0; i < registers_.size(); ++i) {
    registers_[i] = std::max(registers_[i], other.registers_[i]);
  }
}

namespace {

// sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for x in [0, 1).
double Sigma(double x) {
  double y = 1;
  double z = x;
  for (;;) {
    x *= x;
    const double before = z;
    z += x * y;
    y += y;
    if (z == before) return z;
  }
}

// tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3, for x in [0, 1].
double Tau(double x) {
  if (x == 0 || x == 1) return 0;
  double y = 1;
  double z = 1 - x;
  for (;;) {
    x = std::sqrt(x);
    const double before = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
    if (z == before) return z / 3;
  }
}

}  // namespace

double HyperLogLog::Estimate() const {
  const int q = 64 - precision_;
  std::vector<int64_t> counts(static_cast<size_t>(q) + 2, 0);
  for (uint8_t r : registers_) ++counts[r];
  const double m = static_cast<double>(registers_.size());
  if (counts[0] == static_cast<int64_t>(registers_.size())) return 0;
  double z = m * Tau(1 - static_cast<double>(counts[static_cast<size_t>(q) + 1]) / m);
  for (int k = q; k >= 1; --k) {
    z = 0.5 * (z + static_cast<double>(counts[static_cast<size_t>(k)]));
  }
  z += m * Sigma(static_cast<double>(counts[0]) / m);
  constexpr double kAlphaInf = 0.72134752044448170368;  // 1 / (2 ln 2)
  return kAlphaInf * m * m / z;
}

ReservoirSample::ReservoirSample(int64_t capacity, uint64_t seed)
    : capacity_(std::max<int64_t>(capacity, 1)), rng_state_(seed) {}

uint64_t ReservoirSample::NextRandom() {
  uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void ReservoirSample::Add(double v) {
  ++seen_;
  if (seen_ <= capacity_) {
    values_.push_back(v);
    return;
  }
  const uint64_t j = NextRandom() % static_cast<uint64_t>(seen_);
  if (j < static_cast<uint64_t>(capacity_)) values_[static_cast<size_t>(j)] = v;
}

void ReservoirSample::Sort() { std::sort(values_.begin(), values_.end()); }

double ReservoirSample::Quantile(double q) const {
  if (values_.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const double pos = q * static_cast<double>(values_.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values_.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return values_[lo] + (values_[hi] - values_[lo]) * frac;
}

}  // namespace lepton::lake::profile
