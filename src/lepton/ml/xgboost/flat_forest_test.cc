#include "lepton/ml/xgboost/flat_forest.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/ingest/csv_reader.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

constexpr double kTolerance = 1e-6;

struct Data {
  features::FeatureMatrix x;
  std::vector<double> y;
};

// Sets each value to NaN with probability `rate` (fixed seed).
void AddMissing(features::FeatureMatrix& x, double rate, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform;
  for (float& v : x.values) {
    if (uniform(rng) < rate) v = std::numeric_limits<float>::quiet_NaN();
  }
}

// German credit: numeric columns as they are, string columns one-hot ("purpose=car"), label
// class == "bad"; then 5% of the values missing.
const Data& GermanData() {
  static const Data* data = [] {
    absl::StatusOr<lake::ingest::CsvTable> table =
        lake::ingest::ReadCsvFile(StrCat(LEPTON_SHARED_DATA, "/credit/german_credit.csv"));
    LEPTON_CHECK_OK(table.status());
    const lake::Schema& schema = table->schema;
    struct Input {
      size_t column;
      std::vector<std::string> levels;  // empty: numeric
    };
    std::vector<Input> inputs;
    size_t label = 0;
    auto* out = new Data;
    for (size_t c = 0; c < schema.size(); ++c) {
      const std::string& name = schema.field(c).name;
      if (name == "class") {
        label = c;
        continue;
      }
      Input input{c, {}};
      if (schema.field(c).type == lake::DataType::kString) {
        std::set<std::string> levels;
        for (const lake::RecordBatch& b : table->batches) {
          for (int64_t r = 0; r < b.num_rows(); ++r) {
            levels.emplace(b.column(c).StringAt(r));
          }
        }
        input.levels.assign(levels.begin(), levels.end());
        for (const std::string& level : input.levels) {
          out->x.columns.push_back(StrCat(name, "=", level));
        }
      } else {
        out->x.columns.push_back(name);
      }
      inputs.push_back(std::move(input));
    }
    for (const lake::RecordBatch& b : table->batches) {
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        for (const Input& input : inputs) {
          const lake::Column& col = b.column(input.column);
          if (input.levels.empty()) {
            double v = std::nan("");
            switch (col.type()) {
              case lake::DataType::kInt32:
                v = col.ValueAt<int32_t>(r);
                break;
              case lake::DataType::kInt64:
                v = static_cast<double>(col.ValueAt<int64_t>(r));
                break;
              case lake::DataType::kFloat:
                v = col.ValueAt<float>(r);
                break;
              case lake::DataType::kDouble:
                v = col.ValueAt<double>(r);
                break;
              default:
                break;
            }
            out->x.values.push_back(static_cast<float>(v));
          } else {
            for (const std::string& level : input.levels) {
              out->x.values.push_back(col.StringAt(r) == level ? 1.0f : 0.0f);
            }
          }
        }
        out->y.push_back(b.column(label).StringAt(r) == "bad" ? 1 : 0);
        ++out->x.rows;
      }
    }
    AddMissing(out->x, 0.05, 7);
    return out;
  }();
  return *data;
}

// Gaussian features with a class-dependent shift (multiclass) or a nonlinear target
// (regression), 10% missing.
Data Synthetic(Task task, int classes, int rows, int cols, uint64_t seed) {
  Data d;
  for (int j = 0; j < cols; ++j) d.x.columns.push_back(StrCat("f", j));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  for (int r = 0; r < rows; ++r) {
    const int cls = r % std::max(classes, 1);
    double y = 0;
    for (int j = 0; j < cols; ++j) {
      double v = normal(rng);
      if (task == Task::kMulticlass && j % classes == cls) v += 1.5;
      d.x.values.push_back(static_cast<float>(v));
      if (task == Task::kRegression) y += (j == 0 ? 3 * std::sin(v) : j == 1 ? v * v : 0.5 * v);
    }
    d.y.push_back(task == Task::kMulticlass ? cls : y + 0.1 * normal(rng));
    ++d.x.rows;
  }
  AddMissing(d.x, 0.10, seed + 1);
  return d;
}

