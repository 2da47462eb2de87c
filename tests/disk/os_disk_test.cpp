#include "node/disk/os_disk.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "tests/disk/disk_test_util.hpp"

namespace fabric::disk::test {
namespace {

class os_disk_test : public temp_dir_test {
protected:
  os_disk_test() : store_(data()) {
    auto src = root() / "base";
    put(src / "readme.txt", "base readme");
    put(src / "etc" / "config.ini", "port=80");
    put(src / "dir" / "a", "A");
    put(src / "dir" / "b", "BB");
    base_ = *store_.import_directory(src);
  }

  os_disk open_disk(const std::string& instance) {
    auto d = os_disk::open(store_, data() / "instances" / instance / "os", base_);
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.err().to_string());
    return std::move(*d);
  }

  std::vector<std::string> names(const os_disk& d, const std::string& dir) {
    std::vector<std::string> out;
    auto l = d.list(dir);
    EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.err().to_string());
    if (l.ok())
      for (auto& e : *l)
        out.push_back(e.name);
    return out;
  }

  std::string error_of(const status& st) { return st.ok() ? "<ok>" : st.err().message; }
  template <class T>
  std::string error_of(const result<T>& r) {
    return r.ok() ? "<ok>" : r.err().message;
  }

  images::image_store store_;
  std::string base_;
};

using strings = std::vector<std::string>;

TEST_F(os_disk_test, reads_fall_through_to_the_base) {
  auto d = open_disk("IN_0");
  EXPECT_EQ(*d.read("readme.txt"), "base readme");
  EXPECT_EQ(*d.read("etc/config.ini"), "port=80");
  EXPECT_EQ(names(d, ""), (strings{"dir", "etc", "readme.txt"}));
  auto info = d.stat("dir/b");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kind, file_kind::file);
  EXPECT_EQ(info->size, 2u);
  EXPECT_FALSE(info->in_layer);
  EXPECT_EQ(d.stat("dir")->kind, file_kind::directory);
  EXPECT_EQ(*d.layer_bytes(), 0u);
  EXPECT_EQ(error_of(d.read("nope")), "no such file or directory: 'nope'");
  EXPECT_EQ(error_of(d.read("dir")), "cannot read 'dir': it is a directory");
}

TEST_F(os_disk_test, two_instances_share_one_base_each_with_its_own_layer) {
  auto d0 = open_disk("IN_0");
  auto d1 = open_disk("IN_1");
  ASSERT_TRUE(d0.write("readme.txt", "changed by IN_0").ok());
  ASSERT_TRUE(d1.remove("etc/config.ini").ok());
  EXPECT_EQ(*d0.read("readme.txt"), "changed by IN_0");
  EXPECT_EQ(*d1.read("readme.txt"), "base readme");
  EXPECT_EQ(*d0.read("etc/config.ini"), "port=80");
  EXPECT_FALSE(d1.exists("etc/config.ini"));
  EXPECT_EQ(d0.base_digest(), d1.base_digest());
  EXPECT_EQ(get(*store_.path_of(base_) / "readme.txt"), "base readme");
  EXPECT_TRUE(store_.verify(base_).ok());
  EXPECT_EQ(store_.list()->size(), 1u);
  EXPECT_EQ(*d0.layer_bytes(), std::string("changed by IN_0").size());
}

TEST_F(os_disk_test, writes_land_in_the_layer) {
  auto d = open_disk("IN_0");
  ASSERT_TRUE(d.write("logs/app/today.log", "line 1\n").ok());
  ASSERT_TRUE(d.write("logs/app/today.log", "line 1\nline 2\n").ok());
  EXPECT_EQ(*d.read("logs/app/today.log"), "line 1\nline 2\n");
  EXPECT_TRUE(fs::is_regular_file(d.layer_dir() / "logs" / "app" / "today.log"));
  auto info = d.stat("logs/app/today.log");
  EXPECT_TRUE(info->in_layer);
  EXPECT_EQ(info->size, 14u);
  EXPECT_EQ(*d.layer_bytes(), 14u);
  ASSERT_TRUE(d.write("dir/new", "N").ok());
  auto l = *d.list("dir");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].name, "a");
  EXPECT_FALSE(l[0].in_layer);
  EXPECT_EQ(l[2].name, "new");
  EXPECT_TRUE(l[2].in_layer);
  ASSERT_TRUE(d.make_directory("empty/sub").ok());
  EXPECT_EQ(d.stat("empty/sub")->kind, file_kind::directory);
  EXPECT_EQ(error_of(d.write("dir", "x")), "cannot write 'dir': it is a directory");
  EXPECT_EQ(error_of(d.write("readme.txt/inner", "x")),
            "cannot write 'readme.txt/inner': 'readme.txt' is a file, not a directory");
  EXPECT_EQ(error_of(d.make_directory("readme.txt")),
            "cannot create directory 'readme.txt': a file is there");
}

TEST_F(os_disk_test, deleting_a_base_file_leaves_a_whiteout_and_recreating_removes_it) {
  auto d = open_disk("IN_0");
  ASSERT_TRUE(d.remove("readme.txt").ok());
  EXPECT_FALSE(d.exists("readme.txt"));
  EXPECT_EQ(error_of(d.read("readme.txt")), "no such file or directory: 'readme.txt'");
  EXPECT_EQ(names(d, ""), (strings{"dir", "etc"}));
  EXPECT_TRUE(fs::exists(d.layer_dir() / ".wh.readme.txt"));
  EXPECT_EQ(get(*store_.path_of(base_) / "readme.txt"), "base readme"); // base untouched
  EXPECT_EQ(error_of(d.remove("readme.txt")),
            "cannot remove 'readme.txt': no such file or directory");

  ASSERT_TRUE(d.write("readme.txt", "mine").ok());
  EXPECT_FALSE(fs::exists(d.layer_dir() / ".wh.readme.txt"));
  EXPECT_EQ(*d.read("readme.txt"), "mine");
  // Deleting a layer-only file leaves no whiteout.
  ASSERT_TRUE(d.write("scratch", "s").ok());
  ASSERT_TRUE(d.remove("scratch").ok());
  EXPECT_FALSE(fs::exists(d.layer_dir() / ".wh.scratch"));
  EXPECT_FALSE(d.exists("scratch"));
}

