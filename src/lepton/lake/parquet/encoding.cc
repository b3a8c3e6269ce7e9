#include "lepton/lake/parquet/encoding.h"

#include <lz4.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <limits>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/lake/parquet/metadata.h"

namespace lepton::lake::parquet {

int BitWidth(uint64_t max_value) {
  int w = 0;
  while (max_value != 0) {
    ++w;
    max_value >>= 1;
  }
  return w;
}

namespace {

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Bit-packs `values` (a multiple of 8 of them) LSB-first.
void PackBits(std::span<const uint32_t> values, int bit_width, std::string* out) {
  uint64_t acc = 0;
  int bits = 0;
  for (uint32_t v : values) {
    acc |= static_cast<uint64_t>(v) << bits;
    bits += bit_width;
    while (bits >= 8) {
      out->push_back(static_cast<char>(acc & 0xff));
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out->push_back(static_cast<char>(acc & 0xff));
}

void FlushLiterals(std::vector<uint32_t>* literals, int bit_width, std::string* out) {
  if (literals->empty()) return;
  while (literals->size() % 8 != 0) literals->push_back(0);
  PutVarint(((literals->size() / 8) << 1) | 1, out);
  PackBits(*literals, bit_width, out);
  literals->clear();
}

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(StrCat("parquet: corrupt ", what));
}

class ByteCursor {
 public:
  explicit ByteCursor(std::string_view data) : data_(data) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  absl::StatusOr<uint64_t> Varint() {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return Corrupt("varint (truncated)");
      const auto b = static_cast<uint8_t>(data_[pos_++]);
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return result;
    }
    return Corrupt("varint (too long)");
  }
  absl::StatusOr<std::string_view> Take(size_t n) {
    if (n > remaining()) return Corrupt("encoded data (truncated)");
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Unpacks `n` values of `bit_width` bits starting at `bytes` (which has enough bytes).
void UnpackBits(std::string_view bytes, int bit_width, int64_t n, std::vector<uint32_t>* out) {
  uint64_t acc = 0;
  int bits = 0;
  size_t pos = 0;
  const uint64_t mask = bit_width == 64 ? ~uint64_t{0} : (uint64_t{1} << bit_width) - 1;
  for (int64_t i = 0; i < n; ++i) {
    while (bits < bit_width) {
      acc |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[pos++])) << bits;
      bits += 8;
    }
    out->push_back(static_cast<uint32_t>(acc & mask));
    acc >>= bit_width;
    bits -= bit_width;
  }
}

}  // namespace

void EncodeRleBitPacked(std::span<const uint32_t> values, int bit_width, std::string* out) {
  std::vector<uint32_t> literals;
  const size_t value_bytes = static_cast<size_t>((bit_width + 7) / 8);
  size_t i = 0;
  while (i < values.size()) {
    size_t run = 1;
    while (i + run < values.size() && values[i + run] == values[i]) ++run;
    // Top up the pending literals to a multiple of 8 from the run first.
    while (run > 0 && !literals.empty() && literals.size() % 8 != 0) {
      literals.push_back(values[i]);
      ++i;
      --run;
    }
    if (run >= 8) {
      FlushLiterals(&literals, bit_width, out);
      PutVarint(static_cast<uint64_t>(run) << 1, out);
      for (size_t b = 0; b < value_bytes; ++b) {
        out->push_back(static_cast<char>((values[i] >> (8 * b)) & 0xff));
      }
      i += run;
    } else {
      for (size_t k = 0; k < run; ++k) literals.push_back(values[i + k]);
      i += run;
    }
  }
  FlushLiterals(&literals, bit_width, out);
}

absl::Status DecodeRleBitPacked(std::string_view data, int bit_width, int64_t count,
                                std::vector<uint32_t>* out) {
  out->clear();
  if (bit_width < 0 || bit_width > 32) return Corrupt("bit width");
  if (count < 0) return Corrupt("value count");
  ByteCursor c(data);
  const size_t value_bytes = static_cast<size_t>((bit_width + 7) / 8);
  while (static_cast<int64_t>(out->size()) < count) {
    LEPTON_ASSIGN_OR_RETURN(uint64_t header, c.Varint());
    const int64_t wanted = count - static_cast<int64_t>(out->size());
    if (header & 1) {
      const uint64_t groups = header >> 1;
      if (groups == 0 || groups > (uint64_t{1} << 31)) return Corrupt("bit-packed run");
      const uint64_t n = groups * 8;
      const uint64_t bytes = groups * static_cast<uint64_t>(bit_width);
      // Writers may truncate the last group's padding; take what is present.
      const size_t avail = std::min<uint64_t>(bytes, c.remaining());
      LEPTON_ASSIGN_OR_RETURN(std::string_view packed, c.Take(avail));
      const int64_t take = std::min<int64_t>(
          {static_cast<int64_t>(n), wanted,
           bit_width == 0 ? static_cast<int64_t>(n)
                          : static_cast<int64_t>(avail * 8 / static_cast<uint64_t>(bit_width))});
      if (take <= 0) return Corrupt("bit-packed run (truncated)");
      UnpackBits(packed, bit_width, take, out);
    } else {
      const uint64_t n = header >> 1;
      if (n == 0) return Corrupt("RLE run of length 0");
      LEPTON_ASSIGN_OR_RETURN(std::string_view raw, c.Take(value_bytes));
      uint32_t v = 0;
      for (size_t b = 0; b < value_bytes; ++b) {
        v |= static_cast<uint32_t>(static_cast<uint8_t>(raw[b])) << (8 * b);
      }
      if (bit_width < 32 && (v >> bit_width) != 0) return Corrupt("RLE run value");
      const int64_t take = static_cast<int64_t>(std::min<uint64_t>(n, static_cast<uint64_t>(wanted)));
      out->insert(out->end(), static_cast<size_t>(take), v);
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeDeltaBinaryPacked(std::string_view data, int64_t count,
                                     std::vector<int64_t>* out, size_t* consumed) {
  out->clear();
  ByteCursor c(data);
  LEPTON_ASSIGN_OR_RETURN(uint64_t block_size, c.Varint());
  LEPTON_ASSIGN_OR_RETURN(uint64_t miniblocks, c.Varint());
  LEPTON_ASSIGN_OR_RETURN(uint64_t total, c.Varint());
  LEPTON_ASSIGN_OR_RETURN(uint64_t first_zz, c.Varint());
  if (block_size == 0 || block_size % 128 != 0 || block_size > (1u << 20) || miniblocks == 0 ||
      block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0) {
    return Corrupt("DELTA_BINARY_PACKED header");
  }
  if (count < 0 || total != static_cast<uint64_t>(count)) {
    return Corrupt("DELTA_BINARY_PACKED value count");
  }
  const uint64_t per_mini = block_size / miniblocks;
  uint64_t value = (first_zz >> 1) ^ (~(first_zz & 1) + 1);
  if (total > 0) out->push_back(static_cast<int64_t>(value));
  std::vector<uint32_t> tmp;
  // Always walk all blocks of `total` so `consumed` is exact.
  while (out->size() < total) {
    LEPTON_ASSIGN_OR_RETURN(uint64_t min_zz, c.Varint());
    const uint64_t min_delta = (min_zz >> 1) ^ (~(min_zz & 1) + 1);
    LEPTON_ASSIGN_OR_RETURN(std::string_view widths, c.Take(miniblocks));
    for (uint64_t m = 0; m < miniblocks && out->size() < total; ++m) {
      const int w = static_cast<uint8_t>(widths[m]);
      if (w > 64) return Corrupt("DELTA_BINARY_PACKED bit width");
      LEPTON_ASSIGN_OR_RETURN(std::string_view packed, c.Take(per_mini * w / 8));
      // Unpack up to 64-bit values.
      uint64_t acc = 0;
      int bits = 0;
      size_t pos = 0;
      for (uint64_t k = 0; k < per_mini; ++k) {
        uint64_t delta = 0;
        if (w > 0) {
          // Gather w bits (w may be up to 64: use a 128-bit-free two-step read).
          int got = 0;
          while (got < w) {
            if (bits == 0) {
              acc = static_cast<uint8_t>(packed[pos++]);
              bits = 8;
            }
            const int take = std::min(bits, w - got);
            delta |= (acc & ((uint64_t{1} << take) - 1)) << got;
            acc >>= take;
            bits -= take;
            got += take;
          }
        }
        if (out->size() < total) {
          value += min_delta + delta;
          out->push_back(static_cast<int64_t>(value));
        }
      }
    }
  }
  out->resize(static_cast<size_t>(count));
  if (consumed != nullptr) *consumed = c.pos();
  return absl::OkStatus();
}

absl::Status Compress(int32_t codec, std::string_view data, std::string* out) {
  out->clear();
  switch (codec) {
    case kUncompressed:
      out->assign(data);
      return absl::OkStatus();
    case kSnappy:
      snappy::Compress(data.data(), data.size(), out);
      return absl::OkStatus();
    case kZstd: {
      out->resize(ZSTD_compressBound(data.size()));
      const size_t n = ZSTD_compress(out->data(), out->size(), data.data(), data.size(), 3);
      if (ZSTD_isError(n)) return absl::InternalError(StrCat("zstd: ", ZSTD_getErrorName(n)));
      out->resize(n);
      return absl::OkStatus();
    }
    case kLz4Raw: {
      if (data.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) {
        return absl::InvalidArgumentError("lz4: page too large");
      }
      out->resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(data.size()))));
      const int n = LZ4_compress_default(data.data(), out->data(), static_cast<int>(data.size()),
                                         static_cast<int>(out->size()));
      if (n <= 0) return absl::InternalError("lz4: compression failed");
      out->resize(static_cast<size_t>(n));
      return absl::OkStatus();
    }
    case kGzip: {
      z_stream zs{};
      if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
          Z_OK) {
        return absl::InternalError("gzip: deflateInit2 failed");
      }
      out->resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      zs.avail_in = static_cast<uInt>(data.size());
      zs.next_out = reinterpret_cast<Bytef*>(out->data());
      zs.avail_out = static_cast<uInt>(out->size());
      const int rc = deflate(&zs, Z_FINISH);
      const size_t n = zs.total_out;
      deflateEnd(&zs);
      if (rc != Z_STREAM_END) return absl::InternalError("gzip: deflate failed");
      out->resize(n);
      return absl::OkStatus();
    }
    default:
      return absl::UnimplementedError(StrCat("parquet: cannot write compression codec ", codec));
  }
}