std::unique_ptr<XGBoostLearner> Train(const Json& params, const Data& d, Task task,
                                      int num_classes = 2) {
  absl::StatusOr<std::unique_ptr<XGBoostLearner>> learner = XGBoostLearner::Create(params);
  LEPTON_CHECK_OK(learner.status());
  FitContext context;
  context.task = task;
  context.num_classes = num_classes;
  context.seed = 42;
  const absl::Status fit = (*learner)->Fit({&d.x, d.y, {}}, nullptr, context);
  LEPTON_CHECK_OK(fit);
  return std::move(*learner);
}

double MaxAbsDiff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double max_diff = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const double diff = std::fabs(a[i] - b[i]);
    max_diff =
        std::max(max_diff, std::isnan(diff) ? std::numeric_limits<double>::infinity() : diff);
  }
  return max_diff;
}

// Every way of asking the forest (raw batch, raw one row at a time, FeatureMatrix) gives
// libxgboost's margins and predictions for every row of dense `x`, within 1e-6.
void ExpectAgreesWithXgboost(const XGBoostLearner& learner, const FlatForest& forest,
                             const features::FeatureMatrix& x, std::string_view what) {
  SCOPED_TRACE(what);
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> margins, learner.PredictWithLibxgboost(x, true));
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> predictions, learner.PredictWithLibxgboost(x, false));
  const auto rows = static_cast<size_t>(x.rows);
  const auto k = static_cast<size_t>(forest.num_outputs());
  const auto f = static_cast<size_t>(forest.num_features());
  ASSERT_EQ(margins.size(), rows * k);

  std::vector<double> batch_margin(rows * k), batch_prediction(rows * k);
  forest.PredictMargin(x.values.data(), rows, batch_margin.data());
  forest.Predict(x.values.data(), rows, batch_prediction.data());
  std::vector<double> row_margin(rows * k), row_prediction(rows * k);
  for (size_t r = 0; r < rows; ++r) {
    forest.PredictMargin(x.values.data() + r * f, 1, row_margin.data() + r * k);
    forest.Predict(x.values.data() + r * f, 1, row_prediction.data() + r * k);
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> matrix_margin, forest.PredictMargin(x));
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> matrix_prediction, forest.Predict(x));

  size_t identical = 0;
  for (size_t i = 0; i < margins.size(); ++i) identical += batch_margin[i] == margins[i] ? 1 : 0;
  const double margin_diff = MaxAbsDiff(batch_margin, margins);
  const double prediction_diff = MaxAbsDiff(batch_prediction, predictions);
  std::printf(
      "%.*s: %zu rows x %zu outputs, max |flat - xgboost| margin %g prediction %g, "
      "%zu/%zu margins bit-identical\n",
      static_cast<int>(what.size()), what.data(), rows, k, margin_diff, prediction_diff, identical,
      margins.size());
  EXPECT_LE(margin_diff, kTolerance);
  EXPECT_LE(prediction_diff, kTolerance);
  EXPECT_LE(MaxAbsDiff(row_margin, margins), kTolerance);
  EXPECT_LE(MaxAbsDiff(row_prediction, predictions), kTolerance);
  EXPECT_LE(MaxAbsDiff(matrix_margin, margins), kTolerance);
  EXPECT_LE(MaxAbsDiff(matrix_prediction, predictions), kTolerance);
}

