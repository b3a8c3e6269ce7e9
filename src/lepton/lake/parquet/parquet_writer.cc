#include "lepton/lake/parquet/parquet_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
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

void AppendPlain(const Column& c, int64_t i, std::string* out) {
  std::string_view v = ValueBytes(c, i);
  if (c.type() == DataType::kString) PutU32(static_cast<uint32_t>(v.size()), out);
  out->append(v);
}

template <typename T>
std::string FixZero(T v, bool is_min) {
  // The spec: a zero min is written as -0.0 and a zero max as +0.0.
  if (v == 0) v = is_min ? -T{0} : T{0};
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}

// One column of a row group: the same column of each batch buffered for it, in order. Encoding
// walks the pieces directly, so buffering a batch is a plain copy, not a value-by-value append.
class ChunkView {
 public:
  ChunkView(DataType type, std::vector<const Column*> pieces)
      : type_(type), pieces_(std::move(pieces)) {
    starts_.push_back(0);
    for (const Column* p : pieces_) {
      starts_.push_back(starts_.back() + p->size());
      null_count_ += p->null_count();
    }
  }
  DataType type() const { return type_; }
  int64_t size() const { return starts_.back(); }
  int64_t null_count() const { return null_count_; }

  // Calls fn(column, i) for every slot of [begin, end), in order.
  template <typename F>
  void ForEach(int64_t begin, int64_t end, F&& fn) const {
    size_t p = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), begin) -
                                   starts_.begin()) - 1;
    while (begin < end && p < pieces_.size()) {
      const Column& c = *pieces_[p];
      const int64_t local_end = std::min(end, starts_[p + 1]) - starts_[p];
      for (int64_t i = begin - starts_[p]; i < local_end; ++i) fn(c, i);
      begin = starts_[p + 1];
      ++p;
    }
  }

 private:
  DataType type_;
  std::vector<const Column*> pieces_;
  std::vector<int64_t> starts_;
  int64_t null_count_ = 0;
};

// A value slot of a chunk.
struct Slot {
  const Column* column;
  int64_t index;
};

// Min/max over the non-null, non-NaN values `visit` hands out (via fn(column, i)).
template <typename T, typename Visit>
void FixedMinMax(const Visit& visit, Statistics* s) {
  bool any = false;
  T lo{}, hi{};
  visit([&](const Column& c, int64_t i) {
    if (c.IsNull(i)) return;
    const T x = c.ValueAt<T>(i);
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x)) return;
    }
    if (!any) {
      lo = hi = x;
      any = true;
      return;
    }
    if (x < lo) lo = x;
    if (hi < x) hi = x;
  });
  if (!any) return;
  if constexpr (std::is_floating_point_v<T>) {
    s->min_value = FixZero(lo, true);
    s->max_value = FixZero(hi, false);
  } else {
    s->min_value = std::string(reinterpret_cast<const char*>(&lo), sizeof(T));
    s->max_value = std::string(reinterpret_cast<const char*>(&hi), sizeof(T));
  }
}

template <typename Visit>
Statistics ChunkStatistics(DataType type, int64_t null_count, const Visit& visit) {
  Statistics s;
  s.null_count = null_count;
  switch (type) {
    case DataType::kBool: FixedMinMax<uint8_t>(visit, &s); break;
    case DataType::kInt32:
    case DataType::kDate: FixedMinMax<int32_t>(visit, &s); break;
    case DataType::kInt64:
    case DataType::kTimestamp: FixedMinMax<int64_t>(visit, &s); break;
    case DataType::kFloat: FixedMinMax<float>(visit, &s); break;
    case DataType::kDouble: FixedMinMax<double>(visit, &s); break;
    case DataType::kString: {
      bool any = false;
      std::string_view lo, hi;
      visit([&](const Column& c, int64_t i) {
        if (c.IsNull(i)) return;
        const std::string_view x = c.StringAt(i);
        if (!any) {
          lo = hi = x;
          any = true;
          return;
        }
        if (x < lo) lo = x;  // byte-wise (memcmp)
        if (hi < x) hi = x;
      });
      if (any) {
        s.min_value = std::string(lo);
        s.max_value = std::string(hi);
      }
      break;
    }
  }
  return s;
}

