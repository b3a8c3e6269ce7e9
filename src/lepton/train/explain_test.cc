// Explanations of real models built by ModelBuilder: logistic contributions checked by hand,
// XGBoost TreeSHAP summed over one-hot blocks on German credit, scorecard points adding up to the
// credit score, top_k, the multiclass / MLP refusals and global importance per input column.
#include "lepton/train/explain.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/ml/linear/logistic.h"
#include "lepton/ml/xgboost/xgboost.h"
#include "lepton/train/model_builder.h"
#include "lepton/train/testing/data.h"
#include "lepton/train/torch_plugin.h"

namespace lepton::train {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

using ::lepton::train::testing::German;
using ::lepton::train::testing::ExampleConfig;
Model Build(const Json& config, const lake::RecordBatch& data) {
  auto c = ModelConfig::FromJson(config);
  LEPTON_CHECK_OK(c.status());
  ModelBuilder builder(std::move(*c), {});
  auto model = builder.build_and_train(data);
  LEPTON_CHECK_OK(model.status());
  return std::move(*model);
}

// `signal` drives `label`; `noise` does not; `color` is a string (one-hot); every 7th signal is
// missing (imputed, with a "signal:missing" indicator).
lake::RecordBatch Synthetic(int64_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  lake::RecordBatch b(lake::Schema({{"signal", lake::DataType::kDouble, true},
                                    {"noise", lake::DataType::kDouble, true},
                                    {"color", lake::DataType::kString, true},
                                    {"label", lake::DataType::kString, true}}));
  for (int64_t i = 0; i < rows; ++i) {
    const double s = normal(rng);
    const std::string color = i % 3 == 0 ? "red" : (i % 3 == 1 ? "green" : "blue");
    const bool bad = s + (color == "red" ? 0.8 : 0.0) + 0.7 * normal(rng) > 0.8;
    if (i % 7 == 0) {
      b.mutable_column(0).AppendNull();
    } else {
      b.mutable_column(0).AppendDouble(s);
    }
    b.mutable_column(1).AppendDouble(normal(rng));
    b.mutable_column(2).AppendString(color);
    b.mutable_column(3).AppendString(bad ? "bad" : "good");
  }
  return b;
}

Json SyntheticConfig() {
  return {{"dataset", {{"name", "test/synthetic"}}},
          {"target", {{"column", "label"}, {"positive_class", "bad"}}},
          {"features",
           {{"columns", "auto"},
            {"pipeline",
             {{"columns",
               {{{"name", "signal"},
                 {"steps",
                  {{{"type", "impute"}, {"strategy", "median"}, {"add_indicator", true}},
                   {{"type", "standardize"}}}}},
                {{"name", "noise"}, {"steps", {{{"type", "standardize"}}}}},
                {{"name", "color"}, {"steps", {{{"type", "one_hot"}}}}}}}}}}},
          {"learner", {{"flavor", "logistic"}}},
          {"split", {{"method", "stratified"}, {"test_fraction", 0.25}, {"seed", 7}}}};
}

double Logit(double p) { return std::log(p / (1 - p)); }

double Sum(const RowExplanation& e) {
  double s = e.base;
  for (const auto& [column, value] : e.contributions) s += value;
  return s;
}

std::map<std::string, double> AsMap(const std::vector<std::pair<std::string, double>>& v) {
  return {v.begin(), v.end()};
}

TEST(ExplainTest, LogisticContributionsSumToTheMarginAndMatchCoefficientTimesValue) {
  const lake::RecordBatch data = Synthetic(600, 3);
  const Model model = Build(SyntheticConfig(), data);
  const auto* logistic = dynamic_cast<const ml::LogisticRegression*>(&model.learner());
  ASSERT_NE(logistic, nullptr);

  const lake::RecordBatch rows = data.Slice(0, 50);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<RowExplanation> ex, ExplainRows(model, rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(Predictions p, model.Predict(rows));
  ASSERT_EQ(ex.size(), 50u);
  for (size_t r = 0; r < ex.size(); ++r) {
    const RowExplanation& e = ex[r];
    ASSERT_EQ(e.contributions.size(), 3u);  // signal, noise, color — input columns only
    EXPECT_EQ(e.base, logistic->intercept()[0]);
    EXPECT_NEAR(Sum(e), e.margin, 1e-9) << "row " << r;
    EXPECT_NEAR(e.margin, Logit(e.score), 1e-9) << "row " << r;
    EXPECT_EQ(e.score, p.scores[r]);
    EXPECT_FALSE(e.base_points.has_value());
    EXPECT_TRUE(e.points.empty());
  }

  // Row 0 (signal missing, color red) by hand: coefficient x transformed value, summed over
  // the features of each input column.
  LEPTON_ASSERT_OK_AND_ASSIGN(features::FeatureMatrix x, model.pipeline().Transform(rows));
  std::map<std::string, double> want;
  std::set<std::string> seen_outputs;
  for (int64_t j = 0; j < x.cols(); ++j) {
    const std::string& name = x.columns[static_cast<size_t>(j)];
    const std::string input = name.substr(0, name.find_first_of("=:"));
    want[input] += logistic->coef()[static_cast<size_t>(j)] * static_cast<double>(x.At(0, j));
    seen_outputs.insert(name);
  }
  EXPECT_TRUE(seen_outputs.contains("signal:missing"));
  EXPECT_TRUE(seen_outputs.contains("color=red"));
  const std::map<std::string, double> got = AsMap(ex[0].contributions);
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [column, value] : want) EXPECT_NEAR(got.at(column), value, 1e-12) << column;
  // Row 0's signal is missing: its "signal:missing" indicator is on and counts for signal.
  EXPECT_EQ(x.columns[1], "signal:missing");
  EXPECT_EQ(x.At(0, 1), 1.0f);
}

TEST(ExplainTest, ContributionsAreOrderedByMagnitudeAndTopKKeepsTheLargest) {
  const lake::RecordBatch data = Synthetic(400, 4);
  const Model model = Build(SyntheticConfig(), data);
  const lake::RecordBatch rows = data.Slice(0, 30);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<RowExplanation> all, ExplainRows(model, rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<RowExplanation> top,
                              ExplainRows(model, rows, {.top_k = 2}));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<RowExplanation> many,
                              ExplainRows(model, rows, {.top_k = 10}));
  ASSERT_EQ(top.size(), all.size());
  for (size_t r = 0; r < all.size(); ++r) {
    const auto& c = all[r].contributions;
    ASSERT_EQ(c.size(), 3u);
    EXPECT_GE(std::fabs(c[0].second), std::fabs(c[1].second));
    EXPECT_GE(std::fabs(c[1].second), std::fabs(c[2].second));
    ASSERT_EQ(top[r].contributions.size(), 2u);
    EXPECT_EQ(top[r].contributions[0], c[0]);
    EXPECT_EQ(top[r].contributions[1], c[1]);
    // The margin still covers every column.
    EXPECT_EQ(top[r].margin, all[r].margin);
    EXPECT_EQ(many[r].contributions, c);  // top_k above the column count keeps all
  }
  EXPECT_THAT(ExplainRows(model, rows, {.top_k = -1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("top_k")));
}

TEST(ExplainTest, ToJsonKeepsOrderAndFields) {
  const lake::RecordBatch data = Synthetic(300, 5);
  const Model model = Build(SyntheticConfig(), data);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<RowExplanation> ex, ExplainRows(model, data.Slice(0, 2)));
  const Json j = ExplanationsToJson(ex);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["margin"].get<double>(), ex[1].margin);
  EXPECT_EQ(j[1]["score"].get<double>(), ex[1].score);
  EXPECT_EQ(j[1]["base"].get<double>(), ex[1].base);
  ASSERT_EQ(j[1]["contributions"].size(), 3u);
  EXPECT_EQ(j[1]["contributions"][0]["column"], ex[1].contributions[0].first);
  EXPECT_EQ(j[1]["contributions"][0]["value"].get<double>(), ex[1].contributions[0].second);
  EXPECT_FALSE(j[1].contains("points"));
  EXPECT_FALSE(j[1].contains("credit_score"));
}

