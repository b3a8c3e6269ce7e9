#include "lepton/base/tar.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lepton/base/files.h"
#include "lepton/base/strings.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton {

// Keeps failure messages short: entries hold up to 100 000 bytes.
void PrintTo(const TarEntry& entry, std::ostream* os) {
  *os << "{\"" << entry.name << "\", " << entry.data.size() << " bytes}";
}

namespace {

using namespace std::string_view_literals;
using ::lepton::testing::StatusIs;
using ::testing::HasSubstr;

constexpr size_t kBlock = 512;
// Debian's GNU tar, the reference the archives must interoperate with.
constexpr std::string_view kGnuTar = "/usr/bin/tar";

std::string AllByteValues() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

std::string PseudoRandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// A file name of exactly `n` bytes without '/'.
std::string NameOfLength(size_t n) { return std::string(n - 4, 'n') + ".bin"; }

// A name of 211 bytes: too long for the name field, so it needs the prefix field.
std::string PrefixedName() { return std::string(120, 'p') + "/" + std::string(90, 'q'); }

// Covers every case the round trip must keep: empty, binary, large, nested, a name filling the
// whole name field, and a name split over the prefix and name fields.
std::vector<TarEntry> SampleEntries() {
  return {
      {"manifest.json", R"({"name":"churn","version":3})"},
      {"empty", ""},
      {"model.ubj", PseudoRandomBytes(100000, 7)},
      {"bytes/all.bin", AllByteValues()},
      {"sub/dir/x.bin", "nested"},
      {NameOfLength(100), "exactly one hundred"},
      {PrefixedName(), "needs the prefix field"},
  };
}

// A few small entries, for the loops that read an archive thousands of times.
std::vector<TarEntry> SmallEntries() {
  return {
      {"manifest.json", R"({"name":"churn"})"},
      {"empty", ""},
      {"bytes/all.bin", AllByteValues()},
      {"sub/x.bin", PseudoRandomBytes(700, 3)},
  };
}

std::string Field(std::string_view archive, size_t header, size_t offset, size_t width) {
  return std::string(archive.substr(header + offset, width));
}

// Recomputes the checksum of the header at `header` the way GNU tar writes it.
void FixChecksum(std::string& archive, size_t header) {
  std::memset(&archive[header + 148], ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i) sum += static_cast<unsigned char>(archive[header + i]);
  char digits[8];
  std::snprintf(digits, sizeof digits, "%06o", sum);
  std::memcpy(&archive[header + 148], digits, 6);
  archive[header + 154] = '\0';
  archive[header + 155] = ' ';
}

// Replaces the name of the header at `header` (clearing the prefix field) and fixes the checksum.
void SetName(std::string& archive, size_t header, std::string_view name) {
  std::memset(&archive[header], 0, 100);
  std::memset(&archive[header + 345], 0, 155);
  std::memcpy(&archive[header], name.data(), std::min<size_t>(name.size(), 100));
  FixChecksum(archive, header);
}

// The offsets of the headers of a valid archive, found by walking the size fields.
std::vector<size_t> HeaderOffsets(const std::string& archive) {
  std::vector<size_t> out;
  const std::string zero_block(kBlock, '\0');
  for (size_t pos = 0; pos + kBlock <= archive.size();) {
    if (archive.compare(pos, kBlock, zero_block) == 0) break;
    out.push_back(pos);
    const size_t size = std::strtoull(archive.substr(pos + 124, 12).c_str(), nullptr, 8);
    pos += kBlock + (size + kBlock - 1) / kBlock * kBlock;
  }
  return out;
}

// A hand-made ustar header of `typeflag` followed by `data`, padded to whole blocks.
std::string RawEntry(std::string_view name, char typeflag, std::string_view data,
                     size_t size_field) {
  std::string out(kBlock, '\0');
  std::memcpy(&out[0], name.data(), std::min<size_t>(name.size(), 100));
  std::memcpy(&out[100], "0000644", 7);
  char size[16];
  std::snprintf(size, sizeof size, "%011zo", size_field);
  std::memcpy(&out[124], size, 11);
  std::memcpy(&out[136], "00000000000", 11);
  out[156] = typeflag;
  std::memcpy(&out[257],
              "ustar\0"
              "00",
              8);
  FixChecksum(out, 0);
  out.append(data);
  out.append((kBlock - data.size() % kBlock) % kBlock, '\0');
  return out;
}
std::string RawEntry(std::string_view name, char typeflag, std::string_view data) {
  return RawEntry(name, typeflag, data, data.size());
}

// One pax record, "<length> <key>=<value>\n", where the length counts the whole record.
std::string PaxRecord(std::string_view key, std::string_view value) {
  const size_t body = key.size() + value.size() + 3;  // ' ', '=' and '\n'
  size_t length = body + 1;
  while (std::to_string(length).size() + body != length) ++length;
  return StrCat(length, " ", key, "=", value, "\n");
}

std::string EndOfArchive() { return std::string(2 * kBlock, '\0'); }

std::map<std::string, std::string> AsMap(const std::vector<TarEntry>& entries) {
  std::map<std::string, std::string> out;
  for (const TarEntry& e : entries) out[e.name] = e.data;
  return out;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Each test gets its own temporary folder; GNU tar runs inside it.
class TarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           StrCat("lepton_tar_test_", ::getpid(), "_",
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs `command` with the shell in the test folder and returns its exit code.
  int Run(std::string_view command) {
    const int status =
        std::system(StrCat("cd ", ShellQuote(dir_.string()), " && ", command).c_str());
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Writes `data` to `relative` under the test folder, creating parent folders.
  void Put(const std::string& relative, std::string_view data) {
    const std::filesystem::path path = dir_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    ASSERT_TRUE(out.good()) << path;
  }

  std::string Get(const std::string& relative) {
    absl::StatusOr<std::string> data = ReadFile((dir_ / relative).string());
    EXPECT_TRUE(data.ok()) << data.status().ToString();
    return data.ok() ? *data : "";
  }

  // Writes `files` under src/, archives `members` (relative to src/) with GNU tar and `flags` into
  // `archive`, and returns the archive's bytes.
  std::string GnuTar(const std::vector<TarEntry>& files, std::string_view flags,
                     std::string_view members) {
    for (const TarEntry& f : files) Put("src/" + f.name, f.data);
    EXPECT_EQ(Run(StrCat("cd src && ", kGnuTar, " ", flags, " -cf ../gnu.tar ", members)), 0);
    return Get("gnu.tar");
  }

  std::filesystem::path dir_;
};

TEST_F(TarTest, RoundTripKeepsNamesBytesAndOrder) {
  const std::vector<TarEntry> entries = SampleEntries();
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string archive, WriteTar(entries, 1700000000));
  EXPECT_EQ(archive.size() % kBlock, 0u);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<TarEntry> read, ReadTar(archive));
  EXPECT_EQ(read, entries);

  const std::vector<size_t> headers = HeaderOffsets(archive);
  ASSERT_EQ(headers.size(), entries.size());
  // The 100-byte name fills the name field with no NUL; the 211-byte one is split at its '/'.
  EXPECT_EQ(Field(archive, headers[5], 0, 100), entries[5].name);
  EXPECT_EQ(Field(archive, headers[6], 345, 121), std::string(120, 'p') + '\0');
  EXPECT_EQ(Field(archive, headers[6], 0, 91), std::string(90, 'q') + '\0');
}

TEST_F(TarTest, HeaderFieldsFollowPosix) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string archive, WriteTar({{"sub/a.txt", "hello"}}, 1700000000));
  // One header, one data block, two zero blocks.
  ASSERT_EQ(archive.size(), 4 * kBlock);
  EXPECT_EQ(Field(archive, 0, 0, 100), "sub/a.txt" + std::string(91, '\0'));
  EXPECT_EQ(Field(archive, 0, 100, 8), "0000644\0"sv);
  EXPECT_EQ(Field(archive, 0, 108, 8), "0000000\0"sv);
  EXPECT_EQ(Field(archive, 0, 116, 8), "0000000\0"sv);
  EXPECT_EQ(Field(archive, 0, 124, 12), "00000000005\0"sv);
  EXPECT_EQ(Field(archive, 0, 136, 12), "14524770400\0"sv);
  EXPECT_EQ(Field(archive, 0, 154, 2), "\0 "sv);
  EXPECT_EQ(archive[156], '0');
  EXPECT_EQ(Field(archive, 0, 157, 100), std::string(100, '\0'));
  EXPECT_EQ(Field(archive, 0, 257, 8),
            "ustar\0"
            "00"sv);
  EXPECT_EQ(Field(archive, 0, 265, 32), "lepton" + std::string(26, '\0'));
  EXPECT_EQ(Field(archive, 0, 297, 32), "lepton" + std::string(26, '\0'));
  EXPECT_EQ(Field(archive, 0, 329, 16),
            "0000000\0"
            "0000000\0"sv);
  EXPECT_EQ(Field(archive, 0, 345, 167), std::string(167, '\0'));
  std::string rechecked = archive;
  FixChecksum(rechecked, 0);
  EXPECT_EQ(rechecked, archive) << "checksum field";
  EXPECT_EQ(Field(archive, kBlock, 0, kBlock), "hello" + std::string(kBlock - 5, '\0'));
  EXPECT_EQ(Field(archive, 2 * kBlock, 0, 2 * kBlock), EndOfArchive());
}

