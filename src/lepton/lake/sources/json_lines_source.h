#pragma once
// Streaming reader of JSON lines (one JSON object per line, "NDJSON") into typed `RecordBatch`es
// of at most `batch_rows` rows, with bounded memory (a fixed-size read buffer, the inference
// sample and one batch; never the whole input).
//
// Schema, on `Open`/`Create`:
//   1. the first `infer_rows` non-blank lines (and at most about `infer_max_bytes`) are buffered;
//      the columns are the union of their objects' keys, in first-seen order;
//   2. each column's type comes from the JSON values seen for it (nulls ignored):
//        only true/false                        → bool
//        only integers                          → int32 if all fit, else int64
//        integers and non-integral numbers      → double (also integers beyond int64)
//        only strings, all ISO dates            → date     (infer.h's `ParseDate`)
//        only strings, all dates or timestamps  → timestamp (infer.h's `ParseTimestamp`)
//        anything else (other strings, mixed kinds, objects, arrays, only nulls) → string;
//      string columns hold strings as they are and any other value as its compact JSON text
//      (`{"a":1}`, `[1,2]`, `true`, `3.5`);
//   3. fields of `schema` replace the inferred type and nullability of the columns they name;
//      override fields naming keys not in the sample are appended as new columns (they may
//      appear after the sample).
// Lines that are not valid JSON objects are ignored for inference (they meet the bad-row policy
// in `ReadNext`, in input order).
//
// Conversion: a missing key, or JSON null, is a null value. Keys not in the schema are ignored.
// Besides values of its own kind, a column accepts strings that infer.h's strict parsers read as
// its type (`"42"` in an int64 column, `"2024-01-31"` in a date column), and integer columns
// accept numbers with an exact integral value (`7.0`). Blank lines (only whitespace) are skipped;
// a UTF-8 byte order mark on the first line and a trailing '\r' (CRLF files) are dropped.
//
// Bad rows: a line that is not valid JSON, is not an object, holds a value a column cannot take
// (`"abc"` for int64, 3000000000 for int32, an object for a date), or a null in a non-nullable
// column. `BadRowPolicy` decides as in the CSV reader: fail (InvalidArgument
// `events.jsonl:17: key "age": expected int64, got "abc"`), skip (drop and count) or quarantine
// (drop, count and keep it as an `ingest::BadRow` whose `raw` is the line).
//
// Thread-compatible: a source is used by one thread at a time.

#include <cstdint>
#include <deque>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"
#include "lepton/lake/ingest/csv_reader.h"
#include "lepton/lake/sources/batch_source.h"

namespace lepton::lake::sources {

struct JsonLinesOptions {
  // Type overrides by column name (see step 3 above).
  std::optional<Schema> schema;
  // Inference sample: at most this many lines and about this many bytes (at least 1 line).
  int64_t infer_rows = 10000;
  size_t infer_max_bytes = 64 << 20;
  int64_t batch_rows = 64 * 1024;
  ingest::BadRowPolicy bad_rows = ingest::BadRowPolicy::kFail;
  // Size of the read buffer, and the longest line accepted (a longer one is an error under every
  // policy, since it cannot be buffered).
  size_t buffer_bytes = 1 << 20;
  size_t max_line_bytes = 64 << 20;
  // Name used in error messages and `description()`; defaults to the path given to `Open`, or
  // "<input>".
  std::string source_name;
};

class JsonLinesSource : public BatchSource {
 public:
  // Opens the file at `path` and reads the inference sample. NotFound when the file does not
  // exist, PermissionDenied when it cannot be opened; InvalidArgument for bad options or a line
  // longer than `max_line_bytes`; DataLoss when reading fails.
  static absl::StatusOr<std::unique_ptr<JsonLinesSource>> Open(const std::string& path,
                                                               JsonLinesOptions options = {});
  // As `Open`, over `*in`, which must outlive the source. `in` need not be seekable.
  static absl::StatusOr<std::unique_ptr<JsonLinesSource>> Create(std::istream* in,
                                                                 JsonLinesOptions options = {});

  JsonLinesSource(const JsonLinesSource&) = delete;
  JsonLinesSource& operator=(const JsonLinesSource&) = delete;

  const Schema& schema() const override { return schema_; }
  // Errors: InvalidArgument "<source>:<line>: <reason>" for the first bad row under kFail or a
  // line longer than `max_line_bytes`; DataLoss when reading fails.
  absl::StatusOr<std::optional<RecordBatch>> ReadNext() override;
  std::vector<ingest::BadRow> TakeQuarantined() override;
  int64_t rows_read() const override { return rows_read_; }
  int64_t bad_rows() const override { return bad_rows_; }
  // "jsonl: <source name>".
  std::string description() const override;

 private:
  struct Line {
    int64_t number = 0;
    std::string text;
  };

  JsonLinesSource() = default;
  absl::Status Init(std::istream* in, JsonLinesOptions options);
  // Reads the next non-blank line into `*line`; false at the end of the input.
  absl::StatusOr<bool> NextLine(Line* line);
  // Appends the row of `line` to `batch`, or applies the bad-row policy.
  absl::Status Convert(const Line& line, RecordBatch* batch);

  JsonLinesOptions options_;
  std::unique_ptr<std::ifstream> file_;
  std::istream* in_ = nullptr;
  std::string buffer_;
  size_t buffer_pos_ = 0;
  bool eof_ = false;
  int64_t line_number_ = 0;
  Schema schema_;
  std::deque<Line> sample_;
  std::unordered_map<std::string, size_t> index_;  // column name -> position
  std::vector<const nlohmann::ordered_json*> staged_;
  std::vector<ingest::BadRow> quarantined_;
  int64_t rows_read_ = 0;
  int64_t bad_rows_ = 0;
  bool done_ = false;
};

}  // namespace lepton::lake::sources
