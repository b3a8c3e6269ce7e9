#include "lepton/monitor/metrics.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::monitor {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), as Prometheus'
// parser (Go's utf8.ValidString) requires of label values and help text.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// Go's strconv.FormatFloat(v, 'g', -1, 64) up to exponent spelling, which the Prometheus parser
// reads either way: the shortest decimal that parses back to `v`.
void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  char buf[64];
  // Whole numbers (counts, most gauges and bucket bounds) as integers: "1000000", not "1e+06".
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    const auto result = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    out.append(buf, result.ptr);
    return;
  }
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, result.ptr);
}

void AppendEscaped(std::string& out, std::string_view s, bool escape_quote) {
  for (const char c : s) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '"' && escape_quote) {
      out.append("\\\"");
    } else {
      out.push_back(c);
    }
  }
}

void AppendHeader(std::string& out, const internal::Family& family) {
  out.append("# HELP ").append(family.name()).push_back(' ');
  AppendEscaped(out, family.help(), /*escape_quote=*/false);
  out.append("\n# TYPE ").append(family.name());
  switch (family.type()) {
    case MetricType::kCounter:
      out.append(" counter\n");
      break;
    case MetricType::kGauge:
      out.append(" gauge\n");
      break;
    case MetricType::kHistogram:
      out.append(" histogram\n");
      break;
  }
}

// Appends `name{l1="v1",...,extra_name="extra_value"} value\n`; no braces when there are no
// labels at all.
void AppendSample(std::string& out, std::string_view name, const std::vector<std::string>& labels,
                  const std::vector<std::string>& values, double value,
                  std::string_view extra_name = {}, std::string_view extra_value = {}) {
  out.append(name);
  if (!labels.empty() || !extra_name.empty()) {
    out.push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(labels[i]).append("=\"");
      AppendEscaped(out, values[i], /*escape_quote=*/true);
      out.push_back('"');
    }
    if (!extra_name.empty()) {
      if (!labels.empty()) out.push_back(',');
      out.append(extra_name).append("=\"").append(extra_value).push_back('"');
    }
    out.push_back('}');
  }
  out.push_back(' ');
  AppendDouble(out, value);
  out.push_back('\n');
}

std::vector<std::string_view> Views(std::span<const std::string> values) {
  return std::vector<std::string_view>(values.begin(), values.end());
}

// True when the sample with label `names` = `values` (plus `extra_name` = `extra_value`, the
// histogram bucket's "le", when not empty) has every label of `matcher`; a label it lacks reads
// as "" (PromQL).
bool Matches(const LabelMatcher& matcher, const std::vector<std::string>& names,
             const std::vector<std::string>& values, std::string_view extra_name = {},
             std::string_view extra_value = {}) {
  for (const auto& [name, want] : matcher) {
    std::string_view have;
    if (!extra_name.empty() && name == extra_name) {
      have = extra_value;
    } else {
      for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
        if (names[i] == name) {
          have = values[i];
          break;
        }
      }
    }
    if (have != want) return false;
  }
  return true;
}

