#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/edit.hpp"
#include "model/placement.hpp"

using namespace fabric::model;

namespace {

deployment make_deployment(const std::string& name, int web, int worker) {
  deployment d;
  d.name = name;
  d.version = "v1";
  d.package = "pkg-v1";
  d.definition.name = "svc";
  d.definition.upgrade_domain_count = 2;
  role_definition w;
  w.name = "Web";
  role_definition k;
  k.name = "Worker";
  d.definition.roles = {w, k};
  role_configuration wc;
  wc.name = "Web";
  wc.instance_count = web;
  role_configuration kc;
  kc.name = "Worker";
  kc.instance_count = worker;
  d.configuration.roles = {wc, kc};
  d.instances = build_instances(d.definition, d.configuration, d.version, 2).value();
  return d;
}

/// A model with service "svc" holding deployment "d1" in production.
fabric_model sample() {
  fabric_model m;
  EXPECT_TRUE(apply(m, create_hosted_service{"svc", "label", "", "local"}).ok());
  EXPECT_TRUE(apply(m, create_deployment{"svc", slot::production, make_deployment("d1", 3, 1)})
                .ok());
  return m;
}

/// Applies an edit that must fail; checks the message and that the model did
/// not change at all.
void expect_refused(fabric_model& m, const model_edit& e, const std::string& message) {
  auto before = m;
  auto st = apply(m, e);
  ASSERT_FALSE(st.ok()) << edit_name(e);
  EXPECT_EQ(st.err().message, message) << edit_name(e);
  EXPECT_EQ(m.revision, before.revision) << edit_name(e);
  ASSERT_EQ(m.services.size(), before.services.size());
  for (const auto& [name, hs] : before.services) {
    const auto& now = m.services.at(name);
    for (auto s : {slot::production, slot::staging}) {
      ASSERT_EQ(now.in(s).has_value(), hs.in(s).has_value()) << name;
      if (!hs.in(s))
        continue;
      const auto& a = *hs.in(s);
      const auto& b = *now.in(s);
      EXPECT_EQ(a.name, b.name);
      EXPECT_EQ(a.version, b.version);
      EXPECT_EQ(a.status, b.status);
      EXPECT_EQ(a.upgrade.has_value(), b.upgrade.has_value());
      EXPECT_EQ(a.reboot_reimage_probability, b.reboot_reimage_probability);
      ASSERT_EQ(a.instances.size(), b.instances.size());
      for (size_t i = 0; i < a.instances.size(); ++i) {
        EXPECT_EQ(a.instances[i].name, b.instances[i].name);
        EXPECT_EQ(a.instances[i].state, b.instances[i].state);
        EXPECT_EQ(a.instances[i].node, b.instances[i].node);
        EXPECT_EQ(a.instances[i].version, b.instances[i].version);
      }
    }
  }
}

} // namespace

TEST(edit, each_applied_edit_increments_the_revision) {
  fabric_model m;
  EXPECT_EQ(m.revision, 0);
  ASSERT_TRUE(apply(m, create_hosted_service{"svc", "", "", ""}).ok());
  EXPECT_EQ(m.revision, 1);
  ASSERT_TRUE(apply(m, create_deployment{"svc", slot::staging, make_deployment("d", 1, 1)}).ok());
  EXPECT_EQ(m.revision, 2);
  EXPECT_EQ(m.services.at("svc").staging->in_slot, slot::staging);
}

TEST(edit, hosted_service_create_and_delete) {
  auto m = sample();
  expect_refused(m, create_hosted_service{"svc", "", "", ""},
                 "hosted service 'svc' already exists");
  expect_refused(m, create_hosted_service{"", "", "", ""}, "a hosted service needs a name");
  expect_refused(m, delete_hosted_service{"nope"}, "hosted service 'nope' does not exist");
  expect_refused(m, delete_hosted_service{"svc"},
                 "hosted service 'svc' still has a deployment in the production slot; delete it "
                 "first");
  ASSERT_TRUE(apply(m, delete_deployment{"svc", slot::production}).ok());
  ASSERT_TRUE(apply(m, delete_hosted_service{"svc"}).ok());
  EXPECT_TRUE(m.services.empty());
}

