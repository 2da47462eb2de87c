#pragma once

// The coordinator's membership table, pure (no CAF, no clock: `now` is an
// argument). Registers nodes, gives each registration a new epoch, accepts
// heartbeats of the current epoch only, and declares nodes down with the
// failure detector (actors/failure_detector.hpp).
//
// Rules:
// - a registration always succeeds for a non-empty name and starts a new
//   epoch (a restarted or returning node simply registers again); the epoch
//   is strictly greater than every epoch given before by this table;
// - a heartbeat is accepted only from a known node that is up and under its
//   current epoch; otherwise the caller answers register_required (a node
//   that was declared down must re-register; a stale-epoch heartbeat is
//   ignored for liveness);
// - check(now) declares down every up node whose last heartbeat (or
//   registration) is overdue.
//
// Thread-safety: none (owned by one actor).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actors/failure_detector.hpp"
#include "protocol/messages.hpp"
#include "protocol/version.hpp"

namespace fabric::coordinator {

using actors::steady_time;

enum class node_state { up, down };

const char* to_string(node_state s);

struct member {
  std::string name;
  uint32_t fault_domain = 0;
  std::string advertise_host;
  std::string peer;  ///< transport peer id of its last frame
  uint32_t capacity = 0;
  uint64_t epoch = 0;
  node_state state = node_state::up;
  steady_time last_heard{};
  steady_time declared_down_at{};  ///< when check() declared it down (state down)
  uint64_t last_seq = 0;
  protocol::protocol_version version;
  std::string agent_version;
  std::vector<protocol::held_instance> held;          ///< as registered
  /// As the last heartbeat with the full list said (a lazy heartbeat's empty
  /// list leaves it as it is).
  std::vector<protocol::instance_status> instances;
};

struct membership_counters {
  uint64_t registrations = 0;
  uint64_t registrations_refused = 0;
  uint64_t heartbeats_accepted = 0;
  uint64_t heartbeats_unknown_node = 0;
  uint64_t heartbeats_stale_epoch = 0;
  uint64_t heartbeats_while_down = 0;
  uint64_t nodes_declared_down = 0;
};

enum class heartbeat_verdict {
  accepted,
  unknown_node,  ///< never registered (or the coordinator restarted)
  stale_epoch,   ///< from an epoch that a newer registration replaced
  node_down,     ///< the node was declared down: it must register again
};

const char* to_string(heartbeat_verdict v);

class membership {
public:
  /// REQUIRES: first_epoch >= 1.
  explicit membership(actors::failure_detector_config detector, uint64_t first_epoch = 1);

  /// Registers (or re-registers) a node; the ack carries its new epoch and
  /// the detector's whole policy (interval and missed heartbeats), which the
  /// node adopts for its lease.
  protocol::register_ack on_register(const protocol::node_register& reg,
                                     const std::string& peer,
                                     protocol::protocol_version version, steady_time now);

  heartbeat_verdict on_heartbeat(const protocol::heartbeat& hb, const std::string& peer,
                                 steady_time now);

  /// Declares overdue nodes down; returns their names (in name order).
  std::vector<std::string> check(steady_time now);

  const std::map<std::string, member>& members() const { return members_; }
  const membership_counters& counters() const { return counters_; }
  const actors::failure_detector_config& detector() const { return detector_; }

private:
  actors::failure_detector_config detector_;
  uint64_t next_epoch_;
  std::map<std::string, member> members_;
  membership_counters counters_;
};

} // namespace fabric::coordinator
