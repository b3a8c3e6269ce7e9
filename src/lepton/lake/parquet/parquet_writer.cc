#include "lepton/lake/parquet/parquet_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/parquet/encoding.h"
#include "lepton/lake/parquet/metadata.h"

namespace lepton::lake::parquet {

namespace {

absl::Status ErrnoError(std::string_view what, const std::string& path) {
  const int e = errno;
  return absl::InternalError(StrCat(what, " ", path, ": ", std::strerror(e)));
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("writing", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

int32_t CodecOf(Compression c) {
  switch (c) {
    case Compression::kUncompressed: return kUncompressed;
    case Compression::kSnappy: return kSnappy;
    case Compression::kGzip: return kGzip;
    case Compression::kZstd: return kZstd;
    case Compression::kLz4Raw: return kLz4Raw;
  }
  return kUncompressed;
}

void PutU32(uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

SchemaElement LeafElement(const Field& f) {
  SchemaElement e;
  e.name = f.name;
  e.repetition_type = f.nullable ? kOptional : kRequired;
  switch (f.type) {
    case DataType::kBool: e.type = kBoolean; break;
    case DataType::kInt32: e.type = kInt32; break;
    case DataType::kInt64: e.type = kInt64; break;
    case DataType::kFloat: e.type = kFloat; break;
    case DataType::kDouble: e.type = kDouble; break;
    case DataType::kString:
      e.type = kByteArray;
      e.converted_type = kUtf8;
      e.logical_type = LogicalType{.kind = kLogicalString};
      break;
    case DataType::kDate:
      e.type = kInt32;
      e.converted_type = kDate;
      e.logical_type = LogicalType{.kind = kLogicalDate};
      break;
    case DataType::kTimestamp:
      e.type = kInt64;
      e.converted_type = kTimestampMicros;
      e.logical_type =
          LogicalType{.kind = kLogicalTimestamp, .is_adjusted_to_utc = true, .time_unit = 2};
      break;
  }
  return e;
}

// The value bytes of non-null slot `i` as stored by PLAIN (strings without the length prefix).
std::string_view ValueBytes(const Column& c, int64_t i) {
  if (c.type() == DataType::kString) return c.StringAt(i);
  const int w = FixedWidth(c.type());
  return {reinterpret_cast<const char*>(c.data().data()) + i * w, static_cast<size_t>(w)};
}

// Uncompressed PLAIN size of slot `i` (0 for nulls).
int64_t PlainSize(const Column& c, int64_t i) {
  if (c.IsNull(i)) return 0;
  if (c.type() == DataType::kString) return 4 + static_cast<int64_t>(c.StringAt(i).size());
  return FixedWidth(c.type());
}

void AppendPlain(const Column& c, int64_t i, std::string* out) {
  std::string_view v = ValueBytes(c, i);
  if (c.type() == DataType::kString) PutU32(static_cast<uint32_t>(v.size()), out);
  out->append(v);
}

// True when value i orders before value j (both non-null, neither NaN).
bool Less(const Column& c, int64_t i, int64_t j) {
  switch (c.type()) {
    case DataType::kBool: return c.ValueAt<uint8_t>(i) < c.ValueAt<uint8_t>(j);
    case DataType::kInt32:
    case DataType::kDate: return c.ValueAt<int32_t>(i) < c.ValueAt<int32_t>(j);
    case DataType::kInt64:
    case DataType::kTimestamp: return c.ValueAt<int64_t>(i) < c.ValueAt<int64_t>(j);
    case DataType::kFloat: return c.ValueAt<float>(i) < c.ValueAt<float>(j);
    case DataType::kDouble: return c.ValueAt<double>(i) < c.ValueAt<double>(j);
    case DataType::kString: return c.StringAt(i) < c.StringAt(j);  // byte-wise (memcmp)
  }
  return false;
}

bool IsNaN(const Column& c, int64_t i) {
  if (c.type() == DataType::kFloat) return std::isnan(c.ValueAt<float>(i));
  if (c.type() == DataType::kDouble) return std::isnan(c.ValueAt<double>(i));
  return false;
}

template <typename T>
std::string FixZero(T v, bool is_min) {
  // The spec: a zero min is written as -0.0 and a zero max as +0.0.
  if (v == 0) v = is_min ? -T{0} : T{0};
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}

Statistics ChunkStatistics(const Column& c) {
  Statistics s;
  s.null_count = c.null_count();
  int64_t min_i = -1, max_i = -1;
  for (int64_t i = 0; i < c.size(); ++i) {
    if (c.IsNull(i) || IsNaN(c, i)) continue;
    if (min_i < 0 || Less(c, i, min_i)) min_i = i;
    if (max_i < 0 || Less(c, max_i, i)) max_i = i;
  }
  if (min_i >= 0) {
    if (c.type() == DataType::kFloat) {
      s.min_value = FixZero(c.ValueAt<float>(min_i), true);
      s.max_value = FixZero(c.ValueAt<float>(max_i), false);
    } else if (c.type() == DataType::kDouble) {
      s.min_value = FixZero(c.ValueAt<double>(min_i), true);
      s.max_value = FixZero(c.ValueAt<double>(max_i), false);
    } else {
      s.min_value = std::string(ValueBytes(c, min_i));
      s.max_value = std::string(ValueBytes(c, max_i));
    }
  }
  return s;
}

// Encodes one column chunk (all of `c`) into `out`, which starts at file offset `offset`.
absl::Status EncodeChunk(const Column& c, const Field& field, const WriterOptions& options,
                         int64_t offset, std::string* out, ColumnMetaData* meta) {
  const int32_t codec = CodecOf(options.compression);
  const int64_t n = c.size();
  meta->type = *LeafElement(field).type;
  meta->path_in_schema = {field.name};
  meta->codec = codec;
  meta->num_values = n;
  meta->statistics = ChunkStatistics(c);

  // Dictionary: keyed by value bytes; used only when smaller than PLAIN.
  bool use_dict = false;
  std::vector<uint32_t> indices;  // per non-null value
  std::vector<int64_t> dict_slots;  // first slot of each dictionary entry
  if (options.dictionary && c.type() != DataType::kBool && n - c.null_count() > 0) {
    std::unordered_map<std::string_view, uint32_t> dict;
    int64_t dict_bytes = 0, plain_bytes = 0;
    bool too_big = false;
    indices.reserve(static_cast<size_t>(n - c.null_count()));
    for (int64_t i = 0; i < n; ++i) {
      if (c.IsNull(i)) continue;
      const int64_t sz = PlainSize(c, i);
      plain_bytes += sz;
      auto [it, inserted] = dict.emplace(ValueBytes(c, i), static_cast<uint32_t>(dict.size()));
      if (inserted) {
        dict_slots.push_back(i);
        dict_bytes += sz;
        if (dict_bytes > options.dictionary_page_size_limit) {
          too_big = true;
          break;
        }
      }
      indices.push_back(it->second);
    }
    if (!too_big) {
      const int bw = std::max(1, BitWidth(dict.size() - 1));
      const int64_t index_bytes = static_cast<int64_t>(indices.size()) * bw / 8 + 16;
      use_dict = dict_bytes + index_bytes < plain_bytes;
    }
    if (!use_dict) {
      indices.clear();
      dict_slots.clear();
    }
  }

  std::string body, compressed, header;
  int64_t total_uncompressed = 0, total_compressed = 0;
  auto emit_page = [&](PageHeader& h) -> absl::Status {
    LEPTON_RETURN_IF_ERROR(Compress(codec, body, &compressed));
    if (body.size() > static_cast<size_t>(INT32_MAX) ||
        compressed.size() > static_cast<size_t>(INT32_MAX)) {
      return absl::InvalidArgumentError(StrCat("parquet: page of column ", field.name,
                                               " exceeds 2 GiB"));
    }
    h.uncompressed_page_size = static_cast<int32_t>(body.size());
    h.compressed_page_size = static_cast<int32_t>(compressed.size());
    header.clear();
    SerializePageHeader(h, &header);
    total_uncompressed += static_cast<int64_t>(header.size() + body.size());
    total_compressed += static_cast<int64_t>(header.size() + compressed.size());
    out->append(header);
    out->append(compressed);
    return absl::OkStatus();
  };

  int bit_width = 0;
  if (use_dict) {
    meta->dictionary_page_offset = offset + static_cast<int64_t>(out->size());
    body.clear();
    for (int64_t slot : dict_slots) AppendPlain(c, slot, &body);
    PageHeader h;
    h.type = kDictionaryPage;
    h.dictionary_page_header =
        DictionaryPageHeader{.num_values = static_cast<int32_t>(dict_slots.size()),
                             .encoding = kPlain};
    LEPTON_RETURN_IF_ERROR(emit_page(h));
    bit_width = std::max(1, BitWidth(dict_slots.size() - 1));
  }
  meta->data_page_offset = offset + static_cast<int64_t>(out->size());

  // Data pages of about page_size_bytes uncompressed each.
  int64_t row = 0;
  size_t index_pos = 0;
  std::vector<uint32_t> levels, page_indices;
  do {
    int64_t end = row, bytes = 0;
    while (end < n && (end == row || bytes < options.page_size_bytes)) {
      bytes += std::max<int64_t>(PlainSize(c, end), 1);
      ++end;
    }
    body.clear();
    if (field.nullable) {
      levels.clear();
      for (int64_t i = row; i < end; ++i) levels.push_back(c.IsValid(i) ? 1 : 0);
      std::string rle;
      EncodeRleBitPacked(levels, 1, &rle);
      PutU32(static_cast<uint32_t>(rle.size()), &body);
      body.append(rle);
    }
    if (use_dict) {
      page_indices.clear();
      for (int64_t i = row; i < end; ++i) {
        if (c.IsValid(i)) page_indices.push_back(indices[index_pos++]);
      }
      body.push_back(static_cast<char>(bit_width));
      EncodeRleBitPacked(page_indices, bit_width, &body);
    } else if (c.type() == DataType::kBool) {
      uint8_t acc = 0;
      int bits = 0;
      for (int64_t i = row; i < end; ++i) {
        if (c.IsNull(i)) continue;
        acc |= static_cast<uint8_t>((c.ValueAt<uint8_t>(i) != 0 ? 1 : 0) << bits);
        if (++bits == 8) {
          body.push_back(static_cast<char>(acc));
          acc = 0;
          bits = 0;
        }
      }
      if (bits > 0) body.push_back(static_cast<char>(acc));
    } else {
      for (int64_t i = row; i < end; ++i) {
        if (c.IsValid(i)) AppendPlain(c, i, &body);
      }
    }
    PageHeader h;
    h.type = kDataPage;
    h.data_page_header = DataPageHeader{.num_values = static_cast<int32_t>(end - row),
                                        .encoding = use_dict ? kRleDictionary : kPlain,
                                        .definition_level_encoding = kRle,
                                        .repetition_level_encoding = kRle};
    LEPTON_RETURN_IF_ERROR(emit_page(h));
    row = end;
  } while (row < n);

  meta->encodings = {kPlain};
  if (use_dict) meta->encodings.push_back(kRleDictionary);
  if (field.nullable) meta->encodings.push_back(kRle);
  meta->total_uncompressed_size = total_uncompressed;
  meta->total_compressed_size = total_compressed;
  return absl::OkStatus();
}

std::atomic<int> temp_counter{0};

}  // namespace

struct ParquetWriter::State {
  RecordBatch pending;
  int64_t pending_bytes = 0;
  int64_t offset = 0;  // bytes written to the file so far
  std::vector<RowGroup> row_groups;
};

ParquetWriter::ParquetWriter(std::string path, Schema schema, WriterOptions options)
    : path_(std::move(path)), schema_(std::move(schema)), options_(std::move(options)),
      state_(std::make_unique<State>()) {}

ParquetWriter::~ParquetWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_path_.c_str());
  }
}

absl::StatusOr<std::unique_ptr<ParquetWriter>> ParquetWriter::Open(const std::string& path,
                                                                   const Schema& schema,
                                                                   const WriterOptions& options) {
  if (schema.size() == 0) {
    return absl::InvalidArgumentError(StrCat("parquet writer ", path, ": schema has no fields"));
  }
  for (const Field& f : schema.fields()) {
    if (f.name.empty()) {
      return absl::InvalidArgumentError(StrCat("parquet writer ", path, ": empty field name"));
    }
  }
  if (options.row_group_size_rows <= 0 || options.row_group_size_bytes <= 0 ||
      options.page_size_bytes <= 0 || options.dictionary_page_size_limit < 0) {
    return absl::InvalidArgumentError(
        StrCat("parquet writer ", path, ": sizes in WriterOptions must be positive"));
  }
  std::unique_ptr<ParquetWriter> w(new ParquetWriter(path, schema, options));
  w->temp_path_ = StrCat(path, ".tmp-", static_cast<int64_t>(::getpid()), "-",
                         temp_counter.fetch_add(1));
  w->fd_ = ::open(w->temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (w->fd_ < 0) return ErrnoError("parquet writer: creating", w->temp_path_);
  w->state_->pending = RecordBatch(schema);
  LEPTON_RETURN_IF_ERROR(WriteAll(w->fd_, "PAR1", w->temp_path_));
  w->state_->offset = 4;
  return w;
}

absl::Status ParquetWriter::Write(const RecordBatch& batch) {
  if (closed_ || fd_ < 0) {
    return absl::FailedPreconditionError(StrCat("parquet writer ", path_, ": already closed"));
  }
  if (batch.num_columns() != schema_.size()) {
    return absl::InvalidArgumentError(StrCat("parquet writer ", path_, ": batch has ",
                                             batch.num_columns(), " columns, schema has ",
                                             schema_.size()));
  }
  for (size_t i = 0; i < schema_.size(); ++i) {
    const Column& c = batch.column(i);
    const Field& f = schema_.field(i);
    if (c.type() != f.type) {
      return absl::InvalidArgumentError(
          StrCat("parquet writer ", path_, ": column ", f.name, " is ", DataTypeName(c.type()),
                 ", schema says ", DataTypeName(f.type)));
    }
    if (!f.nullable && c.null_count() > 0) {
      return absl::InvalidArgumentError(
          StrCat("parquet writer ", path_, ": non-nullable column ", f.name, " has nulls"));
    }
  }
  const int64_t rows = batch.num_rows();
  // Average bytes per row of this batch, to cut row groups near the byte limit.
  int64_t batch_bytes = 0;
  for (const Column& c : batch.columns()) {
    batch_bytes += c.type() == DataType::kString
                       ? (c.offsets().empty() ? 0 : c.offsets().back()) + 4 * c.size()
                       : FixedWidth(c.type()) * c.size();
  }
  const int64_t row_bytes = rows > 0 ? std::max<int64_t>(1, batch_bytes / rows) : 1;
  State& s = *state_;
  int64_t done = 0;
  while (done < rows) {
    const int64_t room_rows = options_.row_group_size_rows - s.pending.num_rows();
    const int64_t room_bytes =
        std::max<int64_t>(1, (options_.row_group_size_bytes - s.pending_bytes) / row_bytes);
    const int64_t take = std::min({rows - done, room_rows, room_bytes});
    for (size_t i = 0; i < schema_.size(); ++i) {
      s.pending.mutable_column(i).AppendRange(batch.column(i), done, take);
    }
    s.pending_bytes += take * row_bytes;
    done += take;
    total_rows_ += take;
    if (s.pending.num_rows() >= options_.row_group_size_rows ||
        s.pending_bytes >= options_.row_group_size_bytes) {
      LEPTON_RETURN_IF_ERROR(FlushRowGroup());
    }
  }
  return absl::OkStatus();
}

absl::Status ParquetWriter::FlushRowGroup() {
  State& s = *state_;
  const int64_t rows = s.pending.num_rows();
  if (rows == 0) return absl::OkStatus();
  RowGroup group;
  group.num_rows = rows;
  group.file_offset = s.offset;
  int64_t total_compressed = 0;
  std::string chunk;
  for (size_t i = 0; i < schema_.size(); ++i) {
    chunk.clear();
    ColumnChunk& cc = group.columns.emplace_back();
    ColumnMetaData& meta = cc.meta_data.emplace();
    LEPTON_RETURN_IF_ERROR(
        EncodeChunk(s.pending.column(i), schema_.field(i), options_, s.offset, &chunk, &meta));
    LEPTON_RETURN_IF_ERROR(WriteAll(fd_, chunk, temp_path_));
    s.offset += static_cast<int64_t>(chunk.size());
    group.total_byte_size += meta.total_uncompressed_size;
    total_compressed += meta.total_compressed_size;
  }
  group.total_compressed_size = total_compressed;
  s.row_groups.push_back(std::move(group));
  for (size_t i = 0; i < schema_.size(); ++i) s.pending.mutable_column(i).Clear();
  s.pending_bytes = 0;
  return absl::OkStatus();
}

absl::Status ParquetWriter::Close() {
  if (closed_) return absl::OkStatus();
  if (fd_ < 0) {
    return absl::FailedPreconditionError(StrCat("parquet writer ", path_, ": failed earlier"));
  }
  absl::Status status = [&]() -> absl::Status {
    LEPTON_RETURN_IF_ERROR(FlushRowGroup());
    FileMetaData m;
    m.version = 1;
    SchemaElement root;
    root.name = "schema";
    root.num_children = static_cast<int32_t>(schema_.size());
    m.schema.push_back(root);
    for (const Field& f : schema_.fields()) m.schema.push_back(LeafElement(f));
    m.num_rows = total_rows_;
    m.row_groups = std::move(state_->row_groups);
    m.created_by = options_.created_by;
    m.column_orders.assign(schema_.size(), 1);  // TYPE_ORDER
    std::string footer;
    SerializeFileMetaData(m, &footer);
    PutU32(static_cast<uint32_t>(footer.size()), &footer);
    footer.append("PAR1");
    LEPTON_RETURN_IF_ERROR(WriteAll(fd_, footer, temp_path_));
    if (::fsync(fd_) != 0) return ErrnoError("fsync", temp_path_);
    if (::close(fd_) != 0) {
      fd_ = -1;
      ::unlink(temp_path_.c_str());
      return ErrnoError("closing", temp_path_);
    }
    fd_ = -1;
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
      absl::Status st = ErrnoError("renaming to", path_);
      ::unlink(temp_path_.c_str());
      return st;
    }
    // Make the rename durable.
    std::string dir = path_.substr(0, path_.find_last_of('/') == std::string::npos
                                          ? 0
                                          : path_.find_last_of('/'));
    if (dir.empty()) dir = path_.find('/') == 0 ? "/" : ".";
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(temp_path_.c_str());
      fd_ = -1;
    }
    return status;
  }
  closed_ = true;
  return absl::OkStatus();
}

}  // namespace lepton::lake::parquet