// `x` as CSR holding only its nonzero, non-missing entries (absent = missing).
features::FeatureMatrix ToCsr(const features::FeatureMatrix& x) {
  features::FeatureMatrix csr;
  csr.rows = x.rows;
  csr.columns = x.columns;
  csr.sparse = true;
  csr.row_offsets.push_back(0);
  for (int64_t r = 0; r < x.rows; ++r) {
    const std::span<const float> row = x.Row(r);
    for (size_t j = 0; j < row.size(); ++j) {
      if (row[j] != 0 && !std::isnan(row[j])) {
        csr.col_indices.push_back(static_cast<uint32_t>(j));
        csr.values.push_back(row[j]);
      }
    }
    csr.row_offsets.push_back(static_cast<int64_t>(csr.values.size()));
  }
  return csr;
}

const XGBoostLearner& GermanModel() {
  static const XGBoostLearner* model = Train(Json{{"n_estimators", 150},
                                                  {"max_depth", 6},
                                                  {"eta", 0.1},
                                                  {"subsample", 0.8},
                                                  {"colsample_bytree", 0.8},
                                                  {"nthread", 1}},
                                             GermanData(), Task::kBinary)
                                           .release();
  return *model;
}

TEST(FlatForestTest, GermanCreditBinaryEqualsXgboostOnEveryRow) {
  const Data& d = GermanData();
  ASSERT_EQ(d.x.rows, 1000);
  ASSERT_GE(d.x.cols(), 55);  // 7 numeric + the one-hot levels of 13 categorical columns
  LEPTON_ASSERT_OK_AND_ASSIGN(const FlatForest forest, FlatForest::Compile(GermanModel()));
  EXPECT_EQ(forest.num_features(), d.x.cols());
  EXPECT_EQ(forest.num_outputs(), 1);
  EXPECT_EQ(forest.num_trees(), 150);
  EXPECT_EQ(forest.link(), FlatForest::Link::kSigmoid);
  EXPECT_EQ(forest.base_margin(), 0.0f);  // logit(0.5)
  ExpectAgreesWithXgboost(GermanModel(), forest, d.x, "german credit");
}

TEST(FlatForestTest, CsrInputTreatsAbsentEntriesAsMissingLikeXgboost) {
  const Data& d = GermanData();
  const features::FeatureMatrix csr = ToCsr(d.x);
  ASSERT_LT(csr.values.size(), d.x.values.size() / 2);  // one-hot zeros are left out
  LEPTON_ASSERT_OK_AND_ASSIGN(const FlatForest forest, FlatForest::Compile(GermanModel()));
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> expected, GermanModel().PredictWithLibxgboost(csr, false));
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> expected_margin,
                              GermanModel().PredictWithLibxgboost(csr, true));
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> p, forest.Predict(csr));
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> m, forest.PredictMargin(csr));
  EXPECT_LE(MaxAbsDiff(p, expected), kTolerance);
  EXPECT_LE(MaxAbsDiff(m, expected_margin), kTolerance);
  // Absent is not zero: the dense predictions differ for some rows.
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> dense, forest.Predict(d.x));
  EXPECT_GT(MaxAbsDiff(p, dense), 1e-3);
}

TEST(FlatForestTest, MulticlassEqualsXgboostOnEveryRow) {
  const Data d = Synthetic(Task::kMulticlass, 4, 1200, 8, 21);
  std::unique_ptr<XGBoostLearner> learner =
      Train(Json{{"n_estimators", 100}, {"max_depth", 6}, {"eta", 0.2}, {"nthread", 1}}, d,
            Task::kMulticlass, 4);
  LEPTON_ASSERT_OK_AND_ASSIGN(const FlatForest forest, FlatForest::Compile(*learner));
  EXPECT_EQ(forest.num_outputs(), 4);
  EXPECT_EQ(forest.num_trees(), 400);  // one tree per class per round
  EXPECT_EQ(forest.link(), FlatForest::Link::kSoftmax);
  ExpectAgreesWithXgboost(*learner, forest, d.x, "multiclass");
  // Probabilities of a row sum to 1.
  std::vector<double> p(4);
  forest.Predict(d.x.values.data(), 1, p.data());
  EXPECT_NEAR(p[0] + p[1] + p[2] + p[3], 1.0, 1e-6);
}

