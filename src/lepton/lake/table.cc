#include "lepton/lake/table.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <variant>

#include "absl/time/time.h"
#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/crypto/encrypted_file.h"
#include "lepton/lake/parquet/parquet_reader.h"
#include "lepton/lake/parquet/parquet_writer.h"

namespace lepton::lake {
namespace {

// A literal or statistics value in a comparable form: integers (int32, int64, date days,
// timestamp µs) as int64, floats as double.
using Scalar = std::variant<bool, int64_t, double, std::string>;

std::string FormatDate(int64_t days) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(days * 86400), absl::UTCTimeZone());
}

std::string FormatMicros(int64_t us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(us), absl::UTCTimeZone());
}

// Converts a JSON literal to the comparable form of `type`.
absl::StatusOr<Scalar> ToScalar(const Json& v, DataType type, std::string_view column) {
  auto bad = [&]() {
    return absl::InvalidArgumentError(StrCat("column ", column, ": ", DumpJson(v),
                                             " is not a ", DataTypeName(type)));
  };
  switch (type) {
    case DataType::kBool:
      if (!v.is_boolean()) return bad();
      return Scalar(v.get<bool>());
    case DataType::kInt32:
    case DataType::kInt64:
      if (!v.is_number_integer()) return bad();
      return Scalar(v.get<int64_t>());
    case DataType::kFloat:
    case DataType::kDouble:
      if (!v.is_number()) return bad();
      return Scalar(v.get<double>());
    case DataType::kString:
      if (!v.is_string()) return bad();
      return Scalar(v.get<std::string>());
    case DataType::kDate: {
      if (v.is_number_integer()) return Scalar(v.get<int64_t>());
      if (!v.is_string()) return bad();
      absl::Time t;
      std::string err;
      if (!absl::ParseTime("%Y-%m-%d", v.get<std::string>(), absl::UTCTimeZone(), &t, &err)) return bad();
      return Scalar(absl::ToUnixSeconds(t) / 86400);
    }
    case DataType::kTimestamp: {
      if (v.is_number_integer()) return Scalar(v.get<int64_t>());
      if (!v.is_string()) return bad();
      absl::Time t;
      const std::string s = v.get<std::string>();
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err) &&
          !absl::ParseTime("%Y-%m-%d %H:%M:%S", s, absl::UTCTimeZone(), &t, &err) &&
          !absl::ParseTime("%Y-%m-%d", s, absl::UTCTimeZone(), &t, &err)) {
        return bad();
      }
      return Scalar(absl::ToUnixMicros(t));
    }
  }
  return bad();
}

// Opens the data file `name` of the table in `dir`, decrypting it when it is encrypted.
absl::StatusOr<std::unique_ptr<parquet::ParquetReader>> OpenDataFile(const std::string& dir,
                                                                     const std::string& name,
                                                                     const crypto::DataKey* key,
                                                                     std::string_view table) {
  const std::string path = dir + "/" + name;
  if (!crypto::IsEncryptedDataFile(name)) return parquet::ParquetReader::Open(path);
  if (key == nullptr) {
    return absl::FailedPreconditionError(StrCat(
        "dataset ", table.empty() ? std::string_view(dir) : table,
        " is encrypted at rest; reading it needs the master key it was written with (set ",
        crypto::kMasterKeyEnv, " or ", crypto::kMasterKeyFileEnv, ", or keep <home>/master.key)"));
  }
  LEPTON_ASSIGN_OR_RETURN(std::string plain, crypto::ReadEncryptedFile(path, *key));
  return parquet::ParquetReader::OpenBytes(std::move(plain), path);
}

std::optional<Scalar> StatToScalar(const parquet::StatValue& v) {
  return std::visit(
      [](const auto& x) -> std::optional<Scalar> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) return Scalar(x);
        else if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) return Scalar(int64_t{x});
        else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          if (std::isnan(static_cast<double>(x))) return std::nullopt;
          return Scalar(static_cast<double>(x));
        } else return Scalar(x);
      },
      v);
}

