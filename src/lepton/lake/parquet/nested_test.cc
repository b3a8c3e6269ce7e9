// Nested Parquet: schema flattening, Dremel shredding and record assembly round trips.

#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lepton/base/json.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/parquet/nested_reader.h"
#include "lepton/lake/parquet/nested_writer.h"

namespace lepton::lake::parquet {
namespace {

using ::lepton::testing::StatusIs;

// { id: required int64, info: optional struct { name: string, tags: map<string,string>,
//   scores: list<int32>, ok: bool }, labels: list<string>, props: map<string,string> }
std::vector<SchemaNode> TestSchema() {
  return {LeafNode("id", kInt64, kRequired),
          GroupNode("info", {StringNode("name"), MapNode("tags", StringNode("k"), StringNode("v")),
                             ListNode("scores", LeafNode("x", kInt32)), LeafNode("ok", kBoolean)}),
          ListNode("labels", StringNode("s")), MapNode("props", StringNode("k"), StringNode("v")),
          LeafNode("weight", kDouble)};
}

// The records as the reader returns them: every schema field present, nulls explicit.
std::vector<Json> TestRecords() {
  return {
      Json::parse(R"({"id":1,"info":null,"labels":null,"props":null,"weight":null})"),
      Json::parse(R"({"id":2,"info":{"name":null,"tags":null,"scores":null,"ok":null},
                      "labels":[],"props":{},"weight":1.5})"),
      Json::parse(R"({"id":3,"info":{"name":"ann","tags":{},"scores":[],"ok":true},
                      "labels":["a",null,""],"props":{"x":"1","y":null},"weight":-0.25})"),
      Json::parse(R"({"id":4,"info":{"name":"","tags":{"a":"b","c":"d"},"scores":[1,null,-3],
                      "ok":false},"labels":["only"],"props":{"":""},"weight":0})"),
      Json::parse(R"({"id":5,"info":{"name":"é\u0000x","tags":{"k":null},"scores":[null],
                      "ok":true},"labels":[null],"props":null,"weight":null})"),
  };
}

absl::StatusOr<std::string> WriteAll(const std::vector<Json>& records,
                                     NestedWriterOptions options = {}) {
  LEPTON_ASSIGN_OR_RETURN(auto w, NestedWriter::Create(TestSchema(), std::move(options)));
  for (const Json& r : records) LEPTON_RETURN_IF_ERROR(w->Write(r));
  return w->Finish();
}

TEST(NestedParquetTest, RoundTripsNullsEmptyAndNonEmptyMapsAndLists) {
  const std::vector<Json> records = TestRecords();
  for (int32_t codec : {kUncompressed, kSnappy, kZstd, kGzip}) {
    for (int64_t group_rows : {int64_t{1}, int64_t{2}, int64_t{100}}) {
      LEPTON_ASSERT_OK_AND_ASSIGN(
          std::string file, WriteAll(records, {.codec = codec, .row_group_size_rows = group_rows}));
      LEPTON_ASSERT_OK_AND_ASSIGN(auto r, NestedReader::OpenBytes(file, "test"));
      EXPECT_EQ(r->num_rows(), 5);
      LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> back, r->ReadAll());
      ASSERT_EQ(back.size(), records.size());
      for (size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(back[i], records[i])
            << "codec " << codec << ", rows per group " << group_rows << ": " << back[i].dump();
      }
    }
  }
}

TEST(NestedParquetTest, MissingKeysAreNullAndUnknownKeysIgnored) {
  LEPTON_ASSERT_OK_AND_ASSIGN(
      std::string file, WriteAll({Json::parse(R"({"id":7,"info":{"ok":true},"extra":[1,2]})")}));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, NestedReader::OpenBytes(file, "test"));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> back, r->ReadAll());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], Json::parse(R"({"id":7,"info":{"name":null,"tags":null,"scores":null,
                                    "ok":true},"labels":null,"props":null,"weight":null})"));
}

TEST(NestedParquetTest, DeepNestingListsOfStructsWithLists) {
  // list<struct{a: int64, bs: list<list<string>>}>: three repetition levels.
  std::vector<SchemaNode> schema = {
      ListNode("items", GroupNode("item", {LeafNode("a", kInt64),
                                           ListNode("bs", ListNode("inner", StringNode("s")))}))};
  const std::vector<Json> records = {
      Json::parse(R"({"items":[{"a":1,"bs":[["x","y"],[],null,["z"]]},null,{"a":null,"bs":[]}]})"),
      Json::parse(R"({"items":[]})"),
      Json::parse(R"({"items":null})"),
      Json::parse(R"({"items":[{"a":2,"bs":[[null]]}]})"),
  };
  LEPTON_ASSERT_OK_AND_ASSIGN(auto w, NestedWriter::Create(schema, {}));
  for (const Json& r : records) ASSERT_OK(w->Write(r));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string file, w->Finish());
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, NestedReader::OpenBytes(file, "deep"));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> back, r->ReadAll());
  EXPECT_EQ(back, records);
}