TEST(FlatForestTest, RegressionEqualsXgboostOnEveryRow) {
  const Data d = Synthetic(Task::kRegression, 0, 1500, 6, 31);
  std::unique_ptr<XGBoostLearner> learner =
      Train(Json{{"n_estimators", 200}, {"max_depth", 6}, {"eta", 0.1}, {"nthread", 1}}, d,
            Task::kRegression, 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(const FlatForest forest, FlatForest::Compile(*learner));
  EXPECT_EQ(forest.link(), FlatForest::Link::kIdentity);
  EXPECT_EQ(forest.base_margin(), 0.5f);
  ExpectAgreesWithXgboost(*learner, forest, d.x, "regression");
}

// The same trees under other regression objectives (through Import, which serves whatever the
// model file says): base_score becomes a margin by the objective's own ProbToMargin, and the
// link follows it.
TEST(FlatForestTest, RegressionLinksEqualXgboost) {
  const Data d = Synthetic(Task::kRegression, 0, 600, 5, 41);
  std::unique_ptr<XGBoostLearner> learner =
      Train(Json{{"n_estimators", 40}, {"max_depth", 4}, {"eta", 0.05}, {"nthread", 1}}, d,
            Task::kRegression, 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string bytes, learner->Save());
  Json doc = Json::from_ubjson(bytes);
  doc["learner"]["attributes"].erase("lepton");
  for (const auto& [objective, link, base_score] :
       {std::tuple{"reg:gamma", FlatForest::Link::kExp, "2.5"},
        std::tuple{"reg:logistic", FlatForest::Link::kSigmoid, "3E-1"},
        std::tuple{"reg:pseudohubererror", FlatForest::Link::kIdentity, "-1.25"}}) {
    Json copy = doc;
    // Each objective reads its own parameter block; the others are ignored.
    copy["learner"]["objective"]["name"] = objective;
    copy["learner"]["objective"]["pseudo_huber_param"] = Json{{"huber_slope", "1"}};
    copy["learner"]["learner_model_param"]["base_score"] = base_score;
    LEPTON_ASSERT_OK_AND_ASSIGN(
        auto imported, XGBoostLearner::Import(copy.dump(), Task::kRegression, 0, d.x.columns));
    LEPTON_ASSERT_OK_AND_ASSIGN(const FlatForest forest, FlatForest::Compile(*imported));
    EXPECT_EQ(forest.objective(), objective);
    EXPECT_EQ(forest.link(), link);
    ExpectAgreesWithXgboost(*imported, forest, d.x, objective);
  }
}

TEST(FlatForestTest, SoftmaxModelsServeProbabilities) {
  const Data d = Synthetic(Task::kMulticlass, 3, 300, 4, 51);
  std::unique_ptr<XGBoostLearner> learner =
      Train(Json{{"n_estimators", 10}, {"max_depth", 3}, {"nthread", 1}}, d, Task::kMulticlass, 3);
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string bytes, learner->Save());
  Json doc = Json::from_ubjson(bytes);
  doc["learner"]["objective"]["name"] = "multi:softmax";
  LEPTON_ASSERT_OK_AND_ASSIGN(const FlatForest forest, FlatForest::FromModelJson(doc));
  EXPECT_EQ(forest.link(), FlatForest::Link::kSoftmax);
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> expected, learner->PredictWithLibxgboost(d.x, false));
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> p, forest.Predict(d.x));
  EXPECT_LE(MaxAbsDiff(p, expected), kTolerance);
}

