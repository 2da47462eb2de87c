#pragma once

// The node's lease on serving its instances, shared between the node actor
// (which renews and revokes it) and the instances' HTTP handlers (which
// check it on every request, on the http_ports loop thread).
//
// The lease runs until missed_heartbeats x interval after the send time of
// the last acked heartbeat (or registration): the coordinator declares the
// node down only strictly later than that (last heard >= send time), so a
// node whose lease ran out may already have been replaced. The handlers read
// the clock themselves: after a SIGSTOP/SIGCONT the very first request sees
// the expired lease and is refused, whatever order the node's timers and
// frames are processed in after the resume.
//
// Thread-safety: every member may be called from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

#include "actors/failure_detector.hpp"

namespace fabric::node {

class lease {
public:
  /// Valid until `until` (exclusive).
  void renew_until(actors::steady_time until) {
    until_ns_.store(until.time_since_epoch().count(), std::memory_order_release);
  }
  /// Not valid at any time (fenced).
  void revoke() { until_ns_.store(never, std::memory_order_release); }
  bool valid(actors::steady_time now) const {
    return now.time_since_epoch().count() < until_ns_.load(std::memory_order_acquire);
  }
  bool valid_now() const { return valid(std::chrono::steady_clock::now()); }

private:
  static constexpr int64_t never = std::numeric_limits<int64_t>::min();
  std::atomic<int64_t> until_ns_{never};
};

} // namespace fabric::node
