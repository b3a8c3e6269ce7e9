#pragma once
// Streaming CSV reader: turns a CSV file or stream into typed `RecordBatch`es of at most
// `batch_rows` rows, with bounded memory (a fixed-size read buffer, the inference sample and one
// batch; never the whole file).
//
// Pipeline, on `Open`/`Create`:
//   1. dialect: the parts not set in the options are sniffed from the first 64 KiB (sniff.h);
//   2. header: with a header row its fields name the columns; without one the columns are
//      "column_1", "column_2", … (`column_names` overrides both). Empty names become
//      "column_<i>", and repeated names get "_2", "_3", … appended;
//   3. inference: the first `infer_rows` records (default 10,000) are buffered and each column
//      gets the narrowest type all its non-null values parse as (infer.h); malformed and ragged
//      sample records are ignored for inference (they still go through step 4);
//   4. override: fields of `schema` replace the inferred type and nullability of the columns they
//      name (InvalidArgument for a name the file does not have);
//   5. conversion, batch by batch, in `ReadNext`.
//
// Nulls: an UNQUOTED field equal to one of `null_tokens` is null (default "", "NA", "N/A",
// "NULL", "null"). A quoted field is never null: `""` is the empty string and `"NA"` the text NA.
//
// Bad rows: a record that is malformed (see csv_tokenizer.h), has a different number of fields
// than there are columns, holds a value that does not parse as its column's type, or a null in a
// non-nullable column. `BadRowPolicy` decides: fail (InvalidArgument, e.g.
// `customers.csv:1043: column "age": expected int64, got "abc"`; the line is the record's first
// physical line), skip (drop and count) or quarantine (drop, count and keep it as a `BadRow`).
// Types are inferred from the sample only, so a value after the sample that does not fit its
// column (an int64 column meeting "3.5", an int32 column meeting 3000000000, a date column
// meeting "soon") is a bad row too; pass a `schema` override, or a larger `infer_rows`, when
// that matters. Integers that overflow int64 infer double within the sample and are bad rows for
// int64 columns after it.
//
// Thread-compatible: a reader is used by one thread at a time.

#include <array>
#include <cstdint>
#include <deque>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/lake/column.h"
#include "lepton/lake/ingest/csv_tokenizer.h"

namespace lepton::lake::ingest {

enum class BadRowPolicy { kFail, kSkip, kQuarantine };

// A record dropped under `BadRowPolicy::kQuarantine`, for the caller's side table.
struct BadRow {
  int64_t line = 0;     // first physical line of the record (1-based)
  std::string raw;      // the record's text as in the file, without its line terminator
  std::string reason;   // e.g. `column "age": expected int64, got "abc"`
  bool operator==(const BadRow&) const = default;
};

// What every source does with a bad row: kFail → InvalidArgument "<where>: <reason>" (where is
// e.g. "file.csv:12" or "query: row 7"); kSkip → counted in `*bad_rows`; kQuarantine → counted
// and `row` appended to `*quarantined`. OK unless the policy is kFail.
absl::Status ApplyBadRowPolicy(BadRowPolicy policy, std::string_view where, BadRow row,
                               int64_t* bad_rows, std::vector<BadRow>* quarantined);

struct CsvReadOptions {
  // Dialect; each unset part is sniffed.
  std::optional<char> delimiter;
  std::optional<char> quote;
  std::optional<bool> has_header;
  char escape = '\0';  // see `CsvDialect::escape`
  // Column names to use instead of the header's or the generated ones; when set, its size must
  // equal the number of columns (InvalidArgument otherwise).
  std::vector<std::string> column_names;
  std::vector<std::string> null_tokens = {"", "NA", "N/A", "NULL", "null"};
  // Type overrides by column name (for example from `Schema::FromJson`).
  std::optional<Schema> schema;
  // Inference sample: at most this many records and about this many bytes (at least 1 record).
  int64_t infer_rows = 10000;
  size_t infer_max_bytes = 64 << 20;
  int64_t batch_rows = 64 * 1024;
  BadRowPolicy bad_rows = BadRowPolicy::kFail;
  // Passed to the tokenizer (bounded memory; tiny values exercise chunk boundaries in tests).
  size_t buffer_bytes = 1 << 20;
  size_t max_record_bytes = 64 << 20;
  // Name used in error messages; defaults to the path given to `Open`, or "<input>".
  std::string source_name;
};

// Reads one CSV input. Not thread-safe.
class CsvReader {
 public:
  // Opens the file at `path` and runs steps 1-4 above (reading the header and the inference
  // sample). NotFound when the file does not exist, PermissionDenied when it cannot be opened;
  // InvalidArgument for an override naming an unknown column, `column_names` of the wrong size,
  // or a record longer than `max_record_bytes`; DataLoss when reading fails. Bad rows in the
  // sample are not errors here: they meet the bad-row policy in `ReadNext`, in input order.
  static absl::StatusOr<std::unique_ptr<CsvReader>> Open(const std::string& path,
                                                         CsvReadOptions options = {});
  // As `Open`, over `*in`, which must outlive the reader. `in` need not be seekable.
  static absl::StatusOr<std::unique_ptr<CsvReader>> Create(std::istream* in,
                                                           CsvReadOptions options = {});

  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // The schema every batch has.
  const Schema& schema() const { return schema_; }
  // The dialect used (given or sniffed).
  const CsvDialect& dialect() const { return dialect_; }

