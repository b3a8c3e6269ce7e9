#include "lepton/serving/oip.h"

#include <algorithm>
#include <map>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"
#include "lepton/train/json_rows.h"

namespace lepton::serving {
namespace {

absl::Status Invalid(std::string m) { return absl::InvalidArgumentError(std::move(m)); }

bool IsNumericType(lake::DataType t) {
  return t == lake::DataType::kInt32 || t == lake::DataType::kInt64 || t == lake::DataType::kFloat ||
         t == lake::DataType::kDouble;
}

// The datatypes a column of type `t` accepts.
bool Accepts(lake::DataType t, std::string_view datatype) {
  switch (t) {
    case lake::DataType::kBool: return datatype == "BOOL";
    case lake::DataType::kString: return datatype == "BYTES";
    case lake::DataType::kDate:
    case lake::DataType::kTimestamp: return datatype == "BYTES" || IsNumericOipDatatype(datatype);
    default: return IsNumericOipDatatype(datatype);
  }
}

std::string DatatypeOf(lake::DataType t) {
  switch (t) {
    case lake::DataType::kBool: return "BOOL";
    case lake::DataType::kInt32: return "INT32";
    case lake::DataType::kInt64: return "INT64";
    case lake::DataType::kFloat: return "FP32";
    case lake::DataType::kDouble: return "FP64";
    default: return "BYTES";
  }
}

// Row-major elements of possibly nested `data`.
void Flatten(const Json& data, std::vector<const Json*>& out) {
  if (data.is_array()) {
    for (const Json& e : data) Flatten(e, out);
  } else {
    out.push_back(&data);
  }
}

absl::StatusOr<std::vector<int64_t>> Shape(const Json& t, const std::string& where) {
  if (!t.contains("shape") || !t["shape"].is_array() || t["shape"].empty()) {
    return Invalid(StrCat(where, ".shape: expected a non-empty array of dimensions"));
  }
  std::vector<int64_t> shape;
  for (const Json& d : t["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) return Invalid(StrCat(where, ".shape: expected non-negative integers"));
    shape.push_back(d.get<int64_t>());
  }
  return shape;
}

}  // namespace

bool IsNumericOipDatatype(std::string_view d) {
  return d == "FP64" || d == "FP32" || d == "INT64" || d == "INT32" || d == "INT16" || d == "INT8" || d == "UINT64" ||
         d == "UINT32" || d == "UINT16" || d == "UINT8" || d == "FP16";
}

absl::StatusOr<InferRequest> DecodeInferRequest(const Json& body, const std::vector<lake::Field>& signature) {
  if (!body.is_object()) return Invalid("body: expected an inference request object");
  InferRequest req;
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() != "id" && it.key() != "inputs" && it.key() != "outputs" && it.key() != "parameters") {
      return Invalid(StrCat(it.key(), ": unknown field (expected id, inputs, outputs, parameters)"));
    }
  }
  if (body.contains("id")) {
    if (!body["id"].is_string()) return Invalid("id: expected a string");
    req.id = body["id"].get<std::string>();
  }
  if (body.contains("parameters")) {
    const Json& p = body["parameters"];
    if (!p.is_object()) return Invalid("parameters: expected an object");
    if (p.contains("contributions")) {
      if (!p["contributions"].is_boolean()) return Invalid("parameters.contributions: expected true or false");
      req.contributions = p["contributions"].get<bool>();
    }
  }
  if (body.contains("outputs")) {
    if (!body["outputs"].is_array()) return Invalid("outputs: expected an array of {\"name\"}");
    for (size_t i = 0; i < body["outputs"].size(); ++i) {
      const Json& o = body["outputs"][i];
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) {
        return Invalid(StrCat("outputs[", i, "]: expected {\"name\": string}"));
      }
      req.outputs.push_back(o["name"].get<std::string>());
    }
  }
  if (!body.contains("inputs") || !body["inputs"].is_array() || body["inputs"].empty()) {
    return Invalid("inputs: required, a non-empty array of tensors");
  }
  const Json& inputs = body["inputs"];
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Json& t = inputs[i];
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string() || !t.contains("datatype") ||
        !t["datatype"].is_string() || !t.contains("data")) {
      return Invalid(StrCat("inputs[", i, "]: expected {\"name\", \"shape\", \"datatype\", \"data\"}"));
    }
  }
  req.rows = lake::RecordBatch(lake::Schema(signature));
  std::vector<const Json*> values;

  // One 2-D tensor holding every column.
  if (inputs.size() == 1 && signature.size() > 1 &&
      std::none_of(signature.begin(), signature.end(),
                   [&](const lake::Field& f) { return f.name == inputs[0]["name"].get<std::string>(); })) {
    const Json& t = inputs[0];
    const std::string where = StrCat("inputs[0] (\"", t["name"].get<std::string>(), "\")");
    LEPTON_ASSIGN_OR_RETURN(std::vector<int64_t> shape, Shape(t, where));
    const std::string datatype = t["datatype"].get<std::string>();
    if (shape.size() != 2 || shape[1] != static_cast<int64_t>(signature.size())) {
      return Invalid(StrCat(where, ": a single tensor must have shape [rows, ", signature.size(),
                            "] (the model's inputs in order), or send one tensor per input column"));
    }
    if (!IsNumericOipDatatype(datatype)) return Invalid(StrCat(where, ".datatype: expected a numeric datatype, got ", datatype));
    for (const lake::Field& f : signature) {
      if (!IsNumericType(f.type) && f.type != lake::DataType::kBool) {
        return Invalid(StrCat(where, ": the model's input \"", f.name, "\" is ", lake::DataTypeName(f.type),
                              "; send one tensor per input column"));
      }
    }
    Flatten(t["data"], values);
    if (static_cast<int64_t>(values.size()) != shape[0] * shape[1]) {
      return Invalid(StrCat(where, ".data: ", values.size(), " elements for shape [", shape[0], ", ", shape[1], "]"));
    }
    const size_t k = signature.size();
    for (int64_t r = 0; r < shape[0]; ++r) {
      for (size_t c = 0; c < k; ++c) {
        const Json& v = *values[static_cast<size_t>(r) * k + c];
        Json as_bool;
        const Json* use = &v;
        if (signature[c].type == lake::DataType::kBool && v.is_number()) {
          as_bool = v.get<double>() != 0;
          use = &as_bool;
        }
        if (absl::Status bad = train::AppendJsonValue(signature[c], *use, req.rows.mutable_column(c), ""); !bad.ok()) {
          return Invalid(StrCat(where, ".data[", r, "][", c, "] (", signature[c].name, ")", bad.message()));
        }
      }
    }
    return req;
  }

  // One tensor per column.
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = inputs[i]["name"].get<std::string>();
    if (!by_name.emplace(name, i).second) return Invalid(StrCat("inputs[", i, "]: \"", name, "\" given twice"));
  }
  for (const auto& [name, i] : by_name) {
    if (std::none_of(signature.begin(), signature.end(), [&](const lake::Field& f) { return f.name == name; })) {
      std::vector<std::string> names;
      for (const lake::Field& f : signature) names.push_back(f.name);
      return Invalid(StrCat("inputs[", i, "]: the model has no input \"", name, "\" (inputs: ", StrJoin(names, ", "), ")"));
    }
  }
  int64_t rows = -1;
  for (size_t c = 0; c < signature.size(); ++c) {
    const lake::Field& f = signature[c];
    auto found = by_name.find(f.name);
    if (found == by_name.end()) return Invalid(StrCat("inputs: the model's input \"", f.name, "\" is missing"));
    const Json& t = inputs[found->second];
    // Built only for an error: this loop runs for every column of every request.
    const auto where = [&] { return StrCat("inputs[", found->second, "] (\"", f.name, "\")"); };
    absl::StatusOr<std::vector<int64_t>> shape_or = Shape(t, "");
    if (!shape_or.ok()) return Invalid(StrCat(where(), shape_or.status().message()));
    const std::vector<int64_t>& shape = *shape_or;
    if (shape.size() > 2 || (shape.size() == 2 && shape[1] != 1)) {
      return Invalid(StrCat(where(), ".shape: expected [rows] or [rows, 1] for one column"));
    }
    const std::string datatype = t["datatype"].get<std::string>();
    if (!Accepts(f.type, datatype)) {
      return Invalid(StrCat(where(), ".datatype: ", datatype, " does not fit the ", lake::DataTypeName(f.type),
                            " input (send ", DatatypeOf(f.type), ")"));
    }
    if (rows >= 0 && shape[0] != rows) {
      return Invalid(StrCat(where(), ".shape: ", shape[0], " rows, but the other inputs have ", rows));
    }
    rows = shape[0];
    values.clear();
    Flatten(t["data"], values);
    if (static_cast<int64_t>(values.size()) != rows) {
      return Invalid(StrCat(where(), ".data: ", values.size(), " elements for ", rows, " rows"));
    }
    lake::Column& col = req.rows.mutable_column(c);
    for (int64_t r = 0; r < rows; ++r) {
      if (absl::Status bad = train::AppendJsonValue(f, *values[static_cast<size_t>(r)], col, ""); !bad.ok()) {
        return Invalid(StrCat(where(), ".data[", r, "]", bad.message()));
      }
    }
  }
  return req;
}

