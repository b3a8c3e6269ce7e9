#include "lepton/features/woe.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/features/internal/json_util.h"
#include "lepton/features/internal/stats.h"

namespace lepton::features {
namespace {

using internal::DecodeDouble;
using internal::EncodeDouble;

// A numeric bin while binning: (previous upper, upper].
struct RangeBin {
  double upper = 0;
  int64_t count = 0;
  int64_t events = 0;
  double rate() const { return count == 0 ? 0.0 : static_cast<double>(events) / count; }
};

absl::Status CheckTarget(size_t values, std::span<const double> target) {
  if (target.size() != values) {
    return absl::InvalidArgumentError(StrCat("woe: the target has ", target.size(),
                                             " values for ", values, " rows"));
  }
  bool any_event = false;
  bool any_non_event = false;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 1.0) {
      any_event = true;
    } else if (target[i] == 0.0) {
      any_non_event = true;
    } else {
      return absl::InvalidArgumentError(
          StrCat("woe: target value ", target[i], " at row ", i, " is not 0 or 1"));
    }
  }
  if (!any_event || !any_non_event) {
    return absl::InvalidArgumentError(
        "woe: the training rows need both events (target 1) and non-events (target 0)");
  }
  return absl::OkStatus();
}

void MergeInto(std::vector<RangeBin>* bins, size_t keep, size_t drop) {
  // `keep` and `drop` are adjacent; the merged bin ends at the larger upper edge.
  RangeBin& k = (*bins)[keep];
  const RangeBin& d = (*bins)[drop];
  k.count += d.count;
  k.events += d.events;
  k.upper = std::max(k.upper, d.upper);
  bins->erase(bins->begin() + static_cast<std::ptrdiff_t>(drop));
}

// Merges bins below the minimum share or event counts into their neighbour with the closer event
// rate, smallest first, until every bin qualifies or one bin is left.
void MergeSmallBins(int64_t total, const WoeOptions& o, std::vector<RangeBin>* bins) {
  const double min_rows = o.min_bin_share * static_cast<double>(total);
  auto bad = [&](const RangeBin& b) {
    return static_cast<double>(b.count) < min_rows || b.events < o.min_bin_events ||
           (b.count - b.events) < o.min_bin_events;
  };
  while (bins->size() > 1) {
    size_t worst = bins->size();
    for (size_t i = 0; i < bins->size(); ++i) {
      if (bad((*bins)[i]) && (worst == bins->size() || (*bins)[i].count < (*bins)[worst].count)) {
        worst = i;
      }
    }
    if (worst == bins->size()) return;
    size_t neighbour;
    if (worst == 0) {
      neighbour = 1;
    } else if (worst + 1 == bins->size()) {
      neighbour = worst - 1;
    } else {
      const double r = (*bins)[worst].rate();
      const double left = std::abs((*bins)[worst - 1].rate() - r);
      const double right = std::abs((*bins)[worst + 1].rate() - r);
      neighbour = left <= right ? worst - 1 : worst + 1;
    }
    MergeInto(bins, std::min(worst, neighbour), std::max(worst, neighbour));
  }
}

// Pools adjacent violators until the event rate is non-decreasing (`increasing`) or
// non-increasing.
void MakeMonotonic(bool increasing, std::vector<RangeBin>* bins) {
  size_t i = 0;
  while (i + 1 < bins->size()) {
    const double a = (*bins)[i].rate();
    const double b = (*bins)[i + 1].rate();
    const bool violates = increasing ? a > b : a < b;
    if (violates) {
      MergeInto(bins, i, i + 1);
      if (i > 0) --i;
    } else {
      ++i;
    }
  }
}

// Merges the adjacent pair with the closest event rates until at most `max_bins` remain.
void LimitBins(int max_bins, std::vector<RangeBin>* bins) {
  while (bins->size() > static_cast<size_t>(std::max(max_bins, 1))) {
    size_t best = 0;
    double best_gap = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i + 1 < bins->size(); ++i) {
      const double gap = std::abs((*bins)[i].rate() - (*bins)[i + 1].rate());
      if (gap < best_gap) {
        best_gap = gap;
        best = i;
      }
    }
    MergeInto(bins, best, best + 1);
  }
}

