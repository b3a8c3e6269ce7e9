#pragma once
// A Prometheus metrics registry and its text exposition (format 0.0.4, what `promtool check
// metrics` and every Prometheus server read).
//
// Families (a metric name, help text, type and label names) are registered once at start-up.
// Hot-path code then asks a family for the handle of one label-value tuple, keeps it, and updates
// it with plain atomic operations: no lock, no allocation, no lookup per update.
//
//   MetricsRegistry registry;
//   LEPTON_ASSIGN_OR_RETURN(CounterFamily* requests, registry.AddCounter(
//       "lepton_requests_total", "Prediction requests served.", {"deployment", "version", "code"}));
//   LEPTON_ASSIGN_OR_RETURN(Counter ok, requests->WithLabels({"credit-scorer", "3", "200"}));
//   ok.Inc();                                  // one relaxed `lock xadd`, from any thread
//   std::string body = registry.Render();      // served as text/plain; version=0.0.4
//
// Values owned elsewhere (queue depth, dataset counts, process statistics) are exposed with
// callback families whose function runs at scrape time, inside `Render()`.
//
// Lifetimes: families are owned by the registry and live as long as it does; handles
// (`Counter`, `Gauge`, `Histogram`) point into their family and must not outlive the registry.
// Nothing is ever unregistered, so a handle stays valid for the registry's whole life.
//
// Thread-safety: every method of every class here may be called concurrently without external
// synchronization. Handle updates are lock-free; `WithLabels`, registration and `Render` take a
// mutex and may allocate.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lepton::monitor {

// The content type of what `MetricsRegistry::Render` returns, for the HTTP response.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge, kHistogram };

// True for a valid metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidMetricName(std::string_view name);
// True for a valid, non-reserved label name: [a-zA-Z_][a-zA-Z0-9_]* not starting with "__".
// (Prometheus label names, unlike metric names, may not contain ':'.)
bool IsValidLabelName(std::string_view name);

// Default histogram buckets of the Prometheus client libraries, in seconds (5 ms .. 10 s), suited
// to request latencies.
std::vector<double> DefaultLatencyBuckets();
// `count` buckets `start`, `start * factor`, `start * factor^2`, ... (like the Go client's
// ExponentialBuckets). InvalidArgument unless start > 0, factor > 1 and 1 <= count <= 1000.
absl::StatusOr<std::vector<double>> ExponentialBuckets(double start, double factor, int count);

// Exact label matches: (label name, value) pairs that a sample must all have. A label the sample
// does not have counts as the empty string, as in PromQL.
using LabelMatcher = std::vector<std::pair<std::string, std::string>>;

namespace internal {

// One series' storage. Each cell has its own cache line so that handles updated by different
// threads do not false-share.
struct alignas(64) CounterCell {
  // Whole increments go to an integer (exact, one `lock xadd`); fractional ones to a double.
  std::atomic<uint64_t> whole{0};
  std::atomic<double> fraction{0.0};
};
struct alignas(64) GaugeCell {
  std::atomic<double> value{0.0};
};
struct alignas(64) HistogramCell {
  explicit HistogramCell(size_t num_bounds) : buckets(num_bounds + 1) {}
  // Per-bucket (not cumulative) counts; the last one is the +Inf bucket. `_count` is their sum,
  // so it always equals the rendered +Inf bucket.
  std::vector<std::atomic<uint64_t>> buckets;
  std::atomic<double> sum{0.0};
};

// Adds `delta` to `target` with a compare-and-swap loop (lock-free on every 64-bit target).
inline void AtomicAddDouble(std::atomic<double>& target, double delta) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + delta, std::memory_order_relaxed)) {
  }
}

