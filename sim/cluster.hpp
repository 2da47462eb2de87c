#pragma once

// The simulation tier: one coordinator (controller, membership and image
// server actors) and N node agents (node actor, instance manager, one
// instance actor per instance, real disks under a temp dir, no HTTP ports) in
// ONE CAF actor system on CAF's deterministic test scheduler, talking over
// transport::inmem_network. Time is simulated: step() advances the scheduler
// clock by one tick, runs every actor and delivers every frame in flight
// (faults decided by the network's seeded RNG), until nothing moves. A run is
// a pure function of the seed and of the calls made on the cluster, so a
// failing seed replays exactly.
//
//   cluster ──step()──> test_coordinator.advance_time(tick) + run()
//      │                inmem_network.deliver_all() (drop / duplicate / reorder /
//      │                partition) -> endpoint -> transport_bridge::dispatch
//      │                (no bridge threads) -> actor mailboxes -> run() ...
//      └── faults: kill_node / restart_node (same data dir), partition / heal,
//          set_faults; checks read the controller and the nodes' boards directly
//          (single-threaded, between steps).
//
// Node names are "n0".."n<N-1>", node i in fault domain i % fault_domains;
// a node's transport peer id is its name; the coordinator's is "coordinator".
// Every node's image store is preloaded with the deployment's base image
// (a node cache), so no image transfer runs under faults.
//
// Seeds: seed_from_env() reads FABRIC_SIM_SEED (replay one seed).
//
// Thread-safety: none; one test thread drives everything.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "coordinator/api_json.hpp"  // api_result
#include "coordinator/controller.hpp"
#include "transport/inmem_transport.hpp"

namespace fabric::sim {

using ms = std::chrono::milliseconds;

struct sim_config {
  uint64_t seed = 1;
  int nodes = 6;
  int fault_domains = 3;
  uint32_t capacity = 20;      ///< instances per node
  ms heartbeat{100};           ///< H
  int missed_heartbeats = 3;   ///< k
  ms tick{10};                 ///< simulated time per step()
  /// Phase durations sent to nodes (coordinator default).
  std::map<std::string, uint32_t> phase_ms{
    {"create_vm", 20}, {"start_vm", 20}, {"start_role", 20}};
  /// Where disks and the coordinator's images live; a fresh temp dir under
  /// scratch_base() when empty (removed by the destructor unless keep_dir()).
  std::filesystem::path dir;
  /// Journal the model in a real journal::model_store (SQLite in
  /// journal_dir(), sync off, not locked, a snapshot every
  /// `journal_snapshot_every` commits) instead of in memory, so that a
  /// workload can replay it (journal::model_store::open) and compare.
  bool journaled = false;
  int journal_snapshot_every = 40;
  /// Further images, each a distinct tree named after the image, in the
  /// coordinator's catalog and preloaded on every node (upgrade targets).
  std::vector<std::string> extra_images;
};

/// FABRIC_SIM_SEED when set (replay), else `fallback`.
std::optional<uint64_t> seed_from_env();

/// Where a cluster makes its temp dir: FABRIC_SIM_TMPDIR when set, else
/// /dev/shm when writable (RAM: the simulated disks and journal need no
/// durability, and a disk-backed /tmp made 200 upgrade seeds 10x slower),
/// else TMPDIR, else /tmp.
std::string scratch_base();

class cluster {
public:
  /// Starts the coordinator and every node; nothing has run yet (call
  /// run_until or run_for). REQUIRES: nodes >= 1, fault_domains >= 1.
  explicit cluster(sim_config cfg);
  ~cluster();
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  // -- time -------------------------------------------------------------------
  /// One tick: advance the clock, run actors, deliver frames until quiet.
  void step();
  void run_for(ms d);
  /// Steps until `pred` holds (checked after each step) or `limit` passes.
  bool run_until(const std::function<bool()>& pred, ms limit);
  /// Simulated time since start.
  ms now() const { return now_; }

  // -- faults -----------------------------------------------------------------
  /// Stops the node's actors at once (like kill -9): its endpoint leaves the
  /// network; its disks stay.
  void kill_node(const std::string& name);
  /// Starts a killed node again over the same data dir (clean_leftovers,
  /// registers with what it holds).
  void restart_node(const std::string& name);
  bool alive(const std::string& name) const;
  /// Cuts the links between the coordinator and `nodes` (both ways).
  void partition_from_coordinator(const std::set<std::string>& nodes);
  void partition(const std::set<std::string>& a, const std::set<std::string>& b);
  /// Removes every partition.
  void heal();
  void set_faults(const transport::fault_settings& f);
  transport::inmem_stats network_stats() const;
  std::mt19937_64& rng() { return rng_; }

  // -- the coordinator ----------------------------------------------------------
  /// Runs `fn` on the controller actor (like an API call) and runs the
  /// system until idle; returns what it answered.
  coordinator::api_result api(std::function<coordinator::api_result(coordinator::controller&)> fn);
  /// Creates service `service` and deploys `csdef`/`cscfg` in production as
  /// deployment `name` with the preloaded image; returns the deploy answer.
  coordinator::api_result deploy(const std::string& service, const std::string& name,
                                 const std::string& csdef, const std::string& cscfg);
  /// The controller, read between steps (do not keep references across steps).
  const coordinator::controller& controller() const { return *core_; }

  // -- the nodes ----------------------------------------------------------------
  std::vector<std::string> node_names() const;
  int fault_domain_of(const std::string& node) const;
  /// The node's last reported instance states (empty when it is dead).
  std::vector<protocol::instance_status> instances_on(const std::string& node) const;
  /// Writes a report into a live node's state board as if its instance had
  /// sent it (state "" forgets it): for tests of the checkers.
  void inject_report(const std::string& node, const protocol::instance_report& r);
  /// Instance names whose disks are on the node's data dir.
  std::set<std::string> on_disk(const std::string& node) const;

  const sim_config& config() const { return cfg_; }
  /// The journal's data directory (journal::model_store::open it with
  /// exclusive = false); empty unless config().journaled.
  std::filesystem::path journal_dir() const;
  const std::filesystem::path& dir() const { return cfg_.dir; }
  /// Keeps the temp dir after destruction (for a failing seed).
  void keep_dir() { keep_dir_ = true; }

private:
  struct impl;
  struct sim_node;
  void start_node(sim_node& n);
  void deliver();

  sim_config cfg_;
  std::unique_ptr<impl> impl_;
  std::shared_ptr<coordinator::controller> core_;
  std::mt19937_64 rng_;
  ms now_{0};
  bool keep_dir_ = false;
  bool own_dir_ = false;
};

/// States in which an instance serves (its port is open on a real node).
bool serving(const std::string& state);

/// Invariant checks over a cluster; each returns human-readable violations
/// (empty: holds).
struct invariants {
  /// Safety, at any moment: no instance serves on two live nodes at once.
  static std::vector<std::string> no_instance_serves_twice(const cluster& c);
  /// Every model instance is placed on exactly one node that is alive and up
  /// at the controller, and only that node serves it.
  static std::vector<std::string> placed_once_on_a_live_node(const cluster& c);
  /// Every instance observed ReadyRole by the controller and reported
  /// ReadyRole by its node.
  static std::vector<std::string> all_ready(const cluster& c);
  /// The model's FD rules: every instance's FD is its node's FD, and a role
  /// with >= 2 instances spans >= 2 FDs when >= 2 FDs have live nodes.
  static std::vector<std::string> fault_domains_spread(const cluster& c);
};

} // namespace fabric::sim