TEST(edit, create_deployment_refuses_an_occupied_slot_or_a_duplicate_name) {
  auto m = sample();
  expect_refused(m, create_deployment{"svc", slot::production, make_deployment("d2", 1, 1)},
                 "the production slot of hosted service 'svc' already holds deployment 'd1'; "
                 "delete it or swap first");
  expect_refused(m, create_deployment{"svc", slot::staging, make_deployment("d1", 1, 1)},
                 "deployment name 'd1' is already used in the production slot of hosted service "
                 "'svc'");
  expect_refused(m, create_deployment{"other", slot::staging, make_deployment("d", 1, 1)},
                 "hosted service 'other' does not exist");
  expect_refused(m, delete_deployment{"svc", slot::staging},
                 "there is no deployment in the staging slot of hosted service 'svc'");
}

TEST(edit, swap_exchanges_the_slots) {
  auto m = sample();
  ASSERT_TRUE(apply(m, create_deployment{"svc", slot::staging, make_deployment("d2", 1, 1)}).ok());
  ASSERT_TRUE(apply(m, swap_slots{"svc"}).ok());
  const auto& hs = m.services.at("svc");
  EXPECT_EQ(hs.production->name, "d2");
  EXPECT_EQ(hs.production->in_slot, slot::production);
  EXPECT_EQ(hs.staging->name, "d1");
  EXPECT_EQ(hs.staging->in_slot, slot::staging);
  // A swap with an empty production slot promotes staging.
  ASSERT_TRUE(apply(m, delete_deployment{"svc", slot::production}).ok());
  ASSERT_TRUE(apply(m, swap_slots{"svc"}).ok());
  EXPECT_EQ(m.services.at("svc").production->name, "d1");
  EXPECT_FALSE(m.services.at("svc").staging.has_value());
}

TEST(edit, swap_is_refused_during_an_upgrade_or_with_nothing_to_swap) {
  auto m = sample();
  upgrade_status up;
  up.target_version = "v2";
  ASSERT_TRUE(apply(m, begin_upgrade{"svc", slot::production, up}).ok());
  expect_refused(m, swap_slots{"svc"},
                 "cannot swap the slots of hosted service 'svc' while an upgrade is in progress");
  ASSERT_TRUE(apply(m, create_hosted_service{"empty", "", "", ""}).ok());
  expect_refused(m, swap_slots{"empty"}, "hosted service 'empty' has no deployment to swap");
}

TEST(edit, instance_edits_validate_the_instance) {
  auto m = sample();
  ASSERT_TRUE(
    apply(m, set_instance_state{"svc", slot::production, "Web_IN_1", instance_state::ready_role})
      .ok());
  ASSERT_TRUE(apply(m, place_instance{"svc", slot::production, "Web_IN_1", "node-7", 1}).ok());
  ASSERT_TRUE(apply(m, set_instance_version{"svc", slot::production, "Web_IN_1", "v2"}).ok());
  const auto* x = m.services.at("svc").production->find_instance("Web_IN_1");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->state, instance_state::ready_role);
  EXPECT_EQ(x->node, "node-7");
  EXPECT_EQ(x->fault_domain, 1);
  EXPECT_EQ(x->version, "v2");
  expect_refused(
    m, set_instance_state{"svc", slot::production, "Web_IN_9", instance_state::ready_role},
    "instance 'Web_IN_9' does not exist in the deployment in the production slot of hosted "
    "service 'svc'");
  expect_refused(m, set_instance_version{"svc", slot::staging, "Web_IN_1", "v3"},
                 "there is no deployment in the staging slot of hosted service 'svc'");
  expect_refused(m, place_instance{"svc", slot::production, "Web_IN_1", "n", -1},
                 "fault domain must be >= 0, got -1");
}

