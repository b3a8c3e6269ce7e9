#pragma once
// Shared pieces of the linear learners (logistic and linear regression): input validation, the
// effective sample weights, the fitted coefficients with their margin / contribution /
// importance arithmetic, and an exact text codec for doubles. Module-private.
//
// Thread-compatible; a fitted `LinearModel` is immutable and safe to read concurrently.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/features/matrix.h"

namespace lepton::ml::internal {

// OK when `x` is well formed (dense: rows * cols values; CSR: rows + 1 ascending offsets, column
// indices in range) and holds only finite values. InvalidArgument naming `what`, the row and
// the column otherwise (NaN included: pipelines impute before a linear learner).
absl::Status ValidateFiniteMatrix(const features::FeatureMatrix& x, std::string_view what);

// Hyperparameter JSON helpers. `CheckParamKeys`: InvalidArgument when `params` is not an
// object (null counts as empty) or has a key outside `known`. The readers leave `*out`
// unchanged when the key is absent and return InvalidArgument naming "<path>.<key>" for a
// wrong type.
absl::Status CheckParamKeys(const Json& params, std::span<const std::string_view> known,
                            std::string_view path);
absl::Status ReadNumberParam(const Json& params, std::string_view key, std::string_view path,
                             double* out);
absl::Status ReadIntParam(const Json& params, std::string_view key, std::string_view path,
                          int* out);
absl::Status ReadBoolParam(const Json& params, std::string_view key, std::string_view path,
                           bool* out);

// Non-throwing field reads for loading documents: the value, or "" / 0 when `doc` is not an
// object or the field is absent or of another type.
std::string StringField(const Json& doc, std::string_view key);
int64_t IntField(const Json& doc, std::string_view key);

// Exact text form of a double: C99 hexadecimal floating point ("0x1.8p+1"), which round-trips
// every value bit for bit (also "inf", "-inf", "nan").
std::string EncodeDouble(double v);
absl::StatusOr<double> DecodeDouble(std::string_view text);

// out[r * outputs + k] = x_r . coef_k + intercept[k], accumulated in double in column order
// (so equal inputs give bit-identical outputs). `coef` is outputs * x.cols(), row-major.
void ComputeMargins(const features::FeatureMatrix& x, std::span<const double> coef,
                    std::span<const double> intercept, int outputs, std::span<double> out);
// grad[k * cols + j] += sum_r resid[r * outputs + k] * x_rj.
void AccumulateGradient(const features::FeatureMatrix& x, std::span<const double> resid,
                        int outputs, std::span<double> grad);

// The fitted coefficients of a linear model with `outputs` margins per row (1 for binary and
// regression, K for softmax): `coef` is outputs * columns.size(), row-major by output.
struct LinearModel {
  std::vector<std::string> columns;
  int outputs = 1;
  std::vector<double> coef;
  std::vector<double> intercept;  // one per output

  int64_t cols() const { return static_cast<int64_t>(columns.size()); }
  // InvalidArgument unless `x` has `cols()` columns (and is well formed and finite).
  absl::Status CheckInput(const features::FeatureMatrix& x) const;
  // rows * outputs margins (x · coef_k + intercept_k), accumulated in double, row by row in
  // column order, so equal inputs give bit-identical outputs.
  std::vector<double> Margins(const features::FeatureMatrix& x) const;
  // rows * (cols + 1): coef_j * x_ij, then the intercept. Single-output models only.
  std::vector<double> Contributions(const features::FeatureMatrix& x) const;
  // {column: sum over outputs of |coef|}, zero coefficients omitted (L1 and hashed text leave
  // most of them at zero).
  Json Importance() const;

  Json ToJson() const;
  // InvalidArgument naming `path` for malformed input.
  static absl::StatusOr<LinearModel> FromJson(const Json& value, std::string_view path);
};

}  // namespace lepton::ml::internal
