#pragma once
// The transformer steps a column chain runs, private to the features module. A chain turns one
// input column into values of a `Kind` and passes them through its steps in order: plain steps
// rewrite the values in place (impute, standardize, …; ordinal and woe turn strings into
// numbers), and the chain ends either with a terminal step that writes several output columns
// (one_hot, tfidf, hash, date_parts) or, for numeric values, with the values themselves as one
// output column.
//
// Every step is fitted on training values only (`Fit`), after which `Apply`/`Write*` are const
// and may run concurrently. `ConfigJson()` + `FittedJson()` restore a step exactly.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/json.h"

namespace lepton::features {
struct WoeBinning;
}  // namespace lepton::features

namespace lepton::features::internal {

enum class Kind {
  kNumeric,  // doubles, NaN = missing
  kString,   // string views + presence flags
  kTime,     // microseconds since the Unix epoch (UTC) as doubles, NaN = missing
};
std::string_view KindName(Kind kind);

// The values of one column for a batch while a chain runs.
struct Values {
  Kind kind = Kind::kNumeric;
  std::vector<double> num;            // kNumeric, kTime
  std::vector<std::string_view> str;  // kString: views into the batch or into a fitted step
  std::vector<uint8_t> present;       // kString: 1 = present
  size_t size() const { return kind == Kind::kString ? str.size() : num.size(); }
};

// CSR rows of one sparse block, column indices local to the block and ascending per row.
struct SparseRows {
  std::vector<int64_t> offsets;  // rows + 1
  std::vector<uint32_t> cols;
  std::vector<float> vals;
  void Clear() {
    offsets.assign(1, 0);
    cols.clear();
    vals.clear();
  }
};

class Step {
 public:
  explicit Step(Json config) : config_(std::move(config)) {}
  virtual ~Step() = default;

  // The spec object the step was made from.
  const Json& config() const { return config_; }
  std::string type() const { return config_.value("type", ""); }

  // Whether the step takes values of `kind`, and what it yields; `takes` says what it takes
  // for error messages ("a numeric column").
  virtual bool Takes(Kind kind) const = 0;
  virtual std::string_view takes() const = 0;
  virtual Kind Yields(Kind in) const { return in; }
  virtual bool terminal() const { return false; }
  virtual bool needs_target() const { return false; }

  // Fits on the training values `v` (already passed through the earlier steps). `target` is
  // non-empty (0/1, one per row) when `needs_target()`. InvalidArgument naming `column`.
  virtual absl::Status Fit(const Values& v, std::span<const double> target,
                           std::string_view column) = 0;
  // Non-terminal steps: rewrites `v` (possibly changing its kind to `Yields`).
  virtual void Apply(Values* /*v*/) const {}

  // Terminal steps: output columns, and the values for them.
  virtual std::vector<std::string> OutputNames(std::string_view /*column*/) const { return {}; }
  virtual bool sparse() const { return false; }
  // Dense: writes row r's j-th output at out[r * stride + j].
  virtual void WriteDense(const Values& /*v*/, float* /*out*/, size_t /*stride*/) const {}
  // Sparse: appends one row per value to `out` (which holds `offsets` = {0} or more rows).
  virtual void WriteSparse(const Values& /*v*/, SparseRows* /*out*/) const {}

  // The fitted state, and its restoration (InvalidArgument naming `path`).
  virtual Json FittedJson() const = 0;
  virtual absl::Status LoadFitted(const Json& fitted, const std::string& path) = 0;
  // What the report shows for the step; the fitted state by default.
  virtual Json Report() const { return FittedJson(); }
  // The fitted bins of a woe step; nullptr for other steps.
  virtual const WoeBinning* woe_binning() const { return nullptr; }

 private:
  Json config_;
};

// Builds an unfitted step from its spec object, validating every parameter. InvalidArgument
// naming `path` (e.g. "features.columns[2].steps[0].strategy: expected one of …").
absl::StatusOr<std::unique_ptr<Step>> MakeStep(const Json& config, const std::string& path);

// The impute step's indicator flag, for the chain to record missing values before it runs.
bool AddsMissingIndicator(const Step& step);

// Text steps (text_steps.cc).
absl::StatusOr<std::unique_ptr<Step>> MakeTextStep(const Json& config, const std::string& path);

}  // namespace lepton::features::internal
