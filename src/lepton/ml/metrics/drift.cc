#include "lepton/ml/metrics/drift.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::ml {

namespace {

constexpr int kMaxBins = 1000;
constexpr int64_t kMaxSample = 1000000;
constexpr int kMaxTopCategories = 100000;
// Shares of a profile must sum to 1 within this (they are count / total, so rounding only).
constexpr double kShareSumTolerance = 1e-6;

absl::Status CheckReferenceOptions(const ReferenceOptions& o) {
  if (o.bins < 1 || o.bins > kMaxBins) {
    return absl::InvalidArgumentError(
        StrCat("reference options: bins must be in [1, ", kMaxBins, "], got ", o.bins));
  }
  if (o.max_sample < 0 || o.max_sample > kMaxSample) {
    return absl::InvalidArgumentError(StrCat("reference options: max_sample must be in [0, ",
                                             kMaxSample, "], got ", o.max_sample));
  }
  if (o.top_categories < 1 || o.top_categories > kMaxTopCategories) {
    return absl::InvalidArgumentError(StrCat("reference options: top_categories must be in [1, ",
                                             kMaxTopCategories, "], got ", o.top_categories));
  }
  return absl::OkStatus();
}

absl::Status CheckDriftOptions(const DriftOptions& o) {
  if (!std::isfinite(o.moderate_psi) || !std::isfinite(o.significant_psi) ||
      o.moderate_psi < 0 || o.moderate_psi > o.significant_psi) {
    return absl::InvalidArgumentError(
        StrCat("drift options: need 0 <= moderate_psi <= significant_psi (finite), got ",
               o.moderate_psi, " and ", o.significant_psi));
  }
  return absl::OkStatus();
}

absl::Status CheckPresent(std::string_view what, size_t rows, std::span<const uint8_t> present) {
  if (!present.empty() && present.size() != rows) {
    return absl::InvalidArgumentError(StrCat(what, ": present has ", present.size(),
                                             " flags for ", rows, " values"));
  }
  return absl::OkStatus();
}

bool IsPresent(std::span<const uint8_t> present, size_t i) {
  return present.empty() || present[i] != 0;
}

// The invariants documented on `ReferenceProfile`; messages start with `path`.
absl::Status ValidateProfile(const ReferenceProfile& p, std::string_view path) {
  auto fail = [&](std::string_view field, const std::string& what) {
    return absl::InvalidArgumentError(StrCat(path, ".", field, ": ", what));
  };
  if (p.count < 1) return fail("count", StrCat("must be >= 1, got ", p.count));
  auto check_share = [&](std::string_view field, double v) -> absl::Status {
    if (!(v >= 0 && v <= 1)) return fail(field, StrCat("share ", v, " is outside [0, 1]"));
    return absl::OkStatus();
  };
  LEPTON_RETURN_IF_ERROR(check_share("missing", p.missing));
  LEPTON_RETURN_IF_ERROR(check_share("other", p.other));
  double sum = p.missing + p.other;
  for (size_t i = 0; i < p.proportions.size(); ++i) {
    LEPTON_RETURN_IF_ERROR(check_share(StrCat("proportions[", i, "]"), p.proportions[i]));
    sum += p.proportions[i];
  }
  if (std::fabs(sum - 1) > kShareSumTolerance) {
    return fail("proportions", StrCat("shares (with other and missing) sum to ", sum,
                                      ", not 1"));
  }
  if (p.kind == ReferenceProfile::Kind::kNumeric) {
    if (!p.categories.empty()) return fail("categories", "must be empty for a numeric profile");
    if (p.other != 0) return fail("other", "must be 0 for a numeric profile");
    for (size_t i = 0; i < p.edges.size(); ++i) {
      if (!std::isfinite(p.edges[i])) return fail(StrCat("edges[", i, "]"), "must be finite");
      if (i > 0 && !(p.edges[i] > p.edges[i - 1])) {
        return fail(StrCat("edges[", i, "]"), "edges must be strictly increasing");
      }
    }
    if (p.proportions.size() != p.edges.size() + 1) {
      return fail("proportions", StrCat("need one share per bin (", p.edges.size() + 1,
                                        "), got ", p.proportions.size()));
    }
    for (size_t i = 0; i < p.sample.size(); ++i) {
      if (!std::isfinite(p.sample[i])) return fail(StrCat("sample[", i, "]"), "must be finite");
      if (i > 0 && p.sample[i] < p.sample[i - 1]) {
        return fail(StrCat("sample[", i, "]"), "the sample must be sorted ascending");
      }
    }
  } else {
    if (!p.edges.empty()) return fail("edges", "must be empty for a categorical profile");
    if (!p.sample.empty()) return fail("sample", "must be empty for a categorical profile");
    if (p.proportions.size() != p.categories.size()) {
      return fail("proportions", StrCat("need one share per category (", p.categories.size(),
                                        "), got ", p.proportions.size()));
    }
    std::vector<std::string_view> sorted(p.categories.begin(), p.categories.end());
    std::sort(sorted.begin(), sorted.end());
    auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    if (dup != sorted.end()) {
      return fail("categories", StrCat("category \"", *dup, "\" is listed twice"));
    }
  }
  return absl::OkStatus();
}

std::map<std::string, size_t, std::less<>> CategoryIndex(const ReferenceProfile& p) {
  std::map<std::string, size_t, std::less<>> index;
  for (size_t i = 0; i < p.categories.size(); ++i) index.emplace(p.categories[i], i);
  return index;
}

// Buckets in `DriftResult::buckets` order: bins + missing, or categories + other + missing.
size_t BucketCount(const ReferenceProfile& p) {
  return p.kind == ReferenceProfile::Kind::kNumeric ? p.edges.size() + 2
                                                    : p.categories.size() + 2;
}

// Bin of a non-NaN value: the number of edges below it (right-closed bins).
size_t NumericBin(const std::vector<double>& edges, double v) {
  return static_cast<size_t>(std::lower_bound(edges.begin(), edges.end(), v) - edges.begin());
}

size_t CategoricalBucket(const std::map<std::string, size_t, std::less<>>& index,
                         size_t num_categories, std::string_view v) {
  auto it = index.find(v);
  return it == index.end() ? num_categories : it->second;
}

// A uniform integer in [0, range), range >= 1: values of `rng` below 2^64 mod `range` are
// rejected so that `x % range` is unbiased; unlike `std::uniform_int_distribution` the result
// is the same on every platform, so seeded samples are reproducible.
uint64_t UniformBelow(std::mt19937_64& rng, uint64_t range) {
  const uint64_t reject_below = (uint64_t{0} - range) % range;
  uint64_t x = rng();
  while (x < reject_below) x = rng();
  return x % range;
}

// One step of reservoir sampling (Vitter's algorithm R): after `*seen` offers, `*reservoir`
// is a uniform sample of min(capacity, seen) of them.
void ReservoirOffer(double v, int64_t capacity, int64_t* seen, std::vector<double>* reservoir,
                    std::mt19937_64* rng) {
  ++*seen;
  if (static_cast<int64_t>(reservoir->size()) < capacity) {
    reservoir->push_back(v);
    return;
  }
  if (capacity == 0) return;
  const uint64_t j = UniformBelow(*rng, static_cast<uint64_t>(*seen));
  if (j < static_cast<uint64_t>(capacity)) (*reservoir)[j] = v;
}

// Evidently's stand-in for zero shares of one side (see drift.h).
double ZeroShareStandIn(const std::vector<double>& shares) {
  double min_nonzero = std::numeric_limits<double>::infinity();
  for (double s : shares) {
    if (s > 0) min_nonzero = std::min(min_nonzero, s);
  }
  return min_nonzero <= kPsiEpsilon ? min_nonzero / 1e6 : kPsiEpsilon;
}

std::string BinLabel(const std::vector<double>& edges, size_t i) {
  const std::string lower = i == 0 ? "-inf" : StrCat(edges[i - 1]);
  if (i == edges.size()) return StrCat("(", lower, ", +inf)");
  return StrCat("(", lower, ", ", edges[i], "]");
}

// KS statistic of two sorted samples without NaN, computed as scipy does: the largest
// |i / n1 - j / n2| over every value x, with i, j the counts of values <= x.
double SortedKsStatistic(std::span<const double> a, std::span<const double> b) {
  const double n1 = static_cast<double>(a.size());
  const double n2 = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double d = 0;
  // Once one sample is used up the difference only shrinks, so stopping there is enough.
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] <= x) ++i;
    while (j < b.size() && b[j] <= x) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / n1 - static_cast<double>(j) / n2));
  }
  return d;
}

