#include "lepton/lake/parquet/nested_writer.h"

#include <zlib.h>

#include <cstring>
#include <limits>
#include <utility>

#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/parquet/encoding.h"

namespace lepton::lake::parquet {
namespace {

void PutU32(uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

template <typename T>
void PutLittleEndian(T v, std::string* out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));  // little-endian hosts only, like the rest of parquet/
  out->append(bytes, sizeof(T));
}

const char* JsonTypeName(const Json& v) { return v.type_name(); }

// True when the group has the standard MAP shape: one REPEATED child group with two children.
bool IsStandardMap(const SchemaNode& n) {
  return n.is_map() && n.children.size() == 1 && n.children[0].repetition == kRepeated &&
         !n.children[0].is_leaf() && n.children[0].children.size() == 2;
}

// True when the group has a LIST shape: one REPEATED child.
bool IsStandardList(const SchemaNode& n) {
  return n.is_list() && n.children.size() == 1 && n.children[0].repetition == kRepeated;
}

absl::Status CheckNode(const SchemaNode& n, int depth) {
  if (depth > 64) return absl::InvalidArgumentError("nested parquet schema nests too deeply");
  if (n.name.empty()) return absl::InvalidArgumentError("nested parquet schema: empty field name");
  if (n.repetition < kRequired || n.repetition > kRepeated) {
    return absl::InvalidArgumentError(StrCat("nested parquet schema: bad repetition of ", n.name));
  }
  if (n.is_leaf()) {
    if (!n.children.empty()) {
      return absl::InvalidArgumentError(
          StrCat("nested parquet schema: leaf ", n.name, " has children"));
    }
    switch (*n.physical_type) {
      case kBoolean:
      case kInt32:
      case kInt64:
      case kFloat:
      case kDouble:
      case kByteArray:
        return absl::OkStatus();
      case kFixedLenByteArray:
        if (n.type_length.value_or(0) <= 0) {
          return absl::InvalidArgumentError(
              StrCat("nested parquet schema: ", n.name, " needs a positive type_length"));
        }
        return absl::OkStatus();
      default:
        return absl::InvalidArgumentError(
            StrCat("nested parquet schema: ", n.name, " has an unsupported physical type"));
    }
  }
  if (n.children.empty()) {
    return absl::InvalidArgumentError(
        StrCat("nested parquet schema: group ", n.name, " has no children"));
  }
  for (const SchemaNode& c : n.children) LEPTON_RETURN_IF_ERROR(CheckNode(c, depth + 1));
  return absl::OkStatus();
}

}  // namespace

// The shredded, not yet written values of one leaf in the current row group.
struct NestedWriter::Column {
  std::vector<uint32_t> def;
  std::vector<uint32_t> rep;
  std::string plain;            // PLAIN-encoded non-null values (all types but BOOLEAN)
  std::vector<uint32_t> bools;  // BOOLEAN values, bit-packed when the page is written
};

NestedWriter::NestedWriter(std::vector<SchemaNode> fields, NestedWriterOptions options)
    : fields_(std::move(fields)), options_(std::move(options)) {}

NestedWriter::~NestedWriter() = default;

absl::StatusOr<std::unique_ptr<NestedWriter>> NestedWriter::Create(std::vector<SchemaNode> fields,
                                                                   NestedWriterOptions options) {
  if (fields.empty()) return absl::InvalidArgumentError("nested parquet schema has no fields");
  for (const SchemaNode& f : fields) LEPTON_RETURN_IF_ERROR(CheckNode(f, 1));
  if (options.row_group_size_rows <= 0) {
    return absl::InvalidArgumentError("row_group_size_rows must be positive");
  }
  std::unique_ptr<NestedWriter> w(new NestedWriter(std::move(fields), std::move(options)));
  // `leaves_` points into `fields_`, which is never modified after this point.
  w->leaves_ = LeafColumns(w->fields_);
  w->columns_.resize(w->leaves_.size());
  w->out_ = "PAR1";
  return w;
}

size_t NestedWriter::LeafCount(const SchemaNode& n) const {
  if (n.is_leaf()) return 1;
  size_t count = 0;
  for (const SchemaNode& c : n.children) count += LeafCount(c);
  return count;
}

