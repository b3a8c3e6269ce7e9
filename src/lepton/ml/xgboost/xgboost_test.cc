#include "lepton/ml/xgboost/xgboost.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
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

struct Split {
  features::FeatureMatrix x;
  std::vector<double> y;
};

double NumericAt(const lake::Column& c, int64_t i) {
  switch (c.type()) {
    case lake::DataType::kInt32: return c.ValueAt<int32_t>(i);
    case lake::DataType::kInt64: return static_cast<double>(c.ValueAt<int64_t>(i));
    case lake::DataType::kFloat: return c.ValueAt<float>(i);
    case lake::DataType::kDouble: return c.ValueAt<double>(i);
    default: return std::nan("");
  }
}

// Taiwan default: every column but ID as a dense float matrix, the label apart; rows shuffled
// with a fixed seed (Fisher-Yates over mt19937_64(2024)) and split 70/30.
struct Taiwan {
  Split train;
  Split test;
};

const Taiwan& TaiwanData() {
  static const Taiwan* data = [] {
    absl::StatusOr<lake::ingest::CsvTable> table =
        lake::ingest::ReadCsvFile(StrCat(LEPTON_SHARED_DATA, "/credit/taiwan_default.csv"));
    LEPTON_CHECK_OK(table.status());
    Split all;
    const lake::Schema& schema = table->schema;
    std::vector<size_t> feature_cols;
    size_t label_col = 0;
    for (size_t i = 0; i < schema.size(); ++i) {
      const std::string& name = schema.field(i).name;
      if (name == "default_payment_next_month") {
        label_col = i;
      } else if (name != "ID") {
        feature_cols.push_back(i);
        all.x.columns.push_back(name);
      }
    }
    for (const lake::RecordBatch& batch : table->batches) {
      for (int64_t r = 0; r < batch.num_rows(); ++r) {
        for (size_t c : feature_cols) {
          all.x.values.push_back(static_cast<float>(NumericAt(batch.column(c), r)));
        }
        all.y.push_back(NumericAt(batch.column(label_col), r));
        ++all.x.rows;
      }
    }
    std::vector<int64_t> order(static_cast<size_t>(all.x.rows));
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
    std::mt19937_64 rng(2024);
    for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
    const size_t cut = order.size() * 7 / 10;
    auto* out = new Taiwan;
    for (auto [split, b, e] : {std::tuple{&out->train, size_t{0}, cut},
                               std::tuple{&out->test, cut, order.size()}}) {
      std::vector<int64_t> idx(order.begin() + static_cast<std::ptrdiff_t>(b),
                               order.begin() + static_cast<std::ptrdiff_t>(e));
      split->x = all.x.Take(idx);
      for (int64_t i : idx) split->y.push_back(all.y[static_cast<size_t>(i)]);
    }
    return out;
  }();
  return *data;
}