// Three-way comparison of same-kind scalars (int64 and double mix).
int Compare(const Scalar& a, const Scalar& b) {
  if (std::holds_alternative<double>(a) || std::holds_alternative<double>(b)) {
    auto num = [](const Scalar& s) {
      if (auto* d = std::get_if<double>(&s)) return *d;
      if (auto* i = std::get_if<int64_t>(&s)) return static_cast<double>(*i);
      return 0.0;
    };
    const double x = num(a), y = num(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.index() != b.index()) return a.index() < b.index() ? -1 : 1;
  return std::visit(
      [&](const auto& x) -> int {
        const auto& y = std::get<std::decay_t<decltype(x)>>(b);
        return x < y ? -1 : (y < x ? 1 : 0);
      },
      a);
}

Scalar ValueAt(const Column& c, int64_t i) {
  switch (c.type()) {
    case DataType::kBool: return Scalar(c.ValueAt<uint8_t>(i) != 0);
    case DataType::kInt32:
    case DataType::kDate: return Scalar(int64_t{c.ValueAt<int32_t>(i)});
    case DataType::kInt64:
    case DataType::kTimestamp: return Scalar(c.ValueAt<int64_t>(i));
    case DataType::kFloat: return Scalar(static_cast<double>(c.ValueAt<float>(i)));
    case DataType::kDouble: return Scalar(c.ValueAt<double>(i));
    case DataType::kString: return Scalar(std::string(c.StringAt(i)));
  }
  return Scalar(false);
}

struct BoundPredicate {
  int column = -1;  // index into the table schema
  CompareOp op;
  std::vector<Scalar> values;
};

bool RowMatches(const BoundPredicate& p, const Column& c, int64_t i) {
  if (p.op == CompareOp::kIsNull) return c.IsNull(i);
  if (p.op == CompareOp::kIsNotNull) return c.IsValid(i);
  if (c.IsNull(i)) return false;  // SQL semantics: comparisons with null are not true
  const Scalar v = ValueAt(c, i);
  switch (p.op) {
    case CompareOp::kEq: return Compare(v, p.values[0]) == 0;
    case CompareOp::kNe: return Compare(v, p.values[0]) != 0;
    case CompareOp::kLt: return Compare(v, p.values[0]) < 0;
    case CompareOp::kLe: return Compare(v, p.values[0]) <= 0;
    case CompareOp::kGt: return Compare(v, p.values[0]) > 0;
    case CompareOp::kGe: return Compare(v, p.values[0]) >= 0;
    case CompareOp::kBetween:
      return Compare(v, p.values[0]) >= 0 && Compare(v, p.values[1]) <= 0;
    case CompareOp::kIn:
      return std::any_of(p.values.begin(), p.values.end(),
                         [&](const Scalar& x) { return Compare(v, x) == 0; });
    default: return false;
  }
}

// False only when the row group's statistics prove no row can match.
bool MayMatch(const BoundPredicate& p, const parquet::ColumnStatistics& s, int64_t rows) {
  if (p.op == CompareOp::kIsNull) return !s.null_count || *s.null_count > 0;
  if (p.op == CompareOp::kIsNotNull) return !s.null_count || *s.null_count < rows;
  if (s.null_count && *s.null_count == rows) return false;  // all null: no comparison is true
  if (!s.min || !s.max) return true;
  const auto lo = StatToScalar(*s.min);
  const auto hi = StatToScalar(*s.max);
  if (!lo || !hi) return true;
  switch (p.op) {
    case CompareOp::kEq: return Compare(p.values[0], *lo) >= 0 && Compare(p.values[0], *hi) <= 0;
    case CompareOp::kLt: return Compare(*lo, p.values[0]) < 0;
    case CompareOp::kLe: return Compare(*lo, p.values[0]) <= 0;
    case CompareOp::kGt: return Compare(*hi, p.values[0]) > 0;
    case CompareOp::kGe: return Compare(*hi, p.values[0]) >= 0;
    case CompareOp::kBetween:
      return Compare(*hi, p.values[0]) >= 0 && Compare(*lo, p.values[1]) <= 0;
    case CompareOp::kIn:
      return std::any_of(p.values.begin(), p.values.end(), [&](const Scalar& x) {
        return Compare(x, *lo) >= 0 && Compare(x, *hi) <= 0;
      });
    default: return true;
  }
}

// Converts a file column to the table's type (widening) or makes an all-null column.
Column Conform(const Column* from, DataType to, int64_t rows) {
  Column out(to);
  if (from == nullptr) {
    for (int64_t i = 0; i < rows; ++i) out.AppendNull();
    return out;
  }
  if (from->type() == to) return *from;
  out.Reserve(rows);
  for (int64_t i = 0; i < rows; ++i) {
    if (from->IsNull(i)) {
      out.AppendNull();
    } else if (from->type() == DataType::kInt32 && to == DataType::kInt64) {
      out.AppendInt64(from->ValueAt<int32_t>(i));
    } else if (from->type() == DataType::kFloat && to == DataType::kDouble) {
      out.AppendDouble(from->ValueAt<float>(i));
    } else {
      out.AppendNull();  // unreachable for tables written through MergeSchemas
    }
  }
  return out;
}

Json StatJson(const parquet::StatValue& v, DataType type) {
  return std::visit(
      [&](const auto& x) -> Json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, int32_t>) {
          if (type == DataType::kDate) return FormatDate(x);
          return x;
        } else if constexpr (std::is_same_v<T, int64_t>) {
          if (type == DataType::kTimestamp) return FormatMicros(x);
          return x;
        } else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
          if (!std::isfinite(static_cast<double>(x))) return nullptr;
          return static_cast<double>(x);
        } else {
          return x;
        }
      },
      v);
}

