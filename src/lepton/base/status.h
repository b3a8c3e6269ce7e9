#pragma once
// Status helpers shared by every module: propagation macros (Debian 12's Abseil 20220623 has
// `absl::Status` and `absl::StatusOr` but not the macros), context annotation, and always-on
// invariant checks. Errors are values: nothing here throws.

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace lepton {

// Returns `status` with `context` prefixed to its message ("context: message"), keeping the code.
// An OK status is returned unchanged.
absl::Status Annotate(const absl::Status& status, std::string_view context);

// Returns the canonical upper-case name of `code`, e.g. "INVALID_ARGUMENT".
std::string_view StatusCodeName(absl::StatusCode code);

namespace internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, std::string_view msg);
inline const absl::Status& AsStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace internal

}  // namespace lepton

#define LEPTON_INTERNAL_CONCAT2(a, b) a##b
#define LEPTON_INTERNAL_CONCAT(a, b) LEPTON_INTERNAL_CONCAT2(a, b)

// Evaluates `expr` (an `absl::Status` or `absl::StatusOr`) and returns its status from the
// enclosing function when it is not OK.
#define LEPTON_RETURN_IF_ERROR(expr) \
  LEPTON_INTERNAL_RETURN_IF_ERROR(LEPTON_INTERNAL_CONCAT(lepton_status_, __COUNTER__), expr)
#define LEPTON_INTERNAL_RETURN_IF_ERROR(tmp, expr)                    \
  do {                                                                \
    const auto& tmp = (expr);                                         \
    if (!tmp.ok()) return ::lepton::internal::AsStatus(tmp);          \
  } while (0)

// Evaluates `rexpr` (an `absl::StatusOr<T>`); on error returns its status, otherwise moves the
// value into `lhs`, which may be a declaration (`auto x`) or an existing variable.
#define LEPTON_ASSIGN_OR_RETURN(lhs, rexpr) \
  LEPTON_INTERNAL_ASSIGN_OR_RETURN(LEPTON_INTERNAL_CONCAT(lepton_statusor_, __COUNTER__), lhs, rexpr)
#define LEPTON_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                     \
  if (!tmp.ok()) return std::move(tmp).status();          \
  lhs = std::move(tmp).value()

// Always-on invariant check for programming errors (never for user, file or network input).
#define LEPTON_CHECK(cond)                                                       \
  do {                                                                           \
    if (!(cond)) ::lepton::internal::CheckFailed(__FILE__, __LINE__, #cond, ""); \
  } while (0)
#define LEPTON_CHECK_OK(expr)                                                        \
  do {                                                                               \
    const auto& lepton_check_status_ = ::lepton::internal::AsStatus(expr);           \
    if (!lepton_check_status_.ok())                                                  \
      ::lepton::internal::CheckFailed(__FILE__, __LINE__, #expr,                     \
                                      lepton_check_status_.ToString());              \
  } while (0)
#ifdef NDEBUG
#define LEPTON_DCHECK(cond) \
  do {                      \
  } while (0)
#else
#define LEPTON_DCHECK(cond) LEPTON_CHECK(cond)
#endif
