#include "lepton/train/model_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/train/learner_factory.h"

namespace lepton::train {
namespace {

using ::testing::HasSubstr;

Json Minimal() {
  return {{"dataset", {{"name", "credit/german_credit"}}},
          {"target", {{"column", "class"}, {"positive_class", "bad"}}},
          {"learner", {{"flavor", "logistic"}}}};
}

// The error message of validating `config`, or "" when it is valid.
std::string ErrorOf(const Json& config) {
  auto c = ModelConfig::FromJson(config);
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

TEST(ModelConfigTest, MinimalConfigGetsDefaults) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelConfig c, ModelConfig::FromJson(Minimal()));
  EXPECT_EQ(c.dataset.ns, "credit");
  EXPECT_EQ(c.dataset.name, "german_credit");
  EXPECT_FALSE(c.dataset.version.has_value());
  EXPECT_EQ(c.target.task, ml::Task::kBinary);
  EXPECT_EQ(c.target.positive_class, "bad");
  EXPECT_TRUE(c.auto_features);
  EXPECT_EQ(c.split.method, SplitMethod::kStratified);
  EXPECT_DOUBLE_EQ(c.split.test_fraction, 0.25);
  EXPECT_EQ(c.selection_metric, "auc");
  EXPECT_FALSE(c.cv.has_value());
  EXPECT_EQ(c.experiment.name, "default");
}

TEST(ModelConfigTest, ExamplesAreValid) {
  for (const char* f : {"model_config.json", "model_config_xgboost.json"}) {
    SCOPED_TRACE(f);
    LEPTON_ASSERT_OK_AND_ASSIGN(
        ModelConfig c, ModelConfig::Load(std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/" + f));
    EXPECT_EQ(c.dataset.full_name(), "credit/german_credit");
  }
}

TEST(ModelConfigTest, ErrorsNameTheJsonPathAndWhatWasExpected) {
  struct Case {
    std::function<void(Json&)> edit;
    std::string want;
  };
  const std::vector<Case> cases = {
      {[](Json& c) { c.erase("target"); }, "target: required field is missing"},
      {[](Json& c) { c["dataset"]["name"] = "german_credit"; }, "dataset.name: expected \"namespace/name\""},
      {[](Json& c) { c["dataset"]["version"] = -1; }, "dataset.version: expected an integer in [0, "},
      {[](Json& c) { c["dataset"]["version"] = 1; c["dataset"]["as_of"] = "2024-01-01T00:00:00Z"; },
       "dataset.as_of: give either version or as_of"},
      {[](Json& c) { c["dataset"]["as_of"] = "yesterday"; }, "dataset.as_of: expected an RFC 3339 time"},
      {[](Json& c) { c["dataset"]["where"] = Json::array({{{"column", "age"}, {"op", "~"}, {"value", 1}}}); },
       "dataset.where[0]"},
      {[](Json& c) { c["split"] = {{"test_fraction", 1.5}}; }, "split.test_fraction: expected a number in (0, 1), got 1.5"},
      {[](Json& c) { c["split"] = {{"method", "time"}}; }, "split.time_column: required field is missing"},
      {[](Json& c) { c["split"] = {{"method", "shuffled"}}; }, "split.method: expected one of \"random\", \"stratified\", \"time\", got \"shuffled\""},
      {[](Json& c) { c["learner"]["flavor"] = "svm"; }, "learner.flavor: expected one of \"logistic\""},
      {[](Json& c) { c["learner"]["penalty"] = "l2"; }, "learner.penalty: unknown field"},
      {[](Json& c) { c["learner"]["flavor"] = "linear"; }, "learner.flavor: \"linear\" is for regression"},
      {[](Json& c) { c["features"] = {{"columns", "all"}}; }, "features.columns: expected \"auto\" or a non-empty array"},
      {[](Json& c) { c["features"] = {{"columns", {"age", "class"}}}; }, "features.columns[1]: \"class\" is the target column"},
      {[](Json& c) {
         c["features"] = {{"pipeline", {{"columns", {{{"name", "age"}, {"steps", {{{"type", "impute"}, {"strategy", "avg"}}}}}}}}}};
       },
       "features.pipeline.columns[0].steps[0].strategy"},
      {[](Json& c) { c["search"] = {{"strategy", "grid"}, {"space", {{"C", {{"low", 0.1}, {"high", 1}}}}}}; },
       "search.space"},
      {[](Json& c) { c["search"] = {{"strategy", "grid"}, {"metric", "rmse"}, {"space", {{"C", {0.1, 1}}}}}; },
       "search.metric: expected a binary metric"},
      {[](Json& c) { c["cv"] = {{"folds", 1}}; }, "cv.folds: expected an integer in [2, 100], got 1"},
      {[](Json& c) { c["learner"]["params"] = {{"penality", "l2"}}; }, "learner.params: "},
      {[](Json& c) {
         c["learner"] = {{"flavor", "xgboost"}, {"params", {{"seed", 1}}}};
       },
       "learner.params: xgboost.seed: unknown parameter"},
      {[](Json& c) {
         c["learner"] = {{"flavor", "xgboost"}};
         c["search"] = {{"strategy", "grid"}, {"space", {{"max_depth", {3, -1}}}}};
       },
       "search candidate 1 {\"max_depth\":-1}: learner.params: "},
      {[](Json& c) { c["metrics"] = {{"report", {"auc", "r2"}}}; }, "metrics.report[1]: expected a binary metric"},
      {[](Json& c) { c["early_stopping"] = {{"rounds", 10}}; }, "early_stopping: learner \"logistic\" has no early stopping"},
      {[](Json& c) { c["experiment"] = {{"name", "Credit Scoring!"}}; }, "experiment.name: "},
      {[](Json& c) { c["scorecard"] = {{"pdo", 0}}; }, "scorecard.pdo: expected a number in (0, "},
      {[](Json& c) { c["fairness_slices"] = Json::array({{{"column", "age"}, {"bins", {40, 25}}}}); },
       "fairness_slices[0].bins[1]: expected a number above the previous bin edge"},
      {[](Json& c) { c["threshold"] = "best"; }, "threshold: expected a number in [0, 1], got \"best\""},
      {[](Json& c) { c["target"]["task"] = "regression"; }, "target.positive_class: only for task \"binary\""},
      {[](Json& c) { c["colour"] = "blue"; }, "colour: unknown field"},
      {[](Json& c) { c["permutation_importance"] = "yes"; },
       "permutation_importance: expected true, false or an object, got \"yes\""},
      {[](Json& c) { c["permutation_importance"] = {{"repeats", 0}}; },
       "permutation_importance.repeats: expected an integer in [1, 100], got 0"},
      {[](Json& c) { c["permutation_importance"] = {{"rows", 10}}; }, "permutation_importance.rows: unknown field"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    Json c = Minimal();
    cases[i].edit(c);
    SCOPED_TRACE(c.dump());
    EXPECT_THAT(ErrorOf(c), HasSubstr(cases[i].want)) << "case " << i;
  }
}

TEST(ModelConfigTest, PermutationImportanceIsOnByDefaultAndConfigurable) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelConfig d, ModelConfig::FromJson(Minimal()));
  EXPECT_TRUE(d.permutation_importance.enabled);
  EXPECT_EQ(d.permutation_importance.repeats, 5);
  EXPECT_EQ(d.permutation_importance.max_rows, 2000);
  Json c = Minimal();
  c["permutation_importance"] = false;
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelConfig off, ModelConfig::FromJson(c));
  EXPECT_FALSE(off.permutation_importance.enabled);
  c["permutation_importance"] = {{"repeats", 3}, {"max_rows", 500}};
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelConfig set, ModelConfig::FromJson(c));
  EXPECT_TRUE(set.permutation_importance.enabled);
  EXPECT_EQ(set.permutation_importance.repeats, 3);
  EXPECT_EQ(set.permutation_importance.max_rows, 500);
}

