#include "images/image_store.hpp"

#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "tests/disk/disk_test_util.hpp"

namespace fabric::images::test {
namespace {

using namespace fabric::disk::test; // temp_dir_test, put, get (tests/disk)

class image_store_test : public temp_dir_test {
protected:
  // A small tree: two files, an executable, a nested file, an empty directory.
  fs::path make_source(const std::string& name = "src") {
    auto src = root() / name;
    put(src / "readme.txt", "hello base image\n");
    put(src / "etc" / "config.ini", "[main]\nport=8080\n");
    put(src / "bin" / "run.sh", "#!/bin/sh\necho run\n");
    fs::permissions(src / "bin" / "run.sh", fs::perms::owner_exec, fs::perm_options::add);
    fs::create_directories(src / "var" / "empty");
    return src;
  }

  std::string export_to_string(image_store& store, const std::string& digest,
                               std::size_t chunk = 1 << 20) {
    std::string out;
    auto st = store.export_image(
      digest,
      [&](std::string_view c) {
        out.append(c);
        return ok_status();
      },
      chunk);
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.err().to_string());
    return out;
  }

  std::vector<std::string> leftovers(const fs::path& images) {
    std::vector<std::string> out;
    if (!fs::exists(images))
      return out;
    for (auto& e : fs::directory_iterator(images))
      if (e.path().filename().string().front() == '.')
        out.push_back(e.path().filename().string());
    return out;
  }
};

bool writable_by_anyone(const fs::path& p) {
  auto perms = fs::symlink_status(p).permissions();
  return (perms & (fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write))
         != fs::perms::none;
}

TEST_F(image_store_test, import_directory_stores_a_read_only_copy_named_by_digest) {
  image_store store(data());
  auto digest = store.import_directory(make_source());
  ASSERT_TRUE(digest.ok()) << digest.err().to_string();
  EXPECT_EQ(digest->size(), 64u);
  ASSERT_TRUE(store.contains(*digest));
  auto img = store.path_of(*digest);
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(*img, data() / "images" / *digest);
  EXPECT_EQ(get(*img / "readme.txt"), "hello base image\n");
  EXPECT_EQ(get(*img / "etc" / "config.ini"), "[main]\nport=8080\n");
  EXPECT_TRUE(fs::is_directory(*img / "var" / "empty"));
  auto exec = fs::status(*img / "bin" / "run.sh").permissions() & fs::perms::owner_exec;
  EXPECT_NE(exec, fs::perms::none);
  for (auto& e : fs::recursive_directory_iterator(*img))
    EXPECT_FALSE(writable_by_anyone(e.path())) << e.path();
  EXPECT_FALSE(writable_by_anyone(*img));
  auto listed = store.list();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, std::vector<std::string>{*digest});
  EXPECT_TRUE(leftovers(data() / "images").empty());
  EXPECT_TRUE(store.verify(*digest).ok());
}

TEST_F(image_store_test, digest_is_stable_and_content_sensitive) {
  image_store store(data());
  auto src = make_source();
  auto d1 = image_store::compute_digest(src);
  auto d2 = image_store::compute_digest(src);
  ASSERT_TRUE(d1.ok() && d2.ok());
  EXPECT_EQ(*d1, *d2);
  // The same tree elsewhere has the same digest; import is idempotent.
  auto copy = make_source("copy");
  EXPECT_EQ(*image_store::compute_digest(copy), *d1);
  EXPECT_EQ(*store.import_directory(src), *d1);
  EXPECT_EQ(*store.import_directory(copy), *d1);
  EXPECT_EQ(store.list()->size(), 1u);
  // One byte changed, a file renamed, the executable bit, an empty directory: all differ.
  put(copy / "readme.txt", "hello base imagE\n");
  auto changed = *image_store::compute_digest(copy);
  EXPECT_NE(changed, *d1);
  put(copy / "readme.txt", "hello base image\n");
  EXPECT_EQ(*image_store::compute_digest(copy), *d1);
  fs::rename(copy / "readme.txt", copy / "readme2.txt");
  EXPECT_NE(*image_store::compute_digest(copy), *d1);
  fs::rename(copy / "readme2.txt", copy / "readme.txt");
  fs::permissions(copy / "etc" / "config.ini", fs::perms::owner_exec, fs::perm_options::add);
  EXPECT_NE(*image_store::compute_digest(copy), *d1);
  fs::permissions(copy / "etc" / "config.ini", fs::perms::owner_exec, fs::perm_options::remove);
  fs::create_directories(copy / "another");
  EXPECT_NE(*image_store::compute_digest(copy), *d1);
  EXPECT_EQ(*store.import_directory(copy), *image_store::compute_digest(copy));
  EXPECT_EQ(store.list()->size(), 2u);
}

