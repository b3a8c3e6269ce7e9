#include "lepton/lake/parquet/encoding.h"

#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/parquet/metadata.h"

namespace lepton::lake::parquet {
namespace {

TEST(EncodingTest, RleBitPackedRoundTrip) {
  std::mt19937 rng(7);
  for (int bw : {0, 1, 2, 3, 7, 8, 13, 20, 32}) {
    for (int n : {0, 1, 5, 8, 9, 100, 1000}) {
      std::vector<uint32_t> v;
      const uint64_t limit = bw == 32 ? 0xffffffffull : (1ull << bw) - 1;
      for (int i = 0; i < n; ++i) {
        // Mix runs and noise.
        const uint32_t x = static_cast<uint32_t>(limit == 0 ? 0 : rng() % (limit + 1));
        const int run = (rng() % 4 == 0) ? static_cast<int>(rng() % 20) : 1;
        for (int k = 0; k < run && static_cast<int>(v.size()) < n; ++k) v.push_back(x);
        if (static_cast<int>(v.size()) >= n) break;
      }
      std::string enc;
      EncodeRleBitPacked(v, bw, &enc);
      std::vector<uint32_t> dec;
      ASSERT_OK(DecodeRleBitPacked(enc, bw, static_cast<int64_t>(v.size()), &dec));
      EXPECT_EQ(dec, v) << "bw=" << bw << " n=" << n;
    }
  }
}

TEST(EncodingTest, RleDecodeRejectsShortInput) {
  std::vector<uint32_t> v(100, 1);
  std::string enc;
  EncodeRleBitPacked(v, 1, &enc);
  std::vector<uint32_t> dec;
  EXPECT_FALSE(DecodeRleBitPacked(enc, 1, 101, &dec).ok());
  EXPECT_FALSE(DecodeRleBitPacked("", 1, 1, &dec).ok());
}

TEST(EncodingTest, CompressionRoundTrips) {
  std::string data;
  for (int i = 0; i < 10000; ++i) data += "value " + std::to_string(i % 97) + ";";
  for (int32_t codec : {kUncompressed, kSnappy, kGzip, kZstd, kLz4Raw}) {
    std::string c, d;
    ASSERT_OK(Compress(codec, data, &c));
    ASSERT_OK(Decompress(codec, c, static_cast<int64_t>(data.size()), &d));
    EXPECT_EQ(d, data) << codec;
    // Corruption and wrong sizes fail cleanly.
    std::string bad = c;
    for (size_t i = 0; i < bad.size(); i += 7) bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    Decompress(codec, bad, static_cast<int64_t>(data.size()), &d).IgnoreError();
    EXPECT_FALSE(Decompress(codec, c, static_cast<int64_t>(data.size()) + 1, &d).ok()) << codec;
  }
  std::string out;
  EXPECT_THAT(Decompress(kBrotli, "x", 1, &out),
              lepton::testing::StatusIs(absl::StatusCode::kUnimplemented));
}

}  // namespace
}  // namespace lepton::lake::parquet
