#include "lepton/lake/parquet/parquet_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/parquet/encoding.h"
#include "lepton/lake/parquet/metadata.h"

namespace lepton::lake::parquet {

namespace {

enum class Conversion { kNone, kMillisToMicros, kNanosToMicros, kUint32ToInt64, kInt96 };

// Pages may not claim more values than this (guards allocations against corrupt headers).
constexpr int64_t kMaxPageValues = int64_t{1} << 26;

absl::Status Corrupt(const std::string& path, std::string_view what) {
  return absl::DataLossError(StrCat("parquet file ", path, ": ", what));
}

uint32_t LoadU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

struct ParquetReader::ColumnInfo {
  std::string name;
  int32_t physical = 0;
  DataType type = DataType::kString;
  int max_def = 0;
  Conversion conversion = Conversion::kNone;
  bool type_order = true;  // statistics min_value/max_value usable
};

struct ParquetReader::RowGroupInfo {
  int64_t num_rows = 0;
  std::vector<ColumnMetaData> columns;
};

namespace {

struct Ctx {
  const std::string& path;
  const std::string& column;
  int32_t physical;
  Conversion conversion;
};

absl::Status AppendI64(const Ctx& ctx, int64_t v, Column* out) {
  switch (ctx.conversion) {
    case Conversion::kMillisToMicros:
      if (v > INT64_MAX / 1000 || v < INT64_MIN / 1000) {
        return Corrupt(ctx.path, StrCat("column ", ctx.column, ": timestamp out of range"));
      }
      out->AppendInt64(v * 1000);
      return absl::OkStatus();
    case Conversion::kNanosToMicros:
      out->AppendInt64(FloorDiv(v, 1000));
      return absl::OkStatus();
    default:
      out->AppendInt64(v);
      return absl::OkStatus();
  }
}

void AppendI32(const Ctx& ctx, int32_t v, Column* out) {
  if (ctx.conversion == Conversion::kUint32ToInt64) {
    out->AppendInt64(static_cast<int64_t>(static_cast<uint32_t>(v)));
  } else {
    out->AppendInt32(v);
  }
}

int64_t Int96ToMicros(const char* p) {
  uint64_t nanos;
  uint32_t julian;
  std::memcpy(&nanos, p, 8);
  std::memcpy(&julian, p + 8, 4);
  return (static_cast<int64_t>(julian) - 2440588) * 86400000000LL +
         static_cast<int64_t>(nanos / 1000);
}

absl::Status DecodeByteArrays(const Ctx& ctx, std::string_view data, int64_t n, Column* out) {
  size_t pos = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (data.size() - pos < 4) return Corrupt(ctx.path, StrCat("column ", ctx.column, ": truncated values"));
    const uint32_t len = LoadU32(data.data() + pos);
    pos += 4;
    if (len > data.size() - pos) return Corrupt(ctx.path, StrCat("column ", ctx.column, ": truncated string"));
    out->AppendString(data.substr(pos, len));
    pos += len;
  }
  return absl::OkStatus();
}

// Appends `n` values encoded with `encoding` to `out`. `dict` is the dictionary (or null).
absl::Status DecodeValues(const Ctx& ctx, int32_t encoding, std::string_view data, int64_t n,
                          const Column* dict, Column* out) {
  const std::string col = StrCat("column ", ctx.column, ": ");
  auto need = [&](uint64_t bytes) -> absl::Status {
    if (data.size() < bytes) return Corrupt(ctx.path, StrCat(col, "truncated values"));
    return absl::OkStatus();
  };
  switch (encoding) {
    case kPlain:
      switch (ctx.physical) {
        case kBoolean:
          LEPTON_RETURN_IF_ERROR(need(static_cast<uint64_t>((n + 7) / 8)));
          for (int64_t i = 0; i < n; ++i) out->AppendBool((data[i >> 3] >> (i & 7)) & 1);
          return absl::OkStatus();
        case kInt32:
          LEPTON_RETURN_IF_ERROR(need(static_cast<uint64_t>(n) * 4));
          for (int64_t i = 0; i < n; ++i) {
            AppendI32(ctx, static_cast<int32_t>(LoadU32(data.data() + 4 * i)), out);
          }
          return absl::OkStatus();
        case kInt64:
          LEPTON_RETURN_IF_ERROR(need(static_cast<uint64_t>(n) * 8));
          for (int64_t i = 0; i < n; ++i) {
            int64_t v;
            std::memcpy(&v, data.data() + 8 * i, 8);
            LEPTON_RETURN_IF_ERROR(AppendI64(ctx, v, out));
          }
          return absl::OkStatus();
        case kInt96:
          LEPTON_RETURN_IF_ERROR(need(static_cast<uint64_t>(n) * 12));
          for (int64_t i = 0; i < n; ++i) out->AppendInt64(Int96ToMicros(data.data() + 12 * i));
          return absl::OkStatus();
        case kFloat:
          LEPTON_RETURN_IF_ERROR(need(static_cast<uint64_t>(n) * 4));
          for (int64_t i = 0; i < n; ++i) {
            float v;
            std::memcpy(&v, data.data() + 4 * i, 4);
            out->AppendFloat(v);
          }
          return absl::OkStatus();
        case kDouble:
          LEPTON_RETURN_IF_ERROR(need(static_cast<uint64_t>(n) * 8));
          for (int64_t i = 0; i < n; ++i) {
            double v;
            std::memcpy(&v, data.data() + 8 * i, 8);
            out->AppendDouble(v);
          }
          return absl::OkStatus();
        case kByteArray:
          return DecodeByteArrays(ctx, data, n, out);
        default:
          break;
      }
      break;
    case kPlainDictionary:
    case kRleDictionary: {
      if (dict == nullptr) return Corrupt(ctx.path, StrCat(col, "dictionary page missing"));
      LEPTON_RETURN_IF_ERROR(need(1));
      const int bw = static_cast<uint8_t>(data[0]);
      std::vector<uint32_t> idx;
      LEPTON_RETURN_IF_ERROR(DecodeRleBitPacked(data.substr(1), bw, n, &idx));
      for (uint32_t k : idx) {
        if (k >= static_cast<uint64_t>(dict->size())) {
          return Corrupt(ctx.path, StrCat(col, "dictionary index out of range"));
        }
      }
      out->AppendTake(*dict, idx);
      return absl::OkStatus();
    }
    case kRle: {
      if (ctx.physical != kBoolean) break;
      LEPTON_RETURN_IF_ERROR(need(4));
      const uint32_t len = LoadU32(data.data());
      if (len > data.size() - 4) return Corrupt(ctx.path, StrCat(col, "truncated RLE booleans"));
      std::vector<uint32_t> bits;
      LEPTON_RETURN_IF_ERROR(DecodeRleBitPacked(data.substr(4, len), 1, n, &bits));
      for (uint32_t b : bits) out->AppendBool(b != 0);
      return absl::OkStatus();
    }
    case kDeltaBinaryPacked: {
      if (ctx.physical != kInt32 && ctx.physical != kInt64) break;
      std::vector<int64_t> v;
      LEPTON_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(data, n, &v, nullptr));
      for (int64_t x : v) {
        if (ctx.physical == kInt32) {
          AppendI32(ctx, static_cast<int32_t>(static_cast<uint32_t>(x)), out);
        } else {
          LEPTON_RETURN_IF_ERROR(AppendI64(ctx, x, out));
        }
      }
      return absl::OkStatus();
    }
    case kDeltaLengthByteArray:
    case kDeltaByteArray: {
      if (ctx.physical != kByteArray) break;
      std::vector<int64_t> prefix, lengths;
      size_t used = 0, used2 = 0;
      if (encoding == kDeltaByteArray) {
        LEPTON_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(data, n, &prefix, &used));
      }
      LEPTON_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(data.substr(used), n, &lengths, &used2));
      size_t pos = used + used2;
      std::string prev, cur;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t len = lengths[i];
        if (len < 0 || static_cast<uint64_t>(len) > data.size() - pos) {
          return Corrupt(ctx.path, StrCat(col, "truncated strings"));
        }
        std::string_view suffix = data.substr(pos, static_cast<size_t>(len));
        pos += static_cast<size_t>(len);
        if (encoding == kDeltaByteArray) {
          const int64_t p = prefix[i];
          if (p < 0 || static_cast<uint64_t>(p) > prev.size()) {
            return Corrupt(ctx.path, StrCat(col, "bad DELTA_BYTE_ARRAY prefix"));
          }
          cur.assign(prev, 0, static_cast<size_t>(p));
          cur.append(suffix);
          out->AppendString(cur);
          prev.swap(cur);
        } else {
          out->AppendString(suffix);
        }
      }
      return absl::OkStatus();
    }
    case kByteStreamSplit: {
      int w = 0;
      if (ctx.physical == kFloat || ctx.physical == kInt32) w = 4;
      if (ctx.physical == kDouble || ctx.physical == kInt64) w = 8;
      if (w == 0) break;
      LEPTON_RETURN_IF_ERROR(need(static_cast<uint64_t>(n) * w));
      char buf[8];
      for (int64_t i = 0; i < n; ++i) {
        for (int b = 0; b < w; ++b) buf[b] = data[static_cast<size_t>(b * n + i)];
        if (ctx.physical == kFloat) {
          float v;
          std::memcpy(&v, buf, 4);
          out->AppendFloat(v);
        } else if (ctx.physical == kDouble) {
          double v;
          std::memcpy(&v, buf, 8);
          out->AppendDouble(v);
        } else if (ctx.physical == kInt32) {
          AppendI32(ctx, static_cast<int32_t>(LoadU32(buf)), out);
        } else {
          int64_t v;
          std::memcpy(&v, buf, 8);
          LEPTON_RETURN_IF_ERROR(AppendI64(ctx, v, out));
        }
      }
      return absl::OkStatus();
    }
    default:
      break;
  }
  return absl::UnimplementedError(StrCat("parquet file ", ctx.path, ": ", col, "encoding ",
                                         encoding, " is not supported for physical type ",
                                         ctx.physical));
}

}  // namespace

