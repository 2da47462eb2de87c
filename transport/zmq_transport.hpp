#pragma once

// ZeroMQ implementation of transport: a ROUTER at the coordinator (bound),
// a DEALER at each node (connected).
//
// Only the thread that calls receive() touches the ROUTER/DEALER socket.
// send() from any thread pushes [peer, bytes] into an inproc PUSH socket
// (guarded by a mutex); receive() polls the main socket and the inproc PULL
// socket together, so queued frames go out at once, not after a poll timeout.
//
// The ROUTER sets router_mandatory: a frame for an unknown peer is an error
// (counted in send_failures), not a silent drop. The DEALER sets immediate:
// while the coordinator is unreachable frames are dropped rather than queued
// and delivered late in a burst. All sockets use linger 0.
//
// Both may set ZMQ_MAXMSGSIZE (`max_message_bytes` > 0): ZeroMQ reads a
// frame's length from its header and drops the connection of a peer that
// announces a longer message, before allocating or reading it (issue 14: one
// 1 GiB frame on the node port was received whole, stalled the bridge past
// the heartbeat timeout and every node was declared down). The peer may
// reconnect; other peers never notice. fabric-coordinator sets it from
// --max-frame-bytes, fabric-node from protocol::decode_limits.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <zmq.hpp>

#include "model/result.hpp"
#include "transport/transport.hpp"

namespace fabric::transport {

class zmq_transport final : public transport {
public:
  /// A ROUTER bound to `endpoint` (e.g. "tcp://127.0.0.1:7000", or
  /// "tcp://127.0.0.1:*" for an ephemeral port: see bound_endpoint()).
  /// REQUIRES: `ctx` outlives the returned transport.
  /// `max_message_bytes` > 0: the largest frame a peer may send (larger:
  /// that peer is disconnected); <= 0: no limit.
  static result<std::unique_ptr<zmq_transport>> bind_router(zmq::context_t& ctx,
                                                            const std::string& endpoint,
                                                            std::int64_t max_message_bytes = -1);

  /// A DEALER connected to `endpoint`. Connecting never fails for a well-formed
  /// address: ZeroMQ reconnects in the background.
  /// REQUIRES: `ctx` outlives the returned transport.
  /// `max_message_bytes` as for bind_router (a larger frame from the
  /// coordinator drops the connection, which then reconnects).
  static result<std::unique_ptr<zmq_transport>> connect_dealer(zmq::context_t& ctx,
                                                               const std::string& endpoint,
                                                               std::int64_t max_message_bytes = -1);

  ~zmq_transport() override;

  void send(const peer_id& to, std::string bytes) override;
  std::optional<inbound_frame> receive(std::chrono::milliseconds timeout) override;
  transport_stats stats() const override;

  /// The endpoint actually bound (with the real port when bound to ":*");
  /// empty for a DEALER.
  const std::string& bound_endpoint() const { return bound_endpoint_; }

private:
  zmq_transport(zmq::context_t& ctx, zmq::socket_type type);
  void flush_outbox();
  std::optional<inbound_frame> read_main();

  bool is_router_;
  zmq::socket_t main_;
  zmq::socket_t outbox_pull_;
  std::mutex push_mtx_;
  zmq::socket_t outbox_push_;
  std::string bound_endpoint_;
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> failures_{0};
};

} // namespace fabric::transport
