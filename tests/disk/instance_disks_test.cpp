#include "node/disk/instance_disks.hpp"

#include <gtest/gtest.h>

#include "tests/disk/disk_test_util.hpp"

namespace fabric::disk::test {
namespace {

class instance_disks_test : public temp_dir_test {
protected:
  instance_disks_test() {
    images::image_store store(data());
    put(root() / "v1" / "app" / "site.cfg", "v1");
    put(root() / "v1" / "readme.txt", "readme v1");
    v1_ = *store.import_directory(root() / "v1");
    put(root() / "v2" / "app" / "site.cfg", "v2");
    v2_ = *store.import_directory(root() / "v2");
  }

  instance_disk_spec spec(const std::string& name) {
    return {name, v1_, {{"cache", 2}, {"logs", 1}}};
  }

  instance_disks create(const instance_disk_spec& s) {
    auto d = instance_disks::open_or_create(data(), s);
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.err().to_string());
    return std::move(*d);
  }

  std::string v1_;
  std::string v2_;
};

TEST_F(instance_disks_test, creates_the_layout_and_lists_instances) {
  auto a = create(spec("WebRole_IN_0"));
  auto b = create({"WorkerRole_IN_0", v2_, {}});
  auto dir = data() / "instances" / "WebRole_IN_0";
  EXPECT_TRUE(fs::is_regular_file(dir / "disks.meta"));
  EXPECT_TRUE(fs::is_directory(dir / "os" / "layer"));
  EXPECT_TRUE(fs::is_directory(dir / "local" / "cache"));
  EXPECT_TRUE(fs::is_directory(dir / "local" / "logs"));
  EXPECT_EQ(get(dir / "disks.meta"), "fabric-instance-disks 1\ninstance WebRole_IN_0\nbase " + v1_
                                       + "\nresource cache 2\nresource logs 1\n");
  EXPECT_EQ(*a.os().read("app/site.cfg"), "v1");
  EXPECT_EQ(a.locals().size(), 2u);
  EXPECT_EQ((*a.local("logs"))->quota_bytes(), 1024u * 1024);
  auto missing = a.local("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.err().message,
            "instance 'WebRole_IN_0' has no local storage 'nope' (it has: cache, logs)");

  auto listed = list_instances(data());
  ASSERT_TRUE(listed.ok()) << listed.err().to_string();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].instance, "WebRole_IN_0");
  EXPECT_EQ((*listed)[0].base_digest, v1_);
  EXPECT_EQ((*listed)[0].resources, (std::vector<local_resource_spec>{{"cache", 2}, {"logs", 1}}));
  EXPECT_EQ((*listed)[1].instance, "WorkerRole_IN_0");
  EXPECT_EQ((*listed)[1].base_digest, v2_);
  EXPECT_TRUE((*listed)[1].resources.empty());
}

TEST_F(instance_disks_test, a_restart_keeps_layers_whiteouts_and_local_files) {
  {
    auto d = create(spec("WebRole_IN_0"));
    ASSERT_TRUE(d.os().write("app/site.cfg", "edited").ok());
    ASSERT_TRUE(d.os().remove("readme.txt").ok());
    ASSERT_TRUE((*d.local("cache"))->write("data/1.bin", "cached").ok());
  } // the node process goes away

  auto listed = *list_instances(data());
  ASSERT_EQ(listed.size(), 1u);
  auto d = instance_disks::open(data(), listed[0].instance);
  ASSERT_TRUE(d.ok()) << d.err().to_string();
  EXPECT_EQ(d->spec().base_digest, v1_);
  EXPECT_EQ(*d->os().read("app/site.cfg"), "edited");
  EXPECT_FALSE(d->os().exists("readme.txt"));
  EXPECT_EQ(*(*d->local("cache"))->read("data/1.bin"), "cached");
  EXPECT_EQ(*(*d->local("cache"))->used_bytes(), 6u);
  // open_or_create with the same spec opens too, keeping everything.
  auto again = create(spec("WebRole_IN_0"));
  EXPECT_EQ(*again.os().read("app/site.cfg"), "edited");
}

