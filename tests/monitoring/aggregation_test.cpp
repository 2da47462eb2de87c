// The pure aggregation of the deployment model into gauge rows.

#include "monitoring/aggregation.hpp"

#include <gtest/gtest.h>

#include "tests/monitoring/sample_model.hpp"

using namespace fabric;
using namespace fabric::monitoring;

namespace {

model::instance make(const std::string& role, int index, int ud, int fd, model::instance_state s,
                     const std::string& version = "1.0") {
  model::instance i;
  i.role = role;
  i.index = index;
  i.name = role + "_IN_" + std::to_string(index);
  i.upgrade_domain = ud;
  i.fault_domain = fd;
  i.state = s;
  i.version = version;
  return i;
}

// One role "web" with `configured` instances asked for, staging slot, 2 UDs.
model::deployment small(int configured) {
  model::deployment d;
  d.in_slot = model::slot::staging;
  d.definition.upgrade_domain_count = 2;
  d.definition.roles.push_back({});
  d.definition.roles.back().name = "web";
  d.configuration.roles.push_back({});
  d.configuration.roles.back().name = "web";
  d.configuration.roles.back().instance_count = configured;
  return d;
}

using S = model::instance_state;

} // namespace

TEST(aggregation, counts_instances_per_role_ud_fd_and_state) {
  auto d = small(4);
  d.instances = {make("web", 0, 0, 0, S::ready_role), make("web", 1, 1, 1, S::ready_role),
                 make("web", 2, 0, 0, S::ready_role), make("web", 3, 1, 0, S::busy_role)};
  auto g = aggregate("svc", d);
  ASSERT_EQ(g.instances.size(), 3u);
  EXPECT_EQ(g.instances[0].service, "svc");
  EXPECT_EQ(g.instances[0].slot, "staging");
  EXPECT_EQ(g.instances[0].role, "web");
  // sorted by (UD, FD, state)
  EXPECT_EQ(g.instances[0].upgrade_domain, 0);
  EXPECT_EQ(g.instances[0].fault_domain, 0);
  EXPECT_EQ(g.instances[0].state, "ReadyRole");
  EXPECT_EQ(g.instances[0].count, 2);
  EXPECT_EQ(g.instances[1].upgrade_domain, 1);
  EXPECT_EQ(g.instances[1].fault_domain, 0);
  EXPECT_EQ(g.instances[1].state, "BusyRole");
  EXPECT_EQ(g.instances[1].count, 1);
  EXPECT_EQ(g.instances[2].upgrade_domain, 1);
  EXPECT_EQ(g.instances[2].fault_domain, 1);
  EXPECT_EQ(g.instances[2].count, 1);
}

TEST(aggregation, role_capacity_is_ready_over_configured_count) {
  auto d = small(4); // the configuration asks for 4, the model holds 3
  d.instances = {make("web", 0, 0, 0, S::ready_role), make("web", 1, 1, 1, S::starting_role),
                 make("web", 2, 0, 0, S::ready_role)};
  auto g = aggregate("svc", d);
  ASSERT_EQ(g.roles.size(), 1u);
  EXPECT_EQ(g.roles[0].desired, 4);
  EXPECT_EQ(g.roles[0].ready, 2);
  EXPECT_DOUBLE_EQ(g.roles[0].ratio, 0.5);
}

TEST(aggregation, role_missing_in_configuration_uses_model_count) {
  auto d = small(4);
  d.instances = {make("web", 0, 0, 0, S::ready_role), make("extra", 0, 0, 0, S::ready_role),
                 make("extra", 1, 1, 1, S::cycling_role)};
  auto g = aggregate("svc", d);
  ASSERT_EQ(g.roles.size(), 2u);
  EXPECT_EQ(g.roles[1].role, "extra");
  EXPECT_EQ(g.roles[1].desired, 2);
  EXPECT_EQ(g.roles[1].ready, 1);
  EXPECT_DOUBLE_EQ(g.roles[1].ratio, 0.5);
}

