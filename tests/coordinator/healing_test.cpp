// Detection is not healing (issue 14, items 1-3): the pure decision of when a
// down node's instances are re-placed (exhaustive over a time grid), the
// controller's heal delay and restart window, and fault-domain spread in
// plan_healing / plan_spread_restore.

#include <gtest/gtest.h>

#include <set>

#include "coordinator/controller.hpp"
#include "coordinator/healing.hpp"
#include "coordinator/reconcile.hpp"
#include "tests/coordinator/test_model.hpp"

namespace fabric::coordinator {
namespace {

using namespace std::chrono_literals;
using protocol::command_kind;
using testing::one_deployment;
using tp = heal_clock::time_point;

const tp t0 = tp{} + 1000s;

// -- decide_healing ---------------------------------------------------------------

TEST(decide_healing, a_node_is_healed_only_after_the_heal_delay) {
  healing_policy p{30s, 5s};
  restart_window w{t0, true, t0, std::nullopt};
  std::map<std::string, tp> down{{"n1", t0 + 10s}};
  auto early = decide_healing(down, w, t0 + 10s, p);
  EXPECT_TRUE(early.heal_now.empty());
  ASSERT_TRUE(early.next_deadline);
  EXPECT_EQ(*early.next_deadline, t0 + 40s);
  EXPECT_TRUE(decide_healing(down, w, t0 + 40s - 1ms, p).heal_now.empty());
  EXPECT_EQ(decide_healing(down, w, t0 + 40s, p).heal_now, std::vector<std::string>{"n1"});
}

TEST(decide_healing, nothing_heals_during_the_restart_window_and_the_delay_runs_from_its_end) {
  healing_policy p{30s, 5s};
  restart_window w{t0, false, {}, std::nullopt};  // a node has not registered yet
  std::map<std::string, tp> down{{"n1", t0}, {"n2", t0 + 1s}};
  auto d = decide_healing(down, w, t0 + 4s, p);
  EXPECT_FALSE(d.restart_settled);
  EXPECT_TRUE(d.heal_now.empty());
  ASSERT_TRUE(d.next_deadline);
  EXPECT_EQ(*d.next_deadline, t0 + 5s);  // the window closes first
  EXPECT_TRUE(decide_healing(down, w, t0 + 34s, p).heal_now.empty());
  EXPECT_EQ(decide_healing(down, w, t0 + 35s, p).heal_now,
            (std::vector<std::string>{"n1", "n2"}));
}

TEST(decide_healing, the_window_closes_early_when_every_node_registered) {
  healing_policy p{0ms, 5s};
  restart_window w{t0, true, t0 + 1s, std::nullopt};
  std::map<std::string, tp> down{{"n3", t0 + 2s}};
  auto d = decide_healing(down, w, t0 + 2s, p);
  EXPECT_TRUE(d.restart_settled);
  EXPECT_EQ(d.heal_now, std::vector<std::string>{"n3"});
  EXPECT_FALSE(d.next_deadline);
}

TEST(decide_healing, a_stall_of_the_coordinator_holds_healing_for_the_grace) {
  healing_policy p{1s, 5s};
  restart_window w{t0, true, t0, t0 + 100s};  // stalled until t0+100s
  std::map<std::string, tp> down{{"n1", t0 + 50s}};
  EXPECT_TRUE(decide_healing(down, w, t0 + 100s, p).heal_now.empty());
  EXPECT_TRUE(decide_healing(down, w, t0 + 105s, p).heal_now.empty());
  EXPECT_EQ(decide_healing(down, w, t0 + 106s, p).heal_now, std::vector<std::string>{"n1"});
}

TEST(decide_healing, zero_delay_and_grace_heal_at_detection) {
  restart_window w{t0, false, {}, std::nullopt};
  std::map<std::string, tp> down{{"n1", t0 + 1ms}};
  auto d = decide_healing(down, w, t0 + 1ms, {});
  EXPECT_EQ(d.heal_now, std::vector<std::string>{"n1"});
  EXPECT_TRUE(decide_healing({}, w, t0, {}).heal_now.empty());
}

// Exhaustive over a grid: every combination of delay, grace, window state,
// stall, down time and now. The rule, restated independently: healed iff now
// is at or after (the later of the node's down time, the window's end and the
// stall's end + grace) + delay; the deadline is the earliest time still
// ahead; and once due, a node stays due.
TEST(decide_healing, exhaustive_grid) {
  std::vector<std::chrono::milliseconds> delays{0ms, 1s, 3s}, graces{0ms, 2s};
  std::vector<int> secs{0, 1, 2, 3, 4, 5, 6, 7, 8};
  int checked = 0;
  for (auto delay : delays)
    for (auto grace : graces)
      for (int registered : {-1, 0, 1, 3})  // -1: not all registered; else at t0+s
        for (int stall : {-1, 2, 4})        // -1: no stall; else ended at t0+s
          for (int since : secs) {
            healing_policy p{delay, grace};
            restart_window w{t0, registered >= 0,
                             t0 + std::chrono::seconds(std::max(registered, 0)),
                             stall >= 0 ? std::optional<tp>(t0 + std::chrono::seconds(stall))
                                        : std::nullopt};
            auto window_end = registered >= 0
                                ? std::min(t0 + grace, t0 + std::chrono::seconds(registered))
                                : t0 + grace;
            auto allowed = stall >= 0
                             ? std::max(window_end, t0 + std::chrono::seconds(stall) + grace)
                             : window_end;
            auto due = std::max(t0 + std::chrono::seconds(since), allowed) + delay;
            std::map<std::string, tp> down{{"n", t0 + std::chrono::seconds(since)}};
            bool was_due = false;
            for (int now_s = since; now_s <= 20; ++now_s) {
              auto now = t0 + std::chrono::seconds(now_s);
              auto d = decide_healing(down, w, now, p);
              bool healed = d.heal_now == std::vector<std::string>{"n"};
              ASSERT_EQ(healed, now >= due)
                << "delay " << delay.count() << " grace " << grace.count() << " registered "
                << registered << " stall " << stall << " since " << since << " now " << now_s;
              ASSERT_TRUE(healed || d.heal_now.empty());
              ASSERT_FALSE(was_due && !healed) << "due, then not due";
              was_due = healed;
              ASSERT_EQ(d.restart_settled, now >= allowed);
              if (!healed) {
                ASSERT_TRUE(d.next_deadline);
                ASSERT_GT(*d.next_deadline, now);
                ASSERT_LE(*d.next_deadline, due);
              }
              ++checked;
            }
          }
  EXPECT_GT(checked, 3000);
}

// -- the controller ---------------------------------------------------------------

struct heal_delay : ::testing::Test {
  // Web_IN_0..5 on n1 n2 n3 n1 n2 n3, FDs 0 1 2.
  memory_model_port store{one_deployment({"n1", "n2", "n3", "n1", "n2", "n3"}, {0, 1, 2, 0, 1, 2})};

