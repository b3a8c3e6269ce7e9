// The Open Inference Protocol request fast path (see oip.h): a small recursive-descent reader of
// exactly the JSON an OIP request uses, which gives up (nullopt) on anything else.

#include <algorithm>
#include <charconv>
#include <limits>

#include "lepton/serving/oip.h"

namespace lepton::serving {
namespace {

using Value = FastInferDocument::Value;

class Reader {
 public:
  explicit Reader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  char Peek() {
    SkipSpace();
    return p_ < end_ ? *p_ : '\0';
  }
  // A string of printable ASCII without escapes (anything else: give up, the full parser
  // decodes it).
  bool String(std::string_view* out) {
    if (!Consume('"')) return false;
    const char* start = p_;
    while (p_ < end_ && *p_ != '"') {
      const auto c = static_cast<unsigned char>(*p_);
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
      ++p_;
    }
    if (p_ == end_) return false;
    *out = std::string_view(start, static_cast<size_t>(p_ - start));
    ++p_;
    return true;
  }
  bool Literal(std::string_view word) {
    SkipSpace();
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }
  // A JSON number, as nlohmann reads it: integers without sign as unsigned, with '-' as signed,
  // others as double. Gives up on integers beyond 64 bits.
  bool Number(Value* v) {
    SkipSpace();
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && p_ + 1 < end_ && p_[1] >= '0' && p_[1] <= '9') return false;  // leading zero
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    bool integer = true;
    if (p_ < end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (integer && *start == '-') {
      v->kind = Value::kInt;
      return std::from_chars(start, p_, v->i).ec == std::errc();
    }
    if (integer) {
      v->kind = Value::kUnsigned;
      return std::from_chars(start, p_, v->u).ec == std::errc();
    }
    v->kind = Value::kDouble;
    const auto r = std::from_chars(start, p_, v->d);
    return r.ec == std::errc() && r.ptr == p_;
  }
  // A scalar element of `data`.
  bool Scalar(Value* v) {
    const char c = Peek();
    if (c == '"') {
      v->kind = Value::kString;
      return String(&v->s);
    }
    if (c == 'n') {
      v->kind = Value::kNull;
      return Literal("null");
    }
    if (c == 't' || c == 'f') {
      v->kind = Value::kBool;
      v->b = c == 't';
      return Literal(c == 't' ? "true" : "false");
    }
    return Number(v);
  }
  // `data`: a scalar array, possibly nested; flattened in row-major order.
  bool Data(std::vector<Value>* out, int depth = 0) {
    if (depth > 4 || !Consume('[')) return false;
    if (Consume(']')) return true;
    do {
      if (Peek() == '[') {
        if (!Data(out, depth + 1)) return false;
      } else {
        Value v;
        if (!Scalar(&v)) return false;
        out->push_back(v);
      }
    } while (Consume(','));
    return Consume(']');
  }
  bool Shape(FastInferDocument::Tensor* t) {
    if (!Consume('[')) return false;
    if (Consume(']')) return false;  // the full parser names an empty shape
    do {
      Value v;
      if (!Number(&v) || v.kind != Value::kUnsigned || v.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return false;
      }
      if (t->ndim == FastInferDocument::Tensor::kMaxDims) return false;
      t->shape[static_cast<size_t>(t->ndim++)] = static_cast<int64_t>(v.u);
    } while (Consume(','));
    return Consume(']');
  }
  // One tensor object; its data is appended to `values`.
  bool Tensor(FastInferDocument::Tensor* t, std::vector<Value>* values) {
    if (!Consume('{')) return false;
    bool name = false, datatype = false, shape = false, data = false;
    if (Consume('}')) return false;
    do {
      std::string_view key;
      if (!String(&key) || !Consume(':')) return false;
      bool* seen = nullptr;
      bool ok = false;
      if (key == "name") {
        seen = &name;
        ok = String(&t->name);
      } else if (key == "datatype") {
        seen = &datatype;
        ok = String(&t->datatype);
      } else if (key == "shape") {
        seen = &shape;
        ok = Shape(t);
      } else if (key == "data") {
        seen = &data;
        t->data_begin = values->size();
        ok = Data(values);
        t->data_size = values->size() - t->data_begin;
      } else {
        return false;  // "parameters" of a tensor and the like: the full parser decides
      }
      if (!ok || *seen) return false;  // duplicate keys: the full parser's rules apply
      *seen = true;
    } while (Consume(','));
    return Consume('}') && name && datatype && shape && data;
  }

