#pragma once
// Helpers shared by the MLP and TorchScript learners that need no torch header: the saved-model
// container and the input checks. Module-private (ml/torch/ only).
//
// Container layout (all integers little-endian):
//   8 bytes  magic "LPTORCH1"
//   8 bytes  header length H, then H bytes of JSON (an object with at least "flavor" and
//            "format_version")
//   8 bytes  payload length P, then P bytes of payload (flavor-specific)
// and nothing after. Anything else is rejected with InvalidArgument, so truncated or corrupted
// bytes never reach libtorch's own readers unchecked.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lepton/base/json.h"
#include "lepton/features/matrix.h"

namespace lepton::ml::internal {

inline constexpr int kTorchFormatVersion = 1;

// Dense matrices with more values than this are not built from CSR input (256 MB of float32).
inline constexpr int64_t kMaxDensifiedValues = int64_t{1} << 26;

struct TorchContainer {
  Json header;
  std::string payload;
};

// `header` gets "flavor" and "format_version" added.
std::string WriteTorchContainer(std::string_view flavor, Json header, std::string_view payload);

// InvalidArgument for anything but a well-formed container of `flavor` in format version 1.
absl::StatusOr<TorchContainer> ReadTorchContainer(std::string_view bytes, std::string_view flavor);

// Returns the row-major float32 values of `x` for a model of `expected_cols` columns: a
// pointer into `x.values` for dense input (no copy), or into `*scratch` after expanding a CSR
// matrix of at most `kMaxDensifiedValues` cells. InvalidArgument (prefixed with `what`) for no
// rows, a column count other than `expected_cols`, a malformed matrix, a too-large CSR matrix
// or a NaN/infinite value. The pointer lives as long as `x` and `*scratch`.
absl::StatusOr<const float*> DenseInput(const features::FeatureMatrix& x, std::string_view what,
                                        int64_t expected_cols, std::vector<float>* scratch);

}  // namespace lepton::ml::internal
