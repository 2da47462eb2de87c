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
// - When no ack (register or heartbeat) has been heard for the failure
//   detector's timeout while registered, the coordinator is presumed lost and
//   the node registers again (covers a coordinator restart and a reconnect).
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
  /// `detector` configures how long the coordinator may stay silent; its
  /// interval is replaced by the one in each accepted register_ack.
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
  steady_time last_ack_{};
  uint64_t last_rtt_us_ = 0;
  uint64_t beats_since_registration_ = 0;
};

} // namespace fabric::node