// Quantile bins of the sorted non-missing `sorted` values with their event counts. Empty bins
// are dropped.
std::vector<RangeBin> QuantileBins(const std::vector<std::pair<double, double>>& sorted,
                                   int bins) {
  std::vector<double> values;
  values.reserve(sorted.size());
  for (const auto& [v, t] : sorted) values.push_back(v);
  std::vector<double> edges;
  for (int j = 1; j < bins; ++j) {
    const double e = internal::SortedQuantile(values, static_cast<double>(j) / bins);
    if (e < values.back() && (edges.empty() || e > edges.back())) edges.push_back(e);
  }
  edges.push_back(std::numeric_limits<double>::infinity());
  std::vector<RangeBin> out(edges.size());
  for (size_t i = 0; i < edges.size(); ++i) out[i].upper = edges[i];
  size_t b = 0;
  for (const auto& [v, t] : sorted) {
    while (v > out[b].upper) ++b;
    ++out[b].count;
    if (t == 1.0) ++out[b].events;
  }
  std::vector<RangeBin> kept;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].count > 0) {
      kept.push_back(out[i]);
    } else if (!kept.empty() && i + 1 == out.size()) {
      kept.back().upper = out[i].upper;  // the last bin must stay open to +inf
    }
  }
  return kept;
}

WoeBinning FromRangeBins(const std::vector<RangeBin>& bins, int64_t missing, int64_t missing_ev,
                         double smoothing) {
  WoeBinning out;
  out.numeric = true;
  double lower = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < bins.size(); ++i) {
    WoeBin b;
    b.kind = WoeBinKind::kRange;
    b.lower = lower;
    b.upper = i + 1 == bins.size() ? std::numeric_limits<double>::infinity() : bins[i].upper;
    b.count = bins[i].count;
    b.events = bins[i].events;
    b.non_events = b.count - b.events;
    lower = b.upper;
    out.bins.push_back(std::move(b));
  }
  if (missing > 0) {
    WoeBin b;
    b.kind = WoeBinKind::kMissing;
    b.lower = b.upper = std::numeric_limits<double>::quiet_NaN();
    b.count = missing;
    b.events = missing_ev;
    b.non_events = missing - missing_ev;
    out.bins.push_back(std::move(b));
  }
  ComputeWoe(smoothing, &out);
  return out;
}

std::string_view KindName(WoeBinKind k) {
  switch (k) {
    case WoeBinKind::kRange:
      return "range";
    case WoeBinKind::kCategories:
      return "categories";
    case WoeBinKind::kOther:
      return "other";
    case WoeBinKind::kMissing:
      return "missing";
  }
  return "range";
}

}  // namespace

void ComputeWoe(double smoothing, WoeBinning* binning) {
  int64_t events = 0;
  int64_t non_events = 0;
  double adj_events = 0;
  double adj_non_events = 0;
  std::vector<std::pair<double, double>> adjusted;  // (non-events, events) per bin
  for (WoeBin& b : binning->bins) {
    events += b.events;
    non_events += b.non_events;
    b.event_rate = b.count == 0 ? 0.0 : static_cast<double>(b.events) / b.count;
    double g = static_cast<double>(b.non_events);
    double e = static_cast<double>(b.events);
    if (g == 0 || e == 0) {
      g += smoothing;
      e += smoothing;
    }
    adj_non_events += g;
    adj_events += e;
    adjusted.emplace_back(g, e);
  }
  binning->events = events;
  binning->non_events = non_events;
  binning->iv = 0;
  for (size_t i = 0; i < binning->bins.size(); ++i) {
    WoeBin& b = binning->bins[i];
    const double pg = adjusted[i].first / adj_non_events;
    const double pe = adjusted[i].second / adj_events;
    if (pg > 0 && pe > 0) {
      b.woe = std::log(pg / pe);
      b.iv = (pg - pe) * b.woe;
    } else {
      b.woe = 0;  // only with smoothing 0 and an empty side
      b.iv = 0;
    }
    binning->iv += b.iv;
  }
  // Monotonic: the WOE of the range bins never changes direction.
  int direction = 0;
  binning->monotonic = binning->numeric;
  const WoeBin* prev = nullptr;
  for (const WoeBin& b : binning->bins) {
    if (b.kind != WoeBinKind::kRange) continue;
    if (prev != nullptr && b.woe != prev->woe) {
      const int d = b.woe > prev->woe ? 1 : -1;
      if (direction != 0 && d != direction) binning->monotonic = false;
      direction = d;
    }
    prev = &b;
  }
}