// Builds the chunk's dictionary: `indices` gets the entry of each non-null value and `slots` the
// first slot of each entry. False (and no dictionary) once the dictionary's PLAIN size exceeds
// `limit` bytes. `*dict_bytes` / `*plain_bytes` get the PLAIN sizes of the dictionary / values.
template <typename Key, typename KeyOf>
bool BuildDictionary(const ChunkView& v, int64_t limit, const KeyOf& key_of,
                     std::vector<uint32_t>* indices, std::vector<Slot>* slots,
                     int64_t* dict_bytes, int64_t* plain_bytes) {
  absl::flat_hash_map<Key, uint32_t> dict;
  bool too_big = false;
  const bool is_string = v.type() == DataType::kString;
  const int64_t width = is_string ? 0 : FixedWidth(v.type());
  v.ForEach(0, v.size(), [&](const Column& c, int64_t i) {
    if (too_big || c.IsNull(i)) return;
    const Key key = key_of(c, i);
    const int64_t sz = is_string ? 4 + static_cast<int64_t>(c.StringAt(i).size()) : width;
    *plain_bytes += sz;
    auto [it, inserted] = dict.try_emplace(key, static_cast<uint32_t>(dict.size()));
    if (inserted) {
      slots->push_back(Slot{&c, i});
      *dict_bytes += sz;
      if (*dict_bytes > limit) {
        too_big = true;
        return;
      }
    }
    indices->push_back(it->second);
  });
  return !too_big;
}

// BuildDictionary for integer columns whose values span a small range: a direct-mapped table
// instead of a hash map (most ids, codes and counts in real tables; 3-5x faster). Same output
// as BuildDictionary, entries in order of first appearance. False when the range is too wide
// (the caller then uses the hash map) or the dictionary exceeds `limit`.
template <typename T>
bool BuildSmallRangeDictionary(const ChunkView& v, int64_t limit, std::vector<uint32_t>* indices,
                               std::vector<Slot>* slots, int64_t* dict_bytes,
                               int64_t* plain_bytes) {
  bool any = false;
  T lo = 0, hi = 0;
  v.ForEach(0, v.size(), [&](const Column& c, int64_t i) {
    if (c.IsNull(i)) return;
    const T x = c.ValueAt<T>(i);
    if (!any) {
      lo = hi = x;
      any = true;
    }
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  });
  if (!any) return false;
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  const auto n = static_cast<uint64_t>(v.size() - v.null_count());
  if (range >= (uint64_t{1} << 20) || range > 4 * n) return false;
  constexpr uint32_t kAbsent = UINT32_MAX;
  std::vector<uint32_t> table(static_cast<size_t>(range) + 1, kAbsent);
  bool too_big = false;
  uint32_t next = 0;
  v.ForEach(0, v.size(), [&](const Column& c, int64_t i) {
    if (too_big || c.IsNull(i)) return;
    uint32_t& entry =
        table[static_cast<size_t>(static_cast<uint64_t>(c.ValueAt<T>(i)) - static_cast<uint64_t>(lo))];
    if (entry == kAbsent) {
      entry = next++;
      slots->push_back(Slot{&c, i});
      *dict_bytes += static_cast<int64_t>(sizeof(T));
      if (*dict_bytes > limit) {
        too_big = true;
        return;
      }
    }
    indices->push_back(entry);
  });
  *plain_bytes = static_cast<int64_t>(n * sizeof(T));
  return !too_big;
}

