// The inference codecs: OIP tensors (one per column, or one 2-D tensor) and MLflow bodies into
// typed rows, responses with the protocol's shapes, and a clear 400 for every malformed body.

#include "lepton/serving/oip.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"
#include "lepton/train/json_rows.h"
#include "lepton/train/model_builder.h"

namespace lepton::serving {
namespace {

using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

const std::vector<lake::Field>& Signature() {
  static const auto* s = new std::vector<lake::Field>{{"age", lake::DataType::kInt64},
                                                      {"income", lake::DataType::kDouble},
                                                      {"purpose", lake::DataType::kString}};
  return *s;
}

TEST(OipDecodeTest, OneTensorPerColumnFlatOrNestedWithNulls) {
  const Json body = Json::parse(R"({"id": "42", "parameters": {"contributions": true}, "outputs": [{"name": "score"}],
    "inputs": [
      {"name": "purpose", "shape": [2], "datatype": "BYTES", "data": ["car", null]},
      {"name": "age", "shape": [2, 1], "datatype": "INT64", "data": [[35], [52]]},
      {"name": "income", "shape": [2], "datatype": "FP32", "data": [1200.5, 800]}]})");
  LEPTON_ASSERT_OK_AND_ASSIGN(InferRequest r, DecodeInferRequest(body, Signature()));
  EXPECT_EQ(r.id, "42");
  EXPECT_TRUE(r.contributions);
  EXPECT_EQ(r.outputs, std::vector<std::string>{"score"});
  ASSERT_EQ(r.rows.num_rows(), 2);
  EXPECT_EQ(r.rows.column(0).ValueAt<int64_t>(1), 52);
  EXPECT_EQ(r.rows.column(1).ValueAt<double>(0), 1200.5);
  EXPECT_EQ(r.rows.column(2).StringAt(0), "car");
  EXPECT_TRUE(r.rows.column(2).IsNull(1));
}

// The fast decoder either gives exactly what the full path gives, or gives up.
const std::vector<lake::Field>& WideSignature() {
  static const auto* s = new std::vector<lake::Field>{
      {"age", lake::DataType::kInt64},  {"n32", lake::DataType::kInt32},   {"income", lake::DataType::kDouble},
      {"f", lake::DataType::kFloat},    {"flag", lake::DataType::kBool},   {"purpose", lake::DataType::kString},
      {"day", lake::DataType::kDate}};
  return *s;
}

// Decodes `text` both ways; the fast way must give up or agree (rows compared as JSON).
// Returns whether the fast path took it. One document serves every call, as one per thread
// serves every request in the server: nothing of an earlier (or abandoned) parse may leak.
bool FastAgrees(std::string_view text, const std::vector<lake::Field>& signature) {
  std::optional<InferRequest> fast;
  static FastInferDocument doc;
  if (ParseInferRequestFast(text, &doc)) fast = DecodeInferRequestFast(doc, signature);
  if (!fast) return false;
  auto body = ParseJson(text);
  EXPECT_TRUE(body.ok()) << "fast accepted what the parser refuses: " << text;
  if (!body.ok()) return true;
  auto slow = DecodeInferRequest(*body, signature);
  EXPECT_TRUE(slow.ok()) << "fast accepted what the decoder refuses: " << text << " — " << slow.status();
  if (!slow.ok()) return true;
  EXPECT_EQ(fast->id, slow->id) << text;
  EXPECT_EQ(fast->outputs, slow->outputs) << text;
  EXPECT_EQ(fast->contributions, slow->contributions) << text;
  EXPECT_EQ(fast->rows.num_rows(), slow->rows.num_rows()) << text;
  for (int64_t r = 0; r < std::min(fast->rows.num_rows(), slow->rows.num_rows()); ++r) {
    EXPECT_EQ(train::RowToJson(fast->rows, r).dump(), train::RowToJson(slow->rows, r).dump()) << text;
  }
  return true;
}

TEST(OipFastDecodeTest, AgreesWithTheFullPathOrGivesUp) {
  const std::string good = R"({"id": "a-1", "parameters": {"contributions": false}, "outputs": [{"name": "score"}],
    "inputs": [
      {"name": "age", "shape": [3], "datatype": "INT64", "data": [35, -7, null]},
      {"name": "n32", "shape": [3, 1], "datatype": "INT32", "data": [[1], [2147483647], [-2147483648]]},
      {"name": "income", "shape": [3], "datatype": "FP64", "data": [1200.5, 800, -2.5e-300]},
      {"name": "f", "shape": [3], "datatype": "FP32", "data": [0.1, 16777217, 1e10]},
      {"name": "flag", "shape": [3], "datatype": "BOOL", "data": [true, false, null]},
      {"name": "purpose", "shape": [3], "datatype": "BYTES", "data": ["car", "", null]},
      {"name": "day", "shape": [3], "datatype": "INT32", "data": [19782, 0, null]}]})";
  // Dates are the full path's (the fast one gives up on them), so drop that column for the check
  // that the fast path takes the common case.
  std::vector<lake::Field> no_date(WideSignature().begin(), WideSignature().end() - 1);
  std::string without_day = good;
  without_day.erase(without_day.find(",\n      {\"name\": \"day\""), std::string::npos);
  without_day += "]}";
  EXPECT_TRUE(FastAgrees(without_day, no_date));
  EXPECT_FALSE(FastAgrees(good, WideSignature()));  // the date column

  // Cases it leaves to the full path (valid or not); FastAgrees checks nothing slips through.
  for (std::string_view text : {
           R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1.0]}]})",      // integral double
           R"({"inputs": [{"name": "purpose", "shape": [1], "datatype": "BYTES", "data": ["a\"b"]}]})",  // escape
           R"({"inputs": [{"name": "purpose", "shape": [1], "datatype": "BYTES", "data": ["ü"]}]})",     // non-ASCII
           R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1], "parameters": {}}]})",
           R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]}], "extra": 1})",
           R"({"id": 5, "inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]}]})",
           R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]}]} trailing)",
           R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [01]}]})",
           R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [18446744073709551616]}]})",
           R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1e999]}]})",
           R"({"inputs": []})", R"({})", R"([])", R"()"}) {
    EXPECT_FALSE(FastAgrees(text, {{"age", lake::DataType::kInt64}})) << text;
    EXPECT_FALSE(FastAgrees(text, {{"purpose", lake::DataType::kString}})) << text;
  }
  // Wrong shapes, types and names: refused by the full path, so the fast one must give up too.
  for (std::string_view text : {
           R"({"inputs": [{"name": "age", "shape": [2], "datatype": "INT64", "data": [1]}]})",
           R"({"inputs": [{"name": "age", "shape": [1], "datatype": "BYTES", "data": ["1"]}]})",
           R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": ["1"]}]})",
           R"({"inputs": [{"name": "age", "shape": [1, 2], "datatype": "INT64", "data": [1, 2]}]})",
           R"({"inputs": [{"name": "age", "shape": [1, 1, 1], "datatype": "INT64", "data": [[[1]]]}]})",
           R"({"inputs": [{"name": "age", "shape": [1, 1, 1, 1, 1], "datatype": "INT64", "data": [1]}]})",
           R"({"inputs": [{"name": "other", "shape": [1], "datatype": "INT64", "data": [1]}]})",
           R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]},
                          {"name": "age", "shape": [1], "datatype": "INT64", "data": [1]}]})"}) {
    EXPECT_FALSE(FastAgrees(text, {{"age", lake::DataType::kInt64}})) << text;
  }

  // Random damage to the good body: whenever the fast path still takes it, the full path agrees.
  std::mt19937_64 rng(7);
  const std::string alphabet = "{}[]:,\"0123456789-.eE ntrufalsINT64BYTESdatashapename\\";
  int taken = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string text = without_day;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
      const size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.erase(at, 1); break;
        default: text.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    taken += FastAgrees(text, no_date);
  }
  EXPECT_GT(taken, 0);  // some damage (whitespace, digits) leaves a valid request
}

