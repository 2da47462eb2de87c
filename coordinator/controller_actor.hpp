#pragma once

// The controller actor: the thin CAF shell around `controller` (the only
// writer of the model). After every message it sends the commands the
// controller queued through the transport.
//
// Interface (messages it handles):
//   node_up_event / node_down_event / node_status_event  (membership actor)
//   peer_message{instance_report}            -> observed state
//   peer_message{instance_command_result}    -> operation progress
//   api_call                                 -> replies api_result (the
//                                               closure runs on the actor,
//                                               so it may read and change the
//                                               controller)
//   controller_tick                          -> controller::on_tick(now), now
//                                               from the actor clock
//                                               (self->clock(): CAF's test
//                                               clock in actor tests): once
//                                               after a burst of reports,
//                                               node events or an API call
//                                               (coalesced; behind messages
//                                               still queued), and at
//                                               the upgrade engine's next
//                                               deadline (one timer, re-armed
//                                               when the deadline moves
//                                               earlier; no polling)
//
// The image server actor (spawn detached: it reads files) answers
// peer_message{image_request} with image_chunk frames (~1 MiB, in order,
// `last` on the final one; an unknown digest gets one empty chunk with
// last=true so the node fails fast instead of waiting).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/peer_message.hpp"
#include "coordinator/api_json.hpp"  // api_result
#include "coordinator/controller.hpp"
#include "coordinator/node_events.hpp"
#include "transport/transport.hpp"

namespace fabric::coordinator {

class image_catalog;

/// A call from the API, run on the controller actor.
struct api_call {
  std::function<api_result(controller&)> run;
};

/// Runs controller::on_tick. A timer's tick carries the deadline it was
/// armed for; an immediate one (after reports and calls) carries none.
struct controller_tick {
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

struct controller_actor_state {
  explicit controller_actor_state(caf::local_actor*) {}
  std::shared_ptr<controller> core;
  std::shared_ptr<transport::transport> out;
  bool tick_queued = false;  ///< an immediate tick is in the mailbox
  int deferred = 0;          ///< times it went behind queued messages in a row
  /// The deadline of the earliest timer tick pending (empty: none).
  std::optional<std::chrono::steady_clock::time_point> armed;
  uint64_t ticks = 0;  ///< on_tick calls (tests, benchmarks)
  static inline const char* name = "fabric.controller";
};

/// Self-sent once, config().unseen_node_grace after spawn: nodes the model
/// names that never registered since are treated as down.
struct unseen_nodes_check {};

/// Self-sent every config().command_retry / 2: resend_unanswered.
struct resend_check {};

/// Self-sent every second: when the allocator holds more than 4 MB of freed
/// heap, hands it back to the OS (glibc malloc_trim). A 10,000-instance deploy
/// or a GET of a 10,000-instance deployment has transient peaks of tens of MB
/// spread over several glibc arenas, which would otherwise stay resident.
struct memory_trim_check {};

/// Self-sent every controller::liveness_interval(): controller::on_liveness
/// (stall detection, heal deadlines).
struct liveness_check {};

/// Spawn with `sys.spawn(controller_actor, core, transport)`.
/// REQUIRES: `core` and `out` non-null.
caf::behavior controller_actor(caf::stateful_actor<controller_actor_state>* self,
                               std::shared_ptr<controller> core,
                               std::shared_ptr<transport::transport> out);

/// Spawn with `sys.spawn<caf::detached>(image_server_actor, catalog, transport)`.
/// REQUIRES: `catalog` outlives the actor.
caf::behavior image_server_actor(caf::event_based_actor* self, const image_catalog* catalog,
                                 std::shared_ptr<transport::transport> out,
                                 std::size_t chunk_bytes);

} // namespace fabric::coordinator

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::api_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::api_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::controller_tick)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::unseen_nodes_check)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::resend_check)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::memory_trim_check)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::liveness_check)
