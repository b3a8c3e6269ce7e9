#include "lepton/train/importance.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::train {
namespace {

// Fisher-Yates with a 64-bit Mersenne twister: the same permutation on every platform
// (std::shuffle's algorithm is the library's choice).
void Shuffle(std::vector<uint32_t>& v, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng() % i);
    std::swap(v[i - 1], v[j]);
  }
}

uint64_t Mix(uint64_t seed, uint64_t a, uint64_t b) {
  uint64_t x = seed ^ (a * 0x9E3779B97F4A7C15ULL) ^ (b * 0xC2B2AE3D27D4EB4FULL);
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 29;
  return x;
}

lake::RecordBatch Take(const lake::RecordBatch& batch, std::span<const uint32_t> rows) {
  std::vector<lake::Column> columns;
  columns.reserve(batch.num_columns());
  for (const lake::Column& c : batch.columns()) {
    lake::Column out(c.type());
    out.AppendTake(c, rows);
    columns.push_back(std::move(out));
  }
  auto made = lake::RecordBatch::Make(batch.schema(), std::move(columns));
  LEPTON_CHECK(made.ok());  // same schema, equal lengths by construction
  return std::move(*made);
}

}  // namespace

Json PermutationImportance::ToJson() const {
  Json cols = Json::array();
  for (const ColumnImportance& c : columns) {
    cols.push_back({{"column", c.column}, {"mean", c.mean}, {"std", c.std}, {"drops", c.drops}});
  }
  return {{"metric", metric}, {"baseline", baseline}, {"rows", rows}, {"repeats", repeats},
          {"columns", std::move(cols)}};
}

absl::StatusOr<PermutationImportance> ComputePermutationImportance(
    const lake::RecordBatch& rows, const ScoreFn& score, const PermutationOptions& options) {
  if (rows.num_rows() == 0) return absl::InvalidArgumentError("permutation importance: no rows");
  if (options.repeats < 1) return absl::InvalidArgumentError("permutation importance: repeats must be >= 1");
  if (options.max_rows < 1) return absl::InvalidArgumentError("permutation importance: max_rows must be >= 1");

  // The rows used: all, or a seeded sample kept in ascending order.
  std::vector<uint32_t> sample(static_cast<size_t>(rows.num_rows()));
  std::iota(sample.begin(), sample.end(), 0u);
  if (rows.num_rows() > options.max_rows) {
    Shuffle(sample, Mix(options.seed, 0xFFFFFFFFULL, 0));
    sample.resize(static_cast<size_t>(options.max_rows));
    std::sort(sample.begin(), sample.end());
  }
  const lake::RecordBatch base = Take(rows, sample);
  const std::vector<int64_t> positions(sample.begin(), sample.end());

  PermutationImportance out;
  out.metric = options.metric;
  out.rows = static_cast<int64_t>(sample.size());
  out.repeats = options.repeats;
  LEPTON_ASSIGN_OR_RETURN(out.baseline, score(base, positions));

  std::vector<uint32_t> order(sample.size());
  for (size_t j = 0; j < base.num_columns(); ++j) {
    ColumnImportance ci;
    ci.column = base.schema().field(j).name;
    lake::RecordBatch shuffled = base;  // only column j is replaced below
    for (int k = 0; k < options.repeats; ++k) {
      std::iota(order.begin(), order.end(), 0u);
      Shuffle(order, Mix(options.seed, j + 1, static_cast<uint64_t>(k)));
      lake::Column permuted(base.column(j).type());
      permuted.AppendTake(base.column(j), order);
      shuffled.mutable_column(j) = std::move(permuted);
      LEPTON_ASSIGN_OR_RETURN(double value, score(shuffled, positions));
      ci.drops.push_back(options.maximize ? out.baseline - value : value - out.baseline);
    }
    const double n = static_cast<double>(ci.drops.size());
    ci.mean = std::accumulate(ci.drops.begin(), ci.drops.end(), 0.0) / n;
    double ss = 0;
    for (double d : ci.drops) ss += (d - ci.mean) * (d - ci.mean);
    ci.std = std::sqrt(ss / n);
    out.columns.push_back(std::move(ci));
  }
  std::stable_sort(out.columns.begin(), out.columns.end(),
                   [](const ColumnImportance& a, const ColumnImportance& b) { return a.mean > b.mean; });
  return out;
}

}  // namespace lepton::train