absl::Status ValidateFamily(std::string_view name, std::string_view help, MetricType type,
                            const std::vector<std::string>& labels) {
  if (!IsValidMetricName(name)) {
    return absl::InvalidArgumentError(
        StrCat("metric name \"", name, "\" is invalid: it must match [a-zA-Z_:][a-zA-Z0-9_:]*"));
  }
  if (type == MetricType::kCounter &&
      (name.size() < 6 || name.substr(name.size() - 6) != "_total")) {
    return absl::InvalidArgumentError(
        StrCat("counter name \"", name, "\" must end in \"_total\""));
  }
  if (help.empty()) {
    return absl::InvalidArgumentError(StrCat("metric ", name, ": help text is empty"));
  }
  if (!IsValidUtf8(help)) {
    return absl::InvalidArgumentError(StrCat("metric ", name, ": help text is not valid UTF-8"));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!IsValidLabelName(labels[i])) {
      return absl::InvalidArgumentError(
          StrCat("metric ", name, ": label name \"", labels[i],
                 "\" is invalid: it must match [a-zA-Z_][a-zA-Z0-9_]* and not start with \"__\""));
    }
    if (type == MetricType::kHistogram && labels[i] == "le") {
      return absl::InvalidArgumentError(
          StrCat("metric ", name, ": label name \"le\" is reserved for histogram buckets"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (labels[j] == labels[i]) {
        return absl::InvalidArgumentError(
            StrCat("metric ", name, ": label name \"", labels[i], "\" is repeated"));
      }
    }
  }
  return absl::OkStatus();
}

// The sample names a family renders, for clash detection.
std::vector<std::string> SeriesNames(const internal::Family& family) {
  if (family.type() == MetricType::kHistogram) {
    return {family.name() + "_bucket", family.name() + "_sum", family.name() + "_count"};
  }
  return {family.name()};
}

// A family whose samples come from a function at render time.
class CallbackFamily final : public internal::Family {
 public:
  CallbackFamily(std::string name, std::string help, MetricType type,
                 std::vector<std::string> labels, bool labelled,
                 std::function<std::optional<double>()> scalar_fn,
                 std::function<std::vector<CallbackSample>()> samples_fn)
      : Family(std::move(name), std::move(help), type, std::move(labels)),
        labelled_(labelled),
        scalar_fn_(std::move(scalar_fn)),
        samples_fn_(std::move(samples_fn)) {}

  void Render(std::string& out) const override {
    if (!labelled_) {
      const std::optional<double> value = scalar_fn_();
      if (!value.has_value()) return;
      AppendHeader(out, *this);
      AppendSample(out, name(), {}, {}, *value);
      return;
    }
    std::vector<CallbackSample> samples = samples_fn_();
    std::erase_if(samples, [&](const CallbackSample& s) {
      if (s.label_values.size() != label_names().size()) return true;
      for (const std::string& v : s.label_values) {
        if (!IsValidUtf8(v)) return true;
      }
      return false;
    });
    std::stable_sort(samples.begin(), samples.end(),
                     [](const CallbackSample& a, const CallbackSample& b) {
                       return a.label_values < b.label_values;
                     });
    // Keeps the first of each run of equal tuples (stable sort: the callback's first).
    samples.erase(std::unique(samples.begin(), samples.end(),
                              [](const CallbackSample& a, const CallbackSample& b) {
                                return a.label_values == b.label_values;
                              }),
                  samples.end());
    if (samples.empty()) return;
    AppendHeader(out, *this);
    for (const CallbackSample& s : samples) {
      AppendSample(out, name(), label_names(), s.label_values, s.value);
    }
  }

  size_t SumMatching(std::string_view series, const LabelMatcher& matcher,
                     double* sum) const override {
    if (series != name()) return 0;
    if (!labelled_) {
      const std::optional<double> value = scalar_fn_();
      if (!value.has_value() || !Matches(matcher, {}, {})) return 0;
      *sum += *value;
      return 1;
    }
    // The same samples `Render` would show: well-formed ones, the first of a repeated tuple.
    std::vector<CallbackSample> samples = samples_fn_();
    std::vector<const std::vector<std::string>*> seen;
    size_t n = 0;
    for (const CallbackSample& s : samples) {
      if (s.label_values.size() != label_names().size()) continue;
      bool bad = false;
      for (const std::string& v : s.label_values) bad = bad || !IsValidUtf8(v);
      for (const auto* prev : seen) bad = bad || *prev == s.label_values;
      if (bad) continue;
      seen.push_back(&s.label_values);
      if (!Matches(matcher, label_names(), s.label_values)) continue;
      *sum += s.value;
      ++n;
    }
    return n;
  }

 private:
  const bool labelled_;
  const std::function<std::optional<double>()> scalar_fn_;
  const std::function<std::vector<CallbackSample>()> samples_fn_;
};

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  for (const char c : name) {
    if (!IsNameChar(c) && c != ':') return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;
  for (const char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

absl::StatusOr<std::vector<double>> ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1 || count > 1000) {
    return absl::InvalidArgumentError(
        StrCat("exponential buckets need start > 0, factor > 1 and 1 <= count <= 1000 (got ",
               start, ", ", factor, ", ", count, ")"));
  }
  std::vector<double> out;
  out.reserve(static_cast<size_t>(count));
  double b = start;
  for (int i = 0; i < count; ++i, b *= factor) {
    if (!std::isfinite(b)) {
      return absl::InvalidArgumentError(StrCat("exponential buckets overflow after ", i));
    }
    out.push_back(b);
  }
  return out;
}

// --- handles -------------------------------------------------------------------------------

void Counter::Add(double delta) {
  if (cell_ == nullptr) return;
  if (!(delta >= 0)) {  // also NaN
    LEPTON_DCHECK(delta >= 0 && "a counter only goes up");
    return;
  }
  // Whole amounts stay exact in the integer part.
  if (delta < 18446744073709551616.0 && delta == std::floor(delta)) {
    cell_->whole.fetch_add(static_cast<uint64_t>(delta), std::memory_order_relaxed);
  } else {
    internal::AtomicAddDouble(cell_->fraction, delta);
  }
}

double Counter::Value() const {
  if (cell_ == nullptr) return 0;
  return static_cast<double>(cell_->whole.load(std::memory_order_relaxed)) +
         cell_->fraction.load(std::memory_order_relaxed);
}

uint64_t Histogram::Count() const {
  if (cell_ == nullptr) return 0;
  uint64_t n = 0;
  for (const auto& b : cell_->buckets) n += b.load(std::memory_order_relaxed);
  return n;
}

double Histogram::Sum() const {
  return cell_ == nullptr ? 0.0 : cell_->sum.load(std::memory_order_relaxed);
}

// --- families ------------------------------------------------------------------------------

namespace internal {

absl::StatusOr<std::vector<std::string>> Family::Key(
    std::span<const std::string_view> values) const {
  if (values.size() != labels_.size()) {
    return absl::InvalidArgumentError(
        StrCat("metric ", name_, ": got ", values.size(), " label values for ", labels_.size(),
               " label names (", StrJoin(labels_, ", "), ")"));
  }
  std::vector<std::string> key;
  key.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!IsValidUtf8(values[i])) {
      return absl::InvalidArgumentError(
          StrCat("metric ", name_, ": value of label ", labels_[i], " is not valid UTF-8"));
    }
    key.emplace_back(values[i]);
  }
  return key;
}

}  // namespace internal

