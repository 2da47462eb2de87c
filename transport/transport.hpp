#pragma once

// The one I/O seam between the processes: frames (opaque bytes, see
// protocol/codec.hpp) sent to and received from peers named by a peer_id.
//
// - At the coordinator, a peer_id names a connected node (for ZeroMQ: the
//   ROUTER routing id of its DEALER), learnt from received frames.
// - At a node, the only peer is the coordinator; its peer_id is ignored by
//   send() and is empty in received frames.
//
// Thread-safety of every implementation: send() may be called from any thread;
// receive() must be called from one thread at a time (the "owner", usually the
// bridge thread, see actors/bridge.hpp).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fabric::transport {

using peer_id = std::string;

struct inbound_frame {
  peer_id from;
  std::string bytes;
};

/// Counters every implementation keeps.
struct transport_stats {
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t send_failures = 0;  ///< unknown peer, peer gone, or queue full
};

class transport {
public:
  virtual ~transport() = default;

  /// Queues one frame for `to`. Never blocks; a frame that cannot be
  /// delivered is dropped and counted in stats().send_failures.
  virtual void send(const peer_id& to, std::string bytes) = 0;

  /// Waits up to `timeout` for a frame; empty on timeout. Also flushes frames
  /// queued by send().
  virtual std::optional<inbound_frame> receive(std::chrono::milliseconds timeout) = 0;

  virtual transport_stats stats() const = 0;
};

} // namespace fabric::transport
