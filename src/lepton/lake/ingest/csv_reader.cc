#include "lepton/lake/ingest/csv_reader.h"

#include "lepton/lake/ingest/input.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>
#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/ingest/infer.h"
#include "lepton/lake/ingest/sniff.h"

namespace lepton::lake::ingest {
namespace {

// Values quoted in error messages are cut to this many bytes.
constexpr size_t kMaxQuotedValueBytes = 64;

std::string QuoteValue(std::string_view v) {
  if (v.size() <= kMaxQuotedValueBytes) return StrCat("\"", v, "\"");
  return StrCat("\"", v.substr(0, kMaxQuotedValueBytes), "\"...");
}


}  // namespace

absl::Status ApplyBadRowPolicy(BadRowPolicy policy, std::string_view where, BadRow row,
                               int64_t* bad_rows, std::vector<BadRow>* quarantined) {
  switch (policy) {
    case BadRowPolicy::kFail:
      return absl::InvalidArgumentError(StrCat(where, ": ", row.reason));
    case BadRowPolicy::kQuarantine:
      quarantined->push_back(std::move(row));
      [[fallthrough]];
    case BadRowPolicy::kSkip:
      ++*bad_rows;
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path,
                                                           CsvReadOptions options) {
  LEPTON_ASSIGN_OR_RETURN(auto file, OpenInputFile(path));
  if (options.source_name.empty()) options.source_name = path;
  std::unique_ptr<CsvReader> reader(new CsvReader());
  reader->file_ = std::move(file);
  LEPTON_RETURN_IF_ERROR(reader->Init(reader->file_.get(), std::move(options)));
  return reader;
}

absl::StatusOr<std::unique_ptr<CsvReader>> CsvReader::Create(std::istream* in,
                                                             CsvReadOptions options) {
  if (options.source_name.empty()) options.source_name = "<input>";
  std::unique_ptr<CsvReader> reader(new CsvReader());
  LEPTON_RETURN_IF_ERROR(reader->Init(in, std::move(options)));
  return reader;
}

absl::Status CsvReader::Init(std::istream* in, CsvReadOptions options) {
  options_ = std::move(options);
  for (const std::string& token : options_.null_tokens) {
    max_null_token_size_ = std::max(max_null_token_size_, token.size());
    if (token.empty()) empty_is_null_ = true;
    else null_first_byte_[static_cast<unsigned char>(token[0])] = true;
  }
  if (options_.batch_rows < 1) options_.batch_rows = 1;

  // 1. Dialect. The sniffed bytes go back to the tokenizer as its prefix, so non-seekable
  // streams work.
  std::string prefix;
  if (!options_.delimiter || !options_.quote || !options_.has_header) {
    prefix.resize(kSniffBytes);
    in->read(prefix.data(), static_cast<std::streamsize>(prefix.size()));
    if (in->bad()) {
      return absl::DataLossError(StrCat(options_.source_name, ": failed to read the input"));
    }
    prefix.resize(static_cast<size_t>(in->gcount()));
  }
  const bool complete = !in->good();
  dialect_.quote = options_.quote ? *options_.quote : SniffQuote(prefix);
  dialect_.delimiter = options_.delimiter ? *options_.delimiter
                                          : SniffDelimiter(prefix, dialect_.quote, complete);
  dialect_.has_header = options_.has_header
                            ? *options_.has_header
                            : SniffHeader(SniffRecords(prefix, dialect_, complete));
  dialect_.escape = options_.escape;
  CsvTokenizerOptions tokenizer_options;
  tokenizer_options.buffer_bytes = options_.buffer_bytes;
  tokenizer_options.max_record_bytes = options_.max_record_bytes;
  tokenizer_options.source_name = options_.source_name;
  tokenizer_ = std::make_unique<CsvTokenizer>(dialect_, std::move(prefix), in, tokenizer_options);

  // 2. Header.
  std::vector<std::string> names;
  bool have_width = false;
  if (dialect_.has_header) {
    LEPTON_ASSIGN_OR_RETURN(bool got, tokenizer_->Next(&scratch_));
    if (got) {
      for (size_t i = 0; i < scratch_.size(); ++i) names.emplace_back(scratch_.field(i));
      have_width = true;
    } else {
      done_ = true;
    }
  }

  // 3. Inference sample.
  size_t sample_bytes = 0;
  while (!done_ && static_cast<int64_t>(sample_.size()) < std::max<int64_t>(options_.infer_rows, 1) &&
         (sample_.empty() || sample_bytes < options_.infer_max_bytes)) {
    LEPTON_ASSIGN_OR_RETURN(bool got, tokenizer_->Next(&scratch_));
    if (!got) {
      done_ = true;
      break;
    }
    sample_bytes += scratch_.memory_bytes();
    sample_.push_back(scratch_);
  }
  if (!options_.column_names.empty()) {
    if (have_width && options_.column_names.size() != names.size()) {
      return absl::InvalidArgumentError(
          StrCat(options_.source_name, ": ", options_.column_names.size(),
                 " column names given for ", names.size(), " columns"));
    }
    names = options_.column_names;
  } else if (!have_width && !sample_.empty()) {
    for (size_t i = 0; i < sample_.front().size(); ++i) names.emplace_back();
  }
  names = UniqueColumnNames(std::move(names));

  TypeInferrer inferrer(names.size());
  for (const CsvRecord& r : sample_) {
    if (!r.error().empty() || r.size() != names.size()) continue;
    for (size_t i = 0; i < r.size(); ++i) {
      if (!IsNull(r, i)) inferrer.Observe(i, r.field(i));
    }
  }
  std::vector<Field> fields;
  for (size_t i = 0; i < names.size(); ++i) {
    fields.push_back(Field{names[i], inferrer.Result(i), /*nullable=*/true});
  }
  schema_ = Schema(std::move(fields));

  // 4. Override.
  if (options_.schema) {
    absl::StatusOr<Schema> merged = ApplySchemaOverride(schema_, *options_.schema);
    if (!merged.ok()) return Annotate(merged.status(), options_.source_name);
    schema_ = *std::move(merged);
  }
  staged_.resize(schema_.size());
  return absl::OkStatus();
}

bool CsvReader::IsNull(const CsvRecord& record, size_t i) const {
  if (record.quoted(i)) return false;
  const std::string_view v = record.field(i);
  // Most values: no compare at all (too long, or a first byte no token starts with).
  if (v.empty()) return empty_is_null_;
  if (v.size() > max_null_token_size_ || !null_first_byte_[static_cast<unsigned char>(v[0])]) {
    return false;
  }
  for (const std::string& token : options_.null_tokens) {
    if (v == token) return true;
  }
  return false;
}

absl::Status CsvReader::Convert(const CsvRecord& record, RecordBatch* batch) {
  std::string reason;
  const size_t n = schema_.size();
  if (!record.error().empty()) {
    reason = std::string(record.error());
  } else if (record.size() != n) {
    reason = StrCat("expected ", n, " fields, got ", record.size());
  } else {
    for (size_t i = 0; i < n && reason.empty(); ++i) {
      const Field& field = schema_.field(i);
      Staged& s = staged_[i];
      s.null = IsNull(record, i);
      const std::string_view v = record.field(i);
      if (s.null) {
        if (!field.nullable) {
          reason = StrCat("column \"", field.name, "\": null in a non-nullable column");
        }
        continue;
      }
      bool ok = true;
      switch (field.type) {
        case DataType::kBool: ok = ParseBool(v, &s.b); break;
        case DataType::kInt32: ok = ParseInt32(v, &s.i32); break;
        case DataType::kDate: ok = ParseDate(v, &s.i32); break;
        case DataType::kInt64: ok = ParseInt64(v, &s.i64); break;
        case DataType::kTimestamp: ok = ParseTimestamp(v, &s.i64); break;
        case DataType::kFloat: ok = ParseFloat(v, &s.f); break;
        case DataType::kDouble: ok = ParseDouble(v, &s.d); break;
        case DataType::kString: s.s = v; break;
      }
      if (!ok) {
        reason = StrCat("column \"", field.name, "\": expected ", DataTypeName(field.type),
                        ", got ", QuoteValue(v));
      }
    }
  }
  if (!reason.empty()) {
    return ApplyBadRowPolicy(options_.bad_rows, StrCat(options_.source_name, ":", record.line()),
                             BadRow{record.line(), std::string(record.raw()), std::move(reason)},
                             &bad_rows_, &quarantined_);
  }
  for (size_t i = 0; i < n; ++i) {
    Column& column = batch->mutable_column(i);
    AppendStaged(staged_[i], column.type(), &column);
  }
  ++rows_read_;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<RecordBatch>> CsvReader::ReadNext() {
  RecordBatch batch(schema_);
  // Size the columns once (string bytes as in the previous batch) instead of growing them value
  // by value.
  int64_t expected_rows = std::min<int64_t>(options_.batch_rows, 64 * 1024);
  if (done_) expected_rows = std::min<int64_t>(expected_rows, static_cast<int64_t>(sample_.size()));
  string_bytes_.resize(batch.num_columns());
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    batch.mutable_column(i).Reserve(expected_rows, string_bytes_[i]);
  }
  while (batch.num_columns() > 0 && batch.num_rows() < options_.batch_rows) {
    if (!sample_.empty()) {
      scratch_ = std::move(sample_.front());
      sample_.pop_front();
    } else if (done_) {
      break;
    } else {
      LEPTON_ASSIGN_OR_RETURN(bool got, tokenizer_->Next(&scratch_));
      if (!got) {
        done_ = true;
        break;
      }
    }
    LEPTON_RETURN_IF_ERROR(Convert(scratch_, &batch));
  }
  if (batch.num_rows() == 0) return std::nullopt;
  for (size_t i = 0; i < batch.num_columns(); ++i) {
    const Column& c = batch.column(i);
    if (c.type() == DataType::kString && c.size() > 0) {
      // Scaled to a full batch, plus slack, so the next batch rarely regrows.
      string_bytes_[i] = c.offsets().back() * expected_rows / c.size() * 9 / 8;
    }
  }
  return std::optional<RecordBatch>(std::move(batch));
}

std::vector<BadRow> CsvReader::TakeQuarantined() { return std::exchange(quarantined_, {}); }

namespace {

absl::StatusOr<CsvTable> ReadAll(CsvReader& reader) {
  CsvTable table;
  table.schema = reader.schema();
  table.dialect = reader.dialect();
  while (true) {
    LEPTON_ASSIGN_OR_RETURN(std::optional<RecordBatch> batch, reader.ReadNext());
    for (BadRow& row : reader.TakeQuarantined()) table.quarantined.push_back(std::move(row));
    if (!batch) break;
    table.batches.push_back(*std::move(batch));
  }
  table.num_rows = reader.rows_read();
  table.bad_rows = reader.bad_rows();
  return table;
}

}  // namespace

absl::StatusOr<CsvTable> ReadCsvFile(const std::string& path, CsvReadOptions options) {
  LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> reader,
                          CsvReader::Open(path, std::move(options)));
  return ReadAll(*reader);
}

absl::StatusOr<CsvTable> ReadCsvString(std::string_view text, CsvReadOptions options) {
  std::istringstream in{std::string(text)};
  LEPTON_ASSIGN_OR_RETURN(std::unique_ptr<CsvReader> reader,
                          CsvReader::Create(&in, std::move(options)));
  return ReadAll(*reader);
}

}  // namespace lepton::lake::ingest