std::vector<std::string> OutputNames(const train::Model& model) {
  std::vector<std::string> out = {"score"};
  if (model.task() != ml::Task::kRegression) out.push_back("label");
  if (model.scorecard()) out.push_back("credit_score");
  out.push_back("contributions");
  if (model.scorecard()) out.push_back("points");
  return out;
}

absl::StatusOr<std::string> EncodeInferResponse(std::string_view model_name, int64_t version, const train::Model& model,
                                         const InferRequest& request, const train::Predictions& p,
                                         const std::vector<train::RowExplanation>* explanations) {
  const std::vector<std::string> known = OutputNames(model);
  for (const std::string& o : request.outputs) {
    if (std::find(known.begin(), known.end(), o) == known.end()) {
      return Invalid(StrCat("outputs: the model has no output \"", o, "\" (outputs: ", StrJoin(known, ", "), ")"));
    }
  }
  auto wanted = [&](std::string_view name) {
    if (name == "contributions" || name == "points") {
      return explanations != nullptr &&
             (request.outputs.empty() || std::find(request.outputs.begin(), request.outputs.end(), name) != request.outputs.end());
    }
    return request.outputs.empty() || std::find(request.outputs.begin(), request.outputs.end(), name) != request.outputs.end();
  };
  // The rows answered (the request's rows may have moved on to a batch).
  const int64_t n = static_cast<int64_t>(p.scores.size()) /
                    (model.task() == ml::Task::kMulticlass ? std::max(p.num_classes, 1) : 1);
  // Written as text (the response of every request): numbers shortest-exact, strings escaped.
  std::string out = "{\"model_name\":";
  AppendJsonString(model_name, &out);
  out += ",\"model_version\":\"";
  AppendJsonNumber(version, &out);
  out += "\"";
  if (request.id) {
    out += ",\"id\":";
    AppendJsonString(*request.id, &out);
  }
  out += ",\"outputs\":[";
  bool first = true;
  auto begin = [&](std::string_view name, std::string_view datatype) {
    if (!first) out += ',';
    first = false;
    out += "{\"name\":\"";
    out += name;
    out += "\",\"datatype\":\"";
    out += datatype;
    out += "\",\"shape\":[";
    AppendJsonNumber(n, &out);
  };
  auto numbers = [&](const std::vector<double>& v) {
    out += ",\"data\":[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonNumber(v[i], &out);
    }
    out += "]}";
  };
  if (wanted("score")) {
    begin("score", "FP64");
    if (model.task() == ml::Task::kMulticlass) {
      out += ',';
      AppendJsonNumber(int64_t{p.num_classes}, &out);
      out += "],\"parameters\":{\"classes\":";
      AppendJsonString(StrJoin(model.classes(), ","), &out);
      out += "}";
    } else {
      out += "]";
    }
    numbers(p.scores);
  }
  if (model.task() != ml::Task::kRegression && wanted("label")) {
    begin("label", "BYTES");
    out += "],\"data\":[";
    for (size_t i = 0; i < p.labels.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(p.labels[i], &out);
    }
    out += "]}";
  }
  if (model.scorecard() && wanted("credit_score")) {
    begin("credit_score", "FP64");
    out += "]";
    numbers(p.credit_scores);
  }
  // Explanations are rarer and larger: built as documents.
  Json extra = Json::array();
  if (explanations != nullptr) {
    const std::vector<lake::Field>& sig = model.pipeline().input_signature();
    std::vector<std::string> columns;
    for (const lake::Field& f : sig) columns.push_back(f.name);
    if (wanted("contributions")) {
      Json data = Json::array();
      for (const train::RowExplanation& e : *explanations) {
        std::map<std::string, double> by;
        for (const auto& [c, v] : e.contributions) by[c] = v;
        for (const std::string& c : columns) data.push_back(by.count(c) ? by[c] : 0.0);
        data.push_back(e.base);
      }
      std::vector<std::string> named = columns;
      named.push_back("bias");
      extra.push_back({{"name", "contributions"}, {"datatype", "FP64"},
                         {"shape", {n, static_cast<int64_t>(columns.size()) + 1}}, {"data", data},
                         {"parameters", {{"columns", StrJoin(named, ",")}, {"unit", "log-odds"}}}});
    }
    if (model.scorecard() && wanted("points")) {
      Json data = Json::array();
      double base = 0;
      for (const train::RowExplanation& e : *explanations) {
        std::map<std::string, double> by;
        for (const auto& [c, v] : e.points) by[c] = v;
        for (const std::string& c : columns) data.push_back(by.count(c) ? by[c] : 0.0);
        base = e.base_points.value_or(0);
      }
      extra.push_back({{"name", "points"}, {"datatype", "FP64"}, {"shape", {n, static_cast<int64_t>(columns.size())}},
                         {"data", data}, {"parameters", {{"columns", StrJoin(columns, ",")}, {"base_points", base}}}});
    }
  }
  for (const Json& e : extra) {
    if (!first) out += ',';
    first = false;
    out += DumpJson(e);
  }
  out += "]}";
  return out;
}

