#pragma once

// The protocol version carried by every envelope.
//
// Rules (see protocol/README.md):
// - a *minor* bump may only add optional fields to existing messages or add new
//   message types; an older peer ignores fields it does not know, and a newer
//   peer decodes an older peer's message with the new fields at their defaults;
// - a *major* bump is a breaking change: peers with a different major version
//   are refused.

#include <cstdint>
#include <string>

namespace fabric::protocol {

struct protocol_version {
  uint16_t major = 0;
  uint16_t minor = 0;

  std::string to_string() const {
    return std::to_string(major) + "." + std::to_string(minor);
  }
};

inline bool operator==(protocol_version a, protocol_version b) {
  return a.major == b.major && a.minor == b.minor;
}
inline bool operator!=(protocol_version a, protocol_version b) { return !(a == b); }

/// The version this build speaks.
/// 1.0: initial message set.
/// 1.1: node_register gained `agent_version`.
/// 1.2: command_kind::update_spec.
/// 1.3: register_ack.missed_heartbeats (the whole detection policy),
///      heartbeat.full_list.
/// 1.3: instance_spec gained `os_disk_mb`.
constexpr protocol_version current_version{1, 3};

/// True when a frame of version `v` can be understood by this build (same major).
constexpr bool is_compatible(protocol_version v) {
  return v.major == current_version.major;
}

} // namespace fabric::protocol