TEST(aggregation, upgrade_and_fault_domain_capacity) {
  auto d = small(4);
  d.instances = {make("web", 0, 0, 0, S::ready_role), make("web", 1, 1, 1, S::stopping_role),
                 make("web", 2, 0, 1, S::ready_role), make("web", 3, 1, 0, S::ready_role)};
  auto g = aggregate("svc", d);
  ASSERT_EQ(g.upgrade_domains.size(), 2u);
  EXPECT_EQ(g.upgrade_domains[0].domain, 0);
  EXPECT_DOUBLE_EQ(g.upgrade_domains[0].ratio, 1.0);
  EXPECT_EQ(g.upgrade_domains[1].domain, 1);
  EXPECT_EQ(g.upgrade_domains[1].assigned, 2);
  EXPECT_EQ(g.upgrade_domains[1].ready, 1);
  EXPECT_DOUBLE_EQ(g.upgrade_domains[1].ratio, 0.5);
  ASSERT_EQ(g.fault_domains.size(), 2u);
  EXPECT_DOUBLE_EQ(g.fault_domains[0].ratio, 1.0);
  EXPECT_DOUBLE_EQ(g.fault_domains[1].ratio, 0.5);
}

TEST(aggregation, versions_serving_counts_only_ready_instances) {
  auto d = small(3);
  d.instances = {make("web", 0, 0, 0, S::ready_role, "1.0"),
                 make("web", 1, 1, 1, S::ready_role, "2.0"),
                 make("web", 2, 0, 0, S::starting_role, "3.0")};
  auto g = aggregate("svc", d);
  EXPECT_EQ(g.roles[0].versions_serving, 2);
  ASSERT_EQ(g.versions.size(), 3u); // every version with an instance, any state
  EXPECT_EQ(g.versions[2].version, "3.0");
  EXPECT_EQ(g.versions[2].instances, 1);
}

TEST(aggregation, no_upgrade_rows_without_an_upgrade) {
  auto d = small(1);
  d.instances = {make("web", 0, 0, 0, S::ready_role)};
  auto g = aggregate("svc", d);
  EXPECT_TRUE(g.upgrades.empty());
  EXPECT_TRUE(g.upgrade_domain_walks.empty());
  EXPECT_TRUE(g.upgrade_domain_updates.empty());
}

TEST(aggregation, upgrade_progress_rows) {
  auto d = test::sample_deployment(10);
  auto g = aggregate("shop", d);
  ASSERT_EQ(g.upgrades.size(), 1u);
  EXPECT_EQ(g.upgrades[0].mode, "Auto");
  EXPECT_EQ(g.upgrades[0].current_upgrade_domain, 2);
  EXPECT_TRUE(g.upgrades[0].during);
  EXPECT_EQ(g.upgrades[0].walked, 2);
  EXPECT_EQ(g.upgrades[0].total, 5);
  ASSERT_EQ(g.upgrade_domain_walks.size(), 5u);
  EXPECT_TRUE(g.upgrade_domain_walks[1].walked);
  EXPECT_FALSE(g.upgrade_domain_walks[2].walked);
  // per role and UD: UDs 0-2 run 2.0, UDs 3-4 still 1.0
  ASSERT_EQ(g.upgrade_domain_updates.size(), 10u);
  EXPECT_DOUBLE_EQ(g.upgrade_domain_updates[2].ratio, 1.0);
  EXPECT_DOUBLE_EQ(g.upgrade_domain_updates[3].ratio, 0.0);
}

// An Auto walk waiting between UDs (--upgrade-domain-wait-ms) keeps the
// walked UD as current with the state During: it is not During any more.
TEST(aggregation, walked_current_domain_is_not_during) {
  auto d = test::sample_deployment(10);
  ASSERT_TRUE(d.upgrade);
  d.upgrade->walked.push_back(d.upgrade->current_upgrade_domain);
  auto g = aggregate("shop", d);
  ASSERT_EQ(g.upgrades.size(), 1u);
  EXPECT_FALSE(g.upgrades[0].during);
  EXPECT_EQ(g.upgrades[0].walked, 3);
}