absl::StatusOr<WoeBinning> FitNumericWoe(std::span<const double> values,
                                         std::span<const double> target,
                                         const WoeOptions& options) {
  LEPTON_RETURN_IF_ERROR(CheckTarget(values.size(), target));
  std::vector<std::pair<double, double>> sorted;
  sorted.reserve(values.size());
  int64_t missing = 0;
  int64_t missing_events = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      ++missing;
      if (target[i] == 1.0) ++missing_events;
    } else {
      sorted.emplace_back(values[i], target[i]);
    }
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<RangeBin> bins;
  if (!sorted.empty()) {
    if (options.method == WoeBinningMethod::kQuantile) {
      bins = QuantileBins(sorted, options.bins);
    } else {
      const std::vector<RangeBin> fine = QuantileBins(sorted, options.fine_bins);
      const auto total = static_cast<int64_t>(sorted.size());
      WoeBinning best;
      bool have_best = false;
      for (bool increasing : {true, false}) {
        std::vector<RangeBin> candidate = fine;
        MergeSmallBins(total, options, &candidate);
        MakeMonotonic(increasing, &candidate);
        LimitBins(options.bins, &candidate);
        WoeBinning b = FromRangeBins(candidate, missing, missing_events, options.smoothing);
        if (!have_best || b.iv > best.iv) {
          best = std::move(b);
          bins = candidate;
          have_best = true;
        }
      }
    }
  }
  return FromRangeBins(bins, missing, missing_events, options.smoothing);
}

absl::StatusOr<WoeBinning> FitCategoricalWoe(std::span<const std::string_view> values,
                                             std::span<const uint8_t> present,
                                             std::span<const double> target,
                                             const WoeOptions& options) {
  LEPTON_RETURN_IF_ERROR(CheckTarget(values.size(), target));
  std::map<std::string, std::pair<int64_t, int64_t>, std::less<>> counts;  // count, events
  int64_t missing = 0;
  int64_t missing_events = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const bool event = target[i] == 1.0;
    if (!present[i]) {
      ++missing;
      missing_events += event;
      continue;
    }
    auto it = counts.find(values[i]);
    if (it == counts.end()) it = counts.emplace(std::string(values[i]), std::make_pair(0, 0)).first;
    ++it->second.first;
    it->second.second += event;
  }
  WoeBinning out;
  out.numeric = false;
  const double min_rows = options.min_bin_share * static_cast<double>(values.size());
  WoeBin other;
  other.kind = WoeBinKind::kOther;
  for (const auto& [category, c] : counts) {
    if (static_cast<double>(c.first) < min_rows) {
      other.categories.push_back(category);
      other.count += c.first;
      other.events += c.second;
      continue;
    }
    WoeBin b;
    b.kind = WoeBinKind::kCategories;
    b.categories = {category};
    b.count = c.first;
    b.events = c.second;
    b.non_events = c.first - c.second;
    out.bins.push_back(std::move(b));
  }
  if (other.count > 0) {
    other.non_events = other.count - other.events;
    out.bins.push_back(std::move(other));
  }
  if (missing > 0) {
    WoeBin b;
    b.kind = WoeBinKind::kMissing;
    b.count = missing;
    b.events = missing_events;
    b.non_events = missing - missing_events;
    out.bins.push_back(std::move(b));
  }
  ComputeWoe(options.smoothing, &out);
  return out;
}

