#include "model/walk_risk.hpp"

#include <gtest/gtest.h>

using namespace fabric::model;

namespace {

// domain.md §2: three instances, UD count 3, two FDs.
std::vector<walk_instance> domain_example() {
  return {{"WebRole_IN_0", "WebRole", 0, 0},
          {"WebRole_IN_1", "WebRole", 1, 1},
          {"WebRole_IN_2", "WebRole", 2, 0}};
}

walk_risk_report analyze_ok(const std::vector<walk_instance>& xs, const walk_risk_options& o) {
  auto r = analyze_walk(xs, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
  return r.ok() ? r.value() : walk_risk_report{};
}

} // namespace

TEST(WalkRisk, DomainExampleFlagsTheStepOfUdOne) {
  auto rep = analyze_ok(domain_example(), {});
  ASSERT_EQ(rep.steps.size(), 3u);
  EXPECT_EQ(rep.order, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(rep.at_risk);
  EXPECT_FALSE(rep.steps[0].at_risk);
  EXPECT_TRUE(rep.steps[1].at_risk);
  EXPECT_FALSE(rep.steps[2].at_risk);
  const auto& s1 = rep.steps[1];
  EXPECT_EQ(s1.upgrade_domain, 1);
  EXPECT_EQ(s1.down, (std::vector<std::string>{"WebRole_IN_1"}));
  EXPECT_EQ(s1.capacity.at("WebRole"), 2);
  EXPECT_EQ(s1.capacity_if_fd_fails.at("WebRole"), 0);
  EXPECT_EQ(s1.worst_fault_domain.at("WebRole"), 0);
  EXPECT_EQ(s1.roles_at_risk, (std::vector<std::string>{"WebRole"}));
  EXPECT_EQ(rep.steps[0].capacity_if_fd_fails.at("WebRole"), 1);
}

TEST(WalkRisk, CustomOrderReportsStepsInThatOrder) {
  walk_risk_options o;
  o.order = {2, 1};
  auto rep = analyze_ok(domain_example(), o);
  ASSERT_EQ(rep.steps.size(), 2u);
  EXPECT_EQ(rep.steps[0].upgrade_domain, 2);
  EXPECT_FALSE(rep.steps[0].at_risk);
  EXPECT_EQ(rep.steps[1].upgrade_domain, 1);
  EXPECT_TRUE(rep.steps[1].at_risk);
}

TEST(WalkRisk, MinimumCapacityRaisesTheBar) {
  // Six instances, 3 UDs, FD = index mod 2: each step leaves 4, the worst FD
  // failure leaves 2.
  std::vector<walk_instance> xs;
  for (int i = 0; i < 6; ++i)
    xs.push_back({"W_IN_" + std::to_string(i), "W", i % 3, i % 2});
  EXPECT_FALSE(analyze_ok(xs, {}).at_risk);
  walk_risk_options o;
  o.min_capacity = 2;
  EXPECT_FALSE(analyze_ok(xs, o).at_risk);
  o.min_capacity = 3;
  auto rep = analyze_ok(xs, o);
  EXPECT_TRUE(rep.at_risk);
  for (auto& s : rep.steps) {
    EXPECT_EQ(s.capacity.at("W"), 4);
    EXPECT_EQ(s.capacity_if_fd_fails.at("W"), 2);
    EXPECT_TRUE(s.at_risk);
  }
}

TEST(WalkRisk, SurgeKeepsCapacityForAnInstanceAloneInItsFd) {
  walk_risk_options o;
  o.surge = true;
  auto rep = analyze_ok(domain_example(), o);
  EXPECT_FALSE(rep.at_risk);
  const auto& s1 = rep.steps[1];
  EXPECT_EQ(s1.surged, (std::vector<std::string>{"WebRole_IN_1"}));
  EXPECT_EQ(s1.capacity.at("WebRole"), 3);
  EXPECT_EQ(s1.capacity_if_fd_fails.at("WebRole"), 1);
  // Instance 0 shares FD 0 with instance 2, which stays up: no surge for it.
  EXPECT_TRUE(rep.steps[0].surged.empty());
  EXPECT_EQ(rep.steps[0].capacity.at("WebRole"), 2);
}

TEST(WalkRisk, SingleRoleWalkLeavesOtherRolesAtFullCapacity) {
  auto xs = domain_example();
  xs.push_back({"Worker_IN_0", "Worker", 0, 0});
  xs.push_back({"Worker_IN_1", "Worker", 1, 1});
  walk_risk_options o;
  o.role = "Worker";
  auto rep = analyze_ok(xs, o);
  for (auto& s : rep.steps) {
    EXPECT_EQ(s.capacity.at("WebRole"), 3) << "UD " << s.upgrade_domain;
    for (auto& n : s.down)
      EXPECT_EQ(n.rfind("Worker", 0), 0u) << n;
  }
  // Worker has one instance per FD: losing the other FD while one is down
  // leaves nothing.
  EXPECT_TRUE(rep.steps[0].at_risk);
  EXPECT_EQ(rep.steps[0].roles_at_risk, (std::vector<std::string>{"Worker"}));
  // UD 2 has no Worker instance: nothing down, not at risk.
  EXPECT_TRUE(rep.steps[2].down.empty());
  EXPECT_FALSE(rep.steps[2].at_risk);
}

TEST(WalkRisk, OnlyRolesWithInstancesDownInTheStepCanBeAtRisk) {
  // A single-instance role in UD 0 is at risk only at UD 0's step.
  std::vector<walk_instance> xs = {{"A_IN_0", "A", 0, 0},
                                   {"B_IN_0", "B", 0, 0},
                                   {"B_IN_1", "B", 1, 1},
                                   {"B_IN_2", "B", 2, 0},
                                   {"B_IN_3", "B", 0, 1}};
  auto rep = analyze_ok(xs, {});
  EXPECT_EQ(rep.steps[0].roles_at_risk, (std::vector<std::string>{"A"}));
  EXPECT_FALSE(rep.steps[1].at_risk);
  EXPECT_EQ(rep.steps[1].capacity_if_fd_fails.at("A"), 0); // reported, not flagged
}

TEST(WalkRisk, RejectsBadOrders) {
  struct bad_case {
    std::vector<int> order;
    std::string message;
  };
  std::vector<bad_case> cases = {
    {{0, 3}, "walk order entry 3 is not an upgrade domain: there are 3 UDs (0..2)"},
    {{-1}, "walk order entry -1 is not an upgrade domain: there are 3 UDs (0..2)"},
    {{0, 1, 0}, "UD 0 appears twice in the walk order"},
  };
  for (auto& c : cases) {
    walk_risk_options o;
    o.order = c.order;
    auto r = analyze_walk(domain_example(), o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().message, c.message);
  }
}

TEST(WalkRisk, RejectsBadInputs) {
  walk_risk_options o;
  o.role = "Nope";
  auto r = analyze_walk(domain_example(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message, "role 'Nope' has no instances");
  o = {};
  o.upgrade_domain_count = 2;
  r = analyze_walk(domain_example(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().message, "instance WebRole_IN_2 is in UD 2, outside 0..1");
}

TEST(WalkRisk, DeploymentOverloadUsesTheDefinitionsUdCount) {
  deployment d;
  d.definition.upgrade_domain_count = 4;
  for (auto& x : domain_example()) {
    instance in;
    in.name = x.name;
    in.role = x.role;
    in.upgrade_domain = x.upgrade_domain;
    in.fault_domain = x.fault_domain;
    d.instances.push_back(in);
  }
  auto r = analyze_walk(d, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->upgrade_domain_count, 4);
  EXPECT_EQ(r->steps.size(), 4u);
  EXPECT_TRUE(r->steps[3].down.empty());
  EXPECT_TRUE(r->steps[1].at_risk);
}

TEST(WalkRisk, SummaryNamesTheRiskyStep) {
  auto text = to_string(analyze_ok(domain_example(), {}));
  EXPECT_NE(text.find("UD 1: down WebRole_IN_1; WebRole 2 up, 0 if FD 0 fails  AT RISK\n"),
            std::string::npos)
    << text;
}
