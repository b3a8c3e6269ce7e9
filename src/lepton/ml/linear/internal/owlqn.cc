#include "lepton/ml/linear/internal/owlqn.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "absl/status/status.h"
#include "lepton/base/strings.h"

namespace lepton::ml::internal {
namespace {

double Dot(std::span<const double> a, std::span<const double> b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

double L1Term(std::span<const double> l1, std::span<const double> w) {
  double s = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (l1[i] != 0) s += l1[i] * std::fabs(w[i]);
  }
  return s;
}

// The minimum-norm subgradient of f + l1 |w|; returns its max-norm.
double PseudoGradient(std::span<const double> w, std::span<const double> grad,
                      std::span<const double> l1, std::span<double> pg) {
  double max_abs = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    const double g = grad[i];
    const double c = l1[i];
    if (c == 0) {
      pg[i] = g;
    } else if (w[i] > 0) {
      pg[i] = g + c;
    } else if (w[i] < 0) {
      pg[i] = g - c;
    } else if (g + c < 0) {
      pg[i] = g + c;
    } else if (g - c > 0) {
      pg[i] = g - c;
    } else {
      pg[i] = 0;
    }
    max_abs = std::max(max_abs, std::fabs(pg[i]));
  }
  return max_abs;
}

struct Pair {
  std::vector<double> s;
  std::vector<double> y;
  double rho;  // 1 / (s . y)
};

}  // namespace

absl::StatusOr<OwlqnResult> MinimizeOwlqn(const SmoothObjective& f, std::span<const double> l1,
                                          std::vector<double>* w_ptr, const OwlqnOptions& options,
                                          const IterationCallback& on_iteration) {
  std::vector<double>& w = *w_ptr;
  const size_t d = w.size();
  std::vector<double> grad(d), pg(d), dir(d), w_new(d), grad_new(d), alpha_buf;
  std::deque<Pair> pairs;

  double smooth = f(w, grad);
  double objective = smooth + L1Term(l1, w);
  OwlqnResult result;
  for (int iter = 1; iter <= options.max_iter; ++iter) {
    result.max_pseudo_gradient = PseudoGradient(w, grad, l1, pg);
    if (result.max_pseudo_gradient <= options.tol) {
      result.converged = true;
      break;
    }
    // Two-loop recursion: dir = -H * pg.
    for (size_t i = 0; i < d; ++i) dir[i] = -pg[i];
    alpha_buf.assign(pairs.size(), 0.0);
    for (size_t k = pairs.size(); k-- > 0;) {
      alpha_buf[k] = pairs[k].rho * Dot(pairs[k].s, dir);
      for (size_t i = 0; i < d; ++i) dir[i] -= alpha_buf[k] * pairs[k].y[i];
    }
    if (!pairs.empty()) {
      const Pair& last = pairs.back();
      const double gamma = 1.0 / (last.rho * Dot(last.y, last.y));
      for (size_t i = 0; i < d; ++i) dir[i] *= gamma;
    }
    for (size_t k = 0; k < pairs.size(); ++k) {
      const double beta = pairs[k].rho * Dot(pairs[k].y, dir);
      for (size_t i = 0; i < d; ++i) dir[i] += (alpha_buf[k] - beta) * pairs[k].s[i];
    }
    // Keep only the components that agree with steepest descent on L1 coordinates.
    for (size_t i = 0; i < d; ++i) {
      if (l1[i] != 0 && dir[i] * pg[i] >= 0) dir[i] = 0;
    }
    double slope = Dot(dir, pg);
    if (!(slope < 0)) {
      // Not a descent direction (curvature information gone stale): restart from steepest
      // descent.
      pairs.clear();
      for (size_t i = 0; i < d; ++i) dir[i] = -pg[i];
      slope = Dot(dir, pg);
    }
    double step = 1.0;
    if (pairs.empty()) step = std::min(1.0, 1.0 / std::sqrt(Dot(pg, pg)));

    // Backtracking line search on the orthant of `w` (signs of w, or of -pg where w is 0).
    bool accepted = false;
    double new_objective = objective;
    double new_smooth = smooth;
    for (int tries = 0; tries < 60; ++tries) {
      for (size_t i = 0; i < d; ++i) {
        double v = w[i] + step * dir[i];
        if (l1[i] != 0) {
          const double orthant = w[i] != 0 ? w[i] : -pg[i];
          if (v * orthant <= 0) v = 0;
        }
        w_new[i] = v;
      }
      new_smooth = f(w_new, grad_new);
      new_objective = new_smooth + L1Term(l1, w_new);
      double decrease = 0;
      for (size_t i = 0; i < d; ++i) decrease += pg[i] * (w_new[i] - w[i]);
      if (new_objective <= objective + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    result.iterations = iter;
    if (!accepted || new_objective >= objective) {
      // No decrease possible at machine precision: the optimum has been reached.
      result.converged = true;
      break;
    }
    Pair pair;
    pair.s.resize(d);
    pair.y.resize(d);
    for (size_t i = 0; i < d; ++i) {
      pair.s[i] = w_new[i] - w[i];
      pair.y[i] = grad_new[i] - grad[i];
    }
    const double sy = Dot(pair.s, pair.y);
    if (sy > 1e-300) {
      pair.rho = 1.0 / sy;
      if (static_cast<int>(pairs.size()) == options.memory) pairs.pop_front();
      pairs.push_back(std::move(pair));
    }
    w.swap(w_new);
    grad.swap(grad_new);
    smooth = new_smooth;
    objective = new_objective;
    if (on_iteration && !on_iteration(iter, objective)) {
      return absl::CancelledError(StrCat("fit cancelled at solver iteration ", iter));
    }
  }
  if (!result.converged) result.max_pseudo_gradient = PseudoGradient(w, grad, l1, pg);
  result.objective = objective;
  return result;
}

}  // namespace lepton::ml::internal
