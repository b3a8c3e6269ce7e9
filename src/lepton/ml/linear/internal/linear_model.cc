#include "lepton/ml/linear/internal/linear_model.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <climits>
#include <cstdint>
#include <cstdlib>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::ml::internal {

absl::Status ValidateFiniteMatrix(const features::FeatureMatrix& x, std::string_view what) {
  if (x.rows < 0) return absl::InvalidArgumentError(StrCat(what, ": negative row count"));
  const int64_t cols = x.cols();
  if (!x.sparse) {
    if (static_cast<int64_t>(x.values.size()) != x.rows * cols) {
      return absl::InvalidArgumentError(StrCat(what, ": dense matrix has ", x.values.size(),
                                               " values for ", x.rows, " rows x ", cols,
                                               " columns"));
    }
    for (size_t i = 0; i < x.values.size(); ++i) {
      if (!std::isfinite(x.values[i])) {
        const int64_t r = static_cast<int64_t>(i) / std::max<int64_t>(cols, 1);
        const int64_t c = static_cast<int64_t>(i) % std::max<int64_t>(cols, 1);
        return absl::InvalidArgumentError(
            StrCat(what, ": row ", r, ", column \"", x.columns[static_cast<size_t>(c)],
                   "\" is ", std::isnan(x.values[i]) ? "NaN (missing)" : "infinite",
                   "; impute missing values before a linear learner"));
      }
    }
    return absl::OkStatus();
  }
  if (static_cast<int64_t>(x.row_offsets.size()) != x.rows + 1 || x.row_offsets.front() != 0 ||
      x.row_offsets.back() != static_cast<int64_t>(x.values.size()) ||
      x.col_indices.size() != x.values.size()) {
    return absl::InvalidArgumentError(StrCat(what, ": malformed CSR matrix (", x.rows, " rows, ",
                                             x.row_offsets.size(), " offsets, ",
                                             x.values.size(), " values, ", x.col_indices.size(),
                                             " column indices)"));
  }
  for (int64_t r = 0; r < x.rows; ++r) {
    const int64_t b = x.row_offsets[static_cast<size_t>(r)];
    const int64_t e = x.row_offsets[static_cast<size_t>(r) + 1];
    if (e < b) {
      return absl::InvalidArgumentError(StrCat(what, ": CSR row offsets decrease at row ", r));
    }
    for (int64_t k = b; k < e; ++k) {
      const uint32_t c = x.col_indices[static_cast<size_t>(k)];
      if (c >= static_cast<uint64_t>(cols)) {
        return absl::InvalidArgumentError(
            StrCat(what, ": row ", r, " has column index ", c, " but the matrix has ", cols,
                   " columns"));
      }
      const float v = x.values[static_cast<size_t>(k)];
      if (!std::isfinite(v)) {
        return absl::InvalidArgumentError(
            StrCat(what, ": row ", r, ", column \"", x.columns[c], "\" is ",
                   std::isnan(v) ? "NaN (missing)" : "infinite",
                   "; impute missing values before a linear learner"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckParamKeys(const Json& params, std::span<const std::string_view> known,
                            std::string_view path) {
  if (params.is_null()) return absl::OkStatus();
  if (!params.is_object()) return absl::InvalidArgumentError(StrCat(path, ": expected an object"));
  for (const auto& [key, value] : params.items()) {
    if (std::find(known.begin(), known.end(), std::string_view(key)) == known.end()) {
      return absl::InvalidArgumentError(StrCat(path, ".", key, ": unknown parameter (known: ",
                                               StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadNumberParam(const Json& params, std::string_view key, std::string_view path,
                             double* out) {
  if (!params.is_object()) return absl::OkStatus();
  auto it = params.find(std::string(key));
  if (it == params.end()) return absl::OkStatus();
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    return absl::InvalidArgumentError(StrCat(path, ".", key, ": expected a finite number"));
  }
  *out = it->get<double>();
  return absl::OkStatus();
}

absl::Status ReadIntParam(const Json& params, std::string_view key, std::string_view path,
                          int* out) {
  if (!params.is_object()) return absl::OkStatus();
  auto it = params.find(std::string(key));
  if (it == params.end()) return absl::OkStatus();
  if (!it->is_number_integer() || it->get<int64_t>() < INT32_MIN ||
      it->get<int64_t>() > INT32_MAX) {
    return absl::InvalidArgumentError(StrCat(path, ".", key, ": expected an integer"));
  }
  *out = static_cast<int>(it->get<int64_t>());
  return absl::OkStatus();
}

absl::Status ReadBoolParam(const Json& params, std::string_view key, std::string_view path,
                           bool* out) {
  if (!params.is_object()) return absl::OkStatus();
  auto it = params.find(std::string(key));
  if (it == params.end()) return absl::OkStatus();
  if (!it->is_boolean()) {
    return absl::InvalidArgumentError(StrCat(path, ".", key, ": expected true or false"));
  }
  *out = it->get<bool>();
  return absl::OkStatus();
}

std::string StringField(const Json& doc, std::string_view key) {
  if (!doc.is_object()) return "";
  auto it = doc.find(std::string(key));
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

int64_t IntField(const Json& doc, std::string_view key) {
  if (!doc.is_object()) return 0;
  auto it = doc.find(std::string(key));
  return it != doc.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::string EncodeDouble(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%a", v);
  return buf;
}

absl::StatusOr<double> DecodeDouble(std::string_view text) {
  const std::string s(text);
  if (s == "nan") return std::nan("");
  if (s == "inf") return HUGE_VAL;
  if (s == "-inf") return -HUGE_VAL;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE) {
    return absl::InvalidArgumentError(StrCat("\"", s, "\" is not a hexadecimal float"));
  }
  return v;
}

absl::Status LinearModel::CheckInput(const features::FeatureMatrix& x) const {
  if (x.cols() != cols()) {
    return absl::InvalidArgumentError(StrCat("input has ", x.cols(),
                                             " columns but the model was fitted on ", cols()));
  }
  return ValidateFiniteMatrix(x, "input");
}

void ComputeMargins(const features::FeatureMatrix& x, std::span<const double> coef,
                    std::span<const double> intercept, int outputs, std::span<double> out) {
  const auto p = static_cast<size_t>(x.cols());
  const auto m = static_cast<size_t>(outputs);
  for (int64_t r = 0; r < x.rows; ++r) {
    for (size_t k = 0; k < m; ++k) {
      const double* w = coef.data() + k * p;
      double z = 0;
      if (!x.sparse) {
        const float* row = x.values.data() + static_cast<size_t>(r) * p;
        for (size_t j = 0; j < p; ++j) z += w[j] * static_cast<double>(row[j]);
      } else {
        const auto b = static_cast<size_t>(x.row_offsets[static_cast<size_t>(r)]);
        const auto e = static_cast<size_t>(x.row_offsets[static_cast<size_t>(r) + 1]);
        for (size_t i = b; i < e; ++i) z += w[x.col_indices[i]] * static_cast<double>(x.values[i]);
      }
      out[static_cast<size_t>(r) * m + k] = z + intercept[k];
    }
  }
}

void AccumulateGradient(const features::FeatureMatrix& x, std::span<const double> resid,
                        int outputs, std::span<double> grad) {
  const auto p = static_cast<size_t>(x.cols());
  const auto m = static_cast<size_t>(outputs);
  for (int64_t r = 0; r < x.rows; ++r) {
    for (size_t k = 0; k < m; ++k) {
      const double g = resid[static_cast<size_t>(r) * m + k];
      if (g == 0) continue;
      double* out = grad.data() + k * p;
      if (!x.sparse) {
        const float* row = x.values.data() + static_cast<size_t>(r) * p;
        for (size_t j = 0; j < p; ++j) out[j] += g * static_cast<double>(row[j]);
      } else {
        const auto b = static_cast<size_t>(x.row_offsets[static_cast<size_t>(r)]);
        const auto e = static_cast<size_t>(x.row_offsets[static_cast<size_t>(r) + 1]);
        for (size_t i = b; i < e; ++i) out[x.col_indices[i]] += g * static_cast<double>(x.values[i]);
      }
    }
  }
}

std::vector<double> LinearModel::Margins(const features::FeatureMatrix& x) const {
  std::vector<double> out(static_cast<size_t>(x.rows) * static_cast<size_t>(outputs));
  ComputeMargins(x, coef, intercept, outputs, out);
  return out;
}

std::vector<double> LinearModel::Contributions(const features::FeatureMatrix& x) const {
  const auto p = static_cast<size_t>(cols());
  std::vector<double> out(static_cast<size_t>(x.rows) * (p + 1), 0.0);
  for (int64_t r = 0; r < x.rows; ++r) {
    double* row_out = out.data() + static_cast<size_t>(r) * (p + 1);
    if (!x.sparse) {
      const float* row = x.values.data() + static_cast<size_t>(r) * p;
      for (size_t j = 0; j < p; ++j) row_out[j] = coef[j] * static_cast<double>(row[j]);
    } else {
      const auto b = static_cast<size_t>(x.row_offsets[static_cast<size_t>(r)]);
      const auto e = static_cast<size_t>(x.row_offsets[static_cast<size_t>(r) + 1]);
      for (size_t i = b; i < e; ++i) {
        row_out[x.col_indices[i]] = coef[x.col_indices[i]] * static_cast<double>(x.values[i]);
      }
    }
    row_out[p] = intercept[0];
  }
  return out;
}

Json LinearModel::Importance() const {
  Json out = Json::object();
  const auto p = static_cast<size_t>(cols());
  for (size_t j = 0; j < p; ++j) {
    double total = 0;
    for (size_t k = 0; k < static_cast<size_t>(outputs); ++k) total += std::fabs(coef[k * p + j]);
    if (total != 0) out[columns[j]] = total;
  }
  return out;
}

Json LinearModel::ToJson() const {
  Json coef_json = Json::array();
  for (double v : coef) coef_json.push_back(EncodeDouble(v));
  Json intercept_json = Json::array();
  for (double v : intercept) intercept_json.push_back(EncodeDouble(v));
  return Json{{"columns", columns},
              {"outputs", outputs},
              {"coef", std::move(coef_json)},
              {"intercept", std::move(intercept_json)}};
}

namespace {

absl::StatusOr<std::vector<double>> DecodeDoubles(const Json& value, size_t expected,
                                                  std::string_view path) {
  if (!value.is_array() || value.size() != expected) {
    return absl::InvalidArgumentError(
        StrCat(path, ": expected an array of ", expected, " hexadecimal floats"));
  }
  std::vector<double> out;
  out.reserve(expected);
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      return absl::InvalidArgumentError(StrCat(path, "[", i, "]: expected a string"));
    }
    absl::StatusOr<double> v = DecodeDouble(value[i].get<std::string>());
    if (!v.ok()) return absl::InvalidArgumentError(StrCat(path, "[", i, "]: ", v.status().message()));
    out.push_back(*v);
  }
  return out;
}

}  // namespace

absl::StatusOr<LinearModel> LinearModel::FromJson(const Json& value, std::string_view path) {
  if (!value.is_object()) return absl::InvalidArgumentError(StrCat(path, ": expected an object"));
  LinearModel out;
  const Json& columns = value.contains("columns") ? value["columns"] : Json();
  if (!columns.is_array()) {
    return absl::InvalidArgumentError(StrCat(path, ".columns: expected an array of names"));
  }
  for (const Json& c : columns) {
    if (!c.is_string()) {
      return absl::InvalidArgumentError(StrCat(path, ".columns: expected an array of names"));
    }
    out.columns.push_back(c.get<std::string>());
  }
  if (!value.contains("outputs") || !value["outputs"].is_number_integer() ||
      value["outputs"].get<int64_t>() < 1 || value["outputs"].get<int64_t>() > 100000) {
    return absl::InvalidArgumentError(StrCat(path, ".outputs: expected a positive integer"));
  }
  out.outputs = value["outputs"].get<int>();
  LEPTON_ASSIGN_OR_RETURN(
      out.coef, DecodeDoubles(value.contains("coef") ? value["coef"] : Json(),
                              out.columns.size() * static_cast<size_t>(out.outputs),
                              StrCat(path, ".coef")));
  LEPTON_ASSIGN_OR_RETURN(
      out.intercept, DecodeDoubles(value.contains("intercept") ? value["intercept"] : Json(),
                                   static_cast<size_t>(out.outputs), StrCat(path, ".intercept")));
  return out;
}

}  // namespace lepton::ml::internal