Json WoeBinning::ToJson() const {
  Json bins_json = Json::array();
  for (const WoeBin& b : bins) {
    Json j = {{"kind", KindName(b.kind)},
              {"count", b.count},
              {"events", b.events},
              {"non_events", b.non_events},
              {"event_rate", EncodeDouble(b.event_rate)},
              {"woe", EncodeDouble(b.woe)},
              {"iv", EncodeDouble(b.iv)}};
    if (b.kind == WoeBinKind::kRange) {
      j["lower"] = EncodeDouble(b.lower);
      j["upper"] = EncodeDouble(b.upper);
    }
    if (b.kind == WoeBinKind::kCategories || b.kind == WoeBinKind::kOther) {
      j["categories"] = b.categories;
    }
    bins_json.push_back(std::move(j));
  }
  return {{"numeric", numeric},     {"events", events},
          {"non_events", non_events}, {"iv", EncodeDouble(iv)},
          {"default_woe", EncodeDouble(default_woe)}, {"monotonic", monotonic},
          {"bins", std::move(bins_json)}};
}

absl::StatusOr<WoeBinning> WoeBinning::FromJson(const Json& json, const std::string& path) {
  internal::Params p(json, path);
  WoeBinning out;
  out.numeric = p.Bool("numeric", true);
  out.events = p.Int("events", 0, 0, INT64_MAX);
  out.non_events = p.Int("non_events", 0, 0, INT64_MAX);
  out.monotonic = p.Bool("monotonic", false);
  std::optional<Json> iv = p.OptionalValue("iv");
  std::optional<Json> def = p.OptionalValue("default_woe");
  std::optional<Json> bins = p.OptionalValue("bins");
  LEPTON_RETURN_IF_ERROR(p.Finish());
  if (iv) {
      LEPTON_ASSIGN_OR_RETURN(out.iv, DecodeDouble(*iv, p.PathOf("iv")));
    }
  if (def) {
      LEPTON_ASSIGN_OR_RETURN(out.default_woe, DecodeDouble(*def, p.PathOf("default_woe")));
    }
  if (!bins || !bins->is_array()) {
    return absl::InvalidArgumentError(StrCat(p.PathOf("bins"), ": expected an array of bins"));
  }
  for (size_t i = 0; i < bins->size(); ++i) {
    const std::string bp = StrCat(p.PathOf("bins"), "[", i, "]");
    internal::Params bf((*bins)[i], bp);
    WoeBin b;
    const std::string kind = bf.Enum("kind", {"range", "categories", "other", "missing"}, "");
    if (kind == "range") b.kind = WoeBinKind::kRange;
    if (kind == "categories") b.kind = WoeBinKind::kCategories;
    if (kind == "other") b.kind = WoeBinKind::kOther;
    if (kind == "missing") b.kind = WoeBinKind::kMissing;
    b.count = bf.Int("count", 0, 0, INT64_MAX);
    b.events = bf.Int("events", 0, 0, INT64_MAX);
    b.non_events = bf.Int("non_events", 0, 0, INT64_MAX);
    b.categories = bf.OptionalStringArray("categories").value_or(std::vector<std::string>{});
    std::optional<Json> lower = bf.OptionalValue("lower");
    std::optional<Json> upper = bf.OptionalValue("upper");
    std::optional<Json> rate = bf.OptionalValue("event_rate");
    std::optional<Json> woe = bf.OptionalValue("woe");
    std::optional<Json> biv = bf.OptionalValue("iv");
    LEPTON_RETURN_IF_ERROR(bf.Finish());
    if (kind.empty()) return absl::InvalidArgumentError(StrCat(bp, ".kind: required"));
    if (lower) {
      LEPTON_ASSIGN_OR_RETURN(b.lower, DecodeDouble(*lower, bf.PathOf("lower")));
    }
    if (upper) {
      LEPTON_ASSIGN_OR_RETURN(b.upper, DecodeDouble(*upper, bf.PathOf("upper")));
    }
    if (rate) {
      LEPTON_ASSIGN_OR_RETURN(b.event_rate, DecodeDouble(*rate, bf.PathOf("event_rate")));
    }
    if (woe) {
      LEPTON_ASSIGN_OR_RETURN(b.woe, DecodeDouble(*woe, bf.PathOf("woe")));
    }
    if (biv) {
      LEPTON_ASSIGN_OR_RETURN(b.iv, DecodeDouble(*biv, bf.PathOf("iv")));
    }
    if (b.kind == WoeBinKind::kMissing) {
      b.lower = b.upper = std::numeric_limits<double>::quiet_NaN();
    }
    out.bins.push_back(std::move(b));
  }
  return out;
}

}  // namespace lepton::features
