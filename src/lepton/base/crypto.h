#pragma once
// Cryptographic primitives: random bytes, Argon2id password hashing and constant-time
// comparison from libsodium; SHA-256 from OpenSSL's libcrypto, which uses the CPU's SHA
// extensions (about 5x libsodium's portable code here — it bounds how fast a source file is
// hashed while it is ingested). Neither library appears in a header.
// Thread-safe: every function may be called concurrently.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lepton {

// `n` bytes from the OS CSPRNG.
std::string RandomBytes(size_t n);
// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);
// Incremental SHA-256, for data too large to hold at once (e.g. a source file being ingested).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  // Lower-case hex digest; the object must not be updated afterwards.
  std::string HexDigest();

 private:
  void* ctx_;  // EVP_MD_CTX
};

// Lower-case hex of arbitrary bytes.
std::string HexEncode(std::string_view bytes);
// URL-safe base64 without padding.
std::string Base64UrlEncode(std::string_view bytes);
// True when `a` and `b` are equal, in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Hashes `password` with Argon2id (libsodium's interactive limits) into a self-describing
// "$argon2id$…" string. Internal if the hash could not be computed (out of memory).
absl::StatusOr<std::string> HashPassword(std::string_view password);
// True when `password` matches `encoded`, a string `HashPassword` produced.
bool VerifyPassword(std::string_view password, std::string_view encoded);

}  // namespace lepton
