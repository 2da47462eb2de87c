#pragma once

// The coordinator's actors, assembled in one place: the controller actor
// (around a `controller`), the image server and the membership actor, and the
// routes that bring the nodes' frames to them. fabric-coordinator
// (coordinator/main.cpp: ZeroMQ, real threads) and the simulation tier
// (sim/cluster.cpp: in-memory transport, CAF's deterministic scheduler) both
// call it, so the two wire the same actors the same way; they pass in what
// differs (the transport, the membership settings, the threading).
//
//   nodes ──frames──► transport_bridge ──route()──┬─ instance_report,
//                                                 │  instance_command_result ─► controller
//                                                 ├─ image_request ───────────► image server
//                                                 └─ everything else
//                                                    (register, heartbeat…) ─► membership
//   membership ──node_up / node_down / node_status──► controller (its listener)
//   every actor sends to the nodes through `out`.
//
// Not here (process-specific): the API server and SM facade (main.cpp), the
// metrics refresher (main.cpp), the node agents (sim).

#include <cstddef>
#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "coordinator/controller.hpp"
#include "coordinator/membership_actor.hpp"
#include "transport/transport.hpp"

namespace fabric::actors {
class transport_bridge;
}

namespace fabric::coordinator {

class image_catalog;

struct assembly_config {
  /// Failure detector, first epoch, observer. `listener` is overwritten:
  /// the membership actor always reports to the controller actor.
  membership_actor_config membership;
  /// Largest image_chunk the image server sends.
  std::size_t image_chunk_bytes = std::size_t{1} << 20;
  /// True: the membership actor and the image server are detached (their own
  /// threads), so heartbeats and failure detection never wait behind the
  /// controller and image reads do not block the scheduler. False: every
  /// actor runs on the scheduler (required by CAF's test scheduler, where a
  /// detached actor would escape the deterministic run).
  bool dedicated_threads = true;
};

/// The spawned actors. Handles only: the actors live until stop().
struct coordinator_actors {
  caf::actor controller;
  caf::actor membership;
  caf::actor image_server;

  /// Routes the node traffic of `bridge` to these actors (see above).
  /// REQUIRES: the bridge is not started yet.
  void route(actors::transport_bridge& bridge) const;
  /// Sends exit(user_shutdown) to each actor (the caller then awaits them).
  void stop() const;
};

/// Spawns the controller actor around `core`, the image server over
/// `images` and the membership actor, all sending through `out`.
/// REQUIRES: `core` and `out` non-null; `images` outlives the actors.
coordinator_actors spawn_coordinator_actors(caf::actor_system& sys,
                                            std::shared_ptr<controller> core,
                                            const image_catalog* images,
                                            std::shared_ptr<transport::transport> out,
                                            assembly_config config);

} // namespace fabric::coordinator