namespace {

// The lookup-or-create shared by the three families.
template <typename Cell, typename MakeCell>
absl::StatusOr<Cell*> FindOrCreate(
    std::map<std::vector<std::string>, std::unique_ptr<Cell>>& cells,
    std::vector<std::string> key, size_t max_series, const std::string& name,
    MakeCell make_cell) {
  auto it = cells.find(key);
  if (it != cells.end()) return it->second.get();
  if (cells.size() >= max_series) {
    return absl::ResourceExhaustedError(
        StrCat("metric ", name, " already has ", cells.size(),
               " series (the limit); is a label fed with unbounded values?"));
  }
  auto [inserted, unused] = cells.emplace(std::move(key), make_cell());
  return inserted->second.get();
}

}  // namespace

CounterFamily::CounterFamily(std::string name, std::string help, std::vector<std::string> labels,
                             size_t max_series)
    : Family(std::move(name), std::move(help), MetricType::kCounter, std::move(labels)),
      max_series_(max_series) {}

absl::StatusOr<Counter> CounterFamily::WithLabels(
    std::initializer_list<std::string_view> values) {
  return Get(std::span<const std::string_view>(values.begin(), values.size()));
}
absl::StatusOr<Counter> CounterFamily::WithLabels(std::span<const std::string> values) {
  return Get(Views(values));
}

