#pragma once
// Text tokenisation and feature hashing for the `tfidf` and `hash` transformers, written to match
// scikit-learn's `CountVectorizer` / `TfidfVectorizer` / `HashingVectorizer` defaults, so that
// a model trained here scores like one trained with those (and tests compare against them):
//
//   - lower-casing: full Unicode lower-casing in the root locale (Python's `str.lower()`; ASCII
//     input never touches ICU);
//   - tokens: maximal runs of word characters (Unicode letters L*, numbers N*, and '_') of at
//     least `min_token_chars` code points (2: sklearn's token_pattern `(?u)\b\w\w+\b`);
//     everything else separates tokens. Invalid UTF-8 bytes count as separators;
//   - word n-grams for n in [ngram_min, ngram_max], the tokens joined by one space, all unigrams
//     first, then all bigrams, … (sklearn's order);
//   - hashing: MurmurHash3 x86 32-bit with seed 0 over the UTF-8 bytes of a term; the column is
//     |h| mod 2^k and, with alternate signs, the sign of h gives the sign of the count (sklearn's
//     `HashingVectorizer(alternate_sign=True)`).
//
// ICU is confined to text.cc. Thread-safe (no shared state).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lepton::features {

struct TokenizerOptions {
  bool lowercase = true;
  int ngram_min = 1;
  int ngram_max = 1;
  int min_token_chars = 2;
};

// The terms of one document, stored flat so that a reused `Terms` tokenises without allocating
// once its buffers have grown: term i is `text.substr(spans[i].first, spans[i].second)`.
struct Terms {
  std::string text;
  std::vector<std::pair<uint32_t, uint32_t>> spans;
  size_t size() const { return spans.size(); }
  std::string_view operator[](size_t i) const {
    return std::string_view(text).substr(spans[i].first, spans[i].second);
  }
};

// Replaces the contents of `*out` with the terms (tokens and n-grams) of `text` (UTF-8).
void Tokenize(std::string_view text, const TokenizerOptions& options, Terms* out);

// MurmurHash3_x86_32 of `key` (what sklearn's `murmurhash3_32(key, seed, positive=False)`
// returns, as a signed value).
int32_t MurmurHash3(std::string_view key, uint32_t seed = 0);

// The column and sign sklearn's `HashingVectorizer` gives `term` among `n_features` columns.
struct HashedTerm {
  uint32_t column = 0;
  float sign = 1.0f;
};
HashedTerm HashTerm(std::string_view term, uint32_t n_features);

}  // namespace lepton::features