// Rank-based AUC (ties count half).
double Auc(const std::vector<double>& score, const std::vector<double>& label) {
  std::vector<size_t> idx(score.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  double rank_sum = 0, positives = 0;
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j < idx.size() && score[idx[j]] == score[idx[i]]) ++j;
    const double avg_rank = (static_cast<double>(i + j - 1)) / 2.0 + 1.0;
    for (size_t k = i; k < j; ++k) {
      if (label[idx[k]] == 1) {
        rank_sum += avg_rank;
        ++positives;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(score.size()) - positives;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

const Json& TaiwanParams() {
  static const Json* params = new Json{{"n_estimators", 100}, {"max_depth", 4},
                                       {"eta", 0.1},          {"subsample", 0.8},
                                       {"colsample_bytree", 0.8}, {"nthread", 2}};
  return *params;
}

std::unique_ptr<XGBoostLearner> Fit(const Json& params, const Split& train,
                                    const Split* valid = nullptr,
                                    Task task = Task::kBinary, int num_classes = 2) {
  absl::StatusOr<std::unique_ptr<XGBoostLearner>> model = XGBoostLearner::Create(params);
  LEPTON_CHECK_OK(model.status());
  FitContext context;
  context.task = task;
  context.num_classes = num_classes;
  context.seed = 42;
  LabeledData valid_data;
  if (valid != nullptr) valid_data = {&valid->x, valid->y, {}};
  EXPECT_OK((*model)->Fit({&train.x, train.y, {}}, valid != nullptr ? &valid_data : nullptr,
                          context));
  return std::move(*model);
}

// The fitted Taiwan model, shared by several tests (fitting takes about a second).
const XGBoostLearner& TaiwanModel() {
  static const XGBoostLearner* model = Fit(TaiwanParams(), TaiwanData().train).release();
  return *model;
}

constexpr const char* kPython = "/usr/bin/python3";

TEST(XGBoostTaiwanTest, ReachesTheAucTarget) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, TaiwanModel().Predict(TaiwanData().test.x));
  ASSERT_EQ(p.size(), 9000u);
  const double auc = Auc(p, TaiwanData().test.y);
  std::printf("taiwan test AUC: %.4f\n", auc);
  EXPECT_GE(auc, 0.77);
  EXPECT_EQ(TaiwanModel().boosted_rounds(), 100);
  EXPECT_EQ(TaiwanModel().Params()["objective"], "binary:logistic");
}

TEST(XGBoostTaiwanTest, PredictionsEqualPythonXgboost) {
  if (std::system(StrCat(kPython, " -c 'import xgboost' >/dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << "Debian python3 has no xgboost";
  }
  const auto dir = std::filesystem::temp_directory_path() / StrCat("lepton_xgb_", ::getpid());
  std::filesystem::create_directories(dir);
  auto write = [&](const char* name, const void* data, size_t bytes) {
    std::ofstream(dir / name, std::ios::binary)
        .write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  };
  const Taiwan& d = TaiwanData();
  write("xtr.f32", d.train.x.values.data(), d.train.x.values.size() * 4);
  write("ytr.f64", d.train.y.data(), d.train.y.size() * 8);
  write("xte.f32", d.test.x.values.data(), d.test.x.values.size() * 4);
  std::ofstream(dir / "script.py") << R"(
import sys, numpy as np, xgboost as xgb
d = sys.argv[1]
y = np.fromfile(d + '/ytr.f64')
x = np.fromfile(d + '/xtr.f32', dtype=np.float32).reshape(len(y), -1)
xt = np.fromfile(d + '/xte.f32', dtype=np.float32).reshape(-1, x.shape[1])
params = {'objective': 'binary:logistic', 'eval_metric': 'logloss', 'max_depth': 4, 'eta': 0.1,
          'subsample': 0.8, 'colsample_bytree': 0.8, 'min_child_weight': 1, 'lambda': 1,
          'alpha': 0, 'gamma': 0, 'max_bin': 256, 'tree_method': 'hist', 'seed': 42,
          'nthread': 2, 'scale_pos_weight': 1}
bst = xgb.train(params, xgb.DMatrix(x, label=y, missing=np.nan), num_boost_round=100)
bst.predict(xgb.DMatrix(xt, missing=np.nan)).astype(np.float64).tofile(d + '/p.f64')
)";
  ASSERT_EQ(std::system(StrCat(kPython, " ", (dir / "script.py").string(), " ", dir.string())
                            .c_str()),
            0);
  std::ifstream in(dir / "p.f64", std::ios::binary);
  std::vector<double> expected(9000);
  in.read(reinterpret_cast<char*>(expected.data()), 9000 * 8);
  ASSERT_TRUE(in.good());
  std::filesystem::remove_all(dir);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, TaiwanModel().Predict(d.test.x));
  double max_diff = 0;
  for (size_t i = 0; i < p.size(); ++i) max_diff = std::max(max_diff, std::fabs(p[i] - expected[i]));
  std::printf("max |lepton - python xgboost| = %g\n", max_diff);
  EXPECT_LE(max_diff, 1e-6);
}

TEST(XGBoostTaiwanTest, SaveLoadPredictsBitIdentically) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, TaiwanModel().Save());
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes[0], '{');  // UBJSON object
  LEPTON_ASSERT_OK_AND_ASSIGN(auto loaded, XGBoostLearner::Load(bytes));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> before,
                              TaiwanModel().Predict(TaiwanData().test.x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> after, loaded->Predict(TaiwanData().test.x));
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint64_t>(before[i]), std::bit_cast<uint64_t>(after[i])) << i;
  }
  EXPECT_EQ(loaded->Params(), TaiwanModel().Params());
  EXPECT_EQ(loaded->columns(), TaiwanModel().columns());
  EXPECT_EQ(loaded->task(), Task::kBinary);
  EXPECT_EQ(loaded->Importance(), TaiwanModel().Importance());
  EXPECT_THAT(XGBoostLearner::Load("not a model"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(XGBoostTaiwanTest, ContributionsSumToTheMargin) {
  const features::FeatureMatrix x = TaiwanData().test.x.Take(std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 500, 1000, 8999});
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> contrib, TaiwanModel().Contributions(x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> margins, TaiwanModel().Margins(x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> probs, TaiwanModel().Predict(x));
  const size_t width = 24;  // 23 features + bias
  ASSERT_EQ(contrib.size(), static_cast<size_t>(x.rows) * width);
  for (size_t r = 0; r < static_cast<size_t>(x.rows); ++r) {
    double sum = 0;
    for (size_t j = 0; j < width; ++j) sum += contrib[r * width + j];
    EXPECT_NEAR(sum, margins[r], 1e-5);
    EXPECT_NEAR(1 / (1 + std::exp(-margins[r])), probs[r], 1e-6);
  }
}

TEST(XGBoostTaiwanTest, ImportanceIsTotalGainByColumnName) {
  const Json importance = TaiwanModel().Importance();
  ASSERT_TRUE(importance.contains("PAY_0"));
  // Repayment status last month is by far the strongest predictor of default.
  for (const auto& [name, gain] : importance.items()) {
    EXPECT_GT(gain.get<double>(), 0);
    if (name != "PAY_0") {
      EXPECT_LT(gain.get<double>(), importance["PAY_0"].get<double>());
    }
  }
}

TEST(XGBoostTaiwanTest, ConcurrentPredictionsAgree) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> expected,
                              TaiwanModel().Predict(TaiwanData().test.x));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        absl::StatusOr<std::vector<double>> p = TaiwanModel().Predict(TaiwanData().test.x);
        if (!p.ok() || *p != expected) ++mismatches[static_cast<size_t>(t)];
        absl::StatusOr<std::vector<double>> c =
            TaiwanModel().Contributions(TaiwanData().test.x.Take(std::vector<int64_t>{t}));
        if (!c.ok()) ++mismatches[static_cast<size_t>(t)];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// 3000 rows, 5 features; the label depends weakly on x0 only, so deep trees overfit fast.
Split NoisyData(uint64_t seed, int rows) {
  Split d;
  d.x.columns = {"x0", "x1", "x2", "x3", "x4"};
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < 5; ++j) d.x.values.push_back(static_cast<float>(normal(rng)));
    const double p = 1 / (1 + std::exp(-0.4 * d.x.values[d.x.values.size() - 5]));
    d.y.push_back(uniform(rng) < p ? 1 : 0);
    ++d.x.rows;
  }
  return d;
}

