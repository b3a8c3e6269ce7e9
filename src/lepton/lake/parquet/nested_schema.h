#pragma once
// Nested Parquet schemas (groups, maps, lists) for `NestedWriter` / `NestedReader`, and the
// mapping between nested Parquet records and JSON values that both use.
//
// A schema is a tree of `SchemaNode`s under an unnamed root group; it is flattened depth-first
// into the footer's `SchemaElement`s (root first, groups with `num_children`). Each leaf is one
// column chunk per row group, whose levels follow Dremel: the maximum definition level of a leaf
// is the number of OPTIONAL and REPEATED nodes on its path, the maximum repetition level the
// number of REPEATED ones.
//
// JSON mapping (records are JSON objects keyed by the root's field names):
//   group                      ↔ object (missing keys and JSON null are null)
//   group MAP {repeated key_value {key, value}}   ↔ object {key: value} (keys are strings)
//   group LIST {repeated list {element}}          ↔ array (the standard 3-level layout; the
//                                                    reader also accepts legacy 2-level lists)
//   bare REPEATED node         ↔ array of its values
//   BOOLEAN ↔ bool; INT32 / INT64 ↔ integer (DATE, TIMESTAMP as their raw numbers);
//   FLOAT / DOUBLE ↔ number; BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY ↔ string (raw bytes).
// Object keys that the schema does not name are ignored when writing.
// Thread-safe: plain values and pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/lake/parquet/metadata.h"

namespace lepton::lake::parquet {

// LogicalType union members used by nested schemas (besides those in metadata.h).
inline constexpr int kLogicalMap = 2;
inline constexpr int kLogicalList = 3;

// One node of a nested schema: a leaf (`physical_type` set) or a group (`children`).
struct SchemaNode {
  std::string name;
  int32_t repetition = kOptional;        // kRequired, kOptional or kRepeated
  std::optional<int32_t> physical_type;  // leaves only
  std::optional<int32_t> type_length;    // FIXED_LEN_BYTE_ARRAY only
  std::optional<int32_t> converted_type;
  std::optional<LogicalType> logical_type;
  std::vector<SchemaNode> children;  // groups only

  bool is_leaf() const { return physical_type.has_value(); }
  // A group annotated MAP / LIST (converted or logical type).
  bool is_map() const;
  bool is_list() const;
};

// Builders for the common shapes. Repetition defaults to OPTIONAL (nullable).
SchemaNode LeafNode(std::string name, int32_t physical_type, int32_t repetition = kOptional);
// BYTE_ARRAY annotated STRING (and ConvertedType UTF8 for old readers).
SchemaNode StringNode(std::string name, int32_t repetition = kOptional);
SchemaNode GroupNode(std::string name, std::vector<SchemaNode> children,
                     int32_t repetition = kOptional);
// The standard map layout: `<name> (MAP) { repeated group key_value { required key; value } }`.
// `key` is made REQUIRED and renamed "key"; `value` is renamed "value".
SchemaNode MapNode(std::string name, SchemaNode key, SchemaNode value,
                   int32_t repetition = kOptional);
// The standard list layout: `<name> (LIST) { repeated group list { element } }`; `element` is
// renamed "element".
SchemaNode ListNode(std::string name, SchemaNode element, int32_t repetition = kOptional);

// A leaf column of a schema, in depth-first (file) order.
struct LeafColumn {
  std::vector<std::string> path;  // names from below the root to the leaf: path_in_schema
  const SchemaNode* node = nullptr;
  int max_definition_level = 0;
  int max_repetition_level = 0;
};

// The root group's `fields` flattened into footer schema elements; `root_name` names the root
// ("schema" by default, like most writers; Spark writes "spark_schema").
std::vector<SchemaElement> FlattenSchema(const std::vector<SchemaNode>& fields,
                                         const std::string& root_name = "schema");

// Rebuilds the root's fields from footer schema elements. DataLoss when `num_children` counts do
// not add up, a group has no children, a leaf has no type, or nesting is deeper than 64.
absl::StatusOr<std::vector<SchemaNode>> UnflattenSchema(const std::vector<SchemaElement>& elements);

// The leaves under `fields` in depth-first order. The pointers refer into `fields`, which must
// outlive the result and not be modified meanwhile.
std::vector<LeafColumn> LeafColumns(const std::vector<SchemaNode>& fields);

}  // namespace lepton::lake::parquet