absl::StatusOr<Counter> CounterFamily::Get(std::span<const std::string_view> values) {
  LEPTON_ASSIGN_OR_RETURN(std::vector<std::string> key, Key(values));
  std::lock_guard<std::mutex> lock(mu_);
  LEPTON_ASSIGN_OR_RETURN(internal::CounterCell * cell,
                          FindOrCreate(cells_, std::move(key), max_series_, name(), [] {
                            return std::make_unique<internal::CounterCell>();
                          }));
  return Counter(cell);
}

void CounterFamily::Render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (cells_.empty()) return;
  AppendHeader(out, *this);
  for (const auto& [values, cell] : cells_) {
    AppendSample(out, name(), label_names(), values, Counter(cell.get()).Value());
  }
}

size_t CounterFamily::SumMatching(std::string_view series, const LabelMatcher& matcher,
                                  double* sum) const {
  if (series != name()) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [values, cell] : cells_) {
    if (!Matches(matcher, label_names(), values)) continue;
    *sum += Counter(cell.get()).Value();
    ++n;
  }
  return n;
}

GaugeFamily::GaugeFamily(std::string name, std::string help, std::vector<std::string> labels,
                         size_t max_series)
    : Family(std::move(name), std::move(help), MetricType::kGauge, std::move(labels)),
      max_series_(max_series) {}

absl::StatusOr<Gauge> GaugeFamily::WithLabels(std::initializer_list<std::string_view> values) {
  return Get(std::span<const std::string_view>(values.begin(), values.size()));
}
absl::StatusOr<Gauge> GaugeFamily::WithLabels(std::span<const std::string> values) {
  return Get(Views(values));
}

absl::StatusOr<Gauge> GaugeFamily::Get(std::span<const std::string_view> values) {
  LEPTON_ASSIGN_OR_RETURN(std::vector<std::string> key, Key(values));
  std::lock_guard<std::mutex> lock(mu_);
  LEPTON_ASSIGN_OR_RETURN(internal::GaugeCell * cell,
                          FindOrCreate(cells_, std::move(key), max_series_, name(), [] {
                            return std::make_unique<internal::GaugeCell>();
                          }));
  return Gauge(cell);
}

void GaugeFamily::Render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (cells_.empty()) return;
  AppendHeader(out, *this);
  for (const auto& [values, cell] : cells_) {
    AppendSample(out, name(), label_names(), values,
                 cell->value.load(std::memory_order_relaxed));
  }
}

size_t GaugeFamily::SumMatching(std::string_view series, const LabelMatcher& matcher,
                                double* sum) const {
  if (series != name()) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [values, cell] : cells_) {
    if (!Matches(matcher, label_names(), values)) continue;
    *sum += cell->value.load(std::memory_order_relaxed);
    ++n;
  }
  return n;
}

HistogramFamily::HistogramFamily(std::string name, std::string help,
                                 std::vector<std::string> labels, std::vector<double> bounds,
                                 size_t max_series)
    : Family(std::move(name), std::move(help), MetricType::kHistogram, std::move(labels)),
      bounds_(std::move(bounds)),
      max_series_(max_series) {}

absl::StatusOr<Histogram> HistogramFamily::WithLabels(
    std::initializer_list<std::string_view> values) {
  return Get(std::span<const std::string_view>(values.begin(), values.size()));
}
absl::StatusOr<Histogram> HistogramFamily::WithLabels(std::span<const std::string> values) {
  return Get(Views(values));
}

absl::StatusOr<Histogram> HistogramFamily::Get(std::span<const std::string_view> values) {
  LEPTON_ASSIGN_OR_RETURN(std::vector<std::string> key, Key(values));
  std::lock_guard<std::mutex> lock(mu_);
  LEPTON_ASSIGN_OR_RETURN(internal::HistogramCell * cell,
                          FindOrCreate(cells_, std::move(key), max_series_, name(), [&] {
                            return std::make_unique<internal::HistogramCell>(bounds_.size());
                          }));
  return Histogram(cell, &bounds_);
}

