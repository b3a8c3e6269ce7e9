#include "lepton/ml/linear/logistic.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/linear/internal/owlqn.h"

namespace lepton::ml {
namespace {

constexpr std::string_view kFormat = "lepton.logistic";
constexpr int kFormatVersion = 1;

// log(1 + exp(z)) without overflow.
double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// Softmax of `z` (size k) into `p`; returns log(sum(exp(z))).
double Softmax(const double* z, size_t k, double* p) {
  double max_z = z[0];
  for (size_t i = 1; i < k; ++i) max_z = std::max(max_z, z[i]);
  double sum = 0;
  for (size_t i = 0; i < k; ++i) {
    p[i] = std::exp(z[i] - max_z);
    sum += p[i];
  }
  for (size_t i = 0; i < k; ++i) p[i] /= sum;
  return max_z + std::log(sum);
}

}  // namespace

std::string_view PenaltyName(Penalty penalty) {
  switch (penalty) {
    case Penalty::kNone: return "none";
    case Penalty::kL2: return "l2";
    case Penalty::kL1: return "l1";
    case Penalty::kElasticNet: return "elasticnet";
  }
  return "l2";
}

absl::StatusOr<Penalty> ParsePenalty(std::string_view name) {
  if (name == "none") return Penalty::kNone;
  if (name == "l2") return Penalty::kL2;
  if (name == "l1") return Penalty::kL1;
  if (name == "elasticnet") return Penalty::kElasticNet;
  return absl::InvalidArgumentError(
      StrCat("unknown penalty \"", name, "\" (expected l2, l1, elasticnet or none)"));
}

absl::StatusOr<LogisticOptions> LogisticRegression::ParseOptions(const Json& params) {
  static constexpr std::array<std::string_view, 8> kKeys = {
      "penalty", "C", "l1_ratio", "fit_intercept", "class_weight", "max_iter", "tol", "solver"};
  const std::string_view path = "logistic";
  LEPTON_RETURN_IF_ERROR(internal::CheckParamKeys(params, kKeys, path));
  LogisticOptions o;
  if (params.is_object() && params.contains("penalty")) {
    if (!params["penalty"].is_string()) {
      return absl::InvalidArgumentError("logistic.penalty: expected a string");
    }
    absl::StatusOr<Penalty> penalty = ParsePenalty(params["penalty"].get<std::string>());
    if (!penalty.ok()) return Annotate(penalty.status(), "logistic.penalty");
    o.penalty = *penalty;
  }
  if (params.is_object() && params.contains("solver") &&
      params["solver"] != Json("owlqn")) {
    return absl::InvalidArgumentError("logistic.solver: only \"owlqn\" is available");
  }
  LEPTON_RETURN_IF_ERROR(internal::ReadNumberParam(params, "C", path, &o.c));
  LEPTON_RETURN_IF_ERROR(internal::ReadNumberParam(params, "l1_ratio", path, &o.l1_ratio));
  LEPTON_RETURN_IF_ERROR(internal::ReadBoolParam(params, "fit_intercept", path, &o.fit_intercept));
  LEPTON_RETURN_IF_ERROR(internal::ReadIntParam(params, "max_iter", path, &o.max_iter));
  LEPTON_RETURN_IF_ERROR(internal::ReadNumberParam(params, "tol", path, &o.tol));
  if (params.is_object() && params.contains("class_weight")) {
    LEPTON_ASSIGN_OR_RETURN(o.class_weight,
                            ParseClassWeight(params["class_weight"], "logistic.class_weight"));
  }
  if (!(o.c > 0)) return absl::InvalidArgumentError("logistic.C: must be > 0");
  if (!(o.l1_ratio >= 0 && o.l1_ratio <= 1)) {
    return absl::InvalidArgumentError("logistic.l1_ratio: must be in [0, 1]");
  }
  if (o.max_iter < 1) return absl::InvalidArgumentError("logistic.max_iter: must be >= 1");
  if (!(o.tol > 0)) return absl::InvalidArgumentError("logistic.tol: must be > 0");
  return o;
}

absl::StatusOr<std::unique_ptr<LogisticRegression>> LogisticRegression::Create(
    const Json& params) {
  LEPTON_ASSIGN_OR_RETURN(LogisticOptions options, ParseOptions(params));
  return std::make_unique<LogisticRegression>(std::move(options));
}

Json LogisticRegression::Params() const {
  return Json{{"penalty", PenaltyName(options_.penalty)},
              {"C", options_.c},
              {"l1_ratio", options_.l1_ratio},
              {"fit_intercept", options_.fit_intercept},
              {"class_weight", ClassWeightToJson(options_.class_weight)},
              {"max_iter", options_.max_iter},
              {"tol", options_.tol},
              {"solver", "owlqn"}};
}

absl::Status LogisticRegression::Fit(const LabeledData& train, const LabeledData* valid,
                                     const FitContext& context) {
  if (context.task == Task::kRegression) {
    return absl::InvalidArgumentError(
        "logistic regression needs a binary or multiclass task (use linear for regression)");
  }
  const int k = context.task == Task::kBinary ? 2 : context.num_classes;
  if (k < 2) {
    return absl::InvalidArgumentError(
        StrCat("multiclass task needs num_classes >= 2, got ", context.num_classes));
  }
  if (train.x == nullptr) return absl::InvalidArgumentError("train: no feature matrix");
  const features::FeatureMatrix& x = *train.x;
  LEPTON_RETURN_IF_ERROR(internal::ValidateFiniteMatrix(x, "train"));
  LEPTON_RETURN_IF_ERROR(ValidateLabels(train.y, train.weights, x.rows, k, "train"));
  if (valid != nullptr && valid->x != nullptr) {
    if (valid->x->cols() != x.cols()) {
      return absl::InvalidArgumentError(StrCat("valid has ", valid->x->cols(),
                                               " columns but train has ", x.cols()));
    }
    LEPTON_RETURN_IF_ERROR(internal::ValidateFiniteMatrix(*valid->x, "valid"));
    LEPTON_RETURN_IF_ERROR(ValidateLabels(valid->y, valid->weights, valid->x->rows, k, "valid"));
  }
  if (k == 2) {
    const bool has0 = std::find(train.y.begin(), train.y.end(), 0.0) != train.y.end();
    const bool has1 = std::find(train.y.begin(), train.y.end(), 1.0) != train.y.end();
    if (!has0 || !has1) {
      return absl::InvalidArgumentError(
          StrCat("train: every label is ", has0 ? 0 : 1, "; a binary model needs both classes"));
    }
  }

  const std::vector<double> s = EffectiveWeights(train.y, train.weights, k, options_.class_weight);
  double total_weight = 0;
  for (double v : s) total_weight += v;
  if (!(total_weight > 0)) {
    return absl::InvalidArgumentError("train: the class and sample weights are all 0");
  }
  const int m = k == 2 ? 1 : k;
  const auto p = static_cast<size_t>(x.cols());
  const size_t num_coef = static_cast<size_t>(m) * p;
  const auto n = static_cast<size_t>(x.rows);

  // Penalty weights of the objective divided by C * sum(s).
  double l1_strength = 0;
  double l2_strength = 0;
  switch (options_.penalty) {
    case Penalty::kNone: break;
    case Penalty::kL2: l2_strength = 1.0; break;
    case Penalty::kL1: l1_strength = 1.0; break;
    case Penalty::kElasticNet:
      l1_strength = options_.l1_ratio;
      l2_strength = 1.0 - options_.l1_ratio;
      break;
  }
  const double scale = 1.0 / (options_.c * total_weight);
  l1_strength *= scale;
  l2_strength *= scale;

  std::vector<double> margins(n * static_cast<size_t>(m));
  std::vector<double> resid(n * static_cast<size_t>(m));
  std::vector<double> probs(static_cast<size_t>(m));
  const bool fit_intercept = options_.fit_intercept;
  internal::SmoothObjective objective = [&](std::span<const double> w, std::span<double> grad) {
    const std::span<const double> coef = w.first(num_coef);
    const std::span<const double> icpt = w.subspan(num_coef);
    internal::ComputeMargins(x, coef, icpt, m, margins);
    double loss = 0;
    for (size_t r = 0; r < n; ++r) {
      const double weight = s[r] / total_weight;
      const auto y = static_cast<size_t>(train.y[r]);
      double* res = resid.data() + r * static_cast<size_t>(m);
      if (m == 1) {
        const double z = margins[r];
        loss += weight * (Softplus(z) - (y == 1 ? z : 0.0));
        res[0] = weight * (Sigmoid(z) - static_cast<double>(y));
      } else {
        const double* z = margins.data() + r * static_cast<size_t>(m);
        const double lse = Softmax(z, static_cast<size_t>(m), probs.data());
        loss += weight * (lse - z[y]);
        for (size_t c = 0; c < static_cast<size_t>(m); ++c) {
          res[c] = weight * (probs[c] - (c == y ? 1.0 : 0.0));
        }
      }
    }
    std::fill(grad.begin(), grad.end(), 0.0);
    internal::AccumulateGradient(x, resid, m, grad.first(num_coef));
    for (size_t c = 0; c < static_cast<size_t>(m); ++c) {
      double g = 0;
      if (fit_intercept) {
        for (size_t r = 0; r < n; ++r) g += resid[r * static_cast<size_t>(m) + c];
      }
      grad[num_coef + c] = g;
    }
    if (l2_strength > 0) {
      double sq = 0;
      for (size_t j = 0; j < num_coef; ++j) {
        sq += w[j] * w[j];
        grad[j] += l2_strength * w[j];
      }
      loss += 0.5 * l2_strength * sq;
    }
    return loss;
  };
  std::vector<double> l1(num_coef + static_cast<size_t>(m), 0.0);
  std::fill(l1.begin(), l1.begin() + static_cast<std::ptrdiff_t>(num_coef), l1_strength);
  std::vector<double> w(num_coef + static_cast<size_t>(m), 0.0);
  internal::OwlqnOptions solver_options;
  solver_options.max_iter = options_.max_iter;
  solver_options.tol = options_.tol;
  internal::IterationCallback on_iteration;
  if (context.progress) {
    on_iteration = [&](int iteration, double value) {
      return context.progress(iteration, options_.max_iter, Json{{"train_objective", value}});
    };
  }
  LEPTON_ASSIGN_OR_RETURN(internal::OwlqnResult result,
                          internal::MinimizeOwlqn(objective, l1, &w, solver_options, on_iteration));

  model_.columns = x.columns;
  model_.outputs = m;
  model_.coef.assign(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(num_coef));
  model_.intercept.assign(w.begin() + static_cast<std::ptrdiff_t>(num_coef), w.end());
  task_ = context.task;
  num_classes_ = k;
  iterations_ = result.iterations;
  converged_ = result.converged;
  fitted_ = true;
  return absl::OkStatus();
}

absl::Status LogisticRegression::CheckFitted() const {
  if (!fitted_) return absl::FailedPreconditionError("logistic model is not fitted");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> LogisticRegression::Margins(
    const features::FeatureMatrix& x) const {
  LEPTON_RETURN_IF_ERROR(CheckFitted());
  LEPTON_RETURN_IF_ERROR(model_.CheckInput(x));
  return model_.Margins(x);
}

absl::StatusOr<std::vector<double>> LogisticRegression::Predict(
    const features::FeatureMatrix& x) const {
  LEPTON_ASSIGN_OR_RETURN(std::vector<double> z, Margins(x));
  if (model_.outputs == 1) {
    for (double& v : z) v = Sigmoid(v);
    return z;
  }
  const auto m = static_cast<size_t>(model_.outputs);
  std::vector<double> p(m);
  for (size_t r = 0; r < static_cast<size_t>(x.rows); ++r) {
    Softmax(z.data() + r * m, m, p.data());
    std::copy(p.begin(), p.end(), z.begin() + static_cast<std::ptrdiff_t>(r * m));
  }
  return z;
}

absl::StatusOr<std::vector<double>> LogisticRegression::Contributions(
    const features::FeatureMatrix& x) const {
  LEPTON_RETURN_IF_ERROR(CheckFitted());
  if (model_.outputs != 1) {
    return absl::UnimplementedError("logistic contributions are defined for binary models only");
  }
  LEPTON_RETURN_IF_ERROR(model_.CheckInput(x));
  return model_.Contributions(x);
}

Json LogisticRegression::Importance() const {
  if (!fitted_) return Json::object();
  return model_.Importance();
}

absl::StatusOr<std::string> LogisticRegression::Save() const {
  LEPTON_RETURN_IF_ERROR(CheckFitted());
  Json doc{{"format", kFormat},
           {"version", kFormatVersion},
           {"task", TaskName(task_)},
           {"num_classes", num_classes_},
           {"params", Params()},
           {"iterations", iterations_},
           {"converged", converged_},
           {"model", model_.ToJson()}};
  return DumpJson(doc);
}

absl::StatusOr<std::unique_ptr<LogisticRegression>> LogisticRegression::Load(
    std::string_view bytes) {
  absl::StatusOr<Json> parsed = ParseJson(bytes);
  if (!parsed.ok()) return Annotate(parsed.status(), "loading logistic model");
  const Json& doc = *parsed;
  if (!doc.is_object() || internal::StringField(doc, "format") != kFormat) {
    return absl::InvalidArgumentError("loading logistic model: not a lepton.logistic document");
  }
  if (internal::IntField(doc, "version") != kFormatVersion) {
    return absl::InvalidArgumentError("loading logistic model: unsupported format version");
  }
  LEPTON_ASSIGN_OR_RETURN(LogisticOptions options,
                          ParseOptions(doc.contains("params") ? doc["params"] : Json()));
  auto out = std::make_unique<LogisticRegression>(std::move(options));
  LEPTON_ASSIGN_OR_RETURN(out->task_, ParseTask(internal::StringField(doc, "task")));
  out->num_classes_ = static_cast<int>(internal::IntField(doc, "num_classes"));
  LEPTON_ASSIGN_OR_RETURN(
      out->model_,
      internal::LinearModel::FromJson(doc.contains("model") ? doc["model"] : Json(), "model"));
  const int expected_outputs = out->num_classes_ == 2 ? 1 : out->num_classes_;
  if (out->task_ == Task::kRegression || out->num_classes_ < 2 ||
      out->model_.outputs != expected_outputs) {
    return absl::InvalidArgumentError(
        "loading logistic model: task, num_classes and model outputs disagree");
  }
  out->iterations_ = static_cast<int>(internal::IntField(doc, "iterations"));
  out->converged_ = doc.contains("converged") && doc["converged"] == Json(true);
  out->fitted_ = true;
  return out;
}

}  // namespace lepton::ml
