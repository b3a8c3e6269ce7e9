#include "lepton/lake/parquet/thrift.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/parquet/metadata.h"

namespace lepton::lake::parquet {
namespace {

using ::lepton::testing::StatusIs;

FileMetaData SampleMetadata() {
  FileMetaData m;
  m.schema.push_back(SchemaElement{.name = "schema", .num_children = 2});
  m.schema.push_back(SchemaElement{.type = kInt64, .repetition_type = kRequired, .name = "id"});
  m.schema.push_back(SchemaElement{.type = kInt64,
                                   .repetition_type = kOptional,
                                   .name = "ts",
                                   .converted_type = kTimestampMicros,
                                   .logical_type = LogicalType{.kind = kLogicalTimestamp,
                                                               .is_adjusted_to_utc = true,
                                                               .time_unit = 2}});
  m.num_rows = 300;
  RowGroup g;
  g.num_rows = 300;
  g.total_byte_size = 1234;
  for (int i = 0; i < 2; ++i) {
    ColumnChunk c;
    ColumnMetaData& cm = c.meta_data.emplace();
    cm.type = kInt64;
    cm.encodings = {kPlain, kRle};
    cm.path_in_schema = {i == 0 ? "id" : "ts"};
    cm.codec = kZstd;
    cm.num_values = 300;
    cm.total_compressed_size = 99;
    cm.total_uncompressed_size = 2400;
    cm.data_page_offset = 4 + 100 * i;
    cm.statistics = Statistics{.null_count = 3, .max_value = std::string(8, 'x'),
                               .min_value = std::string(8, '\0')};
    g.columns.push_back(c);
  }
  m.row_groups = {g, g};
  m.created_by = "lepton version 0.1.0";
  m.column_orders = {1, 1};
  m.key_value_metadata = {KeyValue{.key = "k", .value = "v"}};
  return m;
}

TEST(ThriftTest, FileMetaDataRoundTrip) {
  std::string bytes;
  SerializeFileMetaData(SampleMetadata(), &bytes);
  LEPTON_ASSERT_OK_AND_ASSIGN(FileMetaData m, ParseFileMetaData(bytes));
  ASSERT_EQ(m.schema.size(), 3u);
  EXPECT_EQ(m.schema[0].num_children, 2);
  EXPECT_EQ(m.schema[2].name, "ts");
  ASSERT_TRUE(m.schema[2].logical_type.has_value());
  EXPECT_EQ(m.schema[2].logical_type->kind, kLogicalTimestamp);
  EXPECT_TRUE(m.schema[2].logical_type->is_adjusted_to_utc);
  EXPECT_EQ(m.schema[2].logical_type->time_unit, 2);
  EXPECT_EQ(m.num_rows, 300);
  ASSERT_EQ(m.row_groups.size(), 2u);
  const ColumnMetaData& cm = *m.row_groups[1].columns[1].meta_data;
  EXPECT_EQ(cm.codec, kZstd);
  EXPECT_EQ(cm.path_in_schema, std::vector<std::string>{"ts"});
  EXPECT_EQ(cm.data_page_offset, 104);
  EXPECT_EQ(cm.statistics->null_count, 3);
  EXPECT_EQ(cm.statistics->max_value, std::string(8, 'x'));
  EXPECT_EQ(m.created_by, "lepton version 0.1.0");
  EXPECT_EQ(m.column_orders, (std::vector<int>{1, 1}));
  EXPECT_EQ(m.key_value_metadata[0].value, "v");
}

TEST(ThriftTest, PageHeaderRoundTrip) {
  PageHeader h;
  h.type = kDataPageV2;
  h.uncompressed_page_size = 100;
  h.compressed_page_size = 50;
  h.data_page_header_v2 = DataPageHeaderV2{.num_values = 10, .num_nulls = 2, .num_rows = 10,
                                           .encoding = kRleDictionary,
                                           .definition_levels_byte_length = 3,
                                           .is_compressed = false};
  std::string bytes;
  SerializePageHeader(h, &bytes);
  bytes += "trailing";
  size_t consumed = 0;
  LEPTON_ASSERT_OK_AND_ASSIGN(PageHeader p, ParsePageHeader(bytes, &consumed));
  EXPECT_EQ(consumed, bytes.size() - 8);
  EXPECT_EQ(p.type, kDataPageV2);
  ASSERT_TRUE(p.data_page_header_v2.has_value());
  EXPECT_EQ(p.data_page_header_v2->num_nulls, 2);
  EXPECT_FALSE(p.data_page_header_v2->is_compressed);
  EXPECT_EQ(p.data_page_header_v2->definition_levels_byte_length, 3);
}

TEST(ThriftTest, SkipsUnknownFieldsOfEveryType) {
  std::string bytes;
  ThriftWriter w(&bytes);
  w.StructBegin();
  w.FieldI32(1, kDataPage);
  w.FieldI32(2, 10);
  w.FieldI32(3, 10);
  // Unknown fields: a double, a list of structs, a nested struct, a map, a uuid, a bool.
  bytes.push_back(static_cast<char>((6 << 4) | 7));  // id 9, double
  bytes.append(8, '\x01');
  w.FieldList(20, ThriftType::kStruct, 2);
  for (int i = 0; i < 2; ++i) {
    w.StructBegin();
    w.FieldBinary(1, "abc");
    w.StructEnd();
  }
  w.FieldStruct(21);
  w.StructBegin();
  w.FieldI64(300, -5);
  w.StructEnd();
  bytes.push_back(static_cast<char>((1 << 4) | 11));  // id 22, map
  bytes.push_back(2);                                 // 2 entries
  bytes.push_back(static_cast<char>((5 << 4) | 8));   // i32 -> binary
  bytes += std::string("\x02\x01x\x04\x01y", 6);
  bytes.push_back(static_cast<char>((1 << 4) | 13));  // id 23, uuid
  bytes.append(16, '\x07');
  w.FieldBool(24, true);
  w.StructEnd();
  auto p = ParsePageHeader(bytes, nullptr);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->uncompressed_page_size, 10);
}

TEST(ThriftTest, TruncatedAndCorruptInputFailCleanly) {
  std::string bytes;
  SerializeFileMetaData(SampleMetadata(), &bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(ParseFileMetaData(std::string_view(bytes).substr(0, n)).ok()) << n;
  }
  // Flip every byte in turn: must not crash (the result may or may not parse).
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string copy = bytes;
    copy[i] = static_cast<char>(copy[i] ^ 0xff);
    ParseFileMetaData(copy).status().IgnoreError();
  }
  // Deep nesting is bounded.
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep.push_back(static_cast<char>((1 << 4) | 12));
  EXPECT_THAT(ParseFileMetaData(deep), StatusIs(absl::StatusCode::kDataLoss));
  // A list claiming more elements than bytes.
  std::string huge = "\x19\xfc\xff\xff\xff\x0f";
  EXPECT_THAT(ParseFileMetaData(huge), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace lepton::lake::parquet
