// Drift statistics: hand-computed PSI cases, quantile ties, missing values, JSON round trips,
// the seeded reservoir, the serving window, and agreement with numpy / scipy
// (`scipy.stats.ks_2samp(..., method='asymp')`, `scipy.stats.kstwo.sf`) by running Debian's
// /usr/bin/python3 on the same data. The scipy tests skip only when scipy cannot be imported
// (Debian package python3-scipy).

#include "lepton/ml/metrics/drift.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::ml {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A uniform double in (0, 1) and standard normals (Box-Muller), written out rather than taken
// from <random>'s distributions so that the data are the same on every platform.
double Uniform(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}
double Normal(std::mt19937_64& rng) {
  const double u1 = Uniform(rng), u2 = Uniform(rng);
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}
std::vector<double> Normals(size_t n, double mean, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> out(n);
  for (double& v : out) v = mean + Normal(rng);
  return out;
}

// PSI written out independently of drift.cc: shares of each side, Evidently's zero stand-in,
// buckets empty on both sides skipped.
double ExpectedPsi(const std::vector<double>& ref, const std::vector<double>& cur) {
  auto stand_in = [](const std::vector<double>& p) {
    double m = 1;
    for (double v : p) {
      if (v > 0 && v < m) m = v;
    }
    return m <= 1e-4 ? m / 1e6 : 1e-4;
  };
  const double er = stand_in(ref), ec = stand_in(cur);
  double psi = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (ref[i] == 0 && cur[i] == 0) continue;
    const double r = ref[i] > 0 ? ref[i] : er;
    const double c = cur[i] > 0 ? cur[i] : ec;
    psi += (c - r) * std::log(c / r);
  }
  return psi;
}

// Current shares per bucket (bins then missing) found by a linear scan of the edges.
std::vector<double> SharesByScan(const std::vector<double>& edges,
                                 const std::vector<double>& values) {
  std::vector<double> shares(edges.size() + 2, 0.0);
  for (double v : values) {
    if (std::isnan(v)) {
      shares.back() += 1;
      continue;
    }
    size_t b = 0;
    while (b < edges.size() && v > edges[b]) ++b;
    shares[b] += 1;
  }
  for (double& s : shares) s /= static_cast<double>(values.size());
  return shares;
}

std::vector<double> ReferenceShares(const ReferenceProfile& p) {
  std::vector<double> r = p.proportions;
  if (p.kind == ReferenceProfile::Kind::kCategorical) r.push_back(p.other);
  r.push_back(p.missing);
  return r;
}

std::vector<std::string_view> Views(const std::vector<std::string>& values) {
  return {values.begin(), values.end()};
}

// ---- PSI

TEST(DriftTest, IdenticalDistributionsHaveZeroPsi) {
  const std::vector<double> ref = Normals(5000, 0, 1);
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile, NumericReference(ref));
  ASSERT_EQ(profile.edges.size(), 9u);
  // The reference itself: every share equal, PSI exactly 0, KS 0 with p-value 1.
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult same, NumericDrift(profile, ref));
  EXPECT_EQ(same.psi, 0.0);
  EXPECT_EQ(same.level, "none");
  ASSERT_TRUE(same.ks_statistic.has_value());
  EXPECT_EQ(*same.ks_statistic, 0.0);
  EXPECT_EQ(*same.ks_p_value, 1.0);
  EXPECT_EQ(same.n, 5000);
  // A fresh draw of the same distribution: PSI near 0 (expected ~ (bins - 1) / n).
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult fresh, NumericDrift(profile, Normals(20000, 0, 2)));
  EXPECT_GT(fresh.psi, 0.0);
  EXPECT_LT(fresh.psi, 0.01);
  EXPECT_EQ(fresh.level, "none");
  EXPECT_GT(*fresh.ks_p_value, 0.001);
}

TEST(DriftTest, HandComputedPsi) {
  // Reference 1..10 in 5 bins: edges at the 20/40/60/80% inverted-CDF quantiles 2, 4, 6, 8,
  // each bin holding 20%.
  const std::vector<double> ref = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile, NumericReference(ref, {.bins = 5}));
  EXPECT_THAT(profile.edges, ElementsAre(2, 4, 6, 8));
  EXPECT_THAT(profile.proportions, ElementsAre(0.2, 0.2, 0.2, 0.2, 0.2));
  EXPECT_EQ(profile.missing, 0.0);
  // Current: half at 1 (first bin), half at 10 (last bin); three bins empty, which take the
  // 1e-4 stand-in; missing is empty on both sides and adds nothing.
  const std::vector<double> cur = {1, 1, 1, 1, 1, 10, 10, 10, 10, 10};
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult result, NumericDrift(profile, cur));
  const double expected =
      2 * (0.5 - 0.2) * std::log(0.5 / 0.2) + 3 * (1e-4 - 0.2) * std::log(1e-4 / 0.2);
  EXPECT_NEAR(result.psi, expected, 1e-12);
  EXPECT_EQ(result.level, "significant");
  ASSERT_EQ(result.buckets.size(), 6u);
  EXPECT_EQ(result.buckets[0].label, "(-inf, 2]");
  EXPECT_EQ(result.buckets[1].label, "(2, 4]");
  EXPECT_EQ(result.buckets[4].label, "(8, +inf)");
  EXPECT_EQ(result.buckets[5].kind, DriftBucket::Kind::kMissing);
  EXPECT_EQ(result.buckets[5].psi, 0.0);
  EXPECT_EQ(result.buckets[2].current, 0.0);  // shares are reported before the stand-in
  EXPECT_NEAR(result.buckets[2].psi, (1e-4 - 0.2) * std::log(1e-4 / 0.2), 1e-15);
  // Values on an edge fall in the bin it closes: (-inf, 2] holds 2, (2, 4] holds 2.5.
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult edge, NumericDrift(profile, std::vector<double>{2, 2.5}));
  EXPECT_EQ(edge.buckets[0].current, 0.5);
  EXPECT_EQ(edge.buckets[1].current, 0.5);
}

