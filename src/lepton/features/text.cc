#include "lepton/features/text.h"

#include <unicode/uchar.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace lepton::features {
namespace {

// Spans of the tokens found before n-grams are formed: offsets into `Terms::text`.
using Spans = std::vector<std::pair<uint32_t, uint32_t>>;

bool IsAsciiWord(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool IsWordCodePoint(UChar32 c) {
  if (c < 0x80) return IsAsciiWord(static_cast<unsigned char>(c));
  const int8_t t = u_charType(c);
  switch (t) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return true;
    default:
      return false;
  }
}

void AppendUtf8(UChar32 c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Tokens of ASCII text: no ICU, no decoding.
void TokenizeAscii(std::string_view text, const TokenizerOptions& o, std::string* buf,
                   Spans* spans) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsAsciiWord(static_cast<unsigned char>(text[i]))) ++i;
    const size_t begin = i;
    while (i < text.size() && IsAsciiWord(static_cast<unsigned char>(text[i]))) ++i;
    const size_t len = i - begin;
    if (len == 0 || static_cast<int>(len) < o.min_token_chars) continue;
    const auto at = static_cast<uint32_t>(buf->size());
    for (size_t k = begin; k < i; ++k) {
      char c = text[k];
      if (o.lowercase && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      buf->push_back(c);
    }
    spans->emplace_back(at, static_cast<uint32_t>(len));
  }
}

// Tokens of non-ASCII text: decode to UTF-16 (invalid bytes become U+FFFD, a separator),
// lower-case with ICU's full mapping, and split on non-word code points.
void TokenizeUnicode(std::string_view text, const TokenizerOptions& o, std::string* buf,
                     Spans* spans) {
  UErrorCode status = U_ZERO_ERROR;
  int32_t len16 = 0;
  std::u16string utf16(text.size() + 1, u'\0');  // UTF-16 never has more units than UTF-8 bytes
  u_strFromUTF8WithSub(reinterpret_cast<UChar*>(utf16.data()),
                       static_cast<int32_t>(utf16.size()), &len16, text.data(),
                       static_cast<int32_t>(text.size()), 0xFFFD, nullptr, &status);
  if (U_FAILURE(status)) return;
  utf16.resize(static_cast<size_t>(len16));
  if (o.lowercase) {
    std::u16string lower(utf16.size() + 16, u'\0');
    status = U_ZERO_ERROR;
    int32_t n = u_strToLower(reinterpret_cast<UChar*>(lower.data()),
                             static_cast<int32_t>(lower.size()),
                             reinterpret_cast<const UChar*>(utf16.data()), len16, "", &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      lower.assign(static_cast<size_t>(n), u'\0');
      status = U_ZERO_ERROR;
      n = u_strToLower(reinterpret_cast<UChar*>(lower.data()), n,
                       reinterpret_cast<const UChar*>(utf16.data()), len16, "", &status);
    }
    if (U_FAILURE(status)) return;
    lower.resize(static_cast<size_t>(n));
    utf16.swap(lower);
  }
  const auto* s = reinterpret_cast<const UChar*>(utf16.data());
  const auto length = static_cast<int32_t>(utf16.size());
  int32_t i = 0;
  while (i < length) {
    UChar32 c;
    int32_t next = i;
    U16_NEXT(s, next, length, c);
    if (!IsWordCodePoint(c)) {
      i = next;
      continue;
    }
    const auto at = static_cast<uint32_t>(buf->size());
    int chars = 0;
    while (i < length) {
      next = i;
      U16_NEXT(s, next, length, c);
      if (!IsWordCodePoint(c)) break;
      AppendUtf8(c, buf);
      ++chars;
      i = next;
    }
    if (chars < o.min_token_chars) {
      buf->resize(at);
    } else {
      spans->emplace_back(at, static_cast<uint32_t>(buf->size() - at));
    }
  }
}

}  // namespace

void Tokenize(std::string_view text, const TokenizerOptions& options, Terms* out) {
  out->text.clear();
  out->spans.clear();
  bool ascii = true;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    TokenizeAscii(text, options, &out->text, &out->spans);
  } else {
    TokenizeUnicode(text, options, &out->text, &out->spans);
  }
  const size_t tokens = out->spans.size();
  if (options.ngram_min == 1 && options.ngram_max == 1) return;
  // N-grams: appended after the tokens in `text`, then the spans are rebuilt in sklearn's order.
  Spans words(out->spans.begin(), out->spans.end());
  out->spans.clear();
  for (int n = std::max(options.ngram_min, 1); n <= options.ngram_max; ++n) {
    if (static_cast<size_t>(n) > tokens) break;
    for (size_t i = 0; i + static_cast<size_t>(n) <= tokens; ++i) {
      if (n == 1) {
        out->spans.push_back(words[i]);
        continue;
      }
      const auto at = static_cast<uint32_t>(out->text.size());
      for (int k = 0; k < n; ++k) {
        if (k > 0) out->text.push_back(' ');
        const auto [b, l] = words[i + static_cast<size_t>(k)];
        // `append` from our own buffer: copy via index since the buffer may reallocate.
        for (uint32_t j = 0; j < l; ++j) out->text.push_back(out->text[b + j]);
      }
      out->spans.emplace_back(at, static_cast<uint32_t>(out->text.size() - at));
    }
  }
}

int32_t MurmurHash3(std::string_view key, uint32_t seed) {
  const auto* data = reinterpret_cast<const uint8_t*>(key.data());
  const size_t len = key.size();
  const size_t nblocks = len / 4;
  uint32_t h1 = seed;
  constexpr uint32_t c1 = 0xcc9e2d51;
  constexpr uint32_t c2 = 0x1b873593;
  auto rotl = [](uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
  for (size_t i = 0; i < nblocks; ++i) {
    uint32_t k1;
    std::memcpy(&k1, data + i * 4, 4);  // little-endian, as the reference implementation
    k1 *= c1;
    k1 = rotl(k1, 15);
    k1 *= c2;
    h1 ^= k1;
    h1 = rotl(h1, 13);
    h1 = h1 * 5 + 0xe6546b64;
  }
  const uint8_t* tail = data + nblocks * 4;
  uint32_t k1 = 0;
  switch (len & 3) {
    case 3:
      k1 ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      k1 ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      k1 ^= tail[0];
      k1 *= c1;
      k1 = rotl(k1, 15);
      k1 *= c2;
      h1 ^= k1;
  }
  h1 ^= static_cast<uint32_t>(len);
  h1 ^= h1 >> 16;
  h1 *= 0x85ebca6b;
  h1 ^= h1 >> 13;
  h1 *= 0xc2b2ae35;
  h1 ^= h1 >> 16;
  return static_cast<int32_t>(h1);
}

HashedTerm HashTerm(std::string_view term, uint32_t n_features) {
  const int32_t h = MurmurHash3(term, 0);
  HashedTerm out;
  if (h == INT32_MIN) {
    // sklearn's special case: abs(INT32_MIN) overflows.
    out.column = static_cast<uint32_t>((2147483647u - (n_features - 1)) % n_features);
  } else {
    out.column = static_cast<uint32_t>(h < 0 ? -h : h) % n_features;
  }
  out.sign = h >= 0 ? 1.0f : -1.0f;
  return out;
}

}  // namespace lepton::features