ParquetReader::~ParquetReader() {
  if (fd_ >= 0) ::close(fd_);
}

int ParquetReader::num_row_groups() const { return static_cast<int>(row_groups_.size()); }

int64_t ParquetReader::row_group_num_rows(int i) const {
  return row_groups_[static_cast<size_t>(i)].num_rows;
}

absl::StatusOr<std::string> ParquetReader::ReadAt(int64_t offset, int64_t length) const {
  if (offset < 0 || length < 0 || offset > file_size_ || length > file_size_ - offset) {
    return Corrupt(path_, StrCat("range [", offset, ", +", length, ") outside the file"));
  }
  if (fd_ < 0) return bytes_.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
  std::string out(static_cast<size_t>(length), '\0');
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                              static_cast<off_t>(offset) + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(StrCat("reading ", path_, ": ", std::strerror(errno)));
    }
    if (n == 0) return Corrupt(path_, "file shrank while reading");
    done += static_cast<size_t>(n);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ParquetReader>> ParquetReader::Open(const std::string& path) {
  std::unique_ptr<ParquetReader> r(new ParquetReader());
  r->path_ = path;
  r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) {
    const int e = errno;
    if (e == ENOENT) return absl::NotFoundError(StrCat("parquet file ", path, " not found"));
    return absl::InternalError(StrCat("opening ", path, ": ", std::strerror(e)));
  }
  struct stat st;
  if (::fstat(r->fd_, &st) != 0) {
    return absl::InternalError(StrCat("stat ", path, ": ", std::strerror(errno)));
  }
  r->file_size_ = st.st_size;
  return ParseFooter(std::move(r));
}