// Delta per-file statistics from the Parquet footer: numRecords, minValues, maxValues, nullCount.
Json FileStats(const parquet::ParquetReader& r) {
  const Schema& schema = r.schema();
  Json mins = Json::object(), maxs = Json::object(), nulls = Json::object();
  for (size_t c = 0; c < schema.size(); ++c) {
    const Field& f = schema.field(c);
    std::optional<Scalar> lo, hi;
    std::optional<parquet::StatValue> lo_raw, hi_raw;
    int64_t null_count = 0;
    bool nulls_known = true, bounds_known = true;
    for (int g = 0; g < r.num_row_groups(); ++g) {
      const parquet::ColumnStatistics s = r.RowGroupStatistics(g)[c];
      if (s.null_count) null_count += *s.null_count;
      else nulls_known = false;
      if (s.null_count && *s.null_count == r.row_group_num_rows(g)) continue;
      if (!s.min || !s.max) {
        bounds_known = false;
        continue;
      }
      auto l = StatToScalar(*s.min), h = StatToScalar(*s.max);
      if (!l || !h) {
        bounds_known = false;
        continue;
      }
      if (!lo || Compare(*l, *lo) < 0) lo = l, lo_raw = s.min;
      if (!hi || Compare(*h, *hi) > 0) hi = h, hi_raw = s.max;
    }
    if (nulls_known) nulls[f.name] = null_count;
    // Long strings are left out, as Delta truncates them and a truncated max would be wrong.
    const bool long_string =
        f.type == DataType::kString && lo && hi &&
        (std::get<std::string>(*lo).size() > 32 || std::get<std::string>(*hi).size() > 32);
    if (bounds_known && lo_raw && hi_raw && !long_string && f.type != DataType::kBool) {
      Json a = StatJson(*lo_raw, f.type), b = StatJson(*hi_raw, f.type);
      if (!a.is_null() && !b.is_null()) {
        mins[f.name] = a;
        maxs[f.name] = b;
      }
    }
  }
  return {{"numRecords", r.num_rows()}, {"minValues", mins}, {"maxValues", maxs},
          {"nullCount", nulls}};
}

}  // namespace

