#pragma once
// A seeded random source whose output is the same on every platform and standard library:
// std::mt19937_64 is fully specified by the standard, but std::shuffle and the std::*_distribution
// classes are not, so the draws below are built from its raw 64-bit output. Not thread-safe.

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace lepton::ml::internal {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n) without modulo bias; `n` > 0.
  uint64_t Below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
      x = engine_();
    } while (x >= limit);
    return x % n;
  }

  // Fisher-Yates shuffle.
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace lepton::ml::internal