absl::StatusOr<std::unique_ptr<ParquetReader>> ParquetReader::OpenBytes(std::string bytes,
                                                                        std::string name) {
  std::unique_ptr<ParquetReader> r(new ParquetReader());
  r->path_ = std::move(name);
  r->bytes_ = std::move(bytes);
  r->file_size_ = static_cast<int64_t>(r->bytes_.size());
  return ParseFooter(std::move(r));
}

absl::StatusOr<std::unique_ptr<ParquetReader>> ParquetReader::ParseFooter(
    std::unique_ptr<ParquetReader> r) {
  const std::string path = r->path_;
  if (r->file_size_ < 12) return Corrupt(path, "too small to be a parquet file");
  LEPTON_ASSIGN_OR_RETURN(std::string head, r->ReadAt(0, 4));
  LEPTON_ASSIGN_OR_RETURN(std::string tail, r->ReadAt(r->file_size_ - 8, 8));
  if (tail.substr(4) == "PARE") {
    return absl::UnimplementedError(StrCat("parquet file ", path, ": encrypted footers are not supported"));
  }
  if (head != "PAR1" || tail.substr(4) != "PAR1") return Corrupt(path, "bad magic (not PAR1)");
  const int64_t footer_len = LoadU32(tail.data());
  if (footer_len <= 0 || footer_len > r->file_size_ - 12) return Corrupt(path, "bad footer length");
  LEPTON_ASSIGN_OR_RETURN(std::string footer, r->ReadAt(r->file_size_ - 8 - footer_len, footer_len));
  absl::StatusOr<FileMetaData> parsed = ParseFileMetaData(footer);
  if (!parsed.ok()) return Annotate(parsed.status(), StrCat("parquet file ", path));
  FileMetaData& m = *parsed;

  if (m.schema.empty()) return Corrupt(path, "empty schema");
  const int64_t leaves = static_cast<int64_t>(m.schema.size()) - 1;
  std::vector<Field> fields;
  for (int64_t i = 1; i <= leaves; ++i) {
    const SchemaElement& e = m.schema[static_cast<size_t>(i)];
    const std::string& name = e.name;
    if ((e.num_children && *e.num_children > 0) || !e.type) {
      return absl::UnimplementedError(
          StrCat("parquet file ", path, ": column ", name, " is nested (groups are not supported)"));
    }
    const int rep = e.repetition_type.value_or(kRequired);
    if (rep == kRepeated) {
      return absl::UnimplementedError(
          StrCat("parquet file ", path, ": column ", name, " is repeated (lists are not supported)"));
    }
    ColumnInfo ci;
    ci.name = name;
    ci.physical = *e.type;
    ci.max_def = rep == kOptional ? 1 : 0;
    const int lk = e.logical_type ? e.logical_type->kind : 0;
    const int ct = e.converted_type.value_or(-1);
    auto unsupported = [&](std::string_view what) {
      return absl::UnimplementedError(StrCat("parquet file ", path, ": column ", name, " has ",
                                             what, ", which is not supported"));
    };
    if (lk == kLogicalDecimal || ct == kDecimal) return unsupported("type DECIMAL");
    if (lk == kLogicalTime || ct == kTimeMillis || ct == kTimeMicros) return unsupported("type TIME");
    switch (ci.physical) {
      case kBoolean: ci.type = DataType::kBool; break;
      case kInt32:
        if (lk == kLogicalDate || ct == kDate) {
          ci.type = DataType::kDate;
        } else if (ct == kUint32 || (lk == kLogicalInteger && !e.logical_type->is_signed &&
                                     e.logical_type->bit_width == 32)) {
          ci.type = DataType::kInt64;
          ci.conversion = Conversion::kUint32ToInt64;
        } else {
          ci.type = DataType::kInt32;
        }
        break;
      case kInt64:
        if (lk == kLogicalTimestamp) {
          ci.type = DataType::kTimestamp;
          const int unit = e.logical_type->time_unit;
          if (unit == 1) ci.conversion = Conversion::kMillisToMicros;
          else if (unit == 3) ci.conversion = Conversion::kNanosToMicros;
          else if (unit != 2) return unsupported("a TIMESTAMP of unknown unit");
        } else if (ct == kTimestampMillis) {
          ci.type = DataType::kTimestamp;
          ci.conversion = Conversion::kMillisToMicros;
        } else if (ct == kTimestampMicros) {
          ci.type = DataType::kTimestamp;
        } else if (ct == kUint64 || (lk == kLogicalInteger && !e.logical_type->is_signed)) {
          return unsupported("type UINT64");
        } else {
          ci.type = DataType::kInt64;
        }
        break;
      case kInt96:
        ci.type = DataType::kTimestamp;
        ci.conversion = Conversion::kInt96;
        break;
      case kFloat: ci.type = DataType::kFloat; break;
      case kDouble: ci.type = DataType::kDouble; break;
      case kByteArray: ci.type = DataType::kString; break;
      default:
        return unsupported(StrCat("physical type ", ci.physical));
    }
    const size_t col_index = static_cast<size_t>(i - 1);
    if (!m.column_orders.empty()) {
      ci.type_order = col_index < m.column_orders.size() && m.column_orders[col_index] == 1;
    }
    fields.push_back(Field{.name = name, .type = ci.type, .nullable = ci.max_def > 0});
    r->columns_.push_back(std::move(ci));
  }
  if (m.schema[0].num_children.value_or(0) != leaves) {
    return absl::UnimplementedError(
        StrCat("parquet file ", path, ": nested schema (root has ",
               m.schema[0].num_children.value_or(0), " children of ", leaves, " elements)"));
  }
  r->schema_ = Schema(std::move(fields));
  r->num_rows_ = m.num_rows;
  r->created_by_ = m.created_by.value_or("");
  for (size_t g = 0; g < m.row_groups.size(); ++g) {
    RowGroup& rg = m.row_groups[g];
    if (static_cast<int64_t>(rg.columns.size()) != leaves) {
      return Corrupt(path, StrCat("row group ", g, " has ", rg.columns.size(), " columns, schema ", leaves));
    }
    if (rg.num_rows < 0) return Corrupt(path, StrCat("row group ", g, " has negative num_rows"));
    RowGroupInfo info;
    info.num_rows = rg.num_rows;
    for (ColumnChunk& c : rg.columns) {
      if (!c.meta_data) return Corrupt(path, StrCat("row group ", g, " lacks column metadata"));
      if (c.file_path) {
        return absl::UnimplementedError(StrCat("parquet file ", path, ": column chunks in other files"));
      }
      info.columns.push_back(std::move(*c.meta_data));
    }
    r->row_groups_.push_back(std::move(info));
  }
  return r;
}

