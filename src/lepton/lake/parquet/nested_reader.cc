#include "lepton/lake/parquet/nested_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/parquet/encoding.h"

namespace lepton::lake::parquet {
namespace {

// Upper bound on the level entries of one page, so a corrupt header cannot make us allocate
// without limit (RLE runs encode many entries in few bytes).
constexpr int64_t kMaxPageValues = int64_t{1} << 26;

uint32_t LoadU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// The decoded levels and non-null values of one leaf in one row group, with read cursors.
struct LeafData {
  std::vector<uint32_t> def;
  std::vector<uint32_t> rep;
  std::vector<Json> values;
  size_t level = 0;  // next level entry
  size_t value = 0;  // next value
};

bool IsUnsigned(const SchemaNode& n) {
  if (n.logical_type && n.logical_type->kind == kLogicalInteger) return !n.logical_type->is_signed;
  return n.converted_type && *n.converted_type >= kUint8 && *n.converted_type <= kUint64;
}

// Decodes `count` PLAIN values of leaf `n` from the start of `data`.
absl::Status DecodePlain(const SchemaNode& n, std::string_view data, int64_t count,
                         std::vector<Json>* out) {
  const auto truncated = [&] {
    return absl::DataLossError(StrCat("column ", n.name, ": truncated PLAIN values"));
  };
  const size_t size = data.size();
  switch (*n.physical_type) {
    case kBoolean:
      if (static_cast<uint64_t>(count) > size * 8) return truncated();
      for (int64_t i = 0; i < count; ++i) {
        out->push_back(((static_cast<uint8_t>(data[static_cast<size_t>(i / 8)]) >> (i % 8)) & 1) !=
                       0);
      }
      return absl::OkStatus();
    case kInt32: {
      if (static_cast<uint64_t>(count) > size / 4) return truncated();
      const bool is_unsigned = IsUnsigned(n);
      for (int64_t i = 0; i < count; ++i) {
        const int32_t v = Load<int32_t>(data.data() + 4 * i);
        if (is_unsigned)
          out->push_back(static_cast<uint32_t>(v));
        else
          out->push_back(v);
      }
      return absl::OkStatus();
    }
    case kInt64: {
      if (static_cast<uint64_t>(count) > size / 8) return truncated();
      const bool is_unsigned = IsUnsigned(n);
      for (int64_t i = 0; i < count; ++i) {
        const int64_t v = Load<int64_t>(data.data() + 8 * i);
        if (is_unsigned)
          out->push_back(static_cast<uint64_t>(v));
        else
          out->push_back(v);
      }
      return absl::OkStatus();
    }
    case kFloat:
      if (static_cast<uint64_t>(count) > size / 4) return truncated();
      for (int64_t i = 0; i < count; ++i) out->push_back(Load<float>(data.data() + 4 * i));
      return absl::OkStatus();
    case kDouble:
      if (static_cast<uint64_t>(count) > size / 8) return truncated();
      for (int64_t i = 0; i < count; ++i) out->push_back(Load<double>(data.data() + 8 * i));
      return absl::OkStatus();
    case kByteArray: {
      size_t pos = 0;
      for (int64_t i = 0; i < count; ++i) {
        if (size - pos < 4) return truncated();
        const uint32_t len = LoadU32(data.data() + pos);
        pos += 4;
        if (len > size - pos) return truncated();
        out->push_back(std::string(data.substr(pos, len)));
        pos += len;
      }
      return absl::OkStatus();
    }
    case kFixedLenByteArray: {
      const int32_t width = n.type_length.value_or(0);
      if (width <= 0) return absl::DataLossError(StrCat("column ", n.name, ": bad type_length"));
      if (static_cast<uint64_t>(count) > size / static_cast<size_t>(width)) return truncated();
      for (int64_t i = 0; i < count; ++i) {
        out->push_back(
            std::string(data.substr(static_cast<size_t>(i * width), static_cast<size_t>(width))));
      }
      return absl::OkStatus();
    }
    default:
      return absl::UnimplementedError(StrCat("column ", n.name, ": INT96 is not supported"));
  }
}

absl::Status DecodeValues(const SchemaNode& n, int32_t encoding, std::string_view data,
                          int64_t count, const std::vector<Json>* dict, std::vector<Json>* out) {
  if (count == 0) return absl::OkStatus();
  const int32_t type = *n.physical_type;
  switch (encoding) {
    case kPlain:
      return DecodePlain(n, data, count, out);
    case kPlainDictionary:
    case kRleDictionary: {
      if (dict == nullptr) {
        return absl::DataLossError(StrCat("column ", n.name, ": dictionary page missing"));
      }
      if (data.empty()) return absl::DataLossError(StrCat("column ", n.name, ": no index width"));
      const int bit_width = static_cast<uint8_t>(data[0]);
      if (bit_width > 32)
        return absl::DataLossError(StrCat("column ", n.name, ": bad index width"));
      std::vector<uint32_t> indices;
      LEPTON_RETURN_IF_ERROR(DecodeRleBitPacked(data.substr(1), bit_width, count, &indices));
      for (uint32_t i : indices) {
        if (i >= dict->size()) {
          return absl::DataLossError(StrCat("column ", n.name, ": dictionary index out of range"));
        }
        out->push_back((*dict)[i]);
      }
      return absl::OkStatus();
    }
    case kRle: {
      if (type != kBoolean || data.size() < 4) {
        return absl::UnimplementedError(StrCat("column ", n.name, ": RLE values of this type"));
      }
      const uint32_t len = LoadU32(data.data());
      if (len > data.size() - 4)
        return absl::DataLossError(StrCat("column ", n.name, ": truncated RLE"));
      std::vector<uint32_t> bits;
      LEPTON_RETURN_IF_ERROR(DecodeRleBitPacked(data.substr(4, len), 1, count, &bits));
      for (uint32_t b : bits) out->push_back(b != 0);
      return absl::OkStatus();
    }
    case kDeltaBinaryPacked: {
      if (type != kInt32 && type != kInt64) break;
      std::vector<int64_t> v;
      LEPTON_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(data, count, &v, nullptr));
      const bool is_unsigned = IsUnsigned(n);
      for (int64_t x : v) {
        if (type == kInt32) {
          if (is_unsigned)
            out->push_back(static_cast<uint32_t>(x));
          else
            out->push_back(static_cast<int32_t>(x));
        } else if (is_unsigned) {
          out->push_back(static_cast<uint64_t>(x));
        } else {
          out->push_back(x);
        }
      }
      return absl::OkStatus();
    }
    case kDeltaLengthByteArray: {
      if (type != kByteArray) break;
      std::vector<int64_t> lengths;
      size_t pos = 0;
      LEPTON_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(data, count, &lengths, &pos));
      for (int64_t len : lengths) {
        if (len < 0 || static_cast<uint64_t>(len) > data.size() - pos) {
          return absl::DataLossError(StrCat("column ", n.name, ": truncated byte arrays"));
        }
        out->push_back(std::string(data.substr(pos, static_cast<size_t>(len))));
        pos += static_cast<size_t>(len);
      }
      return absl::OkStatus();
    }
    case kDeltaByteArray: {
      if (type != kByteArray && type != kFixedLenByteArray) break;
      std::vector<int64_t> prefixes, suffixes;
      size_t used = 0, pos = 0;
      LEPTON_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(data, count, &prefixes, &used));
      pos = used;
      LEPTON_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(data.substr(pos), count, &suffixes, &used));
      pos += used;
      std::string previous;
      for (int64_t i = 0; i < count; ++i) {
        const int64_t p = prefixes[static_cast<size_t>(i)];
        const int64_t s = suffixes[static_cast<size_t>(i)];
        if (p < 0 || static_cast<uint64_t>(p) > previous.size() || s < 0 ||
            static_cast<uint64_t>(s) > data.size() - pos) {
          return absl::DataLossError(StrCat("column ", n.name, ": corrupt DELTA_BYTE_ARRAY"));
        }
        std::string v = previous.substr(0, static_cast<size_t>(p));
        v.append(data.substr(pos, static_cast<size_t>(s)));
        pos += static_cast<size_t>(s);
        out->push_back(v);
        previous = std::move(v);
      }
      return absl::OkStatus();
    }
    default:
      break;
  }
  return absl::UnimplementedError(
      StrCat("column ", n.name, ": values encoded with encoding ", encoding, " are not supported"));
}