TEST(ExplainTest, EmptyBatchAndMissingColumn) {
  const lake::RecordBatch data = Synthetic(300, 6);
  const Model model = Build(SyntheticConfig(), data);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<RowExplanation> none,
                              ExplainRows(model, data.Slice(0, 0)));
  EXPECT_TRUE(none.empty());
  EXPECT_THAT(ExplainRows(model, data.Project({0, 1, 3})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("color")));
}

// XGBoost on German credit with the example's pipeline (one-hot strings, raw numbers) and
// learner, without the search so that the test stays fast.
Json SmallXGBoostConfig() {
  Json j = ExampleConfig("model_config_xgboost.json");
  j.erase("search");
  j.erase("cv");
  j["learner"]["params"]["n_estimators"] = 60;
  return j;
}

TEST(ExplainTest, XGBoostTreeShapSumsToTheMarginAndOneHotBlocksAreSummed) {
  const Model model = Build(SmallXGBoostConfig(), German());
  const auto* xgb = dynamic_cast<const ml::XGBoostLearner*>(&model.learner());
  ASSERT_NE(xgb, nullptr);
  const lake::RecordBatch rows = German().Slice(0, 100);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<RowExplanation> ex, ExplainRows(model, rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(features::FeatureMatrix x, model.pipeline().Transform(rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> margins, xgb->Margins(x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> shap, model.learner().Contributions(x));
  LEPTON_ASSERT_OK_AND_ASSIGN(Predictions p, model.Predict(rows));
  const auto cols = static_cast<size_t>(x.cols());
  ASSERT_EQ(ex.size(), 100u);

  for (size_t r = 0; r < ex.size(); ++r) {
    const RowExplanation& e = ex[r];
    ASSERT_EQ(e.contributions.size(), 17u);  // the 17 input columns, not the one-hot features
    EXPECT_NEAR(Sum(e), e.margin, 1e-9);
    EXPECT_NEAR(e.margin, margins[r], 1e-5) << "row " << r;
    EXPECT_EQ(e.score, p.scores[r]);
    EXPECT_EQ(e.base, shap[r * (cols + 1) + cols]);

    // checking_status is one-hot: its contribution is the sum of its block's pred_contribs;
    // duration is a raw number: its own pred_contrib.
    double block = 0;
    int block_size = 0;
    double duration = NAN;
    for (size_t j = 0; j < cols; ++j) {
      if (x.columns[j].rfind("checking_status=", 0) == 0) {
        block += shap[r * (cols + 1) + j];
        ++block_size;
      }
      if (x.columns[j] == "duration") duration = shap[r * (cols + 1) + j];
    }
    ASSERT_GE(block_size, 3);
    const std::map<std::string, double> got = AsMap(e.contributions);
    EXPECT_NEAR(got.at("checking_status"), block, 1e-12) << "row " << r;
    EXPECT_EQ(got.at("duration"), duration) << "row " << r;
  }
}

TEST(ExplainTest, ScorecardPointsPerInputColumnAddUpToTheCreditScore) {
  Json j = ExampleConfig("model_config.json");
  j.erase("search");  // the example's chosen C is 1.0 anyway; CV is not needed here
  j.erase("cv");
  const Model model = Build(j, German());
  ASSERT_TRUE(model.scorecard().has_value());
  const lake::RecordBatch rows = German().Slice(100, 200);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<RowExplanation> ex,
                              ExplainRows(model, rows, {.top_k = 3}));
  LEPTON_ASSERT_OK_AND_ASSIGN(Predictions p, model.Predict(rows));
  ASSERT_EQ(p.credit_scores.size(), ex.size());
  std::vector<std::string> inputs;
  for (const lake::Field& f : model.pipeline().input_signature()) inputs.push_back(f.name);
  ASSERT_EQ(inputs.size(), 17u);

  for (size_t r = 0; r < ex.size(); ++r) {
    const RowExplanation& e = ex[r];
    ASSERT_TRUE(e.base_points.has_value());
    EXPECT_EQ(*e.base_points, model.scorecard()->base_points());
    // Points are never cut by top_k and follow the input order.
    ASSERT_EQ(e.points.size(), 17u);
    double total = *e.base_points;
    for (size_t i = 0; i < e.points.size(); ++i) {
      EXPECT_EQ(e.points[i].first, inputs[i]);
      total += e.points[i].second;
    }
    EXPECT_NEAR(total, e.credit_score, 1e-9) << "row " << r;
    EXPECT_NEAR(e.credit_score, p.credit_scores[r], 1e-9) << "row " << r;
    // The score is a linear function of the margin, which the contributions add up to.
    EXPECT_NEAR(model.scorecard()->ScoreFromMargin(e.margin), e.credit_score, 1e-9);
    EXPECT_NEAR(e.margin, Logit(e.score), 1e-9);
    EXPECT_EQ(e.contributions.size(), 3u);
  }
  const Json j0 = ExplanationsToJson({ex[0]});
  EXPECT_EQ(j0[0]["points"].size(), 17u);
  EXPECT_EQ(j0[0]["credit_score"].get<double>(), ex[0].credit_score);
  EXPECT_EQ(j0[0]["base_points"].get<double>(), *ex[0].base_points);
}

TEST(ExplainTest, RegressionMarginIsThePrediction) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal;
  lake::RecordBatch b(lake::Schema({{"x", lake::DataType::kDouble, true},
                                    {"g", lake::DataType::kString, true},
                                    {"y", lake::DataType::kDouble, true}}));
  for (int i = 0; i < 300; ++i) {
    const double x = normal(rng);
    b.mutable_column(0).AppendDouble(x);
    b.mutable_column(1).AppendString(i % 2 == 0 ? "a" : "b");
    b.mutable_column(2).AppendDouble(3 * x + (i % 2 == 0 ? 2 : 0) + 0.1 * normal(rng));
  }
  const Model model = Build({{"dataset", {{"name", "test/reg"}}},
                             {"target", {{"column", "y"}, {"task", "regression"}}},
                             {"learner", {{"flavor", "linear"}}}},
                            b);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<RowExplanation> ex, ExplainRows(model, b.Slice(0, 20)));
  LEPTON_ASSERT_OK_AND_ASSIGN(Predictions p, model.Predict(b.Slice(0, 20)));
  for (size_t r = 0; r < ex.size(); ++r) {
    EXPECT_NEAR(ex[r].margin, p.scores[r], 1e-9);
    EXPECT_EQ(ex[r].score, p.scores[r]);
    ASSERT_EQ(ex[r].contributions.size(), 2u);  // x and g (its one-hot block summed)
    EXPECT_EQ(AsMap(ex[r].contributions).count("g"), 1u);
    EXPECT_NEAR(Sum(ex[r]), ex[r].margin, 1e-12);
  }
}