namespace {

std::optional<StatValue> DecodeStat(int32_t physical, DataType type, Conversion conv,
                                    const std::string& b) {
  switch (physical) {
    case kBoolean:
      if (b.size() != 1) return std::nullopt;
      return StatValue(b[0] != 0);
    case kInt32: {
      if (b.size() != 4) return std::nullopt;
      const auto v = static_cast<int32_t>(LoadU32(b.data()));
      if (conv == Conversion::kUint32ToInt64) {
        return StatValue(static_cast<int64_t>(static_cast<uint32_t>(v)));
      }
      return StatValue(v);
    }
    case kInt64: {
      if (b.size() != 8) return std::nullopt;
      int64_t v;
      std::memcpy(&v, b.data(), 8);
      if (conv == Conversion::kMillisToMicros) {
        if (v > INT64_MAX / 1000 || v < INT64_MIN / 1000) return std::nullopt;
        v *= 1000;
      } else if (conv == Conversion::kNanosToMicros) {
        v = FloorDiv(v, 1000);
      }
      return StatValue(v);
    }
    case kFloat: {
      if (b.size() != 4) return std::nullopt;
      float v;
      std::memcpy(&v, b.data(), 4);
      if (std::isnan(v)) return std::nullopt;
      return StatValue(v);
    }
    case kDouble: {
      if (b.size() != 8) return std::nullopt;
      double v;
      std::memcpy(&v, b.data(), 8);
      if (std::isnan(v)) return std::nullopt;
      return StatValue(v);
    }
    case kByteArray:
      if (type != DataType::kString) return std::nullopt;
      return StatValue(b);
    default:
      return std::nullopt;
  }
}

}  // namespace