// Decodes `n` levels of `bit_width` bits, appending them to `out`.
absl::Status DecodeLevels(std::string_view data, int bit_width, int64_t n,
                          std::vector<uint32_t>* out) {
  std::vector<uint32_t> levels;
  LEPTON_RETURN_IF_ERROR(DecodeRleBitPacked(data, bit_width, n, &levels));
  out->insert(out->end(), levels.begin(), levels.end());
  return absl::OkStatus();
}

// Decodes the column chunk of `leaf` described by `m` from `file`.
absl::Status DecodeChunk(const LeafColumn& leaf, const ColumnMetaData& m, std::string_view file,
                         LeafData* out) {
  const SchemaNode& n = *leaf.node;
  const std::string col = StrCat("column ", StrJoin(leaf.path, "."), ": ");
  if (m.type != *n.physical_type)
    return absl::DataLossError(StrCat(col, "type differs from the schema"));
  int64_t start = m.data_page_offset;
  if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 &&
      *m.dictionary_page_offset < start) {
    start = *m.dictionary_page_offset;
  }
  const int64_t file_size = static_cast<int64_t>(file.size());
  if (start < 4 || m.total_compressed_size < 0 || start > file_size - 8 ||
      m.total_compressed_size > file_size - 8 - start) {
    return absl::DataLossError(StrCat(col, "column chunk outside the file"));
  }
  if (m.num_values < 0) return absl::DataLossError(StrCat(col, "negative value count"));
  const std::string_view chunk =
      file.substr(static_cast<size_t>(start), static_cast<size_t>(m.total_compressed_size));
  const int rep_width = BitWidth(static_cast<uint64_t>(leaf.max_repetition_level));
  const int def_width = BitWidth(static_cast<uint64_t>(leaf.max_definition_level));
  const uint32_t max_def = static_cast<uint32_t>(leaf.max_definition_level);
  std::optional<std::vector<Json>> dict;
  std::string page;
  size_t pos = 0;
  int64_t read = 0;
  while (read < m.num_values) {
    if (pos >= chunk.size()) {
      return absl::DataLossError(
          StrCat(col, "ran out of pages after ", read, " of ", m.num_values, " values"));
    }
    size_t consumed = 0;
    absl::StatusOr<PageHeader> h = ParsePageHeader(chunk.substr(pos), &consumed);
    if (!h.ok()) return Annotate(h.status(), StrCat("column ", StrJoin(leaf.path, ".")));
    pos += consumed;
    if (h->compressed_page_size < 0 || h->uncompressed_page_size < 0 ||
        static_cast<size_t>(h->compressed_page_size) > chunk.size() - pos) {
      return absl::DataLossError(StrCat(col, "page extends past the column chunk"));
    }
    const std::string_view body = chunk.substr(pos, static_cast<size_t>(h->compressed_page_size));
    pos += static_cast<size_t>(h->compressed_page_size);
    if (h->crc &&
        static_cast<uint32_t>(*h->crc) != ::crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                                  static_cast<uInt>(body.size()))) {
      return absl::DataLossError(StrCat(col, "page checksum mismatch"));
    }

    if (h->type == kDictionaryPage) {
      if (!h->dictionary_page_header)
        return absl::DataLossError(StrCat(col, "dictionary page lacks its header"));
      const DictionaryPageHeader& d = *h->dictionary_page_header;
      if (d.num_values < 0 || d.num_values > kMaxPageValues) {
        return absl::DataLossError(StrCat(col, "bad dictionary size"));
      }
      LEPTON_RETURN_IF_ERROR(Decompress(m.codec, body, h->uncompressed_page_size, &page));
      dict.emplace();
      LEPTON_RETURN_IF_ERROR(DecodePlain(n, page, d.num_values, &*dict));
      continue;
    }
    int64_t count = 0;
    int32_t encoding = 0;
    std::string_view values;
    const size_t levels_before = out->def.size();
    if (h->type == kDataPage) {
      if (!h->data_page_header)
        return absl::DataLossError(StrCat(col, "data page lacks its header"));
      count = h->data_page_header->num_values;
      encoding = h->data_page_header->encoding;
      if (count < 0 || count > kMaxPageValues || count > m.num_values - read) {
        return absl::DataLossError(StrCat(col, "page claims ", count, " values"));
      }
      LEPTON_RETURN_IF_ERROR(Decompress(m.codec, body, h->uncompressed_page_size, &page));
      values = page;
      for (int which = 0; which < 2; ++which) {
        const bool is_rep = which == 0;
        const int width = is_rep ? rep_width : def_width;
        if (width == 0) continue;
        if (values.size() < 4) return absl::DataLossError(StrCat(col, "truncated levels"));
        const uint32_t len = LoadU32(values.data());
        if (len > values.size() - 4) return absl::DataLossError(StrCat(col, "truncated levels"));
        LEPTON_RETURN_IF_ERROR(
            DecodeLevels(values.substr(4, len), width, count, is_rep ? &out->rep : &out->def));
        values.remove_prefix(4 + len);
      }
    } else if (h->type == kDataPageV2) {
      if (!h->data_page_header_v2)
        return absl::DataLossError(StrCat(col, "data page v2 lacks its header"));
      const DataPageHeaderV2& d = *h->data_page_header_v2;
      count = d.num_values;
      encoding = d.encoding;
      if (count < 0 || count > kMaxPageValues || count > m.num_values - read) {
        return absl::DataLossError(StrCat(col, "page claims ", count, " values"));
      }
      if (d.definition_levels_byte_length < 0 || d.repetition_levels_byte_length < 0 ||
          static_cast<int64_t>(d.definition_levels_byte_length) + d.repetition_levels_byte_length >
              static_cast<int64_t>(body.size()) ||
          static_cast<int64_t>(d.definition_levels_byte_length) + d.repetition_levels_byte_length >
              h->uncompressed_page_size) {
        return absl::DataLossError(StrCat(col, "bad level lengths in data page v2"));
      }
      const size_t rep_len = static_cast<size_t>(d.repetition_levels_byte_length);
      const size_t def_len = static_cast<size_t>(d.definition_levels_byte_length);
      if (rep_width > 0)
        LEPTON_RETURN_IF_ERROR(DecodeLevels(body.substr(0, rep_len), rep_width, count, &out->rep));
      if (def_width > 0)
        LEPTON_RETURN_IF_ERROR(
            DecodeLevels(body.substr(rep_len, def_len), def_width, count, &out->def));
      const std::string_view rest = body.substr(rep_len + def_len);
      const int64_t rest_size = h->uncompressed_page_size - static_cast<int64_t>(rep_len + def_len);
      if (d.is_compressed && m.codec != kUncompressed) {
        LEPTON_RETURN_IF_ERROR(Decompress(m.codec, rest, rest_size, &page));
      } else {
        if (static_cast<int64_t>(rest.size()) != rest_size) {
          return absl::DataLossError(StrCat(col, "data page v2 size mismatch"));
        }
        page.assign(rest);
      }
      values = page;
    } else {
      continue;  // index pages and unknown page types are skipped
    }
    if (rep_width == 0) out->rep.resize(out->rep.size() + static_cast<size_t>(count), 0);
    int64_t non_null = count;
    if (def_width == 0) {
      out->def.resize(out->def.size() + static_cast<size_t>(count), 0);
    } else {
      non_null = 0;
      for (size_t i = levels_before; i < out->def.size(); ++i) {
        if (out->def[i] > max_def)
          return absl::DataLossError(StrCat(col, "definition level too high"));
        if (out->def[i] == max_def) ++non_null;
      }
    }
    for (size_t i = levels_before; i < out->rep.size(); ++i) {
      if (out->rep[i] > static_cast<uint32_t>(leaf.max_repetition_level)) {
        return absl::DataLossError(StrCat(col, "repetition level too high"));
      }
    }
    absl::Status s =
        DecodeValues(n, encoding, values, non_null, dict ? &*dict : nullptr, &out->values);
    if (!s.ok()) return Annotate(s, StrCat("column ", StrJoin(leaf.path, ".")));
    read += count;
  }
  return absl::OkStatus();
}

