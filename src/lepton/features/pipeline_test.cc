// Pipelines on real data: no leakage (statistics come from the fitted rows only), save/load
// gives bit-identical output on every row, a 1-row transform equals the batch transform for
// every row, and the CSR layout of mixed dense + text pipelines.
#include "lepton/features/pipeline.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/features/testing/test_data.h"

namespace lepton::features {
namespace {

using ::testing::ElementsAre;
using testdata::Batch;
using testdata::Doubles;
using testdata::Strings;

// Every kind of step on German credit (WOE needs the target).
constexpr char kGermanSpec[] = R"({
  "columns": [
    {"name": "checking_status", "steps": [{"type": "woe"}]},
    {"name": "duration", "steps": [{"type": "woe", "binning": "monotonic"}]},
    {"name": "credit_amount", "steps": [{"type": "clip", "upper_quantile": 0.99},
                                        {"type": "log"}, {"type": "standardize"}]},
    {"name": "age", "steps": [{"type": "impute", "strategy": "median", "add_indicator": true},
                              {"type": "min_max"}]},
    {"name": "savings_status", "steps": [{"type": "ordinal", "order": "frequency"}]},
    {"name": "purpose", "steps": [{"type": "one_hot", "min_frequency": 20}]},
    {"names": ["installment_commitment", "residence_since"],
     "steps": [{"type": "woe", "binning": "quantile", "bins": 4}]}
  ],
  "auto": {"exclude": ["class"], "numeric": [{"type": "impute", "strategy": "mean"}],
           "string": [{"type": "one_hot", "max_categories": 3}]}
})";

class GermanPipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto b = testdata::ReadCsv(testdata::SharedData("credit/german_credit.csv"));
    LEPTON_CHECK(b.ok());
    rows_ = new lake::RecordBatch(*std::move(b));
    target_ = new std::vector<double>();
    const lake::Column& cls = rows_->column(static_cast<size_t>(rows_->schema().Find("class")));
    for (int64_t i = 0; i < cls.size(); ++i) target_->push_back(cls.StringAt(i) == "bad");
  }
  static const lake::Column& Column(const lake::RecordBatch& b, std::string_view name) {
    return b.column(static_cast<size_t>(b.schema().Find(name)));
  }
  static lake::RecordBatch* rows_;
  static std::vector<double>* target_;
};
lake::RecordBatch* GermanPipelineTest::rows_ = nullptr;
std::vector<double>* GermanPipelineTest::target_ = nullptr;

