#pragma once

// Helpers shared by the fuzz targets (fuzz/README.md).
//
// Seeds: run with FABRIC_FUZZ_WRITE_SEEDS=DIR, a fuzzer writes its seed
// inputs into DIR and exits 0 (fuzz/run_fuzzer.sh does this before each
// run), so seeds such as encoded protocol frames follow the code instead of
// going stale as committed binaries.
//
// A property violated by an input is reported with fuzz_check(), which
// aborts: libFuzzer saves the input as a crash artifact.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>

namespace fabric::fuzz {

inline void write_seed(const std::filesystem::path& dir, const std::string& name,
                       std::string_view bytes) {
  std::ofstream out(dir / name, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Copies the regular files of tests/data/<sub> into `dir` (as seeds).
inline void copy_test_data(const std::filesystem::path& dir, const std::string& sub) {
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(std::filesystem::path(FABRIC_TEST_DATA) / sub, ec))
    if (e.is_regular_file())
      std::filesystem::copy_file(e.path(), dir / (sub + "-" + e.path().filename().string()),
                                 std::filesystem::copy_options::overwrite_existing, ec);
}

/// Calls `write(dir)` and exits when FABRIC_FUZZ_WRITE_SEEDS=dir is set.
inline void seeds_if_asked(const std::function<void(const std::filesystem::path&)>& write) {
  const char* dir = std::getenv("FABRIC_FUZZ_WRITE_SEEDS");
  if (!dir || !*dir)
    return;
  std::filesystem::create_directories(dir);
  write(dir);
  std::exit(0);
}

/// Aborts with `what` when `ok` is false: the input is a finding.
inline void fuzz_check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz property violated: %s\n", what);
    std::abort();
  }
}

} // namespace fabric::fuzz