absl::Status Decompress(int32_t codec, std::string_view data, int64_t uncompressed_size,
                        std::string* out) {
  out->clear();
  if (uncompressed_size < 0 || uncompressed_size > (int64_t{1} << 31)) {
    return Corrupt("page size");
  }
  const auto size = static_cast<size_t>(uncompressed_size);
  switch (codec) {
    case kUncompressed:
      if (data.size() != size) return Corrupt("uncompressed page (size mismatch)");
      out->assign(data);
      return absl::OkStatus();
    case kSnappy: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(data.data(), data.size(), &n) || n != size) {
        return Corrupt("snappy page (bad length)");
      }
      out->resize(size);
      if (!snappy::RawUncompress(data.data(), data.size(), out->data())) {
        return Corrupt("snappy page");
      }
      return absl::OkStatus();
    }
    case kZstd: {
      out->resize(size);
      const size_t n = ZSTD_decompress(out->data(), size, data.data(), data.size());
      if (ZSTD_isError(n) || n != size) return Corrupt("zstd page");
      return absl::OkStatus();
    }
    case kLz4Raw: {
      out->resize(size);
      if (data.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
        return Corrupt("lz4 page");
      }
      const int n = LZ4_decompress_safe(data.data(), out->data(), static_cast<int>(data.size()),
                                        static_cast<int>(size));
      if (n < 0 || static_cast<size_t>(n) != size) return Corrupt("lz4 page");
      return absl::OkStatus();
    }
    case kGzip: {
      out->resize(size);
      z_stream zs{};
      if (inflateInit2(&zs, 15 + 32) != Z_OK) return absl::InternalError("gzip: inflateInit2");
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      zs.avail_in = static_cast<uInt>(data.size());
      zs.next_out = reinterpret_cast<Bytef*>(out->data());
      zs.avail_out = static_cast<uInt>(size);
      const int rc = inflate(&zs, Z_FINISH);
      const size_t n = zs.total_out;
      inflateEnd(&zs);
      if ((rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && n == size)) || n != size) {
        return Corrupt("gzip page");
      }
      return absl::OkStatus();
    }
    default:
      return absl::UnimplementedError(
          StrCat("parquet: unsupported compression codec ", codec,
                 " (supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW)"));
  }
}

}  // namespace lepton::lake::parquet