// Blocks and rows without missing values take a cheaper step (no default direction).
TEST(FlatForestTest, InputWithoutMissingValuesEqualsXgboost) {
  features::FeatureMatrix x = GermanData().x;
  for (float& v : x.values) {
    if (std::isnan(v)) v = 0;
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(const FlatForest forest, FlatForest::Compile(GermanModel()));
  ExpectAgreesWithXgboost(GermanModel(), forest, x, "german credit without missing values");
}

TEST(FlatForestTest, MissingValuesFollowEachNodesDefaultDirection) {
  const Data& d = GermanData();
  LEPTON_ASSERT_OK_AND_ASSIGN(const FlatForest forest, FlatForest::Compile(GermanModel()));
  // A row with every value missing goes down the default branches only.
  features::FeatureMatrix all_missing;
  all_missing.rows = 1;
  all_missing.columns = d.x.columns;
  all_missing.values.assign(d.x.columns.size(), std::numeric_limits<float>::quiet_NaN());
  ExpectAgreesWithXgboost(GermanModel(), forest, all_missing, "all missing");
  // Infinities are values, not missing: +inf goes right and -inf left of every threshold.
  features::FeatureMatrix infinite = all_missing;
  infinite.rows = 2;
  infinite.values.assign(d.x.columns.size(), std::numeric_limits<float>::infinity());
  infinite.values.resize(2 * d.x.columns.size(), -std::numeric_limits<float>::infinity());
  ExpectAgreesWithXgboost(GermanModel(), forest, infinite, "infinities");
}

TEST(FlatForestTest, RejectsMismatchedOrMalformedInput) {
  LEPTON_ASSERT_OK_AND_ASSIGN(const FlatForest forest, FlatForest::Compile(GermanModel()));
  const int cols = forest.num_features();
  features::FeatureMatrix narrow;
  narrow.rows = 1;
  for (int j = 0; j + 1 < cols; ++j) narrow.columns.push_back(StrCat("c", j));
  narrow.values.assign(static_cast<size_t>(cols - 1), 0.0f);
  EXPECT_THAT(forest.Predict(narrow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(StrCat("input has ", cols - 1, " columns but the model has ", cols,
                                        " features"))));
  EXPECT_THAT(forest.PredictMargin(narrow), StatusIs(absl::StatusCode::kInvalidArgument));

  features::FeatureMatrix dense = GermanData().x.Take(std::vector<int64_t>{0, 1});
  dense.values.pop_back();
  EXPECT_THAT(forest.Predict(dense),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dense input has")));
  features::FeatureMatrix csr = ToCsr(GermanData().x.Take(std::vector<int64_t>{0, 1}));
  features::FeatureMatrix bad_column = csr;
  bad_column.col_indices[0] = static_cast<uint32_t>(cols);
  EXPECT_THAT(forest.Predict(bad_column),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("out of range")));
  features::FeatureMatrix bad_offsets = csr;
  bad_offsets.row_offsets.pop_back();
  EXPECT_THAT(forest.Predict(bad_offsets),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed CSR")));
  features::FeatureMatrix decreasing = csr;
  decreasing.row_offsets[1] = static_cast<int64_t>(csr.values.size()) + 1;
  EXPECT_THAT(forest.Predict(decreasing), StatusIs(absl::StatusCode::kInvalidArgument));

  features::FeatureMatrix empty = GermanData().x.Take(std::vector<int64_t>{});
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> none, forest.Predict(empty));
  EXPECT_TRUE(none.empty());
}

TEST(FlatForestTest, UnfittedLearnerIsAFailedPrecondition) {
  XGBoostLearner learner{XGBoostOptions{}};
  EXPECT_THAT(FlatForest::Compile(learner),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not fitted")));
}

TEST(FlatForestTest, UnsupportedModelsAreUnimplementedAndBrokenOnesInvalid) {
  const Data d = Synthetic(Task::kMulticlass, 3, 300, 4, 61);
  std::unique_ptr<XGBoostLearner> learner =
      Train(Json{{"n_estimators", 3}, {"max_depth", 3}, {"nthread", 1}}, d, Task::kMulticlass, 3);
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string bytes, learner->Save());
  const Json doc = Json::from_ubjson(bytes);
  ASSERT_OK(FlatForest::FromModelJson(doc).status());
  auto mutated = [&](const std::function<void(Json&)>& change) {
    Json copy = doc;
    change(copy);
    return FlatForest::FromModelJson(copy).status();
  };
  auto model = [](Json& m) -> Json& { return m["learner"]["gradient_booster"]["model"]; };
  auto tree = [&](Json& m) -> Json& { return model(m)["trees"][0]; };
  using absl::StatusCode;
  EXPECT_THAT(mutated([](Json& m) { m["learner"]["gradient_booster"]["name"] = "gblinear"; }),
              StatusIs(StatusCode::kUnimplemented, HasSubstr("booster \"gblinear\"")));
  EXPECT_THAT(mutated([](Json& m) { m["learner"]["gradient_booster"]["name"] = "dart"; }),
              StatusIs(StatusCode::kUnimplemented, HasSubstr("booster \"dart\"")));
  EXPECT_THAT(mutated([&](Json& m) { tree(m)["split_type"][0] = 1; }),
              StatusIs(StatusCode::kUnimplemented, HasSubstr("categorical splits")));
  EXPECT_THAT(mutated([](Json& m) { m["learner"]["objective"]["name"] = "rank:pairwise"; }),
              StatusIs(StatusCode::kUnimplemented, HasSubstr("\"rank:pairwise\" is not")));
  EXPECT_THAT(mutated([](Json& m) { m["learner"]["learner_model_param"]["num_target"] = "2"; }),
              StatusIs(StatusCode::kUnimplemented, HasSubstr("multi-target")));
  EXPECT_THAT(mutated([&](Json& m) { tree(m)["left_children"][0] = 1000000; }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("child index out of range")));
  EXPECT_THAT(mutated([&](Json& m) { tree(m)["left_children"][1] = 0; }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("reached twice")));
  EXPECT_THAT(mutated([&](Json& m) { tree(m)["split_indices"][0] = 4; }),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("split feature index out of range (4 features)")));
  EXPECT_THAT(mutated([&](Json& m) { tree(m)["split_conditions"].erase(0); }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("split_conditions: has")));
  EXPECT_THAT(mutated([&](Json& m) { model(m)["tree_info"][0] = 3; }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("output group in [0, 3)")));
  EXPECT_THAT(mutated([&](Json& m) { model(m)["trees"][1]["id"] = 0; }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("used once")));
  EXPECT_THAT(mutated([](Json& m) { m["learner"]["learner_model_param"]["base_score"] = "x"; }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("base_score")));
  EXPECT_THAT(mutated([](Json& m) { m["learner"]["learner_model_param"]["num_class"] = "0"; }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("do not fit objective")));
  EXPECT_THAT(FlatForest::FromModelJson(Json::array()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("learner: expected an object")));
}

// Trees are evaluated in XGBoost's order (by tree id), whatever the order in the file.
TEST(FlatForestTest, TreesAreOrderedByIdAsXgboostLoadsThem) {
  const Data d = Synthetic(Task::kRegression, 0, 400, 4, 71);
  std::unique_ptr<XGBoostLearner> learner =
      Train(Json{{"n_estimators", 20}, {"max_depth", 5}, {"nthread", 1}}, d, Task::kRegression, 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string bytes, learner->Save());
  Json doc = Json::from_ubjson(bytes);
  Json& trees = doc["learner"]["gradient_booster"]["model"]["trees"];
  std::reverse(trees.begin(), trees.end());
  LEPTON_ASSERT_OK_AND_ASSIGN(const FlatForest forest, FlatForest::FromModelJson(doc));
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> expected, learner->PredictWithLibxgboost(d.x, true));
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> m, forest.PredictMargin(d.x));
  EXPECT_LE(MaxAbsDiff(m, expected), kTolerance);
}

}  // namespace
}  // namespace lepton::ml