// Assembles records from the decoded leaves of one row group. For any schema node, all leaves
// under it are at the same structural position, so the leftmost leaf's levels decide whether
// the node is null, an empty list, or present (Dremel record assembly).
class Assembler {
 public:
  Assembler(const std::vector<LeafColumn>& leaves, std::vector<LeafData>& data)
      : leaves_(leaves), data_(data) {}

  // The value of field `n` whose parent is defined at level `d` under `r` repeated nodes.
  absl::StatusOr<Json> Field(const SchemaNode& n, size_t first, uint32_t d, uint32_t r) {
    const uint32_t dn = n.repetition == kRequired ? d : d + 1;
    const uint32_t rn = n.repetition == kRepeated ? r + 1 : r;
    if (n.repetition == kRequired) return Instance(n, first, dn, rn);
    LEPTON_ASSIGN_OR_RETURN(uint32_t def, PeekDef(first));
    if (def < dn) {
      LEPTON_RETURN_IF_ERROR(Skip(n, first));
      return n.repetition == kRepeated ? Json::array() : Json();
    }
    if (n.repetition == kOptional) return Instance(n, first, dn, rn);
    Json items = Json::array();
    for (;;) {
      LEPTON_ASSIGN_OR_RETURN(Json item, Instance(n, first, dn, rn));
      items.push_back(std::move(item));
      const LeafData& leaf = data_[first];
      if (leaf.level >= leaf.rep.size() || leaf.rep[leaf.level] < rn) break;
      if (leaf.rep[leaf.level] > rn) return Corrupt("repetition level out of place");
    }
    return items;
  }

