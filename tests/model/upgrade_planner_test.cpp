#include "model/upgrade_planner.hpp"

#include <gtest/gtest.h>

using namespace fabric::model;
using namespace std::chrono_literals;

namespace {

const time_point t0 = time_point{} + 24h;

// A deployment of `roles` (name, instance count), U upgrade domains, F fault
// domains, round-robin UD and FD, every instance ReadyRole on v1.
deployment make_deployment(std::vector<std::pair<std::string, int>> roles, int u, int f) {
  deployment d;
  d.name = "dep";
  d.version = "v1";
  d.package = "pkg-v1";
  d.definition.upgrade_domain_count = u;
  for (auto& [role, n] : roles) {
    role_definition rd;
    rd.name = role;
    d.definition.roles.push_back(rd);
    for (int i = 0; i < n; ++i) {
      instance in;
      in.role = role;
      in.index = i;
      in.name = role + "_IN_" + std::to_string(i);
      in.upgrade_domain = i % u;
      in.fault_domain = i % f;
      in.state = instance_state::ready_role;
      in.version = "v1";
      d.instances.push_back(in);
    }
  }
  return d;
}

upgrade_request request(upgrade_mode mode = upgrade_mode::automatic) {
  upgrade_request r;
  r.mode = mode;
  r.target_version = "v2";
  r.target_package = "pkg-v2";
  return r;
}

void begin(deployment& d, const upgrade_request& r) {
  auto st = begin_upgrade(d, r);
  ASSERT_TRUE(st.ok()) << st.err().message;
  d.upgrade = st.value();
}

std::vector<std::string> strings(const std::vector<action>& as) {
  std::vector<std::string> out;
  for (auto& a : as)
    out.push_back(to_string(a));
  return out;
}

// The shared assertion of every table: the actions, as their strings.
void expect_actions(const std::vector<action>& got, const std::vector<std::string>& want) {
  EXPECT_EQ(strings(got), want);
}

// Health for one instance that finished its upgrade (ReadyRole on `v`).
instance_health ready_on(const std::string& v, time_point since = t0) {
  return instance_health{instance_state::ready_role, v, since, std::nullopt, {}};
}

// Health for one instance whose upgrade started at `started`.
instance_health upgrading_to(const std::string& v, time_point started) {
  return instance_health{instance_state::starting_role, v, started, started, v};
}

// Applies status actions and records instance actions in the model (the
// instance is upgraded and ready at once), as a trivial executor would.
void apply_all(deployment& d, const std::vector<action>& as) {
  for (auto& a : as) {
    if (auto x = std::get_if<upgrade_instance>(&a))
      d.find_instance(x->name)->version = x->to_version;
    apply_to_status(d, a);
  }
}

upgrade_policy default_policy() { return upgrade_policy{}; }

} // namespace

// -- begin_upgrade -------------------------------------------------------------

TEST(UpgradePlanner, BeginUpgradeDefaultsToTheNaturalOrder) {
  auto d = make_deployment({{"Web", 6}}, 3, 2);
  auto st = begin_upgrade(d, request());
  ASSERT_TRUE(st.ok()) << st.err().message;
  EXPECT_EQ(st->order, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(st->current_upgrade_domain, 0);
  EXPECT_EQ(st->current_state, upgrade_domain_state::before);
  EXPECT_EQ(st->from_version, "v1");
  EXPECT_EQ(st->target_version, "v2");
  EXPECT_TRUE(st->walked.empty());
}

TEST(UpgradePlanner, BeginUpgradeAcceptsAPermutationOfTheUsedDomains) {
  auto d = make_deployment({{"Web", 2}}, 5, 2); // instances in UDs 0 and 1 only
  auto r = request();
  r.order = {1, 0};
  auto st = begin_upgrade(d, r);
  ASSERT_TRUE(st.ok()) << st.err().message;
  EXPECT_EQ(st->current_upgrade_domain, 1);
}

TEST(UpgradePlanner, BeginUpgradeRejectsBadRequests) {
  struct bad_case {
    std::string what;
    std::vector<int> order;
    std::string role;
    std::string target;
    std::string message;
  };
  std::vector<bad_case> cases = {
    {"order entry too high", {0, 1, 5}, "", "v2",
     "walk order entry 5 is not an upgrade domain: the deployment has 3 UDs (0..2)"},
    {"negative entry", {-1, 0, 1}, "", "v2",
     "walk order entry -1 is not an upgrade domain: the deployment has 3 UDs (0..2)"},
    {"duplicate", {0, 1, 1}, "", "v2", "UD 1 appears twice in the walk order"},
    {"missing UD", {0, 2}, "", "v2",
     "the walk order misses UD 1, which holds Web_IN_1: give every UD 0..2, or exactly the UDs "
     "that hold instances (0, 1, 2)"},
    {"unknown role", {}, "Nope", "v2", "role 'Nope' is not in the deployment (roles: Web)"},
    {"no target", {}, "", "", "the target version is empty"},
  };
  auto d = make_deployment({{"Web", 6}}, 3, 2);
  for (auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto r = request();
    r.order = c.order;
    r.role = c.role;
    r.target_version = c.target;
    auto st = begin_upgrade(d, r);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.err().message, c.message);
  }
}

