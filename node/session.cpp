#include "node/session.hpp"

#include <algorithm>

namespace fabric::node {

namespace {
uint64_t to_us(steady_time t) {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}
steady_time from_us(uint64_t us) {
  return steady_time(std::chrono::duration_cast<steady_time::duration>(
    std::chrono::microseconds(static_cast<int64_t>(us))));
}
} // namespace

session::session(node_identity id, actors::failure_detector_config detector)
  : id_(std::move(id)), detector_(detector) {}

std::optional<outbound> session::on_tick(steady_time now,
                                         const std::vector<protocol::held_instance>& held,
                                         const std::vector<protocol::instance_status>& instances) {
  auto out = on_tick_lazy(now, [&] { return held; }, {});
  if (out)
    if (auto* hb = std::get_if<protocol::heartbeat>(&*out)) {
      hb->instances = instances;
      hb->full_list = true;
    }
  return out;
}

std::optional<outbound> session::on_tick_lazy(steady_time now, const held_source& held,
                                              const status_source& instances) {
  if (lease_expired(now)) {
    registered_ = false;  // the coordinator went silent: presume it lost us
    last_register_sent_.reset();
  }
  if (!registered_) {
    if (last_register_sent_ && now - *last_register_sent_ < detection_timeout(detector_))
      return std::nullopt;
    last_register_sent_ = now;
    protocol::node_register reg;
    reg.node_name = id_.name;
    reg.fault_domain = id_.fault_domain;
    reg.advertise_host = id_.advertise_host;
    reg.capacity = id_.capacity;
    if (held)
      reg.held_instances = held();
    reg.agent_version = id_.agent_version;
    return outbound{std::move(reg)};
  }
  protocol::heartbeat hb{id_.name, epoch_, ++seq_, to_us(now), {}};
  if (beats_since_registration_++ % full_list_every == 0 && instances) {
    hb.instances = instances();
    hb.full_list = true;
  }
  return outbound{std::move(hb)};
}

void session::on_register_ack(const protocol::register_ack& ack, steady_time now) {
  // Epochs only grow: an older ack arriving late changes nothing.
  if (!ack.accepted || ack.node_epoch <= epoch_)
    return;
  registered_ = true;
  epoch_ = ack.node_epoch;
  ++registrations_;
  beats_since_registration_ = 0;
  if (ack.heartbeat_interval_ms > 0)
    detector_.heartbeat_interval = std::chrono::milliseconds(ack.heartbeat_interval_ms);
  if (ack.missed_heartbeats > 0)
    detector_.missed_heartbeats = static_cast<int>(std::min<uint32_t>(ack.missed_heartbeats, 1000));
  // The registration was heard no earlier than it was sent.
  auto sent = last_register_sent_ && *last_register_sent_ <= now ? *last_register_sent_ : now;
  lease_until_ = sent + detection_timeout(detector_);
}

void session::on_heartbeat_ack(const protocol::heartbeat_ack& ack, steady_time now) {
  if (!registered_)
    return;
  // The lease runs from the heartbeat's send time (echoed), never from now:
  // an ack that waited (in a socket of a stopped process) earns nothing new.
  auto sent = std::min(from_us(ack.sent_at_us), now);
  lease_until_ = std::max(lease_until_, sent + detection_timeout(detector_));
  auto now_us = to_us(now);
  last_rtt_us_ = now_us >= ack.sent_at_us ? now_us - ack.sent_at_us : 0;
}

void session::on_register_required(const protocol::register_required& req) {
  if (registered_ && req.epoch != epoch_)
    return;
  registered_ = false;
  last_register_sent_.reset();
}

} // namespace fabric::node
