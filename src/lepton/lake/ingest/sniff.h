#pragma once
// CSV dialect sniffing: guesses the delimiter, the quote character and whether the first row is
// a header from the first bytes of a file (the reader passes up to `kSniffBytes`).
//
// Method:
//   - quote: '"' or '\'', whichever more often opens a field (after a line start or a candidate
//     delimiter) and closes one (before a line end or candidate delimiter); '"' on a tie;
//   - delimiter: each of , ; \t | tokenizes the sample (respecting the chosen quote); the winner
//     splits most records into the same number (> 1) of fields, i.e. has the highest share of
//     records with the modal field count, then the higher modal count, then the order above.
//     If no candidate gives more than one field, ',' (a one-column file);
//   - header: per column, compare the type the other rows infer (see infer.h) with the first
//     row's value. A column typed non-string below whose first value does not parse as that
//     type votes "header"; one whose first value does parse votes "no header". Without votes
//     (all-string columns) the first row is a header when its values are non-empty, unique and
//     not numbers. A single-row sample uses that last rule alone.
// The last record of a truncated sample (`complete` false) is ignored since it may be cut off.
// Thread-safe (pure functions).

#include <cstddef>
#include <string_view>
#include <vector>

#include "lepton/lake/ingest/csv_tokenizer.h"

namespace lepton::lake::ingest {

// How much of a stream the reader hands to `SniffDialect`.
inline constexpr size_t kSniffBytes = 64 * 1024;

// Guesses the whole dialect (`escape` is always '\0') of the CSV text starting with `sample`
// (a UTF-8 byte order mark is ignored). `complete` says whether `sample` is the entire input.
// Empty input gives the default dialect.
CsvDialect SniffDialect(std::string_view sample, bool complete);

// Just the delimiter and quote parts of `SniffDialect`.
char SniffQuote(std::string_view sample);
char SniffDelimiter(std::string_view sample, char quote, bool complete);

// The records of `sample` under `dialect`, at most 1000, without the possibly cut-off last
// record when `complete` is false. Malformed records are included; errors end the list early.
std::vector<CsvRecord> SniffRecords(std::string_view sample, const CsvDialect& dialect,
                                    bool complete);

// Whether the first of `records` (tokenized with the right dialect) is a header row, by the
// voting rule above. False for no records.
bool SniffHeader(const std::vector<CsvRecord>& records);

}  // namespace lepton::lake::ingest