TEST(DriftTest, ShiftedNormalPsiMatchesAnIndependentLoop) {
  const std::vector<double> ref = Normals(20011, 0, 3);
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile, NumericReference(ref));
  std::vector<double> cur = Normals(5000, 0.5, 4);
  for (size_t i = 0; i < cur.size(); i += 50) cur[i] = kNaN;  // 2% missing (0% in reference)
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult result, NumericDrift(profile, cur));
  const double expected = ExpectedPsi(ReferenceShares(profile), SharesByScan(profile.edges, cur));
  EXPECT_NEAR(result.psi, expected, 1e-12);
  // A half-sigma shift over deciles is a PSI of about 0.25 (plus the missing bucket).
  EXPECT_GT(result.psi, 0.2);
  EXPECT_LT(result.psi, 0.5);
  EXPECT_EQ(result.n, 5000);
  EXPECT_EQ(result.ks_n, 4900);
  EXPECT_EQ(result.ks_reference_n, 10000);
  EXPECT_LT(*result.ks_p_value, 1e-10);
}

TEST(DriftTest, LevelsFollowTheOptions) {
  const std::vector<double> ref = Normals(5000, 0, 5);
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile, NumericReference(ref));
  const std::vector<double> cur = Normals(5000, 0.4, 6);
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult d, NumericDrift(profile, cur));
  ASSERT_GT(d.psi, 0.1);
  ASSERT_LT(d.psi, 0.25);
  EXPECT_EQ(d.level, "moderate");
  LEPTON_ASSERT_OK_AND_ASSIGN(
      DriftResult strict,
      NumericDrift(profile, cur, {.moderate_psi = 0.05, .significant_psi = 0.1}));
  EXPECT_EQ(strict.level, "significant");
  EXPECT_THAT(NumericDrift(profile, cur, {.moderate_psi = 0.3, .significant_psi = 0.2}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("moderate_psi")));
}

TEST(DriftTest, CategoricalPsiWithOtherAndMissing) {
  // Reference: a 50%, b 30%, c 10%, missing 10%; top 2 kept, so c is "other".
  std::vector<std::string> ref;
  std::vector<uint8_t> ref_present;
  auto add = [](std::vector<std::string>& v, std::vector<uint8_t>& p, const std::string& s,
                int n, bool present = true) {
    for (int i = 0; i < n; ++i) {
      v.push_back(s);
      p.push_back(present ? 1 : 0);
    }
  };
  add(ref, ref_present, "a", 50);
  add(ref, ref_present, "b", 30);
  add(ref, ref_present, "c", 10);
  add(ref, ref_present, "ignored", 10, /*present=*/false);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      ReferenceProfile profile,
      CategoricalReference(Views(ref), ref_present, {.top_categories = 2}));
  EXPECT_THAT(profile.categories, ElementsAre("a", "b"));
  EXPECT_THAT(profile.proportions, ElementsAre(0.5, 0.3));
  EXPECT_EQ(profile.other, 0.1);
  EXPECT_EQ(profile.missing, 0.1);

  // Current: a 20%, b 30%, never-seen z 40% (counts as other), missing 10%.
  std::vector<std::string> cur;
  std::vector<uint8_t> cur_present;
  add(cur, cur_present, "a", 20);
  add(cur, cur_present, "b", 30);
  add(cur, cur_present, "z", 40);
  add(cur, cur_present, "", 10, /*present=*/false);
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult result,
                              CategoricalDrift(profile, Views(cur), cur_present));
  const double expected = (0.2 - 0.5) * std::log(0.2 / 0.5) + (0.4 - 0.1) * std::log(0.4 / 0.1);
  EXPECT_NEAR(result.psi, expected, 1e-12);
  EXPECT_FALSE(result.ks_statistic.has_value());
  ASSERT_EQ(result.buckets.size(), 4u);
  EXPECT_EQ(result.buckets[0].label, "a");
  EXPECT_EQ(result.buckets[2].kind, DriftBucket::Kind::kOther);
  EXPECT_DOUBLE_EQ(result.buckets[2].current, 0.4);
  EXPECT_EQ(result.buckets[3].kind, DriftBucket::Kind::kMissing);
  EXPECT_DOUBLE_EQ(result.buckets[3].current, 0.1);
}