  controller_config config(std::chrono::milliseconds delay, std::chrono::milliseconds grace) {
    controller_config cfg;
    cfg.heal_delay = delay;
    cfg.unseen_node_grace = grace;
    return cfg;
  }

  void all_up(controller& c) {
    for (int fd = 0; fd < 3; ++fd) {
      auto name = "n" + std::to_string(fd + 1);
      c.on_node_up({name, fd, 10, "peer-" + name, 1, true}, {});
    }
    c.take_outbound();
  }

  std::map<std::string, int> per_node() {
    std::map<std::string, int> out;
    for (auto& i : store.model().services.at("svc").production->instances)
      ++out[i.node];
    return out;
  }
};

TEST_F(heal_delay, a_down_nodes_instances_go_out_of_rotation_at_once_and_move_only_after_the_delay) {
  controller c{store, nullptr, config(30s, 0ms)};
  all_up(c);
  auto now = std::chrono::steady_clock::now();
  c.on_node_down("n3", now);
  // Out of rotation: unknown, no endpoint. Not moved.
  auto* o = c.observed("dep.Web_IN_2");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->state, model::instance_state::role_state_unknown);
  EXPECT_EQ(per_node()["n3"], 2);
  EXPECT_TRUE(c.take_outbound().empty());
  EXPECT_TRUE(c.heal_due(now + 29s).empty());
  EXPECT_EQ(per_node()["n3"], 2);
  EXPECT_EQ(c.heal_due(now + 30s), std::vector<std::string>{"n3"});
  EXPECT_EQ(per_node().count("n3"), 0u);
  auto moves = c.take_outbound();
  ASSERT_EQ(moves.size(), 2u);
  for (auto& m : moves)
    EXPECT_EQ(m.command.kind, command_kind::migrate_in);
  EXPECT_EQ(c.counters().nodes_healed, 1u);
  EXPECT_TRUE(c.down_since().empty());
}

TEST_F(heal_delay, a_node_back_within_the_delay_keeps_its_instances_and_their_data) {
  controller c{store, nullptr, config(30s, 0ms)};
  all_up(c);
  auto now = std::chrono::steady_clock::now();
  c.on_node_down("n3", now);
  c.on_node_up({"n3", 2, 10, "peer-n3b", 2, true},
               {{"dep.Web_IN_2", "dep", "v1", true, {}}, {"dep.Web_IN_5", "dep", "v1", true, {}}});
  auto cmds = c.take_outbound();
  ASSERT_EQ(cmds.size(), 2u);
  for (auto& m : cmds) {
    EXPECT_EQ(m.node, "n3");
    EXPECT_EQ(m.command.kind, command_kind::start);  // start on its disks: data kept
  }
  EXPECT_TRUE(c.heal_due(now + 60s).empty());
  EXPECT_EQ(per_node()["n3"], 2);
  EXPECT_EQ(c.counters().replacements, 0u);
}

// Issue 14 item 1: after a restart, nodes that register late (ZeroMQ backoff)
// are not treated as down, and nothing moves while they come back.
TEST_F(heal_delay, after_a_restart_nothing_moves_while_the_nodes_register_within_the_grace) {
  controller c{store, nullptr, config(30s, 5s)};
  auto start = std::chrono::steady_clock::now();
  c.on_node_up({"n1", 0, 10, "peer-n1", 1, true}, {});
  c.on_tick(start + 400ms);  // the old (k+1)*H grace
  c.on_tick(start + 1400ms);
  c.on_node_up({"n2", 1, 10, "peer-n2", 2, true}, {});
  c.on_node_up({"n3", 2, 10, "peer-n3", 3, true}, {});
  c.on_tick(start + 1500ms);
  for (auto& m : c.take_outbound())
    EXPECT_EQ(m.command.kind, command_kind::start) << m.command.instance.name;
  EXPECT_EQ(per_node(), (std::map<std::string, int>{{"n1", 2}, {"n2", 2}, {"n3", 2}}));
  EXPECT_TRUE(c.expire_unseen_nodes().empty());
  EXPECT_EQ(c.counters().replacements, 0u);
}

TEST_F(heal_delay, a_node_that_never_returns_after_a_restart_heals_a_delay_after_the_grace) {
  controller c{store, nullptr, config(30s, 5s)};
  auto start = std::chrono::steady_clock::now();
  c.on_node_up({"n1", 0, 10, "peer-n1", 1, true}, {});
  c.on_node_up({"n2", 1, 10, "peer-n2", 2, true}, {});
  c.take_outbound();
  // The actor's grace timer: n3 is down from now on, not moved yet.
  EXPECT_EQ(c.expire_unseen_nodes(start + 5s), std::vector<std::string>{"n3"});
  EXPECT_FALSE(c.nodes().at("n3").up);
  EXPECT_EQ(per_node()["n3"], 2);
  EXPECT_TRUE(c.heal_due(start + 34s).empty());
  EXPECT_EQ(c.heal_due(start + 35s + 1ms), std::vector<std::string>{"n3"});
  EXPECT_EQ(per_node().count("n3"), 0u);
  EXPECT_EQ(per_node()["n1"] + per_node()["n2"], 6);
}

TEST_F(heal_delay, a_stalled_coordinator_waits_the_grace_before_healing) {
  controller_config cfg = config(1s, 5s);
  cfg.stall_threshold = 1s;
  controller c{store, nullptr, cfg};
  all_up(c);
  auto now = std::chrono::steady_clock::now();
  c.on_liveness(now);
  c.on_node_down("n3", now);
  c.on_liveness(now + 10s);  // 10 s since the last liveness beat: a stall, just ended
  // Without the stall n3 would heal at now+1s; now it waits until the end of
  // the stall + grace (5 s) + delay (1 s). Beats every 500 ms from here.
  for (auto t = now + 10500ms; t < now + 16s; t += 500ms) {
    c.on_liveness(t);
    ASSERT_EQ(per_node()["n3"], 2) << (t - now).count();
  }
  c.on_liveness(now + 16s);
  EXPECT_EQ(per_node().count("n3"), 0u);
}

TEST_F(heal_delay, zero_delay_heals_at_detection_as_before) {
  controller c{store, nullptr};
  all_up(c);
  c.on_node_down("n3");
  EXPECT_EQ(per_node().count("n3"), 0u);
  EXPECT_EQ(c.take_outbound().size(), 2u);
}

// -- fault-domain spread --------------------------------------------------------

std::map<int, int> fds_of(const model::fabric_model& m) {
  std::map<int, int> out;
  for (auto& i : m.services.at("svc").production->instances)
    ++out[i.fault_domain];
  return out;
}

TEST(healing_spread, a_role_is_never_put_on_one_fd_while_another_has_room) {
  // Web_IN_0..5 over FDs 0 1 2; FD 2's node dies; FDs 0 and 1 have room.
  auto m = one_deployment({"n1", "n2", "n3", "n1", "n2", "n3"}, {0, 1, 2, 0, 1, 2});
  auto plan = plan_healing(m, {"n3"}, {{"n1", 0, 10, 0}, {"n2", 1, 10, 0}});
  EXPECT_TRUE(plan.spread_lost.empty());
  for (auto& e : plan.edits)
    ASSERT_TRUE(model::apply(m, e).ok());
  EXPECT_EQ(fds_of(m), (std::map<int, int>{{0, 3}, {1, 3}}));
  // Even when one FD is much emptier: the role keeps both FDs.
  auto m2 = one_deployment({"n1", "n2", "n3", "n1", "n2", "n3"}, {0, 1, 2, 0, 1, 2});
  auto plan2 = plan_healing(m2, {"n2", "n3"}, {{"n1", 0, 3, 0}, {"n4", 1, 10, 0}});
  for (auto& e : plan2.edits)
    ASSERT_TRUE(model::apply(m2, e).ok());
  EXPECT_EQ(fds_of(m2).size(), 2u);
  EXPECT_TRUE(plan2.spread_lost.empty());
}

TEST(healing_spread, a_role_that_can_only_go_to_one_fd_is_reported) {
  auto m = one_deployment({"n1", "n2", "n3", "n1", "n2", "n3"}, {0, 1, 2, 0, 1, 2});
  auto plan = plan_healing(m, {"n2", "n3"}, {{"n1", 0, 10, 0}});
  EXPECT_EQ(plan.spread_lost, std::vector<std::string>{"dep/Web"});
  EXPECT_EQ(plan.commands.size(), 4u);  // availability first: still healed
}

TEST(healing_spread, the_controller_counts_a_lost_spread) {
  memory_model_port store{one_deployment({"n1", "n2", "n1", "n2"}, {0, 1, 0, 1})};
  controller c{store, nullptr};
  c.on_node_up({"n1", 0, 10, "p1", 1, true}, {});
  c.on_node_up({"n2", 1, 10, "p2", 2, true}, {});
  c.on_node_down("n2");
  EXPECT_EQ(c.counters().fault_domain_spread_lost, 1u);
}

TEST(spread_restore, moves_one_upgrade_domain_back_to_the_returned_fd) {
  // After healing: every instance on n1 (FD 0); n2 (FD 1) is back.
  auto m = one_deployment({"n1", "n1", "n1", "n1", "n1", "n1"}, {0, 0, 0, 0, 0, 0});
  std::vector<model::node_capacity> live{{"n1", 0, 10, 0}, {"n2", 1, 10, 0}};
  auto moves = plan_spread_restore(m, live);
  // UD 0 holds Web_IN_0 and Web_IN_5 (UD i mod 5): both move, nothing else.
  ASSERT_EQ(moves.size(), 2u);
  std::set<std::string> names;
  for (auto& mv : moves) {
    names.insert(mv.ref.instance);
    EXPECT_EQ(mv.from_node, "n1");
    EXPECT_EQ(mv.to_node, "n2");
    EXPECT_EQ(mv.to_fault_domain, 1);
    EXPECT_EQ(mv.upgrade_domain, 0);
    EXPECT_EQ(mv.wire, "dep." + mv.ref.instance);
  }
  EXPECT_EQ(names, (std::set<std::string>{"Web_IN_0", "Web_IN_5"}));
  // Applied, the role spans two FDs and nothing more is planned.
  for (auto& mv : moves)
    ASSERT_TRUE(model::apply(m, model::place_instance{"svc", model::slot::production,
                                                      mv.ref.instance, mv.to_node,
                                                      mv.to_fault_domain})
                  .ok());
  EXPECT_EQ(fds_of(m).size(), 2u);
  EXPECT_TRUE(plan_spread_restore(m, live).empty());
}

TEST(spread_restore, nothing_without_room_in_another_fd_or_when_spread) {
  auto collapsed = one_deployment({"n1", "n1", "n1"}, {0, 0, 0});
  EXPECT_TRUE(plan_spread_restore(collapsed, {{"n1", 0, 10, 0}}).empty());
  EXPECT_TRUE(plan_spread_restore(collapsed, {{"n1", 0, 10, 0}, {"n2", 1, 0, 0}}).empty());
  EXPECT_TRUE(plan_spread_restore(collapsed, {{"n1", 0, 10, 0}, {"n9", 0, 10, 0}}).empty());
  auto spread = one_deployment({"n1", "n2", "n1"}, {0, 1, 0});
  EXPECT_TRUE(plan_spread_restore(spread, {{"n1", 0, 10, 0}, {"n2", 1, 10, 0}}).empty());
  auto single = one_deployment({"n1"}, {0});
  EXPECT_TRUE(plan_spread_restore(single, {{"n1", 0, 10, 0}, {"n2", 1, 10, 0}}).empty());
}

} // namespace
} // namespace fabric::coordinator
