#include "coordinator/membership.hpp"

namespace fabric::coordinator {

const char* to_string(node_state s) { return s == node_state::up ? "up" : "down"; }

const char* to_string(heartbeat_verdict v) {
  switch (v) {
    case heartbeat_verdict::accepted: return "accepted";
    case heartbeat_verdict::unknown_node: return "unknown node";
    case heartbeat_verdict::stale_epoch: return "stale epoch";
    case heartbeat_verdict::node_down: return "node declared down";
  }
  return "?";
}

membership::membership(actors::failure_detector_config detector, uint64_t first_epoch)
  : detector_(detector), next_epoch_(first_epoch) {}

protocol::register_ack membership::on_register(const protocol::node_register& reg,
                                               const std::string& peer,
                                               protocol::protocol_version version,
                                               steady_time now) {
  protocol::register_ack ack;
  ack.heartbeat_interval_ms = static_cast<uint32_t>(detector_.heartbeat_interval.count());
  ack.missed_heartbeats = static_cast<uint32_t>(detector_.missed_heartbeats);
  if (reg.node_name.empty()) {
    ++counters_.registrations_refused;
    ack.accepted = false;
    ack.reason = "node_register without a node name";
    return ack;
  }
  auto& m = members_[reg.node_name];
  m.name = reg.node_name;
  m.fault_domain = reg.fault_domain;
  m.advertise_host = reg.advertise_host;
  m.peer = peer;
  m.capacity = reg.capacity;
  m.epoch = next_epoch_++;
  m.state = node_state::up;
  m.last_heard = now;
  m.last_seq = 0;
  m.version = version;
  m.agent_version = reg.agent_version;
  m.held = reg.held_instances;
  m.instances.clear();
  ++counters_.registrations;
  ack.accepted = true;
  ack.node_epoch = m.epoch;
  return ack;
}

heartbeat_verdict membership::on_heartbeat(const protocol::heartbeat& hb,
                                           const std::string& peer, steady_time now) {
  auto i = members_.find(hb.node_name);
  if (i == members_.end()) {
    ++counters_.heartbeats_unknown_node;
    return heartbeat_verdict::unknown_node;
  }
  auto& m = i->second;
  if (hb.epoch != m.epoch) {
    ++counters_.heartbeats_stale_epoch;
    return heartbeat_verdict::stale_epoch;
  }
  if (m.state == node_state::down) {
    ++counters_.heartbeats_while_down;
    return heartbeat_verdict::node_down;
  }
  m.last_heard = now;
  m.last_seq = hb.seq;
  m.peer = peer;
  // A lazy heartbeat's empty list says nothing: only a full list (flagged, or
  // any non-empty list, which a 1.2 node sends only as the full one) replaces
  // what the table knows.
  if (hb.full_list || !hb.instances.empty())
    m.instances = hb.instances;
  ++counters_.heartbeats_accepted;
  return heartbeat_verdict::accepted;
}

std::vector<std::string> membership::check(steady_time now) {
  std::vector<std::string> out;
  for (auto& [name, m] : members_)
    if (m.state == node_state::up && actors::is_overdue(m.last_heard, now, detector_)) {
      m.state = node_state::down;
      m.declared_down_at = now;
      ++counters_.nodes_declared_down;
      out.push_back(name);
    }
  return out;
}

} // namespace fabric::coordinator
