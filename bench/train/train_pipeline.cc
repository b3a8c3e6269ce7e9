// bench/train: the Lepton side of the training benchmark (run.sh drives it): reads the Taiwan
// CSV into a batch and runs `lepton::ModelBuilder(config).build_and_train(df)` — the seed API —
// untracked. Prints one JSON line like python_pipeline.py: {"seconds", "cv_auc_mean",
// "test_auc", "rows"}. Usage: lepton_train_pipeline CONFIG CSV
#include <chrono>
#include <fstream>
#include <iostream>

#include "lepton/base/json.h"
#include "lepton/lake/ingest/csv_reader.h"
#include "lepton/train/model_builder.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: lepton_train_pipeline CONFIG CSV\n";
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  std::ifstream in(argv[2], std::ios::binary);
  // The coded categoricals are read as strings, so that they are one-hot encoded like
  // scikit-learn's OneHotEncoder does with the integer codes.
  lepton::lake::ingest::CsvReadOptions options;
  options.schema = lepton::lake::Schema({{"SEX", lepton::lake::DataType::kString},
                                         {"EDUCATION", lepton::lake::DataType::kString},
                                         {"MARRIAGE", lepton::lake::DataType::kString}});
  auto reader = lepton::lake::ingest::CsvReader::Create(&in, options);
  if (!reader.ok()) {
    std::cerr << reader.status() << "\n";
    return 1;
  }
  lepton::lake::RecordBatch df((*reader)->schema());
  while (true) {
    auto batch = (*reader)->ReadNext();
    if (!batch.ok()) {
      std::cerr << batch.status() << "\n";
      return 1;
    }
    if (!*batch) break;
    for (size_t c = 0; c < df.num_columns(); ++c) {
      df.mutable_column(c).AppendRange((**batch).column(c), 0, (**batch).num_rows());
    }
  }
  lepton::ModelBuilder builder(argv[1]);
  auto model = builder.build_and_train(df);
  if (!model.ok()) {
    std::cerr << model.status() << "\n";
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const lepton::Json& m = model->metrics();
  lepton::Json out = {{"seconds", seconds},
                      {"test_auc", m["summary"].value("auc", -1.0)},
                      {"cv_auc_mean", m.contains("cv") && m["cv"]["best_score"].is_number() ? m["cv"]["best_score"].get<double>() : -1.0},
                      {"rows", df.num_rows()}};
  std::cout << out.dump() << "\n";
  return 0;
}
