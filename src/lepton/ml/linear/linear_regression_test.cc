#include "lepton/ml/linear/linear_regression.h"

#include <bit>
#include <cmath>
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
using namespace ::lepton::ml::testing;  // NOLINT

// German credit: credit_amount from the other numeric columns, raw (not standardised).
const NumericData& CreditAmount() {
  static const NumericData* data = [] {
    absl::StatusOr<NumericData> d = ReadNumericCsv(
        StrCat(LEPTON_SHARED_DATA, "/credit/german_credit.csv"),
        {"duration", "installment_commitment", "residence_since", "age", "existing_credits",
         "num_dependents"},
        "credit_amount");
    LEPTON_CHECK_OK(d.status());
    return new NumericData(std::move(*d));
  }();
  return *data;
}

struct Case {
  std::string name;
  Json params;
  std::string sklearn;
  bool weighted;
};

const std::vector<Case>& Cases() {
  static const auto* cases = new std::vector<Case>{
      {"ols", Json::object(), "LinearRegression()", false},
      {"ridge", Json{{"alpha", 50.0}}, "Ridge(alpha=50.0)", false},
      {"weighted_ridge", Json{{"alpha", 5.0}}, "Ridge(alpha=5.0)", true},
      {"no_intercept", Json{{"fit_intercept", false}}, "LinearRegression(fit_intercept=False)",
       false}};
  return *cases;
}

std::vector<double> Weights() {
  std::vector<double> weights;
  for (int i = 0; i < 1000; ++i) weights.push_back(1.0 + i % 3);
  return weights;
}

// scikit-learn's coef followed by intercept for every case, fitted in one python3 run.
std::map<std::string, std::vector<double>> SklearnResults() {
  std::map<std::string, std::vector<double>> out;
  TempDir dir;
  WriteRaw(dir.path() / "x.f32", CreditAmount().x.values);
  WriteRaw(dir.path() / "y.f64", CreditAmount().y);
  WriteRaw(dir.path() / "w.f64", Weights());
  std::string cases;
  for (const Case& c : Cases()) {
    cases += StrCat("  ('", c.name, "', ", c.sklearn, ", ", c.weighted ? "True" : "False", "),\n");
  }
  const std::string script = StrCat(R"(
import sys, numpy as np
from sklearn.linear_model import LinearRegression, Ridge
d = sys.argv[1]
y = np.fromfile(d + '/y.f64', dtype=np.float64)
x = np.fromfile(d + '/x.f32', dtype=np.float32).reshape(len(y), -1).astype(np.float64)
w = np.fromfile(d + '/w.f64', dtype=np.float64)
for name, m, weighted in [
)", cases, R"(]:
    m.fit(x, y, sample_weight=w if weighted else None)
    np.concatenate([m.coef_.ravel(), np.ravel(m.intercept_)]).tofile(d + '/out_' + name + '.f64')
)");
  EXPECT_EQ(RunPython(dir, script), 0);
  for (const Case& c : Cases()) {
    out[c.name] = ReadRawDoubles(dir.path() / StrCat("out_", c.name, ".f64"));
  }
  return out;
}

std::unique_ptr<LinearRegression> FitLinear(const NumericData& data, const Json& params,
                                            const std::vector<double>& weights = {}) {
  absl::StatusOr<std::unique_ptr<LinearRegression>> model = LinearRegression::Create(params);
  LEPTON_CHECK_OK(model.status());
  FitContext context;
  context.task = Task::kRegression;
  EXPECT_OK((*model)->Fit({&data.x, data.y, weights}, nullptr, context));
  return std::move(*model);
}

TEST(LinearRegressionTest, MatchesScikitLearnOlsAndRidge) {
  if (!PythonHas("sklearn")) GTEST_SKIP() << "Debian python3 has no sklearn";
  const std::map<std::string, std::vector<double>> results = SklearnResults();
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.sklearn);
    std::unique_ptr<LinearRegression> model =
        FitLinear(CreditAmount(), c.params, c.weighted ? Weights() : std::vector<double>{});
    EXPECT_EQ(model->Params()["solver"], "cholesky");
    const std::vector<double>& expected = results.at(c.name);
    ASSERT_EQ(expected.size(), 7u);
    for (size_t j = 0; j < 6; ++j) {
      EXPECT_NEAR(model->coef()[j], expected[j], 1e-6 * std::max(1.0, std::fabs(expected[j])));
    }
    EXPECT_NEAR(model->intercept(), expected[6], 1e-6 * std::max(1.0, std::fabs(expected[6])));
  }
}


TEST(LinearRegressionTest, WideSparseInputUsesLbfgsAndFindsTheSameRidgeSolution) {
  NumericData narrow = CreditAmount();
  Standardize(&narrow.x);
  for (double& y : narrow.y) y /= 1000;
  std::unique_ptr<LinearRegression> direct = FitLinear(narrow, Json{{"alpha", 3.0}});
  // The same data plus 3000 columns that are always absent.
  NumericData wide{ToCsr(narrow.x), narrow.y};
  for (int j = 0; j < 3000; ++j) wide.x.columns.push_back(StrCat("text#", j));
  std::unique_ptr<LinearRegression> iterative =
      FitLinear(wide, Json{{"alpha", 3.0}, {"tol", 1e-10}});
  EXPECT_EQ(iterative->Params()["solver"], "lbfgs");
  for (size_t j = 0; j < 6; ++j) EXPECT_NEAR(iterative->coef()[j], direct->coef()[j], 1e-6);
  for (size_t j = 6; j < 3006; ++j) EXPECT_EQ(iterative->coef()[j], 0.0);
  EXPECT_NEAR(iterative->intercept(), direct->intercept(), 1e-6);
  EXPECT_EQ(iterative->Importance().size(), 6u);
}

TEST(LinearRegressionTest, SaveLoadAndContributions) {
  std::unique_ptr<LinearRegression> model = FitLinear(CreditAmount(), Json{{"alpha", 1.0}});
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string bytes, model->Save());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto loaded, LinearRegression::Load(bytes));
  const features::FeatureMatrix& x = CreditAmount().x;
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> before, model->Predict(x));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> after, loaded->Predict(x));
  ASSERT_EQ(before.size(), 1000u);
  for (size_t i = 0; i < before.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint64_t>(before[i]), std::bit_cast<uint64_t>(after[i]));
  }
  EXPECT_EQ(loaded->Params(), model->Params());
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<double> contrib, loaded->Contributions(x));
  for (size_t r = 0; r < 1000; ++r) {
    double sum = 0;
    for (size_t j = 0; j < 7; ++j) sum += contrib[r * 7 + j];
    EXPECT_NEAR(sum, before[r], 1e-9 * std::fabs(before[r]) + 1e-9);
  }
}

TEST(LinearRegressionTest, RejectsBadInput) {
  LEPTON_ASSERT_OK_AND_ASSIGN(auto model, LinearRegression::Create(Json::object()));
  FitContext context;
  context.task = Task::kRegression;
  NumericData data = CreditAmount();
  data.y[7] = std::nan("");
  EXPECT_THAT(model->Fit({&data.x, data.y, {}}, nullptr, context),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("row 7")));
  EXPECT_THAT(model->Fit({&CreditAmount().x, CreditAmount().y, {}}, nullptr, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LinearRegression::Create(Json{{"alpha", -1.0}}),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("linear.alpha")));
}

}  // namespace
}  // namespace lepton::ml
