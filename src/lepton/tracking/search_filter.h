#pragma once
// The run search language, a subset of MLflow's (see docs/api.md, "Tracking"):
//
//   filter   := clause ( AND clause )*
//   clause   := identifier comparator constant
//   ident    := [type "."] key      type: metric(s) | param(s) | parameter(s) | tag(s) |
//                                         attribute(s) | attr | run | dataset(s)
//                                   key:  a bare word [A-Za-z0-9_.-/:]+, or quoted with "…" / `…`
//   compare  := = | != | < | <= | > | >= | LIKE | ILIKE
//   constant := number | 'string' | "string"
//
// A bare key (no type) is an attribute. Metrics compare with numbers only (all comparators but
// LIKE); params, tags, string attributes and dataset fields compare with quoted strings (=, !=,
// LIKE, ILIKE); `start_time` / `end_time` take epoch milliseconds or an RFC 3339 string and the
// numeric comparators. LIKE uses SQL patterns (`%` any run, `_` one character) and is
// case-sensitive; ILIKE ignores ASCII case.
//
// `order_by` items are "<identifier> [ASC|DESC]" over metrics, params, tags and attributes.
//
// Errors are InvalidArgument naming the offending token and its 0-based character position,
// e.g. "filter: expected a comparator at position 13, got 'auc'". Stateless, thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace lepton::tracking {

enum class FieldKind { kMetric, kParam, kTag, kAttribute, kDataset };
enum class Comparator { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kILike };

// Searchable run attributes.
inline constexpr std::string_view kStringAttributes[] = {"run_id", "run_name", "status",
                                                         "user", "experiment_id", "source",
                                                         "job_id", "parent_run_id"};
inline constexpr std::string_view kTimeAttributes[] = {"start_time", "end_time"};
// Dataset input fields: `datasets.name` is "ns/name".
inline constexpr std::string_view kDatasetFields[] = {"name", "digest", "context"};

struct FieldRef {
  FieldKind kind = FieldKind::kAttribute;
  std::string key;  // attribute names are canonical ("user_id" → "user")
};

struct FilterClause {
  FieldRef field;
  Comparator op = Comparator::kEq;
  std::variant<double, std::string> value;  // double for metrics and times (epoch ms)
};

struct OrderItem {
  FieldRef field;
  bool ascending = true;
};

// Parses a filter; "" (or only spaces) gives no clauses.
absl::StatusOr<std::vector<FilterClause>> ParseFilter(std::string_view filter);
// Parses one order_by item, e.g. "metrics.auc DESC".
absl::StatusOr<OrderItem> ParseOrderBy(std::string_view item);

// SQL LIKE matching of `text` against `pattern` (`%`, `_`; no escape character).
bool LikeMatch(std::string_view text, std::string_view pattern, bool ignore_case);

}  // namespace lepton::tracking
