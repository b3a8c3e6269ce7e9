#pragma once
// Test helpers for `absl::Status` (Debian 12's Abseil ships no public matchers):
// `EXPECT_OK(expr)`, `ASSERT_OK(expr)`, `LEPTON_ASSERT_OK_AND_ASSIGN(lhs, expr)` and the gmock
// matcher `StatusIs(code)` / `StatusIs(code, substring_matcher)`.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/status.h"

namespace lepton::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER_P(StatusIs, code, "has status code " + ::testing::PrintToString(code)) {
  return GetStatus(arg).code() == code;
}
MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& s = GetStatus(arg);
  if (s.code() != code) {
    *result_listener << "code is " << s.ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, std::string(s.message()),
                                       result_listener);
}

}  // namespace lepton::testing

#define EXPECT_OK(expr)                                                    \
  do {                                                                     \
    const auto& lepton_expect_status_ = (expr);                            \
    EXPECT_TRUE(::lepton::testing::GetStatus(lepton_expect_status_).ok())  \
        << ::lepton::testing::GetStatus(lepton_expect_status_).ToString(); \
  } while (0)
#define ASSERT_OK(expr)                                                  \
  do {                                                                   \
    const auto& lepton_assert_status_ = (expr);                          \
    ASSERT_TRUE(::lepton::testing::GetStatus(lepton_assert_status_).ok()) \
        << ::lepton::testing::GetStatus(lepton_assert_status_).ToString(); \
  } while (0)
#define LEPTON_ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  LEPTON_INTERNAL_ASSERT_OK_AND_ASSIGN(LEPTON_INTERNAL_CONCAT(lepton_asserted_, __LINE__), lhs, rexpr)
#define LEPTON_INTERNAL_ASSERT_OK_AND_ASSIGN(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                         \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();           \
  lhs = std::move(tmp).value()