TEST(aggregation, default_walk_order_is_every_upgrade_domain) {
  auto d = small(2);
  d.instances = {make("web", 0, 0, 0, S::ready_role, "2.0"),
                 make("web", 1, 1, 1, S::ready_role, "1.0")};
  d.upgrade.emplace();
  d.upgrade->mode = model::upgrade_mode::manual;
  d.upgrade->target_version = "2.0";
  d.upgrade->walked = {0};
  auto g = aggregate("svc", d);
  ASSERT_EQ(g.upgrade_domain_walks.size(), 2u);
  EXPECT_TRUE(g.upgrade_domain_walks[0].walked);
  EXPECT_FALSE(g.upgrade_domain_walks[1].walked);
  EXPECT_EQ(g.upgrades[0].mode, "Manual");
  EXPECT_FALSE(g.upgrades[0].during);
}

TEST(aggregation, single_role_upgrade_only_reports_that_role) {
  auto d = small(1);
  d.definition.roles.push_back({});
  d.definition.roles.back().name = "worker";
  d.instances = {make("web", 0, 0, 0, S::ready_role), make("worker", 0, 0, 0, S::ready_role)};
  d.upgrade.emplace();
  d.upgrade->role = "worker";
  d.upgrade->target_version = "2.0";
  auto g = aggregate("svc", d);
  ASSERT_EQ(g.upgrade_domain_updates.size(), 1u);
  EXPECT_EQ(g.upgrade_domain_updates[0].role, "worker");
}

TEST(aggregation, whole_model_covers_both_slots_of_every_service) {
  model::fabric_model m;
  m.services["a"].production = small(1);
  m.services["a"].production->in_slot = model::slot::production;
  m.services["a"].production->instances = {make("web", 0, 0, 0, S::ready_role)};
  m.services["a"].staging = small(1);
  m.services["a"].staging->instances = {make("web", 0, 0, 0, S::ready_role)};
  m.services["b"].staging = small(1);
  m.services["b"].staging->instances = {make("web", 0, 0, 0, S::ready_role)};
  auto g = aggregate(m);
  ASSERT_EQ(g.roles.size(), 3u);
  EXPECT_EQ(g.roles[0].service + "/" + g.roles[0].slot, "a/production");
  EXPECT_EQ(g.roles[1].service + "/" + g.roles[1].slot, "a/staging");
  EXPECT_EQ(g.roles[2].service + "/" + g.roles[2].slot, "b/staging");
}

TEST(aggregation, rows_do_not_grow_with_instance_count) {
  auto small_g = aggregate("shop", test::sample_deployment(500));
  auto large_g = aggregate("shop", test::sample_deployment(5000));
  EXPECT_EQ(small_g.instances.size(), 42u); // 21 cells per role, see sample_model.hpp
  EXPECT_EQ(large_g.instances.size(), small_g.instances.size());
  EXPECT_EQ(large_g.versions.size(), small_g.versions.size());
  EXPECT_EQ(large_g.upgrade_domains.size(), small_g.upgrade_domains.size());
  EXPECT_EQ(large_g.fault_domains.size(), small_g.fault_domains.size());
}

// -- walk minimum ----------------------------------------------------------

namespace {

model_gauges walking(double ratio, const std::string& target = "2.0") {
  model_gauges g;
  g.roles.push_back({"svc", "production", "web", 4, 0, ratio, 1});
  g.upgrades.push_back({"svc", "production", "Auto", 0, true, 0, 2, target});
  return g;
}

} // namespace

TEST(walk_minimum, keeps_the_lowest_ratio_of_the_walk) {
  auto rows = update_walk_minimum({}, walking(1.0));
  rows = update_walk_minimum(rows, walking(0.5));
  rows = update_walk_minimum(rows, walking(0.75));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].role, "web");
  EXPECT_DOUBLE_EQ(rows[0].min_ratio, 0.5);
}

TEST(walk_minimum, ends_with_the_walk_and_starts_afresh) {
  auto rows = update_walk_minimum({}, walking(0.5));
  auto idle = walking(1.0);
  idle.upgrades.clear();
  rows = update_walk_minimum(rows, idle);
  EXPECT_TRUE(rows.empty());
  rows = update_walk_minimum(rows, walking(0.75));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].min_ratio, 0.75);
}

TEST(walk_minimum, a_new_target_version_is_a_new_walk) {
  auto rows = update_walk_minimum({}, walking(0.25, "2.0"));
  rows = update_walk_minimum(rows, walking(0.75, "3.0"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].min_ratio, 0.75);
  EXPECT_EQ(rows[0].target_version, "3.0");
}
