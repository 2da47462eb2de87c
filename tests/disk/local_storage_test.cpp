#include "node/disk/local_storage.hpp"

#include <gtest/gtest.h>

#include "tests/disk/disk_test_util.hpp"

namespace fabric::disk::test {
namespace {

constexpr std::size_t mib = 1024 * 1024;

class local_storage_test : public temp_dir_test {
protected:
  fs::path local_dir() const { return data() / "instances" / "IN_0" / "local"; }

  local_storage_store open(const std::string& name, std::uint64_t size_mb) {
    auto s = local_storage_store::open(local_dir(), name, size_mb);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.err().to_string());
    return std::move(*s);
  }
};

TEST_F(local_storage_test, write_read_stat_list_remove) {
  auto s = open("cache", 10);
  EXPECT_EQ(s.dir(), local_dir() / "cache");
  ASSERT_TRUE(s.write("a.txt", "alpha").ok());
  ASSERT_TRUE(s.write("sub/deep/b.bin", std::string(100, 'b')).ok());
  EXPECT_EQ(*s.read("a.txt"), "alpha");
  EXPECT_EQ(get(local_dir() / "cache" / "sub" / "deep" / "b.bin"), std::string(100, 'b'));
  EXPECT_EQ(s.stat("sub/deep/b.bin")->size, 100u);
  EXPECT_EQ(s.stat("sub")->kind, file_kind::directory);
  auto l = s.list("");
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].name, "a.txt");
  EXPECT_EQ((*l)[1].name, "sub");
  EXPECT_EQ(*s.used_bytes(), 105u);
  ASSERT_TRUE(s.remove("sub").ok());
  EXPECT_EQ(*s.used_bytes(), 5u);
  EXPECT_EQ(s.read("sub/deep/b.bin").err().message, "no such file or directory: 'sub/deep/b.bin'");
  EXPECT_EQ(s.remove("sub").err().message, "cannot remove 'sub': no such file or directory");
  EXPECT_EQ(s.write("a.txt/x", "x").err().message,
            "path 'a.txt/x' goes through 'a.txt', which is a file, not a directory");
}

TEST_F(local_storage_test, a_write_past_the_quota_fails_and_keeps_the_old_content) {
  auto s = open("cache", 1);
  EXPECT_EQ(s.quota_bytes(), mib);
  std::string old(600 * 1024, 'o');
  ASSERT_TRUE(s.write("a", old).ok());
  auto st = s.write("b", std::string(500 * 1024, 'n'));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.err().message,
            "local storage 'cache' is full: writing 'b' (512000 bytes) would bring it to "
            "1126400 bytes, over its quota of 1048576 bytes (sizeInMB=1); nothing was changed");
  EXPECT_FALSE(s.stat("b").ok());
  EXPECT_EQ(*s.used_bytes(), old.size());

  // Replacing a file counts the new size minus the replaced one: exactly full is fine.
  ASSERT_TRUE(s.write("a", std::string(mib, 'f')).ok());
  EXPECT_EQ(*s.used_bytes(), mib);
  st = s.write("a", std::string(mib + 1, 'g'));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.err().message, "local storage 'cache' is full")) << st.err().message;
  EXPECT_EQ(*s.read("a"), std::string(mib, 'f'));
  st = s.write("c", "1");
  ASSERT_FALSE(st.ok());
  // No temp file is left behind by the failed writes.
  for (auto& e : fs::directory_iterator(local_dir()))
    EXPECT_EQ(e.path().filename().string().rfind(".tmp-", 0), std::string::npos) << e.path();
  // A smaller file still fits after deleting.
  ASSERT_TRUE(s.remove("a").ok());
  EXPECT_TRUE(s.write("c", "1").ok());
}

TEST_F(local_storage_test, wipe_empties_the_resource_and_keeps_others) {
  auto a = open("cache", 5);
  auto b = open("logs", 5);
  ASSERT_TRUE(a.write("x/y", "123").ok());
  ASSERT_TRUE(b.write("keep", "kept").ok());
  ASSERT_TRUE(a.wipe().ok());
  EXPECT_EQ(*a.used_bytes(), 0u);
  EXPECT_TRUE(a.list("")->empty());
  EXPECT_TRUE(fs::is_directory(a.dir()));
  EXPECT_EQ(*b.read("keep"), "kept");
  ASSERT_TRUE(a.write("after", "ok").ok());
}

TEST_F(local_storage_test, paths_escaping_the_resource_are_rejected) {
  auto s = open("cache", 5);
  open("other", 5).write("secret", "s");
  EXPECT_TRUE(contains(s.read("../other/secret").err().message,
                       "'..' components are not allowed"));
  EXPECT_TRUE(contains(s.write("/tmp/x", "x").err().message, "absolute paths are not allowed"));
  EXPECT_TRUE(contains(s.write(std::string("x\0y", 3), "x").err().message, "NUL byte"));
  fs::create_directory_symlink(local_dir() / "other", local_dir() / "cache" / "link");
  auto r = s.read("link/secret");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message,
            "path 'link/secret' is not allowed: it goes through a symbolic link, which could "
            "lead outside the disk root");
  EXPECT_FALSE(s.write("link/new", "x").ok());
  EXPECT_FALSE(fs::exists(local_dir() / "other" / "new"));
}

TEST_F(local_storage_test, invalid_names_are_rejected_and_content_survives_reopen) {
  auto bad = local_storage_store::open(local_dir(), "../escape", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err().message,
            "local storage name '../escape' is not valid: it may not start with '.'");
  {
    auto s = open("cache", 1);
    ASSERT_TRUE(s.write("big", std::string(900 * 1024, 'x')).ok());
  }
  auto again = open("cache", 1);
  EXPECT_EQ(*again.used_bytes(), 900u * 1024);
  EXPECT_FALSE(again.write("more", std::string(200 * 1024, 'y')).ok());
}

} // namespace
} // namespace fabric::disk::test
