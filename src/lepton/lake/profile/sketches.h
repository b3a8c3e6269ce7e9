#pragma once
// Bounded-memory streaming sketches used by the dataset profiler (profile.h), usable on their own:
//
//   - `Hash64*`: 64-bit hashes with full avalanche (a multiply-xorshift finalizer over 8-byte
//     words), deterministic across runs and platforms; the input to the sketches below.
//   - `HyperLogLog`: distinct counts in 2^p one-byte registers (p = 14: 16 KiB, relative standard
//     error 1.04 / sqrt(2^14) ~ 0.8%). The estimate uses Ertl's improved estimator ("New
//     cardinality estimation algorithms for HyperLogLog sketches", 2017), which is unbiased over
//     the whole range without empirical bias tables; small cardinalities come out close to exact.
//   - `ReservoirSample`: a uniform sample of at most `capacity` doubles (Vitter's algorithm R with
//     a seeded generator, so the same input order gives the same sample). Quantiles are exact
//     (linear interpolation between order statistics, numpy's default) while at most `capacity`
//     values were seen; beyond, the rank error of a quantile q has standard deviation
//     sqrt(q (1 - q) / capacity), i.e. at most 0.16% of the rank for 100,000 samples.
//   - `SpaceSaving`: the heavy hitters of a stream with `capacity` counters (Metwally et al.).
//     Counts are exact while at most `capacity` distinct keys were seen (`exact()`); beyond, each
//     reported count overestimates the true one by at most `error` <= n / capacity, and every key
//     with true count > n / capacity is among the counters.
//
// Thread-compatible: concurrent const access is safe; mutation needs external locking.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace lepton::lake::profile {

// Mixes the bits of `x` so that each input bit affects each output bit with probability ~1/2.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ULL;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dULL;
  x ^= x >> 33;
  return x;
}
// Hash of an integer (also used for bools, dates and timestamps).
inline uint64_t Hash64(int64_t v, uint64_t seed = 0) {
  return Mix64(static_cast<uint64_t>(v) ^ (seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL));
}
// Hash of a floating-point value; -0.0 hashes like 0.0 and all NaNs alike.
uint64_t HashDouble(double v, uint64_t seed = 0);
// Hash of the bytes of `s`.
uint64_t HashBytes(std::string_view s, uint64_t seed = 0);

// HyperLogLog distinct counter over 64-bit hashes (see the file comment).
class HyperLogLog {
 public:
  // `precision` in [4, 18]; values outside are clamped.
  explicit HyperLogLog(int precision = 14);

  // Adds one hashed item (the hash must be well mixed, e.g. from `Hash64`).
  void Add(uint64_t hash);
  // Folds `other` (same precision, checked) into this sketch.
  void Merge(const HyperLogLog& other);
  // The estimated number of distinct hashes added; 0 for an empty sketch.
  double Estimate() const;
  int precision() const { return precision_; }

 private:
  int precision_;
  std::vector<uint8_t> registers_;
};

// Uniform reservoir sample of doubles (see the file comment).
class ReservoirSample {
 public:
  // `capacity` >= 1 (clamped).
  explicit ReservoirSample(int64_t capacity, uint64_t seed = 42);

  void Add(double v);
  // Values offered so far.
  int64_t seen() const { return seen_; }
  // True while every offered value is kept.
  bool exact() const { return seen_ <= capacity_; }
  // The sample (unordered until `Sort`).
  const std::vector<double>& values() const { return values_; }
  // Sorts the sample ascending; call before `Quantile`. Adding afterwards is allowed (the order is
  // then lost until the next `Sort`).
  void Sort();
  // The q-quantile (q in [0, 1], clamped) of the sorted sample, interpolating linearly between
  // order statistics; 0 for an empty sample. Precondition: `Sort` since the last `Add`.
  double Quantile(double q) const;

 private:
  uint64_t NextRandom();

  int64_t capacity_;
  uint64_t rng_state_;
  int64_t seen_ = 0;
  std::vector<double> values_;
};

// Space-saving heavy hitters (see the file comment). `Key` must be hashable by absl.
template <typename Key>
class SpaceSaving {
 public:
  struct Entry {
    Key key;
    int64_t count = 0;  // an upper bound of the true count (exact when `exact()`)
    int64_t error = 0;  // count - error is a lower bound
  };

  // `capacity` >= 1 (clamped).
  explicit SpaceSaving(int capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // Counts one occurrence of `key`; `K` is `Key` or a type the map can look up with
  // heterogeneously and `Key` can be explicitly built from (absl::string_view for strings).
  template <typename K>
  void Add(const K& key) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      ++entries_[it->second].count;
      return;
    }
    if (static_cast<int>(entries_.size()) < capacity_) {
      index_.emplace(Key(key), entries_.size());
      entries_.push_back({Key(key), 1, 0});
      return;
    }
    // Replace the smallest counter; the newcomer inherits its count as possible error.
    evicted_ = true;
    size_t min_i = 0;
    for (size_t i = 1; i < entries_.size(); ++i) {
      if (entries_[i].count < entries_[min_i].count) min_i = i;
    }
    Entry& e = entries_[min_i];
    index_.erase(e.key);
    e.key = Key(key);
    e.error = e.count;
    e.count += 1;
    index_.emplace(e.key, min_i);
  }
  // True while no counter was ever replaced (at most `capacity` distinct keys seen).
  bool exact() const { return !evicted_; }
  // The tracked keys, unordered.
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  int capacity_;
  bool evicted_ = false;
  std::vector<Entry> entries_;
  absl::flat_hash_map<Key, size_t> index_;
};

}  // namespace lepton::lake::profile