TEST_F(instance_disks_test, reset_keeps_local_storage) {
  auto d = create(spec("IN_0"));
  ASSERT_TRUE(d.os().write("app/site.cfg", "edited").ok());
  ASSERT_TRUE((*d.local("cache"))->write("f", "kept").ok());
  disk_action reimage;
  reimage.os = os_action::reset;
  ASSERT_TRUE(d.apply(reimage).ok());
  EXPECT_EQ(*d.os().read("app/site.cfg"), "v1");
  EXPECT_EQ(*(*d.local("cache"))->read("f"), "kept");
}

TEST_F(instance_disks_test, rebase_is_persisted_and_per_resource_wipes_apply) {
  {
    auto d = create(spec("IN_0"));
    ASSERT_TRUE(d.os().write("mine", "m").ok());
    ASSERT_TRUE((*d.local("cache"))->write("c", "cache data").ok());
    ASSERT_TRUE((*d.local("logs"))->write("l", "log data").ok());
    disk_action upgrade;
    upgrade.os = os_action::rebase;
    upgrade.rebase_digest = v2_;
    upgrade.local = {{"cache", local_action::wipe}};
    ASSERT_TRUE(d.apply(upgrade).ok());
    EXPECT_EQ(*d.os().read("app/site.cfg"), "v2");
    EXPECT_FALSE(d.os().exists("mine"));
    EXPECT_EQ(*(*d.local("cache"))->used_bytes(), 0u);
    EXPECT_EQ(*(*d.local("logs"))->read("l"), "log data");
  }
  EXPECT_EQ((*list_instances(data()))[0].base_digest, v2_);
  auto d = instance_disks::open(data(), "IN_0");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->os().base_digest(), v2_);
  EXPECT_EQ(*d->os().read("app/site.cfg"), "v2");
  // Wipe every resource by default.
  disk_action wipe_all;
  wipe_all.local_default = local_action::wipe;
  ASSERT_TRUE(d->apply(wipe_all).ok());
  EXPECT_EQ(*(*d->local("logs"))->used_bytes(), 0u);
}

TEST_F(instance_disks_test, a_bad_action_changes_nothing) {
  auto d = create(spec("IN_0"));
  ASSERT_TRUE(d.os().write("mine", "m").ok());
  ASSERT_TRUE((*d.local("cache"))->write("c", "cache data").ok());
  disk_action bad;
  bad.os = os_action::reset;
  bad.local = {{"cache", local_action::wipe}, {"tmp", local_action::wipe}};
  auto st = d.apply(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.err().message, "disk action names local storage 'tmp', which instance 'IN_0' does "
                              "not have (it has: cache, logs)");
  auto missing = std::string(64, '0');
  disk_action rebase;
  rebase.os = os_action::rebase;
  rebase.rebase_digest = missing;
  rebase.local_default = local_action::wipe;
  st = d.apply(rebase);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.err().message,
            "cannot rebase instance 'IN_0': image " + missing + " is not on this node");
  EXPECT_EQ(*d.os().read("mine"), "m");
  EXPECT_EQ(*(*d.local("cache"))->read("c"), "cache data");
  EXPECT_EQ(d.spec().base_digest, v1_);
}