absl::StatusOr<CompareOp> ParseCompareOp(std::string_view t) {
  if (t == "=" || t == "==" || t == "eq") return CompareOp::kEq;
  if (t == "!=" || t == "<>" || t == "ne") return CompareOp::kNe;
  if (t == "<" || t == "lt") return CompareOp::kLt;
  if (t == "<=" || t == "le") return CompareOp::kLe;
  if (t == ">" || t == "gt") return CompareOp::kGt;
  if (t == ">=" || t == "ge") return CompareOp::kGe;
  if (t == "between") return CompareOp::kBetween;
  if (t == "in") return CompareOp::kIn;
  if (t == "is_null") return CompareOp::kIsNull;
  if (t == "is_not_null") return CompareOp::kIsNotNull;
  return absl::InvalidArgumentError(StrCat(
      "unknown operator '", t, "'; expected =, !=, <, <=, >, >=, between, in, is_null, is_not_null"));
}

absl::StatusOr<std::vector<Predicate>> PredicatesFromJson(const Json& where, std::string_view path) {
  if (!where.is_array()) return absl::InvalidArgumentError(StrCat(path, ": expected an array"));
  std::vector<Predicate> out;
  for (size_t i = 0; i < where.size(); ++i) {
    const std::string p = StrCat(path, "[", i, "]");
    JsonFields f(where[i], p);
    Predicate pred;
    pred.column = f.String("column");
    const std::string op = f.String("op");
    std::optional<Json> value = f.OptionalValue("value");
    std::optional<Json> values = f.OptionalValue("values");
    LEPTON_RETURN_IF_ERROR(f.Finish());
    auto parsed = ParseCompareOp(op);
    if (!parsed.ok()) return Annotate(parsed.status(), StrCat(p, ".op"));
    pred.op = *parsed;
    if (value) pred.values.push_back(*value);
    if (values) {
      if (!values->is_array()) return absl::InvalidArgumentError(StrCat(p, ".values: expected an array"));
      for (const Json& v : *values) pred.values.push_back(v);
    }
    out.push_back(std::move(pred));
  }
  return out;
}

absl::StatusOr<Schema> MergeSchemas(const Schema& existing, const Schema& incoming) {
  std::vector<Field> out;
  for (const Field& e : existing.fields()) {
    const int i = incoming.Find(e.name);
    if (i < 0) {
      if (!e.nullable) {
        return absl::FailedPreconditionError(
            StrCat("column '", e.name, "' is missing and the table does not allow nulls in it"));
      }
      out.push_back(e);
      continue;
    }
    const Field& n = incoming.field(static_cast<size_t>(i));
    Field merged = e;
    merged.nullable = e.nullable || n.nullable;
    if (n.type != e.type) {
      const bool widen_int = e.type == DataType::kInt32 && n.type == DataType::kInt64;
      const bool widen_float = e.type == DataType::kFloat && n.type == DataType::kDouble;
      const bool narrower_int = e.type == DataType::kInt64 && n.type == DataType::kInt32;
      const bool narrower_float = e.type == DataType::kDouble && n.type == DataType::kFloat;
      if (widen_int || widen_float) {
        merged.type = n.type;
      } else if (!narrower_int && !narrower_float) {
        return absl::FailedPreconditionError(
            StrCat("column '", e.name, "' is ", DataTypeName(e.type), " in the table but ",
                   DataTypeName(n.type), " in the new data (only int32→int64 and "
                   "float→double widen)"));
      }
    }
    if (e.nullable != merged.nullable && !e.nullable) {
      return absl::FailedPreconditionError(
          StrCat("column '", e.name, "' does not allow nulls in the table, but the new data does"));
    }
    out.push_back(merged);
  }
  for (const Field& n : incoming.fields()) {
    if (existing.Find(n.name) >= 0) continue;
    Field added = n;
    added.nullable = true;  // older rows have no value for it
    out.push_back(added);
  }
  return Schema(std::move(out));
}