TEST_F(TarTest, EmptyArchiveIsTwoZeroBlocks) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string archive, WriteTar({}));
  EXPECT_EQ(archive, EndOfArchive());
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<TarEntry> read, ReadTar(archive));
  EXPECT_TRUE(read.empty());
}

TEST_F(TarTest, WriteRefusesBadNames) {
  EXPECT_THAT(WriteTar({{"../x", "x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'..' segment")));
  EXPECT_THAT(WriteTar({{"/etc/passwd", "x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("absolute")));
  EXPECT_THAT(WriteTar({{"a//b", "x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty segment")));
  EXPECT_THAT(WriteTar({{"./a", "x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'.' segment")));
  EXPECT_THAT(WriteTar({{"ok", "x"}, {"", "x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tar entry 1")));
  for (const std::string& name :
       {std::string("a/../b"), std::string("a/."), std::string("a/"), std::string("."),
        std::string(".."), std::string("a\0b", 3), NameOfLength(101), std::string(156, 'p') + "/x",
        "a/" + NameOfLength(101), std::string(257, 'a')}) {
    EXPECT_THAT(WriteTar({{name, "x"}}), StatusIs(absl::StatusCode::kInvalidArgument))
        << "name of " << name.size() << " bytes: " << name;
  }
  // The largest name: a 155-byte prefix, '/', and a 100-byte name.
  const std::string longest = std::string(155, 'p') + "/" + NameOfLength(100);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string archive, WriteTar({{longest, "x"}}));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<TarEntry> read, ReadTar(archive));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].name, longest);
}

TEST_F(TarTest, WriteRefusesDuplicatesAndFileFolderClashes) {
  EXPECT_THAT(WriteTar({{"a", "1"}, {"b", "2"}, {"a", "3"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  EXPECT_THAT(WriteTar({{"a", "1"}, {"a/b", "2"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("also an earlier file")));
  EXPECT_THAT(WriteTar({{"a/b", "1"}, {"a", "2"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("also a folder")));
  EXPECT_OK(WriteTar({{"a/b", "1"}, {"a/c", "2"}, {"ab", "3"}}));
}

TEST_F(TarTest, WriteRefusesMtimeOutsideTheOctalField) {
  EXPECT_THAT(WriteTar({{"a", "1"}}, -1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(WriteTar({{"a", "1"}}, kMaxTarFileBytes + 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mtime")));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string archive, WriteTar({{"a", "1"}}, kMaxTarFileBytes));
  EXPECT_EQ(Field(archive, 0, 136, 12), "77777777777\0"sv);
}

TEST_F(TarTest, GnuTarListsAndExtractsOurArchive) {
  const std::vector<TarEntry> entries = SampleEntries();
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string archive, WriteTar(entries, 1700000000));
  ASSERT_NO_FATAL_FAILURE(Put("ours.tar", archive));

  ASSERT_EQ(Run(StrCat(kGnuTar, " -tvf ours.tar > list.txt 2>&1")), 0) << Get("list.txt");
  const std::string listing = Get("list.txt");
  const std::vector<std::string_view> lines = Split(StripWhitespace(listing), '\n');
  ASSERT_EQ(lines.size(), entries.size()) << listing;
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_THAT(std::string(lines[i]), HasSubstr("-rw-r--r-- lepton/lepton"));
    EXPECT_TRUE(lines[i].ends_with(" " + entries[i].name)) << lines[i];
  }

  std::filesystem::create_directories(dir_ / "out");
  ASSERT_EQ(Run(StrCat(kGnuTar, " -xf ours.tar -C out > err.txt 2>&1")), 0) << Get("err.txt");
  EXPECT_EQ(Get("err.txt"), "");
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "out")) {
    files += e.is_regular_file();
  }
  EXPECT_EQ(files, entries.size());
  for (const TarEntry& entry : entries) {
    EXPECT_TRUE(Get("out/" + entry.name) == entry.data) << entry.name;
    struct stat st;
    ASSERT_EQ(::stat((dir_ / "out" / entry.name).c_str(), &st), 0) << entry.name;
    EXPECT_EQ(st.st_mode & 0777, 0644u) << entry.name;
    EXPECT_EQ(st.st_mtime, 1700000000) << entry.name;
  }
}

// The files the GNU tar tests archive, and the members to name on the command line.
std::vector<TarEntry> TreeFiles() {
  return {
      {"manifest.json", R"({"name":"churn"})"},
      {"model.ubj", PseudoRandomBytes(100000, 11)},
      {"empty", ""},
      {"sub/x.bin", AllByteValues()},
      {"sub/deeper/y.txt", "y"},
      {PrefixedName(), "prefixed"},
  };
}
std::string TreeMembers() { return "manifest.json model.ubj empty sub " + PrefixedName(); }

TEST_F(TarTest, ReadsGnuTarUstarArchive) {
  const std::string archive = GnuTar(TreeFiles(), "--format=ustar", TreeMembers());
  ASSERT_GE(archive.size(), kBlock);
  EXPECT_EQ(Field(archive, 0, 257, 8),
            "ustar\0"
            "00"sv);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<TarEntry> read, ReadTar(archive));
  EXPECT_EQ(AsMap(read), AsMap(TreeFiles()));
  EXPECT_EQ(read.size(), TreeFiles().size());
}

TEST_F(TarTest, ReadsGnuTarDefaultArchive) {
  const std::string archive = GnuTar(TreeFiles(), "", TreeMembers());
  ASSERT_GE(archive.size(), kBlock);
  EXPECT_EQ(Field(archive, 0, 257, 8), "ustar  \0"sv) << "expected GNU format";
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<TarEntry> read, ReadTar(archive));
  EXPECT_EQ(AsMap(read), AsMap(TreeFiles()));
  EXPECT_EQ(read.size(), TreeFiles().size());
}

TEST_F(TarTest, ReadsGnuTarLongNamesInGnuAndPaxFormats) {
  std::vector<TarEntry> files = TreeFiles();
  files.push_back({NameOfLength(150), "long"});
  files.push_back({"sub/" + NameOfLength(200), "long and nested"});
  for (const auto& [flags, typeflag] :
       std::vector<std::pair<std::string, char>>{{"--format=gnu", 'L'}, {"--format=pax", 'x'}}) {
    SCOPED_TRACE(flags);
    const std::string archive = GnuTar(files, flags, TreeMembers() + " " + NameOfLength(150));
    bool saw_extended_header = false;
    for (size_t header : HeaderOffsets(archive))
      saw_extended_header |= archive[header + 156] == typeflag;
    EXPECT_TRUE(saw_extended_header);
    LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<TarEntry> read, ReadTar(archive));
    EXPECT_EQ(AsMap(read), AsMap(files));
    EXPECT_EQ(read.size(), files.size());
  }
}

TEST_F(TarTest, ReadsGnuTarPaxGlobalComment) {
  const std::string archive =
      GnuTar({{"manifest.json", "{}"}}, "--format=pax --pax-option=comment=hello", "manifest.json");
  ASSERT_GE(archive.size(), kBlock);
  EXPECT_EQ(archive[156], 'g');
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<TarEntry> read, ReadTar(archive));
  EXPECT_EQ(read, (std::vector<TarEntry>{{"manifest.json", "{}"}}));
}

TEST_F(TarTest, ReadRefusesLinksMadeByGnuTar) {
  Put("src/manifest.json", "{}");
  ASSERT_EQ(Run(StrCat("cd src && ln -s manifest.json link && ln manifest.json hard && ", kGnuTar,
                       " -cf ../symlink.tar manifest.json link && ", kGnuTar,
                       " -cf ../hardlink.tar manifest.json hard")),
            0);
  EXPECT_THAT(ReadTar(Get("symlink.tar")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unsupported entry type '2' (symbolic link)")));
  EXPECT_THAT(ReadTar(Get("hardlink.tar")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'1' (hard link)")));
}

TEST_F(TarTest, ReadRefusesTraversalMadeByGnuTar) {
  Put("src/manifest.json", "{}");
  // -P keeps leading '/' and '..' that GNU tar would otherwise strip.
  const std::string tar_p = StrCat("cd src && ", kGnuTar, " -P");
  ASSERT_EQ(Run(StrCat(tar_p, " --transform='s,^,../../,' -cf ../up.tar manifest.json")), 0);
  ASSERT_EQ(Run(StrCat(tar_p, " -cf ../absolute.tar \"$PWD/manifest.json\"")), 0);
  ASSERT_EQ(Run(StrCat(tar_p, " --format=gnu --transform='s,^,../", std::string(150, 'l'),
                       "/,' -cf ../long_up.tar manifest.json")),
            0);
  ASSERT_EQ(Run(StrCat(tar_p, " --format=pax --transform='s,^,../", std::string(150, 'l'),
                       "/,' -cf ../pax_up.tar manifest.json")),
            0);
  for (const std::string archive : {"up.tar", "long_up.tar", "pax_up.tar"}) {
    EXPECT_THAT(ReadTar(Get(archive)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'..' segment")))
        << archive;
  }
  EXPECT_THAT(ReadTar(Get("absolute.tar")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("absolute")));
}

TEST_F(TarTest, ReadRefusesUnsafeNames) {
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string archive, WriteTar({{"placeholder", "x"}}));
  for (const std::string_view name : {"../x"sv, "/etc/passwd"sv, "a//b"sv, "./a"sv, "a/../../b"sv,
                                      "a/."sv, ".."sv, "a/"sv, ""sv}) {
    std::string bad = archive;
    SetName(bad, 0, name);
    EXPECT_THAT(ReadTar(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name")))
        << name;
  }
  // ".." hidden in the prefix field.
  std::string bad = archive;
  SetName(bad, 0, "x");
  std::memcpy(&bad[345], "..", 2);
  FixChecksum(bad, 0);
  EXPECT_THAT(ReadTar(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"../x\"")));
}

TEST_F(TarTest, ReadRefusesDuplicatesAndFileFolderClashes) {
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string twice, WriteTar({{"a", "1"}, {"b", "2"}}));
  SetName(twice, 2 * kBlock, "a");
  EXPECT_THAT(ReadTar(twice),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate name")));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string clash, WriteTar({{"a", "1"}, {"c/b", "2"}}));
  SetName(clash, 2 * kBlock, "a/b");
  EXPECT_THAT(ReadTar(clash),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("also an earlier file")));
}

TEST_F(TarTest, ReadRefusesOtherTypeflags) {
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string archive, WriteTar({{"a", "1"}}));
  for (char typeflag :
       "12346"
       "7KSVMDNA\x01z"sv) {
    std::string bad = archive;
    bad[156] = typeflag;
    FixChecksum(bad, 0);
    EXPECT_THAT(ReadTar(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported entry type")))
        << typeflag;
  }
  std::string device = archive;
  device[156] = '3';
  FixChecksum(device, 0);
  EXPECT_THAT(ReadTar(device),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'3' (character device)")));
}

TEST_F(TarTest, ReadRefusesEveryFlippedHeaderByte) {
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string archive, WriteTar(SmallEntries()));
  const std::vector<size_t> headers = HeaderOffsets(archive);
  ASSERT_EQ(headers.size(), SmallEntries().size());
  // XOR with 1 or 0x80 changes the sum of any byte outside the checksum field, and inside it
  // turns a digit into another digit or a non-digit, and a terminator into a non-terminator.
  for (size_t header : headers) {
    for (size_t i = 0; i < kBlock; ++i) {
      for (unsigned char mask : {0x01, 0x80}) {
        std::string bad = archive;
        bad[header + i] = static_cast<char>(bad[header + i] ^ mask);
        EXPECT_THAT(ReadTar(bad), StatusIs(absl::StatusCode::kInvalidArgument))
            << "header " << header << " byte " << i << " mask " << int{mask};
      }
    }
  }
  std::string bad = archive;
  bad[headers[1]] ^= 1;
  EXPECT_THAT(ReadTar(bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(StrCat("offset ", headers[1], ": checksum mismatch"))));
}

TEST_F(TarTest, ReadRefusesEveryTruncation) {
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string small, WriteTar(SmallEntries()));
  for (size_t length = 0; length < small.size(); ++length) {
    EXPECT_THAT(ReadTar(std::string_view(small).substr(0, length)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "length " << length;
  }
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string large, WriteTar(SampleEntries()));
  for (size_t boundary = 0; boundary < large.size(); boundary += kBlock) {
    for (size_t length : {boundary, boundary + 1, boundary + 300, boundary + kBlock - 1}) {
      EXPECT_THAT(ReadTar(std::string_view(large).substr(0, length)),
                  StatusIs(absl::StatusCode::kInvalidArgument))
          << "length " << length;
    }
  }
  EXPECT_THAT(ReadTar(std::string_view(large).substr(0, large.size() - kBlock)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("one zero block")));
  EXPECT_THAT(ReadTar(std::string_view(large).substr(0, large.size() - 2 * kBlock)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("end-of-archive marker")));
}

TEST_F(TarTest, ReadChecksWhatFollowsTheEndMarker) {
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string archive, WriteTar(SmallEntries()));
  // GNU tar pads archives with zeros to a 10 KiB record.
  const std::string padded =
      archive + std::string(20 * kBlock - archive.size() % (20 * kBlock), '\0');
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<TarEntry> read, ReadTar(padded));
  EXPECT_EQ(read, SmallEntries());

  EXPECT_THAT(ReadTar(archive + "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("multiple of 512")));
  EXPECT_THAT(ReadTar(archive + std::string(kBlock - 1, '\0') + "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("after the end-of-archive")));
  // A zero block followed by another header.
  std::string lone = archive.substr(0, archive.size() - 2 * kBlock) + std::string(kBlock, '\0') +
                     archive.substr(0, kBlock) + EndOfArchive();
  EXPECT_THAT(ReadTar(lone), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lone zero")));
}

TEST_F(TarTest, ReadEnforcesLimits) {
  const std::vector<TarEntry> entries = SmallEntries();
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string archive, WriteTar(entries));
  int64_t total_bytes = 0;
  for (const TarEntry& e : entries) total_bytes += static_cast<int64_t>(e.data.size());
  const int64_t count = static_cast<int64_t>(entries.size());

  EXPECT_OK(ReadTar(archive, {.max_entries = count, .max_total_bytes = total_bytes}));
  EXPECT_THAT(ReadTar(archive, {.max_entries = count - 1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("files (the limit)")));
  EXPECT_THAT(ReadTar(archive, {.max_total_bytes = total_bytes - 1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds the limit")));
  EXPECT_THAT(ReadTar(archive, {.max_entries = 0}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(TarTest, ReadRefusesCorruptFields) {
  LEPTON_ASSERT_OK_AND_ASSIGN(const std::string archive, WriteTar({{"a", "hello"}}));
  const auto refused = [&](size_t offset, std::string_view bytes, std::string_view message) {
    std::string bad = archive;
    std::memcpy(&bad[offset], bytes.data(), bytes.size());
    FixChecksum(bad, 0);
    EXPECT_THAT(ReadTar(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << "offset " << offset;
  };
  refused(257, "ustaX\0"sv, "bad magic");
  refused(263, "01", "bad magic");
  refused(124, "00000000009\0"sv, "bad size field");
  refused(124, "          \0\0"sv, "bad size field");
  refused(124, "000000000050"sv, "bad size field");  // no terminator
  refused(124, "\x80\0\0\0\0\0\0\0\0\0\0\x05"sv, "base-256");
  refused(124, "77777777777\0"sv, "past the end");
  refused(156, "5", "folder entry with data");

  std::string bad_checksum = archive;
  std::memcpy(&bad_checksum[148], "0x1234\0 ", 8);
  EXPECT_THAT(ReadTar(bad_checksum),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad checksum field")));
  // Older writers pad numbers with leading spaces; that is still a valid field.
  std::string spaced = archive;
  std::memcpy(&spaced[124], "         5 \0"sv.data(), 12);
  FixChecksum(spaced, 0);
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<TarEntry> read, ReadTar(spaced));
  EXPECT_EQ(read, (std::vector<TarEntry>{{"a", "hello"}}));
}

TEST_F(TarTest, ReadSkipsFoldersAndAppliesExtendedHeaders) {
  const std::string archive =
      RawEntry("sub/", '5', "") +
      RawEntry("././@LongLink", 'L', "sub/" + NameOfLength(300) + '\0') +
      RawEntry("ignored", '0', "long") +
      RawEntry(
          "PaxHeaders/x", 'x',
          PaxRecord("mtime", "1.5") + PaxRecord("path", "sub/pax.bin") + PaxRecord("size", "7")) +
      RawEntry("ignored2", '0', "seven!!", /*size_field=*/0) + EndOfArchive();
  LEPTON_ASSERT_OK_AND_ASSIGN(std::vector<TarEntry> read, ReadTar(archive));
  EXPECT_EQ(read, (std::vector<TarEntry>{{"sub/" + NameOfLength(300), "long"},
                                         {"sub/pax.bin", "seven!!"}}));
}

TEST_F(TarTest, ReadRefusesBadExtendedHeaders) {
  const std::string file = RawEntry("ok", '0', "data");
  const auto refused = [&](const std::string& entries, std::string_view message) {
    EXPECT_THAT(ReadTar(entries + EndOfArchive()),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << message;
  };
  refused(RawEntry("x", 'x', PaxRecord("path", "../evil")) + file, "'..' segment");
  refused(RawEntry("x", 'x', PaxRecord("path", "/evil")) + file, "absolute");
  refused(RawEntry("L", 'L', std::string("a/../b\0", 7)) + file, "'..' segment");
  refused(RawEntry("x", 'x', "5 path=x\n") + file, "malformed pax record");
  refused(RawEntry("x", 'x', "9 path=x") + file, "malformed pax record");
  refused(RawEntry("x", 'x', "abc") + file, "malformed pax record");
  refused(RawEntry("x", 'x', PaxRecord("size", "-1")) + file, "bad pax size");
  refused(RawEntry("x", 'x', PaxRecord("size", "99999")) + file, "past the end");
  refused(RawEntry("x", 'x', PaxRecord("GNU.sparse.major", "1")) + file, "sparse");
  refused(RawEntry("g", 'g', PaxRecord("path", "evil")) + file, "global header");
  refused(RawEntry("L", 'L', "a") + RawEntry("L", 'L', "b") + file, "second long-name");
  refused(RawEntry("x", 'x', "") + RawEntry("x", 'x', "") + file, "second pax");
  refused(RawEntry("L", 'L', "a"), "right after an extended header");
  refused(RawEntry("L", 'L', std::string(2 << 20, 'a')) + file, "too large");
  refused(RawEntry("L", 'L', "a") + RawEntry("x", 'x', PaxRecord("path", "b")) + file,
          "both a long-name header and a pax path");
  refused(RawEntry("L", 'L', "link") + RawEntry("ignored", '2', ""), "symbolic link");
}

TEST_F(TarTest, FuzzedArchivesGiveOkOrInvalidArgument) {
  std::vector<TarEntry> files = SmallEntries();
  files.push_back({NameOfLength(150), "long"});
  std::vector<std::string> bases;
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string ours, WriteTar(SmallEntries()));
  bases.push_back(ours);
  const std::string members = "manifest.json empty bytes sub " + NameOfLength(150);
  bases.push_back(GnuTar(files, "--format=gnu", members));
  bases.push_back(GnuTar(files, "--format=pax --pax-option=comment=fuzz", members));
  std::vector<std::vector<size_t>> headers;
  for (const std::string& base : bases) {
    ASSERT_OK(ReadTar(base));
    headers.push_back(HeaderOffsets(base));
    ASSERT_FALSE(headers.back().empty());
  }

  std::mt19937 rng(20240611);
  int accepted = 0;
  int refused = 0;
  for (int iteration = 0; iteration < 4000; ++iteration) {
    const size_t which = iteration % bases.size();
    std::string mutated = bases[which];
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Half the flips hit a header, the rest land anywhere.
      const size_t pos = rng() % 2 ? headers[which][rng() % headers[which].size()] + rng() % kBlock
                                   : rng() % mutated.size();
      mutated[pos] = static_cast<char>(mutated[pos] ^ (1 + rng() % 255));
    }
    // Every other time, make the checksums right so that the field parsing is exercised.
    if (iteration % 2 == 1) {
      for (size_t header : headers[which]) FixChecksum(mutated, header);
    }
    const absl::StatusOr<std::vector<TarEntry>> read = ReadTar(mutated);
    if (read.ok()) {
      ++accepted;
      // Whatever the mutation, an accepted name stays a safe relative path.
      for (const TarEntry& e : *read) {
        ASSERT_FALSE(e.name.empty());
        EXPECT_NE(e.name.front(), '/') << e.name;
        for (std::string_view segment : Split(e.name, '/')) {
          EXPECT_TRUE(segment != "" && segment != "." && segment != "..") << e.name;
        }
      }
    } else {
      ++refused;
      EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument)
          << "iteration " << iteration << ": " << read.status().ToString();
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace lepton
