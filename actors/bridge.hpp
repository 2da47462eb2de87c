#pragma once

// The bridge between a transport and the actor system: one thread owns the
// transport's receive side, polls it with a timeout, decodes each frame and
// forwards it as a peer_message to the actor routed for its message type
// (caf::anon_send). Frames that do not decode are counted and dropped.
//
// Outgoing frames do not pass through the bridge: actors call
// transport::send() directly (thread-safe; the ZeroMQ transport hands them to
// the owner thread through its inproc pair, within the same poll).
//
// Thread-safety: route()/route_default() before start(); counters() from any
// thread; start()/stop() from one thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <thread>

#include <caf/actor.hpp>

#include "actors/peer_message.hpp"
#include "protocol/codec.hpp"
#include "transport/transport.hpp"

namespace fabric::actors {

struct bridge_counters {
  uint64_t frames_in = 0;
  uint64_t forwarded = 0;
  uint64_t malformed = 0;
  uint64_t oversized = 0;
  uint64_t unknown_type = 0;
  uint64_t unsupported_version = 0;
  uint64_t unrouted = 0;  ///< decoded, but no actor takes this type
};

class transport_bridge {
public:
  /// REQUIRES: `t` outlives the bridge.
  transport_bridge(transport::transport& t, protocol::decode_limits limits = {},
                   std::chrono::milliseconds poll_timeout = std::chrono::milliseconds(50));
  ~transport_bridge();

  transport_bridge(const transport_bridge&) = delete;
  transport_bridge& operator=(const transport_bridge&) = delete;

  /// Frames of message type `type_id` go to `target`.
  void route(uint16_t type_id, caf::actor target);
  /// Frames of any type without a route go to `target`.
  void route_default(caf::actor target);

  /// Starts the owner thread.
  void start();
  /// Stops and joins the owner thread (idempotent).
  void stop();

  /// Receives at most one frame (waiting up to `timeout`) and dispatches it.
  /// Returns true when a frame was received. For tests that drive the bridge
  /// without its thread. REQUIRES: not started.
  bool poll_once(std::chrono::milliseconds timeout);

  /// Decodes and dispatches one frame (also used by poll_once).
  void dispatch(transport::inbound_frame frame);

  bridge_counters counters() const;

private:
  void run();

  transport::transport& transport_;
  protocol::decode_limits limits_;
  std::chrono::milliseconds poll_timeout_;
  std::map<uint16_t, caf::actor> routes_;
  caf::actor default_route_;
  std::atomic<bool> running_{false};
  std::thread thread_;
  std::atomic<uint64_t> frames_in_{0}, forwarded_{0}, malformed_{0}, oversized_{0},
    unknown_type_{0}, unsupported_version_{0}, unrouted_{0};
};

} // namespace fabric::actors
