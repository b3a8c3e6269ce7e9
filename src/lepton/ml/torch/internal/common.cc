#include "lepton/ml/torch/internal/common.h"

#include <cmath>
#include <cstring>

#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::ml::internal {
namespace {

constexpr std::string_view kMagic = "LPTORCH1";

void AppendU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Reads a u64 at `*pos`, advancing it; false when fewer than 8 bytes remain.
bool ReadU64(std::string_view bytes, size_t* pos, uint64_t* v) {
  if (bytes.size() - *pos < 8) return false;
  *v = 0;
  for (int i = 0; i < 8; ++i) {
    *v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[*pos + i])) << (8 * i);
  }
  *pos += 8;
  return true;
}

}  // namespace

std::string WriteTorchContainer(std::string_view flavor, Json header, std::string_view payload) {
  header["flavor"] = std::string(flavor);
  header["format_version"] = kTorchFormatVersion;
  const std::string header_text = DumpJson(header);
  std::string out;
  out.reserve(kMagic.size() + 16 + header_text.size() + payload.size());
  out.append(kMagic);
  AppendU64(out, header_text.size());
  out.append(header_text);
  AppendU64(out, payload.size());
  out.append(payload);
  return out;
}

absl::StatusOr<TorchContainer> ReadTorchContainer(std::string_view bytes, std::string_view flavor) {
  const std::string what = StrCat("loading a saved ", flavor, " model");
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError(StrCat(what, ": not a Lepton torch model (bad magic)"));
  }
  size_t pos = kMagic.size();
  uint64_t header_size = 0;
  if (!ReadU64(bytes, &pos, &header_size) || header_size > bytes.size() - pos) {
    return absl::InvalidArgumentError(StrCat(what, ": truncated header"));
  }
  LEPTON_ASSIGN_OR_RETURN(Json header, ParseJson(bytes.substr(pos, header_size)));
  pos += header_size;
  uint64_t payload_size = 0;
  if (!ReadU64(bytes, &pos, &payload_size) || payload_size != bytes.size() - pos) {
    return absl::InvalidArgumentError(
        StrCat(what, ": payload length does not match the byte count (truncated or padded)"));
  }
  if (!header.is_object() || !header.contains("flavor") || header["flavor"] != flavor) {
    return absl::InvalidArgumentError(StrCat(what, ": header is not a ", flavor, " header"));
  }
  if (header.value("format_version", Json()) != kTorchFormatVersion) {
    return absl::InvalidArgumentError(
        StrCat(what, ": unsupported format_version (expected ", kTorchFormatVersion, ")"));
  }
  return TorchContainer{std::move(header), std::string(bytes.substr(pos))};
}

absl::StatusOr<const float*> DenseInput(const features::FeatureMatrix& x, std::string_view what,
                                        int64_t expected_cols, std::vector<float>* scratch) {
  if (x.rows <= 0) return absl::InvalidArgumentError(StrCat(what, ": no rows"));
  if (x.cols() != expected_cols) {
    return absl::InvalidArgumentError(
        StrCat(what, ": ", x.cols(), " columns, the model expects ", expected_cols));
  }
  const float* data = nullptr;
  const int64_t cells = x.rows * x.cols();
  if (!x.sparse) {
    if (static_cast<int64_t>(x.values.size()) != cells) {
      return absl::InvalidArgumentError(StrCat(what, ": dense matrix has ", x.values.size(),
                                               " values for ", x.rows, " rows x ", x.cols(),
                                               " columns"));
    }
    data = x.values.data();
  } else {
    if (cells > kMaxDensifiedValues) {
      return absl::InvalidArgumentError(
          StrCat(what, ": torch models need dense input; this CSR matrix (", x.rows, " x ",
                 x.cols(), ") is too large to densify (limit ", kMaxDensifiedValues, " cells)"));
    }
    if (static_cast<int64_t>(x.row_offsets.size()) != x.rows + 1 || x.row_offsets.front() != 0 ||
        x.row_offsets.back() != static_cast<int64_t>(x.values.size()) ||
        x.col_indices.size() != x.values.size()) {
      return absl::InvalidArgumentError(StrCat(what, ": malformed CSR matrix"));
    }
    scratch->assign(static_cast<size_t>(cells), 0.0f);
    for (int64_t r = 0; r < x.rows; ++r) {
      const int64_t begin = x.row_offsets[r];
      const int64_t end = x.row_offsets[r + 1];
      if (end < begin) {
        return absl::InvalidArgumentError(StrCat(what, ": CSR row offsets decrease at row ", r));
      }
      for (int64_t k = begin; k < end; ++k) {
        const uint32_t c = x.col_indices[k];
        if (c >= static_cast<uint64_t>(x.cols())) {
          return absl::InvalidArgumentError(
              StrCat(what, ": CSR column index ", c, " out of range (", x.cols(), " columns)"));
        }
        (*scratch)[r * x.cols() + c] = x.values[k];
      }
    }
    data = scratch->data();
  }
  for (int64_t i = 0; i < cells; ++i) {
    if (!std::isfinite(data[i])) {
      return absl::InvalidArgumentError(StrCat(what, ": ", std::isnan(data[i]) ? "NaN" : "infinite",
                                               " value at row ", i / x.cols(), ", column ",
                                               i % x.cols(), " (\"", x.columns[i % x.cols()],
                                               "\"); torch models need imputed input"));
    }
  }
  return data;
}

}  // namespace lepton::ml::internal
