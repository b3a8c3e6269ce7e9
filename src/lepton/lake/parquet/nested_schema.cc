#include "lepton/lake/parquet/nested_schema.h"

#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::lake::parquet {
namespace {

constexpr int kMaxNesting = 64;

void Flatten(const SchemaNode& n, std::vector<SchemaElement>* out) {
  SchemaElement e;
  e.name = n.name;
  e.repetition_type = n.repetition;
  e.type = n.physical_type;
  e.type_length = n.type_length;
  e.converted_type = n.converted_type;
  e.logical_type = n.logical_type;
  if (!n.is_leaf()) e.num_children = static_cast<int32_t>(n.children.size());
  out->push_back(std::move(e));
  for (const SchemaNode& c : n.children) Flatten(c, out);
}

// Parses the node at `elements[*pos]` and its subtree.
absl::StatusOr<SchemaNode> Unflatten(const std::vector<SchemaElement>& elements, size_t* pos,
                                     int depth) {
  if (depth > kMaxNesting) return absl::DataLossError("parquet schema nests too deeply");
  if (*pos >= elements.size()) return absl::DataLossError("parquet schema ends early");
  const SchemaElement& e = elements[(*pos)++];
  SchemaNode n;
  n.name = e.name;
  n.repetition = e.repetition_type.value_or(kRequired);
  if (n.repetition < kRequired || n.repetition > kRepeated) {
    return absl::DataLossError(StrCat("parquet schema: bad repetition of ", e.name));
  }
  n.converted_type = e.converted_type;
  n.logical_type = e.logical_type;
  n.type_length = e.type_length;
  const int32_t children = e.num_children.value_or(0);
  if (children < 0 || static_cast<size_t>(children) > elements.size()) {
    return absl::DataLossError(StrCat("parquet schema: bad child count of ", e.name));
  }
  if (children == 0) {
    if (!e.type) return absl::DataLossError(StrCat("parquet schema: ", e.name, " has no type"));
    n.physical_type = e.type;
    return n;
  }
  for (int32_t i = 0; i < children; ++i) {
    LEPTON_ASSIGN_OR_RETURN(SchemaNode c, Unflatten(elements, pos, depth + 1));
    n.children.push_back(std::move(c));
  }
  return n;
}

void CollectLeaves(const SchemaNode& n, std::vector<std::string>* path, int def, int rep,
                   std::vector<LeafColumn>* out) {
  path->push_back(n.name);
  if (n.repetition != kRequired) ++def;
  if (n.repetition == kRepeated) ++rep;
  if (n.is_leaf()) {
    out->push_back(LeafColumn{*path, &n, def, rep});
  } else {
    for (const SchemaNode& c : n.children) CollectLeaves(c, path, def, rep, out);
  }
  path->pop_back();
}

}  // namespace

bool SchemaNode::is_map() const {
  if (is_leaf()) return false;
  if (logical_type && logical_type->kind == kLogicalMap) return true;
  return converted_type && (*converted_type == kMap || *converted_type == kMapKeyValue);
}

bool SchemaNode::is_list() const {
  if (is_leaf()) return false;
  if (logical_type && logical_type->kind == kLogicalList) return true;
  return converted_type && *converted_type == kList;
}

SchemaNode LeafNode(std::string name, int32_t physical_type, int32_t repetition) {
  SchemaNode n;
  n.name = std::move(name);
  n.repetition = repetition;
  n.physical_type = physical_type;
  return n;
}

SchemaNode StringNode(std::string name, int32_t repetition) {
  SchemaNode n = LeafNode(std::move(name), kByteArray, repetition);
  n.converted_type = kUtf8;
  n.logical_type = LogicalType{.kind = kLogicalString};
  return n;
}

SchemaNode GroupNode(std::string name, std::vector<SchemaNode> children, int32_t repetition) {
  SchemaNode n;
  n.name = std::move(name);
  n.repetition = repetition;
  n.children = std::move(children);
  return n;
}

SchemaNode MapNode(std::string name, SchemaNode key, SchemaNode value, int32_t repetition) {
  key.name = "key";
  key.repetition = kRequired;
  value.name = "value";
  SchemaNode kv = GroupNode("key_value", {std::move(key), std::move(value)}, kRepeated);
  SchemaNode n = GroupNode(std::move(name), {std::move(kv)}, repetition);
  n.converted_type = kMap;
  n.logical_type = LogicalType{.kind = kLogicalMap};
  return n;
}

SchemaNode ListNode(std::string name, SchemaNode element, int32_t repetition) {
  element.name = "element";
  SchemaNode list = GroupNode("list", {std::move(element)}, kRepeated);
  SchemaNode n = GroupNode(std::move(name), {std::move(list)}, repetition);
  n.converted_type = kList;
  n.logical_type = LogicalType{.kind = kLogicalList};
  return n;
}

std::vector<SchemaElement> FlattenSchema(const std::vector<SchemaNode>& fields,
                                         const std::string& root_name) {
  std::vector<SchemaElement> out;
  SchemaElement root;
  root.name = root_name;
  root.num_children = static_cast<int32_t>(fields.size());
  out.push_back(std::move(root));
  for (const SchemaNode& f : fields) Flatten(f, &out);
  return out;
}

absl::StatusOr<std::vector<SchemaNode>> UnflattenSchema(
    const std::vector<SchemaElement>& elements) {
  if (elements.empty()) return absl::DataLossError("parquet schema is empty");
  const int32_t children = elements[0].num_children.value_or(0);
  if (children < 0 || static_cast<size_t>(children) >= elements.size() + 1) {
    return absl::DataLossError("parquet schema: bad root child count");
  }
  std::vector<SchemaNode> fields;
  size_t pos = 1;
  for (int32_t i = 0; i < children; ++i) {
    LEPTON_ASSIGN_OR_RETURN(SchemaNode n, Unflatten(elements, &pos, 1));
    fields.push_back(std::move(n));
  }
  if (pos != elements.size()) {
    return absl::DataLossError("parquet schema: elements left over after the root's children");
  }
  return fields;
}

std::vector<LeafColumn> LeafColumns(const std::vector<SchemaNode>& fields) {
  std::vector<LeafColumn> out;
  std::vector<std::string> path;
  for (const SchemaNode& f : fields) CollectLeaves(f, &path, 0, 0, &out);
  return out;
}

}  // namespace lepton::lake::parquet
