#include "coordinator/healing.hpp"

#include <algorithm>

namespace fabric::coordinator {

heal_clock::time_point healing_allowed_from(const restart_window& w, const healing_policy& p) {
  auto from = w.started_at + p.restart_grace;
  if (w.all_registered)
    from = std::min(from, std::max(w.started_at, w.all_registered_at));
  if (w.last_stall_end)
    from = std::max(from, *w.last_stall_end + p.restart_grace);
  return from;
}

healing_decision decide_healing(const std::map<std::string, heal_clock::time_point>& down_since,
                                const restart_window& window, heal_clock::time_point now,
                                const healing_policy& policy) {
  healing_decision out;
  auto allowed = healing_allowed_from(window, policy);
  out.restart_settled = now >= allowed;
  auto later = [&](heal_clock::time_point t) {
    if (!out.next_deadline || t < *out.next_deadline)
      out.next_deadline = t;
  };
  if (!out.restart_settled)
    later(allowed);
  for (auto& [name, since] : down_since) {
    auto due = std::max(since, allowed) + policy.heal_delay;
    if (now >= due)
      out.heal_now.push_back(name);
    else
      later(due);
  }
  return out;
}

} // namespace fabric::coordinator
