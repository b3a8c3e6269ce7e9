#include "lepton/base/tar.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton {

using namespace std::string_view_literals;

namespace {

constexpr size_t kBlockBytes = 512;

// A fixed-width field of the ustar header (POSIX.1-2017, pax, "ustar Interchange Format").
struct Field {
  size_t offset;
  size_t width;
};
constexpr Field kNameField{0, 100};
constexpr Field kModeField{100, 8};
constexpr Field kUidField{108, 8};
constexpr Field kGidField{116, 8};
constexpr Field kSizeField{124, 12};
constexpr Field kMtimeField{136, 12};
constexpr Field kChecksumField{148, 8};
constexpr size_t kTypeflagOffset = 156;
constexpr Field kMagicField{257, 6};
constexpr Field kVersionField{263, 2};
constexpr Field kUnameField{265, 32};
constexpr Field kGnameField{297, 32};
constexpr Field kDevmajorField{329, 8};
constexpr Field kDevminorField{337, 8};
constexpr Field kPrefixField{345, 155};

// Limits on what the reader accepts beyond the ustar fields: PATH_MAX for names from GNU long-name
// and pax headers, and a generous bound on extended header records.
constexpr size_t kMaxReadNameBytes = 4096;
constexpr int64_t kMaxExtendedHeaderBytes = int64_t{1} << 20;

// A name for error messages: escaped, and cut short so that a huge name cannot flood a log.
std::string Quoted(std::string_view name) {
  constexpr size_t kMaxShown = 200;
  std::string out = "\"";
  out += absl::CHexEscape(absl::string_view(name.data(), std::min(name.size(), kMaxShown)));
  if (name.size() > kMaxShown) out += "...";
  out += "\"";
  return out;
}

// Writes `value` as zero-filled octal digits filling all but the last byte of `field`, which
// becomes NUL (the POSIX layout). False if `value` does not fit.
bool PutOctal(char* header, Field field, int64_t value) {
  if (value < 0) return false;
  const size_t digits = field.width - 1;
  if (digits < 21 && value >> (3 * digits) != 0) return false;
  for (size_t i = digits; i-- > 0;) {
    header[field.offset + i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  header[field.offset + digits] = '\0';
  return true;
}

void PutString(char* header, Field field, std::string_view s) {
  std::memcpy(header + field.offset, s.data(), std::min(s.size(), field.width));
}

std::string_view FieldBytes(std::string_view header, Field field) {
  return header.substr(field.offset, field.width);
}

// A NUL-terminated string field; it fills the whole field when it has no NUL.
std::string_view FieldString(std::string_view header, Field field) {
  std::string_view bytes = FieldBytes(header, field);
  return bytes.substr(0, std::min(bytes.size(), bytes.find('\0')));
}

// Parses a numeric field: optional leading spaces (older writers), at least one octal digit, then
// one or more NULs or spaces to the end of the field, as POSIX requires. Fields are at most 12
// bytes, so the value cannot overflow.
std::optional<int64_t> ParseOctal(std::string_view field) {
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  const size_t first_digit = i;
  int64_t value = 0;
  while (i < field.size() && field[i] >= '0' && field[i] <= '7') {
    value = value * 8 + (field[i] - '0');
    ++i;
  }
  if (i == first_digit || i == field.size()) return std::nullopt;
  for (; i < field.size(); ++i) {
    if (field[i] != ' ' && field[i] != '\0') return std::nullopt;
  }
  return value;
}

// The header checksum: the unsigned sum of all 512 bytes with the checksum field taken as spaces.
int64_t HeaderChecksum(std::string_view header) {
  int64_t sum = 0;
  for (size_t i = 0; i < kBlockBytes; ++i) {
    const bool in_checksum =
        i >= kChecksumField.offset && i < kChecksumField.offset + kChecksumField.width;
    sum += in_checksum ? ' ' : static_cast<unsigned char>(header[i]);
  }
  return sum;
}

bool IsAllZero(std::string_view bytes) {
  for (char c : bytes) {
    if (c != '\0') return false;
  }
  return true;
}

size_t PaddedBytes(size_t size) { return (size + kBlockBytes - 1) / kBlockBytes * kBlockBytes; }

// Checks that `name` is a safe relative path; returns the reason it is not, or "" when it is.
std::string_view NameProblem(std::string_view name, size_t max_bytes) {
  if (name.empty()) return "name is empty";
  if (name.size() > max_bytes) return "name is too long";
  if (name.find('\0') != std::string_view::npos) return "name contains a NUL byte";
  if (name.front() == '/') return "name is absolute";
  for (std::string_view segment : Split(name, '/')) {
    if (segment.empty()) return "name has an empty segment";
    if (segment == ".") return "name has a '.' segment";
    if (segment == "..") return "name has a '..' segment";
  }
  return "";
}

// The names seen so far, as a tree of path segments, to refuse a name used twice or as both a
// file and a folder. A tree rather than a set of every parent keeps the work linear in the
// name's length.
class NameTree {
 public:
  // Returns the reason `name` (already validated) clashes with an earlier one, or "".
  std::string Add(std::string_view name) {
    Node* node = &root_;
    const std::vector<std::string_view> segments = Split(name, '/');
    for (size_t i = 0; i < segments.size(); ++i) {
      const bool last = i + 1 == segments.size();
      auto it = node->children.find(segments[i]);
      if (it == node->children.end()) {
        it = node->children.emplace(std::string(segments[i]), std::make_unique<Node>()).first;
        it->second->is_file = last;
      } else if (last) {
        return it->second->is_file ? "duplicate name" : "name is also a folder of an earlier entry";
      } else if (it->second->is_file) {
        const size_t folder_bytes = segments[i].data() + segments[i].size() - name.data();
        return StrCat("folder ", Quoted(name.substr(0, folder_bytes)), " is also an earlier file");
      }
      node = it->second.get();
    }
    return "";
  }

 private:
  struct Node {
    bool is_file = false;
    std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
  };
  Node root_;
};

// Where `name` splits into the ustar prefix and name fields: std::string::npos when it fits the
// name field alone, else the position of the '/' between them. Taking the leftmost '/' that
// leaves at most 100 bytes keeps the prefix as short as possible.
std::optional<size_t> SplitPoint(std::string_view name) {
  if (name.size() <= kNameField.width) return std::string::npos;
  for (size_t slash = name.find('/'); slash != std::string_view::npos;
       slash = name.find('/', slash + 1)) {
    if (name.size() - slash - 1 <= kNameField.width) {
      if (slash <= kPrefixField.width) return slash;
      break;
    }
  }
  return std::nullopt;
}

void AppendHeader(std::string& out, std::string_view name, size_t split, int64_t size,
                  int64_t mtime_seconds) {
  char header[kBlockBytes] = {};
  if (split == std::string::npos) {
    PutString(header, kNameField, name);
  } else {
    PutString(header, kPrefixField, name.substr(0, split));
    PutString(header, kNameField, name.substr(split + 1));
  }
  // The values were validated by the caller, so the octal fields cannot overflow.
  LEPTON_CHECK(PutOctal(header, kModeField, 0644));
  LEPTON_CHECK(PutOctal(header, kUidField, 0));
  LEPTON_CHECK(PutOctal(header, kGidField, 0));
  LEPTON_CHECK(PutOctal(header, kSizeField, size));
  LEPTON_CHECK(PutOctal(header, kMtimeField, mtime_seconds));
  header[kTypeflagOffset] = '0';
  PutString(header, kMagicField, "ustar\0"sv);
  PutString(header, kVersionField, "00");
  PutString(header, kUnameField, "lepton");
  PutString(header, kGnameField, "lepton");
  LEPTON_CHECK(PutOctal(header, kDevmajorField, 0));
  LEPTON_CHECK(PutOctal(header, kDevminorField, 0));
  // The checksum is six octal digits, a NUL and a space, as GNU tar and most writers store it;
  // the largest possible sum (512 * 255) needs six digits.
  const int64_t checksum = HeaderChecksum(std::string_view(header, kBlockBytes));
  LEPTON_CHECK(PutOctal(header, Field{kChecksumField.offset, 7}, checksum));
  header[kChecksumField.offset + 7] = ' ';
  out.append(header, kBlockBytes);
}

// The records of a pax extended header that matter here.
struct PaxRecords {
  std::optional<std::string> path;
  std::optional<int64_t> size;
};

// Parses pax records ("<length> <key>=<value>\n", the length counting the whole record). For a
// global header ('g') `path` and `size` are refused: they would apply to every later entry.
absl::StatusOr<PaxRecords> ParsePax(std::string_view data, bool global, std::string_view context) {
  PaxRecords records;
  while (!data.empty()) {
    int64_t length = 0;
    size_t i = 0;
    while (i < data.size() && i < 10 && data[i] >= '0' && data[i] <= '9') {
      length = length * 10 + (data[i] - '0');
      ++i;
    }
    if (i == 0 || i == data.size() || data[i] != ' ' || length <= static_cast<int64_t>(i) + 1 ||
        length > static_cast<int64_t>(data.size()) || data[length - 1] != '\n') {
      return absl::InvalidArgumentError(StrCat(context, ": malformed pax record"));
    }
    const std::string_view record = data.substr(i + 1, length - i - 2);
    data.remove_prefix(length);
    const size_t equals = record.find('=');
    if (equals == 0 || equals == std::string_view::npos) {
      return absl::InvalidArgumentError(StrCat(context, ": malformed pax record"));
    }
    const std::string_view key = record.substr(0, equals);
    const std::string_view value = record.substr(equals + 1);
    if (key.starts_with("GNU.sparse.")) {
      return absl::InvalidArgumentError(
          StrCat(context, ": sparse files (pax key ", Quoted(key), ") are not supported"));
    }
    if (key != "path" && key != "size") continue;
    if (global) {
      return absl::InvalidArgumentError(
          StrCat(context, ": pax key ", Quoted(key), " in a global header is not supported"));
    }
    // An empty value removes the record, leaving the ustar header's field in force.
    if (key == "path") {
      records.path = value.empty() ? std::nullopt : std::optional<std::string>(value);
      continue;
    }
    records.size.reset();
    if (value.empty()) continue;
    int64_t size = 0;
    for (char c : value) {
      if (c < '0' || c > '9' || size > (kMaxTarFileBytes << 4)) {
        return absl::InvalidArgumentError(StrCat(context, ": bad pax size ", Quoted(value)));
      }
      size = size * 10 + (c - '0');
    }
    records.size = size;
  }
  return records;
}

// What a typeflag means, for the error that refuses it.
std::string DescribeTypeflag(char typeflag) {
  std::string_view what;
  switch (typeflag) {
    case '1':
      what = "hard link";
      break;
    case '2':
      what = "symbolic link";
      break;
    case '3':
      what = "character device";
      break;
    case '4':
      what = "block device";
      break;
    case '6':
      what = "FIFO";
      break;
    case '7':
      what = "contiguous file";
      break;
    case 'D':
      what = "GNU dump folder";
      break;
    case 'K':
      what = "GNU long link name";
      break;
    case 'M':
      what = "GNU multi-volume continuation";
      break;
    case 'S':
      what = "GNU sparse file";
      break;
    case 'V':
      what = "GNU volume label";
      break;
    default:
      what = "unknown type";
      break;
  }
  return StrCat("unsupported entry type '", absl::CHexEscape(absl::string_view(&typeflag, 1)),
                "' (", what, "); only regular files and folders are allowed");
}

}  // namespace

absl::StatusOr<std::string> WriteTar(const std::vector<TarEntry>& entries, int64_t mtime_seconds) {
  if (mtime_seconds < 0 || mtime_seconds > kMaxTarFileBytes) {
    return absl::InvalidArgumentError(StrCat(
        "tar: mtime ", mtime_seconds, " is outside the ustar range [0, ", kMaxTarFileBytes, "]"));
  }
  // Validate everything before writing, so that a bad entry costs no copying.
  std::vector<size_t> splits;
  splits.reserve(entries.size());
  NameTree names;
  size_t total_bytes = 2 * kBlockBytes;
  for (size_t i = 0; i < entries.size(); ++i) {
    const TarEntry& entry = entries[i];
    const std::string context = StrCat("tar entry ", i, " ", Quoted(entry.name), ": ");
    std::string_view problem = NameProblem(entry.name, kMaxTarNameBytes);
    if (!problem.empty()) return absl::InvalidArgumentError(StrCat(context, problem));
    const std::optional<size_t> split = SplitPoint(entry.name);
    if (!split) {
      return absl::InvalidArgumentError(StrCat(
          context, "name does not fit the ustar name (100 bytes) and prefix (155 bytes) fields"));
    }
    if (std::string clash = names.Add(entry.name); !clash.empty()) {
      return absl::InvalidArgumentError(StrCat(context, clash));
    }
    if (entry.data.size() > static_cast<uint64_t>(kMaxTarFileBytes)) {
      return absl::InvalidArgumentError(StrCat(
          context, entry.data.size(), " bytes exceed the ustar limit of ", kMaxTarFileBytes));
    }
    splits.push_back(*split);
    total_bytes += kBlockBytes + PaddedBytes(entry.data.size());
  }
  std::string out;
  out.reserve(total_bytes);
  for (size_t i = 0; i < entries.size(); ++i) {
    const TarEntry& entry = entries[i];
    AppendHeader(out, entry.name, splits[i], static_cast<int64_t>(entry.data.size()),
                 mtime_seconds);
    out.append(entry.data);
    out.append(PaddedBytes(entry.data.size()) - entry.data.size(), '\0');
  }
  out.append(2 * kBlockBytes, '\0');
  return out;
}

absl::StatusOr<std::vector<TarEntry>> ReadTar(std::string_view archive, const TarLimits& limits) {
  if (archive.size() % kBlockBytes != 0) {
    return absl::InvalidArgumentError(StrCat("tar: archive size ", archive.size(),
                                             " is not a multiple of 512 bytes (truncated?)"));
  }
  std::vector<TarEntry> entries;
  NameTree names;
  int64_t total_data_bytes = 0;
  // Set by 'L' and 'x' headers; they apply to the next file or folder header.
  std::optional<std::string> long_name;
  std::optional<PaxRecords> pax;
  size_t offset = 0;
  while (true) {
    if (archive.size() - offset < kBlockBytes) {
      return absl::InvalidArgumentError(
          "tar: archive ends without the end-of-archive marker (truncated?)");
    }
    const std::string_view header = archive.substr(offset, kBlockBytes);
    const std::string at = StrCat("tar header at offset ", offset);
    if (IsAllZero(header)) {
      if (long_name || pax) {
        return absl::InvalidArgumentError(
            StrCat(at, ": end of archive right after an extended header"));
      }
      if (archive.size() - offset < 2 * kBlockBytes) {
        return absl::InvalidArgumentError(
            StrCat(at, ": end-of-archive marker has one zero block, not two (truncated?)"));
      }
      if (!IsAllZero(archive.substr(offset + kBlockBytes, kBlockBytes))) {
        return absl::InvalidArgumentError(StrCat(at, ": lone zero block inside the archive"));
      }
      if (!IsAllZero(archive.substr(offset + 2 * kBlockBytes))) {
        return absl::InvalidArgumentError(
            StrCat(at, ": non-zero bytes after the end-of-archive marker"));
      }
      return entries;
    }

    const std::optional<int64_t> stored_checksum = ParseOctal(FieldBytes(header, kChecksumField));
    if (!stored_checksum) return absl::InvalidArgumentError(StrCat(at, ": bad checksum field"));
    const int64_t checksum = HeaderChecksum(header);
    if (*stored_checksum != checksum) {
      return absl::InvalidArgumentError(StrCat(at, ": checksum mismatch (stored ", *stored_checksum,
                                               ", computed ", checksum, ")"));
    }
    const std::string_view magic = FieldBytes(header, kMagicField);
    const std::string_view version = FieldBytes(header, kVersionField);
    const bool posix = magic == "ustar\0"sv && version == "00"sv;
    const bool gnu = magic == "ustar "sv && version == " \0"sv;
    if (!posix && !gnu) {
      return absl::InvalidArgumentError(StrCat(at, ": not a ustar or GNU tar header (bad magic)"));
    }
    if (static_cast<unsigned char>(header[kSizeField.offset]) & 0x80) {
      return absl::InvalidArgumentError(
          StrCat(at, ": base-256 size field (a file of 8 GiB or more) is not supported"));
    }
    const std::optional<int64_t> header_size = ParseOctal(FieldBytes(header, kSizeField));
    if (!header_size) return absl::InvalidArgumentError(StrCat(at, ": bad size field"));
    const char typeflag = header[kTypeflagOffset];
    const bool is_file = typeflag == '0' || typeflag == '\0';
    const bool is_folder = typeflag == '5';
    // A pax `size` record overrides the size field of the entry it precedes.
    const int64_t size = (is_file || is_folder) && pax && pax->size ? *pax->size : *header_size;
    const size_t data_offset = offset + kBlockBytes;
    if (static_cast<uint64_t>(size) > archive.size() - data_offset) {
      return absl::InvalidArgumentError(
          StrCat(at, ": ", size, " bytes of data run past the end of the archive (truncated?)"));
    }
    // `archive.size()` is a multiple of 512, so the padded data fits too.
    const std::string_view data = archive.substr(data_offset, size);
    const size_t next_offset = data_offset + PaddedBytes(size);

    if (typeflag == 'L' || typeflag == 'x' || typeflag == 'g') {
      if (size > kMaxExtendedHeaderBytes) {
        return absl::InvalidArgumentError(
            StrCat(at, ": extended header of ", size, " bytes is too large"));
      }
      if (typeflag == 'L') {
        if (long_name) return absl::InvalidArgumentError(StrCat(at, ": second long-name header"));
        long_name = std::string(data.substr(0, std::min(data.size(), data.find('\0'))));
      } else if (typeflag == 'x') {
        if (pax) return absl::InvalidArgumentError(StrCat(at, ": second pax header"));
        LEPTON_ASSIGN_OR_RETURN(pax, ParsePax(data, /*global=*/false, at));
      } else {
        LEPTON_RETURN_IF_ERROR(ParsePax(data, /*global=*/true, at));
      }
      offset = next_offset;
      continue;
    }
    if (!is_file && !is_folder) {
      return absl::InvalidArgumentError(StrCat(at, " (", Quoted(FieldString(header, kNameField)),
                                               "): ", DescribeTypeflag(typeflag)));
    }

    std::string name;
    if (pax && pax->path) {
      if (long_name) {
        return absl::InvalidArgumentError(
            StrCat(at, ": both a long-name header and a pax path name the entry"));
      }
      name = *pax->path;
    } else if (long_name) {
      name = *long_name;
    } else {
      name = std::string(FieldString(header, kNameField));
      const std::string_view prefix = posix ? FieldString(header, kPrefixField) : "";
      if (!prefix.empty()) name = StrCat(prefix, "/", name);
    }
    long_name.reset();
    pax.reset();
    const std::string context = StrCat("tar entry ", Quoted(name), " at offset ", offset, ": ");
    if (is_folder) {
      // Folder names end with '/'; the folder itself is implied by the files under it.
      if (name.ends_with('/')) name.pop_back();
      if (std::string_view problem = NameProblem(name, kMaxReadNameBytes); !problem.empty()) {
        return absl::InvalidArgumentError(StrCat(context, problem));
      }
      if (size != 0) {
        return absl::InvalidArgumentError(StrCat(context, "folder entry with data"));
      }
      offset = next_offset;
      continue;
    }
    if (std::string_view problem = NameProblem(name, kMaxReadNameBytes); !problem.empty()) {
      return absl::InvalidArgumentError(StrCat(context, problem));
    }
    if (std::string clash = names.Add(name); !clash.empty()) {
      return absl::InvalidArgumentError(StrCat(context, clash));
    }
    if (static_cast<int64_t>(entries.size()) >= limits.max_entries) {
      return absl::InvalidArgumentError(
          StrCat(context, "more than ", limits.max_entries, " files (the limit)"));
    }
    if (size > limits.max_total_bytes - total_data_bytes) {
      return absl::InvalidArgumentError(
          StrCat(context, "file data exceeds the limit of ", limits.max_total_bytes, " bytes"));
    }
    total_data_bytes += size;
    entries.push_back(TarEntry{std::move(name), std::string(data)});
    offset = next_offset;
  }
}

}  // namespace lepton