struct TableWriter::OpenFile {
  std::string name;
  std::unique_ptr<parquet::ParquetWriter> writer;
};

TableWriter::TableWriter(std::string dir, Schema schema, TableWriteOptions options, Clock& clock)
    : dir_(std::move(dir)), schema_(std::move(schema)), options_(std::move(options)), clock_(clock) {}

TableWriter::~TableWriter() {
  if (!done_) Abort();
}

absl::StatusOr<std::unique_ptr<TableWriter>> TableWriter::Open(std::string dir, Schema schema,
                                                               TableWriteOptions options,
                                                               Clock& clock) {
  if (schema.size() == 0) return absl::InvalidArgumentError("a table needs at least one column");
  LEPTON_RETURN_IF_ERROR(MakeDirs(dir));
  return std::unique_ptr<TableWriter>(
      new TableWriter(std::move(dir), std::move(schema), std::move(options), clock));
}

absl::Status TableWriter::RollFile() {
  LEPTON_RETURN_IF_ERROR(CloseFile());
  auto f = std::make_unique<OpenFile>();
  f->name = StrCat("part-", HexEncode(RandomBytes(16)), ".zstd.parquet");
  if (options_.data_key) {
    f->name += crypto::kEncryptedSuffix;
    LEPTON_ASSIGN_OR_RETURN(auto sink,
                            crypto::OpenEncryptedFile(dir_ + "/" + f->name, options_.data_key));
    LEPTON_ASSIGN_OR_RETURN(f->writer, parquet::ParquetWriter::Open(
                                           std::move(sink), dir_ + "/" + f->name, schema_, {}));
  } else {
    LEPTON_ASSIGN_OR_RETURN(f->writer,
                            parquet::ParquetWriter::Open(dir_ + "/" + f->name, schema_, {}));
  }
  current_ = std::move(f);
  return absl::OkStatus();
}

absl::Status TableWriter::CloseFile() {
  if (!current_) return absl::OkStatus();
  std::unique_ptr<OpenFile> f = std::move(current_);
  LEPTON_RETURN_IF_ERROR(f->writer->Close());
  const std::string path = dir_ + "/" + f->name;
  LEPTON_ASSIGN_OR_RETURN(auto reader, OpenDataFile(dir_, f->name, options_.data_key.get(),
                                                    options_.table_name));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return absl::InternalError(StrCat("stat ", path));
  delta::AddFile add;
  add.path = f->name;
  add.size_bytes = st.st_size;
  add.modification_time_ms = absl::ToUnixMillis(clock_.Now());
  add.num_records = reader->num_rows();
  // Min/max statistics would put values of an encrypted file into the (plaintext) Delta log.
  if (!options_.data_key) add.stats = FileStats(*reader);
  written_.push_back(std::move(add));
  return absl::OkStatus();
}

