#pragma once

// The membership actor: owns the membership table (membership.hpp), answers
// node_register and heartbeat frames, runs the failure detector on a timer.
//
// Interface (messages it handles):
//   peer_message{node_register}  -> sends register_ack to the peer
//   peer_message{heartbeat}      -> sends heartbeat_ack, or register_required
//                                   when the heartbeat is not accepted
//   peer_message{other}          -> counted as unhandled and dropped
//   check_atom                   -> runs the failure detector (self-scheduled
//                                   every heartbeat interval)
//   snapshot_atom                -> replies membership_snapshot
// With a `listener` (the controller), it also sends node_events.hpp's
// node_up_event (accepted registration), node_down_event (declared down) and
// node_status_event (a heartbeat with a non-empty instance list).
// Time is read from the actor system's clock, so CAF's test coordinator
// drives it deterministically (advance_time()).

#include <cstdint>
#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/peer_message.hpp"
#include "coordinator/membership.hpp"
#include "coordinator/node_events.hpp"
#include "transport/transport.hpp"

namespace fabric::coordinator {

struct membership_snapshot {
  std::vector<member> members;
  membership_counters counters;
  uint64_t unhandled_messages = 0;
  steady_time taken_at{};
  actors::failure_detector_config detector;
};

/// Watches the membership for metrics (coordinator/metrics_bridge.hpp).
/// Called on the membership actor after each check; keep it cheap.
class membership_observer {
public:
  virtual ~membership_observer() = default;
  /// A failure-detector check ran at `now` and declared `declared_down` down.
  virtual void checked(const membership& table, const std::vector<std::string>& declared_down,
                       steady_time now) = 0;
};

struct membership_actor_config {
  actors::failure_detector_config detector;
  uint64_t first_epoch = 1;
  caf::actor listener;  ///< may be invalid
  std::shared_ptr<membership_observer> observer;  ///< may be null
};

struct membership_actor_state {
  explicit membership_actor_state(caf::local_actor*) : table({}) {}
  membership table;
  std::shared_ptr<transport::transport> out;
  uint64_t unhandled = 0;
  caf::actor listener;
  std::shared_ptr<membership_observer> observer;
  static inline const char* name = "fabric.membership";
};

/// Spawn with `sys.spawn(membership_actor, config, transport)`.
/// REQUIRES: `out` is the transport the bridge reads frames from.
caf::behavior membership_actor(caf::stateful_actor<membership_actor_state>* self,
                               membership_actor_config config,
                               std::shared_ptr<transport::transport> out);

} // namespace fabric::coordinator

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::membership_snapshot)
