#include "lepton/lake/sources/parquet_source.h"

#include <utility>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::lake::sources {

absl::StatusOr<std::unique_ptr<ParquetSource>> ParquetSource::Open(const std::string& path,
                                                                   ParquetSourceOptions options) {
  LEPTON_ASSIGN_OR_RETURN(auto reader, parquet::ParquetReader::Open(path));
  const Schema& file_schema = reader->schema();
  std::vector<int> columns;
  std::vector<Field> fields;
  if (options.columns.empty()) {
    for (size_t i = 0; i < file_schema.size(); ++i) columns.push_back(static_cast<int>(i));
    fields = file_schema.fields();
  } else {
    for (const std::string& name : options.columns) {
      const int i = file_schema.Find(name);
      if (i < 0) {
        return absl::InvalidArgumentError(
            StrCat(path, ": no column \"", name, "\" in the Parquet file"));
      }
      columns.push_back(i);
      fields.push_back(file_schema.field(static_cast<size_t>(i)));
    }
  }
  return std::unique_ptr<ParquetSource>(new ParquetSource(path, std::move(reader),
                                                          std::move(columns),
                                                          Schema(std::move(fields))));
}

ParquetSource::ParquetSource(std::string path, std::unique_ptr<parquet::ParquetReader> reader,
                             std::vector<int> columns, Schema schema)
    : path_(std::move(path)),
      reader_(std::move(reader)),
      columns_(std::move(columns)),
      schema_(std::move(schema)) {}

absl::StatusOr<std::optional<RecordBatch>> ParquetSource::ReadNext() {
  while (next_group_ < reader_->num_row_groups()) {
    const int group = next_group_++;
    if (reader_->row_group_num_rows(group) == 0) continue;
    absl::StatusOr<RecordBatch> batch = reader_->ReadRowGroup(group, columns_);
    if (!batch.ok()) {
      next_group_ = reader_->num_row_groups();
      return Annotate(batch.status(), StrCat(path_, ": row group ", group));
    }
    rows_read_ += batch->num_rows();
    return std::optional<RecordBatch>(std::move(*batch));
  }
  return std::optional<RecordBatch>();
}

std::string ParquetSource::description() const { return StrCat("parquet: ", path_); }

}  // namespace lepton::lake::sources