TEST(ExplainTest, MulticlassIsUnimplementedWithAClearMessage) {
  Json j = SyntheticConfig();
  j["target"] = {{"column", "color"}, {"task", "multiclass"}};
  j["features"]["pipeline"]["columns"].erase(2);  // color is now the target
  const lake::RecordBatch data = Synthetic(300, 8);
  const Model model = Build(j, data);
  EXPECT_THAT(ExplainRows(model, data.Slice(0, 5)),
              StatusIs(absl::StatusCode::kUnimplemented,
                       AllOf(HasSubstr("multiclass"), HasSubstr("permutation importance"))));
  // Global importance still works (|coefficient| summed over the classes).
  const Json g = GlobalImportance(model);
  EXPECT_EQ(g["model_kind"], "coefficient");
  EXPECT_FALSE(g["model"].empty());
}

TEST(ExplainTest, GlobalImportanceIsPerInputColumn) {
  {
    const Model model = Build(SyntheticConfig(), Synthetic(600, 9));
    const Json g = GlobalImportance(model);
    EXPECT_EQ(g["model_kind"], "coefficient");
    ASSERT_EQ(g["model"].size(), 3u) << g;
    EXPECT_EQ(g["model"][0]["column"], "signal") << g;
    // |coefficient| per feature, summed per input column: nothing lost on the way.
    double features_total = 0;
    const Json per_feature = model.learner().Importance();
    for (const auto& [name, value] : per_feature.items()) features_total += value.get<double>();
    double inputs_total = 0;
    for (const Json& c : g["model"]) inputs_total += c["importance"].get<double>();
    EXPECT_NEAR(inputs_total, features_total, 1e-12);
    // The build computed permutation importance (on by default); it is passed through.
    ASSERT_TRUE(g.contains("permutation"));
    EXPECT_EQ(g["permutation"], model.metrics()["permutation_importance"]);
    EXPECT_EQ(g["permutation"]["columns"].size(), 3u);
  }
  {
    Json j = SyntheticConfig();
    j["permutation_importance"] = false;
    const Model model = Build(j, Synthetic(300, 10));
    EXPECT_FALSE(GlobalImportance(model).contains("permutation"));
  }
  {
    const Model model = Build(SmallXGBoostConfig(), German());
    const Json g = GlobalImportance(model);
    EXPECT_EQ(g["model_kind"], "gain");
    ASSERT_EQ(g["model"].size(), 17u);
    std::set<std::string> columns;
    for (const Json& c : g["model"]) columns.insert(c["column"].get<std::string>());
    EXPECT_TRUE(columns.contains("checking_status"));  // not "checking_status=<0"
    EXPECT_GT(g["model"][0]["importance"].get<double>(), 0);
    for (size_t i = 1; i < g["model"].size(); ++i) {
      EXPECT_GE(g["model"][i - 1]["importance"].get<double>(),
                g["model"][i]["importance"].get<double>());
    }
    EXPECT_TRUE(g.contains("permutation"));
  }
}

TEST(ExplainTest, MlpHasNoContributionsAndPointsToPermutationImportance) {
  // Test binaries are not in bin/, so they name this build's libtorch plugin.
  setenv(kTorchPluginEnv, LEPTON_TORCH_PLUGIN_PATH, /*overwrite=*/0);
  Json j = SyntheticConfig();
  j["learner"] = {{"flavor", "mlp"},
                  {"params", {{"hidden_layers", {4}}, {"epochs", 2}, {"batch_size", 32}}}};
  const lake::RecordBatch data = Synthetic(200, 11);
  const Model model = Build(j, data);
  ASSERT_EQ(model.flavor(), "mlp");
  EXPECT_THAT(ExplainRows(model, data.Slice(0, 5)),
              StatusIs(absl::StatusCode::kUnimplemented,
                       AllOf(HasSubstr("mlp"), HasSubstr("permutation importance"))));
  const Json g = GlobalImportance(model);
  EXPECT_EQ(g["model_kind"], "none");
  EXPECT_TRUE(g["model"].empty());
  ASSERT_TRUE(g.contains("permutation"));
  EXPECT_EQ(g["permutation"]["columns"].size(), 3u);
}

}  // namespace
}  // namespace lepton::train
