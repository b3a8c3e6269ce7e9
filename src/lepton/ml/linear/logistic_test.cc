#include "lepton/ml/linear/logistic.h"

#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <set>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/ml/linear/testing/linear_test_util.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::lepton::ml::testing;  // NOLINT

const std::vector<std::string> kGermanNumeric = {
    "duration", "credit_amount", "installment_commitment", "residence_since",
    "age",      "existing_credits", "num_dependents"};

// German credit's numeric columns, standardised; label 1 = "bad" (300 of 1000).
const NumericData& GermanCredit() {
  static const NumericData* data = [] {
    absl::StatusOr<NumericData> d =
        ReadNumericCsv(StrCat(LEPTON_SHARED_DATA, "/credit/german_credit.csv"), kGermanNumeric,
                       "class", "bad");
    LEPTON_CHECK_OK(d.status());
    auto* out = new NumericData(std::move(*d));
    Standardize(&out->x);
    return out;
  }();
  return *data;
}

// German credit with three classes: bad, good with below-average duration, good with longer.
const NumericData& GermanThreeClass() {
  static const NumericData* data = [] {
    auto* out = new NumericData(GermanCredit());
    for (size_t r = 0; r < out->y.size(); ++r) {
      if (out->y[r] == 0 && out->x.values[r * 7] > 0) out->y[r] = 2;
    }
    return out;
  }();
  return *data;
}

struct SklearnCase {
  std::string name;
  Json params;
  std::string sklearn;  // LogisticRegression keyword arguments
};

const std::vector<SklearnCase>& BinaryCases() {
  static const auto* cases = new std::vector<SklearnCase>{
      {"l2", Json{{"penalty", "l2"}, {"C", 0.05}}, "penalty='l2', C=0.05, solver='lbfgs'"},
      {"l1", Json{{"penalty", "l1"}, {"C", 0.05}}, "penalty='l1', C=0.05, solver='saga'"},
      {"elasticnet", Json{{"penalty", "elasticnet"}, {"C", 0.05}, {"l1_ratio", 0.6}},
       "penalty='elasticnet', C=0.05, l1_ratio=0.6, solver='saga'"},
      {"none", Json{{"penalty", "none"}}, "penalty='none', solver='lbfgs'"},
      {"balanced", Json{{"C", 0.5}, {"class_weight", "balanced"}},
       "C=0.5, class_weight='balanced', solver='lbfgs'"},
      {"explicit_weights", Json{{"C", 0.5}, {"class_weight", {{"1", 5.0}}}},
       "C=0.5, class_weight={0: 1.0, 1: 5.0}, solver='lbfgs'"},
      {"no_intercept", Json{{"C", 0.5}, {"fit_intercept", false}},
       "C=0.5, fit_intercept=False, solver='lbfgs'"}};
  return *cases;
}
constexpr const char* kMultinomial = "C=0.5, solver='lbfgs', multi_class='multinomial'";

// scikit-learn's coef followed by intercept for every binary case (by name) and for
// "multinomial" (on GermanThreeClass), fitted in one python3 run (importing sklearn takes
// seconds); empty when python3 lacks sklearn.
const std::map<std::string, std::vector<double>>& SklearnResults() {
  static const auto* results = [] {
    auto* out = new std::map<std::string, std::vector<double>>();
    if (!PythonHas("sklearn")) return out;
    TempDir dir;
    WriteRaw(dir.path() / "x.f32", GermanCredit().x.values);
    WriteRaw(dir.path() / "y.f64", GermanCredit().y);
    WriteRaw(dir.path() / "y3.f64", GermanThreeClass().y);
    std::string cases;
    for (const SklearnCase& c : BinaryCases()) {
      cases += StrCat("  ('", c.name, "', 'y', dict(", c.sklearn, ")),\n");
    }
    cases += StrCat("  ('multinomial', 'y3', dict(", kMultinomial, ")),\n");
    const std::string script = StrCat(R"(
import sys, warnings, numpy as np
from sklearn.linear_model import LogisticRegression
warnings.simplefilter('ignore')
d = sys.argv[1]
x = np.fromfile(d + '/x.f32', dtype=np.float32).reshape(-1, 7).astype(np.float64)
for name, label, kw in [
)", cases, R"(]:
    y = np.fromfile(d + '/' + label + '.f64', dtype=np.float64)
    m = LogisticRegression(tol=1e-12, max_iter=1000000, **kw).fit(x, y)
    np.concatenate([m.coef_.ravel(), m.intercept_.ravel()]).tofile(d + '/out_' + name + '.f64')
)");
    EXPECT_EQ(RunPython(dir, script), 0);
    for (const SklearnCase& c : BinaryCases()) {
      (*out)[c.name] = ReadRawDoubles(dir.path() / StrCat("out_", c.name, ".f64"));
    }
    (*out)["multinomial"] = ReadRawDoubles(dir.path() / "out_multinomial.f64");
    return out;
  }();
  return *results;
}