TEST(DriftTest, UnseenCategoryAgainstEmptyOtherUsesTheStandIn) {
  // Every reference category is kept, so "other" and "missing" are 0 in the reference.
  const std::vector<std::string> ref = {"x", "x", "x", "y"};
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile, CategoricalReference(Views(ref)));
  EXPECT_EQ(profile.other, 0.0);
  const std::vector<std::string> cur = {"x", "y", "new", "new"};
  const std::vector<uint8_t> present = {1, 1, 1, 0};  // one "new" is missing
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult result,
                              CategoricalDrift(profile, Views(cur), present));
  const double expected = (0.25 - 0.75) * std::log(0.25 / 0.75) +
                          (0.25 - 0.25) * std::log(1.0) +
                          2 * (0.25 - 1e-4) * std::log(0.25 / 1e-4);  // other and missing
  EXPECT_NEAR(result.psi, expected, 1e-12);
  EXPECT_EQ(result.level, "significant");
}

TEST(DriftTest, CategoryTiesRankInByteOrder) {
  const std::vector<std::string> ref = {"b", "a", "c", "b", "a", "c", "d"};
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile,
                              CategoricalReference(Views(ref), {}, {.top_categories = 2}));
  EXPECT_THAT(profile.categories, ElementsAre("a", "b"));
  EXPECT_DOUBLE_EQ(profile.other, 3.0 / 7);
}

// ---- Ties, missing values, errors

TEST(ReferenceProfileTest, QuantileTiesGiveDeduplicatedEdges) {
  // 70% zeros, 20% ones, 10% twos: the deciles are 0 (x7) and 1 (x2); duplicates merge and
  // no edge sits on the maximum, so each of the three bins holds one value.
  std::vector<double> ref;
  ref.insert(ref.end(), 700, 0.0);
  ref.insert(ref.end(), 200, 1.0);
  ref.insert(ref.end(), 100, 2.0);
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile, NumericReference(ref));
  EXPECT_THAT(profile.edges, ElementsAre(0, 1));
  EXPECT_THAT(profile.proportions, ElementsAre(0.7, 0.2, 0.1));
  // The same mix is PSI 0; a new value 3 lands in the last bin (1, +inf) and moves PSI by
  // exactly the independent formula.
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult same, NumericDrift(profile, ref));
  EXPECT_EQ(same.psi, 0.0);
  std::vector<double> cur;
  cur.insert(cur.end(), 600, 0.0);
  cur.insert(cur.end(), 200, 1.0);
  cur.insert(cur.end(), 200, 3.0);
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult moved, NumericDrift(profile, cur));
  const double expected = (0.6 - 0.7) * std::log(0.6 / 0.7) + (0.2 - 0.1) * std::log(0.2 / 0.1);
  EXPECT_NEAR(moved.psi, expected, 1e-12);

  // A 0/1 column keeps one edge, a constant column none (a single bin).
  std::vector<double> binary(80, 0.0);
  binary.insert(binary.end(), 20, 1.0);
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile two, NumericReference(binary));
  EXPECT_THAT(two.edges, ElementsAre(0));
  EXPECT_THAT(two.proportions, ElementsAre(0.8, 0.2));
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile one,
                              NumericReference(std::vector<double>(50, 7.5)));
  EXPECT_TRUE(one.edges.empty());
  EXPECT_THAT(one.proportions, ElementsAre(1.0));
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult constant,
                              NumericDrift(one, std::vector<double>{1, 100, 7.5}));
  EXPECT_EQ(constant.psi, 0.0);  // one bin: values cannot move between bins
  EXPECT_DOUBLE_EQ(*constant.ks_statistic, 1.0 / 3);  // KS still sees the change
}

TEST(ReferenceProfileTest, AllMissingReference) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile,
                              NumericReference(std::vector<double>{kNaN, kNaN, kNaN}));
  EXPECT_EQ(profile.count, 3);
  EXPECT_TRUE(profile.edges.empty());
  EXPECT_THAT(profile.proportions, ElementsAre(0.0));
  EXPECT_EQ(profile.missing, 1.0);
  EXPECT_TRUE(profile.sample.empty());
  // Still all missing: no drift, and no KS (no values on either side).
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult none, NumericDrift(profile, std::vector<double>{kNaN}));
  EXPECT_EQ(none.psi, 0.0);
  EXPECT_FALSE(none.ks_statistic.has_value());
  // Values appear: the empty reference bin takes the stand-in, PSI is large.
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult some,
                              NumericDrift(profile, std::vector<double>{1, 2, kNaN, kNaN}));
  const double expected = (0.5 - 1e-4) * std::log(0.5 / 1e-4) + (0.5 - 1) * std::log(0.5 / 1);
  EXPECT_NEAR(some.psi, expected, 1e-12);
  EXPECT_EQ(some.level, "significant");
  EXPECT_FALSE(some.ks_statistic.has_value());
  // The categorical counterpart.
  const std::vector<std::string> cats = {"a", "b"};
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile cat,
                              CategoricalReference(Views(cats), std::vector<uint8_t>{0, 0}));
  EXPECT_TRUE(cat.categories.empty());
  EXPECT_EQ(cat.missing, 1.0);
}

