#include "lepton/ml/torch/mlp.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

struct Data {
  features::FeatureMatrix x;
  std::vector<double> y;
  LabeledData labeled() const { return {&x, y, {}}; }
};

// Points uniform in [-1, 1]^2 labelled by `label(a, b)`.
template <typename Label>
Data Points(int rows, uint64_t seed, Label label) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Data d;
  d.x.rows = rows;
  d.x.columns = {"a", "b"};
  for (int i = 0; i < rows; ++i) {
    const float a = u(rng);
    const float b = u(rng);
    d.x.values.push_back(a);
    d.x.values.push_back(b);
    d.y.push_back(label(a, b));
  }
  return d;
}

// Inside the circle of radius 0.7 or not: about 38% positives, and no linear boundary.
Data Circles(int rows, uint64_t seed) {
  return Points(rows, seed, [](float a, float b) { return a * a + b * b < 0.49f ? 1.0 : 0.0; });
}

double Accuracy(const std::vector<double>& p, const std::vector<double>& y) {
  int right = 0;
  for (size_t i = 0; i < y.size(); ++i) right += (p[i] >= 0.5) == (y[i] == 1.0);
  return static_cast<double>(right) / static_cast<double>(y.size());
}

FitContext Context(Task task = Task::kBinary, uint64_t seed = 7) {
  FitContext c;
  c.task = task;
  c.seed = seed;
  c.threads = 1;
  return c;
}

std::unique_ptr<MlpLearner> Make(const Json& params) {
  absl::StatusOr<std::unique_ptr<MlpLearner>> m = MlpLearner::Create(params);
  LEPTON_CHECK_OK(m.status());
  return std::move(m).value();
}

const Json kCircleParams = {{"hidden_layers", {32, 32}},
                            {"learning_rate", 0.01},
                            {"batch_size", 32},
                            {"epochs", 60},
                            {"patience", 0}};

TEST(MlpLearnerTest, LearnsCirclesWhereALinearModelCannot) {
  const Data train = Circles(1200, 1);
  const Data test = Circles(600, 2);
  auto mlp = Make(kCircleParams);
  ASSERT_OK(mlp->Fit(train.labeled(), nullptr, Context()));
  EXPECT_EQ(mlp->flavor(), "mlp");
  EXPECT_EQ(mlp->epochs_trained(), 60);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, mlp->Predict(test.x));
  ASSERT_EQ(p.size(), 600u);
  EXPECT_GT(Accuracy(p, test.y), 0.9);
  // No hidden layer is logistic regression: stuck near the majority rate (~0.62).
  Json linear_params = kCircleParams;
  linear_params["hidden_layers"] = Json::array();
  auto linear = Make(linear_params);
  ASSERT_OK(linear->Fit(train.labeled(), nullptr, Context()));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> q, linear->Predict(test.x));
  EXPECT_LT(Accuracy(q, test.y), 0.75);
}

TEST(MlpLearnerTest, MulticlassBySectorWithTanhAndDropout) {
  // Class = which third of the circle the angle falls in.
  const auto sector = [](float a, float b) {
    const double angle = std::atan2(b, a) + M_PI;  // [0, 2pi]
    return std::min(2.0, std::floor(angle / (2 * M_PI / 3)));
  };
  const Data train = Points(1200, 3, sector);
  const Data test = Points(400, 4, sector);
  auto mlp = Make({{"hidden_layers", {32}},
                   {"activation", "tanh"},
                   {"dropout", 0.1},
                   {"learning_rate", 0.01},
                   {"batch_size", 32},
                   {"epochs", 40}});
  FitContext context = Context(Task::kMulticlass);
  context.num_classes = 3;
  ASSERT_OK(mlp->Fit(train.labeled(), nullptr, context));
  EXPECT_EQ(mlp->task(), Task::kMulticlass);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, mlp->Predict(test.x));
  ASSERT_EQ(p.size(), 3u * 400);
  int right = 0;
  for (int r = 0; r < 400; ++r) {
    EXPECT_NEAR(p[3 * r] + p[3 * r + 1] + p[3 * r + 2], 1.0, 1e-9);
    const int best = static_cast<int>(std::max_element(&p[3 * r], &p[3 * r + 3]) - &p[3 * r]);
    right += best == static_cast<int>(test.y[r]);
  }
  EXPECT_GT(right / 400.0, 0.9);
}

