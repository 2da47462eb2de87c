#pragma once

// When to heal: the controller's pure decision (no clock, no CAF, no model)
// of which down nodes' instances to re-place now.
//
// Detection is not healing. The failure detector declares a node down within
// (k+1)*H; that is right for taking its instances out of rotation (state
// unknown, no endpoint) and for reporting. Re-placing them on other nodes
// destroys their local storage and OS disk, so it waits:
// - `heal_delay` after the node was declared down (a node that comes back
//   within it keeps its instances: reconcile starts them on their disks);
// - after a coordinator (re)start, until every node the journal places
//   instances on has registered again, or `restart_grace` has passed since
//   the start (nodes reconnect with ZeroMQ's backoff, up to 1 s, and resend
//   their registration every k*H); the heal delay then runs from the end of
//   that window (a node that never came back is down since then);
// - never while the coordinator is catching up: after a stall of its own
//   (its periodic tick ran late by more than `stall_threshold`), the
//   membership it sees is as stale as after a restart, so healing waits
//   `restart_grace` from the end of the stall as well.
// heal_delay = 0 heals at detection (the sim and unit tests rely on that).
//
// Thread-safety: pure function.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fabric::coordinator {

using heal_clock = std::chrono::steady_clock;

struct healing_policy {
  std::chrono::milliseconds heal_delay{0};
  std::chrono::milliseconds restart_grace{0};
};

/// The coordinator's own catching-up state.
struct restart_window {
  heal_clock::time_point started_at{};  ///< when this controller started
  /// True once every node the model places instances on registered since
  /// the start, at `all_registered_at`.
  bool all_registered = false;
  heal_clock::time_point all_registered_at{};
  /// The end of the last stall of the coordinator itself, if any.
  std::optional<heal_clock::time_point> last_stall_end;
};

struct healing_decision {
  std::vector<std::string> heal_now;  ///< name order
  /// When the next node becomes due (or the restart window closes); empty
  /// when nothing waits.
  std::optional<heal_clock::time_point> next_deadline;
  /// The restart window is closed (every node back, or the grace passed).
  bool restart_settled = false;
};

/// When healing may start at all: the restart window's end (the earlier of
/// all nodes registered and started_at + grace), and restart_grace after the
/// last stall.
heal_clock::time_point healing_allowed_from(const restart_window& w, const healing_policy& p);

/// `down_since`: every node currently down whose instances are still placed
/// on it, with when it went down (a node never seen since the start: the
/// start). A node is healed at max(down_since, healing_allowed_from) +
/// heal_delay.
healing_decision decide_healing(const std::map<std::string, heal_clock::time_point>& down_since,
                                 const restart_window& window, heal_clock::time_point now,
                                 const healing_policy& policy);

} // namespace fabric::coordinator
