#pragma once

// A node's session with the coordinator, pure (no CAF, no clock): decides on
// each tick whether to (re-)register or to heartbeat, and reacts to the
// coordinator's answers.
//
// - Until a register_ack is accepted, a tick yields a node_register, at most
//   once per `register_retry` (the first tick always does).
// - Once registered, a tick yields a heartbeat (seq increasing, current epoch).
// - register_required for the current epoch drops the registration (the next
//   tick registers again); one for another epoch is ignored (it answers a
//   heartbeat that a newer registration superseded).
// - The lease: registered, the node may serve its instances until
//   missed_heartbeats x interval after the SEND time of the last acked
//   heartbeat (the registration's send time for the register_ack). The
//   coordinator declares the node down only strictly after that (it heard the
//   heartbeat no earlier than it was sent), so the node always stops first.
//   A late ack (e.g. one that waited in a socket while the process was
//   stopped) cannot extend the lease past what its heartbeat earned.
// - When the lease has run out while registered, the coordinator is presumed
//   lost and the node registers again (covers a coordinator restart, a
//   reconnect and a node that was paused).
// - The detection policy (interval and missed heartbeats) is the
//   coordinator's: each accepted register_ack carries it (missed heartbeats
//   since protocol 1.3; 0 keeps the node's own).
//
// Thread-safety: none (owned by the node actor).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <variant>
#include <vector>

#include "actors/failure_detector.hpp"
#include "protocol/messages.hpp"

namespace fabric::node {

using actors::steady_time;

struct node_identity {
  std::string name;
  uint32_t fault_domain = 0;
  std::string advertise_host;
  uint32_t capacity = 0;
  std::string agent_version;
};

using outbound = std::variant<protocol::node_register, protocol::heartbeat>;

class session {
public:
  /// `detector` configures how long the coordinator may stay silent until
  /// the first accepted register_ack replaces it with the coordinator's.
  session(node_identity id, actors::failure_detector_config detector);

  /// What to send now, if anything. `held` is what the node holds on disk
  /// (sent on registration); `instances` their live state (heartbeats).
  std::optional<outbound> on_tick(steady_time now,
                                  const std::vector<protocol::held_instance>& held,
                                  const std::vector<protocol::instance_status>& instances);

  using held_source = std::function<std::vector<protocol::held_instance>()>;
  using status_source = std::function<std::vector<protocol::instance_status>()>;

  /// Every how many heartbeats the full instance list goes out (anti-entropy).
  static constexpr uint64_t full_list_every = 20;

  /// Like on_tick, but calls `held` only when it registers, and `instances`
  /// only for the heartbeats that carry the full list: the first after each
  /// registration and every full_list_every-th after it. The others carry an
  /// empty list (cheap with thousands of instances; state changes travel as
  /// instance_report).
  std::optional<outbound> on_tick_lazy(steady_time now, const held_source& held,
                                       const status_source& instances);

  void on_register_ack(const protocol::register_ack& ack, steady_time now);
  void on_heartbeat_ack(const protocol::heartbeat_ack& ack, steady_time now);
  void on_register_required(const protocol::register_required& req);

  bool registered() const { return registered_; }
  /// The end of the lease (exclusive); meaningful while registered.
  steady_time lease_until() const { return lease_until_; }
  /// Registered and the lease has run out at `now` (the next tick
  /// registers again).
  bool lease_expired(steady_time now) const { return registered_ && now >= lease_until_; }
  const actors::failure_detector_config& detector() const { return detector_; }
  uint64_t epoch() const { return epoch_; }
  uint64_t registrations() const { return registrations_; }
  std::chrono::milliseconds heartbeat_interval() const { return detector_.heartbeat_interval; }
  /// Round-trip time of the last acked heartbeat, in microseconds.
  uint64_t last_rtt_us() const { return last_rtt_us_; }

private:
  node_identity id_;
  actors::failure_detector_config detector_;
  bool registered_ = false;
  uint64_t epoch_ = 0;
  uint64_t seq_ = 0;
  uint64_t registrations_ = 0;
  std::optional<steady_time> last_register_sent_;
  steady_time lease_until_{};
  uint64_t last_rtt_us_ = 0;
  uint64_t beats_since_registration_ = 0;
};

} // namespace fabric::node