TEST(MlpLearnerTest, RegressionOnAScaledNonlinearTarget) {
  // y = 1000 + 50 sin(3a) + 80 b^2: far from unit scale, so the target standardisation matters.
  const auto f = [](float a, float b) { return 1000 + 50 * std::sin(3.0 * a) + 80.0 * b * b; };
  const Data train = Points(1500, 5, f);
  const Data test = Points(400, 6, f);
  auto mlp = Make(
      {{"hidden_layers", {32, 32}}, {"learning_rate", 0.01}, {"batch_size", 32}, {"epochs", 60}});
  ASSERT_OK(mlp->Fit(train.labeled(), nullptr, Context(Task::kRegression)));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, mlp->Predict(test.x));
  double mean = 0;
  for (double v : test.y) mean += v / test.y.size();
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    ss_res += (p[i] - test.y[i]) * (p[i] - test.y[i]);
    ss_tot += (test.y[i] - mean) * (test.y[i] - mean);
  }
  EXPECT_GT(1 - ss_res / ss_tot, 0.95);
}

TEST(MlpLearnerTest, EarlyStoppingRestoresTheBestEpoch) {
  // Few noisy rows, a wide network and a high learning rate: it overfits quickly.
  Data train = Circles(80, 7);
  for (size_t i = 0; i < train.y.size(); i += 4) train.y[i] = 1 - train.y[i];
  const Data valid = Circles(400, 8);
  auto mlp = Make({{"hidden_layers", {128, 128}},
                   {"learning_rate", 0.02},
                   {"batch_size", 16},
                   {"epochs", 300},
                   {"patience", 8}});
  FitContext context = Context();
  std::vector<double> valid_losses;
  context.progress = [&](int64_t step, int64_t total, const Json& metrics) {
    EXPECT_EQ(step, static_cast<int64_t>(valid_losses.size()) + 1);
    EXPECT_EQ(total, 300);
    EXPECT_TRUE(metrics.contains("train_loss"));
    valid_losses.push_back(metrics.at("valid_loss").get<double>());
    return true;
  };
  const LabeledData v = valid.labeled();
  ASSERT_OK(mlp->Fit(train.labeled(), &v, context));
  ASSERT_LT(mlp->epochs_trained(), 300);
  ASSERT_EQ(static_cast<int>(valid_losses.size()), mlp->epochs_trained());
  const int best = static_cast<int>(std::min_element(valid_losses.begin(), valid_losses.end()) -
                                    valid_losses.begin());
  EXPECT_EQ(mlp->best_epoch(), best);
  EXPECT_EQ(mlp->epochs_trained(), best + 1 + 8);
  // The model holds the best epoch's weights: its validation log loss is the minimum seen,
  // not the (worse) last one.
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, mlp->Predict(valid.x));
  double loss = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    loss -= valid.y[i] == 1 ? std::log(p[i]) : std::log1p(-p[i]);
  }
  loss /= static_cast<double>(p.size());
  EXPECT_NEAR(loss, valid_losses[best], 1e-4);
  EXPECT_GT(valid_losses.back(), valid_losses[best] + 1e-4);
  EXPECT_EQ(mlp->Params()["best_epoch"], best);
}