absl::Status TableWriter::Write(RecordBatch batch) {
  if (done_) return absl::FailedPreconditionError("table write already committed or aborted");
  if (!(batch.schema() == schema_)) {
    return absl::InvalidArgumentError("batch schema differs from the writer's schema");
  }
  int64_t offset = 0;
  while (offset < batch.num_rows()) {
    if (!current_ || current_->writer->num_rows() >= options_.max_rows_per_file) {
      LEPTON_RETURN_IF_ERROR(RollFile());
    }
    const int64_t room = options_.max_rows_per_file - current_->writer->num_rows();
    const int64_t n = std::min(room, batch.num_rows() - offset);
    if (offset == 0 && n == batch.num_rows()) {
      rows_ += n;
      return current_->writer->Write(std::move(batch));
    } else {
      LEPTON_RETURN_IF_ERROR(current_->writer->Write(batch.Slice(offset, n)));
    }
    offset += n;
    rows_ += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<WriteResult> TableWriter::Commit() {
  if (done_) return absl::FailedPreconditionError("table write already committed or aborted");
  if (written_.empty() && !current_) LEPTON_RETURN_IF_ERROR(RollFile());  // an empty file keeps the schema
  LEPTON_RETURN_IF_ERROR(CloseFile());
  delta::DeltaLog log(dir_, clock_);
  WriteResult result;
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto latest = log.LatestVersion();
    if (!latest.ok() && !absl::IsNotFound(latest.status())) return latest.status();
    delta::CommitRequest req;
    req.operation = options_.operation;
    req.operation_parameters = options_.operation_parameters;
    req.user = options_.user;
    req.add = written_;
    int64_t version = 0;
    if (latest.ok()) {
      version = *latest + 1;
      LEPTON_ASSIGN_OR_RETURN(delta::Snapshot prev, log.SnapshotAt(*latest));
      if (options_.mode == WriteMode::kOverwrite) {
        for (const delta::AddFile& f : prev.files) req.remove.push_back(f.path);
        if (!(prev.metadata.schema == schema_)) {
          req.metadata = prev.metadata;
          req.metadata->schema = schema_;
        }
      } else {
        LEPTON_ASSIGN_OR_RETURN(Schema merged, MergeSchemas(prev.metadata.schema, schema_));
        if (!(merged == prev.metadata.schema)) {
          req.metadata = prev.metadata;
          req.metadata->schema = merged;
        }
      }
    } else {
      delta::TableMetadata m;
      m.name = options_.table_name;
      m.schema = schema_;
      req.metadata = m;
    }
    auto committed = log.CommitVersion(version, req);
    if (absl::IsAlreadyExists(committed.status())) continue;  // lost a race: re-read and retry
    LEPTON_RETURN_IF_ERROR(committed.status());
    done_ = true;
    result.version = version;
    result.rows_written = rows_;
    result.files_written = static_cast<int64_t>(written_.size());
    for (const delta::AddFile& f : written_) result.bytes_written += f.size_bytes;
    LEPTON_ASSIGN_OR_RETURN(result.snapshot, log.SnapshotAt(version));
    return result;
  }
  return absl::AbortedError(StrCat("write to ", dir_, " lost 50 commit races; try again"));
}

void TableWriter::Abort() {
  done_ = true;
  if (current_) {
    current_->writer->Close().IgnoreError();
    ::unlink((dir_ + "/" + current_->name).c_str());
    current_.reset();
  }
  for (const delta::AddFile& f : written_) ::unlink((dir_ + "/" + f.path).c_str());
  written_.clear();
}

absl::StatusOr<ScanStats> Scan(const std::string& dir, const delta::Snapshot& snapshot,
                               const ScanOptions& options,
                               const std::function<absl::Status(const RecordBatch&)>& emit) {
  const Schema& schema = snapshot.metadata.schema;
  std::vector<int> projection;
  if (options.columns.empty()) {
    for (size_t i = 0; i < schema.size(); ++i) projection.push_back(static_cast<int>(i));
  } else {
    for (const std::string& name : options.columns) {
      const int i = schema.Find(name);
      if (i < 0) return absl::InvalidArgumentError(StrCat("unknown column '", name, "'"));
      projection.push_back(i);
    }
  }
  std::vector<BoundPredicate> predicates;
  for (const Predicate& p : options.predicates) {
    BoundPredicate b;
    b.column = schema.Find(p.column);
    if (b.column < 0) return absl::InvalidArgumentError(StrCat("unknown column '", p.column, "'"));
    b.op = p.op;
    const size_t want = p.op == CompareOp::kBetween ? 2
                        : (p.op == CompareOp::kIsNull || p.op == CompareOp::kIsNotNull) ? 0
                                                                                         : 1;
    if (p.op == CompareOp::kIn ? p.values.empty() : p.values.size() != want) {
      return absl::InvalidArgumentError(
          StrCat("predicate on '", p.column, "': wrong number of values (", p.values.size(), ")"));
    }
    const DataType t = schema.field(static_cast<size_t>(b.column)).type;
    for (const Json& v : p.values) {
      LEPTON_ASSIGN_OR_RETURN(Scalar s, ToScalar(v, t, p.column));
      b.values.push_back(std::move(s));
    }
    predicates.push_back(std::move(b));
  }
  std::vector<Field> out_fields;
  for (int i : projection) out_fields.push_back(schema.field(static_cast<size_t>(i)));
  const Schema out_schema(out_fields);

  ScanStats stats;
  RecordBatch pending(out_schema);
  auto flush = [&]() -> absl::Status {
    if (pending.num_rows() == 0) return absl::OkStatus();
    LEPTON_RETURN_IF_ERROR(emit(pending));
    pending = RecordBatch(out_schema);
    return absl::OkStatus();
  };
  const auto limit_reached = [&] { return options.limit >= 0 && stats.rows_emitted >= options.limit; };
  for (const delta::AddFile& file : snapshot.files) {
    if (limit_reached()) break;
    LEPTON_ASSIGN_OR_RETURN(auto reader, OpenDataFile(dir, file.path, options.data_key.get(),
                                                      snapshot.metadata.name));
    ++stats.files;
    // Table column index → file column index (or -1 when the file predates the column).
    std::vector<int> file_index(schema.size(), -1);
    for (size_t c = 0; c < schema.size(); ++c) file_index[c] = reader->schema().Find(schema.field(c).name);
    std::vector<int> needed;  // table columns to read: projection ∪ predicate columns
    for (int i : projection) needed.push_back(i);
    for (const BoundPredicate& p : predicates) needed.push_back(p.column);
    std::sort(needed.begin(), needed.end());
    needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
    std::vector<int> to_read;
    for (int c : needed) {
      if (file_index[static_cast<size_t>(c)] >= 0) to_read.push_back(file_index[static_cast<size_t>(c)]);
    }
    for (int g = 0; g < reader->num_row_groups() && !limit_reached(); ++g) {
      ++stats.row_groups;
      const int64_t rows = reader->row_group_num_rows(g);
      const auto group_stats = reader->RowGroupStatistics(g);
      bool skip = false;
      for (const BoundPredicate& p : predicates) {
        const int fi = file_index[static_cast<size_t>(p.column)];
        if (fi < 0) {
          // The column is all null in this file.
          parquet::ColumnStatistics all_null;
          all_null.null_count = rows;
          if (!MayMatch(p, all_null, rows)) skip = true;
        } else if (!MayMatch(p, group_stats[static_cast<size_t>(fi)], rows)) {
          skip = true;
        }
      }
      if (skip) {
        ++stats.row_groups_skipped;
        continue;
      }
      LEPTON_ASSIGN_OR_RETURN(RecordBatch raw, reader->ReadRowGroup(g, to_read));
      stats.rows_read += rows;
      // Columns in table types, indexed by table column.
      std::vector<std::optional<Column>> cols(schema.size());
      for (int c : needed) {
        const int fi = file_index[static_cast<size_t>(c)];
        const Column* from = nullptr;
        if (fi >= 0) {
          const auto pos = std::find(to_read.begin(), to_read.end(), fi) - to_read.begin();
          from = &raw.column(static_cast<size_t>(pos));
        }
        cols[static_cast<size_t>(c)] = Conform(from, schema.field(static_cast<size_t>(c)).type, rows);
      }
      // The matching rows as a selection vector, then one gather per column (per-row appends
      // were most of a scan's time).
      const bool all = predicates.empty();
      std::vector<uint32_t> selected;
      if (!all) {
        selected.reserve(static_cast<size_t>(rows));
        for (int64_t r = 0; r < rows; ++r) {
          bool match = true;
          for (const BoundPredicate& p : predicates) {
            if (!RowMatches(p, *cols[static_cast<size_t>(p.column)], r)) {
              match = false;
              break;
            }
          }
          if (match) selected.push_back(static_cast<uint32_t>(r));
        }
      }
      const int64_t matched = all ? rows : static_cast<int64_t>(selected.size());
      int64_t next = 0;
      while (next < matched && !limit_reached()) {
        int64_t take = std::min(matched - next, options.batch_rows - pending.num_rows());
        if (options.limit >= 0) take = std::min(take, options.limit - stats.rows_emitted);
        for (size_t k = 0; k < projection.size(); ++k) {
          const Column& from = *cols[static_cast<size_t>(projection[k])];
          if (all) {
            pending.mutable_column(k).AppendRange(from, next, take);
          } else {
            pending.mutable_column(k).AppendTake(
                from, std::span<const uint32_t>(selected).subspan(static_cast<size_t>(next),
                                                                  static_cast<size_t>(take)));
          }
        }
        stats.rows_emitted += take;
        next += take;
        if (pending.num_rows() >= options.batch_rows) LEPTON_RETURN_IF_ERROR(flush());
      }
    }
  }
  LEPTON_RETURN_IF_ERROR(flush());
  return stats;
}

absl::StatusOr<VacuumResult> Vacuum(const std::string& dir, absl::Duration retention, Clock& clock,
                                    bool dry_run) {
  if (retention < absl::ZeroDuration()) return absl::InvalidArgumentError("retention must be >= 0");
  delta::DeltaLog log(dir, clock);
  LEPTON_ASSIGN_OR_RETURN(std::vector<delta::CommitInfo> history, log.History());
  const absl::Time now = clock.Now();
  const int64_t cutoff_ms = absl::ToUnixMillis(now - retention);
  std::set<std::string> keep;
  for (size_t i = 0; i < history.size(); ++i) {
    const bool recent = history[i].timestamp_ms >= cutoff_ms;
    const bool in_effect_at_cutoff =
        history[i].timestamp_ms < cutoff_ms &&
        (i + 1 == history.size() || history[i + 1].timestamp_ms >= cutoff_ms);
    if (!recent && !in_effect_at_cutoff) continue;
    LEPTON_ASSIGN_OR_RETURN(delta::Snapshot snap, log.SnapshotAt(history[i].version));
    for (const delta::AddFile& f : snap.files) keep.insert(f.path);
  }
  VacuumResult result;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    // Data files, and the temporary files of data files whose writer died before renaming
    // them ("part-….parquet.tmp-<pid>-<n>"); nothing else in the folder is ours to delete.
    const bool data_file = name.ends_with(".parquet") || crypto::IsEncryptedDataFile(name);
    const bool write_leftover = name.starts_with("part-") && name.find(".tmp-") != std::string::npos;
    if (!entry.is_regular_file() || name.starts_with("_") || name.starts_with(".") ||
        !(data_file || write_leftover) || keep.contains(name)) {
      continue;
    }
    struct stat st;
    if (::stat(entry.path().c_str(), &st) != 0) continue;
    const int64_t mtime_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (mtime_ms >= cutoff_ms) continue;  // recent (or from a clock ahead of ours): keep
    if (!dry_run && ::unlink(entry.path().c_str()) != 0) {
      return absl::InternalError(StrCat("deleting ", entry.path().string(), ": ", std::strerror(errno)));
    }
    result.deleted.push_back(name);
    result.bytes_deleted += st.st_size;
  }
  if (ec) return absl::InternalError(StrCat("listing ", dir, ": ", ec.message()));
  std::sort(result.deleted.begin(), result.deleted.end());
  return result;
}

}  // namespace lepton::lake
