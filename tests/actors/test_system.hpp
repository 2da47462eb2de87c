#pragma once

// A CAF actor system on the deterministic test scheduler, for GoogleTest
// (CAF's own caf/test/dsl.hpp brings its own test framework). Nothing runs
// until run(); time moves only with advance().

#include <chrono>
#include <memory>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "protocol/codec.hpp"
#include "transport/inmem_transport.hpp"

namespace fabric::testing {

struct deterministic_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;

  deterministic_system() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("scheduler.max-threads", static_cast<size_t>(1));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }

  ~deterministic_system() {
    sched->run();
  }

  void run() { sched->run(); }

  /// Moves time by `d` in steps of `step`, running all work after each step
  /// (actors reschedule their timers relative to the time they run at).
  void advance(std::chrono::milliseconds d, std::chrono::milliseconds step) {
    for (auto t = std::chrono::milliseconds(0); t < d; t += step) {
      sched->advance_time(step);
      sched->run();
    }
  }

  template <class State>
  State& state_of(const caf::actor& a) {
    auto* ptr = caf::actor_cast<caf::abstract_actor*>(a);
    return dynamic_cast<caf::stateful_actor<State>&>(*ptr).state;
  }
};

/// Decodes every frame waiting at `e`.
inline std::vector<protocol::decoded_frame> drain(transport::inmem_endpoint& e) {
  std::vector<protocol::decoded_frame> out;
  while (auto f = e.try_receive()) {
    auto d = protocol::decode(f->bytes);
    if (d)
      out.push_back(std::move(*d));
  }
  return out;
}

} // namespace fabric::testing
