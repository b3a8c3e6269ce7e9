#include "lepton/lake/ingest/sniff.h"

#include <map>
#include <set>
#include <string>

#include "lepton/lake/ingest/infer.h"

namespace lepton::lake::ingest {
namespace {

constexpr char kDelimiters[] = {',', ';', '\t', '|'};
// Enough records to judge consistency; more only costs time.
constexpr size_t kMaxSniffRecords = 1000;

std::string_view StripBom(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return s;
}

}  // namespace

std::vector<CsvRecord> SniffRecords(std::string_view sample, const CsvDialect& dialect,
                                    bool complete) {
  CsvTokenizer tokenizer(dialect, std::string(sample), nullptr);
  std::vector<CsvRecord> records;
  CsvRecord record;
  while (records.size() <= kMaxSniffRecords) {
    absl::StatusOr<bool> more = tokenizer.Next(&record);
    if (!more.ok() || !*more) break;
    records.push_back(record);
  }
  // Only a truncated sample can end in a cut-off record; a record limit cut nothing off.
  if (!complete && records.size() <= kMaxSniffRecords && !records.empty()) records.pop_back();
  if (records.size() > kMaxSniffRecords) records.pop_back();
  return records;
}

namespace {

bool IsBoundary(char c) {
  return c == '\n' || c == '\r' || c == ',' || c == ';' || c == '\t' || c == '|';
}

}  // namespace

char SniffQuote(std::string_view sample) {
  sample = StripBom(sample);
  char best = '"';
  size_t best_score = 0;
  for (char q : {'"', '\''}) {
    size_t opens = 0, closes = 0;
    for (size_t i = 0; i < sample.size(); ++i) {
      if (sample[i] != q) continue;
      if (i == 0 || IsBoundary(sample[i - 1])) ++opens;
      if (i + 1 == sample.size() || IsBoundary(sample[i + 1])) ++closes;
    }
    const size_t score = std::min(opens, closes);
    if (score > best_score) {
      best = q;
      best_score = score;
    }
  }
  return best;
}

char SniffDelimiter(std::string_view sample, char quote, bool complete) {
  sample = StripBom(sample);
  char best = ',';
  double best_share = 0;
  size_t best_count = 1;
  for (char d : kDelimiters) {
    CsvDialect dialect;
    dialect.delimiter = d;
    dialect.quote = quote;
    std::vector<CsvRecord> records = SniffRecords(sample, dialect, complete);
    if (records.empty()) continue;
    std::map<size_t, size_t> counts;  // fields per record -> records
    for (const CsvRecord& r : records) ++counts[r.size()];
    size_t modal = 1, modal_records = 0;
    for (const auto& [fields, n] : counts) {
      if (n > modal_records || (n == modal_records && fields > modal)) {
        modal = fields;
        modal_records = n;
      }
    }
    if (modal < 2) continue;
    const double share = static_cast<double>(modal_records) / static_cast<double>(records.size());
    if (share > best_share || (share == best_share && modal > best_count)) {
      best = d;
      best_share = share;
      best_count = modal;
    }
  }
  return best;
}

bool SniffHeader(const std::vector<CsvRecord>& records) {
  if (records.empty()) return false;
  const CsvRecord& first = records[0];
  const size_t n = first.size();
  // Fallback: names look like names.
  auto looks_like_names = [&] {
    std::set<std::string_view> seen;
    for (size_t j = 0; j < n; ++j) {
      const std::string_view v = first.field(j);
      if (v.empty() || !seen.insert(v).second) return false;
      if (InferType({v}) != DataType::kString) return false;
    }
    return true;
  };
  TypeInferrer rest(n);
  TypeInferrer all(n);
  for (size_t i = 1; i < records.size(); ++i) {
    if (records[i].size() != n) continue;
    for (size_t j = 0; j < n; ++j) {
      const std::string_view v = records[i].field(j);
      if (v.empty()) continue;
      rest.Observe(j, v);
      all.Observe(j, v);
    }
  }
  int votes = 0;
  for (size_t j = 0; j < n; ++j) {
    if (rest.Result(j) == DataType::kString) continue;
    const std::string_view v = first.field(j);
    if (v.empty()) continue;
    all.Observe(j, v);
    votes += all.Result(j) == DataType::kString ? 1 : -1;
  }
  if (votes != 0) return votes > 0;
  return looks_like_names();
}

CsvDialect SniffDialect(std::string_view sample, bool complete) {
  sample = StripBom(sample);
  CsvDialect dialect;
  if (sample.empty()) return dialect;
  dialect.quote = SniffQuote(sample);
  dialect.delimiter = SniffDelimiter(sample, dialect.quote, complete);
  dialect.has_header = SniffHeader(SniffRecords(sample, dialect, complete));
  return dialect;
}

}  // namespace lepton::lake::ingest
