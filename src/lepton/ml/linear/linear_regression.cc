#include "lepton/ml/linear/linear_regression.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/linear/internal/owlqn.h"
#include "lepton/ml/linear/weights.h"

namespace lepton::ml {
namespace {

constexpr std::string_view kFormat = "lepton.linear";
constexpr int kFormatVersion = 1;

// Solves a * x = b in place for a symmetric positive definite `a` (n x n, row-major; its lower
// triangle is overwritten by the Cholesky factor). False when `a` is not numerically positive
// definite.
bool CholeskySolve(std::vector<double>& a, std::vector<double>& b, size_t n) {
  double max_diag = 0;
  for (size_t i = 0; i < n; ++i) max_diag = std::max(max_diag, a[i * n + i]);
  const double floor = 1e-12 * std::max(max_diag, 1e-300);
  for (size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > floor)) return false;
    const double l = std::sqrt(d);
    a[j * n + j] = l;
    for (size_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (size_t k = 0; k < j; ++k) v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / l;
    }
  }
  for (size_t i = 0; i < n; ++i) {  // L z = b
    double v = b[i];
    for (size_t k = 0; k < i; ++k) v -= a[i * n + k] * b[k];
    b[i] = v / a[i * n + i];
  }
  for (size_t i = n; i-- > 0;) {  // L' x = z
    double v = b[i];
    for (size_t k = i + 1; k < n; ++k) v -= a[k * n + i] * b[k];
    b[i] = v / a[i * n + i];
  }
  return true;
}

}  // namespace

absl::StatusOr<LinearRegressionOptions> LinearRegression::ParseOptions(const Json& params) {
  static constexpr std::array<std::string_view, 5> kKeys = {"alpha", "fit_intercept", "max_iter",
                                                            "tol", "solver"};
  const std::string_view path = "linear";
  LEPTON_RETURN_IF_ERROR(internal::CheckParamKeys(params, kKeys, path));
  LinearRegressionOptions o;
  LEPTON_RETURN_IF_ERROR(internal::ReadNumberParam(params, "alpha", path, &o.alpha));
  LEPTON_RETURN_IF_ERROR(internal::ReadBoolParam(params, "fit_intercept", path, &o.fit_intercept));
  LEPTON_RETURN_IF_ERROR(internal::ReadIntParam(params, "max_iter", path, &o.max_iter));
  LEPTON_RETURN_IF_ERROR(internal::ReadNumberParam(params, "tol", path, &o.tol));
  if (!(o.alpha >= 0)) return absl::InvalidArgumentError("linear.alpha: must be >= 0");
  if (o.max_iter < 1) return absl::InvalidArgumentError("linear.max_iter: must be >= 1");
  if (!(o.tol > 0)) return absl::InvalidArgumentError("linear.tol: must be > 0");
  return o;
}

absl::StatusOr<std::unique_ptr<LinearRegression>> LinearRegression::Create(const Json& params) {
  LEPTON_ASSIGN_OR_RETURN(LinearRegressionOptions options, ParseOptions(params));
  return std::make_unique<LinearRegression>(options);
}

Json LinearRegression::Params() const {
  return Json{{"alpha", options_.alpha},       {"fit_intercept", options_.fit_intercept},
              {"max_iter", options_.max_iter}, {"tol", options_.tol},
              {"solver", solver_}};
}

