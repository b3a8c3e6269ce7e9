#include "lepton/ml/torch/torchscript.h"

#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/torch/internal/common.h"

namespace lepton::ml {

struct TorchScriptLearner::State {
  torch::jit::Module module;
};

namespace {

constexpr int64_t kPredictChunkRows = 8192;
constexpr std::string_view kZipMagic("PK\x03\x04", 4);

absl::StatusOr<TorchScriptOutput> ParseOutput(std::string_view name) {
  for (TorchScriptOutput o : {TorchScriptOutput::kProbability, TorchScriptOutput::kLogit,
                              TorchScriptOutput::kProbabilities, TorchScriptOutput::kValue}) {
    if (name == TorchScriptOutputName(o)) return o;
  }
  return absl::InvalidArgumentError(
      StrCat("signature.output: \"", name,
             "\" is not one of \"probability\", \"logit\", \"probabilities\", \"value\""));
}

absl::Status ValidateSignature(const TorchScriptSignature& s) {
  if (s.num_features < 1 || s.num_features > (int64_t{1} << 24)) {
    return absl::InvalidArgumentError("signature.num_features: expected an integer >= 1");
  }
  if (!s.feature_names.empty() && static_cast<int64_t>(s.feature_names.size()) != s.num_features) {
    return absl::InvalidArgumentError(StrCat("signature.feature_names: ", s.feature_names.size(),
                                             " names for ", s.num_features, " features"));
  }
  if (s.dtype != "float32") {
    return absl::InvalidArgumentError(
        StrCat("signature.dtype: \"", s.dtype, "\" is not supported (only \"float32\")"));
  }
  if (s.num_classes != 0 && s.output != TorchScriptOutput::kProbabilities) {
    return absl::InvalidArgumentError(
        "signature.num_classes: only meaningful with output \"probabilities\"");
  }
  if (s.num_classes != 0 && s.num_classes < 2) {
    return absl::InvalidArgumentError("signature.num_classes: expected an integer >= 2");
  }
  return absl::OkStatus();
}

std::string ShapeString(const torch::Tensor& t) {
  std::vector<std::string> dims;
  for (int64_t d : t.sizes()) dims.push_back(StrCat(d));
  return StrCat("[", StrJoin(dims, ", "), "]");
}

// Checks the output of a batch of `rows` rows against the declared kind; `*classes` is K for
// "probabilities" (0: not yet known, set from the output) and 1 otherwise.
absl::Status CheckOutputShape(const torch::Tensor& out, int64_t rows, const TorchScriptSignature& s,
                              int* classes) {
  const bool floating =
      out.scalar_type() == torch::kFloat32 || out.scalar_type() == torch::kFloat64;
  if (!floating) {
    return absl::InvalidArgumentError(StrCat("torchscript output: dtype ",
                                             c10::toString(out.scalar_type()),
                                             ", expected float32 or float64"));
  }
  if (s.output == TorchScriptOutput::kProbabilities) {
    if (out.dim() != 2 || out.size(0) != rows || out.size(1) < 2 ||
        (*classes != 0 && out.size(1) != *classes)) {
      return absl::InvalidArgumentError(
          StrCat("torchscript output: declared \"probabilities\" expects shape [", rows, ", ",
                 *classes != 0 ? StrCat(*classes) : std::string("K >= 2"), "], the model returned ",
                 ShapeString(out)));
    }
    *classes = static_cast<int>(out.size(1));
    return absl::OkStatus();
  }
  const bool ok = (out.dim() == 1 && out.size(0) == rows) ||
                  (out.dim() == 2 && out.size(0) == rows && out.size(1) == 1);
  if (!ok) {
    return absl::InvalidArgumentError(StrCat(
        "torchscript output: declared \"", TorchScriptOutputName(s.output), "\" expects shape [",
        rows, "] or [", rows, ", 1], the model returned ", ShapeString(out)));
  }
  *classes = 1;
  return absl::OkStatus();
}

// Runs `forward` on a [rows, cols] float32 view of `data` and returns the output as a
// contiguous float64 tensor, shape-checked. Exceptions from the model become InvalidArgument
// when `model_error` (the dummy run: the declaration is wrong) and Internal otherwise.
absl::StatusOr<torch::Tensor> Forward(torch::jit::Module& module, const float* data, int64_t rows,
                                      int64_t cols, const TorchScriptSignature& s, int* classes,
                                      bool model_error) {
  // The saved graph is interpreted as exported: no profiling-driven re-optimisation (which
  // could change results between calls). Thread-local, like InferenceMode.
  torch::jit::GraphOptimizerEnabledGuard no_optimizer(false);
  c10::InferenceMode inference;
  torch::jit::IValue result;
  try {
    torch::Tensor input = torch::from_blob(const_cast<float*>(data), {rows, cols}, torch::kFloat32);
    result = module.forward({input});
  } catch (const std::exception& e) {
    const std::string message =
        StrCat("torchscript forward on a [", rows, ", ", cols,
               "] float32 batch failed (the signature "
               "declares ",
               s.num_features, " features): ",
               dynamic_cast<const c10::Error*>(&e) != nullptr
                   ? static_cast<const c10::Error&>(e).what_without_backtrace()
                   : e.what());
    return model_error ? absl::InvalidArgumentError(message) : absl::InternalError(message);
  }
  if (!result.isTensor()) {
    return absl::InvalidArgumentError(StrCat("torchscript output: forward returned a ",
                                             result.tagKind(), ", expected one tensor"));
  }
  torch::Tensor out = result.toTensor();
  LEPTON_RETURN_IF_ERROR(CheckOutputShape(out, rows, s, classes));
  return out.to(torch::kFloat64).contiguous();
}

}  // namespace

std::string_view TorchScriptOutputName(TorchScriptOutput output) {
  switch (output) {
    case TorchScriptOutput::kProbability:
      return "probability";
    case TorchScriptOutput::kLogit:
      return "logit";
    case TorchScriptOutput::kProbabilities:
      return "probabilities";
    case TorchScriptOutput::kValue:
      return "value";
  }
  return "?";
}

absl::StatusOr<TorchScriptSignature> TorchScriptSignature::FromJson(const Json& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("signature: expected an object");
  JsonFields f(json, "signature");
  TorchScriptSignature s;
  s.num_features = f.Int("num_features");
  s.feature_names = f.OptionalStringArray("feature_names").value_or(std::vector<std::string>{});
  s.dtype = f.OptionalString("dtype").value_or("float32");
  const std::string output = f.String("output");
  const std::optional<int64_t> num_classes = f.OptionalInt("num_classes");
  LEPTON_RETURN_IF_ERROR(f.Finish());
  LEPTON_ASSIGN_OR_RETURN(s.output, ParseOutput(output));
  if (num_classes.has_value()) {
    if (*num_classes < 2 || *num_classes > 1000000) {
      return absl::InvalidArgumentError("signature.num_classes: expected an integer >= 2");
    }
    s.num_classes = static_cast<int>(*num_classes);
  }
  LEPTON_RETURN_IF_ERROR(ValidateSignature(s));
  return s;
}

Json TorchScriptSignature::ToJson() const {
  Json j = {{"num_features", num_features},
            {"dtype", dtype},
            {"output", std::string(TorchScriptOutputName(output))}};
  if (!feature_names.empty()) j["feature_names"] = feature_names;
  if (num_classes != 0) j["num_classes"] = num_classes;
  return j;
}

TorchScriptLearner::TorchScriptLearner(TorchScriptSignature signature, std::string torchscript,
                                       std::unique_ptr<State> state)
    : signature_(std::move(signature)),
      torchscript_(std::move(torchscript)),
      state_(std::move(state)) {}

TorchScriptLearner::~TorchScriptLearner() = default;

absl::StatusOr<std::unique_ptr<TorchScriptLearner>> TorchScriptLearner::Load(
    std::string_view torchscript, const TorchScriptSignature& signature) {
  LEPTON_RETURN_IF_ERROR(ValidateSignature(signature));
  // `.save` writes a zip archive. Checking the magic first also keeps other bytes away from
  // libtorch's flatbuffer loader, which trusts its input.
  if (torchscript.substr(0, kZipMagic.size()) != kZipMagic) {
    return absl::InvalidArgumentError(
        "importing a torchscript model: not a TorchScript archive (no zip header)");
  }
  auto state = std::make_unique<State>();
  try {
    std::istringstream in{std::string(torchscript)};
    state->module = torch::jit::load(in);
    state->module.eval();
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(StrCat(
        "importing a torchscript model: libtorch cannot load it: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        StrCat("importing a torchscript model: libtorch cannot load it: ", e.what()));
  }

  // The dummy batch: a row of zeros and a row of ones.
  const int64_t cols = signature.num_features;
  std::vector<float> dummy(static_cast<size_t>(2 * cols), 0.0f);
  std::fill(dummy.begin() + cols, dummy.end(), 1.0f);
  int classes = signature.num_classes;
  LEPTON_ASSIGN_OR_RETURN(torch::Tensor out, Forward(state->module, dummy.data(), 2, cols,
                                                     signature, &classes, /*model_error=*/true));
  const double* p = out.data_ptr<double>();
  const bool probabilities = signature.output == TorchScriptOutput::kProbabilities;
  if (probabilities || signature.output == TorchScriptOutput::kProbability) {
    for (int64_t i = 0; i < out.numel(); ++i) {
      if (!(p[i] >= -1e-6 && p[i] <= 1 + 1e-6)) {
        return absl::InvalidArgumentError(StrCat(
            "torchscript output: declared \"", TorchScriptOutputName(signature.output),
            "\" but the model returned ", p[i], " on the dummy batch (not in [0, 1]); declare \"",
            probabilities ? "probabilities\" only for softmax outputs" : "logit\" for log-odds"));
      }
    }
  }
  if (probabilities) {
    for (int64_t r = 0; r < 2; ++r) {
      double sum = 0;
      for (int k = 0; k < classes; ++k) sum += p[r * classes + k];
      if (std::abs(sum - 1.0) > 1e-4) {
        return absl::InvalidArgumentError(StrCat(
            "torchscript output: declared \"probabilities\" but a row of the dummy batch sums "
            "to ",
            sum, ", not 1"));
      }
    }
  }

  std::unique_ptr<TorchScriptLearner> learner(
      new TorchScriptLearner(signature, std::string(torchscript), std::move(state)));
  switch (signature.output) {
    case TorchScriptOutput::kProbability:
    case TorchScriptOutput::kLogit:
      learner->task_ = Task::kBinary;
      learner->num_classes_ = 2;
      break;
    case TorchScriptOutput::kProbabilities:
      learner->task_ = Task::kMulticlass;
      learner->num_classes_ = classes;
      learner->signature_.num_classes = classes;
      break;
    case TorchScriptOutput::kValue:
      learner->task_ = Task::kRegression;
      learner->num_classes_ = 1;
      break;
  }
  return learner;
}

absl::StatusOr<std::unique_ptr<TorchScriptLearner>> TorchScriptLearner::Load(
    std::string_view saved) {
  LEPTON_ASSIGN_OR_RETURN(internal::TorchContainer c,
                          internal::ReadTorchContainer(saved, "torchscript"));
  if (!c.header.contains("signature")) {
    return absl::InvalidArgumentError("loading a saved torchscript model: no signature");
  }
  LEPTON_ASSIGN_OR_RETURN(TorchScriptSignature signature,
                          TorchScriptSignature::FromJson(c.header["signature"]));
  return Load(c.payload, signature);
}

absl::Status TorchScriptLearner::Fit(const LabeledData& train, const LabeledData* valid,
                                     const FitContext& context) {
  (void)train;
  (void)valid;
  (void)context;
  return absl::FailedPreconditionError("torchscript models are imported, not trained");
}

absl::StatusOr<std::vector<double>> TorchScriptLearner::Predict(
    const features::FeatureMatrix& x) const {
  const TorchScriptSignature& s = signature_;
  if (!s.feature_names.empty() && x.columns != s.feature_names) {
    for (size_t i = 0; i < s.feature_names.size(); ++i) {
      if (i >= x.columns.size() || x.columns[i] != s.feature_names[i]) {
        return absl::InvalidArgumentError(StrCat(
            "torchscript predict: column ", i, " is \"", i < x.columns.size() ? x.columns[i] : "",
            "\", the signature declares \"", s.feature_names[i], "\""));
      }
    }
    return absl::InvalidArgumentError(StrCat("torchscript predict: ", x.columns.size(),
                                             " columns, the signature declares ",
                                             s.feature_names.size()));
  }
  std::vector<float> scratch;
  LEPTON_ASSIGN_OR_RETURN(const float* values,
                          internal::DenseInput(x, "torchscript predict", s.num_features, &scratch));
  const int64_t cols = s.num_features;
  std::vector<double> out;
  out.reserve(static_cast<size_t>(x.rows * num_classes_));
  for (int64_t start = 0; start < x.rows; start += kPredictChunkRows) {
    const int64_t n = std::min(kPredictChunkRows, x.rows - start);
    int classes = task_ == Task::kMulticlass ? num_classes_ : 0;
    LEPTON_ASSIGN_OR_RETURN(torch::Tensor result,
                            Forward(state_->module, values + start * cols, n, cols, s, &classes,
                                    /*model_error=*/false));
    const double* p = result.data_ptr<double>();
    for (int64_t i = 0; i < result.numel(); ++i) {
      out.push_back(s.output == TorchScriptOutput::kLogit ? 1.0 / (1.0 + std::exp(-p[i])) : p[i]);
    }
  }
  return out;
}

Json TorchScriptLearner::Params() const {
  return Json{{"signature", signature_.ToJson()}, {"num_classes", num_classes_}};
}

absl::StatusOr<std::string> TorchScriptLearner::Save() const {
  return internal::WriteTorchContainer("torchscript", Json{{"signature", signature_.ToJson()}},
                                       torchscript_);
}

}  // namespace lepton::ml