std::vector<ColumnStatistics> ParquetReader::RowGroupStatistics(int i) const {
  std::vector<ColumnStatistics> out;
  if (i < 0 || i >= num_row_groups()) return out;
  const RowGroupInfo& g = row_groups_[static_cast<size_t>(i)];
  for (size_t c = 0; c < columns_.size(); ++c) {
    const ColumnInfo& ci = columns_[c];
    ColumnStatistics cs;
    const auto& s = g.columns[c].statistics;
    if (s) {
      cs.null_count = s->null_count;
      if (s->min_value && s->max_value) {
        if (ci.type_order) {
          cs.min = DecodeStat(ci.physical, ci.type, ci.conversion, *s->min_value);
          cs.max = DecodeStat(ci.physical, ci.type, ci.conversion, *s->max_value);
        }
      } else if (s->min && s->max && ci.physical != kByteArray &&
                 ci.conversion != Conversion::kUint32ToInt64) {
        // Legacy signed-order min/max are right for signed integers and floats.
        cs.min = DecodeStat(ci.physical, ci.type, ci.conversion, *s->min);
        cs.max = DecodeStat(ci.physical, ci.type, ci.conversion, *s->max);
      }
      if (!cs.min || !cs.max) {
        cs.min.reset();
        cs.max.reset();
      }
    }
    out.push_back(std::move(cs));
  }
  return out;
}

