#include "lepton/base/files.h"

#include <sys/stat.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "lepton/base/testing/status_matchers.h"

namespace lepton {
namespace {

using ::lepton::testing::StatusIs;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lepton_files_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    ASSERT_OK(MakeDirs(dir_.string()));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(FilesTest, AtomicWriteReplacesWholeFileAndLeavesNoTemporary) {
  const std::string path = (dir_ / "a.txt").string();
  ASSERT_OK(WriteFileAtomically(path, "first"));
  ASSERT_OK(WriteFileAtomically(path, "second version"));
  LEPTON_ASSERT_OK_AND_ASSIGN(std::string text, ReadFile(path));
  EXPECT_EQ(text, "second version");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(FilesTest, AtomicWriteAppliesModeDespiteUmask) {
  const std::string path = (dir_ / "secret").string();
  ASSERT_OK(WriteFileAtomically(path, "token", 0600));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FilesTest, WriteIntoMissingFolderFailsWithPath) {
  EXPECT_THAT(WriteFileAtomically((dir_ / "nope" / "x").string(), "x"),
              StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("nope")));
}

TEST_F(FilesTest, ReadMissingFileIsNotFound) {
  EXPECT_THAT(ReadFile((dir_ / "missing").string()), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(FilesTest, MakeDirsCreatesParentsAndIsIdempotent) {
  const std::string p = (dir_ / "a" / "b" / "c").string();
  ASSERT_OK(MakeDirs(p));
  ASSERT_OK(MakeDirs(p));
  EXPECT_TRUE(PathExists(p));
}

}  // namespace
}  // namespace lepton