// scipy's p-value for the statistic `d` of samples of sizes n1, n2: kstwo.sf(d, round(en)),
// en = m n / (m + n) with m the larger size (computed in that order, rounded half to even).
double SortedKsPValue(double d, size_t n1, size_t n2) {
  const double m = static_cast<double>(std::max(n1, n2));
  const double n = static_cast<double>(std::min(n1, n2));
  const double en = std::nearbyint(m * n / (m + n));
  return KolmogorovSurvival(std::max<int64_t>(1, static_cast<int64_t>(en)), d);
}

// PSI and KS from per-bucket counts (`BucketCount` of them, summing to `rows` >= 1) and the
// sorted current values for KS.
DriftResult Assemble(const ReferenceProfile& ref, const std::vector<int64_t>& counts,
                     int64_t rows, std::span<const double> ks_values,
                     const DriftOptions& options) {
  const bool numeric = ref.kind == ReferenceProfile::Kind::kNumeric;
  const size_t num_buckets = counts.size();
  std::vector<double> r;
  r.reserve(num_buckets);
  r.insert(r.end(), ref.proportions.begin(), ref.proportions.end());
  if (!numeric) r.push_back(ref.other);
  r.push_back(ref.missing);
  std::vector<double> c(num_buckets);
  for (size_t i = 0; i < num_buckets; ++i) {
    c[i] = static_cast<double>(counts[i]) / static_cast<double>(rows);
  }
  const double r_eps = ZeroShareStandIn(r);
  const double c_eps = ZeroShareStandIn(c);

  DriftResult out;
  out.n = rows;
  out.buckets.resize(num_buckets);
  for (size_t i = 0; i < num_buckets; ++i) {
    DriftBucket& b = out.buckets[i];
    if (i + 1 == num_buckets) {
      b.kind = DriftBucket::Kind::kMissing;
      b.label = "missing";
    } else if (numeric) {
      b.kind = DriftBucket::Kind::kBin;
      b.label = BinLabel(ref.edges, i);
    } else if (i < ref.categories.size()) {
      b.kind = DriftBucket::Kind::kCategory;
      b.label = ref.categories[i];
    } else {
      b.kind = DriftBucket::Kind::kOther;
      b.label = "other";
    }
    b.reference = r[i];
    b.current = c[i];
    if (r[i] > 0 || c[i] > 0) {
      const double ri = r[i] > 0 ? r[i] : r_eps;
      const double ci = c[i] > 0 ? c[i] : c_eps;
      b.psi = (ci - ri) * std::log(ci / ri);
    }
    out.psi += b.psi;
  }
  if (numeric && !ref.sample.empty() && !ks_values.empty()) {
    const double d = SortedKsStatistic(ref.sample, ks_values);
    out.ks_statistic = d;
    out.ks_p_value = SortedKsPValue(d, ref.sample.size(), ks_values.size());
    out.ks_n = static_cast<int64_t>(ks_values.size());
    out.ks_reference_n = static_cast<int64_t>(ref.sample.size());
  }
  out.level = out.psi >= options.significant_psi ? "significant"
              : out.psi >= options.moderate_psi  ? "moderate"
                                                 : "none";
  return out;
}

