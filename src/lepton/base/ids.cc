#include "lepton/base/ids.h"

#include <cstdint>
#include <random>

#include "absl/time/clock.h"
#include "lepton/base/crypto.h"

namespace lepton {

std::string NewId() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  const std::string rnd = RandomBytes(10);
  // 128 bits: 48 of time then 80 of randomness, emitted 5 bits at a time (26 characters).
  unsigned char bits[16];
  for (int i = 0; i < 6; ++i) bits[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  for (int i = 0; i < 10; ++i) bits[6 + i] = static_cast<unsigned char>(rnd[i]);
  std::string out;
  out.reserve(26);
  // 130 bits of output for 128 of input: the first character carries 3 bits.
  int bitpos = -2;
  for (int c = 0; c < 26; ++c, bitpos += 5) {
    int v = 0;
    for (int b = 0; b < 5; ++b) {
      const int p = bitpos + b;
      v <<= 1;
      if (p >= 0 && p < 128) v |= (bits[p / 8] >> (7 - p % 8)) & 1;
    }
    out.push_back(kAlphabet[v]);
  }
  return out;
}

std::string NewRequestId() {
  // Request ids need uniqueness, not secrecy: a per-thread generator seeded from the system's
  // randomness once, instead of a getrandom call for every request.
  thread_local std::mt19937_64 rng = [] {
    const std::string seed = RandomBytes(8);
    uint64_t v = 0;
    for (char c : seed) v = (v << 8) | static_cast<unsigned char>(c);
    return std::mt19937_64(v);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = rng();
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kHex[v & 15];
  return out;
}

}  // namespace lepton