// What every family shares: its metadata and how it renders itself.
class Family {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> labels)
      : name_(std::move(name)), help_(std::move(help)), type_(type), labels_(std::move(labels)) {}
  virtual ~Family() = default;
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return labels_; }

  // Appends this family's `# HELP`, `# TYPE` and sample lines to `out`; appends nothing when the
  // family has no series (the Go client's registry drops such families too).
  virtual void Render(std::string& out) const = 0;

  // Adds to `*sum` the values of the rendered samples named `series` (the family name, or for a
  // histogram `<name>_count`, `<name>_sum` or `<name>_bucket`) whose labels match `matcher`, and
  // returns how many matched. See `MetricsRegistry::Sum` for the matching rules.
  virtual size_t SumMatching(std::string_view series, const LabelMatcher& matcher,
                             double* sum) const = 0;

 protected:
  // Checks a label-value tuple against `label_names()`: InvalidArgument on a count mismatch or a
  // value that is not valid UTF-8. On success returns the tuple as a map key.
  absl::StatusOr<std::vector<std::string>> Key(std::span<const std::string_view> values) const;

 private:
  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> labels_;
};

}  // namespace internal

// A handle on one counter series: a monotonically increasing value. Cheap to copy (one pointer);
// keep it and update it from any thread. A default-constructed handle is detached: updates are
// discarded and `Value()` is 0.
class Counter {
 public:
  Counter() = default;
  // Adds `n` (default 1). Whole increments are summed exactly in 64 bits; the rendered value is
  // a double, so exact up to 2^53.
  void Inc(uint64_t n = 1) {
    if (cell_ != nullptr) cell_->whole.fetch_add(n, std::memory_order_relaxed);
  }
  // Adds `delta`, e.g. seconds of CPU. A negative or NaN `delta` would make the counter
  // non-monotonic: it is a programming error, discarded (and a debug-build check failure).
  void Add(double delta);
  // The current total.
  double Value() const;

 private:
  friend class CounterFamily;
  explicit Counter(internal::CounterCell* cell) : cell_(cell) {}
  internal::CounterCell* cell_ = nullptr;
};

// A handle on one gauge series: a value that goes up and down. Same handle rules as `Counter`.
class Gauge {
 public:
  Gauge() = default;
  void Set(double value) {
    if (cell_ != nullptr) cell_->value.store(value, std::memory_order_relaxed);
  }
  void Add(double delta) {
    if (cell_ != nullptr) internal::AtomicAddDouble(cell_->value, delta);
  }
  void Sub(double delta) { Add(-delta); }
  void Inc() { Add(1.0); }
  void Dec() { Add(-1.0); }
  double Value() const {
    return cell_ == nullptr ? 0.0 : cell_->value.load(std::memory_order_relaxed);
  }

 private:
  friend class GaugeFamily;
  explicit Gauge(internal::GaugeCell* cell) : cell_(cell) {}
  internal::GaugeCell* cell_ = nullptr;
};

// A handle on one histogram series. Same handle rules as `Counter`.
class Histogram {
 public:
  Histogram() = default;
  // Counts `value` in the first bucket whose upper bound is >= `value` (bounds are inclusive,
  // `le` = "less than or equal"), or in the +Inf bucket, and adds it to `_sum`. A NaN is
  // discarded: it would turn `_sum` into NaN for good.
  void Observe(double value) {
    if (cell_ == nullptr || value != value) return;  // detached, or NaN
    // First bound >= value; `bounds_->size()` (the +Inf bucket) when there is none.
    const size_t i = static_cast<size_t>(
        std::lower_bound(bounds_->begin(), bounds_->end(), value) - bounds_->begin());
    cell_->buckets[i].fetch_add(1, std::memory_order_relaxed);
    internal::AtomicAddDouble(cell_->sum, value);
  }
  // The number of observations and their sum (for tests and callers that want them directly).
  uint64_t Count() const;
  double Sum() const;

 private:
  friend class HistogramFamily;
  Histogram(internal::HistogramCell* cell, const std::vector<double>* bounds)
      : cell_(cell), bounds_(bounds) {}
  internal::HistogramCell* cell_ = nullptr;
  const std::vector<double>* bounds_ = nullptr;  // owned by the family
};

