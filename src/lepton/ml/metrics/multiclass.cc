#include "lepton/ml/metrics/multiclass.h"

#include <algorithm>
#include <cmath>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/metrics/internal/inputs.h"

namespace lepton::ml {

namespace {

using internal::WeightAt;

absl::Status CheckMulticlass(std::string_view what, std::span<const double> labels,
                             std::span<const double> probs, int num_classes,
                             std::span<const double> weights) {
  if (num_classes < 2) {
    return absl::InvalidArgumentError(StrCat(what, ": num_classes ", num_classes, " < 2"));
  }
  if (labels.empty()) return absl::InvalidArgumentError(StrCat(what, ": no rows"));
  const size_t k = static_cast<size_t>(num_classes);
  if (probs.size() != labels.size() * k) {
    return absl::InvalidArgumentError(
        StrCat(what, ": ", labels.size(), " labels and ", num_classes, " classes need ",
               labels.size() * k, " probabilities, got ", probs.size()));
  }
  // Lengths and weights: reuse the binary check on a matching-length view of the scores.
  LEPTON_RETURN_IF_ERROR(internal::CheckLengths(what, labels, labels, weights));
  for (size_t i = 0; i < labels.size(); ++i) {
    const double y = labels[i];
    if (!(y >= 0 && y < num_classes && y == std::floor(y))) {
      return absl::InvalidArgumentError(StrCat(what, ": label at row ", i, " is ", y,
                                               " (expected a class index in [0, ",
                                               num_classes, "))"));
    }
  }
  for (size_t j = 0; j < probs.size(); ++j) {
    if (!(probs[j] >= 0 && probs[j] <= 1)) {
      return absl::InvalidArgumentError(StrCat(what, ": probability of class ", j % k,
                                               " at row ", j / k, " is ", probs[j],
                                               " (must be within [0, 1])"));
    }
  }
  return absl::OkStatus();
}

double LogLossUnchecked(std::span<const double> labels, std::span<const double> probs, size_t k,
                        std::span<const double> weights, double eps) {
  double loss = 0, total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    double row_sum = 0;
    for (size_t c = 0; c < k; ++c) row_sum += std::clamp(probs[i * k + c], eps, 1 - eps);
    const size_t y = static_cast<size_t>(labels[i]);
    const double p = std::clamp(probs[i * k + y], eps, 1 - eps) / row_sum;
    const double w = WeightAt(weights, i);
    loss -= w * std::log(p);
    total += w;
  }
  return loss / total;
}

Json ClassJson(const ClassMetrics& m) {
  return Json{{"precision", m.precision}, {"recall", m.recall}, {"f1", m.f1},
              {"support", m.support}};
}

}  // namespace

Json MulticlassReport::ToJson() const {
  Json classes = Json::array();
  for (const ClassMetrics& m : per_class) classes.push_back(ClassJson(m));
  return Json{{"num_classes", num_classes},
              {"rows", rows},
              {"accuracy", accuracy},
              {"macro", ClassJson(macro)},
              {"micro", ClassJson(micro)},
              {"weighted", ClassJson(weighted)},
              {"per_class", std::move(classes)},
              {"confusion_matrix", confusion},
              {"log_loss", log_loss}};
}

absl::StatusOr<double> MulticlassLogLoss(std::span<const double> labels,
                                         std::span<const double> probs, int num_classes,
                                         std::span<const double> weights, double eps) {
  LEPTON_RETURN_IF_ERROR(CheckMulticlass("multiclass log loss", labels, probs, num_classes,
                                         weights));
  if (!(eps >= 0 && eps < 0.5)) {
    return absl::InvalidArgumentError(
        StrCat("multiclass log loss: eps ", eps, " must be in [0, 0.5)"));
  }
  return LogLossUnchecked(labels, probs, static_cast<size_t>(num_classes), weights, eps);
}

absl::StatusOr<MulticlassReport> EvaluateMulticlass(std::span<const double> labels,
                                                    std::span<const double> probs,
                                                    int num_classes,
                                                    std::span<const double> weights,
                                                    double log_loss_eps) {
  LEPTON_ASSIGN_OR_RETURN(double log_loss, MulticlassLogLoss(labels, probs, num_classes,
                                                             weights, log_loss_eps));
  const size_t k = static_cast<size_t>(num_classes);
  MulticlassReport r;
  r.num_classes = num_classes;
  r.rows = static_cast<int64_t>(labels.size());
  r.log_loss = log_loss;
  r.confusion.assign(k, std::vector<double>(k, 0.0));
  double total = 0, correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double* row = probs.data() + i * k;
    const size_t predicted = static_cast<size_t>(std::max_element(row, row + k) - row);
    const size_t truth = static_cast<size_t>(labels[i]);
    const double w = WeightAt(weights, i);
    r.confusion[truth][predicted] += w;
    total += w;
    if (predicted == truth) correct += w;
  }
  r.accuracy = correct / total;
  double tp_all = 0, predicted_all = 0, support_all = 0;
  r.per_class.resize(k);
  for (size_t c = 0; c < k; ++c) {
    double tp = r.confusion[c][c], support = 0, predicted = 0;
    for (size_t o = 0; o < k; ++o) {
      support += r.confusion[c][o];
      predicted += r.confusion[o][c];
    }
    ClassMetrics& m = r.per_class[c];
    m.support = support;
    m.precision = predicted > 0 ? tp / predicted : 0;
    m.recall = support > 0 ? tp / support : 0;
    m.f1 = m.precision + m.recall > 0 ? 2 * m.precision * m.recall / (m.precision + m.recall) : 0;
    r.macro.precision += m.precision / static_cast<double>(k);
    r.macro.recall += m.recall / static_cast<double>(k);
    r.macro.f1 += m.f1 / static_cast<double>(k);
    r.weighted.precision += m.precision * support;
    r.weighted.recall += m.recall * support;
    r.weighted.f1 += m.f1 * support;
    tp_all += tp;
    predicted_all += predicted;
    support_all += support;
  }
  r.weighted.precision /= support_all;
  r.weighted.recall /= support_all;
  r.weighted.f1 /= support_all;
  r.macro.support = r.weighted.support = r.micro.support = support_all;
  r.micro.precision = predicted_all > 0 ? tp_all / predicted_all : 0;
  r.micro.recall = support_all > 0 ? tp_all / support_all : 0;
  r.micro.f1 = r.micro.precision + r.micro.recall > 0
                   ? 2 * r.micro.precision * r.micro.recall / (r.micro.precision + r.micro.recall)
                   : 0;
  return r;
}

}  // namespace lepton::ml