TEST(ModelConfigTest, TorchFlavorsValidateAndMlpTakesEarlyStopping) {
  // Validation needs no plugin; building loads it (model_builder_test, torch_plugin_test).
  Json c = Minimal();
  c["learner"]["flavor"] = "mlp";
  c["early_stopping"] = {{"rounds", 5}, {"validation_fraction", 0.2}};
  EXPECT_EQ(ErrorOf(c), "");
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelConfig parsed, ModelConfig::FromJson(c));
  ASSERT_TRUE(parsed.early_stopping.has_value());
  EXPECT_EQ(parsed.early_stopping->rounds, 5);
  EXPECT_EQ(EarlyStoppingParam("mlp"), "patience");
  EXPECT_EQ(EarlyStoppingParam("xgboost"), "early_stopping_rounds");
  EXPECT_EQ(EarlyStoppingParam("logistic"), "");
}

TEST(ModelConfigTest, SearchMetricDefaultsToSelectionAndCvToFiveFolds) {
  Json c = Minimal();
  c["metrics"] = {{"selection", "ks"}};
  c["search"] = {{"strategy", "random"}, {"n_iter", 3}, {"space", {{"C", {{"low", 0.01}, {"high", 10}, {"log", true}}}}}};
  LEPTON_ASSERT_OK_AND_ASSIGN(ModelConfig m, ModelConfig::FromJson(c));
  EXPECT_EQ(m.search->metric, "ks");
  ASSERT_TRUE(m.cv.has_value());
  EXPECT_EQ(m.cv->folds, 5);
  EXPECT_TRUE(m.cv->stratified);
}

TEST(ModelConfigTest, FlattenConfigGivesDottedKeys) {
  auto flat = FlattenConfig(Minimal());
  EXPECT_EQ(flat["dataset.name"], "credit/german_credit");
  EXPECT_EQ(flat["learner.flavor"], "logistic");
}

}  // namespace
}  // namespace lepton::train
