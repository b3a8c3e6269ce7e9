#pragma once
// Data files of sensitive tables: the Parquet bytes encrypted with libsodium's secretstream
// (XChaCha20-Poly1305) under the table's data key (keys.h).
//
// Layout: the magic "LEPTENC1", the 24-byte stream header, then the Parquet bytes in chunks of
// 64 KiB, each encrypted and authenticated on its own (17 bytes of overhead); the last chunk
// (0 to 64 KiB) carries the FINAL tag, so truncation at any chunk boundary is detected. Files
// are named `part-<id>.zstd.parquet.lepton-enc`, so that other engines never mistake them for
// Parquet.
//
// Reading decrypts a whole file into memory (Parquet needs random access to the footer), so a
// scan of a sensitive table holds one data file in plaintext in memory at a time.
// Thread-safe: the functions share no state; one writer per sink.

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lepton/lake/crypto/keys.h"
#include "lepton/lake/parquet/parquet_writer.h"

namespace lepton::lake::crypto {

// The suffix of encrypted data files.
inline constexpr char kEncryptedSuffix[] = ".lepton-enc";
// Plaintext bytes per encrypted chunk.
inline constexpr size_t kChunkBytes = 64 * 1024;

// True when the data file `name` is encrypted (by its suffix).
bool IsEncryptedDataFile(std::string_view name);

// A sink that encrypts what it is given under `key` into "<path>.tmp-…" and, on `Close`, fsyncs
// it and renames it to `path`; `Abort` (or destruction before `Close`) deletes it. Plaintext never
// reaches the disk. Errors carry the path and errno.
absl::StatusOr<std::unique_ptr<parquet::ByteSink>> OpenEncryptedFile(
    const std::string& path, std::shared_ptr<const DataKey> key);

// The plaintext of the encrypted file at `path`. NotFound when missing; DataLoss when it is not
// an encrypted data file, was truncated, or fails authentication (tampered, or written with
// another data key).
absl::StatusOr<std::string> ReadEncryptedFile(const std::string& path, const DataKey& key);

}  // namespace lepton::lake::crypto