TEST(UpgradePlanner, BeginUpgradeRejectsAnOrderWithAnEmptyDomainThatIsNotComplete) {
  auto d = make_deployment({{"Web", 2}}, 5, 2);
  auto r = request();
  r.order = {0, 1, 4};
  auto st = begin_upgrade(d, r);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.err().message, "the walk order lists UD 4 but not every UD: give every UD 0..4, "
                              "or exactly the UDs that hold instances (0, 1)");
}

TEST(UpgradePlanner, BeginUpgradeRefusesASecondUpgrade) {
  auto d = make_deployment({{"Web", 2}}, 2, 2);
  begin(d, request());
  auto st = begin_upgrade(d, request());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.err().message, "an upgrade to version v2 is already in progress; let it finish or "
                              "roll it back first");
}

// -- Auto mode -----------------------------------------------------------------

TEST(UpgradePlanner, AutoStartsTheFirstDomainOfTheOrder) {
  auto d = make_deployment({{"Web", 6}}, 3, 2);
  begin(d, request());
  expect_actions(plan_next(d, {}, default_policy(), t0),
                 {"advance_to_domain(0, During)", "upgrade_instance(Web_IN_0 -> v2)",
                  "upgrade_instance(Web_IN_3 -> v2)"});
}

TEST(UpgradePlanner, HoldsNextDomainUntilCurrentHealthy) {
  auto d = make_deployment({{"Web", 6}}, 3, 2);
  begin(d, request());
  apply_all(d, plan_next(d, {}, default_policy(), t0));
  health_snapshot h;
  h.instances["Web_IN_0"] = ready_on("v2");
  h.instances["Web_IN_3"] = upgrading_to("v2", t0);
  // Web_IN_3 is still starting: nothing to do, UD 1 not started.
  expect_actions(plan_next(d, h, default_policy(), t0 + 5min), {});
  h.instances["Web_IN_3"] = ready_on("v2", t0 + 6min);
  expect_actions(plan_next(d, h, default_policy(), t0 + 6min),
                 {"domain_walked(0)", "advance_to_domain(1, During)",
                  "upgrade_instance(Web_IN_1 -> v2)", "upgrade_instance(Web_IN_4 -> v2)"});
}

TEST(UpgradePlanner, WalksACustomOrderAndCompletes) {
  auto d = make_deployment({{"Web", 3}}, 3, 2);
  auto r = request();
  r.order = {2, 0, 1};
  begin(d, r);
  std::vector<std::vector<std::string>> want = {
    {"advance_to_domain(2, During)", "upgrade_instance(Web_IN_2 -> v2)"},
    {"domain_walked(2)", "advance_to_domain(0, During)", "upgrade_instance(Web_IN_0 -> v2)"},
    {"domain_walked(0)", "advance_to_domain(1, During)", "upgrade_instance(Web_IN_1 -> v2)"},
    {"domain_walked(1)", "complete_upgrade"},
  };
  for (auto& w : want) {
    auto as = plan_next(d, {}, default_policy(), t0);
    expect_actions(as, w);
    apply_all(d, as);
  }
  EXPECT_FALSE(d.upgrade.has_value());
  EXPECT_EQ(d.version, "v2");
  EXPECT_EQ(d.package, "pkg-v2");
  expect_actions(plan_next(d, {}, default_policy(), t0), {});
}