Json ModelMetadata(std::string_view name, int64_t version, const train::Model& model) {
  Json inputs = Json::array();
  for (const lake::Field& f : model.pipeline().input_signature()) {
    inputs.push_back({{"name", f.name}, {"datatype", DatatypeOf(f.type)}, {"shape", {-1}}});
  }
  Json outputs = Json::array();
  const int64_t k = static_cast<int64_t>(model.pipeline().input_signature().size());
  for (const std::string& o : OutputNames(model)) {
    Json t = {{"name", o}};
    if (o == "label") {
      t["datatype"] = "BYTES";
      t["shape"] = {-1};
    } else if (o == "score" && model.task() == ml::Task::kMulticlass) {
      t["datatype"] = "FP64";
      t["shape"] = {-1, static_cast<int64_t>(model.classes().size())};
    } else if (o == "contributions") {
      t["datatype"] = "FP64";
      t["shape"] = {-1, k + 1};
    } else if (o == "points") {
      t["datatype"] = "FP64";
      t["shape"] = {-1, k};
    } else {
      t["datatype"] = "FP64";
      t["shape"] = {-1};
    }
    outputs.push_back(std::move(t));
  }
  return {{"name", name},
          {"versions", {StrCat(version)}},
          {"platform", StrCat("lepton_", model.flavor())},
          {"inputs", std::move(inputs)},
          {"outputs", std::move(outputs)},
          {"parameters", {{"task", ml::TaskName(model.task())}, {"classes", StrJoin(model.classes(), ",")},
                          {"threshold", model.threshold()}}}};
}

