// The disk table of docs/domain.md §4, checked against the field report's
// summary table (2011, VM Role beta): ○ = data kept, × = data initialised.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/disk_rule.hpp"

using namespace fabric::model;

namespace {

role_definition vm_role() {
  role_definition r;
  r.name = "VmRole";
  r.kind = role_kind::virtual_machine;
  r.local_storage.push_back({"Scratch", 1024, true});
  r.local_storage.push_back({"Cache", 512, false});
  return r;
}

constexpr const char* kept = "○";
constexpr const char* lost = "×";

const char* c_drive(const disk_fate& f) {
  return f.os_disk == os_disk_outcome::kept ? kept : lost;
}

/// The cell for local storage: ○ only when every resource is kept.
const char* local(const disk_fate& f) {
  return f.any_local_wiped() ? lost : kept;
}

struct seed_row {
  const char* label; // the field report's row
  disk_operation op;
  const char* c_drive;
  const char* local_storage;
};

} // namespace

TEST(disk_rule, reproduces_the_field_report_summary_table) {
  // clang-format off
  const std::vector<seed_row> table = {
    // operation (field report)            operation here                                C drive  local
    {"Reboot",                             disk_operation::reboot,                        kept,    kept},
    {"Reboot (※1: behaves as Reimage)",    disk_operation::reboot_degenerated_to_reimage, lost,    kept},
    {"Reimage",                            disk_operation::reimage,                       lost,    kept},
    {"Stop",                               disk_operation::stop_start,                    kept,    kept},
    {"Start",                              disk_operation::stop_start,                    kept,    kept},
    {"restart from remote desktop",        disk_operation::guest_restart,                 kept,    kept},
    {"shutdown from remote desktop",       disk_operation::guest_shutdown_auto_restart,   kept,    kept},
    {"re-publish from VWD (delete+create)",disk_operation::republish,                     lost,    lost},
    {"Delete -> Deploy",                   disk_operation::delete_and_deploy,             lost,    lost},
  };
  // clang-format on
  auto role = vm_role();
  for (const auto& row : table) {
    auto fate = disk_rule(row.op, role);
    EXPECT_STREQ(c_drive(fate), row.c_drive) << row.label << " (C drive)";
    EXPECT_STREQ(local(fate), row.local_storage) << row.label << " (local storage)";
    ASSERT_EQ(fate.local_storage.size(), 2u) << row.label;
    // Outside the in-place upgrade, every resource shares one fate.
    EXPECT_EQ(fate.local_storage[0].outcome, fate.local_storage[1].outcome) << row.label;
    EXPECT_FALSE(fate.os_reason.empty()) << row.label;
    EXPECT_FALSE(fate.local_storage[0].reason.empty()) << row.label;
  }
}

TEST(disk_rule, rebuild_resets_os_and_wipes_local_storage) {
  auto fate = disk_rule(disk_operation::rebuild, vm_role());
  EXPECT_EQ(fate.os_disk, os_disk_outcome::reset_to_base);
  for (const auto& l : fate.local_storage)
    EXPECT_EQ(l.outcome, local_storage_outcome::wiped) << l.name;
}

TEST(disk_rule, node_migration_starts_fresh) {
  auto fate = disk_rule(disk_operation::node_migration, vm_role());
  EXPECT_EQ(fate.os_disk, os_disk_outcome::reset_to_base);
  EXPECT_TRUE(fate.any_local_wiped());
  EXPECT_EQ(fate.local_storage[1].outcome, local_storage_outcome::wiped);
}

TEST(disk_rule, in_place_upgrade_follows_clean_on_role_recycle_per_resource) {
  auto fate = disk_rule(disk_operation::in_place_upgrade, vm_role());
  EXPECT_EQ(fate.os_disk, os_disk_outcome::reset_to_base);
  ASSERT_EQ(fate.local_storage.size(), 2u);
  EXPECT_EQ(fate.local_storage[0].name, "Scratch");
  EXPECT_EQ(fate.local_storage[0].outcome, local_storage_outcome::wiped);
  EXPECT_EQ(fate.local_storage[0].reason,
            "in-place upgrade recycles the role and 'Scratch' has cleanOnRoleRecycle=true");
  EXPECT_EQ(fate.local_storage[1].name, "Cache");
  EXPECT_EQ(fate.local_storage[1].outcome, local_storage_outcome::kept);
}

TEST(disk_rule, role_without_local_storage_has_only_the_os_disk) {
  role_definition r;
  r.name = "Web";
  auto fate = disk_rule(disk_operation::republish, r);
  EXPECT_EQ(fate.os_disk, os_disk_outcome::reset_to_base);
  EXPECT_TRUE(fate.local_storage.empty());
  EXPECT_FALSE(fate.any_local_wiped());
}

TEST(disk_rule, names) {
  EXPECT_STREQ(to_string(disk_operation::reboot_degenerated_to_reimage),
               "reboot_degenerated_to_reimage");
  EXPECT_STREQ(to_string(disk_operation::node_migration), "node_migration");
  EXPECT_STREQ(to_string(os_disk_outcome::reset_to_base), "reset_to_base");
  EXPECT_STREQ(to_string(local_storage_outcome::wiped), "wiped");
}

TEST(disk_rule, reboot_degenerates_when_the_draw_falls_under_the_probability) {
  EXPECT_FALSE(reboot_degenerates(0.0, 0.0));
  EXPECT_FALSE(reboot_degenerates(0.0, 0.5));
  EXPECT_TRUE(reboot_degenerates(1.0, 0.999));
  EXPECT_TRUE(reboot_degenerates(0.3, 0.29));
  EXPECT_FALSE(reboot_degenerates(0.3, 0.3));
  EXPECT_FALSE(reboot_degenerates(0.3, 0.9));
}
