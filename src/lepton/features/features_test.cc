// Each transformer on small hand-computed data, spec validation errors, and Transform's input
// checks.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/features/testing/test_data.h"
#include "lepton/features/pipeline.h"

namespace lepton::features {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testdata::Batch;
using testdata::Doubles;
using testdata::Int64s;
using testdata::Strings;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Json J(std::string_view text) {
  auto j = ParseJson(text);
  LEPTON_CHECK(j.ok());
  return *j;
}

absl::StatusOr<Pipeline> Fitted(std::string_view spec, const lake::RecordBatch& rows,
                                std::span<const double> target = {}) {
  LEPTON_ASSIGN_OR_RETURN(Pipeline p, Pipeline::Create(J(spec)));
  LEPTON_RETURN_IF_ERROR(p.Fit(rows, target));
  return p;
}

// The dense matrix's column `c` as doubles.
std::vector<double> Col(const FeatureMatrix& m, int64_t c) {
  std::vector<double> out;
  for (int64_t r = 0; r < m.rows; ++r) out.push_back(m.At(r, c));
  return out;
}

TEST(ImputeTest, NumericStrategiesAndIndicator) {
  const auto rows = Batch({{"x", Doubles({1, kNaN, 3, 4, kNaN, 4})}});
  struct Case {
    std::string strategy;
    double fill;
  };
  // present values 1, 3, 4, 4: mean 3, median 3.5, mode 4
  for (const Case& c : {Case{"mean", 3.0}, Case{"median", 3.5}, Case{"mode", 4.0}}) {
    LEPTON_ASSERT_OK_AND_ASSIGN(
        Pipeline p, Fitted(R"({"columns":[{"name":"x","steps":[{"type":"impute","strategy":")" +
                               c.strategy + R"(","add_indicator":true}]}]})",
                           rows));
    EXPECT_THAT(p.output_columns(), ElementsAre("x", "x:missing"));
    LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(rows));
    EXPECT_THAT(Col(m, 0), ElementsAre(1, c.fill, 3, 4, c.fill, 4)) << c.strategy;
    EXPECT_THAT(Col(m, 1), ElementsAre(0, 1, 0, 0, 1, 0));
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p,
      Fitted(R"({"columns":[{"name":"x","steps":[{"type":"impute","strategy":"constant","value":-7}]}]})",
             rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(rows));
  EXPECT_THAT(Col(m, 0), ElementsAre(1, -7, 3, 4, -7, 4));
  EXPECT_EQ(p.Report()["columns"][0]["steps"][0]["value"], -7.0);
}

TEST(ImputeTest, NumericModeTiesGoToTheSmallestAndMissingStaysNaNWithoutImpute) {
  const auto rows = Batch({{"x", Doubles({5, 2, 5, 2, kNaN})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Fitted(R"({"columns":[{"name":"x","steps":[{"type":"impute","strategy":"mode"}]},
                                       {"name":"y","steps":[]}]})",
                         Batch({{"x", Doubles({5, 2, 5, 2, kNaN})}, {"y", Doubles({1, kNaN, 1, 1, 1})}})));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      FeatureMatrix m,
      p.Transform(Batch({{"x", Doubles({kNaN})}, {"y", Doubles({kNaN})}})));
  EXPECT_EQ(m.At(0, 0), 2.0f);
  EXPECT_TRUE(std::isnan(m.At(0, 1)));
  (void)rows;
}

TEST(ImputeTest, StringModeAndConstantFeedOneHot) {
  const auto rows = Batch({{"s", Strings({"b", std::nullopt, "a", "b", "a"})}});
  // Mode tie between "a" and "b" (2 each) goes to the lexically smaller "a".
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Fitted(R"({"columns":[{"name":"s","steps":[{"type":"impute","strategy":"mode"},
                                                             {"type":"one_hot"}]}]})",
                         rows));
  EXPECT_THAT(p.output_columns(), ElementsAre("s=a", "s=b", "s=__unknown__"));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(rows));
  EXPECT_THAT(Col(m, 0), ElementsAre(0, 1, 1, 0, 1));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline c, Fitted(R"({"columns":[{"name":"s","steps":[{"type":"impute","strategy":"constant",
                                                              "value":"none"},{"type":"one_hot"}]}]})",
                         rows));
  EXPECT_THAT(c.output_columns(), ElementsAre("s=a", "s=b", "s=none", "s=__unknown__"));
}