std::unique_ptr<LogisticRegression> FitLogistic(const NumericData& data, const Json& params,
                                                Task task = Task::kBinary, int num_classes = 2) {
  absl::StatusOr<std::unique_ptr<LogisticRegression>> model = LogisticRegression::Create(params);
  LEPTON_CHECK_OK(model.status());
  FitContext context;
  context.task = task;
  context.num_classes = num_classes;
  LabeledData train{&data.x, data.y, {}};
  absl::Status status = (*model)->Fit(train, nullptr, context);
  EXPECT_OK(status);
  return std::move(*model);
}

void ExpectCoefficientsNear(const LogisticRegression& model, const std::vector<double>& expected,
                            double tolerance) {
  const std::span<const double> coef = model.coef();
  const std::span<const double> icpt = model.intercept();
  ASSERT_EQ(expected.size(), coef.size() + icpt.size());
  double max_diff = 0;
  for (size_t j = 0; j < expected.size(); ++j) {
    const double got = j < coef.size() ? coef[j] : icpt[j - coef.size()];
    max_diff = std::max(max_diff, std::fabs(got - expected[j]));
  }
  std::printf("max |lepton - sklearn| = %.2g\n", max_diff);
  for (size_t j = 0; j < coef.size(); ++j) {
    EXPECT_NEAR(coef[j], expected[j], tolerance) << "coefficient " << j;
  }
  for (size_t k = 0; k < icpt.size(); ++k) {
    EXPECT_NEAR(icpt[k], expected[coef.size() + k], tolerance) << "intercept " << k;
  }
}

class LogisticSklearnTest : public ::testing::TestWithParam<SklearnCase> {};

