#include "lepton/lake/ingest/csv_tokenizer.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::lake::ingest {

CsvRecord& CsvRecord::operator=(const CsvRecord& other) {
  if (this == &other) return *this;
  data_ = other.data_;
  ends_ = other.ends_;
  quoted_ = other.quoted_;
  raw_.assign(other.raw());
  raw_in_buffer_ = false;
  raw_view_ = {};
  error_ = other.error_;
  line_ = other.line_;
  return *this;
}

CsvRecord& CsvRecord::operator=(CsvRecord&& other) noexcept {
  if (this == &other) return *this;
  if (other.raw_in_buffer_) {
    raw_.assign(other.raw_view_);
  } else {
    raw_ = std::move(other.raw_);
  }
  raw_in_buffer_ = false;
  raw_view_ = {};
  data_ = std::move(other.data_);
  ends_ = std::move(other.ends_);
  quoted_ = std::move(other.quoted_);
  error_ = std::move(other.error_);
  line_ = other.line_;
  return *this;
}

void CsvRecord::Clear() {
  data_.clear();
  ends_.clear();
  quoted_.clear();
  raw_.clear();
  raw_in_buffer_ = false;
  raw_view_ = {};
  error_.clear();
  line_ = 0;
}

void CsvRecord::AddField(std::string_view value, bool quoted) {
  data_.append(value);
  ends_.push_back(data_.size());
  quoted_.push_back(quoted ? 1 : 0);
}

CsvTokenizer::CsvTokenizer(const CsvDialect& dialect, std::string prefix, std::istream* in,
                           CsvTokenizerOptions options)
    : dialect_(dialect), options_(std::move(options)), prefix_(std::move(prefix)), in_(in) {
  // An escape equal to the quote is just the doubled-quote style.
  if (dialect_.escape == dialect_.quote) dialect_.escape = '\0';
  options_.buffer_bytes = std::max<size_t>(options_.buffer_bytes, 4);
}

