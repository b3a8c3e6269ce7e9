#include "lepton/train/learner_factory.h"

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/linear/linear_regression.h"
#include "lepton/ml/linear/logistic.h"
#include "lepton/ml/xgboost/xgboost.h"

namespace lepton::train {
namespace {

absl::Status Unknown(std::string_view flavor) {
  if (flavor == "mlp" || flavor == "torchscript") {
    return absl::InvalidArgumentError(
        StrCat("flavor ", flavor, ": not available in this build (libtorch learners)"));
  }
  return absl::InvalidArgumentError(
      StrCat("flavor \"", flavor, "\": expected one of \"logistic\", \"linear\", \"xgboost\""));
}

template <typename T>
absl::StatusOr<std::unique_ptr<ml::Learner>> Up(absl::StatusOr<std::unique_ptr<T>> l) {
  if (!l.ok()) return l.status();
  return std::unique_ptr<ml::Learner>(std::move(*l));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ml::Learner>> MakeLearner(std::string_view flavor,
                                                         const Json& params) {
  if (flavor == "logistic") return Up(ml::LogisticRegression::Create(params));
  if (flavor == "linear") return Up(ml::LinearRegression::Create(params));
  if (flavor == "xgboost") return Up(ml::XGBoostLearner::Create(params));
  return Unknown(flavor);
}

absl::StatusOr<std::unique_ptr<ml::Learner>> LoadLearner(std::string_view flavor,
                                                         std::string_view bytes) {
  if (flavor == "logistic") return Up(ml::LogisticRegression::Load(bytes));
  if (flavor == "linear") return Up(ml::LinearRegression::Load(bytes));
  if (flavor == "xgboost") return Up(ml::XGBoostLearner::Load(bytes));
  return Unknown(flavor);
}

std::string ModelFileName(std::string_view flavor) {
  return flavor == "xgboost" ? "model.ubj" : "model.json";
}

bool SupportsEarlyStopping(std::string_view flavor) { return flavor == "xgboost"; }

}  // namespace lepton::train