void HistogramFamily::Render(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (cells_.empty()) return;
  AppendHeader(out, *this);
  const std::string bucket_name = name() + "_bucket";
  std::string le;
  for (const auto& [values, cell] : cells_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += cell->buckets[i].load(std::memory_order_relaxed);
      le.clear();
      if (i < bounds_.size()) {
        AppendDouble(le, bounds_[i]);
      } else {
        le = "+Inf";
      }
      AppendSample(out, bucket_name, label_names(), values, static_cast<double>(cumulative),
                   "le", le);
    }
    AppendSample(out, name() + "_sum", label_names(), values,
                 cell->sum.load(std::memory_order_relaxed));
    AppendSample(out, name() + "_count", label_names(), values, static_cast<double>(cumulative));
  }
}

size_t HistogramFamily::SumMatching(std::string_view series, const LabelMatcher& matcher,
                                    double* sum) const {
  const bool is_count = series == name() + "_count";
  const bool is_sum = series == name() + "_sum";
  const bool is_bucket = series == name() + "_bucket";
  if (!is_count && !is_sum && !is_bucket) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  std::string le;
  for (const auto& [values, cell] : cells_) {
    if (is_sum || is_count) {
      if (!Matches(matcher, label_names(), values)) continue;
      if (is_sum) {
        *sum += cell->sum.load(std::memory_order_relaxed);
      } else {
        uint64_t count = 0;
        for (const auto& b : cell->buckets) count += b.load(std::memory_order_relaxed);
        *sum += static_cast<double>(count);
      }
      ++n;
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += cell->buckets[i].load(std::memory_order_relaxed);
      le.clear();
      if (i < bounds_.size()) {
        AppendDouble(le, bounds_[i]);
      } else {
        le = "+Inf";
      }
      if (!Matches(matcher, label_names(), values, "le", le)) continue;
      *sum += static_cast<double>(cumulative);
      ++n;
    }
  }
  return n;
}

// --- registry ------------------------------------------------------------------------------

MetricsRegistry::MetricsRegistry(MetricsRegistryOptions options) : options_(options) {}
MetricsRegistry::~MetricsRegistry() = default;

absl::Status MetricsRegistry::Register(std::unique_ptr<internal::Family> family) {
  std::vector<std::string> names = SeriesNames(*family);
  names.push_back(family->name());
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& n : names) {
    auto it = series_names_.find(n);
    if (it != series_names_.end()) {
      return absl::AlreadyExistsError(
          StrCat("metric ", family->name(), ": the name ", n, " is already used by metric ",
                 it->second));
    }
  }
  for (const std::string& n : names) series_names_.emplace(n, family->name());
  std::string key = family->name();
  families_.emplace(std::move(key), std::move(family));
  return absl::OkStatus();
}

absl::StatusOr<CounterFamily*> MetricsRegistry::AddCounter(std::string_view name,
                                                           std::string_view help,
                                                           std::vector<std::string> label_names) {
  LEPTON_RETURN_IF_ERROR(ValidateFamily(name, help, MetricType::kCounter, label_names));
  auto family = std::make_unique<CounterFamily>(std::string(name), std::string(help),
                                                std::move(label_names),
                                                options_.max_series_per_family);
  CounterFamily* out = family.get();
  LEPTON_RETURN_IF_ERROR(Register(std::move(family)));
  return out;
}

absl::StatusOr<GaugeFamily*> MetricsRegistry::AddGauge(std::string_view name,
                                                       std::string_view help,
                                                       std::vector<std::string> label_names) {
  LEPTON_RETURN_IF_ERROR(ValidateFamily(name, help, MetricType::kGauge, label_names));
  auto family = std::make_unique<GaugeFamily>(std::string(name), std::string(help),
                                              std::move(label_names),
                                              options_.max_series_per_family);
  GaugeFamily* out = family.get();
  LEPTON_RETURN_IF_ERROR(Register(std::move(family)));
  return out;
}

