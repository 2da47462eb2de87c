// model_json.hpp before the controller's headers: upgrade_planner.hpp's
// begin_upgrade() hides the begin_upgrade edit that model_json.hpp names.
#include "model_json/model_json.hpp"

#include "sim/workload.hpp"

#include <algorithm>
#include <numeric>
#include <optional>

#include <nlohmann/json.hpp>

#include "coordinator/api_json.hpp"
#include "coordinator/journal/model_store.hpp"
#include "coordinator/upgrade_engine.hpp"

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
          ++res.by_kind[k];
        }
        break;
      case fault_kind::restart:
        if (!dead.empty()) {
          auto n = pick(dead);
          c.restart_node(n);
          log("restart " + n);
          ++res.faults;
          ++res.by_kind[k];
        }
        break;
      case fault_kind::partition:
        if (!alive.empty()) {
          auto n = pick(alive);
          c.partition_from_coordinator({n});
          log("partition " + n + " from the coordinator");
          ++res.faults;
          ++res.by_kind[k];
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
        ++res.by_kind[k];
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

// -- the rolling-upgrade workload ------------------------------------------------

const char* to_string(walk_mode m) {
  switch (m) {
    case walk_mode::automatic: return "Auto";
    case walk_mode::manual: return "Manual";
    case walk_mode::simultaneous: return "Simultaneous";
  }
  return "?";
}

int upgrade_result::fault_count() const {
  int n = 0;
  for (auto& [k, count] : faults)
    n += count;
  return n;
}

std::string upgrade_result::summary() const {
  std::string f;
  for (auto& [k, count] : faults)
    f += std::string(f.empty() ? "" : " ") + to_string(k) + "=" + std::to_string(count);
  return "seed " + std::to_string(seed) + ": " + shape + "; upgrade " + upgrade
         + (rolled_back ? ", rolled back mid-walk" : "") + "; faults: " + (f.empty() ? "none" : f)
         + "; walks " + std::to_string(walks) + " (refused out of order "
         + std::to_string(premature_walks_refused) + "); " + std::to_string(steps) + " steps, "
         + std::to_string(replay_checks) + " journal replays, "
         + std::to_string(replacements) + " re-placements; settled on " + final_version
         + " after " + std::to_string(walk_took.count()) + " ms: "
         + (ok() ? "ok" : std::to_string(violations.size()) + " violation(s)");
}

std::string upgrade_result::report() const {
  std::string out = "sim upgrade seed " + std::to_string(seed) + " (replay: FABRIC_SIM_SEED="
                    + std::to_string(seed) + " build/tests/sim_tests --gtest_filter='sim_upgrade.*')\n"
                    + "  " + summary() + "\n";
  for (auto& v : violations)
    out += "  violation: " + v + "\n";
  out += "  trace:\n";
  for (auto& t : trace)
    out += "    " + t + "\n";
  if (!kept_dir.empty())
    out += "  disks and journal kept in " + kept_dir + "\n";
  return out;
}

namespace {

const std::string upgrade_service = "svc";
const std::string upgrade_deployment = "sim";
const std::string base_image = "base";    // deployed (cluster preloads it)
const std::string target_image = "v2";    // upgraded to (sim_config::extra_images)

// -- the ONE place the workload starts controller operations ------------------------

/// An operation of the upgrade family, as the workload asks for it.
struct op_call {
  std::string kind;                          ///< "upgrade", "walk", "rollback"
  std::string image;                         ///< upgrade: the target image
  std::optional<model::upgrade_mode> mode;   ///< upgrade, rollback
  std::string role;                          ///< upgrade: one role only
  std::vector<int> order;                    ///< upgrade: the walk order
  int upgrade_domain = 0;                    ///< walk
};

/// Starts `call` on the controller of `c` (production slot of the service)
/// and runs the system until idle, through the same JSON edge as the API
/// (coordinator/api_json.hpp), so the sim's bodies are validated exactly as
/// a client's are. The only adapter between the workload and the controller.
coordinator::api_result start_op(cluster& c, const op_call& call) {
  nlohmann::json body = nlohmann::json::object();
  if (call.kind == "upgrade") {
    body["image"] = call.image;
    if (!call.role.empty())
      body["role"] = call.role;
    if (!call.order.empty())
      body["order"] = call.order;
  } else if (call.kind == "walk") {
    body["upgrade_domain"] = call.upgrade_domain;
  }
  if (call.mode)
    body["mode"] = model::to_string(*call.mode);
  return c.api([kind = call.kind, b = body.dump()](coordinator::controller& ctl) {
    return coordinator::json_api::start_operation(ctl, kind, {upgrade_service, "production", b});
  });
}

// -- the deployment shape -------------------------------------------------------------

struct role_shape {
  std::string name;
  bool web = false;
  int instances = 1;
};

struct deployment_shape {
  int fault_domains = 2;
  int nodes = 4;
  int upgrade_domains = 2;
  std::vector<role_shape> roles;

  std::string describe() const {
    std::string out = std::to_string(nodes) + " nodes in " + std::to_string(fault_domains)
                      + " FDs, " + std::to_string(upgrade_domains) + " UDs";
    for (auto& r : roles)
      out += ", " + r.name + " x" + std::to_string(r.instances);
    return out;
  }

  std::string csdef() const {
    std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ServiceDefinition name=\"Sim\" "
                      "upgradeDomainCount=\"" + std::to_string(upgrade_domains) + "\" xmlns=\""
                      "http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceDefinition\">\n";
    int port = 8080;
    for (auto& r : roles) {
      if (r.web)
        out += "  <WebRole name=\"" + r.name + "\" vmsize=\"Small\">\n    <Endpoints>\n"
               "      <InputEndpoint name=\"http\" protocol=\"http\" port=\""
               + std::to_string(port++) + "\" />\n    </Endpoints>\n  </WebRole>\n";
      else
        out += "  <WorkerRole name=\"" + r.name + "\" vmsize=\"Small\" />\n";
    }
    return out + "</ServiceDefinition>\n";
  }

  std::string cscfg() const {
    std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ServiceConfiguration "
                      "serviceName=\"Sim\" xmlns=\"http://schemas.microsoft.com/ServiceHosting/"
                      "2008/10/ServiceConfiguration\">\n";
    for (auto& r : roles)
      out += "  <Role name=\"" + r.name + "\">\n    <Instances count=\""
             + std::to_string(r.instances) + "\" />\n  </Role>\n";
    return out + "</ServiceConfiguration>\n";
  }
};

int uniform(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

bool chance(std::mt19937_64& rng, double p) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p;
}

ms uniform_ms(std::mt19937_64& rng, ms lo, ms hi) {
  return ms(std::uniform_int_distribution<long long>(lo.count(), std::max(lo, hi).count())(rng));
}

deployment_shape draw_shape(std::mt19937_64& rng) {
  deployment_shape s;
  s.fault_domains = uniform(rng, 2, 3);
  s.nodes = 2 * s.fault_domains;
  s.upgrade_domains = uniform(rng, 2, 5);
  int roles = uniform(rng, 1, 3);
  int left = 8;
  for (int i = 0; i < roles; ++i) {
    role_shape r;
    r.web = i % 2 == 0;
    r.name = (r.web ? "Web" : "Work") + std::to_string(i);
    r.instances = uniform(rng, 1, std::min(4, left - (roles - i - 1)));
    left -= r.instances;
    s.roles.push_back(r);
  }
  return s;
}

std::string join(const std::vector<int>& xs) {
  std::string out = "[";
  for (size_t i = 0; i < xs.size(); ++i)
    out += (i ? "," : "") + std::to_string(xs[i]);
  return out + "]";
}

bool contains(const std::vector<int>& xs, int x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

const model::deployment* the_deployment(const cluster& c) {
  auto svc = c.controller().model().services.find(upgrade_service);
  if (svc == c.controller().model().services.end() || !svc->second.production)
    return nullptr;
  return &*svc->second.production;
}

std::string status_text(const model::upgrade_status& u) {
  return std::string(model::to_string(u.mode)) + (u.rolling_back ? " rollback" : "") + " to "
         + u.target_version + ", UD " + std::to_string(u.current_upgrade_domain) + " "
         + model::to_string(u.current_state) + ", walked " + join(u.walked) + " of order "
         + join(u.order);
}

// -- the invariants checked after every step -------------------------------------------

} // namespace

std::vector<std::string> walk_violations(const model::deployment& d,
                                         const std::map<std::string, std::string>& before,
                                         const std::optional<model::upgrade_status>& was) {
  std::vector<std::string> out;
  // A walk that ended left every instance of its role on the deployment's version.
  if (was && !d.upgrade)
    for (auto& in : d.instances)
      if ((was->role.empty() || in.role == was->role) && in.version != d.version)
        out.push_back("the " + std::string(was->rolling_back ? "rollback" : "upgrade") + " to "
                      + was->target_version + " ended (deployment on " + d.version + ") with "
                      + in.name + " on " + in.version);
  if (d.upgrade && d.upgrade->mode != model::upgrade_mode::simultaneous) {
    auto& u = *d.upgrade;
    // Walked UDs are a prefix of the order; the current UD is the next
    // unwalked one (or the one just walked, before the walk advances).
    for (size_t i = 0; i < u.walked.size(); ++i)
      if (i >= u.order.size() || u.walked[i] != u.order[i]) {
        out.push_back("UDs walked out of the planner's order: " + status_text(u));
        break;
      }
    auto next = u.walked.size() < u.order.size() ? u.order[u.walked.size()] : -1;
    if (!contains(u.walked, u.current_upgrade_domain) && u.current_upgrade_domain != next)
      out.push_back("UD " + std::to_string(u.current_upgrade_domain) + " is current before UD "
                    + std::to_string(next) + " is walked: " + status_text(u));
  }
  // An instance's version changes only in a step that walks its UD.
  for (auto& in : d.instances) {
    auto b = before.find(in.name);
    if (b == before.end() || b->second.empty() || b->second == in.version)
      continue;
    std::string moved = in.name + " (role " + in.role + ", UD "
                        + std::to_string(in.upgrade_domain) + ") moved " + b->second + " -> "
                        + in.version;
    if (!d.upgrade) {
      out.push_back(moved + " with no upgrade in flight");
      continue;
    }
    auto& u = *d.upgrade;
    bool simultaneous = u.mode == model::upgrade_mode::simultaneous;
    if (!u.role.empty() && in.role != u.role)
      out.push_back(moved + " but only role " + u.role + " is upgraded");
    if (in.version != u.target_version)
      out.push_back(moved + ", not to the walk's target: " + status_text(u));
    if (u.current_state != model::upgrade_domain_state::during
        || (simultaneous ? !contains(u.order, in.upgrade_domain)
                         : in.upgrade_domain != u.current_upgrade_domain))
      out.push_back(moved + " while its UD is not being walked: " + status_text(u));
  }
  return out;
}

std::vector<std::string> replay_violations(const cluster& c) {
  journal::model_store_options o;
  o.journal.sync = journal::sync_mode::off;
  o.journal.exclusive = false;
  o.snapshot_every = 0;
  auto replayed = journal::model_store::open(c.journal_dir().string(), o);
  if (!replayed)
    return {"the journal does not reopen: " + replayed.err().to_string()};
  auto& live = c.controller().model();
  auto a = model_json::model_to_json(replayed->model());
  auto b = model_json::model_to_json(live);
  if (a == b)
    return {};
  return {"the journal replays to another model (revision "
          + std::to_string(replayed->model().revision) + ", the controller's "
          + std::to_string(live.revision) + "); diff: " + nlohmann::json::diff(b, a).dump()};
}

namespace {

class step_checker {
public:
  step_checker(cluster& c, upgrade_result& res) : c_(c), res_(res) {}

  /// Runs every per-step invariant; `where` names the step.
  void check(const std::string& where) {
    ++res_.steps;
    for (auto& v : invariants::no_instance_serves_twice(c_))
      add("twice", where, v);
    check_walk(where);
    check_replay(where);
  }

private:
  void add(const std::string& kind, const std::string& where, const std::string& what) {
    // One report per distinct finding (a lasting fault would repeat it every step).
    if (!seen_.insert(kind + ": " + what).second || res_.violations.size() >= 30)
      return;
    res_.violations.push_back(kind + " at " + where + ": " + what);
  }

  void check_walk(const std::string& where) {
    auto* d = the_deployment(c_);
    if (!d)
      return;
    for (auto& v : walk_violations(*d, versions_, upgrade_))
      add("walk", where, v);
    for (auto& in : d->instances)
      versions_[in.name] = in.version;
    upgrade_ = d->upgrade;
    if (!d->upgrade)
      return;
    // No node runs the target version in a UD the forward walk has not reached.
    auto& u = *d->upgrade;
    if (u.rolling_back || u.mode == model::upgrade_mode::simultaneous)
      return;
    std::map<std::string, std::pair<std::string, std::string>> on_target;  // wire -> node, state
    for (auto& node : c_.node_names())
      for (auto& st : c_.instances_on(node))
        if (st.version == u.target_version && !st.state.empty())
          on_target[st.instance_name] = {node, st.state};
    for (auto& in : d->instances) {
      if (!u.role.empty() && in.role != u.role)
        continue;
      bool reached = contains(u.walked, in.upgrade_domain)
                     || (in.upgrade_domain == u.current_upgrade_domain
                         && u.current_state == model::upgrade_domain_state::during);
      auto on = on_target.find(coordinator::wire_name(d->name, in.name));
      if (!reached && on != on_target.end())
        add("walk", where,
            in.name + " (UD " + std::to_string(in.upgrade_domain) + ") runs " + u.target_version
              + " on " + on->second.first + " (" + on->second.second
              + ") before its UD is walked: " + status_text(u));
    }
  }

  void check_replay(const std::string& where) {
    auto& live = c_.controller().model();
    if (live.revision == revision_)
      return;
    revision_ = live.revision;
    ++res_.replay_checks;
    for (auto& v : replay_violations(c_))
      add("replay", where, v);
  }

  cluster& c_;
  upgrade_result& res_;
  std::set<std::string> seen_;
  std::map<std::string, std::string> versions_;  ///< model instance -> version last step
  std::optional<model::upgrade_status> upgrade_;  ///< the upgrade status last step
  long long revision_ = -1;
};

/// The end state once the faults healed: the walk is over, the deployment is
/// on `version` and every instance ReadyRole everywhere on `version` (on
/// `others` when it is not of the upgraded `role`), placed once on a live node.
std::vector<std::string> settled(const cluster& c, const std::string& version,
                                 const std::string& role, const std::string& others) {
  std::vector<std::string> out = liveness(c);
  auto* d = the_deployment(c);
  if (!d)
    return {"the deployment is gone"};
  if (d->upgrade)
    out.push_back("the upgrade is still in flight: " + status_text(*d->upgrade) + " "
                  + c.controller().upgrades().paused_reason(d->name));
  if (d->version != version)
    out.push_back("the deployment is on version " + d->version + ", not " + version);
  std::map<std::string, std::string> node_version;  // wire -> version on its node
  for (auto& in : d->instances) {
    auto& want = role.empty() || in.role == role ? version : others;
    auto wire = coordinator::wire_name(d->name, in.name);
    for (auto& st : c.instances_on(in.node))
      if (st.instance_name == wire)
        node_version[wire] = st.version;
    auto* o = c.controller().observed(wire);
    auto nv = node_version.count(wire) ? node_version[wire] : std::string("(absent)");
    if (in.version != want || !o || o->version != want || nv != want)
      out.push_back(in.name + " is not on " + want + ": model " + in.version + ", controller "
                    + (o ? o->version : std::string("(none)")) + ", node " + in.node + " " + nv);
  }
  return out;
}

std::string op_state(const cluster& c, const std::string& id) {
  auto i = c.controller().operations().find(id);
  if (i == c.controller().operations().end())
    return "(unknown)";
  return std::string(coordinator::to_string(i->second.status))
         + (i->second.error.empty() ? "" : " (" + i->second.error + ")");
}

} // namespace

upgrade_result run_upgrade_scenario(uint64_t seed, const upgrade_workload_config& cfg) {
  upgrade_result res;
  res.seed = seed;
  // The workload's own stream (the cluster's network RNG derives from the seed too).
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 0x5157);
  auto shape = draw_shape(rng);
  res.shape = shape.describe();

  sim_config sc;
  sc.seed = seed;
  sc.nodes = shape.nodes;
  sc.fault_domains = shape.fault_domains;
  sc.heartbeat = cfg.heartbeat;
  sc.missed_heartbeats = cfg.missed_heartbeats;
  sc.tick = cfg.tick;
  sc.phase_ms = cfg.phase_ms;
  sc.journaled = true;
  sc.journal_snapshot_every = 16;  // replays cross snapshots and compaction
  sc.extra_images = {target_image};
  cluster c{sc};
  step_checker checker{c, res};
  auto at = [&] { return "t=" + std::to_string(c.now().count()) + "ms"; };
  auto log = [&](const std::string& what) { res.trace.push_back(at() + " " + what); };
  auto where = [&](const std::string& what) {
    return "seed " + std::to_string(seed) + " step " + std::to_string(res.steps) + " " + at()
           + " (" + what + ")";
  };
  auto step = [&](const char* phase) {
    c.step();
    checker.check(where(phase));
  };
  auto run_until = [&](const std::function<bool()>& pred, ms limit, const char* phase) {
    for (auto end = c.now() + limit; c.now() < end;) {
      if (pred())
        return true;
      step(phase);
    }
    return pred();
  };

  // -- setup: nodes registered, deploy on "base", all ReadyRole --------------------------
  auto registered = [&] {
    int up = 0;
    for (auto& [n, info] : c.controller().nodes())
      up += info.up;
    return up == shape.nodes;
  };
  if (!run_until(registered, ms(3000), "setup")) {
    res.violations.push_back("setup: not every node registered");
    return res;
  }
  auto deployed = c.deploy(upgrade_service, upgrade_deployment, shape.csdef(), shape.cscfg());
  checker.check(where("deploy"));
  log("deploy " + res.shape + " -> " + std::to_string(deployed.status));
  if (deployed.status != 202) {
    res.violations.push_back("setup: deploy answered " + deployed.body.dump());
    return res;
  }
  if (!run_until([&] { return invariants::all_ready(c).empty(); }, cfg.settle, "setup")) {
    add_all(res.violations, invariants::all_ready(c), "setup");
    return res;
  }
  auto original = the_deployment(c)->version;

  // -- the upgrade request ---------------------------------------------------------------
  op_call up;
  up.kind = "upgrade";
  up.image = target_image;
  res.mode = static_cast<walk_mode>(uniform(rng, 0, 2));
  up.mode = res.mode == walk_mode::automatic  ? model::upgrade_mode::automatic
            : res.mode == walk_mode::manual   ? model::upgrade_mode::manual
                                              : model::upgrade_mode::simultaneous;
  if (shape.roles.size() > 1 && chance(rng, 0.25))
    up.role = shape.roles[uniform(rng, 0, static_cast<int>(shape.roles.size()) - 1)].name;
  if (chance(rng, 0.3)) {
    up.order.resize(shape.upgrade_domains);
    std::iota(up.order.begin(), up.order.end(), 0);
    std::shuffle(up.order.begin(), up.order.end(), rng);
  }
  res.upgrade = std::string(to_string(res.mode)) + (up.role.empty() ? "" : " role " + up.role)
                + (up.order.empty() ? "" : " order " + join(up.order));
  bool plan_rollback = chance(rng, cfg.rollback_chance);
  // Mid-walk: once this many UDs are walked and a UD is being walked, after a delay.
  int rollback_after = res.mode == walk_mode::simultaneous
                         ? 0
                         : uniform(rng, 0, (shape.upgrade_domains - 1) / 2);
  auto rollback_delay = uniform_ms(rng, ms(0), ms(60));

  auto started = start_op(c, up);
  checker.check(where("upgrade"));
  log("upgrade " + res.upgrade + " -> " + std::to_string(started.status) + " "
      + started.body.dump());
  if (started.status != 202) {
    res.violations.push_back("the upgrade was refused: " + started.body.dump());
    return res;
  }
  auto upgrade_op = started.body.value("operation_id", std::string());
  std::string rollback_op;
  res.final_version = target_image;
  auto upgrade_began = c.now();

  std::set<std::string> partitioned;  // nodes cut off from the coordinator now

  // -- the operator: Manual walks, the rollback ---------------------------------------------
  std::optional<ms> walk_due, rollback_due;
  bool rollback_issued = false;
  auto operate = [&] {
    auto* d = the_deployment(c);
    if (!d || !d->upgrade)
      return;
    auto u = *d->upgrade;
    if (u.mode == model::upgrade_mode::manual
        && u.current_state == model::upgrade_domain_state::before
        && !contains(u.walked, u.current_upgrade_domain)) {
      if (!walk_due) {
        walk_due = c.now() + uniform_ms(rng, ms(0), cfg.think_max);
      } else if (c.now() >= *walk_due) {
        walk_due.reset();
        // Now and then an operator walks a later UD first: it must be refused.
        std::vector<int> later;
        for (auto ud : u.order)
          if (ud != u.current_upgrade_domain && !contains(u.walked, ud))
            later.push_back(ud);
        if (!later.empty() && chance(rng, cfg.premature_walk_chance)) {
          op_call w{"walk", "", std::nullopt, "", {}, later[uniform(rng, 0, static_cast<int>(later.size()) - 1)]};
          auto r = start_op(c, w);
          checker.check(where("premature walk"));
          log("walk UD " + std::to_string(w.upgrade_domain) + " out of order -> "
              + std::to_string(r.status));
          if (r.status < 400)
            res.violations.push_back(where("premature walk") + ": walk of UD "
                                     + std::to_string(w.upgrade_domain) + " accepted while UD "
                                     + std::to_string(u.current_upgrade_domain)
                                     + " is next: " + status_text(u));
          else
            ++res.premature_walks_refused;
        }
        op_call w{"walk", "", std::nullopt, "", {}, u.current_upgrade_domain};
        auto r = start_op(c, w);
        checker.check(where("walk"));
        log("walk UD " + std::to_string(w.upgrade_domain) + " -> " + std::to_string(r.status)
            + (r.status == 202 ? "" : " " + r.body.dump()));
        if (r.status == 202)
          ++res.walks;
      }
    }
    if (plan_rollback && !rollback_issued && !u.rolling_back) {
      if (!rollback_due && u.current_state == model::upgrade_domain_state::during
          && static_cast<int>(u.walked.size()) >= rollback_after)
        rollback_due = c.now() + rollback_delay;
      bool reachable = true;
      for (auto& [n, info] : c.controller().nodes())
        reachable = reachable && info.up && c.alive(n) && !partitioned.count(n);
      if (rollback_due && c.now() >= *rollback_due
          && (reachable || !cfg.rollback_only_when_reachable)) {
        rollback_issued = true;
        op_call rb{"rollback", "", std::nullopt, "", {}, 0};
        if (u.mode == model::upgrade_mode::manual && !cfg.manual_rollback_in_manual)
          rb.mode = model::upgrade_mode::automatic;
        auto r = start_op(c, rb);
        checker.check(where("rollback"));
        log(std::string("rollback") + (rb.mode ? " (Auto)" : "") + " at " + status_text(u) + " -> " + std::to_string(r.status) + " "
            + r.body.dump());
        if (r.status == 202) {
          res.rolled_back = true;
          res.final_version = original;
          rollback_op = r.body.value("operation_id", std::string());
        }
      }
    }
  };

  // -- faults while the walk runs -----------------------------------------------------------
  auto names = c.node_names();
  auto pick = [&](const std::vector<std::string>& from) {
    return from[static_cast<size_t>(uniform(rng, 0, static_cast<int>(from.size()) - 1))];
  };
  std::map<std::string, ms> cut_at;  // when a node was killed or partitioned
  auto outage_over = [&](const std::string& n) {
    return c.now() - cut_at[n] >= cfg.min_outage;
  };
  auto inject = [&](bool disruptive_only) {
    std::vector<std::string> dead, reachable;
    for (auto& n : names) {
      if (!c.alive(n) && outage_over(n))
        dead.push_back(n);
      if (c.alive(n) && !partitioned.count(n))
        reachable.push_back(n);
    }
    // Keep more than half the nodes reachable (the deployment must fit) and,
    // with keep_every_fd, a reachable node in every FD.
    bool may_cut = static_cast<int>(reachable.size()) > shape.nodes / 2;
    std::vector<std::string> cuttable;
    for (auto& n : reachable) {
      int same_fd = 0;
      for (auto& o : reachable)
        same_fd += c.fault_domain_of(o) == c.fault_domain_of(n);
      if (!cfg.keep_every_fd || same_fd > 1)
        cuttable.push_back(n);
    }
    if (!may_cut)
      cuttable.clear();
    fault_kind k = chance(rng, 0.5) ? fault_kind::kill : fault_kind::partition;
    if (!disruptive_only) {
      // Weights: kill 3, restart 3, partition 2, heal 2; lossy: noisy 1, quiet 1.
      static const std::pair<fault_kind, int> weights[] = {
        {fault_kind::kill, 3}, {fault_kind::restart, 3}, {fault_kind::partition, 2},
        {fault_kind::heal, 2}, {fault_kind::noisy_network, 1}, {fault_kind::quiet_network, 1}};
      int r = uniform(rng, 0, cfg.lossy_network ? 11 : 9);
      for (auto& [kind, w] : weights)
        if ((r -= w) < 0) {
          k = kind;
          break;
        }
    }
    switch (k) {
      case fault_kind::kill:
        if (cuttable.empty())
          return;
        {
          auto n = pick(cuttable);
          c.kill_node(n);
          cut_at[n] = c.now();
          log("kill " + n);
        }
        break;
      case fault_kind::restart:
        if (dead.empty())
          return;
        {
          auto n = pick(dead);
          c.restart_node(n);
          log("restart " + n);
        }
        break;
      case fault_kind::partition:
        if (cuttable.empty())
          return;
        {
          auto n = pick(cuttable);
          c.partition_from_coordinator({n});
          cut_at[n] = c.now();
          partitioned.insert(n);
          log("partition " + n + " from the coordinator");
        }
        break;
      case fault_kind::heal:
        if (partitioned.empty()
            || !std::all_of(partitioned.begin(), partitioned.end(), outage_over))
          return;
        c.heal();
        partitioned.clear();
        log("heal partitions");
        break;
      case fault_kind::noisy_network: {
        std::uniform_real_distribution<double> u(0.0, 1.0);
        transport::fault_settings f{u(rng) * 0.2, u(rng) * 0.2, u(rng) * 0.3};
        c.set_faults(f);
        log("network drop=" + std::to_string(f.drop) + " duplicate=" + std::to_string(f.duplicate)
            + " reorder=" + std::to_string(f.reorder));
        break;
      }
      case fault_kind::quiet_network:
        c.set_faults({});
        log("network quiet");
        break;
    }
    ++res.faults[k];
  };

  auto fault_end = c.now() + cfg.fault_phase;
  // The first fault lands early in the walk (a crash or a partition).
  auto next_fault = c.now() + uniform_ms(rng, cfg.tick, ms(150));
  bool first = true;
  while (c.now() < fault_end) {
    if (c.now() >= next_fault) {
      inject(first);
      first = false;
      next_fault = c.now() + uniform_ms(rng, cfg.fault_gap_min, cfg.fault_gap_max);
    }
    operate();
    step("walk under faults");
  }

  // -- heal, then the walk must settle --------------------------------------------------------
  // Every cut lasts min_outage, the last ones too.
  for (auto& [n, t] : cut_at)
    while (!outage_over(n)) {
      operate();
      step("walk under faults");
    }
  c.set_faults({});
  c.heal();
  for (auto& n : names)
    if (!c.alive(n)) {
      c.restart_node(n);
      log("restart " + n + " (heal)");
    }
  log("faults stop");
  checker.check(where("heal"));
  bool done = false;
  for (auto end = c.now() + cfg.recover; c.now() < end;) {
    operate();
    if (settled(c, res.final_version, up.role, original).empty()) {
      done = true;
      break;
    }
    step("recover");
  }
  res.walk_took = c.now() - upgrade_began;
  res.replacements = c.controller().counters().replacements;
  if (!done)
    add_all(res.violations, settled(c, res.final_version, up.role, original),
            "settled: seed " + std::to_string(seed) + " " + at() + ", "
              + std::to_string(cfg.recover.count()) + " ms after the faults stopped");
  // The operations tell the operator what happened.
  auto expect_op = [&](const std::string& id, const char* what, const std::string& want) {
    auto got = op_state(c, id);
    if (got.rfind(want, 0) != 0)
      res.violations.push_back(std::string("operation: the ") + what + " " + id + " is " + got
                               + ", expected " + want);
  };
  if (done) {
    expect_op(upgrade_op, "upgrade", res.rolled_back ? "Failed" : "Succeeded");
    if (res.rolled_back)
      expect_op(rollback_op, "rollback", "Succeeded");
  }
  log((done ? "settled on " : "did not settle on ") + res.final_version + " (upgrade " + op_state(c, upgrade_op)
      + (rollback_op.empty() ? "" : ", rollback " + op_state(c, rollback_op)) + ")");
  if (!res.ok()) {
    c.keep_dir();
    res.kept_dir = c.dir().string();
  }
  return res;
}

} // namespace fabric::sim