TEST(XGBoostTest, EarlyStoppingKeepsTheBestIteration) {
  const Split train = NoisyData(1, 2000);
  const Split valid = NoisyData(2, 1000);
  const Json params = {{"n_estimators", 300}, {"max_depth", 6}, {"eta", 0.3},
                       {"early_stopping_rounds", 10}, {"nthread", 2}};
  std::vector<double> valid_loss;
  absl::StatusOr<std::unique_ptr<XGBoostLearner>> model = XGBoostLearner::Create(params);
  ASSERT_OK(model.status());
  FitContext context;
  context.progress = [&](int64_t, int64_t total, const Json& metrics) {
    EXPECT_EQ(total, 300);
    valid_loss.push_back(metrics.at("valid_logloss").get<double>());
    EXPECT_TRUE(metrics.contains("train_logloss"));
    return true;
  };
  LabeledData valid_data{&valid.x, valid.y, {}};
  ASSERT_OK((*model)->Fit({&train.x, train.y, {}}, &valid_data, context));
  const XGBoostLearner& stopped = **model;
  const int best = stopped.best_iteration();
  std::printf("early stopping: %zu rounds run, best iteration %d\n", valid_loss.size(), best);
  EXPECT_LT(valid_loss.size(), 300u);
  EXPECT_EQ(valid_loss.size(), static_cast<size_t>(best + 11));
  EXPECT_EQ(stopped.boosted_rounds(), best + 1);
  EXPECT_EQ(*std::min_element(valid_loss.begin(), valid_loss.end()),
            valid_loss[static_cast<size_t>(best)]);
  // The kept model is the one a fit of exactly best + 1 rounds gives.
  Json exact = params;
  exact["n_estimators"] = best + 1;
  exact.erase("early_stopping_rounds");
  std::unique_ptr<XGBoostLearner> reference = Fit(exact, train);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p1, stopped.Predict(valid.x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p2, reference->Predict(valid.x));
  EXPECT_EQ(p1, p2);
  // And so is the saved one.
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, stopped.Save());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto loaded, XGBoostLearner::Load(bytes));
  EXPECT_EQ(loaded->boosted_rounds(), best + 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p3, loaded->Predict(valid.x));
  EXPECT_EQ(p1, p3);
}

