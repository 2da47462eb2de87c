#pragma once

// The failure detector as a pure function: a peer that heartbeats every
// `heartbeat_interval` is declared down once `missed_heartbeats` intervals
// have passed since its last heartbeat. Time is an input; no clock is read.
//
// Used by the coordinator (is a node alive?) and by a node (is the coordinator
// still answering?).

#include <chrono>

namespace fabric::actors {

using steady_time = std::chrono::steady_clock::time_point;

struct failure_detector_config {
  std::chrono::milliseconds heartbeat_interval{100};
  int missed_heartbeats = 3;  ///< REQUIRES: >= 1
};

/// How long silence lasts before the peer is declared down.
inline std::chrono::milliseconds detection_timeout(const failure_detector_config& cfg) {
  return cfg.heartbeat_interval * cfg.missed_heartbeats;
}

/// True when the peer last heard at `last_heard` is overdue at `now`, i.e.
/// strictly more than detection_timeout() has passed.
inline bool is_overdue(steady_time last_heard, steady_time now,
                       const failure_detector_config& cfg) {
  return now - last_heard > detection_timeout(cfg);
}

} // namespace fabric::actors