// ---- The Kolmogorov distribution, after scipy 1.10 `scipy/stats/_ksstats.py` and the
// Smirnov sum of `scipy/special/cephes/kolmogorov.c`. The branch points are scipy's, so that
// the p-values agree with scipy's to rounding, including where it uses an approximation.

constexpr double kPi = 3.14159265358979323846;
constexpr int kScaleExp = 128;  // intermediate results are rescaled by 2^128
const long double kScaleUp = std::ldexp(1.0L, kScaleExp);
const long double kScaleDown = std::ldexp(1.0L, -kScaleExp);

// log(n! / n^n) by Stirling's series with n log n taken out up front (no cancellation).
double LogFactorialOverPower(int64_t n) {
  static constexpr double kStirling[] = {
      -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3,
      8.4175084175084175084e-4, -5.952380952380952381e-4, 7.9365079365079365079e-4,
      -2.7777777777777777778e-3, 8.3333333333333333333e-2};
  const double nd = static_cast<double>(n);
  const double rn = 1.0 / nd;
  const double x = rn / nd;
  double poly = 0;
  for (double c : kStirling) poly = poly * x + c;
  return std::log(nd) / 2 - nd + std::log(2 * kPi) / 2 + rn * poly;
}

// Pr(D_n <= d) by Durbin's matrix method as Marsaglia, Tsang & Wang compute it: the k-th
// diagonal entry of H^n (k = ceil(n d), H of order 2k - 1) times n! / n^n, with rescaling.
double DurbinCdf(int64_t n, double d) {
  if (d >= 1.0) return 1.0;
  const double nd = static_cast<double>(n) * d;
  if (nd <= 0.5) return 0.0;
  const int k = static_cast<int>(std::ceil(nd));
  const double h = k - nd;
  const int m = 2 * k - 1;
  auto at = [m](std::vector<double>& a, int r, int c) -> double& {
    return a[static_cast<size_t>(r) * m + c];
  };
  std::vector<double> v(m), w(m);
  double fac = 1.0;
  for (int j = 1; j <= m; ++j) {
    v[j - 1] = 1.0 - std::pow(h, j);
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] *= fac;
  }
  const double tt = std::pow(std::max(2 * h - 1.0, 0.0), m) - 2 * std::pow(h, m);
  v[m - 1] = (1.0 + tt) * fac;

  std::vector<double> H(static_cast<size_t>(m) * m, 0.0);
  for (int i = 1; i < m; ++i) {
    for (int r = i - 1; r < m; ++r) at(H, r, i) = w[r - (i - 1)];
  }
  for (int r = 0; r < m; ++r) at(H, r, 0) = v[r];
  for (int c = 0; c < m; ++c) at(H, m - 1, c) = v[m - 1 - c];

  auto matmul = [m, &at](std::vector<double>& a, std::vector<double>& b) {
    std::vector<double> out(static_cast<size_t>(m) * m, 0.0);
    for (int r = 0; r < m; ++r) {
      for (int l = 0; l < m; ++l) {
        const double arl = at(a, r, l);
        if (arl == 0) continue;
        for (int c = 0; c < m; ++c) at(out, r, c) += arl * at(b, l, c);
      }
    }
    return out;
  };
  std::vector<double> power(static_cast<size_t>(m) * m, 0.0);
  for (int i = 0; i < m; ++i) at(power, i, i) = 1.0;
  int64_t exponent = 0;    // power holds H^.. / 2^exponent
  int64_t h_exponent = 0;  // H holds H^(2^j) / 2^h_exponent
  for (int64_t nn = n; nn > 0; nn /= 2) {
    if (nn % 2) {
      power = matmul(power, H);
      exponent += h_exponent;
    }
    H = matmul(H, H);
    h_exponent *= 2;
    if (std::fabs(at(H, k - 1, k - 1)) > static_cast<double>(kScaleUp)) {
      for (double& x : H) x = static_cast<double>(x / kScaleUp);
      h_exponent += kScaleExp;
    }
  }
  long double p = at(power, k - 1, k - 1);
  const long double nl = static_cast<long double>(n);
  for (int64_t i = 1; i <= n; ++i) {
    p = static_cast<long double>(i) * p / nl;
    if (std::fabs(p) < kScaleDown) {
      p *= kScaleUp;
      exponent -= kScaleExp;
    }
  }
  if (exponent != 0) p = std::ldexp(p, static_cast<int>(exponent));
  return std::clamp(static_cast<double>(p), 0.0, 1.0);
}

