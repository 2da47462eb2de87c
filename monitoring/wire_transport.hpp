#pragma once

// fabric_wire_messages_total at the I/O seam: a transport decorator that
// counts every frame it carries by direction and message type, then hands it
// to the real transport. Used by fabric-coordinator and fabric-node when
// metrics are on (without --metrics-listen nothing is wrapped).
//
// The type is read from the envelope header (peek_type_id): no payload is
// decoded, so a 1 MiB image chunk costs a few byte reads. Frames whose header
// does not parse, or whose type id this build does not know, are not counted
// here: the bridge counts them as dropped (fabric_wire_frames_dropped_total).
//
// Header-only: the consumer links fabric::transport, fabric::protocol and
// fabric::monitoring (the monitoring library itself stays free of them).
// Thread-safety: as the wrapped transport (send from any thread, receive from
// its owner thread); the counters are atomic.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "monitoring/metrics.hpp"
#include "protocol/codec.hpp"
#include "transport/transport.hpp"

namespace fabric::monitoring {

/// The type id of a frame (msgpack array [major, minor, type_id, ...]),
/// without decoding anything else; empty when the header is not such an array
/// of at least 5 elements starting with three unsigned integers.
inline std::optional<uint16_t> peek_type_id(std::string_view frame) {
  std::size_t pos = 0;
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(frame[i]); };
  if (frame.empty())
    return std::nullopt;
  unsigned char head = byte(pos++);
  std::uint64_t count = 0;
  if ((head & 0xf0) == 0x90) {
    count = head & 0x0f;
  } else if (head == 0xdc && frame.size() >= 3) {
    count = (std::uint64_t{byte(1)} << 8) | byte(2);
    pos = 3;
  } else if (head == 0xdd && frame.size() >= 5) {
    count = (std::uint64_t{byte(1)} << 24) | (std::uint64_t{byte(2)} << 16)
            | (std::uint64_t{byte(3)} << 8) | byte(4);
    pos = 5;
  } else {
    return std::nullopt;
  }
  if (count < 5)
    return std::nullopt;
  std::uint64_t value = 0;
  for (int field = 0; field < 3; ++field) {
    if (pos >= frame.size())
      return std::nullopt;
    unsigned char t = byte(pos++);
    std::size_t width = 0;
    if (t < 0x80) {
      value = t;
    } else if (t >= 0xcc && t <= 0xcf) {
      width = std::size_t{1} << (t - 0xcc);
      if (pos + width > frame.size())
        return std::nullopt;
      value = 0;
      for (std::size_t i = 0; i < width; ++i)
        value = (value << 8) | byte(pos + i);
      pos += width;
    } else {
      return std::nullopt;
    }
  }
  if (value > 0xffff)
    return std::nullopt;
  return static_cast<uint16_t>(value);
}

/// Counts frames by direction and type into `count` (e.g. a lambda calling
/// coordinator_metrics::wire_message), then forwards them.
class counting_transport : public ::fabric::transport::transport {
public:
  using counter = std::function<void(wire_direction, const std::string& type)>;

  /// REQUIRES: `inner` non-null.
  counting_transport(std::shared_ptr<::fabric::transport::transport> inner, counter count)
    : inner_(std::move(inner)), count_(std::move(count)) {}

  void send(const ::fabric::transport::peer_id& to, std::string bytes) override {
    note(wire_direction::out, bytes);
    inner_->send(to, std::move(bytes));
  }

  std::optional<::fabric::transport::inbound_frame> receive(std::chrono::milliseconds timeout) override {
    auto frame = inner_->receive(timeout);
    if (frame)
      note(wire_direction::in, frame->bytes);
    return frame;
  }

  ::fabric::transport::transport_stats stats() const override { return inner_->stats(); }

private:
  void note(wire_direction d, std::string_view bytes) {
    auto type = peek_type_id(bytes);
    if (!type)
      return;
    // The names as strings once (no allocation per frame).
    static const std::vector<std::string> names = [] {
      std::vector<std::string> out;
      for (uint16_t id = 0; id < 256; ++id)
        out.emplace_back(protocol::message_name(id));
      return out;
    }();
    const std::string& name = *type < names.size() ? names[*type]
                                                   : names.front(); // id 0: "unknown"
    if (name != "unknown")
      count_(d, name);
  }

  std::shared_ptr<::fabric::transport::transport> inner_;
  counter count_;
};

/// `inner` wrapped so that every frame is counted into `metrics` (any
/// metrics handle with wire_message(direction, type), e.g.
/// coordinator_metrics or node_metrics); `inner` itself when `metrics` is
/// null. REQUIRES: `metrics` outlives the returned transport.
template <class Metrics>
std::shared_ptr<::fabric::transport::transport>
count_wire_messages(std::shared_ptr<::fabric::transport::transport> inner, Metrics* metrics) {
  if (!metrics)
    return inner;
  return std::make_shared<counting_transport>(
    std::move(inner),
    [metrics](wire_direction d, const std::string& type) { metrics->wire_message(d, type); });
}

/// fabric_wire_frames_dropped_total from a bridge's monotonic counters
/// (actors::bridge_counters): each update adds what grew since the last one,
/// under the reasons "malformed", "oversized", "unknown_type",
/// "unsupported_version" and "unrouted" (all created at 0 by the first
/// update, so rate() works from the start). Not thread-safe: one caller.
class dropped_frames {
public:
  using sink = std::function<void(const std::string& reason, std::uint64_t count)>;
  explicit dropped_frames(sink s) : sink_(std::move(s)) {}

  template <class Counters>
  void update(const Counters& now) {
    std::uint64_t values[] = {now.malformed, now.oversized, now.unknown_type,
                              now.unsupported_version, now.unrouted};
    static const char* const reasons[] = {"malformed", "oversized", "unknown_type",
                                          "unsupported_version", "unrouted"};
    for (int i = 0; i < 5; ++i) {
      if (first_ || values[i] > last_[i])
        sink_(reasons[i], values[i] > last_[i] ? values[i] - last_[i] : 0);
      last_[i] = values[i];
    }
    first_ = false;
  }

private:
  sink sink_;
  std::uint64_t last_[5] = {0, 0, 0, 0, 0};
  bool first_ = true;
};

} // namespace fabric::monitoring
