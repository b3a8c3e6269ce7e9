#pragma once
// Request and response codecs of the inference endpoints: the Open Inference Protocol (KServe
// V2) REST format and MLflow's /invocations formats, to and from `lake::RecordBatch` typed by a
// model's input signature. Pure functions (no I/O), shared by the REST routes and the tests.
//
// OIP inputs, either
//   - one tensor per signature column, named after it: shape [n] or [n, 1]; BYTES for string,
//     date and timestamp columns (dates "YYYY-MM-DD", times RFC 3339), BOOL for bools, any
//     numeric datatype (INT8…INT64, UINT8…UINT64, FP16 as numbers, FP32, FP64) for numbers;
//     `null` elements are missing values; or
//   - exactly one 2-D numeric tensor [n, k], any name, whose k columns are the signature's
//     columns in order (all of them numeric).
// `data` may be flat or nested (row-major); its element count must equal the shape's product.
//
// OIP outputs (all by default; `outputs: [{"name": …}]` picks):
//   score          FP64 [n] — P(positive class) for binary, the value for regression — or
//                  [n, C] class probabilities for multiclass (parameters.classes names them)
//   label          BYTES [n] (classification)
//   credit_score   FP64 [n] (scorecards)
//   contributions  FP64 [n, k+1] per input column in log-odds plus the bias (parameters.columns);
//                  only when the request's parameters say "contributions": true
//   points         FP64 [n, k] scorecard points per input column (parameters.columns,
//                  parameters.base_points); with "contributions": true on scorecards

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/lake/column.h"
#include "lepton/train/explain.h"
#include "lepton/train/model.h"

namespace lepton::serving {

struct InferRequest {
  std::optional<std::string> id;       // echoed in the response when given
  lake::RecordBatch rows;
  std::vector<std::string> outputs;    // requested output names; empty: the defaults
  bool contributions = false;          // parameters.contributions
};

// InvalidArgument naming the problem (`inputs[2] ("duration"): expected …`).
absl::StatusOr<InferRequest> DecodeInferRequest(const Json& body, const std::vector<lake::Field>& signature);

// The fast path for the common request — one tensor per column, plain ASCII strings, integer
// and decimal numbers — decoded straight from the body text without a JSON document (the
// document and DecodeInferRequest cost more than the model on a single-row request). It never
// reports errors: anything it does not handle, or any request that is not valid, gives nullopt,
// and the caller decodes the same body with ParseJson + DecodeInferRequest, which accepts or
// names the problem. Where both succeed they give the same request (tested).
//
// Two steps, because the request id picks the version (canary routing) whose signature then
// types the rows. The document points into `body`, which must outlive it.
struct FastInferDocument {
  struct Value {
    enum Kind : uint8_t { kNull, kBool, kInt, kUnsigned, kDouble, kString } kind = kNull;
    bool b = false;
    int64_t i = 0;
    uint64_t u = 0;
    double d = 0;
    std::string_view s;
  };
  // A tensor's data is `values[data_begin, data_begin + data_size)`: one vector for the whole
  // request, so that a 20-column request costs two allocations, not two per column.
  struct Tensor {
    static constexpr int kMaxDims = 4;  // more: give up (the full parser decides)
    std::string_view name, datatype;
    std::array<int64_t, kMaxDims> shape{};
    int ndim = 0;
    size_t data_begin = 0, data_size = 0;
  };
  std::optional<std::string> id;
  std::vector<std::string> outputs;
  bool contributions = false;
  std::vector<Tensor> inputs;
  std::vector<Value> values;  // every tensor's data, row-major, nesting flattened

  std::span<const Value> data(const Tensor& t) const { return {values.data() + t.data_begin, t.data_size}; }
};
// Parses `body` into `*doc` (cleared first; its buffers are reused, so a caller that keeps one
// document per thread allocates nothing after the first requests). False: not the common shape.
bool ParseInferRequestFast(std::string_view body, FastInferDocument* doc);
std::optional<InferRequest> DecodeInferRequestFast(const FastInferDocument& doc,
                                                   const std::vector<lake::Field>& signature);

// True for the OIP numeric datatypes (INT8…INT64, UINT8…UINT64, FP16, FP32, FP64).
bool IsNumericOipDatatype(std::string_view datatype);

// The names of the outputs `model` can give, for metadata and for checking requests.
std::vector<std::string> OutputNames(const train::Model& model);

// The response body (JSON text) for `request` against `model` (predictions `p`; `explanations` when the request
// asked for contributions, else null). InvalidArgument for an unknown requested output.
absl::StatusOr<std::string> EncodeInferResponse(std::string_view model_name, int64_t version, const train::Model& model,
                                         const InferRequest& request, const train::Predictions& p,
                                         const std::vector<train::RowExplanation>* explanations);

// $metadata_model_response: name, versions, platform ("lepton_<flavor>"), inputs (one tensor
// per signature column) and outputs.
Json ModelMetadata(std::string_view name, int64_t version, const train::Model& model);

// MLflow scoring-server bodies → a JSON array of row objects for train::RowsFromJson:
// {"dataframe_split": {"columns": [...], "data": [[...], ...]}}, {"dataframe_records": [{...}]},
// {"instances": [{...}] or [[...]]}, {"inputs": [{...}] or [[...]] or {"col": [values...]}}.
// Positional rows take the signature's column order. InvalidArgument naming the field.
absl::StatusOr<Json> MlflowRows(const Json& body, const std::vector<lake::Field>& signature);

}  // namespace lepton::serving