TEST(MlpLearnerTest, ProgressReturningFalseCancels) {
  const Data train = Circles(200, 9);
  auto mlp = Make({{"epochs", 50}});
  FitContext context = Context();
  int calls = 0;
  context.progress = [&](int64_t, int64_t, const Json&) { return ++calls < 3; };
  EXPECT_THAT(mlp->Fit(train.labeled(), nullptr, context),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("after epoch 3")));
  EXPECT_EQ(calls, 3);
  EXPECT_FALSE(mlp->fitted());
  EXPECT_THAT(mlp->Predict(train.x), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(mlp->Save(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(MlpLearnerTest, SaveLoadPredictsBitIdentically) {
  const Data train = Circles(300, 10);
  const Data test = Circles(500, 11);
  for (const Json& params :
       {Json{{"hidden_layers", {16, 8}}, {"epochs", 5}},
        Json{{"hidden_layers", {8}}, {"activation", "tanh"}, {"dropout", 0.3}, {"epochs", 5}}}) {
    auto mlp = Make(params);
    ASSERT_OK(mlp->Fit(train.labeled(), nullptr, Context()));
    LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, mlp->Save());
    LEPTON_ASSERT_OK_AND_ASSIGN(std::unique_ptr<MlpLearner> loaded, MlpLearner::Load(bytes));
    EXPECT_EQ(loaded->Params(), mlp->Params());
    EXPECT_EQ(loaded->columns(), mlp->columns());
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> a, mlp->Predict(test.x));
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> b, loaded->Predict(test.x));
    EXPECT_EQ(a, b);  // exact, and dropout is off at predict: repeated calls agree too
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> c, loaded->Predict(test.x));
    EXPECT_EQ(b, c);
    LEPTON_ASSERT_OK_AND_ASSIGN(std::string again, loaded->Save());
    EXPECT_EQ(again, bytes);
  }
  // Regression keeps its target scaling.
  const auto f = [](float a, float b) { return 500.0 + 20 * a - 7 * b; };
  const Data reg = Points(300, 12, f);
  auto mlp = Make({{"hidden_layers", {8}}, {"epochs", 5}});
  ASSERT_OK(mlp->Fit(reg.labeled(), nullptr, Context(Task::kRegression)));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, mlp->Save());
  LEPTON_ASSERT_OK_AND_ASSIGN(std::unique_ptr<MlpLearner> loaded, MlpLearner::Load(bytes));
  EXPECT_EQ(loaded->task(), Task::kRegression);
  EXPECT_EQ(*mlp->Predict(reg.x), *loaded->Predict(reg.x));
}