TEST_P(LogisticSklearnTest, CoefficientsMatchScikitLearn) {
  if (!PythonHas("sklearn")) GTEST_SKIP() << "Debian python3 has no sklearn";
  const SklearnCase& c = GetParam();
  Json params = c.params;
  params["tol"] = 1e-10;
  std::unique_ptr<LogisticRegression> model = FitLogistic(GermanCredit(), params);
  EXPECT_TRUE(model->converged());
  const std::vector<double>& expected = SklearnResults().at(c.name);
  ASSERT_FALSE(expected.empty());
  ExpectCoefficientsNear(*model, expected, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(
    Penalties, LogisticSklearnTest, ::testing::ValuesIn(BinaryCases()),
    [](const ::testing::TestParamInfo<SklearnCase>& param_info) { return param_info.param.name; });

TEST(LogisticRegressionTest, L1ZeroesCoefficientsExactly) {
  std::unique_ptr<LogisticRegression> model =
      FitLogistic(GermanCredit(), Json{{"penalty", "l1"}, {"C", 0.05}});
  // As scikit-learn: residence_since, existing_credits and num_dependents drop out.
  int zeros = 0;
  for (double c : model->coef()) zeros += c == 0.0 ? 1 : 0;
  EXPECT_EQ(zeros, 3);
  EXPECT_EQ(model->coef()[3], 0.0);
  EXPECT_EQ(model->Importance().size(), 4u);
  EXPECT_TRUE(model->Importance().contains("duration"));
  // A strong enough penalty removes every coefficient (the intercept stays).
  std::unique_ptr<LogisticRegression> empty =
      FitLogistic(GermanCredit(), Json{{"penalty", "l1"}, {"C", 0.005}});
  for (double c : empty->coef()) EXPECT_EQ(c, 0.0);
  EXPECT_NEAR(empty->intercept()[0], std::log(300.0 / 700.0), 1e-5);
}

TEST(LogisticRegressionTest, HashedTextWidthFits) {
  // 2^18 hashed columns, 2000 rows of 20 entries; the label follows 50 "positive" columns.
  NumericData data;
  data.x.rows = 2000;
  data.x.sparse = true;
  data.x.columns.resize(1 << 18);
  for (size_t j = 0; j < data.x.columns.size(); ++j) data.x.columns[j] = StrCat("text#", j);
  data.x.row_offsets.push_back(0);
  std::mt19937_64 rng(11);
  for (int r = 0; r < 2000; ++r) {
    std::set<uint32_t> cols;
    while (cols.size() < 20) cols.insert(static_cast<uint32_t>(rng() % (1 << 18)));
    if (r % 2 == 1) cols.insert(static_cast<uint32_t>(rng() % 50));
    for (uint32_t c : cols) {
      data.x.col_indices.push_back(c);
      data.x.values.push_back(1.0f);
    }
    data.x.row_offsets.push_back(static_cast<int64_t>(data.x.values.size()));
    data.y.push_back(r % 2);
  }
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<LogisticRegression> model = FitLogistic(data, Json{{"C", 1.0}});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("2^18-column fit: %d iterations, %.2f s\n", model->iterations(), seconds);
  EXPECT_TRUE(model->converged());
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> p, model->Predict(data.x));
  int correct = 0;
  for (size_t r = 0; r < p.size(); ++r) correct += (p[r] > 0.5) == (data.y[r] == 1) ? 1 : 0;
  EXPECT_GT(correct, 1900);
}

TEST(LogisticRegressionTest, BalancedClassWeightRaisesTheInterceptTowardsEvenOdds) {
  std::unique_ptr<LogisticRegression> plain = FitLogistic(GermanCredit(), Json{{"C", 0.5}});
  std::unique_ptr<LogisticRegression> balanced =
      FitLogistic(GermanCredit(), Json{{"C", 0.5}, {"class_weight", "balanced"}});
  // 30 % bad: unweighted log-odds about ln(0.3 / 0.7) = -0.85; balanced about 0.
  EXPECT_LT(plain->intercept()[0], -0.7);
  EXPECT_NEAR(balanced->intercept()[0], 0.0, 0.15);
  // Balanced equals explicit weights n / (2 * count): 1000 / 1400 and 1000 / 600.
  std::unique_ptr<LogisticRegression> manual = FitLogistic(
      GermanCredit(),
      Json{{"C", 0.5}, {"class_weight", {{"0", 1000.0 / 1400.0}, {"1", 1000.0 / 600.0}}}});
  EXPECT_NEAR(manual->intercept()[0], balanced->intercept()[0], 1e-9);
}

TEST(LogisticRegressionTest, SampleWeightsEqualRepeatedRows) {
  const NumericData& data = GermanCredit();
  NumericData doubled = data;
  std::vector<double> weights(static_cast<size_t>(data.x.rows), 1.0);
  for (int64_t r = 0; r < 100; ++r) {  // rows 0..99 twice
    weights[static_cast<size_t>(r)] = 2.0;
    auto row = data.x.Row(r);
    doubled.x.values.insert(doubled.x.values.end(), row.begin(), row.end());
    doubled.y.push_back(data.y[static_cast<size_t>(r)]);
    ++doubled.x.rows;
  }
  std::unique_ptr<LogisticRegression> repeated = FitLogistic(doubled, Json{{"tol", 1e-10}});
  LEPTON_ASSERT_OK_AND_ASSIGN(auto weighted, LogisticRegression::Create(Json{{"tol", 1e-10}}));
  ASSERT_OK(weighted->Fit({&data.x, data.y, weights}, nullptr, {}));
  for (size_t j = 0; j < 7; ++j) EXPECT_NEAR(weighted->coef()[j], repeated->coef()[j], 1e-7);
  EXPECT_NEAR(weighted->intercept()[0], repeated->intercept()[0], 1e-7);
}

TEST(LogisticRegressionTest, SparseInputGivesTheDenseModel) {
  // Rounded inputs give exact zeros, so the CSR form really is sparse.
  NumericData data = GermanCredit();
  for (float& v : data.x.values) v = std::round(v);
  const features::FeatureMatrix csr = ToCsr(data.x);
  ASSERT_LT(csr.values.size(), data.x.values.size() * 3 / 4);
  for (const Json& params : {Json{{"C", 0.3}}, Json{{"penalty", "l1"}, {"C", 0.05}}}) {
    std::unique_ptr<LogisticRegression> dense = FitLogistic(data, params);
    NumericData sparse_data{csr, data.y};
    std::unique_ptr<LogisticRegression> sparse = FitLogistic(sparse_data, params);
    for (size_t j = 0; j < 7; ++j) EXPECT_NEAR(sparse->coef()[j], dense->coef()[j], 1e-12);
    EXPECT_NEAR(sparse->intercept()[0], dense->intercept()[0], 1e-12);
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> pd, dense->Predict(data.x));
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> ps, dense->Predict(csr));
    EXPECT_EQ(pd, ps);
  }
}

