#include "coordinator/membership_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace fabric::coordinator {

namespace {

using self_ptr = caf::stateful_actor<membership_actor_state>*;

void on_register(self_ptr self, const actors::peer_message& in,
                 const protocol::node_register& reg) {
  auto& st = self->state;
  auto ack = st.table.on_register(reg, in.peer, in.version, self->clock().now());
  if (ack.accepted)
    spdlog::info("node {} (fault domain {}) registered, epoch {}, protocol {}", reg.node_name,
                 reg.fault_domain, ack.node_epoch, in.version.to_string());
  else
    spdlog::warn("registration refused: {}", ack.reason);
  st.out->send(in.peer, protocol::encode(ack, in.correlation_id));
  if (ack.accepted && st.listener)
    self->send(st.listener, node_up_event{reg.node_name, static_cast<int>(reg.fault_domain),
                                          static_cast<int>(reg.capacity), in.peer,
                                          ack.node_epoch, reg.held_instances});
}

void on_heartbeat(self_ptr self, const actors::peer_message& in, const protocol::heartbeat& hb) {
  auto& st = self->state;
  auto verdict = st.table.on_heartbeat(hb, in.peer, self->clock().now());
  if (verdict == heartbeat_verdict::accepted) {
    st.out->send(in.peer, protocol::encode(protocol::heartbeat_ack{hb.seq, hb.sent_at_us},
                                           in.correlation_id));
    if (st.listener && !hb.instances.empty())
      self->send(st.listener, node_status_event{hb.node_name, hb.instances});
    return;
  }
  protocol::register_required req{hb.node_name, hb.epoch, to_string(verdict)};
  st.out->send(in.peer, protocol::encode(req, in.correlation_id));
}

} // namespace

caf::behavior membership_actor(self_ptr self, membership_actor_config config,
                               std::shared_ptr<transport::transport> out) {
  self->state.table = membership(config.detector, config.first_epoch);
  self->state.out = std::move(out);
  self->state.listener = config.listener;
  self->state.observer = config.observer;
  auto interval = config.detector.heartbeat_interval;
  self->delayed_send(self, interval, fabric::check_atom_v);
  return {
    [=](const actors::peer_message& in) {
      if (auto* reg = std::get_if<protocol::node_register>(&in.message))
        on_register(self, in, *reg);
      else if (auto* hb = std::get_if<protocol::heartbeat>(&in.message))
        on_heartbeat(self, in, *hb);
      else
        ++self->state.unhandled;
    },
    [=](fabric::check_atom) {
      auto now = self->clock().now();
      auto down = self->state.table.check(now);
      if (self->state.observer)
        self->state.observer->checked(self->state.table, down, now);
      for (auto& name : down) {
        spdlog::warn("node {} declared down: no heartbeat for {} ms", name,
                     actors::detection_timeout(self->state.table.detector()).count());
        if (self->state.listener)
          self->send(self->state.listener, node_down_event{name});
      }
      self->delayed_send(self, interval, fabric::check_atom_v);
    },
    [=](fabric::snapshot_atom) {
      auto& st = self->state;
      membership_snapshot snap;
      for (auto& [name, m] : st.table.members())
        snap.members.push_back(m);
      snap.counters = st.table.counters();
      snap.unhandled_messages = st.unhandled;
      snap.taken_at = self->clock().now();
      snap.detector = st.table.detector();
      return snap;
    },
  };
}

} // namespace fabric::coordinator
