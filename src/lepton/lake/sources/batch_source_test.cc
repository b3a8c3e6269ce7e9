#include "lepton/lake/sources/batch_source.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton::lake::sources {
namespace {

using ::lepton::testing::StatusIs;

TEST(CsvSourceTest, ReadsThroughTheInterface) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("lepton_csv_source_" + std::to_string(getpid()) + ".csv"))
          .string();
  {
    std::ofstream out(path);
    out << "id,name\n1,a\nx,b\n3,c\n";
  }
  ingest::CsvReadOptions options;
  options.schema = Schema({{"id", DataType::kInt64, true}});
  options.bad_rows = ingest::BadRowPolicy::kQuarantine;
  LEPTON_ASSERT_OK_AND_ASSIGN(std::unique_ptr<BatchSource> source,
                              CsvSource::Open(path, options));
  EXPECT_EQ(source->description(), "csv: " + path);
  ASSERT_EQ(source->schema().size(), 2u);
  EXPECT_EQ(source->schema().field(0).type, DataType::kInt64);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto batch, source->ReadNext());
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->num_rows(), 2);
  EXPECT_EQ(source->rows_read(), 2);
  EXPECT_EQ(source->bad_rows(), 1);
  auto bad = source->TakeQuarantined();
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].line, 3);
  LEPTON_ASSERT_OK_AND_ASSIGN(auto end, source->ReadNext());
  EXPECT_FALSE(end.has_value());
  std::filesystem::remove(path);
}

TEST(CsvSourceTest, MissingFileIsNotFound) {
  EXPECT_THAT(CsvSource::Open("/nonexistent/lepton.csv"), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace lepton::lake::sources
