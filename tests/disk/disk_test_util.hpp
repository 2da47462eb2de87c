#pragma once

// Test support for fabric::disk: a fresh data directory per test under the
// system temp dir (removed afterwards, read-only image trees included) and
// small file helpers.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace fabric::disk::test {

namespace fs = std::filesystem;

inline void force_remove(const fs::path& p) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(p, ec)))
    return;
  for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (!it->is_symlink(ec))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  fs::permissions(p, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(p, ec);
}

inline void put(const fs::path& file, const std::string& content) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << content;
}

inline std::string get(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

/// A fresh directory per test: `root()`; removed by the destructor.
class temp_dir_test : public ::testing::Test {
protected:
  temp_dir_test() {
    static std::atomic<int> counter{0};
    auto info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path()
            / ("fabric-disk-" + std::to_string(::getpid()) + "-" + std::to_string(++counter)
               + "-" + (info ? info->name() : "test"));
    force_remove(root_);
    fs::create_directories(root_);
  }
  ~temp_dir_test() override { force_remove(root_); }

  const fs::path& root() const { return root_; }
  fs::path data() const { return root_ / "data"; }

private:
  fs::path root_;
};

} // namespace fabric::disk::test
