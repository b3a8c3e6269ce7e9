// Tests of the metrics registry, its text exposition (checked by `promtool check metrics`) and
// the process metrics.

#include "lepton/monitor/metrics.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/monitor/process_metrics.h"

namespace lepton::monitor {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// The value of the sample line that starts with `series` (name plus labels, e.g.
// `foo{a="b"}`), or nullopt when there is none.
std::optional<double> SampleValue(const std::string& text, const std::string& series) {
  for (std::string_view line : Split(text, '\n')) {
    if (line.size() > series.size() && line.substr(0, series.size()) == series &&
        line[series.size()] == ' ') {
      return std::strtod(std::string(line.substr(series.size() + 1)).c_str(), nullptr);
    }
  }
  return std::nullopt;
}

TEST(MetricsRegistryTest, RendersExactTextWithEscapingAndDeterministicOrder) {
  MetricsRegistry registry;
  // Registered out of name order: rendering sorts families by name.
  LEPTON_ASSERT_OK_AND_ASSIGN(GaugeFamily * queue,
                              registry.AddGauge("queue_depth", "Jobs waiting.\nSecond \\ line"));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      HistogramFamily * latency,
      registry.AddHistogram("latency_seconds", "Request latency.", {"deployment"}, {0.125, 1}));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CounterFamily * requests,
      registry.AddCounter("http_requests_total", "Requests \"served\".", {"deployment", "code"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Counter ok, requests->WithLabels({"credit-scorer", "200"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Counter odd, requests->WithLabels({"a\"b\\c\nd", "500"}));
  ok.Inc(3);
  odd.Inc();
  LEPTON_ASSERT_OK_AND_ASSIGN(Gauge depth, queue->WithLabels({}));
  depth.Set(2.5);
  LEPTON_ASSERT_OK_AND_ASSIGN(Histogram x, latency->WithLabels({"x"}));
  x.Observe(0.0625);
  x.Observe(0.5);
  x.Observe(3);

  EXPECT_EQ(registry.Render(),
            "# HELP http_requests_total Requests \"served\".\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{deployment=\"a\\\"b\\\\c\\nd\",code=\"500\"} 1\n"
            "http_requests_total{deployment=\"credit-scorer\",code=\"200\"} 3\n"
            "# HELP latency_seconds Request latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{deployment=\"x\",le=\"0.125\"} 1\n"
            "latency_seconds_bucket{deployment=\"x\",le=\"1\"} 2\n"
            "latency_seconds_bucket{deployment=\"x\",le=\"+Inf\"} 3\n"
            "latency_seconds_sum{deployment=\"x\"} 3.5625\n"
            "latency_seconds_count{deployment=\"x\"} 3\n"
            "# HELP queue_depth Jobs waiting.\\nSecond \\\\ line\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth 2.5\n");
}

TEST(MetricsRegistryTest, EmptyRegistryAndFamiliesWithoutSeriesRenderNothing) {
  MetricsRegistry registry;
  EXPECT_EQ(registry.Render(), "");
  ASSERT_OK(registry.AddCounter("unused_total", "Never incremented.", {"a"}).status());
  EXPECT_EQ(registry.Render(), "");
}

TEST(MetricsRegistryTest, FormatsValues) {
  MetricsRegistry registry;
  LEPTON_ASSERT_OK_AND_ASSIGN(GaugeFamily * g, registry.AddGauge("g", "Values.", {"k"}));
  const std::vector<std::pair<std::string, double>> cases = {
      {"a_big_int", 1e6},  {"b_frac", 0.1},  {"c_neg", -2},
      {"d_huge", 1e21},    {"e_tiny", 1e-7}, {"f_inf", std::numeric_limits<double>::infinity()},
      {"g_minf", -std::numeric_limits<double>::infinity()},
      {"h_nan", std::numeric_limits<double>::quiet_NaN()}};
  for (const auto& [k, v] : cases) {
    LEPTON_ASSERT_OK_AND_ASSIGN(Gauge h, g->WithLabels({k}));
    h.Set(v);
  }
  EXPECT_EQ(registry.Render(),
            "# HELP g Values.\n# TYPE g gauge\n"
            "g{k=\"a_big_int\"} 1000000\n"
            "g{k=\"b_frac\"} 0.1\n"
            "g{k=\"c_neg\"} -2\n"
            "g{k=\"d_huge\"} 1e+21\n"
            "g{k=\"e_tiny\"} 1e-07\n"
            "g{k=\"f_inf\"} +Inf\n"
            "g{k=\"g_minf\"} -Inf\n"
            "g{k=\"h_nan\"} NaN\n");
}

TEST(MetricsRegistryTest, SameLabelValuesGiveTheSameSeries) {
  MetricsRegistry registry;
  LEPTON_ASSERT_OK_AND_ASSIGN(CounterFamily * f, registry.AddCounter("c_total", "C.", {"a"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Counter one, f->WithLabels({"x"}));
  const std::vector<std::string> values = {"x"};
  LEPTON_ASSERT_OK_AND_ASSIGN(Counter two, f->WithLabels(values));
  one.Inc();
  two.Inc(2);
  EXPECT_EQ(one.Value(), 3);
  EXPECT_EQ(registry.Render(), "# HELP c_total C.\n# TYPE c_total counter\nc_total{a=\"x\"} 3\n");
}

TEST(MetricsRegistryTest, CounterAddKeepsWholeAmountsExactAndIgnoresDecrements) {
  MetricsRegistry registry;
  LEPTON_ASSERT_OK_AND_ASSIGN(CounterFamily * f, registry.AddCounter("c_total", "C."));
  LEPTON_ASSERT_OK_AND_ASSIGN(Counter c, f->WithLabels({}));
  c.Add(2);
  c.Add(0.25);
  EXPECT_EQ(c.Value(), 2.25);
#ifdef NDEBUG  // a decrement is a debug-build check failure
  c.Add(-1);
  c.Add(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(c.Value(), 2.25);
#endif
}

TEST(MetricsRegistryTest, DetachedHandlesDiscardUpdates) {
  Counter c;
  Gauge g;
  Histogram h;
  c.Inc();
  c.Add(1.5);
  g.Set(3);
  g.Inc();
  h.Observe(1);
  EXPECT_EQ(c.Value(), 0);
  EXPECT_EQ(g.Value(), 0);
  EXPECT_EQ(h.Count(), 0u);
  EXPECT_EQ(h.Sum(), 0);
}

TEST(MetricsRegistryTest, ConcurrentUpdatesGiveExactTotals) {
  MetricsRegistry registry;
  LEPTON_ASSERT_OK_AND_ASSIGN(CounterFamily * cf,
                              registry.AddCounter("hits_total", "Hits.", {"deployment"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(GaugeFamily * gf, registry.AddGauge("level", "Level."));
  LEPTON_ASSERT_OK_AND_ASSIGN(HistogramFamily * hf,
                              registry.AddHistogram("lat_seconds", "Latency.", {}, {0.5, 1}));
  constexpr int kThreads = 8;
  constexpr int kIncrements = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Every thread looks its handles up itself (concurrent WithLabels on the same series).
      Counter c = cf->WithLabels({"shared"}).value();
      Counter own = cf->WithLabels({StrCat("t", t)}).value();
      Gauge g = gf->WithLabels({}).value();
      Histogram h = hf->WithLabels({}).value();
      for (int i = 0; i < kIncrements; ++i) {
        c.Inc();
        own.Inc();
        g.Add(1);
        h.Observe((i % 2 == 0) ? 0.5 : 2.0);  // exactly representable, so the sum is exact
      }
      // A scrape while others update must not disturb them.
      if (t == 0) {
        EXPECT_THAT(registry.Render(), HasSubstr("hits_total{deployment=\"shared\"}"));
      }
    });
  }
  for (std::thread& th : threads) th.join();

  LEPTON_ASSERT_OK_AND_ASSIGN(Counter shared, cf->WithLabels({"shared"}));
  EXPECT_EQ(shared.Value(), kThreads * kIncrements);
  const std::string text = registry.Render();
  EXPECT_EQ(SampleValue(text, "hits_total{deployment=\"shared\"}"), kThreads * kIncrements);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(SampleValue(text, StrCat("hits_total{deployment=\"t", t, "\"}")), kIncrements);
  }
  EXPECT_EQ(SampleValue(text, "level"), kThreads * kIncrements);
  EXPECT_EQ(SampleValue(text, "lat_seconds_bucket{le=\"0.5\"}"), kThreads * kIncrements / 2);
  EXPECT_EQ(SampleValue(text, "lat_seconds_bucket{le=\"1\"}"), kThreads * kIncrements / 2);
  EXPECT_EQ(SampleValue(text, "lat_seconds_bucket{le=\"+Inf\"}"), kThreads * kIncrements);
  EXPECT_EQ(SampleValue(text, "lat_seconds_count"), kThreads * kIncrements);
  EXPECT_EQ(SampleValue(text, "lat_seconds_sum"), kThreads * kIncrements / 2 * 2.5);
}

TEST(HistogramTest, BucketUpperBoundsAreInclusive) {
  MetricsRegistry registry;
  LEPTON_ASSERT_OK_AND_ASSIGN(HistogramFamily * f,
                              registry.AddHistogram("h", "H.", {}, {1, 2, 5}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Histogram h, f->WithLabels({}));
  h.Observe(-3);                                   // le=1
  h.Observe(1);                                    // le=1: the bound itself
  h.Observe(std::nextafter(1.0, 2.0));             // le=2
  h.Observe(2);                                    // le=2
  h.Observe(5);                                    // le=5
  h.Observe(5.000001);                             // +Inf
  h.Observe(std::numeric_limits<double>::infinity());  // +Inf
  h.Observe(std::numeric_limits<double>::quiet_NaN());  // discarded
  const std::string text = registry.Render();
  EXPECT_EQ(SampleValue(text, "h_bucket{le=\"1\"}"), 2);
  EXPECT_EQ(SampleValue(text, "h_bucket{le=\"2\"}"), 4);
  EXPECT_EQ(SampleValue(text, "h_bucket{le=\"5\"}"), 5);
  EXPECT_EQ(SampleValue(text, "h_bucket{le=\"+Inf\"}"), 7);
  EXPECT_EQ(SampleValue(text, "h_count"), 7);
  EXPECT_EQ(h.Count(), 7u);
  EXPECT_EQ(h.Sum(), std::numeric_limits<double>::infinity());
}

TEST(HistogramTest, NoBoundsMeansOnlyTheInfBucket) {
  MetricsRegistry registry;
  LEPTON_ASSERT_OK_AND_ASSIGN(HistogramFamily * f, registry.AddHistogram("h", "H.", {"a"}, {}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Histogram h, f->WithLabels({"b"}));
  h.Observe(4);
  EXPECT_EQ(registry.Render(),
            "# HELP h H.\n# TYPE h histogram\n"
            "h_bucket{a=\"b\",le=\"+Inf\"} 1\nh_sum{a=\"b\"} 4\nh_count{a=\"b\"} 1\n");
}

TEST(BucketsTest, DefaultAndExponential) {
  EXPECT_EQ(DefaultLatencyBuckets().front(), 0.005);
  EXPECT_EQ(DefaultLatencyBuckets().back(), 10);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> b, ExponentialBuckets(0.001, 2, 4));
  EXPECT_EQ(b, (std::vector<double>{0.001, 0.002, 0.004, 0.008}));
  EXPECT_THAT(ExponentialBuckets(0, 2, 4), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ExponentialBuckets(1, 1, 4), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ExponentialBuckets(1, 2, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ExponentialBuckets(1, 1e300, 3), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MetricsRegistryTest, ValidatesNamesAtRegistration) {
  EXPECT_TRUE(IsValidMetricName("a:b_c9"));
  EXPECT_TRUE(IsValidMetricName(":x"));
  EXPECT_TRUE(IsValidMetricName("_x"));
  for (const char* bad : {"", "9a", "a-b", "a b", "a.b", "é"}) {
    EXPECT_FALSE(IsValidMetricName(bad)) << bad;
  }
  EXPECT_TRUE(IsValidLabelName("_a9"));
  for (const char* bad : {"", "__name__", "__x", "a:b", "9a", "a-b"}) {
    EXPECT_FALSE(IsValidLabelName(bad)) << bad;
  }

  MetricsRegistry registry;
  using absl::StatusCode;
  EXPECT_THAT(registry.AddGauge("a-b", "Help."),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("metric name \"a-b\" is invalid")));
  EXPECT_THAT(registry.AddCounter("requests", "Help."),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("must end in \"_total\"")));
  EXPECT_THAT(registry.AddCallbackCounter("cpu_seconds", "Help.", [] { return 1.0; }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("must end in \"_total\"")));
  EXPECT_THAT(registry.AddGauge("g", ""),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("help text is empty")));
  EXPECT_THAT(registry.AddGauge("g", "bad \xff utf-8"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not valid UTF-8")));
  EXPECT_THAT(registry.AddGauge("g", "Help.", {"__reserved"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("label name \"__reserved\"")));
  EXPECT_THAT(registry.AddGauge("g", "Help.", {"a:b"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("label name \"a:b\"")));
  EXPECT_THAT(registry.AddGauge("g", "Help.", {"a", "b", "a"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("\"a\" is repeated")));
  EXPECT_THAT(registry.AddHistogram("h", "Help.", {"le"}, {1}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reserved for histogram")));
  EXPECT_THAT(registry.AddHistogram("h", "Help.", {}, {1, 1}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("strictly increasing")));
  EXPECT_THAT(registry.AddHistogram("h", "Help.", {}, {2, 1}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("strictly increasing")));
  EXPECT_THAT(
      registry.AddHistogram("h", "Help.", {}, {1, std::numeric_limits<double>::infinity()}),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("+Inf bucket is always added")));
  EXPECT_THAT(registry.AddHistogram("h", "Help.", {}, {std::nan("")}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not finite")));
  EXPECT_THAT(registry.AddCallbackGauge("g", "Help.", std::function<std::optional<double>()>()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("callback is empty")));
  // None of the failed registrations took a name.
  EXPECT_EQ(registry.Render(), "");
  ASSERT_OK(registry.AddGauge("g", "Help.").status());
}

TEST(MetricsRegistryTest, RefusesNamesAlreadyRendered) {
  MetricsRegistry registry;
  using absl::StatusCode;
  ASSERT_OK(registry.AddGauge("up", "Up.").status());
  EXPECT_THAT(registry.AddGauge("up", "Again."),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("already used by metric up")));
  EXPECT_THAT(registry.AddCallbackGauge("up", "Again.", [] { return 1.0; }),
              StatusIs(StatusCode::kAlreadyExists));
  ASSERT_OK(registry.AddHistogram("lat", "Latency.", {}, {1}).status());
  EXPECT_THAT(registry.AddGauge("lat_count", "Clash."),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("already used by metric lat")));
  ASSERT_OK(registry.AddGauge("size_sum", "Sum.").status());
  EXPECT_THAT(registry.AddHistogram("size", "Clash.", {}, {1}),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("size_sum")));
}

TEST(MetricsRegistryTest, WithLabelsRejectsBadLabelValues) {
  MetricsRegistry registry({.max_series_per_family = 3});
  LEPTON_ASSERT_OK_AND_ASSIGN(CounterFamily * f,
                              registry.AddCounter("r_total", "R.", {"deployment", "code"}));
  EXPECT_THAT(f->WithLabels({"only-one"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("got 1 label values for 2 label names (deployment, code)")));
  EXPECT_THAT(f->WithLabels({"a", "b", "c"}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(f->WithLabels({"a", "\xc0\xaf"}),  // an overlong '/'
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("code is not valid UTF-8")));
  LEPTON_ASSERT_OK_AND_ASSIGN(GaugeFamily * g, registry.AddGauge("g", "G."));
  EXPECT_THAT(g->WithLabels({"x"}), StatusIs(absl::StatusCode::kInvalidArgument));
  LEPTON_ASSERT_OK_AND_ASSIGN(HistogramFamily * h, registry.AddHistogram("h", "H.", {"a"}, {1}));
  EXPECT_THAT(h->WithLabels({}), StatusIs(absl::StatusCode::kInvalidArgument));

  // The series limit: existing series are still handed out, new ones refused.
  ASSERT_OK(f->WithLabels({"a", "1"}).status());
  ASSERT_OK(f->WithLabels({"a", "2"}).status());
  ASSERT_OK(f->WithLabels({"ü", "3"}).status());
  EXPECT_THAT(f->WithLabels({"a", "4"}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("r_total already has 3")));
  EXPECT_OK(f->WithLabels({"a", "1"}).status());
}

TEST(CallbackMetricsTest, EvaluatedAtRenderTime) {
  MetricsRegistry registry;
  double depth = 1;
  ASSERT_OK(registry.AddCallbackGauge("queue_depth", "Depth.", [&] { return depth; }));
  ASSERT_OK(registry.AddCallbackCounter("loads_total", "Loads.",
                                        []() -> std::optional<double> { return std::nullopt; }));
  EXPECT_EQ(registry.Render(), "# HELP queue_depth Depth.\n# TYPE queue_depth gauge\nqueue_depth 1\n");
  depth = 7;
  EXPECT_THAT(registry.Render(), HasSubstr("queue_depth 7\n"));
  EXPECT_THAT(registry.Render(), Not(HasSubstr("loads_total")));
}

TEST(CallbackMetricsTest, LabelledSamplesAreSortedAndBadOnesDropped) {
  MetricsRegistry registry;
  ASSERT_OK(registry.AddCallbackGauge(
      "lake_dataset_rows", "Rows per dataset.", {"dataset"}, [] {
        return std::vector<CallbackSample>{
            {{"zeta"}, 3},
            {{"alpha"}, 1},
            {{"alpha"}, 99},           // repeated tuple: the first one wins
            {{"a", "b"}, 5},           // wrong label count
            {{"bad\xff"}, 6},          // not UTF-8
        };
      }));
  ASSERT_OK(registry.AddCallbackCounter("nothing_total", "Empty.", {"a"},
                                        [] { return std::vector<CallbackSample>{}; }));
  EXPECT_EQ(registry.Render(),
            "# HELP lake_dataset_rows Rows per dataset.\n# TYPE lake_dataset_rows gauge\n"
            "lake_dataset_rows{dataset=\"alpha\"} 1\n"
            "lake_dataset_rows{dataset=\"zeta\"} 3\n");
}

TEST(CallbackMetricsTest, CallbackMayUseTheRegistry) {
  MetricsRegistry registry;
  LEPTON_ASSERT_OK_AND_ASSIGN(CounterFamily * f, registry.AddCounter("a_total", "A.", {"k"}));
  f->WithLabels({"x"}).value().Inc(4);
  ASSERT_OK(registry.AddCallbackGauge("b", "Mirror of a.", [f] {
    return f->WithLabels({"x"}).value().Value();  // takes the family's lock during Render
  }));
  EXPECT_THAT(registry.Render(), HasSubstr("\nb 4\n"));
}

// --- process metrics -----------------------------------------------------------------------

TEST(MetricsSumTest, SumsMatchingSeriesOfCountersAndGauges) {
  MetricsRegistry r;
  LEPTON_ASSERT_OK_AND_ASSIGN(CounterFamily * req,
                              r.AddCounter("req_total", "Requests.", {"deployment", "code"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Counter a, req->WithLabels({"web", "200"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Counter b, req->WithLabels({"web", "500"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Counter c, req->WithLabels({"batch", "500"}));
  a.Inc(3);
  b.Inc(4);
  c.Inc(5);
  EXPECT_EQ(*r.Sum("req_total"), 12.0);
  EXPECT_EQ(*r.Sum("req_total", {{"deployment", "web"}}), 7.0);
  EXPECT_EQ(*r.Sum("req_total", {{"code", "500"}}), 9.0);
  EXPECT_EQ(*r.Sum("req_total", {{"deployment", "web"}, {"code", "500"}}), 4.0);
  // Absent is not zero: no matching series, an unknown label or an unknown metric.
  EXPECT_THAT(r.Sum("req_total", {{"deployment", "nope"}}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(r.Sum("req_total", {{"region", "eu"}}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(*r.Sum("req_total", {{"region", ""}}), 12.0);  // a missing label reads as ""
  EXPECT_THAT(r.Sum("nope_total"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("no metric named nope_total")));

  LEPTON_ASSERT_OK_AND_ASSIGN(GaugeFamily * g, r.AddGauge("temp", "Temperature.", {"room"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Gauge g1, g->WithLabels({"a"}));
  g1.Set(-2.5);
  EXPECT_EQ(*r.Sum("temp"), -2.5);
  // A family without any series has no data yet.
  ASSERT_OK(r.AddGauge("empty", "Nothing yet.").status());
  EXPECT_THAT(r.Sum("empty"), StatusIs(absl::StatusCode::kNotFound));
}

TEST(MetricsSumTest, HistogramsAreReadThroughTheirRenderedSeriesNames) {
  MetricsRegistry r;
  LEPTON_ASSERT_OK_AND_ASSIGN(HistogramFamily * h, r.AddHistogram("lat_seconds", "Latency.", {"d"}, {0.1, 1}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Histogram x, h->WithLabels({"x"}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Histogram y, h->WithLabels({"y"}));
  x.Observe(0.05);
  x.Observe(0.5);
  y.Observe(5);
  EXPECT_EQ(*r.Sum("lat_seconds_count"), 3.0);
  EXPECT_EQ(*r.Sum("lat_seconds_count", {{"d", "x"}}), 2.0);
  EXPECT_DOUBLE_EQ(*r.Sum("lat_seconds_sum"), 5.55);
  EXPECT_EQ(*r.Sum("lat_seconds_bucket", {{"le", "0.1"}}), 1.0);
  EXPECT_EQ(*r.Sum("lat_seconds_bucket", {{"le", "1"}}), 2.0);  // cumulative, as rendered
  EXPECT_EQ(*r.Sum("lat_seconds_bucket", {{"le", "+Inf"}, {"d", "y"}}), 1.0);
  EXPECT_THAT(r.Sum("lat_seconds"), StatusIs(absl::StatusCode::kNotFound));  // not a rendered name
  EXPECT_THAT(r.Sum("lat_seconds_bucket", {{"le", "0.2"}}), StatusIs(absl::StatusCode::kNotFound));
}

TEST(MetricsSumTest, IncludesCallbackFamiliesAsRendered) {
  MetricsRegistry r;
  std::optional<double> scalar;
  ASSERT_OK(r.AddCallbackGauge("depth", "Queue depth.", [&] { return scalar; }));
  EXPECT_THAT(r.Sum("depth"), StatusIs(absl::StatusCode::kNotFound));  // unavailable
  scalar = 4;
  EXPECT_EQ(*r.Sum("depth"), 4.0);
  ASSERT_OK(r.AddCallbackGauge("datasets", "Datasets.", {"namespace"}, [] {
    return std::vector<CallbackSample>{{{"a"}, 2}, {{"b"}, 3}, {{"a"}, 100}, {{"x", "y"}, 7}};
  }));
  // The repeated tuple and the malformed sample are dropped, as in a scrape.
  EXPECT_EQ(*r.Sum("datasets"), 5.0);
  EXPECT_EQ(*r.Sum("datasets", {{"namespace", "a"}}), 2.0);
  EXPECT_THAT(r.Sum("datasets", {{"namespace", "c"}}), StatusIs(absl::StatusCode::kNotFound));
}

TEST(ProcessMetricsTest, ParsesProcStatWithAwkwardCommandName) {
  const std::string text =
      "1234 (a) b (c) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 98765 "
      "123456789 4321 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  LEPTON_ASSERT_OK_AND_ASSIGN(ProcStat stat, ParseProcStat(text));
  EXPECT_EQ(stat.utime_ticks, 250u);
  EXPECT_EQ(stat.stime_ticks, 50u);
  EXPECT_EQ(stat.starttime_ticks, 98765u);
  EXPECT_EQ(stat.vsize_bytes, 123456789u);
  EXPECT_EQ(stat.rss_pages, 4321u);

  EXPECT_THAT(ParseProcStat(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseProcStat("1 (x) S 1 2 3"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected at least 24")));
  EXPECT_THAT(ParseProcStat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 abc 5 0 0 20 0 1 0 5 6 7"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("field 14")));
}

TEST(ProcessMetricsTest, ParsesBootTime) {
  EXPECT_THAT(ParseBootTime("cpu 1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n").value(),
              1700000000);
  EXPECT_THAT(ParseBootTime("cpu 1 2 3\n"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseBootTime("btime x\n"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ProcessMetricsTest, PresentAndPlausible) {
  MetricsRegistry registry;
  ASSERT_OK(RegisterProcessMetrics(registry));
  EXPECT_THAT(RegisterProcessMetrics(registry), StatusIs(absl::StatusCode::kAlreadyExists));
  // Burn a little CPU so that the CPU counter has something to count.
  volatile double x = 0;
  for (int i = 0; i < 20000000; ++i) x = x + std::sqrt(static_cast<double>(i));

  const std::string text = registry.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_resident_memory_bytes gauge\n"));
  const auto cpu = SampleValue(text, "process_cpu_seconds_total");
  const auto rss = SampleValue(text, "process_resident_memory_bytes");
  const auto vsize = SampleValue(text, "process_virtual_memory_bytes");
  const auto open_fds = SampleValue(text, "process_open_fds");
  const auto max_fds = SampleValue(text, "process_max_fds");
  const auto start = SampleValue(text, "process_start_time_seconds");
  ASSERT_TRUE(cpu && rss && vsize && open_fds && max_fds && start) << text;
  EXPECT_GT(*cpu, 0);
  EXPECT_GT(*rss, 1 << 20);  // a gtest binary is well over a megabyte resident
  EXPECT_GE(*vsize, *rss);
  EXPECT_GE(*open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GE(*max_fds, *open_fds);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(*start, now + 1);
  EXPECT_GT(*start, now - 24 * 3600) << "this test process started over a day ago?";

  // A newly opened descriptor shows up in the next scrape.
  const int fd = ::dup(1);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(SampleValue(registry.Render(), "process_open_fds"), *open_fds + 1);
  ::close(fd);
}

// --- promtool ------------------------------------------------------------------------------

// Runs `promtool check metrics < path`; returns its exit code and puts its output in `output`.
int RunPromtool(const std::string& promtool, const std::string& path, std::string* output) {
  const std::string command = StrCat(promtool, " check metrics < ", path, " 2>&1");
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output->append(buf, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(PromtoolTest, RenderedTextPassesPromtoolCheckMetrics) {
  const std::string promtool = "/usr/bin/promtool";
  ASSERT_EQ(::access(promtool.c_str(), X_OK), 0)
      << promtool << " is missing: it comes with the Debian package prometheus, which "
      << "scripts/install-deps.sh installs (apt-get install --no-install-recommends prometheus)";

  MetricsRegistry registry;
  ASSERT_OK(RegisterProcessMetrics(registry));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      CounterFamily * requests,
      registry.AddCounter("lepton_predictions_total", "Prediction requests by outcome.",
                          {"deployment", "version", "code"}));
  requests->WithLabels({"credit-scorer", "3", "200"}).value().Inc(41);
  requests->WithLabels({"quote \" back \\ new\nline", "3", "500"}).value().Inc();
  requests->WithLabels({"unicodé ✓", "1", "404"}).value().Add(2.5);
  LEPTON_ASSERT_OK_AND_ASSIGN(GaugeFamily * loaded,
                              registry.AddGauge("lepton_models_loaded", "Models in memory.\\ok"));
  loaded->WithLabels({}).value().Set(3);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      HistogramFamily * latency,
      registry.AddHistogram("lepton_request_duration_seconds", "Request latency in seconds.",
                            {"deployment"}, DefaultLatencyBuckets()));
  for (double v : {0.001, 0.005, 0.02, 0.3, 7.0, 42.0}) {
    latency->WithLabels({"credit-scorer"}).value().Observe(v);
  }
  ASSERT_OK(registry.AddCallbackGauge("lepton_jobs_queued", "Jobs waiting to run.",
                                      [] { return 5.0; }));
  ASSERT_OK(registry.AddCallbackCounter(
      "lepton_lake_rows_ingested_total", "Rows ingested per dataset.", {"dataset"}, [] {
        return std::vector<CallbackSample>{{{"german_credit"}, 1000}, {{"churn"}, 7043}};
      }));
  ASSERT_OK(registry.AddCallbackGauge("lepton_model_load_seconds", "Model load time.",
                                      {"model"}, [] {
                                        return std::vector<CallbackSample>{{{"m"}, 0.25}};
                                      }));

  const std::string text = registry.Render();
  for (const char* kind : {"counter", "gauge", "histogram"}) {
    EXPECT_THAT(text, HasSubstr(StrCat(" ", kind, "\n")));
  }
  EXPECT_THAT(text, HasSubstr("process_open_fds "));
  char path_template[] = "/tmp/lepton-metrics-XXXXXX";
  const int fd = ::mkstemp(path_template);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string path = path_template;
  ASSERT_OK(WriteFileAtomically(path, text));
  std::string output;
  const int code = RunPromtool(promtool, path, &output);
  EXPECT_EQ(code, 0) << "promtool check metrics said:\n" << output << "\non:\n" << text;

  // The check is real: promtool refuses a broken exposition.
  const std::string broken_path = path + ".broken";
  ASSERT_OK(WriteFileAtomically(broken_path, "# TYPE x counter\nx{a=\"b} 1\n"));
  std::string broken_output;
  EXPECT_NE(RunPromtool(promtool, broken_path, &broken_output), 0) << broken_output;
  ::unlink(path.c_str());
  ::unlink(broken_path.c_str());
}

}  // namespace
}  // namespace lepton::monitor