// Encodes one column chunk (all of `v`) into `out`, which starts at file offset `offset`.
absl::Status EncodeChunk(const ChunkView& v, const Field& field, const WriterOptions& options,
                         int64_t offset, std::string* out, ColumnMetaData* meta) {
  const int32_t codec = CodecOf(options.compression);
  const int64_t n = v.size();
  const DataType type = v.type();
  const bool is_string = type == DataType::kString;
  const int64_t width = is_string ? 0 : FixedWidth(type);
  meta->type = *LeafElement(field).type;
  meta->path_in_schema = {field.name};
  meta->codec = codec;
  meta->num_values = n;

  // Dictionary: keyed by value bytes; used only when smaller than PLAIN.
  bool use_dict = false;
  bool have_dict = false;  // `slots` holds every distinct value
  std::vector<uint32_t> indices;  // per non-null value
  std::vector<Slot> slots;        // first slot of each dictionary entry
  if (options.dictionary && type != DataType::kBool && n - v.null_count() > 0) {
    int64_t dict_bytes = 0, plain_bytes = 0;
    indices.reserve(static_cast<size_t>(n - v.null_count()));
    if (is_string) {
      have_dict = BuildDictionary<std::string_view>(
          v, options.dictionary_page_size_limit,
          [](const Column& c, int64_t i) { return c.StringAt(i); }, &indices, &slots,
          &dict_bytes, &plain_bytes);
    } else if ((type == DataType::kInt32 || type == DataType::kDate) &&
               BuildSmallRangeDictionary<int32_t>(v, options.dictionary_page_size_limit,
                                                  &indices, &slots, &dict_bytes, &plain_bytes)) {
      have_dict = true;
    } else if ((type == DataType::kInt64 || type == DataType::kTimestamp) &&
               BuildSmallRangeDictionary<int64_t>(v, options.dictionary_page_size_limit,
                                                  &indices, &slots, &dict_bytes, &plain_bytes)) {
      have_dict = true;
    } else {
      indices.clear();
      slots.clear();
      dict_bytes = 0;
      plain_bytes = 0;
      have_dict = BuildDictionary<uint64_t>(
          v, options.dictionary_page_size_limit,
          [width](const Column& c, int64_t i) {
            uint64_t key = 0;
            std::memcpy(&key, c.data().data() + i * width, static_cast<size_t>(width));
            return key;
          },
          &indices, &slots, &dict_bytes, &plain_bytes);
    }
    if (have_dict) {
      const int bw = std::max(1, BitWidth(slots.size() - 1));
      const int64_t index_bytes = static_cast<int64_t>(indices.size()) * bw / 8 + 16;
      use_dict = dict_bytes + index_bytes < plain_bytes;
    }
    if (!use_dict) indices = {};
  }
  // Min/max over the distinct values when they are known (the same result, far fewer compares).
  if (have_dict) {
    meta->statistics = ChunkStatistics(type, v.null_count(), [&](const auto& fn) {
      for (const Slot& s : slots) fn(*s.column, s.index);
    });
  } else {
    meta->statistics = ChunkStatistics(type, v.null_count(),
                                       [&](const auto& fn) { v.ForEach(0, n, fn); });
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
    for (const Slot& s : slots) AppendPlain(*s.column, s.index, &body);
    PageHeader h;
    h.type = kDictionaryPage;
    h.dictionary_page_header =
        DictionaryPageHeader{.num_values = static_cast<int32_t>(slots.size()),
                             .encoding = kPlain};
    LEPTON_RETURN_IF_ERROR(emit_page(h));
    bit_width = std::max(1, BitWidth(slots.size() - 1));
  }
  slots = {};
  meta->data_page_offset = offset + static_cast<int64_t>(out->size());

  // Data pages of about page_size_bytes uncompressed (PLAIN, nulls counting 1) each.
  std::vector<int64_t> page_ends;
  {
    int64_t bytes = 0, in_page = 0, g = 0;
    v.ForEach(0, n, [&](const Column& c, int64_t i) {
      if (in_page > 0 && bytes >= options.page_size_bytes) {
        page_ends.push_back(g);
        bytes = 0;
        in_page = 0;
      }
      bytes += c.IsNull(i) ? 1
               : is_string ? 4 + static_cast<int64_t>(c.StringAt(i).size())
                           : width;
      ++in_page;
      ++g;
    });
    page_ends.push_back(n);
  }
  int64_t row = 0;
  size_t index_pos = 0;
  std::vector<uint32_t> levels, page_indices;
  std::string rle;
  for (const int64_t end : page_ends) {
    body.clear();
    if (field.nullable) {
      levels.clear();
      v.ForEach(row, end, [&](const Column& c, int64_t i) { levels.push_back(c.IsValid(i) ? 1 : 0); });
      rle.clear();
      EncodeRleBitPacked(levels, 1, &rle);
      PutU32(static_cast<uint32_t>(rle.size()), &body);
      body.append(rle);
    }
    if (use_dict) {
      page_indices.clear();
      v.ForEach(row, end, [&](const Column& c, int64_t i) {
        if (c.IsValid(i)) page_indices.push_back(indices[index_pos++]);
      });
      body.push_back(static_cast<char>(bit_width));
      EncodeRleBitPacked(page_indices, bit_width, &body);
    } else if (type == DataType::kBool) {
      uint8_t acc = 0;
      int bits = 0;
      v.ForEach(row, end, [&](const Column& c, int64_t i) {
        if (c.IsNull(i)) return;
        acc |= static_cast<uint8_t>((c.ValueAt<uint8_t>(i) != 0 ? 1 : 0) << bits);
        if (++bits == 8) {
          body.push_back(static_cast<char>(acc));
          acc = 0;
          bits = 0;
        }
      });
      if (bits > 0) body.push_back(static_cast<char>(acc));
    } else {
      v.ForEach(row, end, [&](const Column& c, int64_t i) {
        if (c.IsValid(i)) AppendPlain(c, i, &body);
      });
    }
    PageHeader h;
    h.type = kDataPage;
    h.data_page_header = DataPageHeader{.num_values = static_cast<int32_t>(end - row),
                                        .encoding = use_dict ? kRleDictionary : kPlain,
                                        .definition_level_encoding = kRle,
                                        .repetition_level_encoding = kRle};
    LEPTON_RETURN_IF_ERROR(emit_page(h));
    row = end;
  }

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
  RecordBatch pending;  // unused: the row group is buffered in `parts`
  std::vector<RecordBatch> parts;  // the row group's rows, batch by batch (copies or slices)
  int64_t pending_rows = 0;
  int64_t pending_bytes = 0;
  int64_t offset = 0;  // bytes written to the file so far
  std::vector<RowGroup> row_groups;
};