TEST(StandardizeTest, PopulationStatistics) {
  const auto rows = Batch({{"x", Doubles({1, 2, 3, 4})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Fitted(R"({"columns":[{"name":"x","steps":[{"type":"standardize"}]}]})", rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(rows));
  // numpy: (a - 2.5) / a.std()
  EXPECT_THAT(Col(m, 0), ElementsAre(static_cast<float>(-1.3416407864998738),
                                     static_cast<float>(-0.4472135954999579),
                                     static_cast<float>(0.4472135954999579),
                                     static_cast<float>(1.3416407864998738)));
  // A constant column gets scale 1: only centred.
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline k, Fitted(R"({"columns":[{"name":"x","steps":[{"type":"standardize"}]}]})",
                         Batch({{"x", Doubles({5, 5})}})));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix km, k.Transform(Batch({{"x", Doubles({7})}})));
  EXPECT_EQ(km.At(0, 0), 2.0f);
}

TEST(MinMaxTest, ScalesToTheRangeAndExtrapolates) {
  const auto rows = Batch({{"x", Doubles({2, 4, 10})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Fitted(R"({"columns":[{"name":"x","steps":[{"type":"min_max"}]}]})", rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(Batch({{"x", Doubles({2, 4, 10, 12})}})));
  EXPECT_THAT(Col(m, 0), ElementsAre(0, 0.25, 1, 1.25));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline q,
      Fitted(R"({"columns":[{"name":"x","steps":[{"type":"min_max","min":-1,"max":1}]}]})", rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix qm, q.Transform(rows));
  EXPECT_THAT(Col(qm, 0), ElementsAre(-1, -0.5, 1));
}

TEST(LogTest, Log1pAndNegativePolicies) {
  const auto rows = Batch({{"x", Doubles({0, std::exp(1.0) - 1, kNaN, 3})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Fitted(R"({"columns":[{"name":"x","steps":[{"type":"log"}]}]})", rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(Batch({{"x", Doubles({0, std::exp(1.0) - 1, kNaN, -3})}})));
  EXPECT_EQ(m.At(0, 0), 0.0f);
  EXPECT_EQ(m.At(1, 0), 1.0f);
  EXPECT_TRUE(std::isnan(m.At(2, 0)));
  EXPECT_TRUE(std::isnan(m.At(3, 0)));  // a negative at serving time: NaN, not an error

  const auto negative = Batch({{"debt", Doubles({1, -3})}});
  EXPECT_THAT(Fitted(R"({"columns":[{"name":"debt","steps":[{"type":"log"}]}]})", negative),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("column \"debt\": log: negative training value -3")));
  const std::vector<std::pair<std::string, double>> policies = {
      {"clip", 0.0}, {"signed", -1.3862943611198906}};
  for (const auto& [policy, want] : policies) {
    LEPTON_ASSERT_OK_AND_ASSIGN(
        Pipeline q, Fitted(R"({"columns":[{"name":"debt","steps":[{"type":"log","negative":")" +
                               policy + R"("}]}]})",
                           negative));
    LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix qm, q.Transform(negative));
    EXPECT_EQ(qm.At(1, 0), static_cast<float>(want)) << policy;
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline n,
      Fitted(R"({"columns":[{"name":"debt","steps":[{"type":"log","negative":"nan"}]}]})", negative));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix nm, n.Transform(negative));
  EXPECT_TRUE(std::isnan(nm.At(1, 0)));
}

