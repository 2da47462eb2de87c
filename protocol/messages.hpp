#pragma once

// The wire messages between fabric-coordinator and fabric-node.
//
// Every message is a plain struct with a stable `type_id` (never reused, see
// protocol/README.md) and is encoded as a msgpack *map* keyed by field name
// (MSGPACK_DEFINE_MAP), so that a newer minor version can add fields that an
// older peer ignores, and an older peer's message decodes here with the new
// fields at their defaults. Rules for changing a message:
// - never rename or remove a field, never change its type;
// - add new fields with a default value, and bump current_version.minor;
// - new enum values need a new minor version; a peer that gets an unknown
//   command kind answers with an error result instead of guessing.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <msgpack.hpp>

namespace fabric::protocol {

// -- nested values ----------------------------------------------------------

/// A local storage resource of an instance (a named, sized scratch disk).
struct local_resource {
  std::string name;
  uint64_t size_mb = 0;
  bool clean_on_role_recycle = false;
  MSGPACK_DEFINE_MAP(name, size_mb, clean_on_role_recycle)
};

/// An instance a node holds on disk, reported on registration.
struct held_instance {
  std::string instance_name;
  std::string deployment_name;
  std::string version;
  bool has_os_layer = false;
  std::vector<local_resource> local_resources;
  MSGPACK_DEFINE_MAP(instance_name, deployment_name, version, has_os_layer,
                     local_resources)
};

/// The live state of one instance as the node sees it.
struct instance_status {
  std::string instance_name;
  std::string state;     ///< a platform state name, e.g. "ReadyRole"
  std::string version;
  std::string endpoint;  ///< "host:port", empty when none
  MSGPACK_DEFINE_MAP(instance_name, state, version, endpoint)
};

/// An input endpoint of a role.
struct endpoint_spec {
  std::string name;
  std::string protocol;  ///< "http", "tcp", ...
  uint16_t port = 0;
  MSGPACK_DEFINE_MAP(name, protocol, port)
};

/// Everything a node needs to run one instance.
struct instance_spec {
  std::string name;        ///< instance name, e.g. "WebRole_IN_0"
  std::string role;
  std::string service;
  std::string deployment;
  std::string slot;        ///< "production" or "staging"
  std::string version;
  std::string image_digest;
  uint32_t upgrade_domain = 0;
  uint32_t fault_domain = 0;
  std::vector<local_resource> local_storage;
  std::vector<endpoint_spec> endpoints;
  std::map<std::string, std::string> settings;
  /// Simulated phase durations (e.g. "create_vm" -> 500).
  std::map<std::string, uint32_t> phase_durations_ms;
  /// since 1.3: the quota of the OS disk's layer in MB, from the role's VM
  /// size (model::os_disk_quota_mb); 0 (an older coordinator): none.
  uint64_t os_disk_mb = 0;
  MSGPACK_DEFINE_MAP(name, role, service, deployment, slot, version, image_digest,
                     upgrade_domain, fault_domain, local_storage, endpoints,
                     settings, phase_durations_ms, os_disk_mb)
};

/// What an instance_command asks for. Values are stable wire values: never
/// renumber, never reuse.
enum class command_kind : uint8_t {
  start = 0,
  stop = 1,
  reboot = 2,
  reimage = 3,
  rebuild = 4,
  upgrade = 5,
  remove = 6,  ///< "delete"
  migrate_in = 7,
  /// since 1.2: replace the spec of an instance the node runs (slot after a
  /// VIP swap, settings after a configuration change) without a restart;
  /// disks and state untouched. Same image digest only.
  update_spec = 8,
};

/// "start", "stop", ..., "delete", "migrate_in", "update_spec"; "unknown" otherwise.
const char* to_string(command_kind k);

} // namespace fabric::protocol

MSGPACK_ADD_ENUM(fabric::protocol::command_kind)

