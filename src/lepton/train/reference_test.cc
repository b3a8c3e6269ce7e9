// The drift reference saved with a model: built from the training part at training, kept in the
// bundle, and telling unchanged data (no drift) from shifted data (significant drift).

#include "lepton/train/reference.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/train/model_builder.h"
#include "lepton/train/testing/data.h"

namespace lepton::train {
namespace {

using ::lepton::testing::StatusIs;
using ::lepton::train::testing::ExampleConfig;
using ::lepton::train::testing::German;

TEST(ReferenceTest, BundledReferenceSeesNoDriftOnLikeDataAndFlagsAShift) {
  Json j = ExampleConfig("model_config.json");
  j.erase("search");
  j.erase("cv");
  auto config = ModelConfig::FromJson(j);
  ASSERT_OK(config.status());
  ModelBuilder builder(*config, {});
  LEPTON_ASSERT_OK_AND_ASSIGN(Model model, builder.build_and_train(German()));
  const Json& reference = model.reference();
  ASSERT_TRUE(reference.is_object());
  EXPECT_EQ(reference["rows"], 700);  // the training part
  EXPECT_EQ(reference["columns"].size(), 17u);
  EXPECT_TRUE(reference["score"].is_object());

  // Saved and loaded with the bundle, checksummed like every file.
  const std::string dir = (std::filesystem::temp_directory_path() / "lepton-reference-test").string();
  std::filesystem::remove_all(dir);
  ASSERT_OK(model.Save(dir));
  LEPTON_ASSERT_OK_AND_ASSIGN(Model loaded, Model::Load(dir));
  EXPECT_EQ(loaded.reference(), reference);
  std::filesystem::remove_all(dir);

  // All 1000 rows (the training part and more of the same): no significant drift anywhere.
  LEPTON_ASSERT_OK_AND_ASSIGN(Predictions p, model.Predict(German()));
  LEPTON_ASSERT_OK_AND_ASSIGN(Json same, CompareToReference(reference, German(), p.scores));
  EXPECT_EQ(same["rows"], 1000);
  for (auto it = same["columns"].begin(); it != same["columns"].end(); ++it) {
    EXPECT_LT((*it)["psi"].get<double>(), 0.1) << it.key();
  }
  EXPECT_LT(same["score"]["psi"].get<double>(), 0.1);

  // Longer loans for everyone: duration drifts significantly, and so does the score.
  lake::RecordBatch shifted = German();
  const int at = shifted.schema().Find("duration");
  ASSERT_GE(at, 0);
  lake::Column longer(shifted.column(static_cast<size_t>(at)).type());
  for (int64_t r = 0; r < shifted.num_rows(); ++r) {
    const lake::Column& c = shifted.column(static_cast<size_t>(at));
    if (c.type() == lake::DataType::kInt64) longer.AppendInt64(c.ValueAt<int64_t>(r) * 3);
    else longer.AppendInt32(c.ValueAt<int32_t>(r) * 3);
  }
  shifted.mutable_column(static_cast<size_t>(at)) = std::move(longer);
  LEPTON_ASSERT_OK_AND_ASSIGN(Predictions q, model.Predict(shifted));
  LEPTON_ASSERT_OK_AND_ASSIGN(Json drifted, CompareToReference(reference, shifted, q.scores));
  EXPECT_EQ(drifted["columns"]["duration"]["level"], "significant");
  EXPECT_LT(drifted["columns"]["duration"]["ks_p_value"].get<double>(), 1e-6);
  EXPECT_EQ(drifted["columns"]["purpose"]["psi"], same["columns"]["purpose"]["psi"]);  // untouched
  EXPECT_GT(drifted["score"]["psi"].get<double>(), same["score"]["psi"].get<double>());

  EXPECT_THAT(CompareToReference(reference, German().Slice(0, 0), {}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CompareToReference(Json::object(), German(), {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lepton::train