// A registered counter family. Obtain from `MetricsRegistry::AddCounter`.
class CounterFamily final : public internal::Family {
 public:
  CounterFamily(std::string name, std::string help, std::vector<std::string> labels,
                size_t max_series);
  // Returns the handle of the series with these label values (one per label name, in order),
  // creating the series at 0 on first use; every call with the same values returns a handle on
  // the same series. Not for the hot path (it locks and looks up): call once and keep the handle.
  // InvalidArgument: wrong number of values, or a value that is not valid UTF-8.
  // ResourceExhausted: the family already has `max_series_per_family` series (a label fed with
  // unbounded values, such as raw URLs, would otherwise grow memory and scrapes without bound).
  absl::StatusOr<Counter> WithLabels(std::initializer_list<std::string_view> values);
  absl::StatusOr<Counter> WithLabels(std::span<const std::string> values);
  void Render(std::string& out) const override;
  size_t SumMatching(std::string_view series, const LabelMatcher& matcher,
                     double* sum) const override;

 private:
  absl::StatusOr<Counter> Get(std::span<const std::string_view> values);
  const size_t max_series_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<internal::CounterCell>> cells_
      ABSL_GUARDED_BY(mu_);
};

// A registered gauge family. Obtain from `MetricsRegistry::AddGauge`. `WithLabels` as in
// `CounterFamily`.
class GaugeFamily final : public internal::Family {
 public:
  GaugeFamily(std::string name, std::string help, std::vector<std::string> labels,
              size_t max_series);
  absl::StatusOr<Gauge> WithLabels(std::initializer_list<std::string_view> values);
  absl::StatusOr<Gauge> WithLabels(std::span<const std::string> values);
  void Render(std::string& out) const override;
  size_t SumMatching(std::string_view series, const LabelMatcher& matcher,
                     double* sum) const override;

 private:
  absl::StatusOr<Gauge> Get(std::span<const std::string_view> values);
  const size_t max_series_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<internal::GaugeCell>> cells_
      ABSL_GUARDED_BY(mu_);
};

// A registered histogram family. Obtain from `MetricsRegistry::AddHistogram`. `WithLabels` as
// in `CounterFamily`.
class HistogramFamily final : public internal::Family {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> labels,
                  std::vector<double> bounds, size_t max_series);
  absl::StatusOr<Histogram> WithLabels(std::initializer_list<std::string_view> values);
  absl::StatusOr<Histogram> WithLabels(std::span<const std::string> values);
  // The finite upper bounds, ascending (the +Inf bucket is implicit).
  const std::vector<double>& bounds() const { return bounds_; }
  void Render(std::string& out) const override;
  size_t SumMatching(std::string_view series, const LabelMatcher& matcher,
                     double* sum) const override;

 private:
  absl::StatusOr<Histogram> Get(std::span<const std::string_view> values);
  const std::vector<double> bounds_;
  const size_t max_series_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<internal::HistogramCell>> cells_
      ABSL_GUARDED_BY(mu_);
};

// One sample of a labelled callback family: label values (one per label name, in order) and
// the value.
struct CallbackSample {
  std::vector<std::string> label_values;
  double value = 0;
};

struct MetricsRegistryOptions {
  // The most series one family may hold (see `CounterFamily::WithLabels`).
  size_t max_series_per_family = 10000;
};

// The set of metric families a process exposes. Usually one per process, created in the
// composition root and passed by reference to the modules that register metrics.
class MetricsRegistry {
 public:
  explicit MetricsRegistry(MetricsRegistryOptions options = {});
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registration. The returned family pointer is owned by the registry and valid for its life.
  // `label_names` become the series' label names, in this order.
  // Errors (registration runs at start-up with constant arguments, so these are bugs to fix):
  //   InvalidArgument: `name` is not a valid metric name; a counter name does not end in
  //     "_total" (the 0.0.4 convention promtool enforces); `help` is empty or not valid UTF-8;
  //     a label name is invalid, reserved ("__" prefix, or "le" on a histogram) or repeated;
  //     histogram `buckets` are not finite and strictly increasing (do not list +Inf: it is
  //     always added).
  //   AlreadyExists: the name, or a series name it renders (a histogram's `_bucket`, `_sum`,
  //     `_count`), is already used by a registered family.
  absl::StatusOr<CounterFamily*> AddCounter(std::string_view name, std::string_view help,
                                            std::vector<std::string> label_names = {});
  absl::StatusOr<GaugeFamily*> AddGauge(std::string_view name, std::string_view help,
                                        std::vector<std::string> label_names = {});
  absl::StatusOr<HistogramFamily*> AddHistogram(std::string_view name, std::string_view help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> buckets);