TEST(OipDecodeTest, OneTwoDimensionalTensorForNumericModels) {
  const std::vector<lake::Field> numeric = {{"a", lake::DataType::kDouble}, {"b", lake::DataType::kInt32},
                                            {"c", lake::DataType::kBool}};
  const Json body = Json::parse(R"({"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP64",
                                   "data": [[0.5, 3, 1], [1.5, 4, 0]]}]})");
  LEPTON_ASSERT_OK_AND_ASSIGN(InferRequest r, DecodeInferRequest(body, numeric));
  ASSERT_EQ(r.rows.num_rows(), 2);
  EXPECT_EQ(r.rows.column(0).ValueAt<double>(1), 1.5);
  EXPECT_EQ(r.rows.column(1).ValueAt<int32_t>(0), 3);
  EXPECT_EQ(r.rows.column(2).ValueAt<uint8_t>(0), 1);
  EXPECT_EQ(r.rows.column(2).ValueAt<uint8_t>(1), 0);
  // A string input cannot come through one numeric tensor.
  const Json mixed = Json::parse(R"({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}]})");
  EXPECT_THAT(DecodeInferRequest(mixed, Signature()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"purpose\" is string; send one tensor per input column")));
}

TEST(OipDecodeTest, MalformedRequestsNameTheProblem) {
  struct Case {
    const char* body;
    const char* want;
  };
  for (const Case& c : std::vector<Case>{
           {R"([1])", "body: expected an inference request object"},
           {R"({"inputs": []})", "inputs: required"},
           {R"({"inputs": [{"name": "age"}]})", "inputs[0]: expected {\"name\", \"shape\", \"datatype\", \"data\"}"},
           {R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]}]})", "the model's input \"income\" is missing"},
           {R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]},
                           {"name": "income", "shape": [1], "datatype": "FP64", "data": [1]},
                           {"name": "purpose", "shape": [1], "datatype": "FP64", "data": [1]}]})",
            "inputs[2] (\"purpose\").datatype: FP64 does not fit the string input (send BYTES)"},
           {R"({"inputs": [{"name": "age", "shape": [2], "datatype": "INT64", "data": [1]},
                           {"name": "income", "shape": [2], "datatype": "FP64", "data": [1, 2]},
                           {"name": "purpose", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]}]})",
            "inputs[0] (\"age\").data: 1 elements for 2 rows"},
           {R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": ["x"]},
                           {"name": "income", "shape": [1], "datatype": "FP64", "data": [1]},
                           {"name": "purpose", "shape": [1], "datatype": "BYTES", "data": ["a"]}]})",
            "inputs[0] (\"age\").data[0]: expected an integer, got \"x\""},
           {R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]},
                           {"name": "income", "shape": [2], "datatype": "FP64", "data": [1, 2]},
                           {"name": "purpose", "shape": [1], "datatype": "BYTES", "data": ["a"]}]})",
            "but the other inputs have 1"},
           {R"({"inputs": [{"name": "zip", "shape": [1], "datatype": "INT64", "data": [1]},
                           {"name": "age", "shape": [1], "datatype": "INT64", "data": [1]}]})",
            "the model has no input \"zip\""},
           {R"({"inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]}], "idd": 1})", "idd: unknown field"},
           {R"({"id": 7, "inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [1]}]})", "id: expected a string"},
       }) {
    EXPECT_THAT(DecodeInferRequest(Json::parse(c.body), Signature()),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.want)))
        << c.body;
  }
}