 private:
  static absl::Status Corrupt(std::string_view what) {
    return absl::DataLossError(StrCat("nested parquet: ", what));
  }

  absl::StatusOr<uint32_t> PeekDef(size_t leaf) const {
    const LeafData& l = data_[leaf];
    if (l.level >= l.def.size()) return Corrupt("a column has fewer levels than the records need");
    return l.def[l.level];
  }

  size_t LeafCount(const SchemaNode& n) const {
    if (n.is_leaf()) return 1;
    size_t count = 0;
    for (const SchemaNode& c : n.children) count += LeafCount(c);
    return count;
  }

  // Consumes the one level entry that a null / empty `n` leaves in each of its leaves.
  absl::Status Skip(const SchemaNode& n, size_t first) {
    const size_t count = LeafCount(n);
    for (size_t i = first; i < first + count; ++i) {
      LeafData& l = data_[i];
      if (l.level >= l.def.size())
        return Corrupt("a column has fewer levels than the records need");
      if (l.def[l.level] >= static_cast<uint32_t>(leaves_[i].max_definition_level)) {
        return Corrupt("columns disagree on a null");
      }
      ++l.level;
    }
    return absl::OkStatus();
  }

  // One present instance of `n`, defined at level `d`.
  absl::StatusOr<Json> Instance(const SchemaNode& n, size_t first, uint32_t d, uint32_t r) {
    if (n.is_leaf()) {
      LeafData& l = data_[first];
      LEPTON_ASSIGN_OR_RETURN(uint32_t def, PeekDef(first));
      if (def != d) return Corrupt("definition level out of place");
      if (l.value >= l.values.size()) return Corrupt("a column has fewer values than its levels");
      ++l.level;
      return std::move(l.values[l.value++]);
    }
    Json obj = Json::object();
    size_t child_first = first;
    for (const SchemaNode& c : n.children) {
      LEPTON_ASSIGN_OR_RETURN(Json v, Field(c, child_first, d, r));
      obj[c.name] = std::move(v);
      child_first += LeafCount(c);
    }
    const bool one_repeated_child = n.children.size() == 1 && n.children[0].repetition == kRepeated;
    if (n.is_list() && one_repeated_child) {
      const SchemaNode& list = n.children[0];
      Json& items = obj[list.name];
      // Legacy 2-level lists repeat the element itself: a leaf, a group of several fields, or a
      // one-field group named "array" / "<list>_tuple" (parquet-format's backward-compatibility
      // rules).
      const bool three_level = !list.is_leaf() && list.children.size() == 1 &&
                               list.name != "array" && list.name != n.name + "_tuple";
      if (!three_level) return std::move(items);
      Json out = Json::array();
      for (Json& item : items) out.push_back(std::move(item[list.children[0].name]));
      return out;
    }
    if (n.is_map() && one_repeated_child && !n.children[0].is_leaf() &&
        n.children[0].children.size() == 2) {
      const SchemaNode& kv = n.children[0];
      Json out = Json::object();
      for (Json& entry : obj[kv.name]) {
        Json& key = entry[kv.children[0].name];
        std::string k = key.is_string() ? key.get<std::string>() : DumpJson(key);
        out[k] = std::move(entry[kv.children[1].name]);
      }
      return out;
    }
    return obj;
  }