namespace fabric::protocol {

// -- messages ---------------------------------------------------------------

/// node -> coordinator: "here I am, and this is what I hold".
struct node_register {
  static constexpr uint16_t type_id = 1;
  std::string node_name;
  uint32_t fault_domain = 0;
  std::string advertise_host;
  uint32_t capacity = 0;  ///< max instances
  std::vector<held_instance> held_instances;
  std::string agent_version;  ///< since 1.1
  MSGPACK_DEFINE_MAP(node_name, fault_domain, advertise_host, capacity,
                     held_instances, agent_version)
};

/// coordinator -> node: answer to node_register.
struct register_ack {
  static constexpr uint16_t type_id = 2;
  bool accepted = false;
  std::string reason;  ///< why not, when !accepted
  uint64_t node_epoch = 0;
  uint32_t heartbeat_interval_ms = 0;
  /// since 1.3: the rest of the coordinator's detection policy. The node
  /// holds a lease of missed_heartbeats * interval from the send time of each
  /// acked heartbeat and fences itself when it runs out (node/README.md);
  /// 0 (a 1.2 coordinator): the node keeps its own --missed-heartbeats.
  uint32_t missed_heartbeats = 0;
  MSGPACK_DEFINE_MAP(accepted, reason, node_epoch, heartbeat_interval_ms, missed_heartbeats)
};

/// node -> coordinator, every heartbeat interval.
struct heartbeat {
  static constexpr uint16_t type_id = 3;
  std::string node_name;
  uint64_t epoch = 0;
  uint64_t seq = 0;
  uint64_t sent_at_us = 0;
  std::vector<instance_status> instances;
  /// since 1.3: `instances` is the node's full list (it may be empty); false:
  /// a lazy heartbeat whose list says nothing (a 1.2 node's non-empty list is
  /// always full).
  bool full_list = false;
  MSGPACK_DEFINE_MAP(node_name, epoch, seq, sent_at_us, instances, full_list)
};

/// coordinator -> node: answer to an accepted heartbeat.
struct heartbeat_ack {
  static constexpr uint16_t type_id = 4;
  uint64_t seq = 0;
  uint64_t sent_at_us = 0;  ///< echoed from the heartbeat
  MSGPACK_DEFINE_MAP(seq, sent_at_us)
};

/// coordinator -> node: "I do not know you (any more) under this epoch:
/// register again". A node ignores it when `epoch` is not its current epoch
/// (it answers a heartbeat that was already superseded).
struct register_required {
  static constexpr uint16_t type_id = 5;
  std::string node_name;
  uint64_t epoch = 0;  ///< the epoch of the heartbeat that was refused
  std::string reason;
  MSGPACK_DEFINE_MAP(node_name, epoch, reason)
};

/// coordinator -> node: do something to an instance.
struct instance_command {
  static constexpr uint16_t type_id = 6;
  uint64_t command_id = 0;
  command_kind kind = command_kind::start;
  instance_spec instance;
  bool reboot_degenerates = false;
  MSGPACK_DEFINE_MAP(command_id, kind, instance, reboot_degenerates)
};

/// node -> coordinator: the outcome of an instance_command.
struct instance_command_result {
  static constexpr uint16_t type_id = 7;
  uint64_t command_id = 0;
  bool ok = false;
  std::string error;
  MSGPACK_DEFINE_MAP(command_id, ok, error)
};

/// node -> coordinator: an instance changed state (between heartbeats).
struct instance_report {
  static constexpr uint16_t type_id = 8;
  std::string instance_name;
  std::string state;
  std::string version;
  std::string endpoint;
  MSGPACK_DEFINE_MAP(instance_name, state, version, endpoint)
};

/// node -> coordinator: send me the image with this digest.
struct image_request {
  static constexpr uint16_t type_id = 9;
  std::string digest;
  MSGPACK_DEFINE_MAP(digest)
};

/// coordinator -> node: one piece of an image.
struct image_chunk {
  static constexpr uint16_t type_id = 10;
  std::string digest;
  uint64_t offset = 0;
  std::vector<char> data;  ///< msgpack bin
  bool last = false;
  MSGPACK_DEFINE_MAP(digest, offset, data, last)
};

} // namespace fabric::protocol