TEST_F(os_disk_test, a_deleted_base_directory_stays_hidden_when_created_again) {
  auto d = open_disk("IN_0");
  ASSERT_TRUE(d.write("dir/a", "layer copy of a").ok());
  ASSERT_TRUE(d.remove("dir").ok());
  EXPECT_FALSE(d.exists("dir"));
  EXPECT_FALSE(d.exists("dir/b"));
  EXPECT_EQ(error_of(d.list("dir")), "no such file or directory: 'dir'");
  ASSERT_TRUE(d.write("dir/c", "C").ok());
  EXPECT_EQ(names(d, "dir"), (strings{"c"}));
  EXPECT_FALSE(d.exists("dir/a"));
  EXPECT_TRUE(fs::exists(d.layer_dir() / "dir" / ".wh..wh..opq"));
}

TEST_F(os_disk_test, reset_drops_the_layer_and_the_base_reappears) {
  auto d = open_disk("IN_0");
  ASSERT_TRUE(d.write("readme.txt", "mine").ok());
  ASSERT_TRUE(d.remove("etc").ok());
  ASSERT_TRUE(d.write("new.txt", "n").ok());
  ASSERT_TRUE(d.reset().ok());
  EXPECT_EQ(*d.read("readme.txt"), "base readme");
  EXPECT_EQ(*d.read("etc/config.ini"), "port=80");
  EXPECT_FALSE(d.exists("new.txt"));
  EXPECT_EQ(*d.layer_bytes(), 0u);
  EXPECT_TRUE(fs::is_empty(d.layer_dir()));
}

TEST_F(os_disk_test, rebase_drops_the_layer_and_switches_base) {
  auto src2 = root() / "base2";
  put(src2 / "readme.txt", "v2 readme");
  put(src2 / "v2-only", "2");
  auto v2 = *store_.import_directory(src2);
  auto d = open_disk("IN_0");
  ASSERT_TRUE(d.write("mine", "m").ok());

  auto bad = std::string(64, 'e');
  EXPECT_EQ(error_of(d.rebase(bad)),
            "image " + bad + " is not in the store '" + (data() / "images").string() + "'");
  EXPECT_EQ(d.base_digest(), base_);
  EXPECT_EQ(*d.read("mine"), "m"); // a failed rebase changes nothing

  ASSERT_TRUE(d.rebase(v2).ok());
  EXPECT_EQ(d.base_digest(), v2);
  EXPECT_EQ(*d.read("readme.txt"), "v2 readme");
  EXPECT_FALSE(d.exists("mine"));
  EXPECT_FALSE(d.exists("etc"));
  EXPECT_EQ(names(d, ""), (strings{"readme.txt", "v2-only"}));
}

TEST_F(os_disk_test, untrusted_paths_that_escape_are_rejected) {
  auto d = open_disk("IN_0");
  struct bad_path {
    std::string path;
    std::string why;
  };
  std::vector<bad_path> cases = {
    {"../IN_1/os/layer/x", "'..' components are not allowed"},
    {"dir/../../x", "'..' components are not allowed"},
    {"/etc/passwd", "absolute paths are not allowed"},
    {std::string("a\0b", 3), "it contains a NUL byte"},
    {".wh.readme.txt", "reserved for whiteout markers"},
    {"dir/.wh..wh..opq", "reserved for whiteout markers"},
    {"", "it names the disk root"},
    {std::string(300, 'x'), "a component is longer than 255 bytes"},
  };
  for (const auto& c : cases) {
    auto w = d.write(c.path, "x");
    ASSERT_FALSE(w.ok()) << c.path;
    EXPECT_TRUE(contains(w.err().message, c.why)) << w.err().message;
    EXPECT_TRUE(contains(w.err().message, "is not allowed")) << w.err().message;
    EXPECT_FALSE(d.read(c.path).ok());
    EXPECT_FALSE(d.remove(c.path).ok());
  }
  EXPECT_TRUE(fs::is_empty(d.layer_dir()));
  // A symbolic link planted in the layer cannot be followed out of it.
  fs::create_directories(root() / "outside");
  fs::create_directory_symlink(root() / "outside", d.layer_dir() / "link");
  auto w = d.write("link/x", "x");
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(contains(w.err().message, "symbolic link")) << w.err().message;
  EXPECT_FALSE(fs::exists(root() / "outside" / "x"));
}

TEST_F(os_disk_test, a_new_handle_over_the_same_directory_sees_layer_and_whiteouts) {
  {
    auto d = open_disk("IN_0");
    ASSERT_TRUE(d.write("etc/config.ini", "port=81").ok());
    ASSERT_TRUE(d.remove("readme.txt").ok());
  }
  auto again = open_disk("IN_0");
  EXPECT_EQ(*again.read("etc/config.ini"), "port=81");
  EXPECT_FALSE(again.exists("readme.txt"));
  EXPECT_EQ(*again.read("dir/a"), "A");
}

TEST_F(os_disk_test, opening_over_a_missing_image_fails) {
  auto missing = std::string(64, 'f');
  auto d = os_disk::open(store_, data() / "instances" / "X" / "os", missing);
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(contains(d.err().message, "image " + missing + " is not in the store"));
}

} // namespace
} // namespace fabric::disk::test