TEST(edit, set_deployment_status) {
  auto m = sample();
  ASSERT_TRUE(
    apply(m, set_deployment_status{"svc", slot::production, deployment_status::suspended}).ok());
  EXPECT_EQ(m.services.at("svc").production->status, deployment_status::suspended);
  expect_refused(m, set_deployment_status{"x", slot::production, deployment_status::running},
                 "hosted service 'x' does not exist");
}

TEST(edit, set_configuration_scales_out_and_in) {
  auto m = sample(); // Web x3, Worker x1, 2 UDs, 2 FDs
  auto cfg = m.services.at("svc").production->configuration;
  cfg.find_role("Web")->instance_count = 5;
  cfg.find_role("Worker")->instance_count = 2;
  cfg.find_role("Web")->settings["Greeting"] = "hello";
  ASSERT_TRUE(apply(m, set_configuration{"svc", slot::production, cfg, 0}).ok());
  const auto& d = *m.services.at("svc").production;
  std::vector<std::string> got;
  for (const auto& x : d.instances)
    got.push_back(x.name + "/ud" + std::to_string(x.upgrade_domain) + "/fd"
                  + std::to_string(x.fault_domain));
  EXPECT_EQ(got, (std::vector<std::string>{"Web_IN_0/ud0/fd0", "Web_IN_1/ud1/fd1",
                                           "Web_IN_2/ud0/fd0", "Web_IN_3/ud1/fd1",
                                           "Web_IN_4/ud0/fd0", "Worker_IN_0/ud0/fd0",
                                           "Worker_IN_1/ud1/fd1"}));
  EXPECT_EQ(d.configuration.roles[0].settings.at("Greeting"), "hello");
  EXPECT_EQ(d.find_instance("Web_IN_4")->state, instance_state::creating_vm);

  cfg.find_role("Web")->instance_count = 2;
  ASSERT_TRUE(apply(m, set_configuration{"svc", slot::production, cfg, 0}).ok());
  const auto& d2 = *m.services.at("svc").production;
  EXPECT_EQ(d2.role_instances("Web").size(), 2u);
  EXPECT_EQ(d2.find_instance("Web_IN_2"), nullptr);
  EXPECT_NE(d2.find_instance("Web_IN_1"), nullptr);
}

TEST(edit, set_configuration_refuses_role_mismatches_unchanged) {
  auto m = sample();
  auto cfg = m.services.at("svc").production->configuration;
  auto bad = cfg;
  bad.find_role("Web")->instance_count = 0;
  expect_refused(m, set_configuration{"svc", slot::production, bad, 0},
                 "role 'Web': instance count must be at least 1, got 0");
  bad = cfg;
  bad.roles.pop_back();
  expect_refused(m, set_configuration{"svc", slot::production, bad, 0},
                 "role 'Worker' is in the service definition but not in the new configuration");
  bad = cfg;
  bad.find_role("Web")->instance_count = 9; // would scale, but the next role is unknown
  role_configuration ghost;
  ghost.name = "Ghost";
  bad.roles.push_back(ghost);
  expect_refused(m, set_configuration{"svc", slot::production, bad, 0},
                 "role 'Ghost' is in the new configuration but not in the service definition");
}