absl::Status ParquetReader::ReadColumnChunk(int group, int column, Column* out) const {
  const ColumnInfo& ci = columns_[static_cast<size_t>(column)];
  const RowGroupInfo& g = row_groups_[static_cast<size_t>(group)];
  const ColumnMetaData& m = g.columns[static_cast<size_t>(column)];
  const std::string col = StrCat("column ", ci.name, ", row group ", group, ": ");
  if (m.type != ci.physical) return Corrupt(path_, StrCat(col, "type differs from the schema"));
  int64_t start = m.data_page_offset;
  if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 &&
      *m.dictionary_page_offset < start) {
    start = *m.dictionary_page_offset;
  }
  if (start < 4 || m.total_compressed_size < 0 ||
      m.total_compressed_size > file_size_ - 8 - start) {
    return Corrupt(path_, StrCat(col, "column chunk outside the file"));
  }
  LEPTON_ASSIGN_OR_RETURN(std::string chunk, ReadAt(start, m.total_compressed_size));
  const Ctx ctx{path_, ci.name, ci.physical, ci.conversion};
  const int64_t expected = g.num_rows;
  out->Reserve(std::min<int64_t>(expected, int64_t{1} << 16));
  std::optional<Column> dict;
  std::string page, scratch;
  std::vector<uint32_t> levels;
  Column values(ci.type);
  size_t pos = 0;
  int64_t read = 0;
  while (read < expected) {
    if (pos >= chunk.size()) return Corrupt(path_, StrCat(col, "ran out of pages after ", read, " of ", expected, " values"));
    size_t consumed = 0;
    absl::StatusOr<PageHeader> h = ParsePageHeader(std::string_view(chunk).substr(pos), &consumed);
    if (!h.ok()) return Annotate(h.status(), StrCat("parquet file ", path_, ": ", col));
    pos += consumed;
    if (static_cast<size_t>(h->compressed_page_size) > chunk.size() - pos) {
      return Corrupt(path_, StrCat(col, "page extends past the column chunk"));
    }
    std::string_view body(chunk.data() + pos, static_cast<size_t>(h->compressed_page_size));
    pos += static_cast<size_t>(h->compressed_page_size);

    if (h->type == kDictionaryPage) {
      if (!h->dictionary_page_header) return Corrupt(path_, StrCat(col, "dictionary page lacks its header"));
      const DictionaryPageHeader& d = *h->dictionary_page_header;
      if (d.num_values < 0 || d.num_values > kMaxPageValues) return Corrupt(path_, StrCat(col, "bad dictionary size"));
      LEPTON_RETURN_IF_ERROR(Decompress(m.codec, body, h->uncompressed_page_size, &page));
      dict.emplace(ci.type);
      const int32_t enc = d.encoding == kPlainDictionary ? kPlain : d.encoding;
      LEPTON_RETURN_IF_ERROR(DecodeValues(ctx, enc, page, d.num_values, nullptr, &*dict));
      continue;
    }
    int64_t n = 0;
    int32_t encoding = 0;
    std::string_view def_data, value_data;
    bool def_prefixed = false;
    if (h->type == kDataPage) {
      if (!h->data_page_header) return Corrupt(path_, StrCat(col, "data page lacks its header"));
      n = h->data_page_header->num_values;
      encoding = h->data_page_header->encoding;
      LEPTON_RETURN_IF_ERROR(Decompress(m.codec, body, h->uncompressed_page_size, &page));
      value_data = page;
      if (ci.max_def > 0) {
        if (h->data_page_header->definition_level_encoding != kRle) {
          return absl::UnimplementedError(StrCat("parquet file ", path_, ": ", col, "definition levels encoded with ", h->data_page_header->definition_level_encoding));
        }
        def_prefixed = true;
      }
    } else if (h->type == kDataPageV2) {
      if (!h->data_page_header_v2) return Corrupt(path_, StrCat(col, "data page v2 lacks its header"));
      const DataPageHeaderV2& d = *h->data_page_header_v2;
      n = d.num_values;
      encoding = d.encoding;
      if (d.definition_levels_byte_length < 0 || d.repetition_levels_byte_length < 0 ||
          static_cast<int64_t>(d.definition_levels_byte_length) + d.repetition_levels_byte_length >
              static_cast<int64_t>(body.size()) ||
          static_cast<int64_t>(d.definition_levels_byte_length) + d.repetition_levels_byte_length >
              h->uncompressed_page_size) {
        return Corrupt(path_, StrCat(col, "bad level lengths in data page v2"));
      }
      const size_t levels_len = static_cast<size_t>(d.definition_levels_byte_length) +
                                static_cast<size_t>(d.repetition_levels_byte_length);
      scratch.assign(body.substr(0, levels_len));
      def_data = std::string_view(scratch).substr(
          static_cast<size_t>(d.repetition_levels_byte_length));
      const int64_t rest_size = h->uncompressed_page_size - static_cast<int64_t>(levels_len);
      if (d.is_compressed && m.codec != kUncompressed) {
        LEPTON_RETURN_IF_ERROR(Decompress(m.codec, body.substr(levels_len), rest_size, &page));
      } else {
        if (static_cast<int64_t>(body.size() - levels_len) != rest_size) {
          return Corrupt(path_, StrCat(col, "data page v2 size mismatch"));
        }
        page.assign(body.substr(levels_len));
      }
      value_data = page;
    } else {
      continue;  // index pages and unknown page types are skipped
    }
    if (n < 0 || n > kMaxPageValues || n > expected - read) {
      return Corrupt(path_, StrCat(col, "page claims ", n, " values"));
    }
    int64_t non_null = n;
    if (ci.max_def > 0) {
      if (def_prefixed) {
        if (value_data.size() < 4) return Corrupt(path_, StrCat(col, "truncated definition levels"));
        const uint32_t len = LoadU32(value_data.data());
        if (len > value_data.size() - 4) return Corrupt(path_, StrCat(col, "truncated definition levels"));
        def_data = value_data.substr(4, len);
        value_data = value_data.substr(4 + len);
      }
      absl::Status s = DecodeRleBitPacked(def_data, 1, n, &levels);
      if (!s.ok()) return Annotate(s, StrCat("parquet file ", path_, ": ", col, "definition levels"));
      non_null = 0;
      for (uint32_t l : levels) non_null += l;
    }
    values.Clear();
    LEPTON_RETURN_IF_ERROR(DecodeValues(ctx, encoding, value_data, non_null,
                                        dict ? &*dict : nullptr, &values));
    if (non_null == n) {
      out->AppendRange(values, 0, n);
    } else {
      int64_t k = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (levels[static_cast<size_t>(i)] != 0) {
          out->AppendRange(values, k++, 1);
        } else {
          out->AppendNull();
        }
      }
    }
    read += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<RecordBatch> ParquetReader::ReadRowGroup(int i, const std::vector<int>& columns) const {
  if (i < 0 || i >= num_row_groups()) {
    return absl::OutOfRangeError(StrCat("parquet file ", path_, ": no row group ", i, " (has ",
                                        num_row_groups(), ")"));
  }
  std::vector<Field> fields;
  std::vector<Column> cols;
  for (int c : columns) {
    if (c < 0 || static_cast<size_t>(c) >= columns_.size()) {
      return absl::InvalidArgumentError(StrCat("parquet file ", path_, ": no column ", c));
    }
    fields.push_back(schema_.field(static_cast<size_t>(c)));
    Column col(schema_.field(static_cast<size_t>(c)).type);
    LEPTON_RETURN_IF_ERROR(ReadColumnChunk(i, c, &col));
    cols.push_back(std::move(col));
  }
  return RecordBatch::Make(Schema(std::move(fields)), std::move(cols));
}

absl::StatusOr<RecordBatch> ParquetReader::ReadAll() const {
  std::vector<int> all;
  for (size_t c = 0; c < columns_.size(); ++c) all.push_back(static_cast<int>(c));
  RecordBatch result(schema_);
  for (int g = 0; g < num_row_groups(); ++g) {
    LEPTON_ASSIGN_OR_RETURN(RecordBatch b, ReadRowGroup(g, all));
    for (size_t c = 0; c < all.size(); ++c) {
      result.mutable_column(c).AppendRange(b.column(c), 0, b.num_rows());
    }
  }
  return result;
}

}  // namespace lepton::lake::parquet