absl::Status LinearRegression::Fit(const LabeledData& train, const LabeledData* valid,
                                   const FitContext& context) {
  if (context.task != Task::kRegression) {
    return absl::InvalidArgumentError(
        "linear regression needs a regression task (use logistic for classification)");
  }
  if (train.x == nullptr) return absl::InvalidArgumentError("train: no feature matrix");
  const features::FeatureMatrix& x = *train.x;
  LEPTON_RETURN_IF_ERROR(internal::ValidateFiniteMatrix(x, "train"));
  LEPTON_RETURN_IF_ERROR(ValidateLabels(train.y, train.weights, x.rows, 0, "train"));
  if (valid != nullptr && valid->x != nullptr && valid->x->cols() != x.cols()) {
    return absl::InvalidArgumentError(
        StrCat("valid has ", valid->x->cols(), " columns but train has ", x.cols()));
  }
  const auto n = static_cast<size_t>(x.rows);
  const auto p = static_cast<size_t>(x.cols());
  const std::vector<double> s = EffectiveWeights(train.y, train.weights, 0, ClassWeight{});
  double total_weight = 0;
  for (double v : s) total_weight += v;

  // Weighted means (zero without an intercept: no centring).
  std::vector<double> x_mean(p, 0.0);
  double y_mean = 0;
  if (options_.fit_intercept) {
    for (size_t r = 0; r < n; ++r) {
      y_mean += s[r] * train.y[r];
      if (!x.sparse) {
        const float* row = x.values.data() + r * p;
        for (size_t j = 0; j < p; ++j) x_mean[j] += s[r] * static_cast<double>(row[j]);
      } else {
        for (auto i = static_cast<size_t>(x.row_offsets[r]);
             i < static_cast<size_t>(x.row_offsets[r + 1]); ++i) {
          x_mean[x.col_indices[i]] += s[r] * static_cast<double>(x.values[i]);
        }
      }
    }
    y_mean /= total_weight;
    for (double& v : x_mean) v /= total_weight;
  }

  std::vector<double> coef;
  bool solved = false;
  if (static_cast<int64_t>(p) <= kMaxDirectColumns) {
    std::vector<double> gram(p * p, 0.0);
    std::vector<double> rhs(p, 0.0);
    std::vector<double> centred(p);
    for (size_t r = 0; r < n; ++r) {
      if (s[r] == 0) continue;
      const double yc = train.y[r] - y_mean;
      if (!x.sparse) {
        const float* row = x.values.data() + r * p;
        for (size_t j = 0; j < p; ++j) centred[j] = static_cast<double>(row[j]) - x_mean[j];
        for (size_t i = 0; i < p; ++i) {
          const double si = s[r] * centred[i];
          rhs[i] += si * yc;
          double* g = gram.data() + i * p;
          for (size_t j = 0; j <= i; ++j) g[j] += si * centred[j];
        }
      } else {
        // Uncentred sums; centred below (X'SX - W m m', X'S y_c - W m * 0).
        const auto b = static_cast<size_t>(x.row_offsets[r]);
        const auto e = static_cast<size_t>(x.row_offsets[r + 1]);
        for (size_t a = b; a < e; ++a) {
          const double si = s[r] * static_cast<double>(x.values[a]);
          rhs[x.col_indices[a]] += si * yc;
          for (size_t c = b; c < e; ++c) {
            const size_t i = x.col_indices[a];
            const size_t j = x.col_indices[c];
            if (j <= i) gram[i * p + j] += si * static_cast<double>(x.values[c]);
          }
        }
      }
    }
    if (x.sparse && options_.fit_intercept) {
      for (size_t i = 0; i < p; ++i) {
        for (size_t j = 0; j <= i; ++j) gram[i * p + j] -= total_weight * x_mean[i] * x_mean[j];
      }
    }
    for (size_t i = 0; i < p; ++i) {
      gram[i * p + i] += options_.alpha;
      for (size_t j = i + 1; j < p; ++j) gram[i * p + j] = gram[j * p + i];
    }
    if (CholeskySolve(gram, rhs, p)) {
      coef = std::move(rhs);
      solved = true;
      solver_ = "cholesky";
    }
    if (context.progress && !context.progress(1, 1, Json::object())) {
      return absl::CancelledError("fit cancelled");
    }
  }
  if (!solved) {
    // Objective / (2W): mean squared error / 2 + alpha / (2W) ||w||^2 over [w, b].
    std::vector<double> resid(n);
    const double l2 = options_.alpha / total_weight;
    const bool fit_intercept = options_.fit_intercept;
    internal::SmoothObjective objective = [&](std::span<const double> w, std::span<double> grad) {
      std::vector<double> z(n);
      internal::ComputeMargins(x, w.first(p), w.subspan(p), 1, z);
      double loss = 0;
      for (size_t r = 0; r < n; ++r) {
        const double e = z[r] - train.y[r];
        loss += 0.5 * s[r] / total_weight * e * e;
        resid[r] = s[r] / total_weight * e;
      }
      std::fill(grad.begin(), grad.end(), 0.0);
      internal::AccumulateGradient(x, resid, 1, grad.first(p));
      double gb = 0;
      if (fit_intercept) {
        for (double v : resid) gb += v;
      }
      grad[p] = gb;
      double sq = 0;
      for (size_t j = 0; j < p; ++j) {
        sq += w[j] * w[j];
        grad[j] += l2 * w[j];
      }
      return loss + 0.5 * l2 * sq;
    };
    std::vector<double> w(p + 1, 0.0);
    std::vector<double> no_l1(p + 1, 0.0);
    internal::OwlqnOptions solver_options;
    solver_options.max_iter = options_.max_iter;
    solver_options.tol = options_.tol;
    internal::IterationCallback on_iteration;
    if (context.progress) {
      on_iteration = [&](int iteration, double value) {
        return context.progress(iteration, options_.max_iter, Json{{"train_objective", value}});
      };
    }
    LEPTON_RETURN_IF_ERROR(
        internal::MinimizeOwlqn(objective, no_l1, &w, solver_options, on_iteration).status());
    coef.assign(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(p));
    // The iterate's own intercept; no centring on this path.
    x_mean.assign(p, 0.0);
    y_mean = w[p];
    solver_ = "lbfgs";
  }
  double b = 0;
  if (options_.fit_intercept) {
    b = y_mean;
    for (size_t j = 0; j < p; ++j) b -= x_mean[j] * coef[j];
  }
  model_.columns = x.columns;
  model_.outputs = 1;
  model_.coef = std::move(coef);
  model_.intercept = {b};
  fitted_ = true;
  return absl::OkStatus();
}