void NestedWriter::ShredNulls(const SchemaNode& n, size_t first, uint32_t r, uint32_t d) {
  const size_t count = LeafCount(n);
  for (size_t i = first; i < first + count; ++i) {
    columns_[i].def.push_back(d);
    columns_[i].rep.push_back(r);
  }
}

// `v` is the value of field `n` (nullptr when absent), whose parent is defined at level `d` and
// sits under `rd` repeated nodes; `r` is the repetition level of the first value written.
absl::Status NestedWriter::ShredField(const SchemaNode& n, size_t first, const Json* v, uint32_t r,
                                      uint32_t d, uint32_t rd) {
  const bool is_null = v == nullptr || v->is_null();
  if (n.repetition == kRepeated) {
    if (is_null || (v->is_array() && v->empty())) {
      ShredNulls(n, first, r, d);
      return absl::OkStatus();
    }
    if (!v->is_array()) {
      return absl::InvalidArgumentError(
          StrCat("field ", n.name, ": expected an array, got ", JsonTypeName(*v)));
    }
    for (size_t i = 0; i < v->size(); ++i) {
      LEPTON_RETURN_IF_ERROR(ShredInstance(n, first, (*v)[i], i == 0 ? r : rd + 1, d + 1, rd + 1));
    }
    return absl::OkStatus();
  }
  if (is_null) {
    if (n.repetition == kRequired) {
      return absl::InvalidArgumentError(StrCat("required field ", n.name, " is null"));
    }
    ShredNulls(n, first, r, d);
    return absl::OkStatus();
  }
  return ShredInstance(n, first, *v, r, n.repetition == kOptional ? d + 1 : d, rd);
}

// `v` (not null) is one instance of `n`, defined at level `d`.
absl::Status NestedWriter::ShredInstance(const SchemaNode& n, size_t first, const Json& v,
                                         uint32_t r, uint32_t d, uint32_t rd) {
  if (n.is_leaf()) {
    Column& c = columns_[first];
    auto mismatch = [&](std::string_view want) {
      return absl::InvalidArgumentError(StrCat("field ", StrJoin(leaves_[first].path, "."),
                                               ": expected ", want, ", got ", JsonTypeName(v)));
    };
    switch (*n.physical_type) {
      case kBoolean:
        if (!v.is_boolean()) return mismatch("a boolean");
        c.bools.push_back(v.get<bool>() ? 1 : 0);
        break;
      case kInt32: {
        if (!v.is_number_integer()) return mismatch("an integer");
        const bool fits = v.is_number_unsigned()
                              ? v.get<uint64_t>() <= std::numeric_limits<uint32_t>::max()
                              : v.get<int64_t>() >= std::numeric_limits<int32_t>::min() &&
                                    v.get<int64_t>() <= std::numeric_limits<int32_t>::max();
        if (!fits) return mismatch("a 32-bit integer");
        const int64_t x =
            v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>();
        PutLittleEndian(static_cast<int32_t>(static_cast<uint32_t>(x)), &c.plain);
        break;
      }
      case kInt64:
        if (!v.is_number_integer()) return mismatch("an integer");
        // Unsigned values above INT64_MAX keep their bit pattern (UINT_64 columns).
        PutLittleEndian(
            v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>(),
            &c.plain);
        break;
      case kFloat:
        if (!v.is_number()) return mismatch("a number");
        PutLittleEndian(v.get<float>(), &c.plain);
        break;
      case kDouble:
        if (!v.is_number()) return mismatch("a number");
        PutLittleEndian(v.get<double>(), &c.plain);
        break;
      case kByteArray: {
        if (!v.is_string()) return mismatch("a string");
        const std::string& s = v.get_ref<const std::string&>();
        if (s.size() > std::numeric_limits<uint32_t>::max()) return mismatch("a shorter string");
        PutU32(static_cast<uint32_t>(s.size()), &c.plain);
        c.plain.append(s);
        break;
      }
      case kFixedLenByteArray: {
        if (!v.is_string() ||
            v.get_ref<const std::string&>().size() != static_cast<size_t>(*n.type_length)) {
          return mismatch(StrCat("a string of ", *n.type_length, " bytes"));
        }
        c.plain.append(v.get_ref<const std::string&>());
        break;
      }
    }
    c.def.push_back(d);
    c.rep.push_back(r);
    return absl::OkStatus();
  }
  if (IsStandardMap(n)) {
    if (!v.is_object()) {
      return absl::InvalidArgumentError(
          StrCat("field ", n.name, ": expected an object (map), got ", JsonTypeName(v)));
    }
    const SchemaNode& kv = n.children[0];
    Json entries = Json::array();
    for (auto it = v.begin(); it != v.end(); ++it) {
      entries.push_back(Json{{kv.children[0].name, it.key()}, {kv.children[1].name, it.value()}});
    }
    return ShredField(kv, first, &entries, r, d, rd);
  }
  if (IsStandardList(n)) {
    if (!v.is_array()) {
      return absl::InvalidArgumentError(
          StrCat("field ", n.name, ": expected an array (list), got ", JsonTypeName(v)));
    }
    const SchemaNode& list = n.children[0];
    if (list.is_leaf() || list.children.size() != 1) return ShredField(list, first, &v, r, d, rd);
    Json items = Json::array();
    for (const Json& item : v) items.push_back(Json{{list.children[0].name, item}});
    return ShredField(list, first, &items, r, d, rd);
  }
  if (!v.is_object()) {
    return absl::InvalidArgumentError(
        StrCat("field ", n.name, ": expected an object, got ", JsonTypeName(v)));
  }
  size_t child_first = first;
  for (const SchemaNode& c : n.children) {
    auto it = v.find(c.name);
    LEPTON_RETURN_IF_ERROR(ShredField(c, child_first, it == v.end() ? nullptr : &*it, r, d, rd));
    child_first += LeafCount(c);
  }
  return absl::OkStatus();
}

