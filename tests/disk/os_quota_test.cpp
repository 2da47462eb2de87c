// The OS disk's quota (issue 14: an instance could fill the host's disk):
// the layer's file bytes are bounded, from the role's VM size through the
// instance spec; a write over it is refused and changes nothing, as local
// storage quotas are.

#include "node/disk/instance_disks.hpp"

#include <gtest/gtest.h>

#include "model/limits.hpp"
#include "tests/disk/disk_test_util.hpp"

namespace fabric::disk::test {
namespace {

class os_quota_test : public temp_dir_test {
protected:
  os_quota_test() {
    images::image_store store(data());
    // A base bigger than the quota: only the layer counts.
    put(root() / "v1" / "big.bin", std::string(3 * 1024 * 1024, 'b'));
    put(root() / "v1" / "app" / "site.cfg", "v1");
    v1_ = *store.import_directory(root() / "v1");
  }

  instance_disks create(std::uint64_t quota_mb) {
    instance_disk_spec s{"Web_IN_0", v1_, {{"logs", 1}}};
    s.os_quota_mb = quota_mb;
    auto d = instance_disks::open_or_create(data(), s);
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.err().to_string());
    return std::move(*d);
  }

  std::string v1_;
};

const std::uint64_t mb = 1024 * 1024;

TEST_F(os_quota_test, a_write_over_the_quota_fails_and_changes_nothing) {
  auto d = create(2);
  auto& os = d.os();
  EXPECT_EQ(os.quota_mb(), 2u);
  ASSERT_TRUE(os.write("a.bin", std::string(mb, 'a')).ok());
  ASSERT_TRUE(os.write("b.bin", std::string(mb - 10, 'b')).ok());
  auto over = os.write("dir/c.bin", std::string(11, 'c'));
  ASSERT_FALSE(over.ok());
  EXPECT_TRUE(contains(over.err().message, "the OS disk is full")) << over.err().message;
  EXPECT_TRUE(contains(over.err().message, "over its quota of 2097152 bytes")) << over.err().message;
  EXPECT_FALSE(os.exists("dir/c.bin"));
  EXPECT_FALSE(os.exists("dir"));  // not even the parent directory was made
  EXPECT_EQ(*os.layer_bytes(), 2 * mb - 10);
  // Exactly up to the quota is fine; replacing a file counts only the difference.
  EXPECT_TRUE(os.write("dir/c.bin", std::string(10, 'c')).ok());
  EXPECT_TRUE(os.write("a.bin", std::string(mb, 'A')).ok());
  EXPECT_FALSE(os.write("a.bin", std::string(mb + 1, 'A')).ok());
  EXPECT_EQ(os.read("a.bin")->front(), 'A');
  // Removing makes room again; the base (3 MB) never counted.
  EXPECT_TRUE(os.remove("a.bin").ok());
  EXPECT_TRUE(os.write("e.bin", std::string(mb, 'e')).ok());
  EXPECT_EQ(os.read("big.bin")->size(), 3 * mb);
}

TEST_F(os_quota_test, the_quota_survives_a_restart_and_zero_means_none) {
  {
    auto d = create(1);
    ASSERT_TRUE(d.os().write("x", std::string(mb, 'x')).ok());
  }
  EXPECT_TRUE(contains(get(data() / "instances" / "Web_IN_0" / "disks.meta"), "os_quota_mb 1\n"));
  auto reopened = instance_disks::open(data(), "Web_IN_0");
  ASSERT_TRUE(reopened.ok()) << reopened.err().to_string();
  EXPECT_EQ(reopened->spec().os_quota_mb, 1u);
  EXPECT_FALSE(reopened->os().write("y", "1").ok());
  auto listed = list_instances(data());
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->at(0).os_quota_mb, 1u);

  auto unlimited = create(0);
  EXPECT_FALSE(contains(get(data() / "instances" / "Web_IN_0" / "disks.meta"), "os_quota_mb"));
  EXPECT_TRUE(unlimited.os().write("y", std::string(2 * mb, 'y')).ok());
}

TEST(os_disk_quota_mb, classic_vm_sizes_map_to_their_local_disk_allowance) {
  EXPECT_EQ(model::os_disk_quota_mb("ExtraSmall"), 20u);
  EXPECT_EQ(model::os_disk_quota_mb("Small"), 225u);
  EXPECT_EQ(model::os_disk_quota_mb("medium"), 490u);
  EXPECT_EQ(model::os_disk_quota_mb("Large"), 1000u);
  EXPECT_EQ(model::os_disk_quota_mb("ExtraLarge"), 2040u);
  EXPECT_EQ(model::os_disk_quota_mb("A7"), 2040u);
  EXPECT_EQ(model::os_disk_quota_mb("Standard_D1"), 225u);  // unknown: Small's
  EXPECT_EQ(model::os_disk_quota_mb(""), 225u);
}

} // namespace
} // namespace fabric::disk::test