absl::Status LinearRegression::CheckFitted() const {
  if (!fitted_) return absl::FailedPreconditionError("linear model is not fitted");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> LinearRegression::Predict(
    const features::FeatureMatrix& x) const {
  LEPTON_RETURN_IF_ERROR(CheckFitted());
  LEPTON_RETURN_IF_ERROR(model_.CheckInput(x));
  return model_.Margins(x);
}

absl::StatusOr<std::vector<double>> LinearRegression::Contributions(
    const features::FeatureMatrix& x) const {
  LEPTON_RETURN_IF_ERROR(CheckFitted());
  LEPTON_RETURN_IF_ERROR(model_.CheckInput(x));
  return model_.Contributions(x);
}

Json LinearRegression::Importance() const {
  if (!fitted_) return Json::object();
  return model_.Importance();
}

absl::StatusOr<std::string> LinearRegression::Save() const {
  LEPTON_RETURN_IF_ERROR(CheckFitted());
  return DumpJson(Json{{"format", kFormat},
                       {"version", kFormatVersion},
                       {"params", Params()},
                       {"model", model_.ToJson()}});
}

absl::StatusOr<std::unique_ptr<LinearRegression>> LinearRegression::Load(std::string_view bytes) {
  absl::StatusOr<Json> parsed = ParseJson(bytes);
  if (!parsed.ok()) return Annotate(parsed.status(), "loading linear model");
  const Json& doc = *parsed;
  if (internal::StringField(doc, "format") != kFormat) {
    return absl::InvalidArgumentError("loading linear model: not a lepton.linear document");
  }
  if (internal::IntField(doc, "version") != kFormatVersion) {
    return absl::InvalidArgumentError("loading linear model: unsupported format version");
  }
  Json params = doc.contains("params") ? doc["params"] : Json::object();
  std::string solver = internal::StringField(params, "solver");
  if (params.is_object()) params.erase("solver");
  LEPTON_ASSIGN_OR_RETURN(LinearRegressionOptions options, ParseOptions(params));
  auto out = std::make_unique<LinearRegression>(options);
  out->solver_ = solver;
  LEPTON_ASSIGN_OR_RETURN(
      out->model_,
      internal::LinearModel::FromJson(doc.contains("model") ? doc["model"] : Json(), "model"));
  if (out->model_.outputs != 1) {
    return absl::InvalidArgumentError("loading linear model: expected one output");
  }
  out->fitted_ = true;
  return out;
}

}  // namespace lepton::ml