// Row bounds of Pomeranz's recursion (scipy's `_pomeranz_compute_j1j2`).
std::pair<int64_t, int64_t> PomeranzBounds(int64_t i, int64_t n, int64_t ll, int64_t ceilf,
                                           int64_t roundf) {
  int64_t j1, j2;
  if (i == 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const int64_t half = (i + 1) / 2;
    if ((i + 1) % 2 == 0) {
      if (half == n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return {std::max<int64_t>(j1 + 2, 0), std::min(j2, n)};
}

// Pr(D_n <= x) by Pomeranz's recursion (1974): 2n + 1 convolutions of a short row with
// truncated Poisson weights, only the non-zero stretch of each row kept.
double PomeranzCdf(int64_t n, double x) {
  const double t = static_cast<double>(n) * x;
  const int64_t ll = static_cast<int64_t>(std::floor(t));
  const double f = t - static_cast<double>(ll);
  const double g = std::min(f, 1.0 - f);
  const int64_t ceilf = f > 0 ? 1 : 0;
  const int64_t roundf = f > 0.5 ? 1 : 0;
  const int64_t npwrs = 2 * (ll + 1);
  const double nd = static_cast<double>(n);
  std::vector<double> gpower(npwrs), twogpower(npwrs), onem2gpower(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
  for (int64_t k = 1; k < npwrs; ++k) {
    gpower[k] = gpower[k - 1] * (g / nd) / static_cast<double>(k);
    twogpower[k] = twogpower[k - 1] * (2 * g / nd) / static_cast<double>(k);
    onem2gpower[k] = onem2gpower[k - 1] * ((1 - 2 * g) / nd) / static_cast<double>(k);
  }
  std::vector<double> v0(npwrs, 0.0), v1(npwrs, 0.0);
  v1[0] = 1;
  int64_t v0s = 0, v1s = 0;
  int64_t exponent = 0;
  auto [j1, j2] = PomeranzBounds(0, n, ll, ceilf, roundf);
  for (int64_t i = 1; i < 2 * n + 2; ++i) {
    const int64_t k1 = j1;
    std::swap(v0, v1);
    std::swap(v0s, v1s);
    std::fill(v1.begin(), v1.end(), 0.0);
    std::tie(j1, j2) = PomeranzBounds(i, n, ll, ceilf, roundf);
    const std::vector<double>& pw =
        (i == 1 || i == 2 * n + 1) ? gpower : (i % 2 ? twogpower : onem2gpower);
    const int64_t len = j2 - k1 + 1;
    if (len <= 0) continue;
    // conv = convolve(v0[k1 - v0s : k1 - v0s + len], pw[:len]), slices truncated as numpy does;
    // keep conv[j1 - k1 : j1 - k1 + (j2 - j1 + 1)].
    const int64_t a0 = k1 - v0s;
    const int64_t alen = std::max<int64_t>(0, std::min(len, npwrs - a0));
    const int64_t blen = std::min(len, npwrs);
    const int64_t conv_start = j1 - k1;
    const int64_t conv_len = j2 - j1 + 1;
    double vmax = 0;
    for (int64_t q = 0; q < conv_len; ++q) {
      const int64_t idx = conv_start + q;
      double s = 0;
      for (int64_t p = std::max<int64_t>(0, idx - blen + 1); p <= std::min(idx, alen - 1); ++p) {
        s += v0[a0 + p] * pw[idx - p];
      }
      v1[q] = s;
      vmax = std::max(vmax, s);
    }
    if (vmax > 0 && vmax < static_cast<double>(kScaleDown)) {
      for (double& e : v1) e = static_cast<double>(e * kScaleUp);
      exponent -= kScaleExp;
    }
    v1s = v0s + j1 - k1;
  }
  long double ans = v1[n - v1s];
  for (int64_t k = 1; k <= n; ++k) {
    if (std::fabs(ans) > kScaleUp) {
      ans *= kScaleDown;
      exponent += kScaleExp;
    }
    ans *= static_cast<long double>(k);
  }
  if (exponent != 0) ans = std::ldexp(ans, static_cast<int>(exponent));
  return std::clamp(static_cast<double>(ans), 0.0, 1.0);
}

// Pelz & Good's (1976) expansion of Pr(D_n <= x) for large n: the Li-Chien / Korolyuk series
// K0 + K1 / sqrt(n) + K2 / n + K3 / n^1.5 rewritten with Jacobi theta functions for small z.
double PelzGoodCdf(int64_t n, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double pi2 = kPi * kPi, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
  const double sqrt2pi = std::sqrt(2 * kPi);
  const double z = std::sqrt(static_cast<double>(n)) * x;
  const double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
  const double qlog = -pi2 / 8 / z2;
  if (qlog < -708) return 0.0;
  double q = std::exp(qlog);

  const double k1a = -z2, k1b = pi2 / 4;
  const double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4,
               k2c = pi4 * (1 - 2 * z2) / 16;
  const double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16,
               k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * std::pow(z, 8);
  double K[4] = {0, 0, 0, 0};
  const int64_t maxk = static_cast<int64_t>(std::ceil(16 * z / kPi));
  for (int64_t k = maxk; k > 0; --k) {
    const double mm = static_cast<double>(2 * k - 1);
    const double m2 = mm * mm, m4 = m2 * m2, m6 = m4 * m2;
    const double qpower = std::pow(q, static_cast<double>(8 * k));
    const double coeffs[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                              k3a + k3b * m2 + k3c * m4 + k3d * m6};
    for (int i = 0; i < 4; ++i) K[i] = K[i] * qpower + coeffs[i];
  }
  const double div[4] = {z, 6 * z4, 72 * std::pow(z, 7), 6480 * std::pow(z, 10)};
  for (int i = 0; i < 4; ++i) K[i] = K[i] * q * sqrt2pi / div[i];

  q = std::exp(-pi2 / 2 / z2);
  const double sqrt3z = std::sqrt(3.0) * z;
  double k2extra = 0, k3extra = 0;
  for (int64_t k = maxk; k > 0; --k) {
    const double kd = static_cast<double>(k);
    const double ksq = kd * kd;
    const double qk = std::pow(q, ksq);
    k2extra += ksq * qk;
    k3extra += (sqrt3z + kPi * kd) * (sqrt3z - kPi * kd) * ksq * qk;
  }
  K[2] += k2extra * pi2 * sqrt2pi / (-36 * z3);
  K[3] += k3extra * pi2 * sqrt2pi / (216 * z6);
  double sum = 0;
  for (int i = 0; i < 4; ++i) sum += K[i] / std::pow(static_cast<double>(n), i / 2.0);
  return sum;
}

// Smirnov's one-sided Pr(D+_n >= x) (Birnbaum & Tingey's sum, as cephes `smirnov`), each term
// C(n, v) x (x + v/n)^(v-1) (1 - x - v/n)^(n-v) taken through logs in long double, log C(n, v)
// updated term by term (its rounding error grows like v * 1e-19, far below what matters).
double SmirnovSf(int64_t n, double x) {
  if (!(x >= 0.0 && x <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
  if (n == 1) return 1 - x;
  if (x == 0.0) return 1.0;
  if (x == 1.0) return 0.0;
  const double nd = static_cast<double>(n);
  if (-2 * nd * x * x < -708.3964185322641) return 0.0;  // cephes MINLOG: the sf underflows
  if (n > 1000000) {
    // cephes' approximation for very large n: p ~ exp(-(6nx + 1)^2 / 18n).
    const double logp = -std::pow(6.0 * nd * x + 1, 2) / 18.0 / nd;
    return logp < -std::log(2.0) ? std::exp(logp) : 1 + std::expm1(logp);
  }
  // n x exactly as a double-double, so that floor(n (1 - x)) is right at integer points.
  const double nx_hi = nd * x;
  const double nx_lo = std::fma(nd, x, -nx_hi);
  const long double nx = static_cast<long double>(nx_hi) + nx_lo;
  const int64_t last = static_cast<int64_t>(std::floor(static_cast<long double>(n) - nx));
  const long double nl = static_cast<long double>(n);
  const long double log_x = std::log(static_cast<long double>(x));
  long double sum = 0, previous = 0;
  long double log_binomial = 0;  // log C(n, v)
  for (int64_t v = 0; v <= last && v <= n; ++v) {
    const long double vl = static_cast<long double>(v);
    if (v > 0) log_binomial += std::log((nl - vl + 1) / vl);
    const long double upper = (nl - vl - nx) / nl;  // 1 - x - v/n
    if (upper <= 0) break;
    const long double lower = (vl + nx) / nl;  // x + v/n
    const long double log_term =
        log_binomial + log_x + (vl - 1) * std::log(lower) + (nl - vl) * std::log(upper);
    const long double term = std::exp(log_term);
    sum += term;
    // Past their peak the terms only fall; stop once all the rest together are negligible
    // (cephes stops on the same kind of bound).
    if (v > 0 && term < previous &&
        term * static_cast<long double>(last - v) < sum * 1e-20L) {
      break;
    }
    previous = term;
  }
  return std::clamp(static_cast<double>(sum), 0.0, 1.0);
}

}  // namespace

double KolmogorovSurvival(int64_t n, double x) {
  if (std::isnan(x) || n < 1) return std::numeric_limits<double>::quiet_NaN();
  if (x >= 1.0) return 0.0;
  if (x <= 0.0) return 1.0;
  auto sf_from_cdf = [](double cdf) { return std::clamp(1.0 - cdf, 0.0, 1.0); };
  const double nd = static_cast<double>(n);
  const double t = nd * x;
  if (t <= 1.0) {  // Ruben & Gambino: 1/(2n) <= x <= 1/n
    if (t <= 0.5) return 1.0;
    double prob;
    if (n <= 140) {
      prob = 1.0;
      for (int64_t i = 1; i <= n; ++i) prob *= static_cast<double>(i) * (1.0 / nd) * (2 * t - 1);
    } else {
      prob = std::exp(LogFactorialOverPower(n) + nd * std::log(2 * t - 1));
    }
    return sf_from_cdf(prob);
  }
  if (t >= nd - 1) return std::clamp(2 * std::pow(1.0 - x, nd), 0.0, 1.0);  // Ruben & Gambino
  if (x >= 0.5) return std::clamp(2 * SmirnovSf(n, x), 0.0, 1.0);  // exact: 2 * one-sided
  const double nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return sf_from_cdf(DurbinCdf(n, x));
    if (nxsquared <= 4) return sf_from_cdf(PomeranzCdf(n, x));
    return std::clamp(2 * SmirnovSf(n, x), 0.0, 1.0);  // Miller's approximation
  }
  if (nxsquared >= 370.0) return 0.0;
  if (nxsquared >= 2.2) return std::clamp(2 * SmirnovSf(n, x), 0.0, 1.0);
  const double cdf = (n <= 100000 && nd * std::pow(x, 1.5) <= 1.4) ? DurbinCdf(n, x)
                                                                      : PelzGoodCdf(n, x);
  return sf_from_cdf(std::clamp(cdf, 0.0, 1.0));
}

absl::StatusOr<TwoSampleKs> TwoSampleKsTest(std::span<const double> a,
                                            std::span<const double> b) {
  if (a.empty() || b.empty()) {
    return absl::InvalidArgumentError("two-sample ks: both samples must be non-empty");
  }
  auto sorted = [](std::span<const double> s, std::string_view name)
      -> absl::StatusOr<std::vector<double>> {
    std::vector<double> out(s.begin(), s.end());
    for (size_t i = 0; i < out.size(); ++i) {
      if (std::isnan(out[i])) {
        return absl::InvalidArgumentError(
            StrCat("two-sample ks: sample ", name, " row ", i, " is NaN"));
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  LEPTON_ASSIGN_OR_RETURN(std::vector<double> sa, sorted(a, "a"));
  LEPTON_ASSIGN_OR_RETURN(std::vector<double> sb, sorted(b, "b"));
  TwoSampleKs out;
  out.statistic = SortedKsStatistic(sa, sb);
  out.p_value = SortedKsPValue(out.statistic, sa.size(), sb.size());
  return out;
}

absl::StatusOr<ReferenceProfile> NumericReference(std::span<const double> values,
                                                  const ReferenceOptions& options) {
  LEPTON_RETURN_IF_ERROR(CheckReferenceOptions(options));
  if (values.empty()) return absl::InvalidArgumentError("numeric reference: no values");
  std::vector<double> present;
  present.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    if (std::isinf(values[i])) {
      return absl::InvalidArgumentError(
          StrCat("numeric reference: row ", i, " is ", values[i],
                 "; reference values must be finite or NaN (missing)"));
    }
    present.push_back(values[i]);
  }
  ReferenceProfile p;
  p.kind = ReferenceProfile::Kind::kNumeric;
  p.count = static_cast<int64_t>(values.size());
  const double total = static_cast<double>(values.size());
  p.missing = static_cast<double>(values.size() - present.size()) / total;

  std::mt19937_64 rng(options.seed);
  int64_t seen = 0;
  for (double v : present) ReservoirOffer(v, options.max_sample, &seen, &p.sample, &rng);
  std::sort(p.sample.begin(), p.sample.end());

  std::sort(present.begin(), present.end());
  const int64_t m = static_cast<int64_t>(present.size());
  if (m > 0) {
    // Edge i is the inverted-CDF quantile at i / bins: the smallest value x with
    // #(values <= x) >= i m / bins, i.e. sorted[ceil(i m / bins) - 1], in exact integers.
    for (int64_t i = 1; i < options.bins; ++i) {
      const int64_t rank = (i * m + options.bins - 1) / options.bins;  // ceil(i m / bins) >= 1
      const double e = present[rank - 1];
      if (e < present.back() && (p.edges.empty() || e > p.edges.back())) p.edges.push_back(e);
    }
  }
  std::vector<int64_t> counts(p.edges.size() + 1, 0);
  for (double v : present) ++counts[NumericBin(p.edges, v)];
  for (int64_t c : counts) p.proportions.push_back(static_cast<double>(c) / total);
  return p;
}

absl::StatusOr<ReferenceProfile> CategoricalReference(std::span<const std::string_view> values,
                                                      std::span<const uint8_t> present,
                                                      const ReferenceOptions& options) {
  LEPTON_RETURN_IF_ERROR(CheckReferenceOptions(options));
  if (values.empty()) return absl::InvalidArgumentError("categorical reference: no values");
  LEPTON_RETURN_IF_ERROR(CheckPresent("categorical reference", values.size(), present));
  std::map<std::string_view, int64_t> counts;
  int64_t missing = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (IsPresent(present, i)) {
      ++counts[values[i]];
    } else {
      ++missing;
    }
  }
  std::vector<std::pair<std::string_view, int64_t>> ranked(counts.begin(), counts.end());
  // Most frequent first; `counts` is in byte order, and a stable sort keeps that among ties.
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  ReferenceProfile p;
  p.kind = ReferenceProfile::Kind::kCategorical;
  p.count = static_cast<int64_t>(values.size());
  const double total = static_cast<double>(values.size());
  int64_t other = 0;
  for (size_t i = 0; i < ranked.size(); ++i) {
    if (i < static_cast<size_t>(options.top_categories)) {
      p.categories.emplace_back(ranked[i].first);
      p.proportions.push_back(static_cast<double>(ranked[i].second) / total);
    } else {
      other += ranked[i].second;
    }
  }
  p.other = static_cast<double>(other) / total;
  p.missing = static_cast<double>(missing) / total;
  return p;
}

absl::StatusOr<DriftResult> NumericDrift(const ReferenceProfile& reference,
                                         std::span<const double> current,
                                         const DriftOptions& options) {
  LEPTON_RETURN_IF_ERROR(CheckDriftOptions(options));
  LEPTON_RETURN_IF_ERROR(ValidateProfile(reference, "reference"));
  if (reference.kind != ReferenceProfile::Kind::kNumeric) {
    return absl::InvalidArgumentError("numeric drift: the reference profile is categorical");
  }
  if (current.empty()) return absl::InvalidArgumentError("numeric drift: no current values");
  std::vector<int64_t> counts(BucketCount(reference), 0);
  std::vector<double> ks_values;
  ks_values.reserve(current.size());
  for (double v : current) {
    if (std::isnan(v)) {
      ++counts.back();
    } else {
      ++counts[NumericBin(reference.edges, v)];
      ks_values.push_back(v);
    }
  }
  if (!reference.sample.empty()) {
    std::sort(ks_values.begin(), ks_values.end());
  } else {
    ks_values.clear();
  }
  return Assemble(reference, counts, static_cast<int64_t>(current.size()), ks_values, options);
}

absl::StatusOr<DriftResult> CategoricalDrift(const ReferenceProfile& reference,
                                             std::span<const std::string_view> current,
                                             std::span<const uint8_t> present,
                                             const DriftOptions& options) {
  LEPTON_RETURN_IF_ERROR(CheckDriftOptions(options));
  LEPTON_RETURN_IF_ERROR(ValidateProfile(reference, "reference"));
  if (reference.kind != ReferenceProfile::Kind::kCategorical) {
    return absl::InvalidArgumentError("categorical drift: the reference profile is numeric");
  }
  if (current.empty()) return absl::InvalidArgumentError("categorical drift: no current values");
  LEPTON_RETURN_IF_ERROR(CheckPresent("categorical drift", current.size(), present));
  const auto index = CategoryIndex(reference);
  std::vector<int64_t> counts(BucketCount(reference), 0);
  for (size_t i = 0; i < current.size(); ++i) {
    if (IsPresent(present, i)) {
      ++counts[CategoricalBucket(index, reference.categories.size(), current[i])];
    } else {
      ++counts.back();
    }
  }
  return Assemble(reference, counts, static_cast<int64_t>(current.size()), {}, options);
}

// ---- JSON

namespace {

const char* KindName(ReferenceProfile::Kind kind) {
  return kind == ReferenceProfile::Kind::kNumeric ? "numeric" : "categorical";
}

const char* BucketKindName(DriftBucket::Kind kind) {
  switch (kind) {
    case DriftBucket::Kind::kBin:
      return "bin";
    case DriftBucket::Kind::kCategory:
      return "category";
    case DriftBucket::Kind::kOther:
      return "other";
    case DriftBucket::Kind::kMissing:
      return "missing";
  }
  return "bin";
}

absl::StatusOr<double> DecodeDouble(const Json& j, const std::string& path) {
  if (!j.is_number()) {
    return absl::InvalidArgumentError(StrCat(path, ": expected a number, got ", j.type_name()));
  }
  return j.get<double>();
}

absl::StatusOr<std::vector<double>> DecodeDoubles(const Json& j, const std::string& path) {
  if (!j.is_array()) {
    return absl::InvalidArgumentError(
        StrCat(path, ": expected an array of numbers, got ", j.type_name()));
  }
  std::vector<double> out;
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    LEPTON_ASSIGN_OR_RETURN(double v, DecodeDouble(j[i], StrCat(path, "[", i, "]")));
    out.push_back(v);
  }
  return out;
}

}  // namespace

Json ReferenceProfile::ToJson() const {
  Json j = Json::object();
  j["kind"] = KindName(kind);
  j["count"] = count;
  if (kind == Kind::kNumeric) {
    j["edges"] = edges;
    j["proportions"] = proportions;
    j["missing"] = missing;
    j["sample"] = sample;
  } else {
    j["categories"] = categories;
    j["proportions"] = proportions;
    j["other"] = other;
    j["missing"] = missing;
  }
  return j;
}

absl::StatusOr<ReferenceProfile> ReferenceProfile::FromJson(const Json& json) {
  const std::string path = "profile";
  JsonFields f(json, path);
  const std::string kind = f.String("kind");
  const int64_t count = f.Int("count");
  std::optional<Json> edges = f.OptionalValue("edges");
  std::optional<Json> proportions = f.OptionalValue("proportions");
  std::optional<Json> sample = f.OptionalValue("sample");
  std::optional<std::vector<std::string>> categories = f.OptionalStringArray("categories");
  std::optional<Json> other = f.OptionalValue("other");
  std::optional<Json> missing = f.OptionalValue("missing");
  LEPTON_RETURN_IF_ERROR(f.Finish());

  ReferenceProfile p;
  p.count = count;
  auto required = [&](std::string_view field) {
    return absl::InvalidArgumentError(
        StrCat(path, ".", field, ": required field is missing for a ", kind, " profile"));
  };
  auto unexpected = [&](std::string_view field) {
    return absl::InvalidArgumentError(
        StrCat(path, ".", field, ": not a field of a ", kind, " profile"));
  };
  if (kind == "numeric") {
    p.kind = Kind::kNumeric;
    if (categories) return unexpected("categories");
    if (other) return unexpected("other");
    if (!edges) return required("edges");
    if (!sample) return required("sample");
    LEPTON_ASSIGN_OR_RETURN(p.edges, DecodeDoubles(*edges, StrCat(path, ".edges")));
    LEPTON_ASSIGN_OR_RETURN(p.sample, DecodeDoubles(*sample, StrCat(path, ".sample")));
  } else if (kind == "categorical") {
    p.kind = Kind::kCategorical;
    if (edges) return unexpected("edges");
    if (sample) return unexpected("sample");
    if (!categories) return required("categories");
    if (!other) return required("other");
    p.categories = std::move(*categories);
    LEPTON_ASSIGN_OR_RETURN(p.other, DecodeDouble(*other, StrCat(path, ".other")));
  } else {
    return absl::InvalidArgumentError(
        StrCat(path, ".kind: must be \"numeric\" or \"categorical\", got \"", kind, "\""));
  }
  if (!proportions) return required("proportions");
  if (!missing) return required("missing");
  LEPTON_ASSIGN_OR_RETURN(p.proportions,
                          DecodeDoubles(*proportions, StrCat(path, ".proportions")));
  LEPTON_ASSIGN_OR_RETURN(p.missing, DecodeDouble(*missing, StrCat(path, ".missing")));
  LEPTON_RETURN_IF_ERROR(ValidateProfile(p, path));
  return p;
}

Json DriftBucket::ToJson() const {
  return Json{{"kind", BucketKindName(kind)},
              {"label", label},
              {"reference", reference},
              {"current", current},
              {"psi", psi}};
}

Json DriftResult::ToJson() const {
  Json j = Json::object();
  j["psi"] = psi;
  if (ks_statistic) j["ks_statistic"] = *ks_statistic;
  if (ks_p_value) j["ks_p_value"] = *ks_p_value;
  j["n"] = n;
  j["ks_n"] = ks_n;
  j["ks_reference_n"] = ks_reference_n;
  j["level"] = level;
  Json buckets_json = Json::array();
  for (const DriftBucket& b : buckets) buckets_json.push_back(b.ToJson());
  j["buckets"] = std::move(buckets_json);
  return j;
}

// ---- DriftWindow

absl::StatusOr<std::unique_ptr<DriftWindow>> DriftWindow::Create(
    ReferenceProfile reference, const DriftWindowOptions& options) {
  LEPTON_RETURN_IF_ERROR(ValidateProfile(reference, "reference"));
  LEPTON_RETURN_IF_ERROR(CheckDriftOptions(options.drift));
  if (options.max_sample < 0 || options.max_sample > kMaxSample) {
    return absl::InvalidArgumentError(StrCat("drift window options: max_sample must be in [0, ",
                                             kMaxSample, "], got ", options.max_sample));
  }
  return std::unique_ptr<DriftWindow>(new DriftWindow(std::move(reference), options));
}

DriftWindow::DriftWindow(ReferenceProfile reference, const DriftWindowOptions& options)
    : reference_(std::move(reference)),
      options_(options),
      category_index_(CategoryIndex(reference_)),
      counts_(BucketCount(reference_), 0),
      rng_(options.seed) {}

absl::Status DriftWindow::AddNumeric(std::span<const double> values) {
  if (reference_.kind != ReferenceProfile::Kind::kNumeric) {
    return absl::FailedPreconditionError("drift window: the reference profile is categorical");
  }
  const bool keep_sample = !reference_.sample.empty();
  std::lock_guard<std::mutex> lock(mu_);
  for (double v : values) {
    ++rows_;
    if (std::isnan(v)) {
      ++counts_.back();
      continue;
    }
    ++counts_[NumericBin(reference_.edges, v)];
    if (keep_sample) ReservoirOffer(v, options_.max_sample, &seen_, &reservoir_, &rng_);
  }
  return absl::OkStatus();
}

absl::Status DriftWindow::AddCategorical(std::span<const std::string_view> values,
                                         std::span<const uint8_t> present) {
  if (reference_.kind != ReferenceProfile::Kind::kCategorical) {
    return absl::FailedPreconditionError("drift window: the reference profile is numeric");
  }
  LEPTON_RETURN_IF_ERROR(CheckPresent("drift window", values.size(), present));
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < values.size(); ++i) {
    ++rows_;
    if (IsPresent(present, i)) {
      ++counts_[CategoricalBucket(category_index_, reference_.categories.size(), values[i])];
    } else {
      ++counts_.back();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DriftResult> DriftWindow::Result() const {
  std::vector<int64_t> counts;
  std::vector<double> sample;
  int64_t rows;
  {
    std::lock_guard<std::mutex> lock(mu_);
    counts = counts_;
    sample = reservoir_;
    rows = rows_;
  }
  if (rows == 0) return absl::FailedPreconditionError("drift window: no values yet");
  std::sort(sample.begin(), sample.end());
  return Assemble(reference_, counts, rows, sample, options_.drift);
}

void DriftWindow::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  std::fill(counts_.begin(), counts_.end(), 0);
  rows_ = 0;
  seen_ = 0;
  reservoir_.clear();
  rng_.seed(options_.seed);
}

int64_t DriftWindow::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rows_;
}

}  // namespace lepton::ml