bool BitEqual(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST_F(GermanPipelineTest, FittingOnASubsetUsesOnlyThatSubset) {
  // The first 300 rows as the "fold".
  const lake::RecordBatch fold = rows_->Slice(0, 300);
  const std::span<const double> fold_target(target_->data(), 300);
  LEPTON_ASSERT_OK_AND_ASSIGN(Pipeline p, Pipeline::Create(*ParseJson(R"({"columns":[
      {"name":"credit_amount","steps":[{"type":"impute","strategy":"mean"},{"type":"standardize"}]},
      {"name":"age","steps":[{"type":"min_max"}]},
      {"name":"checking_status","steps":[{"type":"woe"}]},
      {"name":"purpose","steps":[{"type":"one_hot"}]},
      {"name":"other_parties","steps":[{"type":"ordinal"}]}]})")));
  ASSERT_OK(p.Fit(fold, fold_target));

  // Statistics computed here from the same 300 rows, independently of the pipeline.
  double sum = 0, all_sum = 0;
  const lake::Column& amount = Column(*rows_, "credit_amount");
  for (int64_t i = 0; i < 1000; ++i) {
    const auto v = testdata::NumberAt(amount, i);
    if (i < 300) sum += v;
    all_sum += v;
  }
  const double mean = sum / 300;
  ASSERT_NE(mean, all_sum / 1000);  // the subset differs from the whole, so the check means something
  double ss = 0;
  for (int64_t i = 0; i < 300; ++i) {
    const double d = testdata::NumberAt(amount, i) - mean;
    ss += d * d;
  }
  const Json report = p.Report();
  const Json& amount_steps = report["columns"][0]["steps"];
  EXPECT_DOUBLE_EQ(amount_steps[0]["value"].get<double>(), mean);
  EXPECT_DOUBLE_EQ(amount_steps[1]["mean"].get<double>(), mean);
  EXPECT_DOUBLE_EQ(amount_steps[1]["scale"].get<double>(), std::sqrt(ss / 300));

  double age_min = 1000, age_max = 0;
  for (int64_t i = 0; i < 300; ++i) {
    age_min = std::min(age_min, testdata::NumberAt(Column(*rows_, "age"), i));
    age_max = std::max(age_max, testdata::NumberAt(Column(*rows_, "age"), i));
  }
  EXPECT_EQ(report["columns"][1]["steps"][0]["data_min"].get<double>(), age_min);
  EXPECT_EQ(report["columns"][1]["steps"][0]["data_range"].get<double>(), age_max - age_min);

  // WOE counts equal the subset's counts per category.
  std::map<std::string, std::pair<int64_t, int64_t>> counts;  // events, non-events
  std::set<std::string> purposes, others;
  for (int64_t i = 0; i < 300; ++i) {
    auto& c = counts[std::string(Column(*rows_, "checking_status").StringAt(i))];
    ((*target_)[static_cast<size_t>(i)] == 1 ? c.first : c.second)++;
    purposes.insert(std::string(Column(*rows_, "purpose").StringAt(i)));
    others.insert(std::string(Column(*rows_, "other_parties").StringAt(i)));
  }
  const std::vector<WoeFeature> features = p.WoeBinnings();
  const WoeBinning& woe = features.at(0).binning;
  int64_t events = 0;
  for (const WoeBin& b : woe.bins) {
    ASSERT_EQ(b.categories.size(), 1u);
    EXPECT_EQ(b.events, counts.at(b.categories[0]).first) << b.categories[0];
    EXPECT_EQ(b.non_events, counts.at(b.categories[0]).second) << b.categories[0];
    events += b.events;
  }
  EXPECT_EQ(events, std::count(fold_target.begin(), fold_target.end(), 1.0));
  // One-hot and ordinal categories are those of the subset.
  std::vector<std::string> want;
  for (const auto& s : purposes) want.push_back("purpose=" + s);
  want.push_back("purpose=__unknown__");
  std::vector<std::string> got;
  for (const auto& c : p.output_columns()) {
    if (c.rfind("purpose=", 0) == 0) got.push_back(c);
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(report["columns"][4]["steps"][0]["categories"].size(), others.size());

  // Transforming other rows changes nothing fitted.
  ASSERT_OK(p.Transform(rows_->Slice(300, 700)).status());
  EXPECT_EQ(p.Report(), report);
  // Refitting on other rows replaces the statistics completely.
  ASSERT_OK(p.Fit(rows_->Slice(300, 700), std::span<const double>(target_->data() + 300, 700)));
  EXPECT_NE(p.Report()["columns"][0]["steps"][0]["value"].get<double>(), mean);
}

TEST_F(GermanPipelineTest, SavedAndLoadedPipelineTransformsEveryRowBitIdentically) {
  LEPTON_ASSERT_OK_AND_ASSIGN(Pipeline p, Pipeline::Create(*ParseJson(kGermanSpec)));
  // Fit on the first 700 rows; transform all 1000 (the last 300 play the serving traffic).
  ASSERT_OK(p.Fit(rows_->Slice(0, 700), std::span<const double>(target_->data(), 700)));
  EXPECT_FALSE(p.sparse_output());
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix original, p.Transform(*rows_));
  ASSERT_EQ(original.rows, 1000);
  ASSERT_EQ(original.values.size(), 1000 * p.output_columns().size());

  const std::string saved = DumpJson(p.ToJson());
  LEPTON_ASSERT_OK_AND_ASSIGN(Json parsed, ParseJson(saved));
  LEPTON_ASSERT_OK_AND_ASSIGN(Pipeline loaded, Pipeline::FromJson(parsed));
  EXPECT_TRUE(loaded.fitted());
  EXPECT_EQ(loaded.output_columns(), p.output_columns());
  EXPECT_EQ(loaded.input_signature(), p.input_signature());
  EXPECT_EQ(loaded.OutputSources(), p.OutputSources());
  EXPECT_EQ(DumpJson(loaded.ToJson()), saved);  // a second save is the same text
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix restored, loaded.Transform(*rows_));
  EXPECT_EQ(restored.columns, original.columns);
  EXPECT_TRUE(BitEqual(restored.values, original.values));

  // Serving: every row alone, through the loaded pipeline and a reused matrix, equals its row
  // of the batch transform bit for bit.
  FeatureMatrix one;
  for (int64_t r = 0; r < rows_->num_rows(); ++r) {
    ASSERT_OK(loaded.TransformInto(rows_->Slice(r, 1), &one));
    ASSERT_EQ(one.rows, 1);
    const auto want = original.Row(r);
    ASSERT_EQ(std::memcmp(one.values.data(), want.data(), want.size() * sizeof(float)), 0)
        << "row " << r;
  }
}

