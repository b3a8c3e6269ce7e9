#pragma once
// Parquet value and level encodings: the RLE / bit-packing hybrid (definition levels, dictionary
// indices, booleans), DELTA_BINARY_PACKED decoding, and page compression. Decoders are
// bounds-checked and return DataLoss on malformed input.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lepton::lake::parquet {

// Number of bits needed to represent `max_value` (0 for 0).
int BitWidth(uint64_t max_value);

// Appends the RLE / bit-packed hybrid encoding of `values` (each < 2^bit_width), without a
// length prefix.
void EncodeRleBitPacked(std::span<const uint32_t> values, int bit_width, std::string* out);

// Decodes exactly `count` values of `bit_width` bits (0..32) from `data` into `out` (replacing
// its contents). DataLoss when `data` holds fewer values or is malformed.
absl::Status DecodeRleBitPacked(std::string_view data, int bit_width, int64_t count,
                                std::vector<uint32_t>* out);

// Decodes `count` DELTA_BINARY_PACKED values from the start of `data`; `consumed` (optional)
// receives the bytes used. Values wrap like the spec's two's-complement arithmetic.
absl::Status DecodeDeltaBinaryPacked(std::string_view data, int64_t count,
                                     std::vector<int64_t>* out, size_t* consumed);

// Compresses `data` with Parquet codec `codec` (UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW),
// replacing `out`. Unimplemented for other codecs.
absl::Status Compress(int32_t codec, std::string_view data, std::string* out);
// Decompresses to exactly `uncompressed_size` bytes. DataLoss on corrupt data or size mismatch;
// Unimplemented for codecs other than the five above.
absl::Status Decompress(int32_t codec, std::string_view data, int64_t uncompressed_size,
                        std::string* out);

}  // namespace lepton::lake::parquet