TEST(edit, upgrade_begin_update_end) {
  auto m = sample();
  expect_refused(m, update_upgrade{"svc", slot::production, 1, upgrade_domain_state::during, {0}, {}},
                 "no upgrade is in progress in the production slot of hosted service 'svc'");
  expect_refused(m, end_upgrade{"svc", slot::production, true},
                 "no upgrade is in progress in the production slot of hosted service 'svc'");
  upgrade_status up;
  up.mode = upgrade_mode::manual;
  up.order = {0, 1};
  up.from_version = "v1";
  up.target_version = "v2";
  up.target_package = "pkg-v2";
  ASSERT_TRUE(apply(m, begin_upgrade{"svc", slot::production, up}).ok());
  expect_refused(m, begin_upgrade{"svc", slot::production, up},
                 "an upgrade is already in progress in the production slot of hosted service "
                 "'svc'");
  ASSERT_TRUE(
    apply(m, update_upgrade{"svc", slot::production, 1, upgrade_domain_state::during, {0}, {}})
      .ok());
  const auto& u = *m.services.at("svc").production->upgrade;
  EXPECT_EQ(u.current_upgrade_domain, 1);
  EXPECT_EQ(u.current_state, upgrade_domain_state::during);
  EXPECT_EQ(u.walked, (std::vector<int>{0}));
  EXPECT_EQ(u.mode, upgrade_mode::manual);
  EXPECT_FALSE(u.rolling_back);
  ASSERT_TRUE(apply(m, end_upgrade{"svc", slot::production, true}).ok());
  const auto& d = *m.services.at("svc").production;
  EXPECT_FALSE(d.upgrade.has_value());
  EXPECT_EQ(d.version, "v2");
  EXPECT_EQ(d.package, "pkg-v2");
}

TEST(edit, a_rolled_back_upgrade_keeps_the_old_version) {
  auto m = sample();
  upgrade_status up;
  up.target_version = "v2";
  ASSERT_TRUE(apply(m, begin_upgrade{"svc", slot::production, up}).ok());
  ASSERT_TRUE(
    apply(m, update_upgrade{"svc", slot::production, 0, upgrade_domain_state::during, {}, true})
      .ok());
  ASSERT_TRUE(apply(m, end_upgrade{"svc", slot::production, true}).ok());
  EXPECT_EQ(m.services.at("svc").production->version, "v1");
}

TEST(edit, reboot_reimage_probability) {
  auto m = sample();
  ASSERT_TRUE(apply(m, set_reboot_reimage_probability{"svc", slot::production, "", 0.25}).ok());
  ASSERT_TRUE(
    apply(m, set_reboot_reimage_probability{"svc", slot::production, "Web_IN_0", 1.0}).ok());
  const auto& d = *m.services.at("svc").production;
  EXPECT_DOUBLE_EQ(d.reboot_reimage_probability, 0.25);
  EXPECT_DOUBLE_EQ(d.instance_reboot_reimage_probability.at("Web_IN_0"), 1.0);
  expect_refused(m, set_reboot_reimage_probability{"svc", slot::production, "", 1.5},
                 "reboot-reimage probability must be between 0 and 1, got 1.500000");
  expect_refused(m, set_reboot_reimage_probability{"svc", slot::production, "Nope_IN_0", 0.5},
                 "instance 'Nope_IN_0' does not exist in the deployment in the production slot "
                 "of hosted service 'svc'");
}

TEST(edit, names_are_stable) {
  EXPECT_STREQ(edit_name(create_hosted_service{}), "create_hosted_service");
  EXPECT_STREQ(edit_name(swap_slots{}), "swap_slots");
  EXPECT_STREQ(edit_name(set_configuration{}), "set_configuration");
  EXPECT_STREQ(edit_name(set_reboot_reimage_probability{}), "set_reboot_reimage_probability");
  EXPECT_STREQ(edit_name(end_upgrade{}), "end_upgrade");
}