TEST(ReferenceProfileTest, BadInputIsInvalidArgument) {
  EXPECT_THAT(NumericReference({}), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("no values")));
  EXPECT_THAT(NumericReference(std::vector<double>{1, kInf}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("row 1")));
  EXPECT_THAT(NumericReference(std::vector<double>{1, 2}, {.bins = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bins")));
  EXPECT_THAT(NumericReference(std::vector<double>{1, 2}, {.max_sample = -1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_sample")));
  const std::vector<std::string> cats = {"a", "b"};
  EXPECT_THAT(CategoricalReference(Views(cats), std::vector<uint8_t>{1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("present")));
  EXPECT_THAT(CategoricalReference(Views(cats), {}, {.top_categories = 0}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("top_categories")));
}

TEST(DriftTest, EmptyCurrentOrWrongKindIsInvalidArgument) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile numeric,
                              NumericReference(std::vector<double>{1, 2, 3}));
  const std::vector<std::string> cats = {"a", "b"};
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile categorical, CategoricalReference(Views(cats)));
  EXPECT_THAT(NumericDrift(numeric, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no current values")));
  EXPECT_THAT(CategoricalDrift(categorical, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no current values")));
  EXPECT_THAT(NumericDrift(categorical, std::vector<double>{1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("categorical")));
  EXPECT_THAT(CategoricalDrift(numeric, Views(cats)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("numeric")));
  EXPECT_THAT(CategoricalDrift(categorical, Views(cats), std::vector<uint8_t>{1, 1, 1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("present")));
  // A hand-built profile that breaks the invariants is refused, not trusted.
  ReferenceProfile broken = numeric;
  broken.edges = {2, 1};
  EXPECT_THAT(NumericDrift(broken, std::vector<double>{1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("strictly increasing")));
}

TEST(DriftTest, InfinitiesFallInTheOuterBins) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile,
                              NumericReference(std::vector<double>{1, 2, 3, 4}, {.bins = 2}));
  ASSERT_THAT(profile.edges, ElementsAre(2));
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult r,
                              NumericDrift(profile, std::vector<double>{-kInf, kInf}));
  EXPECT_EQ(r.buckets[0].current, 0.5);
  EXPECT_EQ(r.buckets[1].current, 0.5);
  EXPECT_EQ(r.psi, 0.0);
  EXPECT_EQ(*r.ks_statistic, 0.5);
}

// ---- JSON

TEST(ReferenceProfileTest, JsonRoundTripIsExact) {
  std::vector<double> values = Normals(3001, 0, 7);
  values[0] = 0.1 + 0.2;
  values[1] = 1.0 / 3;
  values[2] = 1e-300;
  values[3] = -0.0;
  values[4] = 4.9e-324;  // smallest subnormal
  values[5] = 1.7976931348623157e308;
  values[6] = kNaN;
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile numeric, NumericReference(values, {.bins = 20}));
  const std::vector<std::string> cats = {"é", "", "with \"quotes\"", "é", "x"};
  LEPTON_ASSERT_OK_AND_ASSIGN(
      ReferenceProfile categorical,
      CategoricalReference(Views(cats), std::vector<uint8_t>{1, 1, 1, 1, 0},
                           {.top_categories = 2}));
  for (const ReferenceProfile* p : {&numeric, &categorical}) {
    const std::string text = DumpJson(p->ToJson());
    LEPTON_ASSERT_OK_AND_ASSIGN(Json parsed, ParseJson(text));
    LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile back, ReferenceProfile::FromJson(parsed));
    EXPECT_EQ(back, *p) << text.substr(0, 500);
    // Bit for bit, not just ==, so that -0.0 and the last digit survive.
    auto same_bits = [](const std::vector<double>& a, const std::vector<double>& b) {
      return a.size() == b.size() &&
             (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
    };
    EXPECT_TRUE(same_bits(back.sample, p->sample));
    EXPECT_TRUE(same_bits(back.edges, p->edges));
    EXPECT_TRUE(same_bits(back.proportions, p->proportions));
    EXPECT_EQ(DumpJson(back.ToJson()), text);
  }
  EXPECT_THAT(categorical.categories, ElementsAre("é", ""));
  EXPECT_TRUE(std::signbit(numeric.sample[std::lower_bound(numeric.sample.begin(),
                                                           numeric.sample.end(), 0.0) -
                                          numeric.sample.begin()]));
}

TEST(ReferenceProfileTest, FromJsonRejectsBadProfiles) {
  auto parse = [](const char* text) {
    auto j = ParseJson(text);
    EXPECT_TRUE(j.ok());
    return ReferenceProfile::FromJson(*j);
  };
  EXPECT_THAT(parse(R"({"kind":"numeric","count":2,"edges":[1],"proportions":[0.5,0.5],)"
                    R"("missing":0,"sample":[],"extra":1})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("extra")));
  EXPECT_THAT(parse(R"({"kind":"ordinal","count":2,"proportions":[1],"missing":0})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("profile.kind")));
  EXPECT_THAT(parse(R"({"kind":"numeric","count":2,"edges":[2,1],"proportions":[0.5,0.5,0],)"
                    R"("missing":0,"sample":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("profile.edges[1]")));
  EXPECT_THAT(parse(R"({"kind":"numeric","count":2,"edges":[1],"proportions":[0.5,0.4],)"
                    R"("missing":0,"sample":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sum to")));
  EXPECT_THAT(parse(R"({"kind":"numeric","count":2,"edges":[1],"proportions":[0.5,0.5],)"
                    R"("missing":0,"sample":[3,1]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sorted")));
  EXPECT_THAT(parse(R"({"kind":"numeric","count":2,"edges":["1"],"proportions":[0.5,0.5],)"
                    R"("missing":0,"sample":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("profile.edges[0]")));
  EXPECT_THAT(parse(R"({"kind":"categorical","count":2,"categories":["a","a"],)"
                    R"("proportions":[0.5,0.5],"other":0,"missing":0})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(parse(R"({"kind":"categorical","count":2,"categories":["a"],"proportions":[1],)"
                    R"("missing":0,"sample":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("profile.sample")));
  EXPECT_THAT(parse(R"({"kind":"categorical","count":0,"categories":["a"],"proportions":[1],)"
                    R"("other":0,"missing":0})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("profile.count")));
  EXPECT_THAT(parse("[1]"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DriftTest, ResultJson) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile,
                              NumericReference(std::vector<double>{1, 2, 3, 4}, {.bins = 2}));
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult r, NumericDrift(profile, std::vector<double>{1, kNaN}));
  const Json j = r.ToJson();
  EXPECT_EQ(j["psi"].get<double>(), r.psi);
  EXPECT_EQ(j["ks_statistic"].get<double>(), *r.ks_statistic);
  EXPECT_EQ(j["n"].get<int64_t>(), 2);
  EXPECT_EQ(j["ks_n"].get<int64_t>(), 1);
  EXPECT_EQ(j["level"].get<std::string>(), r.level);
  ASSERT_EQ(j["buckets"].size(), 3u);
  EXPECT_EQ(j["buckets"][2]["kind"].get<std::string>(), "missing");
  EXPECT_EQ(j["buckets"][0]["label"].get<std::string>(), "(-inf, 2]");
  const std::vector<std::string> cats = {"a"};
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile cat, CategoricalReference(Views(cats)));
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult c, CategoricalDrift(cat, Views(cats)));
  EXPECT_FALSE(c.ToJson().contains("ks_statistic"));
  EXPECT_FALSE(c.ToJson().contains("ks_p_value"));
}

// ---- Reservoir

TEST(ReferenceProfileTest, SeededReservoirIsDeterministic) {
  std::vector<double> values(50000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i);
  const ReferenceOptions options{.max_sample = 1000, .seed = 7};
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile a, NumericReference(values, options));
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile b, NumericReference(values, options));
  ASSERT_EQ(a.sample.size(), 1000u);
  EXPECT_EQ(a.sample, b.sample);
  EXPECT_TRUE(std::is_sorted(a.sample.begin(), a.sample.end()));
  EXPECT_EQ(std::set<double>(a.sample.begin(), a.sample.end()).size(), 1000u);  // no repeats
  // Spread over the whole input (a reservoir that kept the first values would average ~500):
  // the mean of 1000 of 0..49999 drawn uniformly is 24999.5 +- 456 (one sd).
  double mean = 0;
  for (double v : a.sample) mean += v / 1000;
  EXPECT_NEAR(mean, 24999.5, 4 * 456);
  EXPECT_GT(a.sample.back(), 45000);
  // Another seed, another sample.
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile c,
                              NumericReference(values, {.max_sample = 1000, .seed = 8}));
  EXPECT_NE(a.sample, c.sample);
  // Up to max_sample values the sample is all of them; 0 turns KS off.
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile all,
                              NumericReference(std::vector<double>{3, kNaN, 1, 2}));
  EXPECT_THAT(all.sample, ElementsAre(1, 2, 3));
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile off, NumericReference(values, {.max_sample = 0}));
  EXPECT_TRUE(off.sample.empty());
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult no_ks, NumericDrift(off, values));
  EXPECT_FALSE(no_ks.ks_statistic.has_value());
}

// ---- DriftWindow

TEST(DriftWindowTest, MatchesTheBatchFunctions) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile, NumericReference(Normals(4000, 0, 9)));
  std::vector<double> cur = Normals(3000, 0.2, 10);
  cur[5] = kNaN;
  LEPTON_ASSERT_OK_AND_ASSIGN(auto window, DriftWindow::Create(profile));
  for (size_t i = 0; i < cur.size(); i += 700) {
    ASSERT_OK(window->AddNumeric(std::span<const double>(cur).subspan(
        i, std::min<size_t>(700, cur.size() - i))));
  }
  EXPECT_EQ(window->count(), 3000);
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult w, window->Result());
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult batch, NumericDrift(profile, cur));
  EXPECT_EQ(w.psi, batch.psi);
  EXPECT_EQ(*w.ks_statistic, *batch.ks_statistic);
  EXPECT_EQ(*w.ks_p_value, *batch.ks_p_value);
  EXPECT_EQ(DumpJson(w.ToJson()), DumpJson(batch.ToJson()));

  // Categorical, with missing flags.
  const std::vector<std::string> ref = {"a", "a", "b", "c"};
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile cat, CategoricalReference(Views(ref)));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto cw, DriftWindow::Create(cat));
  const std::vector<std::string> cvals = {"a", "q", "b", "b"};
  const std::vector<uint8_t> present = {1, 1, 0, 1};
  ASSERT_OK(cw->AddCategorical(Views(cvals), present));
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult cwr, cw->Result());
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult cbatch, CategoricalDrift(cat, Views(cvals), present));
  EXPECT_EQ(DumpJson(cwr.ToJson()), DumpJson(cbatch.ToJson()));
}

