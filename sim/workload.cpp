#include "sim/workload.hpp"

#include <algorithm>

namespace fabric::sim {

const char* to_string(fault_kind k) {
  switch (k) {
    case fault_kind::kill: return "kill";
    case fault_kind::restart: return "restart";
    case fault_kind::partition: return "partition";
    case fault_kind::heal: return "heal";
    case fault_kind::noisy_network: return "noisy-network";
    case fault_kind::quiet_network: return "quiet-network";
  }
  return "?";
}

std::string scenario_result::report() const {
  std::string out = "sim seed " + std::to_string(seed) + " (replay: FABRIC_SIM_SEED="
                    + std::to_string(seed) + ")\n";
  for (auto& v : violations)
    out += "  violation: " + v + "\n";
  out += "  trace:\n";
  for (auto& t : trace)
    out += "    " + t + "\n";
  return out;
}

namespace {

void add_all(std::vector<std::string>& to, std::vector<std::string> from, const std::string& tag) {
  for (auto& v : from)
    to.push_back(tag + ": " + v);
}

std::vector<std::string> liveness(const cluster& c) {
  std::vector<std::string> out;
  add_all(out, invariants::placed_once_on_a_live_node(c), "placement");
  add_all(out, invariants::all_ready(c), "ready");
  add_all(out, invariants::fault_domains_spread(c), "fault domains");
  add_all(out, invariants::no_instance_serves_twice(c), "twice");
  return out;
}

} // namespace

scenario_result run_scenario(uint64_t seed, const scenario_config& cfg) {
  scenario_result res;
  res.seed = seed;
  auto ccfg = cfg.cluster;
  ccfg.seed = seed;
  cluster c{ccfg};
  auto& rng = c.rng();
  auto log = [&](const std::string& what) {
    res.trace.push_back("t=" + std::to_string(c.now().count()) + "ms " + what);
  };

  // -- setup: every node registered, deploy, all ReadyRole ----------------------
  auto registered = [&] {
    int up = 0;
    for (auto& [n, info] : c.controller().nodes())
      up += info.up;
    return up == ccfg.nodes;
  };
  if (!c.run_until(registered, ms(5000))) {
    res.violations.push_back("setup: not every node registered");
    return res;
  }
  auto deployed = c.deploy("svc", "sim", cfg.csdef, cfg.cscfg);
  log("deploy -> " + std::to_string(deployed.status));
  if (deployed.status != 202) {
    res.violations.push_back("setup: deploy answered " + deployed.body.dump());
    return res;
  }
  if (!c.run_until([&] { return invariants::all_ready(c).empty(); }, cfg.settle)) {
    add_all(res.violations, invariants::all_ready(c), "setup");
    return res;
  }
  log("deployed, all ReadyRole");

  // -- run: random faults; safety after every step ---------------------------------
  auto names = c.node_names();
  std::set<std::string> seen_twice;
  auto check_safety = [&] {
    for (auto& v : invariants::no_instance_serves_twice(c))
      if (seen_twice.insert(v).second) {
        res.violations.push_back("safety at t=" + std::to_string(c.now().count()) + "ms: " + v);
      }
  };
  auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
  };
  auto end = c.now() + cfg.fault_phase;
  while (c.now() < end) {
    std::vector<std::string> alive, dead;
    for (auto& n : names)
      (c.alive(n) ? alive : dead).push_back(n);
    auto k = static_cast<fault_kind>(std::uniform_int_distribution<int>(0, 5)(rng));
    switch (k) {
      case fault_kind::kill:
        if (static_cast<int>(alive.size()) > cfg.min_alive) {
          auto n = pick(alive);
          c.kill_node(n);
          log("kill " + n);
          ++res.faults;
        }
        break;
      case fault_kind::restart:
        if (!dead.empty()) {
          auto n = pick(dead);
          c.restart_node(n);
          log("restart " + n);
          ++res.faults;
        }
        break;
      case fault_kind::partition:
        if (!alive.empty()) {
          auto n = pick(alive);
          c.partition_from_coordinator({n});
          log("partition " + n + " from the coordinator");
          ++res.faults;
        }
        break;
      case fault_kind::heal:
        c.heal();
        log("heal partitions");
        break;
      case fault_kind::noisy_network: {
        std::uniform_real_distribution<double> u(0.0, 1.0);
        transport::fault_settings f{u(rng) * cfg.max_drop, u(rng) * cfg.max_duplicate,
                                    u(rng) * cfg.max_reorder};
        c.set_faults(f);
        log("network drop=" + std::to_string(f.drop) + " duplicate=" + std::to_string(f.duplicate)
            + " reorder=" + std::to_string(f.reorder));
        ++res.faults;
        break;
      }
      case fault_kind::quiet_network:
        c.set_faults({});
        log("network quiet");
        break;
    }
    auto until = c.now() + cfg.fault_every;
    while (c.now() < until) {
      c.step();
      check_safety();
    }
  }

  // -- heal: faults stop, dead nodes come back ----------------------------------------
  c.set_faults({});
  c.heal();
  for (auto& n : names)
    if (!c.alive(n)) {
      c.restart_node(n);
      log("restart " + n + " (heal)");
    }
  log("faults stop");
  auto stopped_at = c.now();
  bool converged = c.run_until(
    [&] {
      check_safety();
      return liveness(c).empty();
    },
    cfg.recover);
  res.converged_after = c.now() - stopped_at;
  if (!converged)
    add_all(res.violations, liveness(c), "after " + std::to_string(cfg.recover.count()) + "ms");
  res.replacements = c.controller().counters().replacements;
  res.network = c.network_stats();
  if (!res.ok())
    c.keep_dir();
  if (!res.ok())
    res.trace.push_back("disks kept in " + c.dir().string());
  return res;
}

} // namespace fabric::sim
