#pragma once

// A deployment of a fixed *shape* and any size, for the monitoring tests and
// the sample exposition printed for promtool.
//
// Hosted service "shop", production slot, roles "web" and "worker" with
// `per_role` instances each, 5 upgrade domains (i mod 5), 3 fault domains
// (i mod 3). An Auto upgrade 1.0 -> 2.0 is in flight: UDs 0 and 1 are walked
// (version 2.0, ReadyRole), UD 2 is During (version 2.0, StartingRole), UDs 3
// and 4 are Before (version 1.0, ReadyRole, BusyRole when i mod 7 == 0).
//
// Shape, per role: 6 (UD, FD, state) cells in UDs 0-1, 3 in UD 2, 12 in UDs
// 3-4 = 21 cells, all present once per_role >= 105 (i mod 105 covers every
// combination of i mod 5, i mod 3 and i mod 7).

#include <string>

#include "model/deployment.hpp"
#include "monitoring/metrics.hpp"

namespace fabric::test {

inline model::deployment sample_deployment(int per_role) {
  model::deployment d;
  d.name = "shop-prod";
  d.in_slot = model::slot::production;
  d.version = "1.0";
  d.definition.name = "shop";
  d.definition.upgrade_domain_count = 5;
  for (std::string role : {"web", "worker"}) {
    model::role_definition rd;
    rd.name = role;
    d.definition.roles.push_back(rd);
    model::role_configuration rc;
    rc.name = role;
    rc.instance_count = per_role;
    d.configuration.roles.push_back(rc);
    for (int i = 0; i < per_role; ++i) {
      model::instance in;
      in.role = role;
      in.index = i;
      in.name = role + "_IN_" + std::to_string(i);
      in.upgrade_domain = i % 5;
      in.fault_domain = i % 3;
      in.node = "node-" + std::to_string(in.fault_domain);
      if (in.upgrade_domain < 2) {
        in.version = "2.0";
        in.state = model::instance_state::ready_role;
      } else if (in.upgrade_domain == 2) {
        in.version = "2.0";
        in.state = model::instance_state::starting_role;
      } else {
        in.version = "1.0";
        in.state = i % 7 == 0 ? model::instance_state::busy_role : model::instance_state::ready_role;
      }
      d.instances.push_back(in);
    }
  }
  model::upgrade_status up;
  up.mode = model::upgrade_mode::automatic;
  up.current_upgrade_domain = 2;
  up.current_state = model::upgrade_domain_state::during;
  up.walked = {0, 1};
  up.order = {0, 1, 2, 3, 4};
  up.from_version = "1.0";
  up.target_version = "2.0";
  d.upgrade = up;
  return d;
}

inline model::fabric_model sample_model(int per_role) {
  model::fabric_model m;
  auto& hs = m.services["shop"];
  hs.name = "shop";
  hs.production = sample_deployment(per_role);
  return m;
}

/// Gives every family of both processes at least one series.
inline void fill_sample(monitoring::coordinator_metrics& c, monitoring::node_metrics& n) {
  using monitoring::wire_direction;
  c.export_model(sample_model(120));
  c.set_node_counts({{0, "up", 1}, {1, "up", 1}, {2, "down", 1}});
  c.record_heartbeat_rtt(1, 0.003);
  c.heartbeat_missed(2);
  c.node_down_detected(2, 4.5);
  c.instance_replaced(2);
  c.operation_finished("upgrade", "succeeded", 95.0);
  c.walk_finished("Auto", 610.0);
  c.journal_write(true, 0.0004);
  c.wire_message(wire_direction::in, "heartbeat");
  c.wire_message(wire_direction::out, "heartbeat_ack");
  c.frame_dropped("bad_envelope");
  n.record_heartbeat_rtt(0.002);
  n.set_disk_usage(1 << 20, 3 << 20, 8 << 20);
}

/// Also the opt-in per-instance family (two instances).
inline void fill_sample(monitoring::coordinator_metrics& c, monitoring::node_metrics& n,
                        monitoring::per_instance_metrics& p) {
  fill_sample(c, n);
  p.set_instances({{"shop", "production", "Web", "Web_IN_0", 0, 0, "rack-0", "ReadyRole"},
                   {"shop", "production", "Web", "Web_IN_1", 1, 1, "rack-1", "StartingRole"}});
}

} // namespace fabric::test