 private:
  const char* p_;
  const char* end_;
};

// Appends `v` to `col` exactly as AppendJsonValue would from the parsed document; false when it
// would not accept it (or the case is left to the full path: dates, timestamps, integral doubles).
bool AppendFast(lake::DataType type, const Value& v, lake::Column& col) {
  if (v.kind == Value::kNull) {
    col.AppendNull();
    return true;
  }
  switch (type) {
    case lake::DataType::kBool:
      if (v.kind != Value::kBool) return false;
      col.AppendBool(v.b);
      return true;
    case lake::DataType::kInt32:
      if (v.kind == Value::kInt && v.i >= std::numeric_limits<int32_t>::min()) {
        col.AppendInt32(static_cast<int32_t>(v.i));
        return true;
      }
      if (v.kind == Value::kUnsigned && v.u <= static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
        col.AppendInt32(static_cast<int32_t>(v.u));
        return true;
      }
      return false;
    case lake::DataType::kInt64:
      if (v.kind == Value::kInt) {
        col.AppendInt64(v.i);
        return true;
      }
      if (v.kind == Value::kUnsigned && v.u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        col.AppendInt64(static_cast<int64_t>(v.u));
        return true;
      }
      return false;
    case lake::DataType::kFloat:
    case lake::DataType::kDouble: {
      double d = 0;
      float f = 0;
      if (v.kind == Value::kInt) {
        d = static_cast<double>(v.i);
        f = static_cast<float>(v.i);
      } else if (v.kind == Value::kUnsigned) {
        d = static_cast<double>(v.u);
        f = static_cast<float>(v.u);
      } else if (v.kind == Value::kDouble) {
        d = v.d;
        f = static_cast<float>(v.d);
      } else {
        return false;
      }
      if (type == lake::DataType::kFloat) {
        col.AppendFloat(f);
      } else {
        col.AppendDouble(d);
      }
      return true;
    }
    case lake::DataType::kString:
      if (v.kind != Value::kString) return false;
      col.AppendString(v.s);
      return true;
    default:
      return false;  // dates and timestamps: the full path parses them
  }
}

}  // namespace

bool ParseInferRequestFast(std::string_view body, FastInferDocument* out) {
  Reader in(body);
  FastInferDocument& doc = *out;
  doc.id.reset();
  doc.outputs.clear();
  doc.contributions = false;
  doc.inputs.clear();
  doc.values.clear();
  if (!in.Consume('{') || in.Consume('}')) return false;
  bool id = false, inputs = false, outputs = false, parameters = false;
  do {
    std::string_view key;
    if (!in.String(&key) || !in.Consume(':')) return false;
    if (key == "id" && !id) {
      std::string_view v;
      if (!in.String(&v)) return false;
      doc.id = std::string(v);
      id = true;
    } else if (key == "inputs" && !inputs) {
      if (!in.Consume('[') || in.Consume(']')) return false;
      do {
        doc.inputs.emplace_back();
        if (!in.Tensor(&doc.inputs.back(), &doc.values)) return false;
      } while (in.Consume(','));
      if (!in.Consume(']')) return false;
      inputs = true;
    } else if (key == "outputs" && !outputs) {
      if (!in.Consume('[')) return false;
      if (!in.Consume(']')) {
        do {
          std::string_view k, name;
          if (!in.Consume('{') || !in.String(&k) || k != "name" || !in.Consume(':') || !in.String(&name) ||
              !in.Consume('}')) {
            return false;
          }
          doc.outputs.emplace_back(name);
        } while (in.Consume(','));
        if (!in.Consume(']')) return false;
      }
      outputs = true;
    } else if (key == "parameters" && !parameters) {
      if (!in.Consume('{')) return false;
      if (!in.Consume('}')) {
        std::string_view k;
        if (!in.String(&k) || k != "contributions" || !in.Consume(':')) return false;
        if (in.Literal("true")) {
          doc.contributions = true;
        } else if (!in.Literal("false")) {
          return false;
        }
        if (!in.Consume('}')) return false;
      }
      parameters = true;
    } else {
      return false;
    }
  } while (in.Consume(','));
  if (!in.Consume('}') || !in.AtEnd() || !inputs) return false;
  return true;
}

std::optional<InferRequest> DecodeInferRequestFast(const FastInferDocument& doc,
                                                   const std::vector<lake::Field>& signature) {
  // One tensor per signature column, no others, no duplicates (the 2-D form takes the full path).
  if (doc.inputs.size() != signature.size()) return std::nullopt;
  InferRequest req;
  req.id = doc.id;
  req.outputs = doc.outputs;
  req.contributions = doc.contributions;
  req.rows = lake::RecordBatch(lake::Schema(signature));
  std::vector<bool> used(doc.inputs.size(), false);
  int64_t rows = -1;
  for (size_t c = 0; c < signature.size(); ++c) {
    const lake::Field& f = signature[c];
    // Tensors usually come in signature order: look there first.
    size_t t = c < doc.inputs.size() && doc.inputs[c].name == f.name ? c : doc.inputs.size();
    if (t == doc.inputs.size()) {
      for (size_t i = 0; i < doc.inputs.size(); ++i) {
        if (doc.inputs[i].name == f.name) {
          t = i;
          break;
        }
      }
    }
    if (t == doc.inputs.size() || used[t]) return std::nullopt;
    used[t] = true;
    const FastInferDocument::Tensor& tensor = doc.inputs[t];
    if (tensor.ndim == 0 || tensor.ndim > 2 || (tensor.ndim == 2 && tensor.shape[1] != 1)) {
      return std::nullopt;
    }
    const bool accepted = f.type == lake::DataType::kBool     ? tensor.datatype == "BOOL"
                          : f.type == lake::DataType::kString ? tensor.datatype == "BYTES"
                                                              : IsNumericOipDatatype(tensor.datatype);
    if (!accepted) return std::nullopt;
    if (rows >= 0 && tensor.shape[0] != rows) return std::nullopt;
    rows = tensor.shape[0];
    if (static_cast<int64_t>(tensor.data_size) != rows) return std::nullopt;
    lake::Column& col = req.rows.mutable_column(c);
    for (const Value& v : doc.data(tensor)) {
      if (!AppendFast(f.type, v, col)) return std::nullopt;
    }
  }
  return req;
}

}  // namespace lepton::serving
