#include "lepton/ml/torch/mlp.h"

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adam.h>
#include <torch/utils.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/torch/internal/common.h"

namespace lepton::ml {

static_assert(std::endian::native == std::endian::little,
              "the saved parameter payload is raw little-endian float32");

struct MlpLearner::State {
  torch::nn::Sequential module{nullptr};
  // Regression only: the model predicts (y - target_mean) / target_std.
  double target_mean = 0.0;
  double target_std = 1.0;
};

namespace {

constexpr int64_t kPredictChunkRows = 8192;

// libtorch's RNG (initial weights, dropout) and intra-op thread count are process-wide, so fits
// (and Load, which initialises a module before overwriting it) take turns.
std::mutex& TorchGlobalsMutex() {
  static std::mutex mu;
  return mu;
}

int OutputUnits(Task task, int num_classes) { return task == Task::kMulticlass ? num_classes : 1; }

torch::nn::Sequential BuildModule(const MlpOptions& options, int64_t inputs, int64_t outputs) {
  torch::nn::Sequential seq;
  int64_t width = inputs;
  for (int units : options.hidden_layers) {
    seq->push_back(torch::nn::Linear(width, units));
    if (options.activation == "tanh") {
      seq->push_back(torch::nn::Tanh());
    } else {
      seq->push_back(torch::nn::ReLU());
    }
    if (options.dropout > 0) seq->push_back(torch::nn::Dropout(options.dropout));
    width = units;
  }
  seq->push_back(torch::nn::Linear(width, outputs));
  return seq;
}

// Per-row losses: binary cross-entropy on the logit, cross-entropy over the K logits, or the
// squared error.
torch::Tensor RowLosses(const torch::Tensor& out, const torch::Tensor& y, Task task) {
  switch (task) {
    case Task::kBinary:
      return at::binary_cross_entropy_with_logits(out.view({-1}), y, {}, {}, at::Reduction::None);
    case Task::kMulticlass:
      return -torch::log_softmax(out, 1).gather(1, y.unsqueeze(1)).squeeze(1);
    case Task::kRegression:
      break;
  }
  return (out.view({-1}) - y).square();
}

// A float32 view of `rows` x `cols` values at `data`. libtorch wants a mutable pointer; the
// tensors built here are only ever read.
torch::Tensor View(const float* data, int64_t rows, int64_t cols) {
  return torch::from_blob(const_cast<float*>(data), {rows, cols}, torch::kFloat32);
}

// The tensors of one labelled set, with labels in the loss's form.
struct Tensors {
  std::vector<float> scratch;  // densified CSR input, when needed
  torch::Tensor x, y, w;
  double weight_sum = 0;
};

absl::StatusOr<Tensors> MakeTensors(const LabeledData& data, std::string_view what, Task task,
                                    int num_classes, int64_t cols, double target_mean,
                                    double target_std) {
  if (data.x == nullptr) return absl::InvalidArgumentError(StrCat(what, ": no feature matrix"));
  const features::FeatureMatrix& x = *data.x;
  Tensors t;
  LEPTON_ASSIGN_OR_RETURN(const float* values, internal::DenseInput(x, what, cols, &t.scratch));
  if (static_cast<int64_t>(data.y.size()) != x.rows) {
    return absl::InvalidArgumentError(
        StrCat(what, ": ", data.y.size(), " labels for ", x.rows, " rows"));
  }
  if (!data.weights.empty() && static_cast<int64_t>(data.weights.size()) != x.rows) {
    return absl::InvalidArgumentError(
        StrCat(what, ": ", data.weights.size(), " weights for ", x.rows, " rows"));
  }
  t.x = View(values, x.rows, cols);
  std::vector<float> yf;
  std::vector<int64_t> yi;
  for (int64_t i = 0; i < x.rows; ++i) {
    const double v = data.y[i];
    switch (task) {
      case Task::kBinary:
        if (v != 0.0 && v != 1.0) {
          return absl::InvalidArgumentError(
              StrCat(what, ": binary label ", v, " at row ", i, " (expected 0 or 1)"));
        }
        yf.push_back(static_cast<float>(v));
        break;
      case Task::kMulticlass:
        if (!(v >= 0 && v < num_classes) || v != std::floor(v)) {
          return absl::InvalidArgumentError(StrCat(what, ": class label ", v, " at row ", i,
                                                   " (expected an integer in 0..", num_classes - 1,
                                                   ")"));
        }
        yi.push_back(static_cast<int64_t>(v));
        break;
      case Task::kRegression:
        if (!std::isfinite(v)) {
          return absl::InvalidArgumentError(StrCat(what, ": non-finite target at row ", i));
        }
        yf.push_back(static_cast<float>((v - target_mean) / target_std));
        break;
    }
  }
  t.y = task == Task::kMulticlass ? torch::tensor(yi, torch::kInt64) : torch::tensor(yf);
  std::vector<float> w(static_cast<size_t>(x.rows), 1.0f);
  for (size_t i = 0; i < data.weights.size(); ++i) {
    if (!(data.weights[i] >= 0) || !std::isfinite(data.weights[i])) {
      return absl::InvalidArgumentError(
          StrCat(what, ": weight ", data.weights[i], " at row ", i, " (expected >= 0)"));
    }
    w[i] = static_cast<float>(data.weights[i]);
  }
  for (float v : w) t.weight_sum += v;
  if (!(t.weight_sum > 0)) return absl::InvalidArgumentError(StrCat(what, ": all weights are 0"));
  t.w = torch::tensor(w);
  return t;
}

// The weighted mean loss of `module` (in eval mode) over a whole set.
double MeanLoss(torch::nn::Sequential& module, const Tensors& t, Task task) {
  torch::NoGradGuard no_grad;
  double sum = 0;
  const int64_t rows = t.x.size(0);
  for (int64_t start = 0; start < rows; start += kPredictChunkRows) {
    const int64_t n = std::min(kPredictChunkRows, rows - start);
    torch::Tensor losses =
        RowLosses(module->forward(t.x.narrow(0, start, n)), t.y.narrow(0, start, n), task);
    sum += (losses * t.w.narrow(0, start, n)).sum().item<double>();
  }
  return sum / t.weight_sum;
}

Json OptionsToJson(const MlpOptions& o) {
  return Json{{"hidden_layers", o.hidden_layers},
              {"activation", o.activation},
              {"dropout", o.dropout},
              {"weight_decay", o.weight_decay},
              {"learning_rate", o.learning_rate},
              {"batch_size", o.batch_size},
              {"epochs", o.epochs},
              {"patience", o.patience}};
}

absl::Status ReadNumber(const Json& params, const char* key, double lo, double hi, bool lo_open,
                        double* out) {
  auto it = params.find(key);
  if (it == params.end()) return absl::OkStatus();
  const bool ok = it->is_number() && std::isfinite(it->get<double>()) &&
                  (lo_open ? it->get<double>() > lo : it->get<double>() >= lo) &&
                  it->get<double>() <= hi;
  if (!ok) {
    return absl::InvalidArgumentError(
        StrCat("mlp.", key, ": expected a number in ", lo_open ? "(" : "[", lo, ", ", hi, "]"));
  }
  *out = it->get<double>();
  return absl::OkStatus();
}

absl::Status ReadInt(const Json& params, const char* key, int64_t lo, int64_t hi, int* out) {
  auto it = params.find(key);
  if (it == params.end()) return absl::OkStatus();
  if (!it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi) {
    return absl::InvalidArgumentError(
        StrCat("mlp.", key, ": expected an integer in [", lo, ", ", hi, "]"));
  }
  *out = static_cast<int>(it->get<int64_t>());
  return absl::OkStatus();
}

// Catches what libtorch throws at this boundary.
template <typename F>
absl::Status TorchCall(std::string_view what, F&& f) {
  try {
    return f();
  } catch (const c10::Error& e) {
    return absl::InternalError(StrCat(what, ": libtorch: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(StrCat(what, ": ", e.what()));
  }
}

}  // namespace

absl::StatusOr<MlpOptions> MlpLearner::ParseOptions(const Json& params_in) {
  static constexpr std::array<std::string_view, 8> kKeys = {
      "hidden_layers", "activation", "dropout", "weight_decay",
      "learning_rate", "batch_size", "epochs",  "patience"};
  const Json params = params_in.is_null() ? Json::object() : params_in;
  if (!params.is_object()) return absl::InvalidArgumentError("mlp: expected an object");
  for (const auto& [key, value] : params.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), std::string_view(key)) == kKeys.end()) {
      return absl::InvalidArgumentError(
          StrCat("mlp.", key, ": unknown parameter (known: ", StrJoin(kKeys, ", "), ")"));
    }
  }
  MlpOptions o;
  if (auto it = params.find("hidden_layers"); it != params.end()) {
    const auto valid_units = [](const Json& v) {
      return v.is_number_integer() && v.get<int64_t>() >= 1 && v.get<int64_t>() <= 65536;
    };
    if (!it->is_array() || it->size() > 16 || !std::all_of(it->begin(), it->end(), valid_units)) {
      return absl::InvalidArgumentError(
          "mlp.hidden_layers: expected an array of at most 16 integers in [1, 65536]");
    }
    o.hidden_layers.clear();
    for (const Json& v : *it) o.hidden_layers.push_back(static_cast<int>(v.get<int64_t>()));
  }
  if (auto it = params.find("activation"); it != params.end()) {
    if (!it->is_string() || (*it != "relu" && *it != "tanh")) {
      return absl::InvalidArgumentError("mlp.activation: expected \"relu\" or \"tanh\"");
    }
    o.activation = it->get<std::string>();
  }
  LEPTON_RETURN_IF_ERROR(ReadNumber(params, "dropout", 0, 0.95, false, &o.dropout));
  LEPTON_RETURN_IF_ERROR(ReadNumber(params, "weight_decay", 0, 1e3, false, &o.weight_decay));
  LEPTON_RETURN_IF_ERROR(ReadNumber(params, "learning_rate", 0, 10, true, &o.learning_rate));
  LEPTON_RETURN_IF_ERROR(ReadInt(params, "batch_size", 1, int64_t{1} << 24, &o.batch_size));
  LEPTON_RETURN_IF_ERROR(ReadInt(params, "epochs", 1, 1000000, &o.epochs));
  LEPTON_RETURN_IF_ERROR(ReadInt(params, "patience", 0, 1000000, &o.patience));
  return o;
}