TEST(DriftWindowTest, BoundedReservoirResetAndErrors) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile, NumericReference(Normals(2000, 0, 11)));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto window,
                              DriftWindow::Create(profile, {.max_sample = 100, .seed = 3}));
  EXPECT_THAT(window->Result(), StatusIs(absl::StatusCode::kFailedPrecondition));
  const std::vector<double> cur = Normals(5000, 1, 12);
  ASSERT_OK(window->AddNumeric(cur));
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult first, window->Result());
  EXPECT_EQ(first.n, 5000);
  EXPECT_EQ(first.ks_n, 100);  // KS on the bounded reservoir
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult batch, NumericDrift(profile, cur));
  EXPECT_EQ(first.psi, batch.psi);  // PSI counts every value
  EXPECT_NEAR(*first.ks_statistic, *batch.ks_statistic, 0.15);
  // Reset reseeds: the same window again gives the same result.
  window->Reset();
  EXPECT_EQ(window->count(), 0);
  ASSERT_OK(window->AddNumeric(cur));
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult again, window->Result());
  EXPECT_EQ(DumpJson(again.ToJson()), DumpJson(first.ToJson()));
  const std::vector<std::string> cats = {"a"};
  EXPECT_THAT(window->AddCategorical(Views(cats)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(DriftWindow::Create(profile, {.max_sample = -1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ReferenceProfile broken = profile;
  broken.proportions.pop_back();
  EXPECT_THAT(DriftWindow::Create(broken), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DriftWindowTest, ConcurrentAddsAreAllCounted) {
  LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile profile, NumericReference(Normals(1000, 0, 13)));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto window, DriftWindow::Create(profile, {.max_sample = 0}));
  const std::vector<double> cur = Normals(1000, 0.5, 14);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (size_t i = 0; i < cur.size(); ++i) {
        ASSERT_OK(window->AddNumeric(std::span<const double>(&cur[i], 1)));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(window->count(), 4000);
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult w, window->Result());
  LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult batch, NumericDrift(profile, cur));
  EXPECT_DOUBLE_EQ(w.psi, batch.psi);  // four copies of the same values: the same shares
}

// ---- Agreement with numpy and scipy

constexpr char kPython[] = "/usr/bin/python3";

constexpr char kScript[] = R"PY(
import json, sys
import numpy as np
from scipy import stats
d = json.load(open(sys.argv[1]))
def arr(v):
    return np.array([np.nan if x is None else float(x) for x in v], dtype=float)
out = {"ks": [], "grid": [], "psi": [], "edges": []}
for c in d["ks"]:
    r = stats.ks_2samp(arr(c["a"]), arr(c["b"]), method="asymp")
    out["ks"].append([float(r.statistic), float(r.pvalue)])
for n, x in d["grid"]:
    out["grid"].append(float(stats.kstwo.sf(x, n)))
def stand_in(p):
    m = p[p > 0].min()
    q = p.copy()
    q[q == 0] = m / 1e6 if m <= 1e-4 else 1e-4
    return q
for c in d["psi"]:
    edges = np.array(c["edges"], dtype=float)
    cur = arr(c["current"])
    miss = np.isnan(cur)
    counts = np.bincount(np.searchsorted(edges, cur[~miss], side="left"),
                         minlength=len(edges) + 1)
    cs = np.append(counts, miss.sum()) / len(cur)
    rs = np.array(c["reference"], dtype=float)
    keep = (rs > 0) | (cs > 0)
    r, k = stand_in(rs), stand_in(cs)
    out["psi"].append(float(np.sum(((k - r) * np.log(k / r))[keep])))
for c in d["edges"]:
    x = arr(c["values"])
    x = x[~np.isnan(x)]
    b = c["bins"]
    e = np.unique(np.quantile(x, np.arange(1, b) / b, method="inverted_cdf"))
    out["edges"].append(e[e < x.max()].tolist())
print(json.dumps(out))
)PY";

// Runs kScript on `input` (JSON in a temp file) and returns what it prints.
absl::StatusOr<Json> RunScipy(const Json& input) {
  std::string tmpl = ::testing::TempDir() + "/lepton_drift_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  const std::string dir = tmpl;
  LEPTON_RETURN_IF_ERROR(WriteFileAtomically(dir + "/input.json", DumpJson(input)));
  LEPTON_RETURN_IF_ERROR(WriteFileAtomically(dir + "/check.py", kScript));
  const std::string cmd =
      StrCat(kPython, " ", dir, "/check.py ", dir, "/input.json 2>", dir, "/stderr.txt");
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("popen failed");
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int rc = ::pclose(pipe);
  auto err = ReadFile(dir + "/stderr.txt");
  std::system(StrCat("rm -rf '", dir, "'").c_str());
  if (rc != 0) return absl::InternalError(StrCat("scipy script failed: ", err.ok() ? *err : ""));
  return ParseJson(out);
}

class DriftScipyAgreementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system(StrCat(kPython, " -c 'import scipy.stats' >/dev/null 2>&1").c_str()) != 0) {
      GTEST_SKIP() << kPython << " cannot import scipy; install python3-scipy";
    }
  }
};