TEST_F(GermanPipelineTest, OneRowTransformsEqualTheBatchOnEveryRowAndAreFast) {
  LEPTON_ASSERT_OK_AND_ASSIGN(Pipeline p, Pipeline::Create(*ParseJson(kGermanSpec)));
  ASSERT_OK(p.Fit(*rows_, *target_));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix all, p.Transform(*rows_));
  std::vector<lake::RecordBatch> singles;
  for (int64_t r = 0; r < rows_->num_rows(); ++r) singles.push_back(rows_->Slice(r, 1));
  FeatureMatrix one;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t r = 0; r < rows_->num_rows(); ++r) {
    ASSERT_OK(p.TransformInto(singles[static_cast<size_t>(r)], &one));
    const auto want = all.Row(r);
    ASSERT_EQ(std::memcmp(one.values.data(), want.data(), want.size() * sizeof(float)), 0)
        << "row " << r;
  }
  const double us = std::chrono::duration<double, std::micro>(
                        std::chrono::steady_clock::now() - start).count() / 1000;
  std::printf("[ measure  ] 1-row transform, %zu inputs -> %zu outputs: %.2f us/row\n",
              p.input_signature().size(), p.output_columns().size(), us);
  EXPECT_LT(us, 500.0);  // generous: the point is the per-request path, not a benchmark

  // A matrix reused by another pipeline (serving keeps one per thread for every model) takes
  // that pipeline's names and values, and back.
  LEPTON_ASSERT_OK_AND_ASSIGN(Pipeline other, Pipeline::Create(*ParseJson(
      R"({"columns": [{"name": "age", "steps": [{"type": "standardize"}]},
                      {"name": "purpose", "steps": [{"type": "one_hot"}]}]})")));
  ASSERT_OK(other.Fit(*rows_, *target_));
  ASSERT_NE(other.output_columns(), p.output_columns());
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix other_all, other.Transform(*rows_));
  for (int64_t r : {0, 1, 999}) {
    ASSERT_OK(other.TransformInto(singles[static_cast<size_t>(r)], &one));
    EXPECT_EQ(one.columns, other.output_columns());
    ASSERT_EQ(one.values.size(), other.output_columns().size());
    EXPECT_EQ(std::memcmp(one.values.data(), other_all.Row(r).data(), one.values.size() * sizeof(float)), 0);
    ASSERT_OK(p.TransformInto(singles[static_cast<size_t>(r)], &one));
    EXPECT_EQ(one.columns, p.output_columns());
    EXPECT_EQ(std::memcmp(one.values.data(), all.Row(r).data(), one.values.size() * sizeof(float)), 0);
  }
}

TEST_F(GermanPipelineTest, ReportHasImputationValuesAndIvRanking) {
  LEPTON_ASSERT_OK_AND_ASSIGN(Pipeline p, Pipeline::Create(*ParseJson(kGermanSpec)));
  ASSERT_OK(p.Fit(*rows_, *target_));
  const Json r = p.Report();
  ASSERT_EQ(r["iv"].size(), 4u);  // checking_status, duration, installment_commitment, residence
  EXPECT_EQ(r["iv"][0]["column"], "checking_status");
  EXPECT_NEAR(r["iv"][0]["iv"].get<double>(), 0.6660115033513336, 1e-12);
  EXPECT_EQ(r["columns"][3]["column"], "age");
  EXPECT_EQ(r["columns"][3]["steps"][0]["type"], "impute");
  EXPECT_EQ(r["columns"][3]["steps"][0]["value"], 33.0);  // median age of all 1000
}