TEST(UpgradePlanner, SameInputsGiveSameActionsAndDoneWorkIsNotRepeated) {
  auto d = make_deployment({{"Web", 6}}, 3, 2);
  begin(d, request());
  health_snapshot h;
  h.instances["Web_IN_0"] = ready_on("v2"); // already done (e.g. before a restart)
  auto first = plan_next(d, h, default_policy(), t0);
  EXPECT_EQ(strings(first), strings(plan_next(d, h, default_policy(), t0)));
  expect_actions(first, {"advance_to_domain(0, During)", "upgrade_instance(Web_IN_3 -> v2)"});
  // After the status action is applied, an instance whose upgrade started is
  // not asked again.
  apply_to_status(d, first[0]);
  // The executor began (stopping it), the version is not switched yet.
  h.instances["Web_IN_3"] = instance_health{instance_state::stopping_role, "v1", t0, t0, "v2"};
  expect_actions(plan_next(d, h, default_policy(), t0 + 1min), {});
}

TEST(UpgradePlanner, SingleRoleUpgradeLeavesOtherRolesAlone) {
  auto d = make_deployment({{"Web", 2}, {"Worker", 2}}, 2, 2);
  auto r = request();
  r.role = "Worker";
  begin(d, r);
  expect_actions(plan_next(d, {}, default_policy(), t0),
                 {"advance_to_domain(0, During)", "upgrade_instance(Worker_IN_0 -> v2)"});
}

TEST(UpgradePlanner, SimultaneousUpgradesEveryInstanceAtOnce) {
  auto d = make_deployment({{"Web", 2}, {"Worker", 1}}, 2, 2);
  begin(d, request(upgrade_mode::simultaneous));
  auto as = plan_next(d, {}, default_policy(), t0);
  expect_actions(as, {"advance_to_domain(0, During)", "upgrade_instance(Web_IN_0 -> v2)",
                      "upgrade_instance(Web_IN_1 -> v2)", "upgrade_instance(Worker_IN_0 -> v2)"});
  apply_all(d, as);
  expect_actions(plan_next(d, {}, default_policy(), t0), {"complete_upgrade"});
}

// -- timeouts ------------------------------------------------------------------

TEST(UpgradePlanner, PerInstanceTimeoutFollowsThePolicy) {
  struct timeout_case {
    timeout_action on_timeout;
    bool rolling_back;
    std::vector<std::string> want;
  };
  const std::string why = "Web_IN_1 did not reach ReadyRole on version v2 within 30 min";
  std::vector<timeout_case> cases = {
    {timeout_action::proceed, false, {"domain_walked(0)", "complete_upgrade"}},
    {timeout_action::pause, false, {"pause_upgrade(" + why + ")"}},
    {timeout_action::roll_back, false, {"begin_rollback(" + why + ")"}},
    {timeout_action::roll_back, true, {"pause_upgrade(" + why + ")"}},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.on_timeout));
    auto d = make_deployment({{"Web", 2}}, 1, 2);
    begin(d, request());
    d.upgrade->current_state = upgrade_domain_state::during;
    d.upgrade->rolling_back = c.rolling_back;
    health_snapshot h;
    h.instances["Web_IN_0"] = ready_on("v2");
    h.instances["Web_IN_1"] = upgrading_to("v2", t0);
    upgrade_policy p;
    p.on_timeout = c.on_timeout;
    expect_actions(plan_next(d, h, p, t0 + 29min), {});
    expect_actions(plan_next(d, h, p, t0 + 30min), c.want);
  }
}

TEST(UpgradePlanner, CrashedInstanceOnTargetTimesOutFromWhenItEnteredItsState) {
  auto d = make_deployment({{"Web", 2}}, 1, 2);
  begin(d, request());
  d.upgrade->current_state = upgrade_domain_state::during;
  health_snapshot h;
  h.instances["Web_IN_0"] = ready_on("v2");
  h.instances["Web_IN_1"] =
    instance_health{instance_state::cycling_role, "v2", t0 + 10min, std::nullopt, {}};
  upgrade_policy p;
  p.on_timeout = timeout_action::pause;
  expect_actions(plan_next(d, h, p, t0 + 39min), {});
  EXPECT_EQ(plan_next(d, h, p, t0 + 40min).size(), 1u);
}

// -- Manual mode ---------------------------------------------------------------