TEST(NestedParquetTest, FooterDescribesTheNestedSchema) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string file, WriteAll(TestRecords()));
  uint32_t len;
  std::memcpy(&len, file.data() + file.size() - 8, 4);
  LEPTON_ASSERT_OK_AND_ASSIGN(
      FileMetaData m, ParseFileMetaData(std::string_view(file).substr(file.size() - 8 - len, len)));
  // root, id, info{name, tags{key_value{key, value}}, scores{list{element}}, ok}, labels{list{
  // element}}, props{key_value{key, value}}, weight
  ASSERT_EQ(m.schema.size(), 20u);
  EXPECT_EQ(m.schema[0].num_children, 5);
  const SchemaElement& tags = m.schema[4];
  EXPECT_EQ(tags.name, "tags");
  EXPECT_EQ(tags.converted_type, kMap);
  EXPECT_EQ(tags.repetition_type, kOptional);
  EXPECT_EQ(m.schema[5].name, "key_value");
  EXPECT_EQ(m.schema[5].repetition_type, kRepeated);
  EXPECT_EQ(m.schema[6].name, "key");
  EXPECT_EQ(m.schema[6].repetition_type, kRequired);
  EXPECT_EQ(m.schema[6].converted_type, kUtf8);
  EXPECT_EQ(m.schema[8].name, "scores");
  EXPECT_EQ(m.schema[8].converted_type, kList);
  EXPECT_EQ(m.schema[9].name, "list");
  EXPECT_EQ(m.schema[10].name, "element");
  ASSERT_EQ(m.row_groups.size(), 1u);
  const ColumnMetaData& key = *m.row_groups[0].columns[2].meta_data;
  EXPECT_EQ(key.path_in_schema, (std::vector<std::string>{"info", "tags", "key_value", "key"}));
  // Level entries, not values: ids 1, 2 null info, 3 empty map, 4 two keys, 5 one key.
  EXPECT_EQ(key.num_values, 6);
}

TEST(NestedParquetTest, ReadsOnlyTheRequestedFields) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string file, WriteAll(TestRecords()));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, NestedReader::OpenBytes(file, "test"));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> back, r->ReadAll({"labels", "id"}));
  ASSERT_EQ(back.size(), 5u);
  EXPECT_EQ(back[2], Json::parse(R"({"id":3,"labels":["a",null,""]})"));
  EXPECT_THAT(r->ReadAll({"nope"}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NestedParquetTest, RecordsThatDoNotFitAreRejected) {
  LEPTON_ASSERT_OK_AND_ASSIGN(auto w, NestedWriter::Create(TestSchema(), {}));
  EXPECT_THAT(w->Write(Json::parse(R"({"info":null})")),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("id")));
  EXPECT_THAT(w->Write(Json::parse(R"({"id":1})")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  LEPTON_ASSERT_OK_AND_ASSIGN(w, NestedWriter::Create(TestSchema(), {}));
  EXPECT_THAT(w->Write(Json::parse(R"({"id":1,"info":{"scores":[1e20]}})")),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("info.scores")));
  LEPTON_ASSERT_OK_AND_ASSIGN(w, NestedWriter::Create(TestSchema(), {}));
  EXPECT_THAT(w->Write(Json::parse(R"({"id":1,"props":["a"]})")),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("props")));
  EXPECT_THAT(NestedWriter::Create({GroupNode("empty", {})}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NestedParquetTest, EmptyFileHasNoRecords) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string file, WriteAll({}));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto r, NestedReader::OpenBytes(file, "empty"));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<Json> back, r->ReadAll());
  EXPECT_TRUE(back.empty());
}

// Truncated and bit-flipped files give errors (or, for flips in value bytes, other values),
// never crashes or hangs.
TEST(NestedParquetTest, CorruptFilesFailCleanly) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string file, WriteAll(TestRecords(), {.codec = kUncompressed}));
  for (size_t cut = 0; cut < file.size(); cut += 7) {
    auto r = NestedReader::OpenBytes(file.substr(0, cut), "cut");
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
  }
  int errors = 0;
  for (size_t i = 4; i + 8 < file.size(); ++i) {
    std::string bad = file;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto r = NestedReader::OpenBytes(bad, "flipped");
    if (!r.ok()) {
      ++errors;
      continue;
    }
    auto records = (*r)->ReadAll();
    if (!records.ok()) ++errors;
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace lepton::lake::parquet
