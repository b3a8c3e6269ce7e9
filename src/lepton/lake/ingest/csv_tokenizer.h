#pragma once
// The lowest layer of CSV ingest: splits a byte stream into records of raw (untyped) fields
// following RFC 4180, reading the input in fixed-size chunks so memory stays bounded no matter
// how large the file is.
//
// Grammar accepted (a superset of RFC 4180):
//   - records end at LF, CRLF or a lone CR outside quotes; the last record may lack a terminator;
//   - fields are separated by `CsvDialect::delimiter`;
//   - a field starting with `CsvDialect::quote` is quoted: it may contain delimiters, quotes
//     written twice ("" -> ") and line breaks (kept verbatim, CRLF included); when
//     `CsvDialect::escape` is set, escape+c inside a quoted field also yields c;
//   - a quote inside an unquoted field is an ordinary character (lenient, like most readers);
//   - characters between a closing quote and the next delimiter are kept but mark the record
//     malformed (`CsvRecord::error()`), as does a quoted field still open at end of input;
//   - completely empty lines (no characters at all) are skipped; a line holding only spaces is a
//     one-field record;
//   - a UTF-8 byte order mark at the very start of the input is dropped.
// Bytes are passed through unchanged (no transcoding, no whitespace trimming).
//
// Thread-compatible: one tokenizer per thread; the input stream must not be shared.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lepton::lake::ingest {

// How a CSV file is written. The defaults are RFC 4180 with a header row.
struct CsvDialect {
  char delimiter = ',';
  // '\0' disables quoting: every quote character is then an ordinary character.
  char quote = '"';
  // '\0' (default): quotes inside quoted fields are escaped by doubling them only. When set
  // (typically '\\'), escape+c inside a quoted field yields c as well.
  char escape = '\0';
  // Whether the first record holds column names.
  bool has_header = true;
  bool operator==(const CsvDialect&) const = default;
};

// One record: its fields (unescaped), whether each was quoted, where it started and its raw
// text. Copyable; the reader keeps a sample of them for type inference.
class CsvRecord {
 public:
  CsvRecord() = default;
  // Copies and moves own their raw text (the tokenizer may point `raw()` into its read buffer,
  // valid only until its next `Next`; a copy or move taken of the record stays valid).
  CsvRecord(const CsvRecord& other) { *this = other; }
  CsvRecord(CsvRecord&& other) noexcept { *this = std::move(other); }
  CsvRecord& operator=(const CsvRecord& other);
  CsvRecord& operator=(CsvRecord&& other) noexcept;

  size_t size() const { return ends_.size(); }
  // Field `i` without quotes and with escapes resolved. Precondition: i < size().
  std::string_view field(size_t i) const {
    const size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(data_).substr(begin, ends_[i] - begin);
  }
  // Whether field `i` was quoted. A quoted field is never a null token: "" is an empty string.
  bool quoted(size_t i) const { return quoted_[i] != 0; }
  // The 1-based physical line on which the record starts.
  int64_t line() const { return line_; }
  // The record's text as it appeared in the input, without its line terminator.
  std::string_view raw() const { return raw_in_buffer_ ? raw_view_ : std::string_view(raw_); }
  // Empty for a well-formed record; otherwise why the record is malformed (for example
  // "unterminated quoted field"). Malformed records are still returned, so callers can apply
  // their bad-row policy and continue.
  std::string_view error() const { return error_; }
  // Approximate heap bytes held.
  size_t memory_bytes() const {
    return data_.capacity() + std::max(raw_.capacity(), raw().size()) + ends_.capacity() * 9;
  }

  void Clear();
  // Appends a field; for building records by hand (tests, sniffing).
  void AddField(std::string_view value, bool quoted);

 private:
  friend class CsvTokenizer;
  std::string data_;
  std::vector<size_t> ends_;
  std::vector<uint8_t> quoted_;
  std::string raw_;
  // When set, the raw text is `raw_view_` (inside the tokenizer's buffer) rather than `raw_`:
  // most records lie within one read chunk, and copying each one's text is wasted work.
  bool raw_in_buffer_ = false;
  std::string_view raw_view_;
  std::string error_;
  int64_t line_ = 0;
};

struct CsvTokenizerOptions {
  // Bytes read from the stream at a time (at least 4 is used).
  size_t buffer_bytes = 1 << 20;
  // A record (raw text) longer than this fails with InvalidArgument instead of growing memory
  // without bound, e.g. when a stray quote swallows the rest of a large file.
  size_t max_record_bytes = 64 << 20;
  // Name used in error messages ("<source>:<line>: …").
  std::string source_name = "<input>";
};

// Splits `prefix` followed by the rest of `*in` into records. `prefix` lets a caller that has
// already read the start of a non-seekable stream (to sniff it) hand those bytes back.
// Not thread-safe.
class CsvTokenizer {
 public:
  // `in` may be null (only `prefix` is read); otherwise it must outlive the tokenizer.
  CsvTokenizer(const CsvDialect& dialect, std::string prefix, std::istream* in,
               CsvTokenizerOptions options = {});

  // Reads the next record into `*record` (replacing its contents). Returns false at the end of
  // the input, leaving `*record` empty. Errors: InvalidArgument when a record exceeds
  // `max_record_bytes`; DataLoss when the stream fails to read. After an error the tokenizer
  // must not be used again.
  absl::StatusOr<bool> Next(CsvRecord* record);

  // The physical line the tokenizer is at (1-based); after the last record, one past the last.
  int64_t line() const { return line_; }
  // Bytes consumed from prefix and stream so far.
  int64_t bytes_read() const { return bytes_read_; }

 private:
  // Loads the next chunk into `buf_`. False at end of input.
  absl::StatusOr<bool> Refill(CsvRecord* record, bool record_started);

  CsvDialect dialect_;
  CsvTokenizerOptions options_;
  std::string prefix_;
  size_t prefix_pos_ = 0;
  std::istream* in_;
  std::string buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  size_t raw_start_ = 0;
  int64_t line_ = 1;
  int64_t bytes_read_ = 0;
  bool prev_cr_ = false;
  bool at_start_ = true;
  bool eof_ = false;
};

}  // namespace lepton::lake::ingest