absl::StatusOr<HistogramFamily*> MetricsRegistry::AddHistogram(
    std::string_view name, std::string_view help, std::vector<std::string> label_names,
    std::vector<double> buckets) {
  LEPTON_RETURN_IF_ERROR(ValidateFamily(name, help, MetricType::kHistogram, label_names));
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i])) {
      return absl::InvalidArgumentError(
          StrCat("histogram ", name, ": bucket bound ", buckets[i],
                 " is not finite (the +Inf bucket is always added; do not list it)"));
    }
    if (i > 0 && !(buckets[i] > buckets[i - 1])) {
      return absl::InvalidArgumentError(
          StrCat("histogram ", name, ": bucket bounds must be strictly increasing (", buckets[i],
                 " follows ", buckets[i - 1], ")"));
    }
  }
  auto family = std::make_unique<HistogramFamily>(std::string(name), std::string(help),
                                                  std::move(label_names), std::move(buckets),
                                                  options_.max_series_per_family);
  HistogramFamily* out = family.get();
  LEPTON_RETURN_IF_ERROR(Register(std::move(family)));
  return out;
}

absl::Status MetricsRegistry::AddCallback(std::string_view name, std::string_view help,
                                          MetricType type, std::vector<std::string> label_names,
                                          bool labelled,
                                          std::function<std::optional<double>()> scalar_fn,
                                          std::function<std::vector<CallbackSample>()> samples_fn) {
  LEPTON_RETURN_IF_ERROR(ValidateFamily(name, help, type, label_names));
  if (labelled ? !samples_fn : !scalar_fn) {
    return absl::InvalidArgumentError(StrCat("metric ", name, ": the callback is empty"));
  }
  return Register(std::make_unique<CallbackFamily>(std::string(name), std::string(help), type,
                                                   std::move(label_names), labelled,
                                                   std::move(scalar_fn), std::move(samples_fn)));
}

absl::Status MetricsRegistry::AddCallbackCounter(std::string_view name, std::string_view help,
                                                 std::function<std::optional<double>()> fn) {
  return AddCallback(name, help, MetricType::kCounter, {}, false, std::move(fn), nullptr);
}
absl::Status MetricsRegistry::AddCallbackCounter(std::string_view name, std::string_view help,
                                                 std::vector<std::string> label_names,
                                                 std::function<std::vector<CallbackSample>()> fn) {
  return AddCallback(name, help, MetricType::kCounter, std::move(label_names), true, nullptr,
                     std::move(fn));
}
absl::Status MetricsRegistry::AddCallbackGauge(std::string_view name, std::string_view help,
                                               std::function<std::optional<double>()> fn) {
  return AddCallback(name, help, MetricType::kGauge, {}, false, std::move(fn), nullptr);
}
absl::Status MetricsRegistry::AddCallbackGauge(std::string_view name, std::string_view help,
                                               std::vector<std::string> label_names,
                                               std::function<std::vector<CallbackSample>()> fn) {
  return AddCallback(name, help, MetricType::kGauge, std::move(label_names), true, nullptr,
                     std::move(fn));
}

std::string MetricsRegistry::Render() const {
  std::vector<const internal::Family*> families;
  {
    std::lock_guard<std::mutex> lock(mu_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) families.push_back(family.get());
  }
  // Unlocked: families are never removed, and callbacks may use the registry.
  std::string out;
  for (const internal::Family* family : families) family->Render(out);
  return out;
}

absl::StatusOr<double> MetricsRegistry::Sum(std::string_view series,
                                            const LabelMatcher& matcher) const {
  const internal::Family* family = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = series_names_.find(series);
    if (it != series_names_.end()) {
      auto f = families_.find(it->second);
      if (f != families_.end()) family = f->second.get();
    }
  }
  if (family == nullptr) return absl::NotFoundError(StrCat("no metric named ", series));
  // Unlocked, as in `Render`: callbacks may use the registry.
  double sum = 0;
  if (family->SumMatching(series, matcher, &sum) == 0) {
    return absl::NotFoundError(StrCat("no series of ", series, " matches the labels"));
  }
  return sum;
}

}  // namespace lepton::monitor
