#include "actors/bridge.hpp"

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

namespace fabric::actors {

transport_bridge::transport_bridge(transport::transport& t, protocol::decode_limits limits,
                                   std::chrono::milliseconds poll_timeout)
  : transport_(t), limits_(limits), poll_timeout_(poll_timeout) {}

transport_bridge::~transport_bridge() { stop(); }

void transport_bridge::route(uint16_t type_id, caf::actor target) {
  routes_[type_id] = std::move(target);
}

void transport_bridge::route_default(caf::actor target) { default_route_ = std::move(target); }

void transport_bridge::start() {
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void transport_bridge::stop() {
  running_ = false;
  if (thread_.joinable())
    thread_.join();
}

void transport_bridge::run() {
  while (running_)
    if (auto frame = transport_.receive(poll_timeout_))
      dispatch(std::move(*frame));
}

bool transport_bridge::poll_once(std::chrono::milliseconds timeout) {
  auto frame = transport_.receive(timeout);
  if (!frame)
    return false;
  dispatch(std::move(*frame));
  return true;
}

void transport_bridge::dispatch(transport::inbound_frame frame) {
  ++frames_in_;
  protocol::decode_failure why = protocol::decode_failure::none;
  auto decoded = protocol::decode(frame.bytes, limits_, &why);
  if (!decoded) {
    switch (why) {
      case protocol::decode_failure::oversized: ++oversized_; break;
      case protocol::decode_failure::unknown_type: ++unknown_type_; break;
      case protocol::decode_failure::unsupported_version: ++unsupported_version_; break;
      default: ++malformed_; break;
    }
    spdlog::debug("dropped frame of {} bytes: {}", frame.bytes.size(), decoded.err().message);
    return;
  }
  auto type = protocol::type_id_of(decoded->message);
  auto route = routes_.find(type);
  const caf::actor& target = route != routes_.end() ? route->second : default_route_;
  if (!target) {
    ++unrouted_;
    return;
  }
  ++forwarded_;
  caf::anon_send(target, peer_message{std::move(frame.from), decoded->version,
                                      decoded->correlation_id, std::move(decoded->message)});
}

bridge_counters transport_bridge::counters() const {
  return {frames_in_.load(), forwarded_.load(), malformed_.load(), oversized_.load(),
          unknown_type_.load(), unsupported_version_.load(), unrouted_.load()};
}

} // namespace fabric::actors