TEST(XGBoostTest, MulticlassOnThreeBlobs) {
  Split all;
  all.x.columns = {"a", "b", "c", "d"};
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  for (int r = 0; r < 900; ++r) {
    const int cls = r % 3;
    for (int j = 0; j < 4; ++j) {
      all.x.values.push_back(static_cast<float>(normal(rng) + (j == cls ? 2.5 : 0.0)));
    }
    all.y.push_back(cls);
    ++all.x.rows;
  }
  std::vector<int64_t> train_idx, test_idx;
  for (int64_t r = 0; r < 900; ++r) (r < 600 ? train_idx : test_idx).push_back(r);
  Split train{all.x.Take(train_idx), {all.y.begin(), all.y.begin() + 600}};
  Split test{all.x.Take(test_idx), {all.y.begin() + 600, all.y.end()}};
  const Json params = {{"n_estimators", 30}, {"max_depth", 3}, {"nthread", 2}};
  std::unique_ptr<XGBoostLearner> model = Fit(params, train, nullptr, Task::kMulticlass, 3);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, model->Predict(test.x));
  ASSERT_EQ(p.size(), 900u);
  int correct = 0;
  for (size_t r = 0; r < 300; ++r) {
    EXPECT_NEAR(p[r * 3] + p[r * 3 + 1] + p[r * 3 + 2], 1.0, 1e-6);
    const auto best = static_cast<double>(std::max_element(p.begin() + r * 3, p.begin() + r * 3 + 3) -
                                          (p.begin() + r * 3));
    correct += best == test.y[r] ? 1 : 0;
  }
  std::printf("multiclass accuracy: %.3f\n", correct / 300.0);
  EXPECT_GE(correct, 270);
  EXPECT_EQ(model->Params()["objective"], "multi:softprob");
  EXPECT_THAT(model->Contributions(test.x), StatusIs(absl::StatusCode::kUnimplemented));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, model->Save());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto loaded, XGBoostLearner::Load(bytes));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p2, loaded->Predict(test.x));
  EXPECT_EQ(p, p2);
  // CSR input holding every entry gives the dense model's predictions.
  features::FeatureMatrix csr;
  csr.rows = test.x.rows;
  csr.columns = test.x.columns;
  csr.sparse = true;
  csr.values = test.x.values;
  csr.row_offsets.push_back(0);
  for (int64_t r = 0; r < csr.rows; ++r) {
    for (uint32_t j = 0; j < 4; ++j) csr.col_indices.push_back(j);
    csr.row_offsets.push_back((r + 1) * 4);
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p3, model->Predict(csr));
  EXPECT_EQ(p, p3);
}