TEST_F(image_store_test, import_rejects_links_and_reserved_names_and_leaves_nothing) {
  image_store store(data());
  auto src = make_source();
  fs::create_symlink("/etc/passwd", src / "passwd");
  auto r = store.import_directory(src);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.err().message, "no symbolic links")) << r.err().message;
  fs::remove(src / "passwd");
  put(src / "etc" / ".wh.hosts", "");
  r = store.import_directory(src);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.err().message, "reserved for whiteouts")) << r.err().message;
  EXPECT_TRUE(store.list()->empty());
  EXPECT_TRUE(leftovers(data() / "images").empty());
  auto missing = store.import_directory(root() / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.err().message, "is not a directory"));
}

TEST_F(image_store_test, malformed_or_unknown_digests_are_errors) {
  image_store store(data());
  auto p = store.path_of("../../etc");
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(contains(p.err().message, "is not an image digest")) << p.err().message;
  auto unknown = std::string(64, 'a');
  p = store.path_of(unknown);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(contains(p.err().message, "image " + unknown + " is not in the store"));
  EXPECT_FALSE(store.contains("../x"));
}

TEST_F(image_store_test, export_then_receive_in_small_chunks_round_trips_and_verifies) {
  image_store coordinator(root() / "coordinator");
  auto digest = coordinator.import_directory(make_source());
  ASSERT_TRUE(digest.ok());
  auto archive = export_to_string(coordinator, *digest, 7);
  ASSERT_GT(archive.size(), 100u);

  image_store node(data());
  auto rx = node.begin_receive(*digest);
  ASSERT_TRUE(rx.ok()) << rx.err().to_string();
  for (std::size_t i = 0; i < archive.size(); i += 5)
    ASSERT_TRUE(rx->feed(std::string_view(archive).substr(i, 5)).ok());
  EXPECT_EQ(rx->bytes_received(), archive.size());
  auto got = rx->finish();
  ASSERT_TRUE(got.ok()) << got.err().to_string();
  EXPECT_EQ(*got, *digest);
  ASSERT_TRUE(node.contains(*digest));
  EXPECT_TRUE(node.verify(*digest).ok());
  auto img = *node.path_of(*digest);
  EXPECT_EQ(get(img / "etc" / "config.ini"), "[main]\nport=8080\n");
  EXPECT_TRUE(fs::is_directory(img / "var" / "empty"));
  EXPECT_NE(fs::status(img / "bin" / "run.sh").permissions() & fs::perms::owner_exec,
            fs::perms::none);
  EXPECT_FALSE(writable_by_anyone(img / "readme.txt"));
  EXPECT_TRUE(leftovers(data() / "images").empty());
}

TEST_F(image_store_test, import_archive_from_a_stream) {
  image_store a(root() / "a");
  auto digest = *a.import_directory(make_source());
  std::ostringstream out;
  ASSERT_TRUE(a.export_image(digest, out).ok());
  image_store b(data());
  std::istringstream in(out.str());
  auto got = b.import_archive(in, digest);
  ASSERT_TRUE(got.ok()) << got.err().to_string();
  EXPECT_EQ(*got, digest);
  // Receiving an image already held is fine.
  std::istringstream again(out.str());
  EXPECT_TRUE(b.import_archive(again, digest).ok());
  EXPECT_EQ(b.list()->size(), 1u);
}

TEST_F(image_store_test, corrupted_transfer_is_detected_and_nothing_is_installed) {
  image_store a(root() / "a");
  auto digest = *a.import_directory(make_source());
  auto archive = export_to_string(a, digest);
  auto at = archive.find("port=8080");
  ASSERT_NE(at, std::string::npos);
  archive[at + 5] = '9'; // a byte of file content flipped on the wire

  image_store b(data());
  auto rx = b.begin_receive(digest);
  ASSERT_TRUE(rx.ok());
  ASSERT_TRUE(rx->feed(archive).ok());
  auto got = rx->finish();
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(contains(got.err().message, "image transfer corrupted")) << got.err().message;
  EXPECT_TRUE(contains(got.err().message, "expected " + digest));
  EXPECT_FALSE(b.contains(digest));
  EXPECT_TRUE(leftovers(data() / "images").empty());
}

