// Agreement with scikit-learn on the same predictions: the test writes pseudo-random labels and
// predictions (with many tied scores and some zero weights) to CSV files, runs Debian's
// /usr/bin/python3 with sklearn on them and compares every value within 1e-9. Skips only when
// sklearn cannot be imported (scripts/install-deps.sh installs python3-sklearn).

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/ml/metrics/binary.h"
#include "lepton/ml/metrics/multiclass.h"
#include "lepton/ml/metrics/regression.h"

namespace lepton::ml {
namespace {

constexpr double kTolerance = 1e-9;
constexpr char kPython[] = "/usr/bin/python3";

constexpr char kScript[] = R"PY(
import json, sys, warnings
import numpy as np
from sklearn import metrics as M
from sklearn.calibration import calibration_curve
warnings.simplefilter("ignore")
d = sys.argv[1]
out = {}

b = np.loadtxt(d + "/binary.csv", delimiter=",", skiprows=1)
y, s, bw = b[:, 0].astype(int), b[:, 1], b[:, 2]
def binary(w):
    r = {}
    r["auc"] = M.roc_auc_score(y, s, sample_weight=w)
    r["log_loss"] = M.log_loss(y, s, sample_weight=w)
    r["brier"] = M.brier_score_loss(y, s, sample_weight=w)
    r["average_precision"] = M.average_precision_score(y, s, sample_weight=w)
    pred = (s >= 0.5).astype(int)
    r["accuracy"] = M.accuracy_score(y, pred, sample_weight=w)
    r["precision"] = M.precision_score(y, pred, sample_weight=w)
    r["recall"] = M.recall_score(y, pred, sample_weight=w)
    r["f1"] = M.f1_score(y, pred, sample_weight=w)
    r["confusion"] = M.confusion_matrix(y, pred, sample_weight=w).astype(float).tolist()
    fpr, tpr, thr = M.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    r["roc_fpr"], r["roc_tpr"], r["roc_thr"] = fpr.tolist(), tpr.tolist(), thr[1:].tolist()
    r["ks"] = float(np.max(np.abs(tpr - fpr)))
    p, rc, t = M.precision_recall_curve(y, s, sample_weight=w)
    r["pr_precision"], r["pr_recall"], r["pr_thr"] = p.tolist(), rc.tolist(), t.tolist()
    with np.errstate(all="ignore"):
        f1 = np.where(p + rc > 0, 2 * p * rc / (p + rc), 0.0)
    r["best_f1"] = float(f1.max())
    return r
out["binary"] = binary(None)
out["binary_weighted"] = binary(bw)
for strategy in ("uniform", "quantile"):
    pt, pp = calibration_curve(y, s, n_bins=10, strategy=strategy)
    out["calibration_" + strategy] = {"prob_true": pt.tolist(), "prob_pred": pp.tolist()}

m = np.loadtxt(d + "/multiclass.csv", delimiter=",", skiprows=1)
my, P, mw = m[:, 0].astype(int), m[:, 1:5], m[:, 5]
labels = [0, 1, 2, 3]
def multiclass(w):
    pred = P.argmax(axis=1)
    r = {"accuracy": M.accuracy_score(my, pred, sample_weight=w),
         "report": M.classification_report(my, pred, labels=labels, output_dict=True,
                                           sample_weight=w, zero_division=0),
         "confusion": M.confusion_matrix(my, pred, labels=labels, sample_weight=w).astype(float).tolist(),
         "log_loss": M.log_loss(my, P, labels=labels, sample_weight=w)}
    for avg in ("macro", "micro", "weighted"):
        pr, rc, f1, _ = M.precision_recall_fscore_support(my, pred, labels=labels, average=avg,
                                                          sample_weight=w, zero_division=0)
        r[avg] = {"precision": pr, "recall": rc, "f1": f1}
    return r
out["multiclass"] = multiclass(None)
out["multiclass_weighted"] = multiclass(mw)

g = np.loadtxt(d + "/regression.csv", delimiter=",", skiprows=1)
gy, gp, gw = g[:, 0], g[:, 1], g[:, 2]
def regression(w):
    return {"rmse": M.mean_squared_error(gy, gp, sample_weight=w, squared=False),
            "mae": M.mean_absolute_error(gy, gp, sample_weight=w),
            "r2": M.r2_score(gy, gp, sample_weight=w),
            "mape": M.mean_absolute_percentage_error(gy, gp, sample_weight=w),
            "explained_variance": M.explained_variance_score(gy, gp, sample_weight=w)}
out["regression"] = regression(None)
out["regression_weighted"] = regression(gw)
print(json.dumps(out))
)PY";

// Uniform [0, 1) from the top 53 bits, so the data are the same on every standard library.
double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

struct Data {
  std::vector<double> y, s, w;                // binary
  std::vector<double> my, probs, mw;          // multiclass, 4 classes
  std::vector<double> gy, gp, gw;             // regression
};

Data MakeData() {
  Data d;
  std::mt19937_64 rng(20240611);
  for (int i = 0; i < 5000; ++i) {
    const double label = Uniform(rng) < 0.3 ? 1 : 0;
    // Two decimals give many ties; the extremes 0 and 1 occur too.
    double score = std::round(std::clamp(0.35 * label + 0.8 * Uniform(rng) - 0.05, 0.0, 1.0) *
                              100) / 100;
    d.y.push_back(label);
    d.s.push_back(score);
    d.w.push_back(i % 97 == 0 ? 0.0 : 0.25 + 2 * Uniform(rng));
  }
  for (int i = 0; i < 3000; ++i) {
    const int label = static_cast<int>(Uniform(rng) * 4);
    double logits[4], sum = 0;
    for (int c = 0; c < 4; ++c) {
      logits[c] = std::exp(2 * Uniform(rng) + (c == label ? 1.0 : 0.0));
      sum += logits[c];
    }
    d.my.push_back(label);
    for (int c = 0; c < 4; ++c) d.probs.push_back(logits[c] / sum);
    d.mw.push_back(0.5 + Uniform(rng));
  }
  for (int i = 0; i < 2000; ++i) {
    const double y = i % 250 == 0 ? 0.0 : 10 * Uniform(rng) - 3;
    d.gy.push_back(y);
    d.gp.push_back(y + 2 * Uniform(rng) - 0.8);
    d.gw.push_back(0.1 + Uniform(rng));
  }
  return d;
}

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void WriteCsv(const std::string& path, const std::string& header,
              const std::vector<std::vector<double>>& rows) {
  std::string text = header + "\n";
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) StrAppend(&text, c ? "," : "", Num(row[c]));
    text += "\n";
  }
  ASSERT_OK(WriteFileAtomically(path, text));
}

class SklearnAgreementTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::system(StrCat(kPython, " -c 'import sklearn' >/dev/null 2>&1").c_str()) != 0) {
      skip_ = true;
      return;
    }
    data_ = new Data(MakeData());
    std::string tmpl = ::testing::TempDir() + "/lepton_sklearn_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::vector<std::vector<double>> rows;
    for (size_t i = 0; i < data_->y.size(); ++i) rows.push_back({data_->y[i], data_->s[i], data_->w[i]});
    WriteCsv(dir_ + "/binary.csv", "label,score,weight", rows);
    rows.clear();
    for (size_t i = 0; i < data_->my.size(); ++i) {
      rows.push_back({data_->my[i], data_->probs[4 * i], data_->probs[4 * i + 1],
                      data_->probs[4 * i + 2], data_->probs[4 * i + 3], data_->mw[i]});
    }
    WriteCsv(dir_ + "/multiclass.csv", "label,p0,p1,p2,p3,weight", rows);
    rows.clear();
    for (size_t i = 0; i < data_->gy.size(); ++i) rows.push_back({data_->gy[i], data_->gp[i], data_->gw[i]});
    WriteCsv(dir_ + "/regression.csv", "y,prediction,weight", rows);
    ASSERT_OK(WriteFileAtomically(dir_ + "/check.py", kScript));

    const std::string cmd = StrCat(kPython, " ", dir_, "/check.py ", dir_, " 2>", dir_, "/stderr.txt");
    FILE* pipe = ::popen(cmd.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string out;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    const int rc = ::pclose(pipe);
    auto err = ReadFile(dir_ + "/stderr.txt");
    ASSERT_EQ(rc, 0) << "sklearn script failed: " << (err.ok() ? *err : "");
    auto parsed = ParseJson(out);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << out;
    expected_ = new Json(std::move(*parsed));
  }
  static void TearDownTestSuite() {
    delete data_;
    delete expected_;
    data_ = nullptr;
    expected_ = nullptr;
    if (!dir_.empty()) {
      std::system(StrCat("rm -rf '", dir_, "'").c_str());
    }
  }
  void SetUp() override {
    if (skip_) GTEST_SKIP() << kPython << " cannot import sklearn; install python3-sklearn";
    ASSERT_NE(expected_, nullptr) << "the sklearn script did not run";
  }

  static inline bool skip_ = false;
  static inline std::string dir_;
  static inline Data* data_ = nullptr;
  static inline Json* expected_ = nullptr;
};