absl::StatusOr<Json> MlflowRows(const Json& body, const std::vector<lake::Field>& signature) {
  if (!body.is_object() || body.size() != 1) {
    return Invalid("body: expected exactly one of dataframe_split, dataframe_records, instances, inputs");
  }
  const std::string key = body.begin().key();
  const Json& v = *body.begin();
  auto positional = [&](const Json& row, const std::string& where, const std::vector<std::string>& columns) -> absl::StatusOr<Json> {
    if (!row.is_array()) return Invalid(StrCat(where, ": expected an array of values"));
    if (row.size() != columns.size()) {
      return Invalid(StrCat(where, ": ", row.size(), " values for ", columns.size(), " columns"));
    }
    Json obj = Json::object();
    for (size_t c = 0; c < columns.size(); ++c) obj[columns[c]] = row[c];
    return obj;
  };
  std::vector<std::string> signature_columns;
  for (const lake::Field& f : signature) signature_columns.push_back(f.name);
  Json rows = Json::array();
  if (key == "dataframe_split") {
    if (!v.is_object() || !v.contains("data") || !v["data"].is_array()) {
      return Invalid("dataframe_split: expected {\"columns\": [...], \"data\": [[...], ...]}");
    }
    std::vector<std::string> columns = signature_columns;
    if (v.contains("columns")) {
      if (!v["columns"].is_array() || !std::all_of(v["columns"].begin(), v["columns"].end(), [](const Json& c) { return c.is_string(); })) {
        return Invalid("dataframe_split.columns: expected an array of strings");
      }
      columns = v["columns"].get<std::vector<std::string>>();
    }
    for (size_t r = 0; r < v["data"].size(); ++r) {
      LEPTON_ASSIGN_OR_RETURN(Json obj, positional(v["data"][r], StrCat("dataframe_split.data[", r, "]"), columns));
      rows.push_back(std::move(obj));
    }
  } else if (key == "dataframe_records" || key == "instances" || key == "inputs") {
    if (v.is_object() && key == "inputs") {
      // Columnar: {"col": [values...], ...}.
      size_t n = 0;
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!it->is_array()) return Invalid(StrCat("inputs.", it.key(), ": expected an array of values"));
        if (!first && it->size() != n) return Invalid(StrCat("inputs.", it.key(), ": ", it->size(), " values, other columns have ", n));
        n = it->size();
        first = false;
      }
      for (size_t r = 0; r < n; ++r) {
        Json obj = Json::object();
        for (auto it = v.begin(); it != v.end(); ++it) obj[it.key()] = (*it)[r];
        rows.push_back(std::move(obj));
      }
    } else {
      if (!v.is_array()) return Invalid(StrCat(key, ": expected an array of rows"));
      for (size_t r = 0; r < v.size(); ++r) {
        if (v[r].is_object()) {
          rows.push_back(v[r]);
        } else if (key != "dataframe_records") {
          LEPTON_ASSIGN_OR_RETURN(Json obj, positional(v[r], StrCat(key, "[", r, "]"), signature_columns));
          rows.push_back(std::move(obj));
        } else {
          return Invalid(StrCat("dataframe_records[", r, "]: expected an object of column values"));
        }
      }
    }
  } else {
    return Invalid(StrCat(key, ": unknown format (expected dataframe_split, dataframe_records, instances, inputs)"));
  }
  if (rows.empty()) return Invalid(StrCat(key, ": no rows"));
  return rows;
}

}  // namespace lepton::serving