absl::Status NestedWriter::Write(const Json& record) {
  if (failed_ || finished_) {
    return absl::FailedPreconditionError("nested parquet writer failed or finished earlier");
  }
  if (!record.is_object()) {
    failed_ = true;
    return absl::InvalidArgumentError(
        StrCat("a record must be a JSON object, got ", JsonTypeName(record)));
  }
  size_t first = 0;
  for (const SchemaNode& f : fields_) {
    auto it = record.find(f.name);
    absl::Status s = ShredField(f, first, it == record.end() ? nullptr : &*it, 0, 0, 0);
    if (!s.ok()) {
      failed_ = true;
      return s;
    }
    first += LeafCount(f);
  }
  ++pending_rows_;
  ++total_rows_;
  if (pending_rows_ >= options_.row_group_size_rows) {
    absl::Status s = FlushRowGroup();
    if (!s.ok()) failed_ = true;
    return s;
  }
  return absl::OkStatus();
}

absl::Status NestedWriter::FlushRowGroup() {
  if (pending_rows_ == 0) return absl::OkStatus();
  RowGroup group;
  group.num_rows = pending_rows_;
  group.file_offset = static_cast<int64_t>(out_.size());
  int64_t total_compressed = 0;
  std::string body, rle, compressed, header;
  for (size_t i = 0; i < leaves_.size(); ++i) {
    const LeafColumn& leaf = leaves_[i];
    Column& c = columns_[i];
    body.clear();
    // Data page v1: repetition levels, definition levels (each RLE with a 4-byte length, and
    // only when the maximum level is above 0), then the PLAIN values.
    if (leaf.max_repetition_level > 0) {
      rle.clear();
      EncodeRleBitPacked(c.rep, BitWidth(static_cast<uint64_t>(leaf.max_repetition_level)), &rle);
      PutU32(static_cast<uint32_t>(rle.size()), &body);
      body.append(rle);
    }
    if (leaf.max_definition_level > 0) {
      rle.clear();
      EncodeRleBitPacked(c.def, BitWidth(static_cast<uint64_t>(leaf.max_definition_level)), &rle);
      PutU32(static_cast<uint32_t>(rle.size()), &body);
      body.append(rle);
    }
    if (*leaf.node->physical_type == kBoolean) {
      uint8_t acc = 0;
      int bits = 0;
      for (uint32_t b : c.bools) {
        acc |= static_cast<uint8_t>(b << bits);
        if (++bits == 8) {
          body.push_back(static_cast<char>(acc));
          acc = 0;
          bits = 0;
        }
      }
      if (bits > 0) body.push_back(static_cast<char>(acc));
    } else {
      body.append(c.plain);
    }
    LEPTON_RETURN_IF_ERROR(Compress(options_.codec, body, &compressed));
    if (body.size() > static_cast<size_t>(INT32_MAX) ||
        c.def.size() > static_cast<size_t>(INT32_MAX)) {
      return absl::InvalidArgumentError(StrCat("nested parquet writer: page of column ",
                                               StrJoin(leaf.path, "."), " exceeds 2 GiB"));
    }
    const int64_t num_levels = static_cast<int64_t>(c.def.size());
    PageHeader h;
    h.type = kDataPage;
    h.uncompressed_page_size = static_cast<int32_t>(body.size());
    h.compressed_page_size = static_cast<int32_t>(compressed.size());
    // CRC-32 of the page as stored, so readers detect corrupt values, not just corrupt structure.
    h.crc = static_cast<int32_t>(::crc32(0, reinterpret_cast<const Bytef*>(compressed.data()),
                                         static_cast<uInt>(compressed.size())));
    h.data_page_header = DataPageHeader{.num_values = static_cast<int32_t>(num_levels),
                                        .encoding = kPlain,
                                        .definition_level_encoding = kRle,
                                        .repetition_level_encoding = kRle};
    header.clear();
    SerializePageHeader(h, &header);

    ColumnChunk& cc = group.columns.emplace_back();
    ColumnMetaData& m = cc.meta_data.emplace();
    m.type = *leaf.node->physical_type;
    m.encodings = {kPlain, kRle};
    m.path_in_schema = leaf.path;
    m.codec = options_.codec;
    m.num_values = num_levels;  // level entries, nulls and empty lists included
    m.total_uncompressed_size = static_cast<int64_t>(header.size() + body.size());
    m.total_compressed_size = static_cast<int64_t>(header.size() + compressed.size());
    m.data_page_offset = static_cast<int64_t>(out_.size());
    out_.append(header);
    out_.append(compressed);
    group.total_byte_size += m.total_uncompressed_size;
    total_compressed += m.total_compressed_size;
    c = Column();
  }
  group.total_compressed_size = total_compressed;
  row_groups_.push_back(std::move(group));
  pending_rows_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<std::string> NestedWriter::Finish() {
  if (failed_ || finished_) {
    return absl::FailedPreconditionError("nested parquet writer failed or finished earlier");
  }
  if (absl::Status s = FlushRowGroup(); !s.ok()) {
    failed_ = true;
    return s;
  }
  finished_ = true;
  FileMetaData m;
  m.version = 1;
  m.schema = FlattenSchema(fields_, options_.root_name);
  m.num_rows = total_rows_;
  m.row_groups = std::move(row_groups_);
  m.key_value_metadata = options_.key_value_metadata;
  m.created_by = options_.created_by;
  m.column_orders.assign(leaves_.size(), 1);  // TYPE_ORDER
  std::string footer;
  SerializeFileMetaData(m, &footer);
  out_.append(footer);
  PutU32(static_cast<uint32_t>(footer.size()), &out_);
  out_.append("PAR1");
  return std::move(out_);
}

absl::StatusOr<int64_t> WriteNestedParquetFile(const std::string& path,
                                               std::vector<SchemaNode> fields,
                                               const std::vector<Json>& records,
                                               NestedWriterOptions options) {
  LEPTON_ASSIGN_OR_RETURN(auto w, NestedWriter::Create(std::move(fields), std::move(options)));
  for (const Json& r : records) LEPTON_RETURN_IF_ERROR(w->Write(r));
  LEPTON_ASSIGN_OR_RETURN(std::string bytes, w->Finish());
  LEPTON_RETURN_IF_ERROR(WriteFileAtomically(path, bytes));
  return static_cast<int64_t>(bytes.size());
}

}  // namespace lepton::lake::parquet