TEST_F(instance_disks_test, destroy_removes_everything) {
  auto d = create(spec("IN_0"));
  create(spec("IN_1"));
  ASSERT_TRUE(d.os().write("mine", "m").ok());
  ASSERT_TRUE(d.destroy().ok());
  EXPECT_FALSE(fs::exists(data() / "instances" / "IN_0"));
  EXPECT_EQ(d.apply(disk_action{}).err().message, "the disks of instance 'IN_0' were destroyed");
  auto listed = *list_instances(data());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].instance, "IN_1");
  auto reopened = instance_disks::open(data(), "IN_0");
  ASSERT_FALSE(reopened.ok());
  EXPECT_TRUE(contains(reopened.err().message, "instance 'IN_0' has no disks on this node"));
  // Created again, it starts from the base with empty local storage.
  auto fresh = create(spec("IN_0"));
  EXPECT_FALSE(fresh.os().exists("mine"));
  ASSERT_TRUE(destroy_instance(data(), "IN_1").ok());
  EXPECT_EQ(list_instances(data())->size(), 1u);
  EXPECT_TRUE(images::image_store(data()).contains(v1_)); // the base stays for other instances
}

TEST_F(instance_disks_test, open_or_create_reconciles_resources_but_not_the_base) {
  {
    auto d = create(spec("IN_0"));
    ASSERT_TRUE((*d.local("cache"))->write("c", "cache data").ok());
    ASSERT_TRUE((*d.local("logs"))->write("l", "log data").ok());
  }
  auto other_base = spec("IN_0");
  other_base.base_digest = v2_;
  auto r = instance_disks::open_or_create(data(), other_base);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message, "instance 'IN_0' already holds base image " + v1_
                               + " but the spec asks for " + v2_
                               + "; rebase it (upgrade) or destroy it first");

  auto d = create({"IN_0", v1_, {{"cache", 4}, {"scratch", 1}}});
  EXPECT_EQ(*(*d.local("cache"))->read("c"), "cache data");
  EXPECT_EQ((*d.local("cache"))->size_mb(), 4u);
  EXPECT_FALSE(fs::exists(data() / "instances" / "IN_0" / "local" / "logs"));
  EXPECT_EQ((*list_instances(data()))[0].resources,
            (std::vector<local_resource_spec>{{"cache", 4}, {"scratch", 1}}));
}

TEST_F(instance_disks_test, bad_specs_and_metadata_are_reported) {
  auto r = instance_disks::open_or_create(data(), {"../x", v1_, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message, "instance name '../x' is not valid: it may not start with '.'");
  r = instance_disks::open_or_create(data(), {"a/b", v1_, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message,
            "instance name 'a/b' is not valid: only letters, digits, '_', '-' and '.' are allowed");
  r = instance_disks::open_or_create(data(), {"IN_0", v1_, {{"c", 1}, {"c", 2}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message, "instance 'IN_0' declares local storage 'c' twice");
  r = instance_disks::open_or_create(data(), {"IN_0", v1_, {{"c", 0}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message, "local storage 'c' of instance 'IN_0' has sizeInMB=0; it must be at "
                             "least 1");
  auto missing = std::string(64, '1');
  r = instance_disks::open_or_create(data(), {"IN_0", missing, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.err().message, "image " + missing + " is not in the store"));

  create(spec("IN_0"));
  auto meta = data() / "instances" / "IN_0" / "disks.meta";
  put(meta, "fabric-instance-disks 1\ninstance IN_0\nbase " + v1_ + "\ncolour blue\n");
  auto listed = list_instances(data());
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.err().to_string(),
            meta.string() + ":4: unknown key 'colour' (expected instance, base, resource or os_quota_mb)");
}

TEST_F(instance_disks_test, clean_leftovers_removes_interrupted_work) {
  auto d = create(spec("IN_0"));
  fs::create_directories(data() / "instances" / ".trash-1-1" / "os");
  fs::create_directories(data() / "images" / ".tmp-1-2");
  ASSERT_TRUE(clean_leftovers(data()).ok());
  EXPECT_FALSE(fs::exists(data() / "instances" / ".trash-1-1"));
  EXPECT_FALSE(fs::exists(data() / "images" / ".tmp-1-2"));
  EXPECT_EQ(list_instances(data())->size(), 1u);
  EXPECT_TRUE(images::image_store(data()).contains(v1_));
}

} // namespace
} // namespace fabric::disk::test
