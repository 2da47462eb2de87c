#pragma once

// What the bridge hands to actors: one decoded wire message and who sent it.
// Also the CAF atoms shared by the fabric actors.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/type_id.hpp>

#include "protocol/codec.hpp"
#include "transport/transport.hpp"

namespace fabric::actors {

struct peer_message {
  transport::peer_id peer;  ///< where a reply goes (empty at a node: the coordinator)
  protocol::protocol_version version;
  uint64_t correlation_id = 0;
  protocol::any_message message;
};

} // namespace fabric::actors

// In-process only (never serialized by CAF): no inspect() needed.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::actors::peer_message)

// Atoms of the fabric actors (at most 10 characters; names must not clash
// with CAF's predefined tick_atom, get_atom, ...). Use as fabric::beat_atom_v.
CAF_BEGIN_TYPE_ID_BLOCK(fabric, caf::first_custom_type_id)
  CAF_ADD_ATOM(fabric, fabric, beat_atom, "beat")          // node: send the next heartbeat
  CAF_ADD_ATOM(fabric, fabric, check_atom, "check")        // coordinator: run the failure detector
  CAF_ADD_ATOM(fabric, fabric, snapshot_atom, "snapshot")  // ask an actor for a view of its state
CAF_END_TYPE_ID_BLOCK(fabric)