// |got - want| within 1e-9, relative for large values (MAPE with zero labels is ~1e13).
::testing::AssertionResult Near(double got, const Json& want) {
  if (!want.is_number()) return ::testing::AssertionFailure() << "sklearn gave " << want.dump();
  const double w = want.get<double>();
  if (std::fabs(got - w) <= kTolerance * std::max(1.0, std::fabs(w))) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "lepton " << Num(got) << " sklearn " << Num(w)
                                       << " diff " << got - w;
}

TEST_F(SklearnAgreementTest, BinaryMetrics) {
  for (bool weighted : {false, true}) {
    SCOPED_TRACE(weighted ? "weighted" : "unweighted");
    const Json& e = (*expected_)[weighted ? "binary_weighted" : "binary"];
    std::span<const double> w;
    if (weighted) w = data_->w;
    const auto& y = data_->y;
    const auto& s = data_->s;
    LEPTON_ASSERT_OK_AND_ASSIGN(double auc, RocAuc(y, s, w));
    EXPECT_TRUE(Near(auc, e["auc"]));
    LEPTON_ASSERT_OK_AND_ASSIGN(double ll, LogLoss(y, s, w));
    EXPECT_TRUE(Near(ll, e["log_loss"]));
    LEPTON_ASSERT_OK_AND_ASSIGN(double brier, BrierScore(y, s, w));
    EXPECT_TRUE(Near(brier, e["brier"]));
    LEPTON_ASSERT_OK_AND_ASSIGN(double ap, AveragePrecision(y, s, w));
    EXPECT_TRUE(Near(ap, e["average_precision"]));
    LEPTON_ASSERT_OK_AND_ASSIGN(KsResult ks, KsStatistic(y, s, w));
    EXPECT_TRUE(Near(ks.ks, e["ks"]));
    LEPTON_ASSERT_OK_AND_ASSIGN(ThresholdMetrics m, MetricsAtThreshold(y, s, 0.5, w));
    EXPECT_TRUE(Near(m.accuracy, e["accuracy"]));
    EXPECT_TRUE(Near(m.precision, e["precision"]));
    EXPECT_TRUE(Near(m.recall, e["recall"]));
    EXPECT_TRUE(Near(m.f1, e["f1"]));
    EXPECT_TRUE(Near(m.confusion.tn, e["confusion"][0][0]));
    EXPECT_TRUE(Near(m.confusion.fp, e["confusion"][0][1]));
    EXPECT_TRUE(Near(m.confusion.fn, e["confusion"][1][0]));
    EXPECT_TRUE(Near(m.confusion.tp, e["confusion"][1][1]));
    LEPTON_ASSERT_OK_AND_ASSIGN(ThresholdMetrics best, BestF1Threshold(y, s, w));
    EXPECT_TRUE(Near(best.f1, e["best_f1"]));
    // The reported threshold reproduces the best F1.
    LEPTON_ASSERT_OK_AND_ASSIGN(ThresholdMetrics again, MetricsAtThreshold(y, s, best.threshold, w));
    EXPECT_DOUBLE_EQ(again.f1, best.f1);

    LEPTON_ASSERT_OK_AND_ASSIGN(RocCurve roc, RocCurvePoints(y, s, w, 1 << 30));
    ASSERT_EQ(roc.fpr.size(), e["roc_fpr"].size());
    for (size_t i = 0; i < roc.fpr.size(); ++i) {
      ASSERT_TRUE(Near(roc.fpr[i], e["roc_fpr"][i])) << "point " << i;
      ASSERT_TRUE(Near(roc.tpr[i], e["roc_tpr"][i])) << "point " << i;
      if (i > 0) {
        ASSERT_TRUE(Near(roc.thresholds[i], e["roc_thr"][i - 1])) << "point " << i;
      }
    }
    // sklearn lists PR points by ascending threshold and ends with (recall 0, precision 1).
    LEPTON_ASSERT_OK_AND_ASSIGN(PrCurve pr, PrCurvePoints(y, s, w, 1 << 30));
    const size_t n = pr.recall.size();
    ASSERT_EQ(n, e["pr_recall"].size());
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(Near(pr.recall[i], e["pr_recall"][n - 1 - i])) << "point " << i;
      ASSERT_TRUE(Near(pr.precision[i], e["pr_precision"][n - 1 - i])) << "point " << i;
      if (i > 0) {
        ASSERT_TRUE(Near(pr.thresholds[i], e["pr_thr"][n - 1 - i])) << "point " << i;
      }
    }
  }
}