TEST(ClipTest, FixedBoundsAndFittedQuantiles) {
  const auto rows = Batch({{"x", Doubles({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p,
      Fitted(R"({"columns":[{"name":"x","steps":[{"type":"clip","lower":2.5,"upper":8}]}]})", rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(Batch({{"x", Doubles({0, 5, 100})}})));
  EXPECT_THAT(Col(m, 0), ElementsAre(2.5, 5, 8));
  // Quantiles 0.1 and 0.95 of 1..11 (linear): 2 and 10.5.
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline q, Fitted(R"({"columns":[{"name":"x","steps":[{"type":"clip","lower_quantile":0.1,
                                                             "upper_quantile":0.95}]}]})",
                         rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix qm, q.Transform(Batch({{"x", Doubles({0, 5, 100})}})));
  EXPECT_THAT(Col(qm, 0), ElementsAre(2, 5, 10.5));
}

TEST(OneHotTest, RareAndUnknownBuckets) {
  const auto rows =
      Batch({{"c", Strings({"a", "a", "a", "b", "b", "c", std::nullopt})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p,
      Fitted(R"({"columns":[{"name":"c","steps":[{"type":"one_hot","min_frequency":2}]}]})", rows));
  EXPECT_THAT(p.output_columns(), ElementsAre("c=a", "c=b", "c=__rare__", "c=__unknown__"));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      FeatureMatrix m, p.Transform(Batch({{"c", Strings({"a", "c", "never seen", std::nullopt})}})));
  EXPECT_THAT(m.values, ElementsAre(1, 0, 0, 0,    // a
                                    0, 0, 1, 0,    // c: rare (1 < 2)
                                    0, 0, 0, 1,    // unseen: unknown
                                    0, 0, 1, 0));  // missing: "__missing__" was rare too
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline top,
      Fitted(R"({"columns":[{"name":"c","steps":[{"type":"one_hot","max_categories":1}]}]})", rows));
  EXPECT_THAT(top.output_columns(), ElementsAre("c=a", "c=__rare__", "c=__unknown__"));
  // No rare category: no rare column; missing seen in training is its own category.
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline all, Fitted(R"({"columns":[{"name":"c","steps":[{"type":"one_hot"}]}]})", rows));
  EXPECT_THAT(all.output_columns(),
              ElementsAre("c=__missing__", "c=a", "c=b", "c=c", "c=__unknown__"));
}

TEST(OrdinalTest, OrdersAndUnknownPolicies) {
  const auto rows = Batch({{"c", Strings({"b", "c", "c", "a", "c", "b"})}});
  const auto probe = Batch({{"c", Strings({"a", "b", "c", "z", std::nullopt})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline lex, Fitted(R"({"columns":[{"name":"c","steps":[{"type":"ordinal"}]}]})", rows));
  EXPECT_THAT(lex.output_columns(), ElementsAre("c:ordinal"));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, lex.Transform(probe));
  EXPECT_THAT(std::vector<double>(m.values.begin(), m.values.begin() + 4), ElementsAre(0, 1, 2, -1));
  EXPECT_TRUE(std::isnan(m.values[4]));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline freq, Fitted(R"({"columns":[{"name":"c","steps":[{"type":"ordinal","order":"frequency",
                                                                 "unknown":"nan"}]}]})",
                            rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix f, freq.Transform(probe));
  EXPECT_THAT(std::vector<double>(f.values.begin(), f.values.begin() + 3), ElementsAre(2, 1, 0));
  EXPECT_TRUE(std::isnan(f.values[3]));
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline fixed, Fitted(R"({"columns":[{"name":"c","steps":[{"type":"ordinal",
                                     "categories":["c","a","b"]},{"type":"standardize"}]}]})",
                             rows));
  // Codes c=0, a=1, b=2 over the rows: 2,0,0,1,0,2: mean 5/6.
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix s, fixed.Transform(Batch({{"c", Strings({"c"})}})));
  const double sd = std::sqrt((2 * (2 - 5.0 / 6) * (2 - 5.0 / 6) + 3 * (5.0 / 6) * (5.0 / 6) +
                               (1 - 5.0 / 6) * (1 - 5.0 / 6)) / 6);
  EXPECT_FLOAT_EQ(s.At(0, 0), static_cast<float>((0 - 5.0 / 6) / sd));
}