TEST(deployment_vocabulary, names_round_trip) {
  for (int i = 0; i < instance_state_count; ++i) {
    auto s = static_cast<instance_state>(i);
    auto back = parse_instance_state(to_string(s));
    ASSERT_TRUE(back.has_value()) << to_string(s);
    EXPECT_EQ(*back, s);
  }
  EXPECT_STREQ(to_string(instance_state::failed_starting_role), "FailedStartingRole");
  EXPECT_STREQ(to_string(instance_state::role_state_unknown), "RoleStateUnknown");
  EXPECT_FALSE(parse_instance_state("readyrole").has_value()); // exact case
  EXPECT_EQ(parse_slot("Production"), slot::production);
  EXPECT_EQ(parse_slot("STAGING"), slot::staging);
  EXPECT_FALSE(parse_slot("prod").has_value());
  EXPECT_STREQ(to_string(slot::production), "production");
  EXPECT_STREQ(to_string(deployment_status::running_transitioning), "RunningTransitioning");
  EXPECT_EQ(parse_deployment_status("SuspendedTransitioning"),
            deployment_status::suspended_transitioning);
  EXPECT_FALSE(parse_deployment_status("Paused").has_value());
  EXPECT_STREQ(to_string(upgrade_mode::automatic), "Auto");
  EXPECT_EQ(parse_upgrade_mode("manual"), upgrade_mode::manual);
  EXPECT_EQ(parse_upgrade_mode("SIMULTANEOUS"), upgrade_mode::simultaneous);
  EXPECT_FALSE(parse_upgrade_mode("rolling").has_value());
  EXPECT_STREQ(to_string(upgrade_domain_state::during), "During");
  EXPECT_EQ(instance_name("WebRole1", 3), "WebRole1_IN_3");
}

TEST(deployment_vocabulary, role_instances_are_in_index_order) {
  auto d = make_deployment("d", 3, 1);
  std::swap(d.instances[0], d.instances[2]);
  auto web = d.role_instances("Web");
  ASSERT_EQ(web.size(), 3u);
  EXPECT_EQ(web[0]->index, 0);
  EXPECT_EQ(web[2]->index, 2);
  EXPECT_TRUE(d.role_instances("Nope").empty());
}

namespace {

deployment with_instances(const std::vector<std::pair<std::string, std::string>>& role_and_name) {
  deployment d;
  for (auto& [role, name] : role_and_name) {
    instance i;
    i.role = role;
    i.name = name;
    d.instances.push_back(i);
  }
  return d;
}

} // namespace

// find_instance guesses "<Role>_IN_<n>" at its role block + n; whatever the
// layout, the answer must be the instance of that name or none.
TEST(deployment_lookup, finds_every_instance_in_order_with_gaps_and_out_of_order) {
  auto ordered = with_instances({{"Web", "Web_IN_0"}, {"Web", "Web_IN_1"}, {"Web", "Web_IN_2"},
                                 {"Worker", "Worker_IN_0"}, {"Worker", "Worker_IN_1"}});
  auto gaps = with_instances({{"Web", "Web_IN_0"}, {"Web", "Web_IN_2"}, {"Web", "Web_IN_7"},
                              {"Worker", "Worker_IN_1"}});
  auto shuffled = with_instances({{"Worker", "Worker_IN_1"}, {"Web", "Web_IN_2"},
                                  {"Worker", "Worker_IN_0"}, {"Web", "Web_IN_0"},
                                  {"Web", "Web_IN_1"}});
  auto odd_names = with_instances({{"A_IN_B", "A_IN_B_IN_0"}, {"X", "X_IN_"}, {"X", "X_IN_1x"},
                                   {"X", "X_IN_99999999999999999999999"}});
  for (auto* d : {&ordered, &gaps, &shuffled, &odd_names}) {
    for (auto& i : d->instances) {
      auto* found = d->find_instance(i.name);
      ASSERT_NE(found, nullptr) << i.name;
      EXPECT_EQ(found, &i) << i.name;
      const deployment& cd = *d;
      EXPECT_EQ(cd.find_instance(i.name), &i) << i.name;
    }
    for (auto missing : {"Web_IN_3", "Web_IN_9", "Worker_IN_5", "Nope_IN_0", "", "_IN_0", "Web"})
      EXPECT_EQ(d->find_instance(missing), nullptr) << missing;
  }
}