std::vector<double> NonMissing(const std::vector<double>& v) {
  std::vector<double> out;
  for (double x : v) {
    if (!std::isnan(x)) out.push_back(x);
  }
  return out;
}

// JSON has no NaN or infinity: NaN goes as null, infinities as the strings "inf" / "-inf"
// (which Python's `float` reads).
Json ToJsonArray(const std::vector<double>& v) {
  Json a = Json::array();
  for (double x : v) {
    if (std::isnan(x)) {
      a.push_back(nullptr);
    } else if (std::isinf(x)) {
      a.push_back(x > 0 ? "inf" : "-inf");
    } else {
      a.push_back(x);
    }
  }
  return a;
}

TEST_F(DriftScipyAgreementTest, KsPsiAndEdgesMatchScipyAndNumpy) {
  struct Case {
    std::string name;
    std::vector<double> ref;
    std::vector<double> cur;
    ReferenceOptions options;
  };
  std::vector<Case> cases;
  // Large reference (sampled down to 10000 for KS), a small shift, some missing values.
  {
    Case c{"large", Normals(20011, 0, 21), Normals(700, 0.1, 22), {}};
    for (size_t i = 0; i < c.cur.size(); i += 35) c.cur[i] = kNaN;
    for (size_t i = 0; i < c.ref.size(); i += 101) c.ref[i] = kNaN;
    cases.push_back(std::move(c));
  }
  cases.push_back({"small", Normals(60, 0, 23), Normals(25, 0.8, 24), {.bins = 5}});
  cases.push_back({"tiny", Normals(7, 0, 25), Normals(4, 0.3, 26), {}});
  cases.push_back({"one_value", Normals(300, 0, 27), {0.25}, {}});
  // Many ties: integer-rounded values.
  {
    Case c{"ties", Normals(3000, 0, 28), Normals(2000, 0.15, 29), {.bins = 20}};
    for (double& v : c.ref) v = std::round(2 * v);
    for (double& v : c.cur) v = std::round(2 * v);
    cases.push_back(std::move(c));
  }
  cases.push_back({"identical", Normals(500, 0, 30), Normals(500, 0, 30), {}});
  cases.push_back({"far", Normals(400, 0, 31), Normals(300, 3, 32), {}});

  Json input = {{"ks", Json::array()}, {"grid", Json::array()}, {"psi", Json::array()},
                {"edges", Json::array()}};
  std::vector<DriftResult> results;
  std::vector<ReferenceProfile> profiles;
  for (const Case& c : cases) {
    LEPTON_ASSERT_OK_AND_ASSIGN(ReferenceProfile p, NumericReference(c.ref, c.options));
    LEPTON_ASSERT_OK_AND_ASSIGN(DriftResult r, NumericDrift(p, c.cur));
    ASSERT_TRUE(r.ks_statistic.has_value()) << c.name;
    input["ks"].push_back({{"a", ToJsonArray(p.sample)}, {"b", ToJsonArray(NonMissing(c.cur))}});
    Json ref_shares = ReferenceShares(p);
    input["psi"].push_back(
        {{"edges", p.edges}, {"reference", ref_shares}, {"current", ToJsonArray(c.cur)}});
    input["edges"].push_back({{"values", ToJsonArray(c.ref)}, {"bins", c.options.bins}});
    results.push_back(std::move(r));
    profiles.push_back(std::move(p));
  }
  // A direct two-sample call with infinities.
  const std::vector<double> inf_a = {-kInf, 0, 1, 2, kInf};
  const std::vector<double> inf_b = {0.5, 1.5, kInf, kInf};
  input["ks"].push_back({{"a", ToJsonArray(inf_a)}, {"b", ToJsonArray(inf_b)}});

  // kstwo.sf over every branch of scipy's `_kolmogn`: x <= 1/n, x >= 1 - 1/n, x >= 0.5, and
  // n x^2 around each cut-over (0.754693 and 4 for n <= 140; 2.2, 370 and n x^1.5 = 1.4 above).
  std::vector<std::pair<int64_t, double>> grid;
  for (int64_t n : {1, 2, 3, 5, 10, 37, 100, 140, 141, 300, 1000, 5000, 20000, 100000}) {
    const double nd = static_cast<double>(n);
    std::vector<double> xs = {0.3 / nd, 0.6 / nd, 0.9 / nd, 1 / nd, 1.5 / nd, 0.3, 0.5, 0.7,
                              1 - 1.5 / nd, 1 - 0.5 / nd, 0.999, 0.02, 0.1};
    for (double s : {0.5, 0.75, 0.76, 1.0, 1.5, 2.0, 2.19, 2.21, 3.0, 3.99, 4.01, 6.0, 10.0,
                     18.0, 50.0, 200.0, 369.0, 371.0}) {
      xs.push_back(std::sqrt(s / nd));
    }
    xs.push_back(std::pow(1.39 / nd, 2.0 / 3));
    xs.push_back(std::pow(1.41 / nd, 2.0 / 3));
    for (double x : xs) {
      if (x > 0 && x <= 1) grid.emplace_back(n, x);
    }
  }
  for (const auto& [n, x] : grid) input["grid"].push_back({n, x});

  LEPTON_ASSERT_OK_AND_ASSIGN(Json want, RunScipy(input));

  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    const Json& ks = want["ks"][i];
    EXPECT_NEAR(*results[i].ks_statistic, ks[0].get<double>(), 1e-9);
    EXPECT_NEAR(*results[i].ks_p_value, ks[1].get<double>(), 1e-6);
    EXPECT_NEAR(results[i].psi, want["psi"][i].get<double>(), 1e-12);
    EXPECT_EQ(profiles[i].edges, want["edges"][i].get<std::vector<double>>());
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(TwoSampleKs inf_ks, TwoSampleKsTest(inf_a, inf_b));
  EXPECT_NEAR(inf_ks.statistic, want["ks"][cases.size()][0].get<double>(), 1e-9);
  EXPECT_NEAR(inf_ks.p_value, want["ks"][cases.size()][1].get<double>(), 1e-6);

  double worst = 0;
  for (size_t i = 0; i < grid.size(); ++i) {
    const auto [n, x] = grid[i];
    const double got = KolmogorovSurvival(n, x);
    const double expect = want["grid"][i].get<double>();
    EXPECT_NEAR(got, expect, 1e-6) << "n " << n << " x " << x;
    // Much closer than that in fact: the same algorithms, so rounding only.
    EXPECT_LE(std::fabs(got - expect), 1e-10 + 1e-8 * expect) << "n " << n << " x " << x;
    worst = std::max(worst, std::fabs(got - expect));
  }
  RecordProperty("kolmogorov_max_abs_diff", StrCat(worst));
}