TEST(MlpLearnerTest, ConcurrentPredictMatchesSingleThreaded) {
  const Data train = Circles(300, 18);
  auto mlp = Make({{"hidden_layers", {16}}, {"epochs", 3}});
  ASSERT_OK(mlp->Fit(train.labeled(), nullptr, Context()));
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::vector<double> expected, mlp->Predict(train.x));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        absl::StatusOr<std::vector<double>> p = mlp->Predict(train.x);
        if (!p.ok() || *p != expected) ++mismatches[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(MlpLearnerTest, LoadRejectsCorruptedBytes) {
  const Data train = Circles(100, 13);
  auto mlp = Make({{"hidden_layers", {4}}, {"epochs", 2}});
  ASSERT_OK(mlp->Fit(train.labeled(), nullptr, Context()));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, mlp->Save());
  EXPECT_THAT(MlpLearner::Load(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MlpLearner::Load("garbage garbage garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad magic")));
  for (size_t cut : {size_t{9}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_THAT(MlpLearner::Load(bytes.substr(0, cut)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << cut;
  }
  EXPECT_THAT(MlpLearner::Load(bytes + "x"), StatusIs(absl::StatusCode::kInvalidArgument));
  // A header whose architecture disagrees with the stored parameters.
  std::string wider = bytes;
  const size_t at = wider.find("\"hidden_layers\":[4]");
  ASSERT_NE(at, std::string::npos);
  wider.replace(at, 19, "\"hidden_layers\":[5]");
  EXPECT_THAT(MlpLearner::Load(wider),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
}

TEST(MlpLearnerTest, SameSeedSameModelOtherSeedOtherModel) {
  const Data train = Circles(300, 14);
  const Data test = Circles(200, 15);
  const Json params = {{"hidden_layers", {16}}, {"dropout", 0.2}, {"epochs", 5}};
  auto a = Make(params);
  auto b = Make(params);
  auto c = Make(params);
  ASSERT_OK(a->Fit(train.labeled(), nullptr, Context(Task::kBinary, 1)));
  ASSERT_OK(b->Fit(train.labeled(), nullptr, Context(Task::kBinary, 1)));
  ASSERT_OK(c->Fit(train.labeled(), nullptr, Context(Task::kBinary, 2)));
  EXPECT_EQ(*a->Predict(test.x), *b->Predict(test.x));
  EXPECT_NE(*a->Predict(test.x), *c->Predict(test.x));
  EXPECT_EQ(*a->Save(), *b->Save());
}

TEST(MlpLearnerTest, RejectsBadInput) {
  Data train = Circles(50, 16);
  auto mlp = Make({{"epochs", 1}});
  Data nan = train;
  nan.x.values[7] = std::nanf("");
  EXPECT_THAT(mlp->Fit(nan.labeled(), nullptr, Context()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NaN value at row 3")));
  Data bad_label = train;
  bad_label.y[4] = 2;
  EXPECT_THAT(mlp->Fit(bad_label.labeled(), nullptr, Context()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("binary label 2")));
  FitContext multiclass = Context(Task::kMulticlass);
  multiclass.num_classes = 1;
  EXPECT_THAT(mlp->Fit(train.labeled(), nullptr, multiclass),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("num_classes")));
  std::vector<double> weights(3, 1.0);
  EXPECT_THAT(mlp->Fit({&train.x, train.y, weights}, nullptr, Context()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3 weights for 50 rows")));
  features::FeatureMatrix three;
  three.rows = 1;
  three.columns = {"a", "b", "c"};
  three.values = {1, 2, 3};
  const LabeledData valid{&three, std::vector<double>{1.0}, {}};
  EXPECT_THAT(mlp->Fit(train.labeled(), &valid, Context()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3 columns")));
  EXPECT_FALSE(mlp->fitted());

  ASSERT_OK(mlp->Fit(train.labeled(), nullptr, Context()));
  EXPECT_THAT(mlp->Predict(three),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the model expects 2")));
  EXPECT_THAT(mlp->Predict(nan.x), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MlpLearnerTest, SparseInputIsDensified) {
  const Data train = Circles(200, 17);
  auto mlp = Make({{"hidden_layers", {8}}, {"epochs", 3}});
  ASSERT_OK(mlp->Fit(train.labeled(), nullptr, Context()));
  features::FeatureMatrix csr;
  csr.rows = 2;
  csr.columns = {"a", "b"};
  csr.sparse = true;
  csr.values = {0.5f, -0.25f};
  csr.col_indices = {1, 0};
  csr.row_offsets = {0, 1, 2};
  features::FeatureMatrix dense;
  dense.rows = 2;
  dense.columns = {"a", "b"};
  dense.values = {0.0f, 0.5f, -0.25f, 0.0f};
  EXPECT_EQ(*mlp->Predict(csr), *mlp->Predict(dense));
}

TEST(MlpLearnerTest, ParseOptionsNamesTheBadKey) {
  LEPTON_ASSERT_OK_AND_ASSIGN(MlpOptions o, MlpLearner::ParseOptions(Json()));
  EXPECT_EQ(o.hidden_layers, (std::vector<int>{64, 32}));
  EXPECT_THAT(MlpLearner::ParseOptions(Json{{"layers", {3}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mlp.layers: unknown")));
  EXPECT_THAT(MlpLearner::ParseOptions(Json{{"activation", "gelu"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mlp.activation")));
  EXPECT_THAT(MlpLearner::ParseOptions(Json{{"hidden_layers", {0}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mlp.hidden_layers")));
  EXPECT_THAT(MlpLearner::ParseOptions(Json{{"dropout", 1.0}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mlp.dropout")));
  EXPECT_THAT(MlpLearner::ParseOptions(Json{{"learning_rate", 0}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mlp.learning_rate")));
  EXPECT_THAT(MlpLearner::ParseOptions(Json{{"epochs", 1.5}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mlp.epochs")));
}

}  // namespace
}  // namespace lepton::ml
