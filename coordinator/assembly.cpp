#include "coordinator/assembly.hpp"

#include <caf/all.hpp>

#include "actors/bridge.hpp"
#include "coordinator/controller_actor.hpp"
#include "coordinator/image_catalog.hpp"
#include "protocol/messages.hpp"

namespace fabric::coordinator {

coordinator_actors spawn_coordinator_actors(caf::actor_system& sys,
                                            std::shared_ptr<controller> core,
                                            const image_catalog* images,
                                            std::shared_ptr<transport::transport> out,
                                            assembly_config config) {
  coordinator_actors a;
  a.controller = sys.spawn(controller_actor, std::move(core), out);
  config.membership.listener = a.controller;
  if (config.dedicated_threads) {
    a.image_server
      = sys.spawn<caf::detached>(image_server_actor, images, out, config.image_chunk_bytes);
    a.membership = sys.spawn<caf::detached>(membership_actor, config.membership, out);
  } else {
    a.image_server = sys.spawn(image_server_actor, images, out, config.image_chunk_bytes);
    a.membership = sys.spawn(membership_actor, config.membership, out);
  }
  return a;
}

void coordinator_actors::route(actors::transport_bridge& bridge) const {
  bridge.route(protocol::instance_report::type_id, controller);
  bridge.route(protocol::instance_command_result::type_id, controller);
  bridge.route(protocol::image_request::type_id, image_server);
  bridge.route_default(membership);
}

void coordinator_actors::stop() const {
  for (const auto& a : {membership, controller, image_server})
    if (a)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

} // namespace fabric::coordinator