TEST(UpgradePlanner, ManualWaitsForEachWalk) {
  auto d = make_deployment({{"Web", 2}}, 2, 2);
  begin(d, request(upgrade_mode::manual));
  expect_actions(plan_next(d, {}, default_policy(), t0), {"await_walk(0)"});
  auto st = walk_upgrade_domain(d, 0);
  ASSERT_TRUE(st.ok()) << st.err().message;
  d.upgrade = st.value();
  auto as = plan_next(d, {}, default_policy(), t0);
  expect_actions(as, {"upgrade_instance(Web_IN_0 -> v2)"});
  apply_all(d, as);
  as = plan_next(d, {}, default_policy(), t0);
  expect_actions(as, {"domain_walked(0)", "advance_to_domain(1, Before)", "await_walk(1)"});
  apply_all(d, as);
  expect_actions(plan_next(d, {}, default_policy(), t0), {"await_walk(1)"});
}

TEST(UpgradePlanner, CheckWalkRefusesWalksOutOfOrder) {
  struct walk_case {
    std::string what;
    upgrade_mode mode;
    std::vector<int> walked;
    int current;
    upgrade_domain_state state;
    int ud;
    std::string message; // empty = allowed
  };
  auto before = upgrade_domain_state::before;
  auto during = upgrade_domain_state::during;
  auto manual = upgrade_mode::manual;
  std::vector<walk_case> cases = {
    {"next UD", manual, {0}, 1, before, 1, ""},
    {"skips ahead", manual, {0}, 1, before, 2, "UD 2 is out of order: the next UD to walk is 1"},
    {"does not exist", manual, {}, 0, before, 3, "UD 3 does not exist in this walk (order: 0, 1, 2)"},
    {"negative", manual, {}, 0, before, -1, "UD -1 does not exist in this walk (order: 0, 1, 2)"},
    {"already walked", manual, {0}, 1, before, 0, "UD 0 was already walked"},
    {"being walked", manual, {}, 0, during, 0, "UD 0 is already being walked"},
    {"previous still running", manual, {}, 0, during, 1,
     "UD 0 is still being walked; walk UD 1 after it is done"},
    {"auto mode", upgrade_mode::automatic, {}, 0, before, 0,
     "upgrade domains are walked by hand only in Manual mode; this upgrade is Auto"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto d = make_deployment({{"Web", 3}}, 3, 2);
    begin(d, request(c.mode));
    d.upgrade->walked = c.walked;
    d.upgrade->current_upgrade_domain = c.current;
    d.upgrade->current_state = c.state;
    auto s = check_walk(d, c.ud);
    if (c.message.empty()) {
      EXPECT_TRUE(s.ok()) << s.err().message;
    } else {
      ASSERT_FALSE(s.ok());
      EXPECT_EQ(s.err().message, c.message);
    }
  }
  auto idle = make_deployment({{"Web", 3}}, 3, 2);
  auto s = check_walk(idle, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.err().message, "no upgrade is in progress");
}

// -- rollback ------------------------------------------------------------------

TEST(UpgradePlanner, RollbackReturnsUpgradedInstancesOnly) {
  auto d = make_deployment({{"Web", 6}}, 3, 2);
  begin(d, request());
  // UD 0 done; UD 1 in progress with Web_IN_1 upgraded, Web_IN_4 not yet.
  d.find_instance("Web_IN_0")->version = "v2";
  d.find_instance("Web_IN_3")->version = "v2";
  d.find_instance("Web_IN_1")->version = "v2";
  d.upgrade->walked = {0};
  d.upgrade->current_upgrade_domain = 1;
  d.upgrade->current_state = upgrade_domain_state::during;
  auto rb = make_rollback(d, upgrade_mode::automatic);
  ASSERT_TRUE(rb.ok()) << rb.err().message;
  EXPECT_EQ(rb->order, (std::vector<int>{1, 0}));
  EXPECT_EQ(rb->target_version, "v1");
  EXPECT_EQ(rb->from_version, "v2");
  EXPECT_TRUE(rb->rolling_back);
  d.upgrade = rb.value();
  auto as = plan_next(d, {}, default_policy(), t0);
  expect_actions(as, {"advance_to_domain(1, During)", "rollback_instance(Web_IN_1 -> v1)"});
  for (auto& a : as)
    if (auto x = std::get_if<rollback_instance>(&a))
      d.find_instance(x->name)->version = x->to_version;
  apply_all(d, as);
  expect_actions(plan_next(d, {}, default_policy(), t0),
                 {"domain_walked(1)", "advance_to_domain(0, During)",
                  "rollback_instance(Web_IN_0 -> v1)", "rollback_instance(Web_IN_3 -> v1)"});
  auto again = make_rollback(d, upgrade_mode::automatic);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().message, "a rollback is already in progress");
}

