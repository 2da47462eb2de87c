#pragma once

// The instance manager: the node's `commands` actor. It owns one instance
// actor per instance (instance_actor.hpp), fetches missing base images from
// the coordinator before the commands that need them, and keeps the status
// board the heartbeats read.
//
//   node_actor ──request(instance_command)──► instance_manager
//                                               │ image missing? image_request ─► coordinator
//                                               │   (command queued; image_chunk*s arrive as
//                                               │    peer_message, fed to images::image_receiver,
//                                               │    digest verified, then the queue drains)
//                                               ▼
//                                         instance actor (one per instance, linked)
//                                               │ instance_command_result
//   node_actor ◄──────── reply ─────────────────┘
//
// Commands run in arrival order per instance: a command waits while an
// earlier one for the same instance waits for its image, or while a remove
// of that instance is under way (its actor destroys the disks first). Every command but
// stop and remove needs spec.image_digest in the store. A command that would
// add an instance past `capacity` is refused ("node full").
//
// Messages: protocol::instance_command (request) -> instance_command_result;
// actors::peer_message{image_chunk}; fence_msg (forwarded to every instance).
//
// Thread-safety: instance_board is thread-safe (the node actor reads it for
// heartbeats while instance actors update it).

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "images/image_store.hpp"
#include "node/instance_actor.hpp"
#include "protocol/messages.hpp"

namespace fabric::node {

/// The last reported state of every instance (for heartbeats).
class instance_board {
public:
  /// Records a report; state "" forgets the instance.
  void update(const protocol::instance_report& r);
  std::vector<protocol::instance_status> snapshot() const;
  std::size_t size() const;

private:
  mutable std::mutex mtx_;
  std::map<std::string, protocol::instance_status> states_;
};

/// What the node holds on disk (disk::list_instances), with deployment and
/// version from the saved specs when there are any; for node_register.
std::vector<protocol::held_instance> held_on_disk(const std::filesystem::path& data_dir);

struct instance_manager_config {
  std::shared_ptr<const instance_env> env;
  uint32_t capacity = 5000;
  /// Sends an image_request to the coordinator (thread-safe).
  std::function<void(const protocol::image_request&)> request_image;
  /// Bound on an image transfer (bytes; 0: none).
  uint64_t max_image_bytes = 0;
};

struct instance_manager_state {
  explicit instance_manager_state(caf::local_actor*) {}

  struct queued {
    protocol::instance_command cmd;
    caf::typed_response_promise<protocol::instance_command_result> rp;
  };
  struct fetch {
    std::optional<images::image_receiver> rx;
    std::string error; ///< set when the transfer failed
  };

  instance_manager_config config;
  std::map<std::string, caf::actor> instances;
  std::deque<queued> waiting;
  std::map<std::string, fetch> fetches; ///< by digest
  /// Instances whose remove is under way: their next commands wait for it.
  std::set<std::string> removing;
  bool fenced = false;
  uint64_t images_fetched = 0;
  static inline const char* name = "fabric.instance_manager";
};

/// Spawn with `sys.spawn(instance_manager, config)`.
caf::behavior instance_manager(caf::stateful_actor<instance_manager_state>* self,
                               instance_manager_config config);

} // namespace fabric::node
