#pragma once

// What the membership actor tells the controller about nodes (process-local
// CAF messages, never serialized).
//   node_up_event     a node registered (first time, after a restart, or
//                     after it was declared down), with what it holds
//   node_down_event   the failure detector declared a node down
//   node_status_event a heartbeat carried instance states (non-empty list)

#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>

#include "protocol/messages.hpp"

namespace fabric::coordinator {

struct node_up_event {
  std::string name;
  int fault_domain = 0;
  int capacity = 0;
  std::string peer;
  uint64_t epoch = 0;
  std::vector<protocol::held_instance> held;
};

struct node_down_event {
  std::string name;
};

struct node_status_event {
  std::string name;
  std::vector<protocol::instance_status> instances;
};

} // namespace fabric::coordinator

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::node_up_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::node_down_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::coordinator::node_status_event)
