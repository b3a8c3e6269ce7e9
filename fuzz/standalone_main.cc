// A main() for running fuzz targets without libFuzzer (the normal g++ build, CI): calls
// LLVMFuzzerInitialize when the target defines it, then LLVMFuzzerTestOneInput once per input.
// Arguments are files or directories (walked recursively, sorted; hidden files such as
// .gitkeep are skipped); arguments starting with '-' (libFuzzer flags such as -runs=0) are
// ignored, so the same command line works for both kinds of binary. A missing path is an error.
// An input that violates an invariant aborts the process (the name was printed just before).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

bool Hidden(const std::filesystem::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

int RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  std::fprintf(stderr, "Running: %s (%zu bytes)\n", path.c_str(), bytes.size());
  std::fflush(stderr);
  // Copy into an exactly sized buffer so that ASan-style overreads are caught as with libFuzzer.
  std::vector<uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  int failures = 0;
  int inputs = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.starts_with("-")) continue;
    const std::filesystem::path path(arg);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> files;
      for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (Hidden(it->path())) {
          if (it->is_directory()) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file()) files.push_back(it->path());
      }
      if (ec) {
        std::fprintf(stderr, "cannot list %s: %s\n", arg.c_str(), ec.message().c_str());
        ++failures;
        continue;
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        failures += RunFile(f);
        ++inputs;
      }
    } else if (std::filesystem::is_regular_file(path, ec)) {
      failures += RunFile(path);
      ++inputs;
    } else {
      std::fprintf(stderr, "no such file or directory: %s\n", arg.c_str());
      ++failures;
    }
  }
  std::fprintf(stderr, "Executed %d inputs, %d problems\n", inputs, failures);
  return failures == 0 ? 0 : 1;
}