TEST(XGBoostTest, RegressionFitsALinearSignal) {
  Split d;
  d.x.columns = {"u", "v", "w"};
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  for (int r = 0; r < 1500; ++r) {
    double y = 0;
    for (int j = 0; j < 3; ++j) {
      const double v = normal(rng);
      d.x.values.push_back(static_cast<float>(v));
      y += (j == 0 ? 3.0 : j == 1 ? -2.0 : 0.0) * v;
    }
    d.y.push_back(y + 0.1 * normal(rng));
    ++d.x.rows;
  }
  std::unique_ptr<XGBoostLearner> model =
      Fit(Json{{"n_estimators", 200}, {"max_depth", 3}, {"eta", 0.2}, {"nthread", 2}}, d,
          nullptr, Task::kRegression, 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, model->Predict(d.x));
  double sse = 0, sst = 0;
  for (size_t r = 0; r < p.size(); ++r) {
    sse += (p[r] - d.y[r]) * (p[r] - d.y[r]);
    sst += d.y[r] * d.y[r];
  }
  EXPECT_LT(sse / sst, 0.05);  // R^2 > 0.95 on the training rows
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> contrib, model->Contributions(d.x));
  for (size_t r = 0; r < 100; ++r) {
    EXPECT_NEAR(contrib[r * 4] + contrib[r * 4 + 1] + contrib[r * 4 + 2] + contrib[r * 4 + 3],
                p[r], 1e-4);
  }
  const Json importance = model->Importance();
  EXPECT_GT(importance["u"].get<double>(), importance["v"].get<double>());
}

