#pragma once
// A minimal, strict tar archive writer and reader for moving a handful of files (a model bundle's
// manifest.json, pipeline.json, model.ubj, ...) as one `application/x-tar` body.
//
// `WriteTar` writes POSIX.1 ustar archives of regular files; GNU tar and Python's tarfile
// read them. `ReadTar` reads those and what GNU tar writes for regular files and folders in its
// default (gnu), ustar and pax formats. It refuses everything else (links, devices, sparse files,
// multi-volume parts, ...). Both work in memory and never touch the file system. Every name
// `ReadTar` returns is a safe relative path: not empty, not absolute, and with no empty, "." or
// ".." segment, so joining it under a destination folder cannot escape that folder.
//
// Thread-safe: the functions have no shared state.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace lepton {

// One regular file of an archive.
struct TarEntry {
  // Relative path with '/' separators, e.g. "manifest.json" or "sub/x.bin".
  std::string name;
  // The file's bytes.
  std::string data;

  bool operator==(const TarEntry&) const = default;
};

// The largest file a ustar header can describe: its size field holds 11 octal digits
// (8 GiB - 1). `WriteTar` also refuses mtimes outside [0, this value].
inline constexpr int64_t kMaxTarFileBytes = (int64_t{1} << 33) - 1;

// The longest name `WriteTar` accepts: the ustar prefix field (155 bytes), a '/' and the name
// field (100 bytes). A name longer than 100 bytes must contain a '/' that splits it so.
inline constexpr size_t kMaxTarNameBytes = 256;

// Returns a ustar archive holding `entries` as regular files, in the given order, followed by
// the two zero blocks that end an archive (no padding to a 10 KiB record). Every file gets mode
// 0644, uid and gid 0, owner and group "lepton" and modification time `mtime_seconds`.
//
// InvalidArgument, naming the entry, for a bad name (empty, absolute, containing NUL or an empty,
// "." or ".." segment, or longer than `kMaxTarNameBytes` or the name and prefix fields allow),
// for a name used twice or as both a file and a folder ("a" and "a/b"), for a file larger than
// `kMaxTarFileBytes`, and for an `mtime_seconds` outside [0, kMaxTarFileBytes].
absl::StatusOr<std::string> WriteTar(const std::vector<TarEntry>& entries,
                                     int64_t mtime_seconds = 0);

// Bounds on what `ReadTar` accepts, so that a hostile archive cannot exhaust memory.
struct TarLimits {
  // Most regular files (folders and extended headers do not count).
  int64_t max_entries = 1000;
  // Most bytes of file data, summed over all files.
  int64_t max_total_bytes = int64_t{4} << 30;
};

// Returns the regular files of a tar archive, in archive order. Folder entries (typeflag '5')
// are checked and skipped. Accepted: typeflags '0' and '\0' (regular file); ustar magic
// ("ustar\0" "00", with the prefix field) or GNU magic ("ustar " " \0", without it); GNU long
// names ('L'); pax extended headers ('x', whose `path` and `size` records apply, other records
// are ignored) and pax global headers ('g', only records other than `path` and `size`). Every
// header checksum is verified. The archive must be a whole number of 512-byte blocks and end with
// two zero blocks; only zero bytes may follow them (GNU tar pads to a 10 KiB record).
//
// InvalidArgument, with the header's byte offset, for a truncated or corrupt archive (bad
// checksum, magic or numeric field, data past the end, a missing end marker), for any other
// typeflag (links, devices, FIFOs, GNU sparse or volume headers, pax sparse records), for a bad
// name as described for `WriteTar` (up to 4096 bytes are allowed here), for a name used twice or
// as both a file and a folder, and when `limits` are exceeded. Never reads outside `archive`.
absl::StatusOr<std::vector<TarEntry>> ReadTar(std::string_view archive,
                                              const TarLimits& limits = {});

}  // namespace lepton