  // Callback families, for values owned elsewhere: `fn` runs on every `Render()`, on the
  // scraping thread, without any registry lock held (so it may itself use the registry). It
  // must be thread-safe, quick and must not throw; whatever it captures must outlive the
  // registry. Unlabelled: `fn` returns the value, or nullopt when it is unavailable (the family
  // is then left out of that scrape). Labelled: `fn` returns the samples; a sample with the wrong
  // number of label values, a label value that is not valid UTF-8, or a repeated label-value
  // tuple is dropped (rendering cannot fail). Errors as for `AddCounter` / `AddGauge`;
  // InvalidArgument also for an empty `fn`.
  absl::Status AddCallbackCounter(std::string_view name, std::string_view help,
                                  std::function<std::optional<double>()> fn);
  absl::Status AddCallbackCounter(std::string_view name, std::string_view help,
                                  std::vector<std::string> label_names,
                                  std::function<std::vector<CallbackSample>()> fn);
  absl::Status AddCallbackGauge(std::string_view name, std::string_view help,
                                std::function<std::optional<double>()> fn);
  absl::Status AddCallbackGauge(std::string_view name, std::string_view help,
                                std::vector<std::string> label_names,
                                std::function<std::vector<CallbackSample>()> fn);

  // Renders every family in the Prometheus text exposition format 0.0.4: per family `# HELP`
  // (backslash and newline escaped), `# TYPE`, then one line per series; label values escape
  // backslash, double quote and newline; histograms render cumulative `_bucket{le="..."}` lines
  // ending with le="+Inf", then `_sum` and `_count`. Values use the shortest decimal that reads
  // back exactly, and "+Inf", "-Inf", "NaN". The order is deterministic: families by name,
  // series by label values (string order), labels in registration order. Families without any
  // series are left out. Updates racing with a render may or may not be included (each value is
  // read atomically; a histogram's `_sum` may lag its buckets by the observations in flight).
  std::string Render() const;

  // The sum of the current values of every sample named `series` whose labels match `matcher`,
  // as a scrape would show them at this moment — what an alert rule on `sum(series{matcher})`
  // reads. `series` is a rendered sample name: a counter or gauge family's name, or a
  // histogram's `<name>_count`, `<name>_sum` or `<name>_bucket` (the bucket's bound is the label
  // "le", spelled as rendered: "0.5", "+Inf"). Callback families are included (their function
  // runs on this thread, without the registry lock, as in `Render`).
  // NotFound: no family renders `series`, or no sample of it matches (the value is absent,
  // which an alert evaluates as "no data" rather than 0).
  absl::StatusOr<double> Sum(std::string_view series, const LabelMatcher& matcher = {}) const;

 private:
  absl::Status Register(std::unique_ptr<internal::Family> family) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status AddCallback(std::string_view name, std::string_view help, MetricType type,
                           std::vector<std::string> label_names, bool labelled,
                           std::function<std::optional<double>()> scalar_fn,
                           std::function<std::vector<CallbackSample>()> samples_fn);

  const MetricsRegistryOptions options_;
  mutable std::mutex mu_;
  // Families by name (rendering order). Append-only, so pointers stay valid after unlocking.
  std::map<std::string, std::unique_ptr<internal::Family>, std::less<>> families_
      ABSL_GUARDED_BY(mu_);
  // Every series name a family renders, to refuse clashes (`foo_count` vs histogram `foo`).
  std::map<std::string, std::string, std::less<>> series_names_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lepton::monitor