TEST(UpgradePlanner, RollbackSupersedesAForwardUpgradeInFlight) {
  auto d = make_deployment({{"Web", 2}}, 1, 2);
  begin(d, request());
  apply_all(d, plan_next(d, {}, default_policy(), t0)); // both on v2 in the model
  health_snapshot h;
  h.instances["Web_IN_0"] = ready_on("v2");
  h.instances["Web_IN_1"] = upgrading_to("v2", t0); // still starting on v2
  auto rb = make_rollback(d, upgrade_mode::automatic);
  ASSERT_TRUE(rb.ok()) << rb.err().message;
  d.upgrade = rb.value();
  expect_actions(plan_next(d, h, default_policy(), t0 + 1min),
                 {"advance_to_domain(0, During)", "rollback_instance(Web_IN_0 -> v1)",
                  "rollback_instance(Web_IN_1 -> v1)"});
  // Once the rollback of Web_IN_1 has started, it is not asked again.
  h.instances["Web_IN_1"] = upgrading_to("v1", t0 + 1min);
  d.upgrade->current_state = upgrade_domain_state::during;
  expect_actions(plan_next(d, h, default_policy(), t0 + 2min),
                 {"rollback_instance(Web_IN_0 -> v1)"});
}

TEST(UpgradePlanner, BeginRollbackActionTurnsTheUpgradeAround) {
  auto d = make_deployment({{"Web", 2}}, 2, 2);
  begin(d, request());
  apply_all(d, plan_next(d, {}, default_policy(), t0)); // UD 0 upgraded
  apply_to_status(d, begin_rollback{"test"});
  ASSERT_TRUE(d.upgrade.has_value());
  EXPECT_TRUE(d.upgrade->rolling_back);
  EXPECT_EQ(d.upgrade->order, (std::vector<int>{0}));
  auto rb = make_deployment({{"Web", 2}}, 2, 2);
  auto none = make_rollback(rb, upgrade_mode::automatic);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.err().message, "no upgrade is in progress to roll back");
}

// -- surge ---------------------------------------------------------------------

TEST(UpgradePlanner, SurgeStartsAReplacementForAnInstanceAloneInItsFd) {
  // domain.md §2: Web_IN_1 is the only instance in FD 1.
  auto d = make_deployment({{"Web", 3}}, 3, 2);
  d.find_instance("Web_IN_2")->fault_domain = 0;
  auto r = request();
  r.surge = true;
  r.order = {1, 0, 2};
  begin(d, r);
  expect_actions(plan_next(d, {}, default_policy(), t0),
                 {"advance_to_domain(1, During)", "start_surge_instance(Web_IN_1)"});
  d.upgrade->current_state = upgrade_domain_state::during;
  health_snapshot h;
  h.surges["Web_IN_1"] = instance_health{instance_state::starting_role, "v1", t0, std::nullopt, {}};
  expect_actions(plan_next(d, h, default_policy(), t0 + 1min), {});
  h.surges["Web_IN_1"] = ready_on("v1", t0 + 2min);
  expect_actions(plan_next(d, h, default_policy(), t0 + 2min),
                 {"upgrade_instance(Web_IN_1 -> v2)"});
  h.instances["Web_IN_1"] = ready_on("v2", t0 + 5min);
  // Done: the replacement goes, UD 0 follows; Web_IN_0 shares FD 0 with
  // Web_IN_2, so it needs no surge.
  expect_actions(plan_next(d, h, default_policy(), t0 + 5min),
                 {"stop_surge_instance(Web_IN_1)", "domain_walked(1)",
                  "advance_to_domain(0, During)", "upgrade_instance(Web_IN_0 -> v2)"});
}

TEST(UpgradePlanner, ActionStringsAreStable) {
  EXPECT_EQ(to_string(action{await_walk{3}}), "await_walk(3)");
  EXPECT_EQ(to_string(action{pause_upgrade{"why"}}), "pause_upgrade(why)");
  EXPECT_EQ(to_string(action{stop_surge_instance{"A_IN_0"}}), "stop_surge_instance(A_IN_0)");
  EXPECT_EQ(to_string(action{complete_upgrade{}}), "complete_upgrade");
}