TEST(OipDecodeTest, MlflowBodiesBecomeTheSameRows) {
  const Json want = Json::parse(R"([{"age": 35, "income": 1200.5, "purpose": "car"}, {"age": 52, "income": 800, "purpose": "tv"}])");
  for (const char* body : {
           R"({"dataframe_split": {"columns": ["purpose", "age", "income"], "data": [["car", 35, 1200.5], ["tv", 52, 800]]}})",
           R"({"dataframe_records": [{"age": 35, "income": 1200.5, "purpose": "car"}, {"age": 52, "income": 800, "purpose": "tv"}]})",
           R"({"instances": [[35, 1200.5, "car"], [52, 800, "tv"]]})",
           R"({"inputs": {"age": [35, 52], "income": [1200.5, 800], "purpose": ["car", "tv"]}})",
           R"({"inputs": [{"age": 35, "income": 1200.5, "purpose": "car"}, {"age": 52, "income": 800, "purpose": "tv"}]})"}) {
    LEPTON_ASSERT_OK_AND_ASSIGN(Json rows, MlflowRows(Json::parse(body), Signature()));
    EXPECT_EQ(rows, want) << body;
    EXPECT_OK(train::RowsFromJson(Signature(), rows).status());
  }
  EXPECT_THAT(MlflowRows(Json::parse(R"({"dataframe": []})"), Signature()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dataframe: unknown format")));
  EXPECT_THAT(MlflowRows(Json::parse(R"({"instances": [[1, 2]]})"), Signature()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("instances[0]: 2 values for 3 columns")));
  EXPECT_THAT(MlflowRows(Json::parse(R"({"instances": [], "inputs": []})"), Signature()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exactly one of")));
  EXPECT_THAT(MlflowRows(Json::parse(R"({"dataframe_records": []})"), Signature()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no rows")));
}

// A real model: metadata and responses with their shapes, contributions summing to the margin.
TEST(OipEncodeTest, ResponsesCarryScoresLabelsAndContributions) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  lake::RecordBatch data(lake::Schema({{"income", lake::DataType::kDouble}, {"region", lake::DataType::kString},
                                       {"label", lake::DataType::kString}}));
  for (int i = 0; i < 300; ++i) {
    const double x = normal(rng);
    data.mutable_column(0).AppendDouble(x);
    data.mutable_column(1).AppendString(i % 2 ? "north" : "south");
    data.mutable_column(2).AppendString(x + normal(rng) > 0.5 ? "bad" : "good");
  }
  auto config = train::ModelConfig::FromJson({{"dataset", {{"name", "test/x"}}},
                                              {"target", {{"column", "label"}, {"positive_class", "bad"}}},
                                              {"learner", {{"flavor", "logistic"}}},
                                              {"permutation_importance", false}, {"bootstrap", false}});
  ASSERT_OK(config.status());
  train::ModelBuilder builder(*config, {});
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Model model, builder.build_and_train(data));

  const Json meta = ModelMetadata("web", 3, model);
  EXPECT_EQ(meta["name"], "web");
  EXPECT_EQ(meta["versions"], Json({"3"}));
  EXPECT_EQ(meta["platform"], "lepton_logistic");
  EXPECT_EQ(meta["inputs"], Json::parse(R"([{"name": "income", "datatype": "FP64", "shape": [-1]},
                                            {"name": "region", "datatype": "BYTES", "shape": [-1]}])"));
  EXPECT_EQ(meta["outputs"][0]["name"], "score");

  const Json body = Json::parse(R"({"id": "r1", "parameters": {"contributions": true}, "inputs": [
      {"name": "income", "shape": [2], "datatype": "FP64", "data": [2.0, -1.0]},
      {"name": "region", "shape": [2], "datatype": "BYTES", "data": ["north", "south"]}]})");
  LEPTON_ASSERT_OK_AND_ASSIGN(InferRequest req, DecodeInferRequest(body, model.pipeline().input_signature()));
  LEPTON_ASSERT_OK_AND_ASSIGN(train::Predictions p, model.Predict(req.rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(auto explanations, train::ExplainRows(model, req.rows));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string text, EncodeInferResponse("web", 3, model, req, p, &explanations));
  LEPTON_ASSERT_OK_AND_ASSIGN(Json out, ParseJson(text));
  // Scores are written exactly.
  for (size_t r = 0; r < p.scores.size(); ++r) EXPECT_EQ(out["outputs"][0]["data"][r].get<double>(), p.scores[r]);
  EXPECT_EQ(out["model_name"], "web");
  EXPECT_EQ(out["model_version"], "3");
  EXPECT_EQ(out["id"], "r1");
  ASSERT_EQ(out["outputs"].size(), 3u);  // score, label, contributions
  EXPECT_EQ(out["outputs"][0]["shape"], Json({2}));
  EXPECT_GT(out["outputs"][0]["data"][0].get<double>(), out["outputs"][0]["data"][1].get<double>());
  EXPECT_EQ(out["outputs"][1]["data"][0], p.labels[0]);
  const Json& c = out["outputs"][2];
  EXPECT_EQ(c["shape"], Json({2, 3}));
  EXPECT_EQ(c["parameters"]["columns"], "income,region,bias");
  for (int r = 0; r < 2; ++r) {
    double margin = 0;
    for (int k = 0; k < 3; ++k) margin += c["data"][r * 3 + k].get<double>();
    const double score = p.scores[static_cast<size_t>(r)];
    EXPECT_NEAR(margin, std::log(score / (1 - score)), 1e-9);
  }
  // Picking outputs; an unknown one is a 400.
  req.outputs = {"label"};
  LEPTON_ASSERT_OK_AND_ASSIGN(text, EncodeInferResponse("web", 3, model, req, p, nullptr));
  LEPTON_ASSERT_OK_AND_ASSIGN(out, ParseJson(text));
  ASSERT_EQ(out["outputs"].size(), 1u);
  EXPECT_EQ(out["outputs"][0]["name"], "label");
  req.outputs = {"proba"};
  EXPECT_THAT(EncodeInferResponse("web", 3, model, req, p, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no output \"proba\"")));
}

}  // namespace
}  // namespace lepton::serving