absl::StatusOr<bool> CsvTokenizer::Refill(CsvRecord* record, bool record_started) {
  if (record_started) {
    // The chunk is about to be overwritten: keep the record's raw text read so far.
    record->raw_.append(buf_, raw_start_, end_ - raw_start_);
    raw_start_ = 0;
    if (record->raw_.size() > options_.max_record_bytes) {
      return absl::InvalidArgumentError(
          StrCat(options_.source_name, ":", record->line_, ": record exceeds ",
                 options_.max_record_bytes, " bytes (unbalanced quote?)"));
    }
  }
  pos_ = end_ = 0;
  if (eof_) return false;
  buf_.resize(options_.buffer_bytes);
  // Fill the whole chunk (prefix first, then the stream) so that only the last chunk is short;
  // this also guarantees the first chunk holds a complete byte order mark if there is one.
  size_t n = 0;
  if (prefix_pos_ < prefix_.size()) {
    n = std::min(buf_.size(), prefix_.size() - prefix_pos_);
    std::memcpy(buf_.data(), prefix_.data() + prefix_pos_, n);
    prefix_pos_ += n;
    if (prefix_pos_ == prefix_.size()) std::string().swap(prefix_), prefix_pos_ = 0;
  }
  if (n < buf_.size() && in_ != nullptr && in_->good()) {
    in_->read(buf_.data() + n, static_cast<std::streamsize>(buf_.size() - n));
    n += static_cast<size_t>(in_->gcount());
    if (in_->bad()) {
      return absl::DataLossError(
          StrCat(options_.source_name, ":", line_, ": failed to read the input"));
    }
  }
  if (n == 0) {
    eof_ = true;
    return false;
  }
  end_ = n;
  bytes_read_ += static_cast<int64_t>(n);
  if (at_start_) {
    at_start_ = false;
    if (n >= 3 && std::memcmp(buf_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
  }
  return true;
}

absl::StatusOr<bool> CsvTokenizer::Next(CsvRecord* record) {
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted, kEscaped };
  record->Clear();
  State state = State::kFieldStart;
  bool started = false;
  bool field_quoted = false;
  const char delimiter = dialect_.delimiter;
  const char quote = dialect_.quote;
  const char escape = dialect_.escape;

  auto end_field = [&] {
    record->ends_.push_back(record->data_.size());
    record->quoted_.push_back(field_quoted ? 1 : 0);
    field_quoted = false;
  };
  // Ends the record at the line terminator under `pos_`.
  auto end_record = [&](char terminator) {
    if (record->raw_.empty()) {  // the whole record is in this chunk: point at it
      record->raw_in_buffer_ = true;
      record->raw_view_ = std::string_view(buf_).substr(raw_start_, pos_ - raw_start_);
    } else {
      record->raw_.append(buf_, raw_start_, pos_ - raw_start_);
    }
    end_field();
    ++pos_;
    ++line_;
    prev_cr_ = terminator == '\r';
  };
  auto count_newline = [&](char c) {
    if (c == '\n') {
      if (!prev_cr_) ++line_;
      prev_cr_ = false;
    } else if (c == '\r') {
      ++line_;
      prev_cr_ = true;
    } else {
      prev_cr_ = false;
    }
  };

  while (true) {
    if (pos_ == end_) {
      LEPTON_ASSIGN_OR_RETURN(bool more, Refill(record, started));
      if (!more) {
        if (!started) return false;
        if (state == State::kQuoted || state == State::kEscaped) {
          record->error_ = "unterminated quoted field";
        }
        end_field();
        return true;
      }
      continue;
    }
    char c = buf_[pos_];
    if (!started) {
      if (c == '\n' || c == '\r') {  // an empty line, or the LF of a CRLF ending the last record
        count_newline(c);
        ++pos_;
        continue;
      }
      started = true;
      prev_cr_ = false;
      record->line_ = line_;
      raw_start_ = pos_;
    }
    switch (state) {
      case State::kFieldStart:
        if (quote != '\0' && c == quote) {
          field_quoted = true;
          state = State::kQuoted;
          ++pos_;
          break;
        }
        state = State::kUnquoted;
        [[fallthrough]];
      case State::kUnquoted: {
        size_t p = pos_;
        while (p < end_ && buf_[p] != delimiter && buf_[p] != '\n' && buf_[p] != '\r') ++p;
        record->data_.append(buf_, pos_, p - pos_);
        pos_ = p;
        if (p == end_) break;
        if (buf_[p] == delimiter) {
          end_field();
          ++pos_;
          state = State::kFieldStart;
          break;
        }
        end_record(buf_[p]);
        return true;
      }
      case State::kQuoted: {
        size_t p = pos_;
        while (p < end_) {
          const char ch = buf_[p];
          if (ch == quote || (escape != '\0' && ch == escape)) break;
          count_newline(ch);
          ++p;
        }
        record->data_.append(buf_, pos_, p - pos_);
        pos_ = p;
        if (p == end_) break;
        prev_cr_ = false;
        state = buf_[p] == quote ? State::kQuoteInQuoted : State::kEscaped;
        ++pos_;
        break;
      }
      case State::kEscaped:
        count_newline(c);
        record->data_.push_back(c);
        ++pos_;
        state = State::kQuoted;
        break;
      case State::kQuoteInQuoted:
        if (c == quote) {  // a doubled quote
          record->data_.push_back(c);
          ++pos_;
          state = State::kQuoted;
        } else if (c == delimiter) {
          end_field();
          ++pos_;
          state = State::kFieldStart;
        } else if (c == '\n' || c == '\r') {
          end_record(c);
          return true;
        } else {
          // Text after the closing quote: keep it, but flag the record.
          if (record->error_.empty()) {
            record->error_ = StrCat("unexpected character '", std::string_view(&c, 1),
                                    "' after closing quote");
          }
          state = State::kUnquoted;
        }
        break;
    }
  }
}

}  // namespace lepton::lake::ingest
