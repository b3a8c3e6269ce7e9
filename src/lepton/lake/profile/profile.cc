#include "lepton/lake/profile/profile.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/profile/sketches.h"

namespace lepton::lake::profile {
namespace {

constexpr uint64_t kNullHash = 0x5bd1e9955bd1e995ULL;
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

bool IsNumeric(DataType t) {
  return t == DataType::kInt32 || t == DataType::kInt64 || t == DataType::kFloat ||
         t == DataType::kDouble;
}
bool IsFloating(DataType t) { return t == DataType::kFloat || t == DataType::kDouble; }

uint64_t DoubleKey(double v) {
  if (v == 0) v = 0;
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
double KeyDouble(uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// Exact set of hashes up to a limit, then nothing (the caller falls back to a HyperLogLog).
class BoundedHashSet {
 public:
  explicit BoundedHashSet(int64_t limit) : limit_(limit) {}
  // True when `h` was new (always true once overflowed).
  bool Insert(uint64_t h) {
    if (overflowed_) return true;
    const bool inserted = set_.insert(h).second;
    if (static_cast<int64_t>(set_.size()) > limit_) {
      overflowed_ = true;
      absl::flat_hash_set<uint64_t>().swap(set_);
    }
    return inserted;
  }
  bool overflowed() const { return overflowed_; }
  int64_t size() const { return static_cast<int64_t>(set_.size()); }

 private:
  int64_t limit_;
  bool overflowed_ = false;
  absl::flat_hash_set<uint64_t> set_;
};

// Rounds `fractions` (summing to `total`) to integers summing to `total`, largest remainder first.
std::vector<int64_t> RoundPreservingSum(const std::vector<double>& fractions, int64_t total) {
  std::vector<int64_t> out(fractions.size());
  std::vector<std::pair<double, size_t>> remainders;
  int64_t sum = 0;
  for (size_t i = 0; i < fractions.size(); ++i) {
    out[i] = static_cast<int64_t>(std::floor(fractions[i]));
    sum += out[i];
    remainders.push_back({fractions[i] - static_cast<double>(out[i]), i});
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; sum < total && k < remainders.size(); ++k, ++sum) ++out[remainders[k].second];
  return out;
}

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", share * 100);
  return buf;
}

}  // namespace

absl::Status ValidateOptions(const ProfileOptions& o) {
  auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(StrCat("profile options: ", what));
  };
  if (o.hll_precision < 4 || o.hll_precision > 18) return bad("hll_precision must be in [4, 18]");
  if (o.exact_distinct_limit < 0) return bad("exact_distinct_limit must be >= 0");
  if (o.quantile_sample_size < 1) return bad("quantile_sample_size must be >= 1");
  if (o.histogram_bins < 1) return bad("histogram_bins must be >= 1");
  if (o.top_k < 0) return bad("top_k must be >= 0");
  if (o.top_k_candidates < std::max(o.top_k, 1)) return bad("top_k_candidates must be >= top_k");
  if (o.exact_row_hash_limit < 0) return bad("exact_row_hash_limit must be >= 0");
  for (double q : o.quantiles) {
    if (!(q >= 0 && q <= 1)) return bad("quantiles must be in [0, 1]");
  }
  return absl::OkStatus();
}

std::optional<double> ColumnProfile::QuantileAt(double q) const {
  for (const Quantile& x : quantiles) {
    if (std::abs(x.q - q) < 1e-12) return x.value;
  }
  return std::nullopt;
}

std::string_view AlertKindName(AlertKind kind) {
  switch (kind) {
    case AlertKind::kHighMissing:
      return "high_missing";
    case AlertKind::kConstant:
      return "constant";
    case AlertKind::kHighCardinality:
      return "high_cardinality";
    case AlertKind::kSkewed:
      return "skewed";
    case AlertKind::kDuplicateRows:
      return "duplicate_rows";
    case AlertKind::kLikelyId:
      return "likely_id";
  }
  return "unknown";
}

const ColumnProfile* Profile::Find(std::string_view name) const {
  for (const ColumnProfile& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool Profile::HasAlert(std::string_view column, AlertKind kind) const {
  for (const Alert& a : alerts) {
    if (a.column == column && a.kind == kind) return true;
  }
  return false;
}

struct Profiler::ColumnState {
  ColumnState(DataType t, const ProfileOptions& o)
      : type(t), hll(o.hll_precision), exact(o.exact_distinct_limit) {
    if (IsNumeric(t)) sample.emplace(o.quantile_sample_size, o.seed);
    if (t == DataType::kString) {
      top_strings.emplace(o.top_k_candidates);
    } else {
      top_keys.emplace(o.top_k_candidates);
    }
  }

  void AddHash(uint64_t h) {
    hll.Add(h);
    exact.Insert(h);
  }
  void AddMoment(double x) {
    const double n1 = static_cast<double>(n);
    ++n;
    const double nd = static_cast<double>(n);
    const double delta = x - mean;
    const double delta_n = delta / nd;
    const double term1 = delta * delta_n * n1;
    mean += delta_n;
    m3 += term1 * delta_n * (nd - 2) - 3 * delta_n * m2;
    m2 += term1;
  }
  void AddInt(int64_t v) {
    if (!has_range) {
      imin = imax = v;
      has_range = true;
    } else {
      imin = std::min(imin, v);
      imax = std::max(imax, v);
    }
  }
  void AddDouble(double v) {
    if (!has_range) {
      dmin = dmax = v;
      has_range = true;
    } else {
      dmin = std::min(dmin, v);
      dmax = std::max(dmax, v);
    }
  }
  void AddString(std::string_view v) {
    if (!has_range) {
      smin = smax = std::string(v);
      has_range = true;
    } else if (v < smin) {
      smin = std::string(v);
    } else if (v > smax) {
      smax = std::string(v);
    }
  }

  DataType type;
  int64_t count = 0;
  int64_t nulls = 0;
  int64_t nans = 0;
  HyperLogLog hll;
  BoundedHashSet exact;
  bool has_range = false;
  int64_t imin = 0, imax = 0;
  double dmin = 0, dmax = 0;
  std::string smin, smax;
  int64_t n = 0;  // values in the moments
  double mean = 0, m2 = 0, m3 = 0;
  std::optional<ReservoirSample> sample;
  std::optional<SpaceSaving<uint64_t>> top_keys;  // bools, integers, dates, timestamps, doubles
  std::optional<SpaceSaving<std::string>> top_strings;
};

struct Profiler::RowState {
  RowState(const ProfileOptions& o) : hll(o.hll_precision), exact(o.exact_row_hash_limit) {}
  HyperLogLog hll;
  BoundedHashSet exact;
  int64_t duplicates = 0;  // while exact
  std::vector<uint64_t> hashes;
};

Profiler::Profiler(const Schema& schema, ProfileOptions options)
    : schema_(schema), options_(std::move(options)), options_status_(ValidateOptions(options_)) {
  if (!options_status_.ok()) return;
  for (const Field& f : schema_.fields()) {
    columns_.push_back(std::make_unique<ColumnState>(f.type, options_));
  }
  row_state_ = std::make_unique<RowState>(options_);
}

Profiler::~Profiler() = default;

absl::Status Profiler::Add(const RecordBatch& batch) {
  LEPTON_RETURN_IF_ERROR(options_status_);
  const Schema& s = batch.schema();
  if (s.size() != schema_.size() || batch.num_columns() != schema_.size()) {
    return absl::InvalidArgumentError(
        StrCat("profile: batch has ", batch.num_columns(), " columns, expected ", schema_.size()));
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.field(i).name != schema_.field(i).name || s.field(i).type != schema_.field(i).type ||
        batch.column(i).type() != schema_.field(i).type) {
      return absl::InvalidArgumentError(
          StrCat("profile: batch column ", i, " is \"", s.field(i).name, "\" ",
                 DataTypeName(s.field(i).type), ", expected \"", schema_.field(i).name, "\" ",
                 DataTypeName(schema_.field(i).type)));
    }
  }
  const int64_t rows = batch.num_rows();
  std::vector<uint64_t>& row_hashes = row_state_->hashes;
  row_hashes.assign(static_cast<size_t>(rows), kGolden);

  for (size_t c = 0; c < columns_.size(); ++c) {
    ColumnState& st = *columns_[c];
    const Column& col = batch.column(c);
    const uint64_t salt = (static_cast<uint64_t>(c) + 1) * kGolden;
    st.count += rows;
    for (int64_t r = 0; r < rows; ++r) {
      uint64_t h = kNullHash;
      if (col.IsNull(r)) {
        ++st.nulls;
      } else {
        switch (st.type) {
          case DataType::kBool: {
            const int64_t v = col.ValueAt<uint8_t>(r) != 0 ? 1 : 0;
            h = Hash64(v);
            st.AddInt(v);
            st.AddMoment(static_cast<double>(v));
            st.top_keys->Add(static_cast<uint64_t>(v));
            break;
          }
          case DataType::kInt32:
          case DataType::kInt64:
          case DataType::kDate:
          case DataType::kTimestamp: {
            const int64_t v = (st.type == DataType::kInt32 || st.type == DataType::kDate)
                                  ? col.ValueAt<int32_t>(r)
                                  : col.ValueAt<int64_t>(r);
            h = Hash64(v);
            st.AddInt(v);
            if (st.sample) {
              st.AddMoment(static_cast<double>(v));
              st.sample->Add(static_cast<double>(v));
            }
            st.top_keys->Add(static_cast<uint64_t>(v));
            break;
          }
          case DataType::kFloat:
          case DataType::kDouble: {
            const double v = st.type == DataType::kFloat
                                 ? static_cast<double>(col.ValueAt<float>(r))
                                 : col.ValueAt<double>(r);
            h = HashDouble(v);
            if (std::isnan(v)) {
              ++st.nans;
            } else {
              st.AddDouble(v);
              st.AddMoment(v);
              st.sample->Add(v);
              st.top_keys->Add(DoubleKey(v));
            }
            break;
          }
          case DataType::kString: {
            const std::string_view v = col.StringAt(r);
            h = HashBytes(v);
            st.AddString(v);
            st.top_strings->Add(absl::string_view(v.data(), v.size()));
            break;
          }
        }
        st.AddHash(h);
      }
      uint64_t& rh = row_hashes[static_cast<size_t>(r)];
      rh = Mix64(rh ^ (h + salt));
    }
  }
  for (uint64_t rh : row_hashes) {
    row_state_->hll.Add(rh);
    if (!row_state_->exact.Insert(rh)) ++row_state_->duplicates;
  }
  rows_ += rows;
  return absl::OkStatus();
}

Profile Profiler::Finish() const {
  Profile p;
  p.rows = rows_;
  if (row_state_ != nullptr) {
    if (!row_state_->exact.overflowed()) {
      p.duplicate_rows = row_state_->duplicates;
    } else {
      p.duplicate_rows_exact = false;
      const auto distinct_rows = static_cast<int64_t>(std::llround(row_state_->hll.Estimate()));
      p.duplicate_rows = std::max<int64_t>(0, rows_ - distinct_rows);
    }
  }
  for (size_t c = 0; c < columns_.size(); ++c) {
    const ColumnState& st = *columns_[c];
    ColumnProfile cp;
    cp.name = schema_.field(c).name;
    cp.type = st.type;
    cp.count = st.count;
    cp.null_count = st.nulls;
    cp.nan_count = st.nans;
    const int64_t non_null = st.count - st.nulls;
    if (!st.exact.overflowed()) {
      cp.distinct = st.exact.size();
    } else {
      cp.distinct_exact = false;
      const auto est = static_cast<int64_t>(std::llround(st.hll.Estimate()));
      cp.distinct =
          std::clamp<int64_t>(est, std::min(options_.exact_distinct_limit + 1, non_null), non_null);
    }
    if (st.has_range) {
      switch (st.type) {
        case DataType::kBool:
          cp.min = Scalar(st.imin != 0);
          cp.max = Scalar(st.imax != 0);
          break;
        case DataType::kFloat:
        case DataType::kDouble:
          cp.min = Scalar(st.dmin);
          cp.max = Scalar(st.dmax);
          break;
        case DataType::kString:
          cp.min = Scalar(st.smin);
          cp.max = Scalar(st.smax);
          break;
        default:
          cp.min = Scalar(st.imin);
          cp.max = Scalar(st.imax);
          break;
      }
    }
    if (st.n >= 1) cp.mean = st.mean;
    if (st.sample) {
      const double nd = static_cast<double>(st.n);
      if (st.n >= 2) cp.std = std::sqrt(st.m2 / (nd - 1));
      if (st.n >= 3 && st.m2 > 0) cp.skewness = std::sqrt(nd) * st.m3 / std::pow(st.m2, 1.5);
      ReservoirSample sample = *st.sample;
      sample.Sort();
      cp.quantiles_exact = sample.exact();
      if (!sample.values().empty()) {
        for (double q : options_.quantiles) cp.quantiles.push_back({q, sample.Quantile(q)});
        // Histogram over the true [min, max], from the sample, scaled to the column's count.
        const double lo = IsFloating(st.type) ? st.dmin : static_cast<double>(st.imin);
        const double hi = IsFloating(st.type) ? st.dmax : static_cast<double>(st.imax);
        const double width = (hi - lo) / options_.histogram_bins;
        const int bins = (width > 0 && std::isfinite(width)) ? options_.histogram_bins : 1;
        std::vector<double> counts(static_cast<size_t>(bins), 0);
        for (double v : sample.values()) {
          int b = bins == 1 ? 0 : static_cast<int>(std::floor((v - lo) / width));
          b = std::clamp(b, 0, bins - 1);
          counts[static_cast<size_t>(b)] += 1;
        }
        const double scale =
            static_cast<double>(st.n) / static_cast<double>(sample.values().size());
        for (double& x : counts) x *= scale;
        const std::vector<int64_t> rounded = RoundPreservingSum(counts, st.n);
        for (int b = 0; b < bins; ++b) {
          cp.histogram.push_back({lo + b * width, b == bins - 1 ? hi : lo + (b + 1) * width,
                                  rounded[static_cast<size_t>(b)]});
        }
      }
    }
    // Top values.
    std::vector<TopValue> top;
    if (st.top_strings) {
      cp.top_values_exact = st.top_strings->exact();
      for (const auto& e : st.top_strings->entries()) top.push_back({Scalar(e.key), e.count});
    } else if (st.top_keys && (st.type == DataType::kBool || st.top_keys->exact())) {
      cp.top_values_exact = st.top_keys->exact();
      for (const auto& e : st.top_keys->entries()) {
        Scalar v;
        if (st.type == DataType::kBool) {
          v = e.key != 0;
        } else if (IsFloating(st.type)) {
          v = KeyDouble(e.key);
        } else {
          v = static_cast<int64_t>(e.key);
        }
        top.push_back({std::move(v), e.count});
      }
    } else {
      cp.top_values_exact = false;
    }
    std::sort(top.begin(), top.end(), [](const TopValue& a, const TopValue& b) {
      if (a.count != b.count) return a.count > b.count;
      return a.value < b.value;
    });
    if (top.size() > static_cast<size_t>(options_.top_k))
      top.resize(static_cast<size_t>(options_.top_k));
    cp.top_values = std::move(top);
    p.columns.push_back(std::move(cp));
  }
  p.alerts = ComputeAlerts(p, options_);
  return p;
}

std::vector<Alert> ComputeAlerts(const Profile& p, const ProfileOptions& o) {
  std::vector<Alert> alerts;
  if (p.duplicate_rows > o.max_duplicate_rows) {
    const double share =
        p.rows == 0 ? 0 : static_cast<double>(p.duplicate_rows) / static_cast<double>(p.rows);
    alerts.push_back({"", AlertKind::kDuplicateRows,
                      StrCat(p.duplicate_rows_exact ? "" : "about ", p.duplicate_rows,
                             " duplicate rows (", Percent(share), " of ", p.rows, " rows)"),
                      static_cast<double>(p.duplicate_rows)});
  }
  for (const ColumnProfile& c : p.columns) {
    const int64_t non_null = c.count - c.null_count;
    if (c.count > 0 && c.null_share() > o.max_missing_share) {
      alerts.push_back(
          {c.name, AlertKind::kHighMissing,
           StrCat(Percent(c.null_share()), " missing (", c.null_count, " of ", c.count, ")"),
           c.null_share()});
    }
    if (non_null > 0 && c.distinct == 1) {
      alerts.push_back({c.name, AlertKind::kConstant,
                        StrCat("constant: every non-null value is ",
                               c.min ? FormatScalar(*c.min, c.type) : std::string("NaN")),
                        1});
    }
    const bool id_type =
        c.type == DataType::kInt32 || c.type == DataType::kInt64 || c.type == DataType::kString;
    const bool all_distinct =
        c.distinct_exact ? c.distinct == c.count
                         : static_cast<double>(c.distinct) >= 0.99 * static_cast<double>(c.count);
    const bool likely_id =
        id_type && c.count >= o.id_min_rows && c.count > 0 && c.null_count == 0 && all_distinct;
    if (likely_id) {
      alerts.push_back({c.name, AlertKind::kLikelyId,
                        StrCat("likely an ID: all ", c.count, " values are distinct",
                               c.distinct_exact ? "" : " (estimated)"),
                        static_cast<double>(c.distinct)});
    }
    if (c.type == DataType::kString && !likely_id && non_null > 0) {
      const double share = static_cast<double>(c.distinct) / static_cast<double>(non_null);
      if (share > o.high_cardinality_share && c.distinct > o.high_cardinality_min_distinct) {
        alerts.push_back({c.name, AlertKind::kHighCardinality,
                          StrCat("high cardinality: ", c.distinct, " distinct values in ", non_null,
                                 " (", Percent(share), ")"),
                          static_cast<double>(c.distinct)});
      }
    }
    if (c.skewness && std::abs(*c.skewness) > o.max_abs_skewness) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "skewed: skewness %.2f", *c.skewness);
      alerts.push_back({c.name, AlertKind::kSkewed, buf, *c.skewness});
    }
  }
  return alerts;
}

absl::StatusOr<Profile> ProfileBatches(const Schema& schema,
                                       const std::vector<RecordBatch>& batches,
                                       const ProfileOptions& options) {
  Profiler profiler(schema, options);
  LEPTON_RETURN_IF_ERROR(ValidateOptions(options));
  for (const RecordBatch& b : batches) LEPTON_RETURN_IF_ERROR(profiler.Add(b));
  return profiler.Finish();
}

}  // namespace lepton::lake::profile