ParquetWriter::ParquetWriter(std::string path, Schema schema, WriterOptions options)
    : path_(std::move(path)), schema_(std::move(schema)), options_(std::move(options)),
      state_(std::make_unique<State>()) {}

ParquetWriter::~ParquetWriter() {
  if (sink_ && !closed_) sink_->Abort();
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_path_.c_str());
  }
}

absl::Status ParquetWriter::Validate(const std::string& path, const Schema& schema,
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
  return absl::OkStatus();
}

absl::Status ParquetWriter::Emit(std::string_view data) {
  if (sink_) return sink_->Append(data);
  return WriteAll(fd_, data, temp_path_);
}

absl::StatusOr<std::unique_ptr<ParquetWriter>> ParquetWriter::Open(std::unique_ptr<ByteSink> sink,
                                                                   const std::string& name,
                                                                   const Schema& schema,
                                                                   const WriterOptions& options) {
  if (absl::Status s = Validate(name, schema, options); !s.ok()) {
    sink->Abort();
    return s;
  }
  std::unique_ptr<ParquetWriter> w(new ParquetWriter(name, schema, options));
  w->sink_ = std::move(sink);
  w->state_->pending = RecordBatch(schema);
  LEPTON_RETURN_IF_ERROR(w->Emit("PAR1"));
  w->state_->offset = 4;
  return w;
}

absl::StatusOr<std::unique_ptr<ParquetWriter>> ParquetWriter::Open(const std::string& path,
                                                                   const Schema& schema,
                                                                   const WriterOptions& options) {
  LEPTON_RETURN_IF_ERROR(Validate(path, schema, options));
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

absl::Status ParquetWriter::Write(RecordBatch batch) {
  if (closed_ || (fd_ < 0 && !sink_)) {
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
    const int64_t room_rows = options_.row_group_size_rows - s.pending_rows;
    const int64_t room_bytes =
        std::max<int64_t>(1, (options_.row_group_size_bytes - s.pending_bytes) / row_bytes);
    const int64_t take = std::min({rows - done, room_rows, room_bytes});
    // A whole batch is moved in; Slice copies value by value but is only needed where a batch
    // straddles a row-group boundary.
    if (done == 0 && take == rows) {
      s.parts.push_back(std::move(batch));
    } else {
      s.parts.push_back(batch.Slice(done, take));
    }
    s.pending_rows += take;
    s.pending_bytes += take * row_bytes;
    done += take;
    total_rows_ += take;
    if (s.pending_rows >= options_.row_group_size_rows ||
        s.pending_bytes >= options_.row_group_size_bytes) {
      LEPTON_RETURN_IF_ERROR(FlushRowGroup());
    }
  }
  return absl::OkStatus();
}

absl::Status ParquetWriter::FlushRowGroup() {
  State& s = *state_;
  const int64_t rows = s.pending_rows;
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
    std::vector<const Column*> pieces;
    pieces.reserve(s.parts.size());
    for (const RecordBatch& part : s.parts) pieces.push_back(&part.column(i));
    LEPTON_RETURN_IF_ERROR(EncodeChunk(ChunkView(schema_.field(i).type, std::move(pieces)),
                                       schema_.field(i), options_, s.offset, &chunk, &meta));
    LEPTON_RETURN_IF_ERROR(Emit(chunk));
    s.offset += static_cast<int64_t>(chunk.size());
    group.total_byte_size += meta.total_uncompressed_size;
    total_compressed += meta.total_compressed_size;
  }
  group.total_compressed_size = total_compressed;
  s.row_groups.push_back(std::move(group));
  s.parts.clear();
  s.pending_rows = 0;
  s.pending_bytes = 0;
  return absl::OkStatus();
}

absl::Status ParquetWriter::Close() {
  if (closed_) return absl::OkStatus();
  if (fd_ < 0 && !sink_) {
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
    LEPTON_RETURN_IF_ERROR(Emit(footer));
    if (sink_) return sink_->Close();
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
    if (sink_) {
      sink_->Abort();
      sink_.reset();
    }
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