TEST(DatePartsTest, DatesAndTimestampsInUtc) {
  lake::Column date(lake::DataType::kDate);
  date.AppendInt32(19782);  // 2024-02-29, a Thursday
  date.AppendInt32(-1);     // 1969-12-31, a Wednesday
  date.AppendNull();
  lake::Column ts(lake::DataType::kTimestamp);
  ts.AppendInt64(1615734566LL * 1000000);  // 2021-03-14T15:09:26Z, a Sunday
  ts.AppendInt64(0);
  ts.AppendInt64(0);
  const auto rows = Batch({{"d", std::move(date)}, {"t", std::move(ts)}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p,
      Fitted(R"({"columns":[{"name":"d","steps":[{"type":"date_parts","parts":["year","month","day",
                   "day_of_week","day_of_year","quarter","is_weekend"]}]},
                {"name":"t","steps":[{"type":"date_parts","parts":["hour","minute","second",
                   "day_of_week","day_of_year","is_weekend","epoch_days"]}]}]})",
             rows));
  EXPECT_EQ(p.output_columns()[0], "d:year");
  EXPECT_EQ(p.output_columns()[13], "t:epoch_days");
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(rows));
  EXPECT_THAT(std::vector<float>(m.Row(0).begin(), m.Row(0).end()),
              ElementsAre(2024, 2, 29, 3, 60, 1, 0, 15, 9, 26, 6, 73, 1, 18700));
  EXPECT_THAT(std::vector<float>(m.Row(1).begin(), m.Row(1).begin() + 7),
              ElementsAre(1969, 12, 31, 2, 365, 4, 0));
  EXPECT_TRUE(std::isnan(m.At(2, 0)));
}

TEST(SpecTest, BadSpecsNameTheJsonPath) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"columns": 3})", "features.columns: expected an array of column rules, got number"},
      {R"({})", "features: expected \"columns\""},
      {R"({"colums": []})", "features.colums: unknown field"},
      {R"({"columns":[{"steps":[]}]})", "features.columns[0].name: required field is missing"},
      {R"({"columns":[{"name":"a"}]})", "features.columns[0].steps: required field is missing"},
      {R"({"columns":[{"name":"a","names":["b"],"steps":[]}]})",
       "features.columns[0].names: give either"},
      {R"({"columns":[{"name":"a","steps":[{"type":"impute","strategy":"avg"}]}]})",
       "features.columns[0].steps[0].strategy: expected one of \"mean\", \"median\", \"mode\", "
       "\"constant\", got \"avg\""},
      {R"({"columns":[{"name":"a","steps":[{"type":"impute","strategy":"constant"}]}]})",
       "features.columns[0].steps[0].value: required when strategy is \"constant\""},
      {R"({"columns":[{"name":"a","steps":[{"type":"scale"}]}]})",
       "features.columns[0].steps[0].type: expected one of"},
      {R"({"columns":[{"name":"a","steps":[{"type":"standardize","with_mean":1}]}]})",
       "features.columns[0].steps[0].with_mean: expected a boolean, got number"},
      {R"({"columns":[{"name":"a","steps":[{"type":"woe","min_bin_share":0.7}]}]})",
       "features.columns[0].steps[0].min_bin_share: expected a number in [0, 0.5], got 0.7"},
      {R"({"columns":[{"name":"a","steps":[{"type":"one_hot"},{"type":"standardize"}]}]})",
       "features.columns[0].steps[1]: no step may follow \"one_hot\""},
      {R"({"columns":[{"name":"a","steps":[{"type":"one_hot","bins":3}]}]})",
       "features.columns[0].steps[0].bins: unknown field"},
      {R"({"columns":[{"name":"a","steps":[]},{"names":["b","a"],"steps":[]}]})",
       "features.columns[1].names[1]: column \"a\" is already listed at features.columns[0].name"},
      {R"({"columns":[{"name":"t","steps":[{"type":"tfidf","ngram_range":[2,1]}]}]})",
       "features.columns[0].steps[0].ngram_range: expected 1 <= min_n <= max_n <= 8"},
      {R"({"columns":[{"name":"t","steps":[{"type":"hash","n_bits":30}]}]})",
       "features.columns[0].steps[0].n_bits: expected an integer in [1, 24], got 30"},
      {R"({"columns":[{"name":"d","steps":[{"type":"date_parts","parts":["weekday"]}]}]})",
       "features.columns[0].steps[0].parts[0]: expected one of"},
      {R"({"auto":{"numeric":[{"type":"clip"}]}})", "features.auto.numeric[0].lower: clip needs"},
      {R"({"auto":{"strings":[]}})", "features.auto.strings: unknown field"},
  };
  for (const auto& [spec, message] : cases) {
    EXPECT_THAT(Pipeline::Create(J(spec)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << spec;
  }
}

TEST(SpecTest, StepsThatCannotTakeTheColumnTypeFailAtFitNamingThePath) {
  const auto rows = Batch({{"s", Strings({"a"})}, {"x", Doubles({1})}});
  EXPECT_THAT(Fitted(R"({"columns":[{"name":"x","steps":[]},
                                    {"name":"s","steps":[{"type":"standardize"}]}]})",
                     rows),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("features.columns[1].steps[0]: \"standardize\" needs a numeric "
                                 "column, but column \"s\" is string")));
  EXPECT_THAT(Fitted(R"({"columns":[{"name":"s","steps":[]}]})", rows),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("features.columns[0].steps: column \"s\" is string; its steps "
                                 "must end with an encoder")));
  EXPECT_THAT(Fitted(R"({"columns":[{"name":"nope","steps":[]}]})", rows),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("column \"nope\" is not in the training rows")));
  EXPECT_THAT(Fitted(R"({"columns":[{"name":"x","steps":[{"type":"woe"}]}]})", rows),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("target: expected one 0/1")));
}