TEST(LogisticRegressionTest, SaveLoadPredictsBitIdentically) {
  std::unique_ptr<LogisticRegression> model =
      FitLogistic(GermanCredit(), Json{{"penalty", "elasticnet"}, {"C", 0.1}});
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, model->Save());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto loaded, LogisticRegression::Load(bytes));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> before, model->Predict(GermanCredit().x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> after, loaded->Predict(GermanCredit().x));
  ASSERT_EQ(before.size(), 1000u);
  for (size_t i = 0; i < before.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint64_t>(before[i]), std::bit_cast<uint64_t>(after[i])) << i;
  }
  EXPECT_EQ(loaded->Params(), model->Params());
  EXPECT_EQ(loaded->flavor(), "logistic");
  EXPECT_THAT(LogisticRegression::Load("{\"format\":\"other\"}"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LogisticRegressionTest, ContributionsSumToTheMargin) {
  std::unique_ptr<LogisticRegression> model = FitLogistic(GermanCredit(), Json{{"C", 1.0}});
  const features::FeatureMatrix& x = GermanCredit().x;
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> contrib, model->Contributions(x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> margins, model->Margins(x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> probs, model->Predict(x));
  ASSERT_EQ(contrib.size(), 1000u * 8);
  for (size_t r = 0; r < 1000; ++r) {
    double sum = 0;
    for (size_t j = 0; j < 8; ++j) sum += contrib[r * 8 + j];
    EXPECT_NEAR(sum, margins[r], 1e-12);
    EXPECT_NEAR(1 / (1 + std::exp(-margins[r])), probs[r], 1e-12);
  }
  EXPECT_EQ(contrib[7], model->intercept()[0]);
}

TEST(LogisticRegressionTest, MultinomialMatchesScikitLearnProbabilities) {
  const NumericData& data = GermanThreeClass();
  std::unique_ptr<LogisticRegression> model =
      FitLogistic(data, Json{{"C", 0.5}, {"tol", 1e-10}}, Task::kMulticlass, 3);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> probs, model->Predict(data.x));
  ASSERT_EQ(probs.size(), 3000u);
  EXPECT_NEAR(probs[0] + probs[1] + probs[2], 1.0, 1e-12);
  EXPECT_THAT(model->Contributions(data.x), StatusIs(absl::StatusCode::kUnimplemented));
  if (!PythonHas("sklearn")) GTEST_SKIP() << "Debian python3 has no sklearn";
  const std::vector<double>& expected = SklearnResults().at("multinomial");
  ASSERT_EQ(expected.size(), 24u);
  // Coefficients are identified by the L2 penalty; the intercepts up to a common shift, which
  // both solvers fix at sum zero (the intercept gradient sums to zero across classes).
  ExpectCoefficientsNear(*model, expected, 1e-4);
}

TEST(LogisticRegressionTest, RejectsBadInput) {
  LEPTON_ASSERT_OK_AND_ASSIGN(auto model, LogisticRegression::Create(Json::object()));
  NumericData data = GermanCredit();
  data.x.values[5 * 7 + 2] = std::nanf("");
  EXPECT_THAT(model->Fit({&data.x, data.y, {}}, nullptr, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("row 5, column \"installment_commitment\" is NaN")));
  data = GermanCredit();
  data.y[3] = 2;
  EXPECT_THAT(model->Fit({&data.x, data.y, {}}, nullptr, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("label of row 3 is 2")));
  data.y.assign(data.y.size(), 1.0);
  EXPECT_THAT(model->Fit({&data.x, data.y, {}}, nullptr, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("both classes")));
  FitContext regression;
  regression.task = Task::kRegression;
  EXPECT_THAT(model->Fit({&GermanCredit().x, GermanCredit().y, {}}, nullptr, regression),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(model->Predict(GermanCredit().x), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(model->Fit({&GermanCredit().x, GermanCredit().y, {}}, nullptr, {}));
  features::FeatureMatrix narrow = GermanCredit().x.Take(std::vector<int64_t>{0, 1});
  narrow.columns.pop_back();
  narrow.values.resize(12);
  EXPECT_THAT(model->Predict(narrow),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("6 columns")));
  EXPECT_THAT(LogisticRegression::Create(Json{{"penalty", "l3"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("l3")));
  EXPECT_THAT(LogisticRegression::Create(Json{{"C", -1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("logistic.C")));
  EXPECT_THAT(LogisticRegression::Create(Json{{"lambda", 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("logistic.lambda")));
}

TEST(LogisticRegressionTest, ProgressReportsEachIterationAndCancels) {
  LEPTON_ASSERT_OK_AND_ASSIGN(auto model, LogisticRegression::Create(Json{{"tol", 1e-10}}));
  int calls = 0;
  FitContext context;
  context.progress = [&](int64_t step, int64_t total, const Json& metrics) {
    EXPECT_EQ(step, calls + 1);
    EXPECT_EQ(total, 1000);
    EXPECT_TRUE(metrics.contains("train_objective"));
    return ++calls < 3;
  };
  EXPECT_THAT(model->Fit({&GermanCredit().x, GermanCredit().y, {}}, nullptr, context),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(calls, 3);
  EXPECT_FALSE(model->fitted());
}

}  // namespace
}  // namespace lepton::ml