TEST(XGBoostTest, ProgressCanCancelTheFit) {
  const Split train = NoisyData(1, 500);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto model,
                              XGBoostLearner::Create(Json{{"n_estimators", 50}, {"nthread", 1}}));
  FitContext context;
  int64_t last_step = 0;
  context.progress = [&](int64_t step, int64_t, const Json& metrics) {
    last_step = step;
    EXPECT_TRUE(metrics.contains("train_logloss"));
    return step < 5;
  };
  EXPECT_THAT(model->Fit({&train.x, train.y, {}}, nullptr, context),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("round 5")));
  EXPECT_EQ(last_step, 5);
  EXPECT_FALSE(model->fitted());
  EXPECT_THAT(model->Predict(train.x), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(XGBoostTest, RejectsBadInput) {
  Split d = NoisyData(1, 100);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto model, XGBoostLearner::Create(Json{{"n_estimators", 3}}));
  d.y[4] = 2;
  EXPECT_THAT(model->Fit({&d.x, d.y, {}}, nullptr, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("label of row 4 is 2")));
  d.y[4] = std::nan("");
  EXPECT_THAT(model->Fit({&d.x, d.y, {}}, nullptr, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("label of row 4 is not finite")));
  d.y[4] = 1;
  features::FeatureMatrix empty;
  empty.columns = d.x.columns;
  EXPECT_THAT(model->Fit({&empty, {}, {}}, nullptr, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no rows")));
  std::vector<double> short_labels(d.y.begin(), d.y.begin() + 10);
  EXPECT_THAT(model->Fit({&d.x, short_labels, {}}, nullptr, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("10 labels for 100 rows")));
  ASSERT_OK(model->Fit({&d.x, d.y, {}}, nullptr, {}));
  features::FeatureMatrix narrow = d.x;
  narrow.columns.pop_back();
  narrow.values.resize(static_cast<size_t>(narrow.rows) * 4);
  EXPECT_THAT(model->Predict(narrow),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("input has 4 columns but the model was fitted on 5")));
  EXPECT_THAT(XGBoostLearner::Create(Json{{"max_depth", "deep"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("xgboost.max_depth")));
  EXPECT_THAT(XGBoostLearner::Create(Json{{"n_trees", 5}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("xgboost.n_trees")));
  // NaN features are missing values, not errors.
  d.x.values[7] = std::nanf("");
  EXPECT_OK(model->Fit({&d.x, d.y, {}}, nullptr, {}));
}

TEST(XGBoostTest, ClassWeightsActAsSampleWeights) {
  const Split d = NoisyData(9, 1000);
  std::unique_ptr<XGBoostLearner> weighted =
      Fit(Json{{"n_estimators", 10}, {"class_weight", {{"1", 3.0}}}, {"nthread", 1}}, d);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto manual,
                              XGBoostLearner::Create(Json{{"n_estimators", 10}, {"nthread", 1}}));
  std::vector<double> w;
  for (double y : d.y) w.push_back(y == 1 ? 3.0 : 1.0);
  FitContext context;
  ASSERT_OK(manual->Fit({&d.x, d.y, w}, nullptr, context));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> a, weighted->Predict(d.x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> b, manual->Predict(d.x));
  EXPECT_EQ(a, b);
  std::unique_ptr<XGBoostLearner> plain = Fit(Json{{"n_estimators", 10}, {"nthread", 1}}, d);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> c, plain->Predict(d.x));
  double mean_a = 0, mean_c = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    mean_a += a[i];
    mean_c += c[i];
  }
  EXPECT_GT(mean_a, mean_c + 50);  // up-weighting class 1 raises its predicted probability
}

// A fitted model's file as a JSON document (XGBoost's UBJSON read by nlohmann), without
// Lepton's metadata: what another XGBoost user would hand over.
Json ForeignModel(const XGBoostLearner& model) {
  absl::StatusOr<std::string> bytes = model.Save();
  LEPTON_CHECK_OK(bytes.status());
  Json doc = Json::from_ubjson(*bytes);
  doc["learner"]["attributes"].erase("lepton");
  return doc;
}

TEST(XGBoostImportTest, ForeignBoosterPredictsSavesAndLoadsLikeAFittedOne) {
  const Split d = NoisyData(11, 300);
  std::unique_ptr<XGBoostLearner> trained =
      Fit(Json{{"n_estimators", 12}, {"max_depth", 3}, {"nthread", 1}}, d);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> expected, trained->Predict(d.x));
  const Json doc = ForeignModel(*trained);
  // XGBoost's UBJSON (nlohmann's encoder picks other length markers than XGBoost reads), here
  // with Lepton's metadata, which Import ignores and replaces.
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string ubj, trained->Save());
  // Lepton's own loader wants its metadata; Import does not. JSON text (compact or indented)
  // and UBJSON all import.
  EXPECT_THAT(XGBoostLearner::Load(doc.dump()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no lepton metadata")));
  for (const std::string& bytes : {doc.dump(), doc.dump(2), ubj}) {
    LEPTON_ASSERT_OK_AND_ASSIGN(auto imported,
                                XGBoostLearner::Import(bytes, Task::kBinary, 2, d.x.columns));
    EXPECT_TRUE(imported->imported());
    EXPECT_EQ(imported->task(), Task::kBinary);
    EXPECT_EQ(imported->boosted_rounds(), 12);
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, imported->Predict(d.x));
    EXPECT_EQ(p, expected);  // same trees, same bits
    EXPECT_EQ(imported->Params(), (Json{{"imported", true},
                                        {"objective", "binary:logistic"},
                                        {"booster", "gbtree"},
                                        {"boosted_rounds", 12},
                                        {"eval_metric", "logloss"},
                                        {"nthread", 0}}));
    EXPECT_EQ(imported->Importance(), trained->Importance());
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> contributions, imported->Contributions(d.x));
    EXPECT_EQ(contributions.size(), static_cast<size_t>(d.x.rows) * 6);
    // Save/Load keeps it an imported model, bit for bit.
    LEPTON_ASSERT_OK_AND_ASSIGN(std::string saved, imported->Save());
    LEPTON_ASSERT_OK_AND_ASSIGN(auto loaded, XGBoostLearner::Load(saved));
    EXPECT_TRUE(loaded->imported());
    EXPECT_EQ(loaded->Params(), imported->Params());
    EXPECT_EQ(loaded->columns(), d.x.columns);
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p2, loaded->Predict(d.x));
    EXPECT_EQ(p2, p);
    LEPTON_ASSERT_OK_AND_ASSIGN(std::string saved_again, loaded->Save());
    EXPECT_EQ(saved_again, saved);
  }
  // Refitting an imported learner makes it a Lepton-trained one.
  LEPTON_ASSERT_OK_AND_ASSIGN(auto refit,
                              XGBoostLearner::Import(ubj, Task::kBinary, 2, d.x.columns));
  ASSERT_OK(refit->Fit({&d.x, d.y, {}}, nullptr, {}));
  EXPECT_FALSE(refit->imported());
  EXPECT_EQ(refit->Params()["objective"], "binary:logistic");
  EXPECT_EQ(refit->Params()["n_estimators"], 100);
}

