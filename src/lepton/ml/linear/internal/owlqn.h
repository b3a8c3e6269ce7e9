#pragma once
// OWL-QN (Andrew & Gao, "Scalable training of L1-regularized log-linear models", ICML 2007):
// limited-memory quasi-Newton minimisation of  f(w) + sum_j l1_j * |w_j|  for a smooth convex
// `f`. With every `l1_j` zero it is plain L-BFGS with a backtracking (Armijo) line search.
//
// Why this solver: one deterministic method covers L2, L1 and elastic net, needs only
// gradients (so it works the same on dense and CSR inputs of 2^18 columns), and converges to
// the exact optimum (to `tol`), which is what lets the coefficients match scikit-learn's.
//
// Steps per iteration: the pseudo-gradient (the minimum-norm subgradient), a two-loop L-BFGS
// direction from it, constrained to agree in sign with the steepest descent; a backtracking
// line search that projects each trial point onto the orthant of the current point (so a
// coefficient can reach, but not cross, zero in one step); the curvature pair (s, y) taken
// from the smooth part's gradients only.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace lepton::ml::internal {

// Writes the gradient of the smooth part at `w` into `grad` (same size) and returns its value.
using SmoothObjective = std::function<double(std::span<const double> w, std::span<double> grad)>;
// Called after each iteration with its number (1-based) and the full objective; false cancels.
using IterationCallback = std::function<bool(int iteration, double objective)>;

struct OwlqnOptions {
  int max_iter = 1000;
  // Converged when max_j |pseudo-gradient_j| <= tol.
  double tol = 1e-6;
  int memory = 10;  // curvature pairs kept
};

struct OwlqnResult {
  int iterations = 0;
  // False when `max_iter` ran out first. A line search that cannot decrease the objective any
  // more (the optimum reached at machine precision) counts as converged.
  bool converged = false;
  double objective = 0;
  double max_pseudo_gradient = 0;
};

// Minimises from the starting point `*w` (updated in place). `l1` holds one non-negative
// weight per coordinate (0: smooth only, e.g. an intercept). Cancelled when `on_iteration`
// returns false (`*w` then holds the last iterate).
absl::StatusOr<OwlqnResult> MinimizeOwlqn(const SmoothObjective& f, std::span<const double> l1,
                                          std::vector<double>* w, const OwlqnOptions& options,
                                          const IterationCallback& on_iteration);

}  // namespace lepton::ml::internal
