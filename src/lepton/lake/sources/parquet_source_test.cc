#include "lepton/lake/sources/parquet_source.h"

#include <unistd.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/lake/parquet/parquet_writer.h"

namespace lepton::lake::sources {
namespace {

using ::lepton::testing::StatusIs;

class ParquetSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lepton_parquet_source_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes 10 rows (id int64, name string with nulls, day date) in row groups of 4.
  std::string WriteFile() {
    const std::string path = (dir_ / "t.parquet").string();
    Schema schema({{"id", DataType::kInt64, false},
                   {"name", DataType::kString, true},
                   {"day", DataType::kDate, true}});
    RecordBatch batch(schema);
    for (int i = 0; i < 10; ++i) {
      batch.mutable_column(0).AppendInt64(i);
      if (i % 3 == 0) {
        batch.mutable_column(1).AppendNull();
      } else {
        batch.mutable_column(1).AppendString("n" + std::to_string(i));
      }
      batch.mutable_column(2).AppendInt32(19000 + i);
    }
    parquet::WriterOptions options;
    options.row_group_size_rows = 4;
    auto writer = parquet::ParquetWriter::Open(path, schema, options);
    EXPECT_TRUE(writer.ok()) << writer.status();
    EXPECT_TRUE((*writer)->Write(batch).ok());
    EXPECT_TRUE((*writer)->Close().ok());
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ParquetSourceTest, ReadsRowGroupByRowGroup) {
  const std::string path = WriteFile();
  LEPTON_ASSERT_OK_AND_ASSIGN(std::unique_ptr<BatchSource> source, ParquetSource::Open(path));
  EXPECT_EQ(source->description(), "parquet: " + path);
  ASSERT_EQ(source->schema().size(), 3u);
  EXPECT_EQ(source->schema().field(0), (Field{"id", DataType::kInt64, false}));
  EXPECT_EQ(source->schema().field(2).type, DataType::kDate);
  std::vector<int64_t> sizes;
  int64_t next_id = 0;
  while (true) {
    LEPTON_ASSERT_OK_AND_ASSIGN(auto batch, source->ReadNext());
    if (!batch) break;
    sizes.push_back(batch->num_rows());
    for (int64_t r = 0; r < batch->num_rows(); ++r, ++next_id) {
      EXPECT_EQ(batch->column(0).ValueAt<int64_t>(r), next_id);
      EXPECT_EQ(batch->column(1).IsNull(r), next_id % 3 == 0);
      if (next_id % 3 != 0) {
        EXPECT_EQ(batch->column(1).StringAt(r), "n" + std::to_string(next_id));
      }
      EXPECT_EQ(batch->column(2).ValueAt<int32_t>(r), 19000 + next_id);
    }
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(source->rows_read(), 10);
  EXPECT_EQ(source->bad_rows(), 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto again, source->ReadNext());
  EXPECT_FALSE(again.has_value());
}

TEST_F(ParquetSourceTest, ProjectsColumns) {
  const std::string path = WriteFile();
  LEPTON_ASSERT_OK_AND_ASSIGN(auto source, ParquetSource::Open(path, {{"day", "id"}}));
  ASSERT_EQ(source->schema().size(), 2u);
  EXPECT_EQ(source->schema().field(0).name, "day");
  LEPTON_ASSERT_OK_AND_ASSIGN(auto batch, source->ReadNext());
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->num_columns(), 2u);
  EXPECT_EQ(batch->column(1).ValueAt<int64_t>(3), 3);
  EXPECT_THAT(ParquetSource::Open(path, {{"nope"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ParquetSourceTest, MissingAndCorruptFiles) {
  EXPECT_THAT(ParquetSource::Open((dir_ / "missing.parquet").string()),
              StatusIs(absl::StatusCode::kNotFound));
  const std::string bad = (dir_ / "bad.parquet").string();
  FILE* f = std::fopen(bad.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("not a parquet file at all", f);
  std::fclose(f);
  EXPECT_FALSE(ParquetSource::Open(bad).ok());
}

}  // namespace
}  // namespace lepton::lake::sources