TEST_F(SklearnAgreementTest, CalibrationTables) {
  for (auto strategy : {CalibrationStrategy::kUniform, CalibrationStrategy::kQuantile}) {
    const std::string name(CalibrationStrategyName(strategy));
    SCOPED_TRACE(name);
    const Json& e = (*expected_)["calibration_" + name];
    LEPTON_ASSERT_OK_AND_ASSIGN(CalibrationTable t, Calibration(data_->y, data_->s, 10, strategy));
    ASSERT_EQ(t.bins.size(), e["prob_true"].size());
    int64_t rows = 0;
    for (size_t b = 0; b < t.bins.size(); ++b) {
      EXPECT_TRUE(Near(t.bins[b].observed_rate, e["prob_true"][b])) << "bin " << b;
      EXPECT_TRUE(Near(t.bins[b].mean_predicted, e["prob_pred"][b])) << "bin " << b;
      rows += t.bins[b].count;
    }
    EXPECT_EQ(rows, 5000);
  }
}

TEST_F(SklearnAgreementTest, MulticlassMetrics) {
  for (bool weighted : {false, true}) {
    SCOPED_TRACE(weighted ? "weighted" : "unweighted");
    const Json& e = (*expected_)[weighted ? "multiclass_weighted" : "multiclass"];
    std::span<const double> w;
    if (weighted) w = data_->mw;
    LEPTON_ASSERT_OK_AND_ASSIGN(MulticlassReport r, EvaluateMulticlass(data_->my, data_->probs, 4, w));
    EXPECT_TRUE(Near(r.accuracy, e["accuracy"]));
    EXPECT_TRUE(Near(r.log_loss, e["log_loss"]));
    for (int t = 0; t < 4; ++t) {
      for (int p = 0; p < 4; ++p) EXPECT_TRUE(Near(r.confusion[t][p], e["confusion"][t][p]));
      const Json& c = e["report"][std::to_string(t)];
      EXPECT_TRUE(Near(r.per_class[t].precision, c["precision"])) << "class " << t;
      EXPECT_TRUE(Near(r.per_class[t].recall, c["recall"])) << "class " << t;
      EXPECT_TRUE(Near(r.per_class[t].f1, c["f1-score"])) << "class " << t;
      EXPECT_TRUE(Near(r.per_class[t].support, c["support"])) << "class " << t;
    }
    const std::pair<const char*, const ClassMetrics*> averages[] = {
        {"macro", &r.macro}, {"micro", &r.micro}, {"weighted", &r.weighted}};
    for (const auto& [name, m] : averages) {
      EXPECT_TRUE(Near(m->precision, e[name]["precision"])) << name;
      EXPECT_TRUE(Near(m->recall, e[name]["recall"])) << name;
      EXPECT_TRUE(Near(m->f1, e[name]["f1"])) << name;
    }
    EXPECT_TRUE(Near(r.macro.f1, e["report"]["macro avg"]["f1-score"]));
    EXPECT_TRUE(Near(r.weighted.f1, e["report"]["weighted avg"]["f1-score"]));
  }
}

TEST_F(SklearnAgreementTest, RegressionMetrics) {
  for (bool weighted : {false, true}) {
    SCOPED_TRACE(weighted ? "weighted" : "unweighted");
    const Json& e = (*expected_)[weighted ? "regression_weighted" : "regression"];
    std::span<const double> w;
    if (weighted) w = data_->gw;
    LEPTON_ASSERT_OK_AND_ASSIGN(RegressionReport r, EvaluateRegression(data_->gy, data_->gp, w));
    EXPECT_TRUE(Near(r.rmse, e["rmse"]));
    EXPECT_TRUE(Near(r.mae, e["mae"]));
    EXPECT_TRUE(Near(r.r2, e["r2"]));
    EXPECT_TRUE(Near(r.mape, e["mape"]));
    EXPECT_TRUE(Near(r.explained_variance, e["explained_variance"]));
    EXPECT_EQ(r.zero_labels, 8);
  }
}

}  // namespace
}  // namespace lepton::ml
