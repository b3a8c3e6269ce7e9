#include "lepton/features/internal/steps.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/features/internal/json_util.h"
#include "lepton/features/internal/stats.h"
#include "lepton/features/woe.h"

namespace lepton::features::internal {

std::vector<double> SortedPresent(std::span<const double> values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values) {
    if (!std::isnan(v)) out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kNumeric:
      return "numeric";
    case Kind::kString:
      return "string";
    case Kind::kTime:
      return "date/timestamp";
  }
  return "numeric";
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

// A lookup from category to a value, without allocating per lookup.
template <typename V>
using CategoryMap = absl::flat_hash_map<std::string, V>;

// Counts of the present strings; missing ones under `missing_label` when it is non-empty.
std::map<std::string, int64_t, std::less<>> CountStrings(const Values& v,
                                                         std::string_view missing_label) {
  std::map<std::string, int64_t, std::less<>> counts;
  for (size_t i = 0; i < v.str.size(); ++i) {
    std::string_view s = v.str[i];
    if (!v.present[i]) {
      if (missing_label.empty()) continue;
      s = missing_label;
    }
    auto it = counts.find(s);
    if (it == counts.end()) it = counts.emplace(std::string(s), 0).first;
    ++it->second;
  }
  return counts;
}

// Categories by descending count, ties in lexical order.
std::vector<std::pair<std::string, int64_t>> ByFrequency(
    const std::map<std::string, int64_t, std::less<>>& counts) {
  std::vector<std::pair<std::string, int64_t>> out(counts.begin(), counts.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

absl::StatusOr<std::vector<std::string>> DecodeStrings(const Json& j, const std::string& path) {
  if (!j.is_array()) return absl::InvalidArgumentError(StrCat(path, ": expected an array"));
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) {
      return absl::InvalidArgumentError(StrCat(path, "[", i, "]: expected a string"));
    }
    out.push_back(j[i].get<std::string>());
  }
  return out;
}

absl::Status Require(const Json& fitted, std::string_view key, const std::string& path) {
  if (!fitted.is_object() || !fitted.contains(key)) {
    return absl::InvalidArgumentError(StrCat(path, ".", key, ": required field is missing"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// impute

class Impute : public Step {
 public:
  static absl::StatusOr<std::unique_ptr<Step>> Make(const Json& c, const std::string& path) {
    Params p(c, path);
    p.String("type");
    auto s = std::unique_ptr<Impute>(new Impute(c));
    s->strategy_ = p.Enum("strategy", {"mean", "median", "mode", "constant"}, "");
    s->indicator_ = p.Bool("add_indicator", false);
    std::optional<Json> value = p.OptionalValue("value");
    if (s->strategy_.empty() && p.ok()) p.Fail("strategy", "required field is missing");
    if (s->strategy_ == "constant") {
      if (!value) {
        p.Fail("value", "required when strategy is \"constant\"");
      } else if (value->is_number()) {
        s->fill_num_ = value->get<double>();
        s->constant_is_string_ = false;
      } else if (value->is_string()) {
        s->fill_str_ = value->get<std::string>();
        s->constant_is_string_ = true;
      } else {
        p.Fail("value", StrCat("expected a number or a string, got ", value->type_name()));
      }
    } else if (value) {
      p.Fail("value", "only allowed when strategy is \"constant\"");
    }
    LEPTON_RETURN_IF_ERROR(p.Finish());
    return std::unique_ptr<Step>(std::move(s));
  }

  bool Takes(Kind k) const override {
    if (k == Kind::kNumeric) return strategy_ != "constant" || !constant_is_string_;
    if (k == Kind::kString) return strategy_ == "mode" || (strategy_ == "constant" && constant_is_string_);
    return false;
  }
  std::string_view takes() const override {
    if (strategy_ == "constant") {
      return constant_is_string_ ? "a string column (the constant is a string)"
                                 : "a numeric column (the constant is a number)";
    }
    return strategy_ == "mode" ? "a numeric or string column" : "a numeric column";
  }
  bool indicator() const { return indicator_; }

  absl::Status Fit(const Values& v, std::span<const double>, std::string_view) override {
    string_ = v.kind == Kind::kString;
    if (strategy_ == "constant") return absl::OkStatus();
    if (string_) {
      // Mode: the most frequent string, ties to the lexically smallest; "" when none.
      const auto counts = CountStrings(v, "");
      int64_t best = 0;
      fill_str_.clear();
      for (const auto& [s, n] : counts) {
        if (n > best) {
          best = n;
          fill_str_ = s;
        }
      }
      return absl::OkStatus();
    }
    const std::vector<double> sorted = SortedPresent(v.num);
    if (sorted.empty()) {
      fill_num_ = 0;  // nothing to learn from: documented fallback
      return absl::OkStatus();
    }
    if (strategy_ == "mean") {
      double sum = 0;
      for (double x : sorted) sum += x;
      fill_num_ = sum / static_cast<double>(sorted.size());
    } else if (strategy_ == "median") {
      const size_t n = sorted.size();
      fill_num_ = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    } else {
      // Mode: the most frequent value, ties to the smallest.
      int64_t best = 0;
      for (size_t i = 0; i < sorted.size();) {
        size_t j = i;
        while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
        if (static_cast<int64_t>(j - i) > best) {
          best = static_cast<int64_t>(j - i);
          fill_num_ = sorted[i];
        }
        i = j;
      }
    }
    return absl::OkStatus();
  }

  void Apply(Values* v) const override {
    if (v->kind == Kind::kString) {
      for (size_t i = 0; i < v->str.size(); ++i) {
        if (!v->present[i]) {
          v->str[i] = fill_str_;
          v->present[i] = 1;
        }
      }
      return;
    }
    for (double& x : v->num) {
      if (std::isnan(x)) x = fill_num_;
    }
  }

  Json FittedJson() const override {
    if (string_) return {{"value", fill_str_}, {"string", true}};
    return {{"value", EncodeDouble(fill_num_)}, {"string", false}};
  }
  absl::Status LoadFitted(const Json& f, const std::string& path) override {
    LEPTON_RETURN_IF_ERROR(Require(f, "value", path));
    LEPTON_RETURN_IF_ERROR(Require(f, "string", path));
    string_ = f["string"].is_boolean() && f["string"].get<bool>();
    if (string_) {
      if (!f["value"].is_string()) {
        return absl::InvalidArgumentError(StrCat(path, ".value: expected a string"));
      }
      fill_str_ = f["value"].get<std::string>();
      return absl::OkStatus();
    }
    LEPTON_ASSIGN_OR_RETURN(fill_num_, DecodeDouble(f["value"], StrCat(path, ".value")));
    return absl::OkStatus();
  }

 private:
  explicit Impute(Json c) : Step(std::move(c)) {}
  std::string strategy_;
  bool indicator_ = false;
  bool constant_is_string_ = false;
  bool string_ = false;
  double fill_num_ = 0;
  std::string fill_str_;
};

// ---------------------------------------------------------------------------------------------
// Numeric steps.

class NumericStep : public Step {
 public:
  using Step::Step;
  bool Takes(Kind k) const override { return k == Kind::kNumeric; }
  std::string_view takes() const override { return "a numeric column"; }
};

class Standardize : public NumericStep {
 public:
  static absl::StatusOr<std::unique_ptr<Step>> Make(const Json& c, const std::string& path) {
    Params p(c, path);
    p.String("type");
    auto s = std::unique_ptr<Standardize>(new Standardize(c));
    s->with_mean_ = p.Bool("with_mean", true);
    s->with_std_ = p.Bool("with_std", true);
    LEPTON_RETURN_IF_ERROR(p.Finish());
    return std::unique_ptr<Step>(std::move(s));
  }
  absl::Status Fit(const Values& v, std::span<const double>, std::string_view) override {
    // Population statistics over the present values (sklearn's StandardScaler); a constant or
    // empty column gets scale 1.
    double sum = 0;
    int64_t n = 0;
    for (double x : v.num) {
      if (!std::isnan(x)) {
        sum += x;
        ++n;
      }
    }
    const double mean = n > 0 ? sum / static_cast<double>(n) : 0.0;
    double ss = 0;
    for (double x : v.num) {
      if (!std::isnan(x)) ss += (x - mean) * (x - mean);
    }
    const double sd = n > 0 ? std::sqrt(ss / static_cast<double>(n)) : 0.0;
    mean_ = with_mean_ ? mean : 0.0;
    scale_ = with_std_ && sd > 0 ? sd : 1.0;
    return absl::OkStatus();
  }
  void Apply(Values* v) const override {
    for (double& x : v->num) x = (x - mean_) / scale_;
  }
  Json FittedJson() const override {
    return {{"mean", EncodeDouble(mean_)}, {"scale", EncodeDouble(scale_)}};
  }
  absl::Status LoadFitted(const Json& f, const std::string& path) override {
    LEPTON_RETURN_IF_ERROR(Require(f, "mean", path));
    LEPTON_RETURN_IF_ERROR(Require(f, "scale", path));
    LEPTON_ASSIGN_OR_RETURN(mean_, DecodeDouble(f["mean"], StrCat(path, ".mean")));
    LEPTON_ASSIGN_OR_RETURN(scale_, DecodeDouble(f["scale"], StrCat(path, ".scale")));
    return absl::OkStatus();
  }

 private:
  using NumericStep::NumericStep;
  bool with_mean_ = true;
  bool with_std_ = true;
  double mean_ = 0;
  double scale_ = 1;
};

class MinMax : public NumericStep {
 public:
  static absl::StatusOr<std::unique_ptr<Step>> Make(const Json& c, const std::string& path) {
    Params p(c, path);
    p.String("type");
    auto s = std::unique_ptr<MinMax>(new MinMax(c));
    s->lo_ = p.Number("min", 0.0, -1e300, 1e300);
    s->hi_ = p.Number("max", 1.0, -1e300, 1e300);
    if (p.ok() && !(s->lo_ < s->hi_)) p.Fail("max", "must be greater than \"min\"");
    LEPTON_RETURN_IF_ERROR(p.Finish());
    return std::unique_ptr<Step>(std::move(s));
  }
  absl::Status Fit(const Values& v, std::span<const double>, std::string_view) override {
    double mn = kInf;
    double mx = -kInf;
    for (double x : v.num) {
      if (std::isnan(x)) continue;
      mn = std::min(mn, x);
      mx = std::max(mx, x);
    }
    if (mn > mx) {  // no present value
      mn = 0;
      mx = 0;
    }
    data_min_ = mn;
    data_range_ = mx - mn > 0 ? mx - mn : 1.0;
    return absl::OkStatus();
  }
  void Apply(Values* v) const override {
    for (double& x : v->num) x = (x - data_min_) / data_range_ * (hi_ - lo_) + lo_;
  }
  Json FittedJson() const override {
    return {{"data_min", EncodeDouble(data_min_)}, {"data_range", EncodeDouble(data_range_)}};
  }
  absl::Status LoadFitted(const Json& f, const std::string& path) override {
    LEPTON_RETURN_IF_ERROR(Require(f, "data_min", path));
    LEPTON_RETURN_IF_ERROR(Require(f, "data_range", path));
    LEPTON_ASSIGN_OR_RETURN(data_min_, DecodeDouble(f["data_min"], StrCat(path, ".data_min")));
    LEPTON_ASSIGN_OR_RETURN(data_range_,
                            DecodeDouble(f["data_range"], StrCat(path, ".data_range")));
    return absl::OkStatus();
  }

 private:
  using NumericStep::NumericStep;
  double lo_ = 0;
  double hi_ = 1;
  double data_min_ = 0;
  double data_range_ = 1;
};

class Log : public NumericStep {
 public:
  static absl::StatusOr<std::unique_ptr<Step>> Make(const Json& c, const std::string& path) {
    Params p(c, path);
    p.String("type");
    auto s = std::unique_ptr<Log>(new Log(c));
    s->negative_ = p.Enum("negative", {"error", "nan", "clip", "signed"}, "error");
    LEPTON_RETURN_IF_ERROR(p.Finish());
    return std::unique_ptr<Step>(std::move(s));
  }
  absl::Status Fit(const Values& v, std::span<const double>, std::string_view column) override {
    if (negative_ != "error") return absl::OkStatus();
    for (double x : v.num) {
      if (x < 0) {
        return absl::InvalidArgumentError(
            StrCat("column \"", column, "\": log: negative training value ", x,
                   " (set \"negative\" to \"nan\", \"clip\" or \"signed\" to allow it)"));
      }
    }
    return absl::OkStatus();
  }
  void Apply(Values* v) const override {
    for (double& x : v->num) {
      if (x >= 0) {
        x = std::log1p(x);
      } else if (x < 0) {
        if (negative_ == "clip") {
          x = 0;
        } else if (negative_ == "signed") {
          x = -std::log1p(-x);
        } else {
          x = kNaN;  // "nan", and "error" at transform time: serving never fails on a value
        }
      }
    }
  }
  Json FittedJson() const override { return Json::object(); }
  absl::Status LoadFitted(const Json&, const std::string&) override { return absl::OkStatus(); }

 private:
  using NumericStep::NumericStep;
  std::string negative_;
};

class Clip : public NumericStep {
 public:
  static absl::StatusOr<std::unique_ptr<Step>> Make(const Json& c, const std::string& path) {
    Params p(c, path);
    p.String("type");
    auto s = std::unique_ptr<Clip>(new Clip(c));
    s->fixed_lower_ = p.OptionalNumber("lower", -kInf, kInf);
    s->fixed_upper_ = p.OptionalNumber("upper", -kInf, kInf);
    s->lower_q_ = p.OptionalNumber("lower_quantile", 0, 1);
    s->upper_q_ = p.OptionalNumber("upper_quantile", 0, 1);
    if (p.ok()) {
      if (s->fixed_lower_ && s->lower_q_) p.Fail("lower_quantile", "conflicts with \"lower\"");
      if (s->fixed_upper_ && s->upper_q_) p.Fail("upper_quantile", "conflicts with \"upper\"");
      if (!s->fixed_lower_ && !s->lower_q_ && !s->fixed_upper_ && !s->upper_q_) {
        p.Fail("lower", "clip needs at least one of \"lower\", \"upper\", \"lower_quantile\", "
                        "\"upper_quantile\"");
      }
      if (s->fixed_lower_ && s->fixed_upper_ && *s->fixed_lower_ > *s->fixed_upper_) {
        p.Fail("upper", "must not be below \"lower\"");
      }
      if (s->lower_q_ && s->upper_q_ && *s->lower_q_ > *s->upper_q_) {
        p.Fail("upper_quantile", "must not be below \"lower_quantile\"");
      }
    }
    LEPTON_RETURN_IF_ERROR(p.Finish());
    return std::unique_ptr<Step>(std::move(s));
  }
  absl::Status Fit(const Values& v, std::span<const double>, std::string_view) override {
    lower_ = fixed_lower_.value_or(-kInf);
    upper_ = fixed_upper_.value_or(kInf);
    if (lower_q_ || upper_q_) {
      const std::vector<double> sorted = SortedPresent(v.num);
      if (!sorted.empty()) {
        if (lower_q_) lower_ = SortedQuantile(sorted, *lower_q_);
        if (upper_q_) upper_ = SortedQuantile(sorted, *upper_q_);
      }
    }
    return absl::OkStatus();
  }
  void Apply(Values* v) const override {
    for (double& x : v->num) {
      if (x < lower_) x = lower_;
      if (x > upper_) x = upper_;
    }
  }
  Json FittedJson() const override {
    return {{"lower", EncodeDouble(lower_)}, {"upper", EncodeDouble(upper_)}};
  }
  absl::Status LoadFitted(const Json& f, const std::string& path) override {
    LEPTON_RETURN_IF_ERROR(Require(f, "lower", path));
    LEPTON_RETURN_IF_ERROR(Require(f, "upper", path));
    LEPTON_ASSIGN_OR_RETURN(lower_, DecodeDouble(f["lower"], StrCat(path, ".lower")));
    LEPTON_ASSIGN_OR_RETURN(upper_, DecodeDouble(f["upper"], StrCat(path, ".upper")));
    return absl::OkStatus();
  }

 private:
  using NumericStep::NumericStep;
  std::optional<double> fixed_lower_, fixed_upper_, lower_q_, upper_q_;
  double lower_ = -kInf;
  double upper_ = kInf;
};

// ---------------------------------------------------------------------------------------------
// Categorical encoders.

constexpr std::string_view kMissingLabel = "__missing__";
constexpr std::string_view kRareLabel = "__rare__";
constexpr std::string_view kUnknownLabel = "__unknown__";

class OneHot : public Step {
 public:
  static absl::StatusOr<std::unique_ptr<Step>> Make(const Json& c, const std::string& path) {
    Params p(c, path);
    p.String("type");
    auto s = std::unique_ptr<OneHot>(new OneHot(c));
    s->min_frequency_ = p.Int("min_frequency", 1, 1, INT64_MAX);
    s->max_categories_ = p.OptionalInt("max_categories", 1, 1 << 20);
    LEPTON_RETURN_IF_ERROR(p.Finish());
    return std::unique_ptr<Step>(std::move(s));
  }
  bool Takes(Kind k) const override { return k == Kind::kString; }
  std::string_view takes() const override { return "a string column"; }
  bool terminal() const override { return true; }

  absl::Status Fit(const Values& v, std::span<const double>, std::string_view) override {
    const auto counts = CountStrings(v, kMissingLabel);
    std::vector<std::string> kept;
    std::vector<std::string> rare;
    const auto by_freq = ByFrequency(counts);
    for (size_t i = 0; i < by_freq.size(); ++i) {
      const bool too_rare = by_freq[i].second < min_frequency_;
      const bool over_max = max_categories_ && static_cast<int64_t>(i) >= *max_categories_;
      (too_rare || over_max ? rare : kept).push_back(by_freq[i].first);
    }
    std::sort(kept.begin(), kept.end());
    std::sort(rare.begin(), rare.end());
    categories_ = std::move(kept);
    rare_ = std::move(rare);
    BuildIndex();
    return absl::OkStatus();
  }
  std::vector<std::string> OutputNames(std::string_view column) const override {
    std::vector<std::string> out;
    for (const auto& c : categories_) out.push_back(StrCat(column, "=", c));
    if (!rare_.empty()) out.push_back(StrCat(column, "=", kRareLabel));
    out.push_back(StrCat(column, "=", kUnknownLabel));
    return out;
  }
  void WriteDense(const Values& v, float* out, size_t stride) const override {
    const size_t width = categories_.size() + (rare_.empty() ? 0 : 1) + 1;
    const auto unknown = static_cast<uint32_t>(width - 1);
    for (size_t r = 0; r < v.str.size(); ++r) {
      float* row = out + r * stride;
      std::fill(row, row + width, 0.0f);
      const std::string_view s = v.present[r] ? v.str[r] : kMissingLabel;
      auto it = index_.find(Absl(s));
      row[it == index_.end() ? unknown : it->second] = 1.0f;
    }
  }
  Json FittedJson() const override { return {{"categories", categories_}, {"rare", rare_}}; }
  absl::Status LoadFitted(const Json& f, const std::string& path) override {
    LEPTON_RETURN_IF_ERROR(Require(f, "categories", path));
    LEPTON_RETURN_IF_ERROR(Require(f, "rare", path));
    LEPTON_ASSIGN_OR_RETURN(categories_, DecodeStrings(f["categories"], path + ".categories"));
    LEPTON_ASSIGN_OR_RETURN(rare_, DecodeStrings(f["rare"], path + ".rare"));
    BuildIndex();
    return absl::OkStatus();
  }

 private:
  explicit OneHot(Json c) : Step(std::move(c)) {}
  void BuildIndex() {
    index_.clear();
    for (size_t i = 0; i < categories_.size(); ++i) {
      index_[categories_[i]] = static_cast<uint32_t>(i);
    }
    for (const auto& r : rare_) index_[r] = static_cast<uint32_t>(categories_.size());
  }
  int64_t min_frequency_ = 1;
  std::optional<int64_t> max_categories_;
  std::vector<std::string> categories_;
  std::vector<std::string> rare_;
  CategoryMap<uint32_t> index_;
};

class Ordinal : public Step {
 public:
  static absl::StatusOr<std::unique_ptr<Step>> Make(const Json& c, const std::string& path) {
    Params p(c, path);
    p.String("type");
    auto s = std::unique_ptr<Ordinal>(new Ordinal(c));
    s->order_ = p.Enum("order", {"lexical", "frequency"}, "lexical");
    s->fixed_ = p.OptionalStringArray("categories");
    s->unknown_nan_ = p.Enum("unknown", {"minus_one", "nan"}, "minus_one") == "nan";
    if (s->fixed_ && c.contains("order")) p.Fail("order", "conflicts with \"categories\"");
    LEPTON_RETURN_IF_ERROR(p.Finish());
    return std::unique_ptr<Step>(std::move(s));
  }
  bool Takes(Kind k) const override { return k == Kind::kString; }
  std::string_view takes() const override { return "a string column"; }
  Kind Yields(Kind) const override { return Kind::kNumeric; }

  absl::Status Fit(const Values& v, std::span<const double>, std::string_view) override {
    if (fixed_) {
      categories_ = *fixed_;
    } else {
      const auto counts = CountStrings(v, "");
      categories_.clear();
      if (order_ == "frequency") {
        for (const auto& [c, n] : ByFrequency(counts)) categories_.push_back(c);
      } else {
        for (const auto& [c, n] : counts) categories_.push_back(c);
      }
    }
    BuildIndex();
    return absl::OkStatus();
  }
  void Apply(Values* v) const override {
    const double unknown = unknown_nan_ ? kNaN : -1.0;
    v->num.resize(v->str.size());
    for (size_t r = 0; r < v->str.size(); ++r) {
      if (!v->present[r]) {
        v->num[r] = kNaN;
        continue;
      }
      auto it = index_.find(Absl(v->str[r]));
      v->num[r] = it == index_.end() ? unknown : static_cast<double>(it->second);
    }
    v->kind = Kind::kNumeric;
  }
  Json FittedJson() const override { return {{"categories", categories_}}; }
  absl::Status LoadFitted(const Json& f, const std::string& path) override {
    LEPTON_RETURN_IF_ERROR(Require(f, "categories", path));
    LEPTON_ASSIGN_OR_RETURN(categories_, DecodeStrings(f["categories"], path + ".categories"));
    BuildIndex();
    return absl::OkStatus();
  }

 private:
  explicit Ordinal(Json c) : Step(std::move(c)) {}
  void BuildIndex() {
    index_.clear();
    for (size_t i = 0; i < categories_.size(); ++i) {
      index_.emplace(categories_[i], static_cast<uint32_t>(i));  // first occurrence wins
    }
  }
  std::string order_;
  std::optional<std::vector<std::string>> fixed_;
  bool unknown_nan_ = false;
  std::vector<std::string> categories_;
  CategoryMap<uint32_t> index_;
};

class Woe : public Step {
 public:
  static absl::StatusOr<std::unique_ptr<Step>> Make(const Json& c, const std::string& path) {
    Params p(c, path);
    p.String("type");
    auto s = std::unique_ptr<Woe>(new Woe(c));
    WoeOptions& o = s->options_;
    o.method = p.Enum("binning", {"monotonic", "quantile"}, "monotonic") == "quantile"
                   ? WoeBinningMethod::kQuantile
                   : WoeBinningMethod::kMonotonic;
    o.bins = static_cast<int>(
        p.Int("bins", o.method == WoeBinningMethod::kQuantile ? 10 : 8, 1, 1000));
    o.fine_bins = static_cast<int>(p.Int("fine_bins", 20, 2, 1000));
    o.min_bin_share = p.Number("min_bin_share", 0.05, 0, 0.5);
    o.min_bin_events = p.Int("min_bin_events", 1, 0, INT64_MAX);
    o.smoothing = p.Number("smoothing", 0.5, 0, 1e9);
    LEPTON_RETURN_IF_ERROR(p.Finish());
    return std::unique_ptr<Step>(std::move(s));
  }
  bool Takes(Kind k) const override { return k == Kind::kNumeric || k == Kind::kString; }
  std::string_view takes() const override { return "a numeric or string column"; }
  Kind Yields(Kind) const override { return Kind::kNumeric; }
  bool needs_target() const override { return true; }

  absl::Status Fit(const Values& v, std::span<const double> target,
                   std::string_view column) override {
    absl::StatusOr<WoeBinning> b =
        v.kind == Kind::kString ? FitCategoricalWoe(v.str, v.present, target, options_)
                                : FitNumericWoe(v.num, target, options_);
    if (!b.ok()) return Annotate(b.status(), StrCat("column \"", column, "\""));
    binning_ = *std::move(b);
    BuildLookup();
    return absl::OkStatus();
  }
  void Apply(Values* v) const override {
    if (v->kind == Kind::kString) {
      v->num.resize(v->str.size());
      for (size_t r = 0; r < v->str.size(); ++r) {
        if (!v->present[r]) {
          v->num[r] = missing_woe_;
          continue;
        }
        auto it = category_woe_.find(Absl(v->str[r]));
        v->num[r] = it == category_woe_.end() ? other_woe_ : it->second;
      }
      v->kind = Kind::kNumeric;
      return;
    }
    for (double& x : v->num) {
      if (std::isnan(x)) {
        x = missing_woe_;
      } else if (range_woe_.empty()) {
        x = binning_.default_woe;
      } else {
        // Bins are (lower, upper]: the first upper edge >= x.
        const auto it = std::lower_bound(upper_edges_.begin(), upper_edges_.end(), x);
        x = range_woe_[static_cast<size_t>(it - upper_edges_.begin())];
      }
    }
  }
  Json FittedJson() const override { return {{"binning", binning_.ToJson()}}; }
  absl::Status LoadFitted(const Json& f, const std::string& path) override {
    LEPTON_RETURN_IF_ERROR(Require(f, "binning", path));
    LEPTON_ASSIGN_OR_RETURN(binning_, WoeBinning::FromJson(f["binning"], path + ".binning"));
    BuildLookup();
    return absl::OkStatus();
  }
  const WoeBinning* woe_binning() const override { return &binning_; }

 private:
  explicit Woe(Json c) : Step(std::move(c)) {}
  void BuildLookup() {
    upper_edges_.clear();
    range_woe_.clear();
    category_woe_.clear();
    missing_woe_ = binning_.default_woe;
    other_woe_ = binning_.default_woe;
    for (const WoeBin& b : binning_.bins) {
      switch (b.kind) {
        case WoeBinKind::kRange:
          upper_edges_.push_back(b.upper);
          range_woe_.push_back(b.woe);
          break;
        case WoeBinKind::kCategories:
          for (const auto& c : b.categories) category_woe_[c] = b.woe;
          break;
        case WoeBinKind::kOther:
          other_woe_ = b.woe;
          for (const auto& c : b.categories) category_woe_[c] = b.woe;
          break;
        case WoeBinKind::kMissing:
          missing_woe_ = b.woe;
          break;
      }
    }
    // The last range bin is open to +inf whatever its stored edge: values beyond it land there.
    if (!upper_edges_.empty()) upper_edges_.back() = kInf;
  }
  WoeOptions options_;
  WoeBinning binning_;
  std::vector<double> upper_edges_;
  std::vector<double> range_woe_;
  CategoryMap<double> category_woe_;
  double missing_woe_ = 0;
  double other_woe_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Date parts.

enum class Part {
  kYear,
  kMonth,
  kDay,
  kDayOfWeek,
  kDayOfYear,
  kQuarter,
  kHour,
  kMinute,
  kSecond,
  kIsWeekend,
  kEpochDays
};
const std::vector<std::string>& PartNames() {
  static const auto* names = new std::vector<std::string>{
      "year", "month",  "day",    "day_of_week", "day_of_year", "quarter",
      "hour", "minute", "second", "is_weekend",  "epoch_days"};
  return *names;
}

// Howard Hinnant's civil_from_days: proleptic Gregorian (y, m, d) of days since 1970-01-01.
void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

class DateParts : public Step {
 public:
  static absl::StatusOr<std::unique_ptr<Step>> Make(const Json& c, const std::string& path) {
    Params p(c, path);
    p.String("type");
    auto s = std::unique_ptr<DateParts>(new DateParts(c));
    std::vector<std::string> parts =
        p.OptionalStringArray("parts")
            .value_or(std::vector<std::string>{"year", "month", "day", "day_of_week"});
    if (parts.empty() && p.ok()) p.Fail("parts", "expected at least one part");
    for (size_t i = 0; i < parts.size() && p.ok(); ++i) {
      const auto& names = PartNames();
      auto it = std::find(names.begin(), names.end(), parts[i]);
      if (it == names.end()) {
        p.Fail(StrCat("parts[", i, "]"),
               StrCat("expected one of \"", StrJoin(names, "\", \""), "\", got \"", parts[i],
                      "\""));
      } else {
        s->parts_.push_back(static_cast<Part>(it - names.begin()));
        s->names_.push_back(parts[i]);
      }
    }
    LEPTON_RETURN_IF_ERROR(p.Finish());
    return std::unique_ptr<Step>(std::move(s));
  }
  bool Takes(Kind k) const override { return k == Kind::kTime; }
  std::string_view takes() const override { return "a date or timestamp column"; }
  bool terminal() const override { return true; }
  absl::Status Fit(const Values&, std::span<const double>, std::string_view) override {
    return absl::OkStatus();
  }
  std::vector<std::string> OutputNames(std::string_view column) const override {
    std::vector<std::string> out;
    for (const auto& n : names_) out.push_back(StrCat(column, ":", n));
    return out;
  }
  void WriteDense(const Values& v, float* out, size_t stride) const override {
    constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;
    for (size_t r = 0; r < v.num.size(); ++r) {
      float* row = out + r * stride;
      const double t = v.num[r];
      if (std::isnan(t)) {
        std::fill(row, row + parts_.size(), std::numeric_limits<float>::quiet_NaN());
        continue;
      }
      const auto us = static_cast<int64_t>(t);
      int64_t days = us / kMicrosPerDay;
      int64_t in_day = us % kMicrosPerDay;
      if (in_day < 0) {
        in_day += kMicrosPerDay;
        --days;
      }
      int64_t y;
      int m, d;
      CivilFromDays(days, &y, &m, &d);
      const int64_t dow = ((days % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday; Monday = 0
      static constexpr int kCumDays[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
      const int64_t doy = kCumDays[m - 1] + d + (m > 2 && IsLeap(y) ? 1 : 0);
      for (size_t j = 0; j < parts_.size(); ++j) {
        double x = 0;
        switch (parts_[j]) {
          case Part::kYear: x = static_cast<double>(y); break;
          case Part::kMonth: x = m; break;
          case Part::kDay: x = d; break;
          case Part::kDayOfWeek: x = static_cast<double>(dow); break;
          case Part::kDayOfYear: x = static_cast<double>(doy); break;
          case Part::kQuarter: x = (m - 1) / 3 + 1; break;
          case Part::kHour: x = static_cast<double>(in_day / 3600000000LL); break;
          case Part::kMinute: x = static_cast<double>(in_day / 60000000LL % 60); break;
          case Part::kSecond: x = static_cast<double>(in_day / 1000000LL % 60); break;
          case Part::kIsWeekend: x = dow >= 5 ? 1 : 0; break;
          case Part::kEpochDays: x = static_cast<double>(days); break;
        }
        row[j] = static_cast<float>(x);
      }
    }
  }
  Json FittedJson() const override { return Json::object(); }
  absl::Status LoadFitted(const Json&, const std::string&) override { return absl::OkStatus(); }

 private:
  explicit DateParts(Json c) : Step(std::move(c)) {}
  std::vector<Part> parts_;
  std::vector<std::string> names_;
};

}  // namespace

bool AddsMissingIndicator(const Step& step) {
  const auto* impute = dynamic_cast<const Impute*>(&step);
  return impute != nullptr && impute->indicator();
}

absl::StatusOr<std::unique_ptr<Step>> MakeStep(const Json& config, const std::string& path) {
  if (!config.is_object()) {
    return absl::InvalidArgumentError(
        StrCat(path, ": expected a step object like {\"type\": \"standardize\"}, got ",
               config.type_name()));
  }
  auto type = config.find("type");
  if (type == config.end() || !type->is_string()) {
    return absl::InvalidArgumentError(StrCat(
        path, ".type: expected a string naming the step (impute, standardize, min_max, log, "
              "clip, one_hot, ordinal, woe, tfidf, hash, date_parts)"));
  }
  const std::string& t = type->get_ref<const std::string&>();
  if (t == "impute") return Impute::Make(config, path);
  if (t == "standardize") return Standardize::Make(config, path);
  if (t == "min_max") return MinMax::Make(config, path);
  if (t == "log") return Log::Make(config, path);
  if (t == "clip") return Clip::Make(config, path);
  if (t == "one_hot") return OneHot::Make(config, path);
  if (t == "ordinal") return Ordinal::Make(config, path);
  if (t == "woe") return Woe::Make(config, path);
  if (t == "date_parts") return DateParts::Make(config, path);
  if (t == "tfidf" || t == "hash") return MakeTextStep(config, path);
  return absl::InvalidArgumentError(
      StrCat(path, ".type: expected one of \"impute\", \"standardize\", \"min_max\", \"log\", "
                   "\"clip\", \"one_hot\", \"ordinal\", \"woe\", \"tfidf\", \"hash\", "
                   "\"date_parts\", got \"",
             t, "\""));
}

}  // namespace lepton::features::internal
