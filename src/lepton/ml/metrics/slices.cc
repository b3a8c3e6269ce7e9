#include "lepton/ml/metrics/slices.h"

#include <map>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/ml/metrics/internal/inputs.h"

namespace lepton::ml {

namespace {

Json OptionalJson(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

// Fills `gap` from the (key, value) pairs where the metric is defined; ties keep the first key.
SliceGap GapOf(const std::vector<std::pair<std::string, double>>& values) {
  SliceGap gap;
  if (values.size() < 2) return gap;
  size_t lo = 0, hi = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i].second > values[hi].second) hi = i;
    if (values[i].second < values[lo].second) lo = i;
  }
  gap.value = values[hi].second - values[lo].second;
  gap.max_slice = values[hi].first;
  gap.min_slice = values[lo].first;
  return gap;
}

}  // namespace

Json SliceMetrics::ToJson() const {
  Json j{{"key", key},
         {"rows", rows},
         {"positives", positives},
         {"base_rate", base_rate},
         {"auc", OptionalJson(auc)},
         {"log_loss", log_loss},
         {"brier", brier},
         {"positive_rate", at_threshold.positive_rate},
         {"tpr", OptionalJson(tpr)},
         {"at_threshold", at_threshold.ToJson()}};
  if (!auc) j["auc_null_reason"] = auc_null_reason;
  return j;
}

Json SliceGap::ToJson() const {
  return Json{{"value", OptionalJson(value)}, {"max_slice", max_slice}, {"min_slice", min_slice}};
}

Json SliceReport::ToJson() const {
  Json s = Json::array();
  for (const SliceMetrics& m : slices) s.push_back(m.ToJson());
  return Json{{"slices", std::move(s)},
              {"gaps",
               {{"auc", auc_gap.ToJson()},
                {"demographic_parity_difference", demographic_parity_difference.ToJson()},
                {"equal_opportunity_difference", equal_opportunity_difference.ToJson()}}}};
}

absl::StatusOr<SliceReport> EvaluateSlices(std::span<const double> labels,
                                           std::span<const double> probs,
                                           std::span<const std::string> slice_keys,
                                           std::span<const double> weights,
                                           const SliceOptions& options) {
  constexpr std::string_view kWhat = "slice metrics";
  LEPTON_RETURN_IF_ERROR(internal::CheckLengths(kWhat, labels, probs, weights));
  LEPTON_RETURN_IF_ERROR(internal::CheckBinaryLabels(kWhat, labels));
  LEPTON_RETURN_IF_ERROR(internal::CheckProbabilities(kWhat, probs));
  if (slice_keys.size() != labels.size()) {
    return absl::InvalidArgumentError(StrCat(kWhat, ": ", labels.size(), " labels but ",
                                             slice_keys.size(), " slice keys"));
  }
  std::map<std::string_view, std::vector<size_t>> rows_by_key;
  for (size_t i = 0; i < slice_keys.size(); ++i) rows_by_key[slice_keys[i]].push_back(i);

  SliceReport report;
  std::vector<std::pair<std::string, double>> aucs, positive_rates, tprs;
  for (const auto& [key, rows] : rows_by_key) {
    std::vector<double> y, p, w;
    y.reserve(rows.size());
    p.reserve(rows.size());
    for (size_t i : rows) {
      y.push_back(labels[i]);
      p.push_back(probs[i]);
      if (!weights.empty()) w.push_back(weights[i]);
    }
    SliceMetrics m;
    m.key = std::string(key);
    m.rows = static_cast<int64_t>(rows.size());
    // A slice whose weights are all 0 has nothing to measure: report it by count only.
    double weight_sum = 0;
    for (size_t k = 0; k < rows.size(); ++k) weight_sum += w.empty() ? 1.0 : w[k];
    if (!(weight_sum > 0)) {
      m.auc_null_reason = "all rows of the slice have weight 0";
      report.slices.push_back(std::move(m));
      continue;
    }
    const std::string context = StrCat("slice \"", key, "\"");
    auto annotate = [&](const absl::Status& s) { return Annotate(s, context); };
    auto at = MetricsAtThreshold(y, p, options.threshold, w);
    if (!at.ok()) return annotate(at.status());
    m.at_threshold = *at;
    const ConfusionMatrix& cm = m.at_threshold.confusion;
    m.positives = cm.tp + cm.fn;
    m.base_rate = m.positives / (cm.tp + cm.fn + cm.tn + cm.fp);
    if (m.positives > 0) m.tpr = m.at_threshold.recall;
    const double negatives = cm.tn + cm.fp;
    if (m.positives > 0 && negatives > 0) {
      auto auc = RocAuc(y, p, w);
      if (!auc.ok()) return annotate(auc.status());
      m.auc = *auc;
    } else {
      m.auc_null_reason = StrCat("the slice has only ", m.positives > 0 ? "positive" : "negative",
                                 " rows, so AUC is undefined");
    }
    auto ll = LogLoss(y, p, w, options.log_loss_eps);
    if (!ll.ok()) return annotate(ll.status());
    m.log_loss = *ll;
    auto brier = BrierScore(y, p, w);
    if (!brier.ok()) return annotate(brier.status());
    m.brier = *brier;
    if (m.auc) aucs.emplace_back(m.key, *m.auc);
    positive_rates.emplace_back(m.key, m.at_threshold.positive_rate);
    if (m.tpr) tprs.emplace_back(m.key, *m.tpr);
    report.slices.push_back(std::move(m));
  }
  report.auc_gap = GapOf(aucs);
  report.demographic_parity_difference = GapOf(positive_rates);
  report.equal_opportunity_difference = GapOf(tprs);
  return report;
}

}  // namespace lepton::ml