TEST(DriftKsTest, TwoSampleKsBasics) {
  EXPECT_THAT(TwoSampleKsTest({}, std::vector<double>{1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(TwoSampleKsTest(std::vector<double>{1, kNaN}, std::vector<double>{1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NaN")));
  // Disjoint samples: D = 1, p = 0.
  LEPTON_ASSERT_OK_AND_ASSIGN(TwoSampleKs apart,
                              TwoSampleKsTest(std::vector<double>{1, 2, 3},
                                              std::vector<double>{4, 5, 6, 7}));
  EXPECT_EQ(apart.statistic, 1.0);
  EXPECT_EQ(apart.p_value, 0.0);
  // One value each: scipy's round(0.5) = 0 gives NaN; we use n = 1 (Pr(D_1 > 0.5)... = 1).
  LEPTON_ASSERT_OK_AND_ASSIGN(TwoSampleKs single,
                              TwoSampleKsTest(std::vector<double>{1}, std::vector<double>{1}));
  EXPECT_EQ(single.statistic, 0.0);
  EXPECT_EQ(single.p_value, 1.0);
  // Known values of the Kolmogorov distribution: D_1 is uniform on [1/2, 1], so
  // Pr(D_1 > x) = 2 (1 - x); and for large n the tail is ~ 2 exp(-2 n x^2).
  EXPECT_NEAR(KolmogorovSurvival(1, 0.75), 0.5, 1e-15);
  EXPECT_NEAR(KolmogorovSurvival(100000, 0.005), 2 * std::exp(-2 * 100000 * 0.005 * 0.005),
              2e-3);
  EXPECT_TRUE(std::isnan(KolmogorovSurvival(10, kNaN)));
  EXPECT_EQ(KolmogorovSurvival(10, 0.01), 1.0);
  EXPECT_EQ(KolmogorovSurvival(10, 1.0), 0.0);
}

}  // namespace
}  // namespace lepton::ml
