// The controller's pure decisions: reconcile on registration, service
// healing, wire names and instance specs. Table-driven.

#include <gtest/gtest.h>

#include <set>

#include "coordinator/reconcile.hpp"
#include "tests/coordinator/test_model.hpp"

namespace fabric::coordinator {
namespace {

using protocol::command_kind;
using testing::one_deployment;

protocol::held_instance held(const std::string& wire, const std::string& dep = "dep") {
  protocol::held_instance h;
  h.instance_name = wire;
  h.deployment_name = dep;
  return h;
}

std::string describe(const std::vector<planned_command>& cmds) {
  std::string out;
  for (auto& c : cmds)
    out += c.node + ":" + protocol::to_string(c.kind) + ":" + c.wire + " ";
  return out;
}

TEST(wire_names, map_back_to_exactly_one_instance) {
  auto m = one_deployment({"n1", "n2"}, {0, 1});
  EXPECT_EQ(wire_name("dep", "Web_IN_1"), "dep.Web_IN_1");
  auto ref = locate(m, "dep.Web_IN_1");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->service, "svc");
  EXPECT_EQ(ref->in_slot, model::slot::production);
  EXPECT_EQ(ref->instance, "Web_IN_1");
  EXPECT_FALSE(locate(m, "dep.Web_IN_7"));
  EXPECT_FALSE(locate(m, "other.Web_IN_1"));
  EXPECT_FALSE(locate(m, "Web_IN_1"));
}

struct reconcile_case {
  const char* name;
  std::vector<std::string> placement;  // node of Web_IN_i
  model::deployment_status status;
  std::vector<std::string> held_wires;
  std::string expected;  // describe() of the commands
};

TEST(reconcile_node, table) {
  std::vector<reconcile_case> cases{
    {"fresh node holding nothing gets start for its instances",
     {"n1", "n2", "n1"}, model::deployment_status::running, {},
     "n1:start:dep.Web_IN_0 n1:start:dep.Web_IN_2 "},
    {"held and placed here: start (idempotent, data kept), once each",
     {"n1", "n2"}, model::deployment_status::running, {"dep.Web_IN_0", "dep.Web_IN_0"},
     "n1:start:dep.Web_IN_0 "},
    {"held but re-placed elsewhere: remove (never run twice)",
     {"n2", "n2"}, model::deployment_status::running, {"dep.Web_IN_0"},
     "n1:delete:dep.Web_IN_0 "},
    {"held but unknown to the model (deployment deleted): remove",
     {"n1"}, model::deployment_status::running, {"gone.Web_IN_0", "dep.Web_IN_9"},
     "n1:delete:gone.Web_IN_0 n1:delete:dep.Web_IN_9 n1:start:dep.Web_IN_0 "},
    {"suspended deployment: nothing started, duplicates still removed",
     {"n1", "n2"}, model::deployment_status::suspended, {"dep.Web_IN_0", "dep.Web_IN_1"},
     "n1:delete:dep.Web_IN_1 "},
    {"mixed: held order first, then the missing ones in model order",
     {"n1", "n1", "n2", "n1"}, model::deployment_status::running,
     {"dep.Web_IN_3", "dep.Web_IN_2"},
     "n1:start:dep.Web_IN_3 n1:delete:dep.Web_IN_2 n1:start:dep.Web_IN_0 n1:start:dep.Web_IN_1 "},
  };
  for (auto& c : cases) {
    std::vector<int> fds(c.placement.size(), 0);
    auto m = one_deployment(c.placement, fds, "svc", "dep", c.status);
    std::vector<protocol::held_instance> h;
    for (auto& w : c.held_wires)
      h.push_back(held(w));
    EXPECT_EQ(describe(reconcile_node(m, "n1", h)), c.expected) << c.name;
  }
}

TEST(reconcile_node, start_commands_carry_the_instance_ref) {
  auto m = one_deployment({"n1"}, {0});
  auto cmds = reconcile_node(m, "n1", {held("dep.Web_IN_0"), held("x.Y_IN_0", "x")});
  ASSERT_EQ(cmds.size(), 2u);
  ASSERT_TRUE(cmds[0].ref);
  EXPECT_EQ(cmds[0].ref->instance, "Web_IN_0");
  EXPECT_FALSE(cmds[1].ref);
  EXPECT_EQ(cmds[1].deployment_name, "x");
}

struct heal_case {
  const char* name;
  std::vector<std::string> placement;
  std::vector<int> fds;
  std::vector<std::string> down;
  std::vector<model::node_capacity> live;
  std::string expected_commands;
  std::size_t expected_unplaced;
};

TEST(plan_healing, table) {
  std::vector<heal_case> cases{
    {"a down node's instances go to the live nodes, balanced by FD",
     {"n1", "n2", "n3", "n1", "n2", "n3"}, {0, 1, 2, 0, 1, 2}, {"n3"},
     {{"n1", 0, 10, 0}, {"n2", 1, 10, 0}},
     "n1:migrate_in:dep.Web_IN_2 n2:migrate_in:dep.Web_IN_5 ", 0},
    {"nothing on the down node: nothing to do",
     {"n1", "n2"}, {0, 1}, {"n3"}, {{"n1", 0, 10, 0}, {"n2", 1, 10, 0}}, "", 0},
    {"no room: the instances are unplaced and wait",
     {"n1", "n2"}, {0, 1}, {"n2"}, {{"n1", 0, 1, 0}}, "", 1},
    {"unplaced instances are placed when room appears",
     {"n1", ""}, {0, 0}, {}, {{"n1", 0, 5, 0}, {"n4", 1, 5, 0}},
     "n4:migrate_in:dep.Web_IN_1 ", 0},
    {"no live node at all: everything waits",
     {"n1", "n1"}, {0, 0}, {"n1"}, {}, "", 2},
  };
  for (auto& c : cases) {
    auto m = one_deployment(c.placement, c.fds);
    auto plan = plan_healing(m, c.down, c.live);
    EXPECT_EQ(describe(plan.commands), c.expected_commands) << c.name;
    EXPECT_EQ(plan.unplaced.size(), c.expected_unplaced) << c.name;
    // Every edit applies, and afterwards no instance is on a down node.
    for (auto& e : plan.edits)
      EXPECT_TRUE(model::apply(m, e).ok()) << c.name;
    std::set<std::string> down(c.down.begin(), c.down.end());
    for (auto& i : m.services.at("svc").production->instances)
      EXPECT_EQ(down.count(i.node), 0u) << c.name << ": " << i.name << " still on " << i.node;
  }
}

TEST(plan_healing, keeps_the_upgrade_domain_and_takes_the_new_nodes_fault_domain) {
  auto m = one_deployment({"n1", "n2", "n3"}, {0, 1, 2});
  auto plan = plan_healing(m, {"n3"}, {{"n1", 0, 10, 0}, {"n2", 1, 10, 0}});
  ASSERT_EQ(plan.edits.size(), 1u);
  for (auto& e : plan.edits)
    ASSERT_TRUE(model::apply(m, e).ok());
  auto* i = m.services.at("svc").production->find_instance("Web_IN_2");
  EXPECT_EQ(i->upgrade_domain, 2);
  EXPECT_NE(i->node, "n3");
  EXPECT_EQ(i->fault_domain, i->node == "n1" ? 0 : 1);
}

TEST(plan_healing, counts_load_over_every_deployment) {
  // n1 is full with another service's instances: healing must use n2.
  auto m = one_deployment({"n1", "n1"}, {0, 0}, "other", "busy");
  auto second = one_deployment({"n3"}, {2});
  m.services["svc"] = second.services.at("svc");
  auto plan = plan_healing(m, {"n3"}, {{"n1", 0, 2, 0}, {"n2", 1, 2, 0}});
  EXPECT_EQ(describe(plan.commands), "n2:migrate_in:dep.Web_IN_0 ");
}

TEST(make_spec, carries_everything_the_node_needs) {
  auto m = one_deployment({"n1", "n2"}, {0, 1});
  auto spec = make_spec(m, {"svc", model::slot::production, "Web_IN_1"}, {{"create_vm", 7}});
  EXPECT_EQ(spec.name, "dep.Web_IN_1");
  EXPECT_EQ(spec.role, "Web");
  EXPECT_EQ(spec.service, "svc");
  EXPECT_EQ(spec.deployment, "dep");
  EXPECT_EQ(spec.slot, "production");
  EXPECT_EQ(spec.version, "v1");
  EXPECT_EQ(spec.image_digest, std::string(64, 'a'));
  EXPECT_EQ(spec.upgrade_domain, 1u);
  EXPECT_EQ(spec.fault_domain, 1u);
  ASSERT_EQ(spec.local_storage.size(), 1u);
  EXPECT_EQ(spec.local_storage[0].name, "scratch");
  EXPECT_EQ(spec.local_storage[0].size_mb, 64u);
  EXPECT_FALSE(spec.local_storage[0].clean_on_role_recycle);
  ASSERT_EQ(spec.endpoints.size(), 1u);
  EXPECT_EQ(spec.endpoints[0].port, 80);
  EXPECT_EQ(spec.settings.at("Greeting"), "hello");
  EXPECT_EQ(spec.phase_durations_ms.at("create_vm"), 7u);
}

} // namespace
} // namespace fabric::coordinator