TEST(XGBoostImportTest, SoftmaxIsServedAsProbabilitiesAndFeatureNamesMustMatch) {
  Split d;
  d.x.columns = {"a", "b"};
  std::mt19937_64 rng(4);
  std::normal_distribution<double> normal;
  for (int r = 0; r < 300; ++r) {
    const int cls = r % 3;
    d.x.values.push_back(static_cast<float>(normal(rng) + cls));
    d.x.values.push_back(static_cast<float>(normal(rng) - cls));
    d.y.push_back(cls);
    ++d.x.rows;
  }
  std::unique_ptr<XGBoostLearner> trained =
      Fit(Json{{"n_estimators", 5}, {"max_depth", 2}, {"nthread", 1}}, d, nullptr,
          Task::kMulticlass, 3);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> expected, trained->Predict(d.x));
  Json doc = ForeignModel(*trained);
  doc["learner"]["objective"]["name"] = "multi:softmax";
  doc["learner"]["feature_names"] = {"a", "b"};
  LEPTON_ASSERT_OK_AND_ASSIGN(auto imported, XGBoostLearner::Import(doc.dump(), Task::kMulticlass,
                                                                    3, {"a", "b"}));
  EXPECT_EQ(imported->Params()["objective"], "multi:softprob");
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, imported->Predict(d.x));
  EXPECT_EQ(p, expected);
  EXPECT_EQ(imported->Importance(), trained->Importance());  // by the model's own names
  EXPECT_THAT(XGBoostLearner::Import(doc.dump(), Task::kMulticlass, 3, {"b", "a"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the model's feature 0 is named \"a\" but input 0 is declared "
                                 "as \"b\"")));
  EXPECT_THAT(XGBoostLearner::Import(doc.dump(), Task::kMulticlass, 4, {"a", "b"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the model has 3 classes but 4 are declared")));
  EXPECT_THAT(XGBoostLearner::Import(doc.dump(), Task::kBinary, 2, {"a", "b"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("objective \"multi:softmax\" does not fit a binary model")));
}

TEST(XGBoostImportTest, RefusesWhatDoesNotFitTheDeclaration) {
  const Split d = NoisyData(12, 200);
  std::unique_ptr<XGBoostLearner> trained =
      Fit(Json{{"n_estimators", 3}, {"max_depth", 2}, {"nthread", 1}}, d);
  const Json doc = ForeignModel(*trained);
  const std::string text = doc.dump();
  const std::vector<std::string> four = {"x0", "x1", "x2", "x3"};
  EXPECT_THAT(XGBoostLearner::Import(text, Task::kBinary, 2, four),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the model has 5 features but 4 inputs are declared")));
  EXPECT_THAT(XGBoostLearner::Import(text, Task::kBinary, 2, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no input columns")));
  EXPECT_THAT(
      XGBoostLearner::Import(text, Task::kRegression, 0, d.x.columns),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("objective \"binary:logistic\" does not fit a regression model "
                         "(expected a reg:* objective)")));
  EXPECT_THAT(XGBoostLearner::Import(text, Task::kMulticlass, 2, d.x.columns),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("does not fit a multiclass model")));
  Json other = doc;
  other["learner"]["objective"]["name"] = "rank:pairwise";
  EXPECT_THAT(XGBoostLearner::Import(other.dump(), Task::kBinary, 2, d.x.columns),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("objective \"rank:pairwise\" does not fit a binary model "
                                 "(expected binary:logistic)")));
  other["learner"]["objective"]["name"] = "reg:squarederror";
  EXPECT_OK(XGBoostLearner::Import(other.dump(), Task::kRegression, 0, d.x.columns).status());
}

// libxgboost crashes on these; Import and Load must refuse them first.
TEST(XGBoostImportTest, MalformedModelBytesAreRefusedNotCrashedOn) {
  const Split d = NoisyData(13, 200);
  std::unique_ptr<XGBoostLearner> trained =
      Fit(Json{{"n_estimators", 3}, {"max_depth", 3}, {"nthread", 1}}, d);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string saved, trained->Save());
  const Json doc = ForeignModel(*trained);
  auto refused = [&](const std::string& bytes, const std::string& message) {
    EXPECT_THAT(XGBoostLearner::Import(bytes, Task::kBinary, 2, d.x.columns),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << message;
    EXPECT_THAT(XGBoostLearner::Load(bytes), StatusIs(absl::StatusCode::kInvalidArgument));
  };
  refused("", "not an XGBoost JSON or UBJSON model");
  refused("binf\x01\x02\x03", "legacy binary format is not supported");
  refused("{", "not an XGBoost JSON or UBJSON model");
  refused("{\"learner\": [1, 2", "not a well-formed XGBoost JSON model");
  refused("{\"learner\": {}}", "learner.learner_model_param: expected an object");
  for (size_t cut : {size_t{3}, size_t{100}, saved.size() / 2, saved.size() - 1}) {
    refused(saved.substr(0, cut), "not a well-formed XGBoost UBJSON model");
  }
  // Nesting deep enough to overflow a recursive reader's stack.
  refused(StrCat("{\"learner\":", std::string(200000, '['), std::string(200000, ']'), "}"),
          "nested deeper than 64 levels");
  refused(StrCat("{i\x01x", std::string(200000, '[')), "nested deeper than 64 levels");

  auto mutated = [&](const std::function<void(Json&)>& change) {
    Json copy = doc;
    change(copy);
    return copy.dump();
  };
  auto trees = [](Json& m) -> Json& { return m["learner"]["gradient_booster"]["model"]["trees"]; };
  auto tree = [&](Json& m) -> Json& { return trees(m)[0]; };
  refused(mutated([&](Json& m) { tree(m)["left_children"][0] = 1000000; }),
          "trees[0] node 0: child index out of range");
  refused(mutated([&](Json& m) { tree(m)["split_indices"][0] = 99; }),
          "trees[0] node 0: split feature index out of range (5 features)");
  refused(mutated([&](Json& m) { tree(m)["left_children"][1] = 0; }), "reached twice (not a tree)");
  refused(mutated([&](Json& m) { tree(m)["right_children"].erase(0); }),
          "trees[0].right_children: has");
  refused(mutated([&](Json& m) { tree(m)["split_type"][0] = 1; }),
          "categorical splits are not supported");
  refused(mutated([&](Json& m) { trees(m)[1]["id"] = 0; }),
          "trees[1].id: expected a tree id in [0, 3) used once");
  refused(mutated([&](Json& m) { m["learner"]["gradient_booster"]["model"]["tree_info"][2] = 5; }),
          "tree_info[2]: expected an output group in [0, 1)");
  refused(mutated([&](Json& m) { m["learner"]["gradient_booster"]["name"] = "gblinear"; }),
          "learner.gradient_booster.model.weights: expected an array");
  refused(mutated([&](Json& m) { m["learner"]["gradient_booster"]["name"] = "forest"; }),
          "booster \"forest\" is not supported");
  refused(mutated([&](Json& m) { m["learner"]["learner_model_param"]["num_feature"] = "many"; }),
          "learner.learner_model_param.num_feature: expected an integer");
}

}  // namespace
}  // namespace lepton::ml