  // The next batch of 1 to `batch_rows` rows, or nullopt at the end of the input. Errors:
  // InvalidArgument "<source>:<line>: <reason>" for the first bad row under kFail, or for a
  // record longer than `max_record_bytes`; DataLoss when reading fails. After an error the
  // reader must not be used again.
  absl::StatusOr<std::optional<RecordBatch>> ReadNext();

  // The rows quarantined since the last call (only under kQuarantine), in input order. Call it
  // after each `ReadNext` to keep memory bounded.
  std::vector<BadRow> TakeQuarantined();

  // Rows returned in batches so far.
  int64_t rows_read() const { return rows_read_; }
  // Rows skipped or quarantined so far.
  int64_t bad_rows() const { return bad_rows_; }

 private:
  CsvReader() = default;
  absl::Status Init(std::istream* in, CsvReadOptions options);
  bool IsNull(const CsvRecord& record, size_t i) const;
  // Appends `record` to `batch`, or applies the bad-row policy.
  absl::Status Convert(const CsvRecord& record, RecordBatch* batch);

  struct Staged {
    bool null = false;
    bool b = false;
    int32_t i32 = 0;
    int64_t i64 = 0;
    float f = 0;
    double d = 0;
    std::string_view s;  // points into the record being converted
  };

  CsvReadOptions options_;
  std::unique_ptr<std::ifstream> file_;
  std::unique_ptr<CsvTokenizer> tokenizer_;
  CsvDialect dialect_;
  Schema schema_;
  std::deque<CsvRecord> sample_;
  CsvRecord scratch_;
  std::vector<Staged> staged_;
  size_t max_null_token_size_ = 0;     // longest of `null_tokens`
  bool empty_is_null_ = false;         // "" is one of `null_tokens`
  std::array<bool, 256> null_first_byte_{};  // first bytes of the non-empty `null_tokens`
  std::vector<int64_t> string_bytes_;  // per column: string bytes to reserve in a batch
  std::vector<BadRow> quarantined_;
  int64_t rows_read_ = 0;
  int64_t bad_rows_ = 0;
  bool done_ = false;
};

// A whole input read into memory (convenience for small files and tests).
struct CsvTable {
  Schema schema;
  CsvDialect dialect;
  std::vector<RecordBatch> batches;
  std::vector<BadRow> quarantined;
  int64_t num_rows = 0;
  int64_t bad_rows = 0;
};

// Reads every batch of the file at `path` / of `text`. Errors as `Open`/`Create` and `ReadNext`.
absl::StatusOr<CsvTable> ReadCsvFile(const std::string& path, CsvReadOptions options = {});
absl::StatusOr<CsvTable> ReadCsvString(std::string_view text, CsvReadOptions options = {});

}  // namespace lepton::lake::ingest