  const std::vector<LeafColumn>& leaves_;
  std::vector<LeafData>& data_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<NestedReader>> NestedReader::Open(const std::string& path) {
  LEPTON_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return OpenBytes(std::move(bytes), path);
}

absl::StatusOr<std::unique_ptr<NestedReader>> NestedReader::OpenBytes(std::string bytes,
                                                                      std::string name) {
  std::unique_ptr<NestedReader> r(new NestedReader());
  r->bytes_ = std::move(bytes);
  r->name_ = std::move(name);
  absl::Status s = r->Init();
  if (!s.ok()) return Annotate(s, StrCat("parquet file ", r->name_));
  return r;
}

absl::Status NestedReader::Init() {
  const std::string_view b = bytes_;
  if (b.size() < 12 || b.substr(0, 4) != "PAR1" || b.substr(b.size() - 4) != "PAR1") {
    return absl::DataLossError("not a parquet file (bad magic or too short)");
  }
  const uint32_t footer_len = LoadU32(b.data() + b.size() - 8);
  if (footer_len > b.size() - 12) return absl::DataLossError("footer length out of range");
  LEPTON_ASSIGN_OR_RETURN(metadata_,
                          ParseFileMetaData(b.substr(b.size() - 8 - footer_len, footer_len)));
  LEPTON_ASSIGN_OR_RETURN(fields_, UnflattenSchema(metadata_.schema));
  leaves_ = LeafColumns(fields_);
  if (metadata_.num_rows < 0) return absl::DataLossError("negative row count");
  int64_t rows = 0;
  for (const RowGroup& g : metadata_.row_groups) {
    if (g.columns.size() != leaves_.size()) {
      return absl::DataLossError("a row group's column count differs from the schema's");
    }
    for (size_t i = 0; i < leaves_.size(); ++i) {
      if (!g.columns[i].meta_data) return absl::DataLossError("a column chunk has no metadata");
      if (g.columns[i].meta_data->path_in_schema != leaves_[i].path) {
        return absl::DataLossError(
            StrCat("column chunk ", i, " is not ", StrJoin(leaves_[i].path, ".")));
      }
    }
    if (g.num_rows < 0) return absl::DataLossError("negative row count");
    rows += g.num_rows;
  }
  if (rows != metadata_.num_rows)
    return absl::DataLossError("row groups do not add up to num_rows");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Json>> NestedReader::ReadAll(
    const std::vector<std::string>& only_fields) const {
  // Which top-level fields to read, and where their leaves start.
  std::vector<size_t> field_first(fields_.size());
  std::vector<bool> wanted(fields_.size(), only_fields.empty());
  std::vector<bool> leaf_wanted(leaves_.size(), false);
  size_t first = 0;
  for (size_t f = 0; f < fields_.size(); ++f) {
    field_first[f] = first;
    if (std::find(only_fields.begin(), only_fields.end(), fields_[f].name) != only_fields.end()) {
      wanted[f] = true;
    }
    const size_t count = LeafColumns({fields_[f]}).size();
    for (size_t i = first; i < first + count; ++i) leaf_wanted[i] = wanted[f];
    first += count;
  }
  for (const std::string& name : only_fields) {
    if (std::none_of(fields_.begin(), fields_.end(),
                     [&](const SchemaNode& n) { return n.name == name; })) {
      return absl::InvalidArgumentError(StrCat("parquet file ", name_, " has no field ", name));
    }
  }
  std::vector<Json> records;
  records.reserve(static_cast<size_t>(std::min<int64_t>(metadata_.num_rows, 1 << 20)));
  for (size_t g = 0; g < metadata_.row_groups.size(); ++g) {
    const RowGroup& group = metadata_.row_groups[g];
    std::vector<LeafData> data(leaves_.size());
    for (size_t i = 0; i < leaves_.size(); ++i) {
      if (!leaf_wanted[i]) continue;
      absl::Status s = DecodeChunk(leaves_[i], *group.columns[i].meta_data, bytes_, &data[i]);
      if (!s.ok()) return Annotate(s, StrCat("parquet file ", name_, ", row group ", g));
    }
    Assembler assembler(leaves_, data);
    for (int64_t row = 0; row < group.num_rows; ++row) {
      Json record = Json::object();
      for (size_t f = 0; f < fields_.size(); ++f) {
        if (!wanted[f]) continue;
        absl::StatusOr<Json> v = assembler.Field(fields_[f], field_first[f], 0, 0);
        if (!v.ok()) return Annotate(v.status(), StrCat("parquet file ", name_, ", row group ", g));
        record[fields_[f].name] = *std::move(v);
      }
      records.push_back(std::move(record));
    }
    for (size_t i = 0; i < leaves_.size(); ++i) {
      if (leaf_wanted[i] &&
          (data[i].level != data[i].def.size() || data[i].value != data[i].values.size())) {
        return absl::DataLossError(StrCat("parquet file ", name_, ", row group ", g, ": column ",
                                          StrJoin(leaves_[i].path, "."),
                                          " has more values than the records"));
      }
    }
  }
  return records;
}

}  // namespace lepton::lake::parquet
