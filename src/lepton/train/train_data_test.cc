// Results on the real data sets of issue 4 (splits and seeds are documented in
// docs/model-config.md, "Results on real data"). Every number here is a test-split result of a
// config fixed beforehand; hyperparameters are chosen by cross-validation on the training part
// or fixed, never on the test part.

#include <chrono>

#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/train/model_builder.h"
#include "lepton/train/testing/data.h"

namespace lepton::train {
namespace {

Json Summary(const std::string& data, const Json& config) {
  auto df = testing::ReadCsv(testing::SharedData(data));
  EXPECT_TRUE(df.ok()) << df.status();
  if (!df.ok()) return Json();
  auto c = ModelConfig::FromJson(config);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return Json();
  const auto start = std::chrono::steady_clock::now();
  ModelBuilder builder(*c, {});
  auto model = builder.build_and_train(*df);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return Json();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Json& s = model->metrics()["summary"];
  std::cout << data << " (" << model->flavor() << ", " << seconds << " s): " << s.dump() << "\n";
  if (model->metrics().contains("cv")) {
    std::cout << "  cv best " << model->metrics()["cv"]["best_params"].dump() << " "
              << model->metrics()["cv"]["best_score"].dump() << "\n";
  }
  return s;
}

Json Example(const std::string& file) {
  auto text = ReadFile(std::string(LEPTON_SOURCE_DIR) + "/examples/credit-scoring/" + file);
  EXPECT_TRUE(text.ok());
  return *ParseJson(*text);
}

// The example config: depth and number of trees chosen together by 5-fold CV on the training
// part, final fit on all of it (CV chose depth 2, 400 trees, CV AUC 0.793; test AUC 0.799).
TEST(TrainDataTest, GermanCreditXGBoost) {
  Json s = Summary("credit/german_credit.csv", Example("model_config_xgboost.json"));
  EXPECT_GE(s.value("auc", 0.0), 0.77);
}

TEST(TrainDataTest, TaiwanDefaultXGBoost) {
  Json config = {
      {"dataset", {{"name", "credit/taiwan_default"}}},
      {"target", {{"column", "default_payment_next_month"}}},
      {"id_columns", {"ID"}},
      {"features", {{"pipeline", {{"auto", {{"numeric", Json::array()}}}}}}},
      {"split", {{"method", "stratified"}, {"test_fraction", 0.3}, {"seed", 42}}},
      {"learner", {{"flavor", "xgboost"},
                   {"params", {{"n_estimators", 400}, {"eta", 0.1}, {"max_depth", 4}, {"subsample", 0.8},
                               {"colsample_bytree", 0.8}, {"min_child_weight", 5}}}}},
      {"early_stopping", {{"rounds", 30}, {"validation_fraction", 0.1}}},
      {"threads", 2}};
  Json s = Summary("credit/taiwan_default.csv", config);
  EXPECT_GE(s.value("auc", 0.0), 0.77);
}

TEST(TrainDataTest, CreditDataWithMissingValuesImputed) {
  Json numeric = Json::array({{{"type", "impute"}, {"strategy", "median"}, {"add_indicator", true}},
                              {{"type", "standardize"}}});
  Json config = {
      {"dataset", {{"name", "credit/credit_data"}}},
      {"target", {{"column", "Status"}, {"positive_class", "bad"}}},
      {"features", {{"pipeline", {{"auto", {{"numeric", numeric}, {"string", {{{"type", "one_hot"}}}}}}}}}},
      {"split", {{"method", "stratified"}, {"test_fraction", 0.3}, {"seed", 42}}},
      {"learner", {{"flavor", "logistic"}, {"params", {{"C", 1.0}}}}},
      {"search", {{"strategy", "grid"}, {"space", {{"C", {0.01, 0.1, 1.0, 10.0}}}}}},
      {"cv", {{"folds", 5}, {"seed", 42}}}};
  Json s = Summary("credit/credit_data.csv", config);
  EXPECT_GE(s.value("auc", 0.0), 0.82);
}

TEST(TrainDataTest, FinancialPhraseBankTfidfLogistic) {
  Json config = {
      {"dataset", {{"name", "text/financial_phrasebank"}}},
      {"target", {{"column", "label"}, {"task", "multiclass"}}},
      {"features", {{"pipeline", {{"columns", {{{"name", "sentence"},
                                                 {"steps", {{{"type", "tfidf"}, {"ngram_range", {1, 2}},
                                                             {"min_df", 2}, {"sublinear_tf", true}}}}}}}}}}},
      {"split", {{"method", "stratified"}, {"test_fraction", 0.25}, {"seed", 42}}},
      {"learner", {{"flavor", "logistic"}, {"params", {{"C", 10.0}}}}},
      {"search", {{"strategy", "grid"}, {"space", {{"C", {3.0, 10.0, 30.0}}}}}},
      {"cv", {{"folds", 3}, {"seed", 42}}}};
  Json s = Summary("text/financial_phrasebank.csv", config);
  EXPECT_GE(s.value("accuracy", 0.0), 0.75);
}

}  // namespace
}  // namespace lepton::train