TEST(TransformTest, MissingColumnsAndWrongTypesNameTheColumn) {
  const auto rows = Batch({{"s", Strings({"a", "b"})}, {"x", Doubles({1, 2})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Fitted(R"({"columns":[{"name":"x","steps":[]},
                                       {"name":"s","steps":[{"type":"one_hot"}]}]})",
                         rows));
  EXPECT_THAT(p.Transform(Batch({{"x", Doubles({1})}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("column \"s\": missing from the input")));
  EXPECT_THAT(p.Transform(Batch({{"x", Strings({"1"})}, {"s", Strings({"a"})}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("column \"x\": expected numeric (trained on double), got string")));
  // Numeric types are interchangeable; extra columns are ignored; unseen categories are fine.
  LEPTON_ASSERT_OK_AND_ASSIGN(
      FeatureMatrix m,
      p.Transform(Batch({{"extra", Doubles({0})}, {"s", Strings({"zzz"})}, {"x", Int64s({7})}})));
  EXPECT_THAT(m.values, ElementsAre(7, 0, 0, 1));
  EXPECT_THAT(p.input_signature(),
              ElementsAre(lake::Field{"x", lake::DataType::kDouble, true},
                          lake::Field{"s", lake::DataType::kString, true}));
  EXPECT_OK(p.ValidateInput(rows.schema()));

  LEPTON_ASSERT_OK_AND_ASSIGN(Pipeline unfitted,
                              Pipeline::Create(J(R"({"columns":[{"name":"x","steps":[]}]})")));
  EXPECT_THAT(unfitted.Transform(rows), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(AutoTest, ColumnsByTypeWithExclusions) {
  lake::Column flag(lake::DataType::kBool);
  flag.AppendBool(true);
  flag.AppendBool(false);
  const auto rows = Batch({{"id", Int64s({1, 2})},
                           {"s", Strings({"a", "b"})},
                           {"x", Doubles({1, 3})},
                           {"flag", std::move(flag)},
                           {"y", Doubles({0, 1})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Fitted(R"({"columns":[{"name":"x","steps":[{"type":"min_max"}]}],
                             "auto":{"exclude":["id","y"],"numeric":[{"type":"standardize"}],
                                     "string":[{"type":"one_hot"}]}})",
                         rows));
  EXPECT_THAT(p.output_columns(), ElementsAre("x", "s=a", "s=b", "s=__unknown__", "flag"));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(rows));
  EXPECT_THAT(m.values, ElementsAre(0, 1, 0, 0, 1,  //
                                    1, 0, 1, 0, -1));
}

}  // namespace
}  // namespace lepton::features