absl::StatusOr<std::unique_ptr<MlpLearner>> MlpLearner::Create(const Json& params) {
  LEPTON_ASSIGN_OR_RETURN(MlpOptions options, ParseOptions(params));
  return std::make_unique<MlpLearner>(std::move(options));
}

MlpLearner::MlpLearner(MlpOptions options) : options_(std::move(options)) {}
MlpLearner::~MlpLearner() = default;

absl::Status MlpLearner::Fit(const LabeledData& train, const LabeledData* valid,
                             const FitContext& context) {
  if (train.x == nullptr) return absl::InvalidArgumentError("mlp train: no feature matrix");
  const int64_t cols = train.x->cols();
  if (cols <= 0) return absl::InvalidArgumentError("mlp train: no columns");
  const int num_classes = context.task == Task::kMulticlass ? context.num_classes
                          : context.task == Task::kBinary   ? 2
                                                            : 1;
  if (context.task == Task::kMulticlass && num_classes < 2) {
    return absl::InvalidArgumentError(
        StrCat("mlp: multiclass needs num_classes >= 2, got ", num_classes));
  }
  auto state = std::make_unique<State>();
  if (context.task == Task::kRegression) {
    // Standardising the target keeps Adam's default step sizes meaningful for any scale.
    double sum = 0, sum_sq = 0, wsum = 0;
    for (size_t i = 0; i < train.y.size(); ++i) {
      // Mismatched sizes are reported by MakeTensors below.
      const double w = train.weights.size() == train.y.size() ? train.weights[i] : 1.0;
      sum += w * train.y[i];
      sum_sq += w * train.y[i] * train.y[i];
      wsum += w;
    }
    if (wsum > 0 && std::isfinite(sum_sq)) {
      state->target_mean = sum / wsum;
      const double var = sum_sq / wsum - state->target_mean * state->target_mean;
      state->target_std = var > 1e-24 ? std::sqrt(var) : 1.0;
    }
  }
  // Losses are reported in the target's units (MSE scales with the variance).
  const double loss_scale =
      context.task == Task::kRegression ? state->target_std * state->target_std : 1.0;

  std::lock_guard<std::mutex> torch_lock(TorchGlobalsMutex());
  int epochs_trained = 0;
  int best_epoch = -1;
  const absl::Status status = TorchCall("mlp fit", [&]() -> absl::Status {
    LEPTON_ASSIGN_OR_RETURN(Tensors tr, MakeTensors(train, "mlp train", context.task, num_classes,
                                                    cols, state->target_mean, state->target_std));
    std::optional<Tensors> va;
    if (valid != nullptr) {
      LEPTON_ASSIGN_OR_RETURN(va, MakeTensors(*valid, "mlp valid", context.task, num_classes, cols,
                                              state->target_mean, state->target_std));
    }
    const int threads = context.threads > 0
                            ? context.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    torch::manual_seed(context.seed);
    torch::nn::Sequential module =
        BuildModule(options_, cols, OutputUnits(context.task, num_classes));
    torch::optim::Adam optimizer(
        module->parameters(),
        torch::optim::AdamOptions(options_.learning_rate).weight_decay(options_.weight_decay));

    const int64_t rows = tr.x.size(0);
    std::vector<int64_t> order(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i) order[i] = i;
    std::mt19937_64 rng(context.seed);
    double best_loss = std::numeric_limits<double>::infinity();
    std::vector<torch::Tensor> best_params;
    int epochs_without_improvement = 0;
    for (int epoch = 0; epoch < options_.epochs; ++epoch) {
      // Fisher–Yates with our own index draw: std::shuffle's is implementation-defined.
      for (int64_t i = rows - 1; i > 0; --i) {
        std::swap(order[i], order[rng() % static_cast<uint64_t>(i + 1)]);
      }
      module->train();
      double train_sum = 0;
      for (int64_t start = 0; start < rows; start += options_.batch_size) {
        const int64_t n = std::min<int64_t>(options_.batch_size, rows - start);
        const torch::Tensor idx = torch::from_blob(order.data() + start, {n}, torch::kInt64);
        const torch::Tensor w = tr.w.index_select(0, idx);
        const torch::Tensor losses = RowLosses(module->forward(tr.x.index_select(0, idx)),
                                               tr.y.index_select(0, idx), context.task);
        const torch::Tensor weighted = (losses * w).sum();
        const double batch_weight = w.sum().item<double>();
        optimizer.zero_grad();
        if (batch_weight > 0) {
          (weighted / batch_weight).backward();
          optimizer.step();
        }
        train_sum += weighted.item<double>();
      }
      module->eval();
      Json metrics = {{"train_loss", train_sum / tr.weight_sum * loss_scale}};
      epochs_trained = epoch + 1;
      if (va.has_value()) {
        const double loss = MeanLoss(module, *va, context.task);
        metrics["valid_loss"] = loss * loss_scale;
        if (loss < best_loss) {
          best_loss = loss;
          best_epoch = epoch;
          epochs_without_improvement = 0;
          best_params.clear();
          for (const torch::Tensor& p : module->parameters()) {
            best_params.push_back(p.detach().clone());
          }
        } else {
          ++epochs_without_improvement;
        }
      } else {
        best_epoch = epoch;
      }
      if (context.progress && !context.progress(epoch + 1, options_.epochs, metrics)) {
        return absl::CancelledError(StrCat("mlp fit cancelled after epoch ", epoch + 1));
      }
      if (va.has_value() && options_.patience > 0 &&
          epochs_without_improvement >= options_.patience) {
        break;
      }
    }
    if (!best_params.empty()) {
      torch::NoGradGuard no_grad;
      std::vector<torch::Tensor> params = module->parameters();
      for (size_t i = 0; i < params.size(); ++i) params[i].copy_(best_params[i]);
    }
    module->eval();
    state->module = module;
    return absl::OkStatus();
  });
  LEPTON_RETURN_IF_ERROR(status);

  task_ = context.task;
  num_classes_ = num_classes;
  seed_ = context.seed;
  threads_ = context.threads;
  columns_ = train.x->columns;
  epochs_trained_ = epochs_trained;
  best_epoch_ = best_epoch;
  state_ = std::move(state);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> MlpLearner::Predict(const features::FeatureMatrix& x) const {
  if (state_ == nullptr) return absl::FailedPreconditionError("mlp: predict before fit or load");
  std::vector<float> scratch;
  LEPTON_ASSIGN_OR_RETURN(
      const float* values,
      internal::DenseInput(x, "mlp predict", static_cast<int64_t>(columns_.size()), &scratch));
  const int64_t cols = x.cols();
  const int64_t outputs = OutputUnits(task_, num_classes_);
  std::vector<double> out;
  out.reserve(static_cast<size_t>(x.rows * outputs));
  LEPTON_RETURN_IF_ERROR(TorchCall("mlp predict", [&]() -> absl::Status {
    c10::InferenceMode inference;
    for (int64_t start = 0; start < x.rows; start += kPredictChunkRows) {
      const int64_t n = std::min(kPredictChunkRows, x.rows - start);
      // The head is computed in double: probabilities near 0 and 1 keep their precision.
      torch::Tensor logits =
          state_->module->forward(View(values + start * cols, n, cols)).to(torch::kFloat64);
      torch::Tensor result;
      switch (task_) {
        case Task::kBinary:
          result = torch::sigmoid(logits.view({-1}));
          break;
        case Task::kMulticlass:
          result = torch::softmax(logits, 1);
          break;
        case Task::kRegression:
          result = logits.view({-1}) * state_->target_std + state_->target_mean;
          break;
      }
      result = result.contiguous();
      const double* p = result.data_ptr<double>();
      out.insert(out.end(), p, p + result.numel());
    }
    return absl::OkStatus();
  }));
  return out;
}

Json MlpLearner::Params() const {
  Json params = OptionsToJson(options_);
  params["seed"] = seed_;
  params["threads"] = threads_;
  params["epochs_trained"] = epochs_trained_;
  params["best_epoch"] = best_epoch_;
  return params;
}

absl::StatusOr<std::string> MlpLearner::Save() const {
  if (state_ == nullptr) return absl::FailedPreconditionError("mlp: save before fit or load");
  Json header = {{"task", std::string(TaskName(task_))},
                 {"num_classes", num_classes_},
                 {"columns", columns_},
                 {"options", OptionsToJson(options_)},
                 {"seed", seed_},
                 {"threads", threads_},
                 {"epochs_trained", epochs_trained_},
                 {"best_epoch", best_epoch_},
                 {"target_mean", state_->target_mean},
                 {"target_std", state_->target_std}};
  std::string payload;
  Json parameters = Json::array();
  LEPTON_RETURN_IF_ERROR(TorchCall("mlp save", [&]() -> absl::Status {
    for (const auto& item : state_->module->named_parameters()) {
      const torch::Tensor t = item.value().detach().to(torch::kFloat32).contiguous();
      parameters.push_back({{"name", item.key()}, {"shape", t.sizes().vec()}});
      payload.append(reinterpret_cast<const char*>(t.data_ptr<float>()),
                     static_cast<size_t>(t.numel()) * sizeof(float));
    }
    return absl::OkStatus();
  }));
  header["parameters"] = std::move(parameters);
  return internal::WriteTorchContainer("mlp", std::move(header), payload);
}

absl::StatusOr<std::unique_ptr<MlpLearner>> MlpLearner::Load(std::string_view bytes) {
  LEPTON_ASSIGN_OR_RETURN(internal::TorchContainer c, internal::ReadTorchContainer(bytes, "mlp"));
  const Json& h = c.header;
  const auto bad = [](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("loading a saved mlp model: ", why));
  };
  if (!h.contains("task") || !h["task"].is_string()) return bad("header has no task");
  LEPTON_ASSIGN_OR_RETURN(Task task, ParseTask(h["task"].get<std::string>()));
  LEPTON_ASSIGN_OR_RETURN(MlpOptions options, ParseOptions(h.value("options", Json())));
  auto learner = std::make_unique<MlpLearner>(std::move(options));
  auto state = std::make_unique<State>();
  try {
    learner->task_ = task;
    learner->num_classes_ = h.at("num_classes").get<int>();
    learner->columns_ = h.at("columns").get<std::vector<std::string>>();
    learner->seed_ = h.at("seed").get<uint64_t>();
    learner->threads_ = h.at("threads").get<int>();
    learner->epochs_trained_ = h.at("epochs_trained").get<int>();
    learner->best_epoch_ = h.at("best_epoch").get<int>();
    state->target_mean = h.at("target_mean").get<double>();
    state->target_std = h.at("target_std").get<double>();
  } catch (const Json::exception& e) {
    return bad(StrCat("malformed header: ", e.what()));
  }
  if (learner->columns_.empty()) return bad("no columns");
  if (learner->num_classes_ < 1 || learner->num_classes_ > 1000000 ||
      (task == Task::kMulticlass && learner->num_classes_ < 2)) {
    return bad("num_classes out of range");
  }
  const Json& declared = h.value("parameters", Json());
  if (!declared.is_array()) return bad("header has no parameter list");

  std::lock_guard<std::mutex> torch_lock(TorchGlobalsMutex());
  LEPTON_RETURN_IF_ERROR(TorchCall("loading a saved mlp model", [&]() -> absl::Status {
    torch::nn::Sequential module =
        BuildModule(learner->options_, static_cast<int64_t>(learner->columns_.size()),
                    OutputUnits(task, learner->num_classes_));
    auto named = module->named_parameters();
    if (named.size() != declared.size())
      return bad("parameter count differs from the architecture");
    size_t offset = 0;
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < named.size(); ++i) {
      torch::Tensor& p = named[i].value();
      if (declared[i].value("name", Json()) != named[i].key() ||
          declared[i].value("shape", Json()) != Json(p.sizes().vec())) {
        return bad(
            StrCat("parameter ", i, " (", named[i].key(), ") does not match the architecture"));
      }
      const size_t size = static_cast<size_t>(p.numel()) * sizeof(float);
      if (c.payload.size() - offset < size) return bad("parameter payload is truncated");
      std::memcpy(p.data_ptr<float>(), c.payload.data() + offset, size);
      offset += size;
    }
    if (offset != c.payload.size()) return bad("parameter payload has trailing bytes");
    module->eval();
    state->module = module;
    return absl::OkStatus();
  }));
  learner->state_ = std::move(state);
  return learner;
}

}  // namespace lepton::ml