TEST(PipelineTest, TextMakesTheWholeOutputCsrWithDenseValuesStored) {
  const auto rows = Batch({{"x", Doubles({0, 2, NAN})},
                           {"t", Strings({"good good news", std::nullopt, "bad news"})},
                           {"y", Doubles({1, 1, 1})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Pipeline::Create(*ParseJson(R"({"columns":[
          {"name":"x","steps":[]},
          {"name":"t","steps":[{"type":"impute","strategy":"constant","value":"",
                                "add_indicator":true},{"type":"tfidf","norm":"none"}]},
          {"name":"y","steps":[]}]})")));
  ASSERT_OK(p.Fit(rows, {}));
  EXPECT_TRUE(p.sparse_output());
  EXPECT_THAT(p.output_columns(),
              ElementsAre("x", "t#bad", "t#good", "t#news", "t:missing", "y"));
  EXPECT_THAT(p.OutputSources(), ElementsAre(0, 1, 1, 1, 1, 2));  // t:missing belongs to t
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m, p.Transform(rows));
  ASSERT_TRUE(m.sparse);
  EXPECT_THAT(m.row_offsets, ElementsAre(0, 5, 8, 13));
  EXPECT_THAT(m.col_indices, ElementsAre(0, 2, 3, 4, 5,  //
                                         0, 4, 5,        //
                                         0, 1, 3, 4, 5));
  // idf: good ln(4/2)+1, news ln(4/3)+1, bad ln(4/2)+1 (3 documents, smooth).
  const float good = static_cast<float>(2 * (std::log(2.0) + 1));
  const float news = static_cast<float>(std::log(4.0 / 3) + 1);
  EXPECT_EQ(m.values[0], 0.0f);  // a dense zero is stored
  EXPECT_EQ(m.values[1], good);
  EXPECT_EQ(m.values[2], news);
  EXPECT_EQ(m.values[3], 0.0f);   // t:missing
  EXPECT_EQ(m.values[6], 1.0f);   // row 1's t:missing
  EXPECT_TRUE(std::isnan(m.values[8]));
  EXPECT_EQ(m.At(2, 1), static_cast<float>(std::log(2.0) + 1));

  // Save/load keeps the CSR output identical too.
  LEPTON_ASSERT_OK_AND_ASSIGN(Pipeline loaded,
                              Pipeline::FromJson(*ParseJson(DumpJson(p.ToJson()))));
  LEPTON_ASSERT_OK_AND_ASSIGN(FeatureMatrix m2, loaded.Transform(rows));
  EXPECT_EQ(m2.col_indices, m.col_indices);
  EXPECT_EQ(m2.row_offsets, m.row_offsets);
  EXPECT_TRUE(BitEqual(m2.values, m.values));
}

TEST(PipelineTest, FromJsonRejectsDamagedStateNamingThePath) {
  const auto rows = Batch({{"x", Doubles({1, 2})}});
  LEPTON_ASSERT_OK_AND_ASSIGN(
      Pipeline p, Pipeline::Create(*ParseJson(
                      R"({"columns":[{"name":"x","steps":[{"type":"standardize"}]}]})")));
  ASSERT_OK(p.Fit(rows, {}));
  Json saved = p.ToJson();
  saved["chains"][0]["steps"][0]["fitted"]["mean"] = "abc";
  EXPECT_THAT(Pipeline::FromJson(saved),
              lepton::testing::StatusIs(
                  absl::StatusCode::kInvalidArgument,
                  ::testing::HasSubstr("pipeline.chains[0].steps[0].fitted.mean: expected a number")));
  saved = p.ToJson();
  saved["format"] = "other";
  EXPECT_THAT(Pipeline::FromJson(saved),
              lepton::testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                        ::testing::HasSubstr("pipeline.format: expected")));
}

}  // namespace
}  // namespace lepton::features
