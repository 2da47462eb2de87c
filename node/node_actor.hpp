#pragma once

// The node actor: keeps the node's session with the coordinator (session.hpp)
// and receives instance commands.
//
// Interface (messages it handles):
//   beat_atom                         -> on_tick: sends node_register or a
//                                        heartbeat (self-scheduled every
//                                        heartbeat interval)
//   peer_message{register_ack, heartbeat_ack, register_required}
//                                     -> updates the session
//   peer_message{instance_command}    -> EXTENSION POINT: forwarded as a
//                                        request to `commands` (which replies
//                                        an instance_command_result); without
//                                        it, answers "not implemented". While
//                                        fenced: start / migrate_in / remove
//                                        dropped (resent by the coordinator,
//                                        repeated by reconcile), others
//                                        refused
//   snapshot_atom                     -> replies node_snapshot
//   fence_check                       -> (self-sent for the end of the lease
//                                        after each ack) fences when the
//                                        lease has run out
//
// `held` is asked only when registering; `instances` only for heartbeats that
// carry the full list (the first after registration and every 20th; the
// others carry an empty list, see session::on_tick_lazy).
//
// Fencing (runtime contract): when the lease has run out (session.hpp: k*H
// from the send time of the last acked heartbeat, k and H from the
// coordinator's register_ack), or the coordinator answers register_required
// for the current epoch, `on_fence(true)` is called once (the instances stop
// serving) and `serving_lease` is revoked; after the next accepted
// registration whose lease is still running, `on_fence(false)`. Every
// message first checks the lease against the clock, so after a SIGSTOP /
// SIGCONT the node fences before it handles anything else (a heartbeat_ack
// that waited in the socket does not renew it); the instances' HTTP handlers
// check `serving_lease` themselves (node/lease.hpp), from the first request.

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/peer_message.hpp"
#include "node/lease.hpp"
#include "node/session.hpp"
#include "transport/transport.hpp"

namespace fabric::node {

struct node_actor_config {
  node_identity identity;
  actors::failure_detector_config detector;
  /// What the node holds on disk (reported on registration).
  std::function<std::vector<protocol::held_instance>()> held;
  /// Live instance states (reported in heartbeats).
  std::function<std::vector<protocol::instance_status>()> instances;
  /// Handles instance_command (request -> instance_command_result); may be
  /// invalid.
  caf::actor commands;
  /// Called with true when the node fences itself, false when it is back.
  std::function<void(bool fenced)> on_fence;
  /// Renewed with the session's lease while the node is not fenced, revoked
  /// when it fences; the instances' HTTP handlers check it. May be null.
  std::shared_ptr<lease> serving_lease;
  /// Called with the round-trip time of each acked heartbeat (metrics); may
  /// be null.
  std::function<void(std::chrono::microseconds rtt)> on_heartbeat_rtt;
};

/// Self-sent for the end of the lease after an ack; `acks` is the ack count
/// when it was sent.
struct fence_check {
  uint64_t acks = 0;
};

struct node_snapshot {
  bool registered = false;
  uint64_t epoch = 0;
  uint64_t registrations = 0;
  uint64_t last_rtt_us = 0;
  uint64_t commands_refused = 0;
  bool fenced = false;
};

struct node_actor_state {
  explicit node_actor_state(caf::local_actor*) : sess({}, {}) {}
  session sess;
  node_actor_config config;
  std::shared_ptr<transport::transport> out;
  uint64_t commands_refused = 0;
  uint64_t acks = 0;
  bool fenced = false;
  static inline const char* name = "fabric.node";
};

/// Spawn with `sys.spawn(node_actor, config, transport)`; it registers at once.
caf::behavior node_actor(caf::stateful_actor<node_actor_state>* self, node_actor_config config,
                         std::shared_ptr<transport::transport> out);

} // namespace fabric::node

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::node::node_snapshot)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::node::fence_check)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::protocol::instance_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::protocol::instance_command_result)