TEST_F(image_store_test, truncated_or_mislabelled_transfers_are_rejected) {
  image_store a(root() / "a");
  auto digest = *a.import_directory(make_source());
  auto archive = export_to_string(a, digest);
  image_store b(data());
  {
    auto rx = b.begin_receive(digest);
    ASSERT_TRUE(rx->feed(archive.substr(0, archive.size() - 3)).ok());
    auto got = rx->finish();
    ASSERT_FALSE(got.ok());
    EXPECT_TRUE(contains(got.err().message, "image transfer incomplete")) << got.err().message;
  }
  {
    auto other = std::string(64, 'b');
    auto rx = b.begin_receive(other);
    auto st = rx->feed(archive);
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(contains(st.err().message, "carries image " + digest + ", expected " + other))
      << st.err().message;
    EXPECT_FALSE(rx->finish().ok());
  }
  {
    auto rx = b.begin_receive(digest, archive.size() - 1);
    auto st = rx->feed(archive);
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(contains(st.err().message, "larger than the limit of "
                                             + std::to_string(archive.size() - 1) + " bytes"))
      << st.err().message;
  }
  {
    auto rx = b.begin_receive(digest);
    auto st = rx->feed(archive + "x");
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(contains(st.err().message, "trailing bytes")) << st.err().message;
  }
  EXPECT_FALSE(b.contains(digest));
  EXPECT_TRUE(leftovers(data() / "images").empty());
}

// An archive built by hand, as a hostile sender would.
std::string record(char type, const std::string& path, std::uint32_t mode,
                   const std::string& data) {
  std::string r(1, type);
  auto le = [&](std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i)
      r += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  le(path.size(), 4);
  le(mode, 4);
  le(data.size(), 8);
  return r + path + data;
}

TEST_F(image_store_test, archive_paths_escaping_the_image_are_rejected) {
  image_store b(data());
  auto digest = std::string(64, 'c');
  auto evil = "FABIMG1\n" + digest + "\n" + record('f', "../../escaped.txt", 0644, "pwned");
  auto rx = b.begin_receive(digest);
  ASSERT_TRUE(rx.ok());
  auto st = rx->feed(evil);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.err().message, "'..' components are not allowed")) << st.err().message;
  EXPECT_FALSE(fs::exists(data() / "escaped.txt"));
  EXPECT_FALSE(fs::exists(root() / "escaped.txt"));
  EXPECT_TRUE(leftovers(data() / "images").empty());

  auto rx2 = b.begin_receive(digest);
  st = rx2->feed("FABIMG1\n" + digest + "\n" + record('f', "/etc/evil", 0644, "x"));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.err().message, "absolute paths are not allowed")) << st.err().message;

  auto rx3 = b.begin_receive(digest);
  st = rx3->feed("NOTANIMG" + digest + "\n");
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.err().message, "not an image archive")) << st.err().message;
}

TEST_F(image_store_test, verify_detects_a_damaged_image_and_remove_deletes_it) {
  image_store store(data());
  auto digest = *store.import_directory(make_source());
  auto file = *store.path_of(digest) / "readme.txt";
  fs::permissions(file, fs::perms::owner_write, fs::perm_options::add);
  put(file, "tampered\n");
  auto st = store.verify(digest);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.err().message, "image " + digest + " is damaged")) << st.err().message;
  ASSERT_TRUE(store.remove(digest).ok());
  EXPECT_FALSE(store.contains(digest));
  EXPECT_TRUE(store.list()->empty());
  EXPECT_TRUE(leftovers(data() / "images").empty());
}

TEST_F(image_store_test, clean_leftovers_removes_interrupted_imports) {
  image_store store(data());
  auto digest = *store.import_directory(make_source());
  fs::create_directories(data() / "images" / ".tmp-999-1" / "half");
  put(data() / "images" / ".tmp-999-1" / "half" / "f", "partial");
  ASSERT_TRUE(store.clean_leftovers().ok());
  EXPECT_TRUE(leftovers(data() / "images").empty());
  EXPECT_TRUE(store.contains(digest));
}

} // namespace
} // namespace fabric::images::test
