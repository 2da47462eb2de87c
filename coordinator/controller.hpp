#pragma once

// The controller: the only writer of the model. Plain C++ (no CAF): the
// controller actor (controller_actor.hpp) owns one and feeds it node events,
// instance reports, command results and API calls; it sends what the
// controller queued (take_outbound()) and answers API calls with api_result.
//
// State it owns:
// - the model, through a model_port (model_store over the journal in the
//   process, in memory in tests): every edit is committed durably BEFORE the
//   API answers;
// - observed instance states (memory only; RoleStateUnknown until a node
//   reports, e.g. after a coordinator restart), keyed by wire name
//   (reconcile.hpp);
// - the live node table (from the membership actor's node events);
// - operations: asynchronous API operations (deploy, delete, ...), each with
//   an id, a status (InProgress, Succeeded, Failed) and an error message.
//
// Operations are pure plans (plans.hpp): start_operation(request) builds the
// plan from the model and the inputs, then applies it: ONE commit_all of its
// edits (every operation is atomic in the journal), the commands queued only
// after that commit, their ids in op.pending; the plan's completion
// condition is checked after every report and command result. A failed
// command result fails the operation with the node's error. At most one
// operation in progress per (service, slot): another gets 409.
//
// No JSON, no HTTP here: requests and replies are the typed structs of
// requests.hpp; api_json.hpp (/fabric/v1) and the SM facade translate.
//
// Thread-safety: none (owned by one actor).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "coordinator/healing.hpp"
#include "coordinator/plans.hpp"
#include "coordinator/reconcile.hpp"
#include "coordinator/requests.hpp"
#include "model/edit.hpp"
#include "model/limits.hpp"
#include "model/result.hpp"
#include "model/upgrade_planner.hpp"
#include "protocol/messages.hpp"

namespace fabric::coordinator {

class image_catalog;
class upgrade_engine;  // upgrade_engine.hpp

/// The model and its durable edit log, as the controller sees it.
class model_port {
public:
  virtual ~model_port() = default;
  virtual const model::fabric_model& model() const = 0;
  /// Makes `edit` durable and applies it; on error nothing changed.
  virtual status commit(const model::model_edit& edit) = 0;
  /// Every edit in order, all or nothing, as one durable write where the
  /// port can (the default commits them one by one, stopping at an error).
  virtual status commit_all(const std::vector<model::model_edit>& edits) {
    for (auto& e : edits)
      if (auto st = commit(e); !st)
        return st;
    return ok_status();
  }
};

/// A model_port without durability (tests).
class memory_model_port : public model_port {
public:
  explicit memory_model_port(model::fabric_model m = {}) : model_(std::move(m)) {}
  const model::fabric_model& model() const override { return model_; }
  status commit(const model::model_edit& edit) override;
  /// All or nothing: the edits are applied to a copy first.
  status commit_all(const std::vector<model::model_edit>& edits) override;

private:
  model::fabric_model model_;
};

struct controller_config {
  /// Phase durations sent in every instance_spec unless a deployment
  /// overrides them ("create_vm", "start_vm", "start_role").
  std::map<std::string, uint32_t> phase_durations_ms{
    {"create_vm", 50}, {"start_vm", 50}, {"start_role", 50}};
  /// Operation ids are "<prefix>-<n>"; give each coordinator run its own
  /// prefix (e.g. the start time) so ids are not reused after a restart.
  std::string operation_prefix = "op";
  /// Seed of the RNG behind the reboot quirk (a reboot degenerates into a
  /// reimage with the deployment's probability); fabric-coordinator --seed.
  uint64_t seed = 0;
  /// The restart grace: after a coordinator (re)start, a node the model
  /// places instances on that has not registered within this time is treated
  /// as down (expire_unseen_nodes; the controller actor arms it once, at
  /// spawn); 0: never. No healing at all until every such node registered or
  /// this time passed (coordinator/healing.hpp). fabric-coordinator
  /// --restart-grace-ms.
  std::chrono::milliseconds unseen_node_grace{0};
  /// Detection is not healing: a down node's instances are re-placed only
  /// this long after it went down (coordinator/healing.hpp); 0: at once.
  /// fabric-coordinator --heal-delay-ms.
  std::chrono::milliseconds heal_delay{0};
  /// on_tick calls more than this apart mean the coordinator itself stalled:
  /// healing then waits unseen_node_grace again; 0: not checked.
  std::chrono::milliseconds stall_threshold{0};
  /// A start, migrate_in or remove that has had no instance_command_result
  /// for this long (a lost frame) is sent again, same id; 0: never. The
  /// controller actor calls resend_unanswered every half of it.
  std::chrono::milliseconds command_retry{0};
  /// In-place upgrade defaults (a request may override them; after a restart
  /// an upgrade in flight continues with these): per-instance timeout, what
  /// to do on a timeout, and the wait between two UDs in Auto mode.
  std::chrono::milliseconds upgrade_timeout = std::chrono::minutes(30);
  model::timeout_action upgrade_on_timeout = model::timeout_action::proceed;
  std::chrono::milliseconds upgrade_domain_wait{0};
  /// Instance counts one request may ask for (plan_support.hpp: over_limits).
  model::count_limits limits;
};

/// A node as the controller sees it.
struct node_info {
  std::string name;
  int fault_domain = 0;
  int capacity = 0;
  std::string peer;  ///< transport peer id for commands
  uint64_t epoch = 0;
  bool up = true;
};

/// What a node reported about one instance.
struct observed_instance {
  model::instance_state state = model::instance_state::role_state_unknown;
  std::string version;
  std::string endpoint;
  std::string node;
};

/// A command ready to go on the wire.
struct outbound_command {
  std::string peer;
  std::string node;
  protocol::instance_command command;
};

class controller;

struct operation {
  std::string id;
  std::string kind;
  std::string service;
  model::slot in_slot = model::slot::production;
  op_status status = op_status::in_progress;
  std::string error;
  std::set<uint64_t> pending;  ///< command ids not answered yet
  /// When start_operation accepted it, and when a check first saw it finished
  /// (metrics: operation durations; epoch while unset).
  std::chrono::steady_clock::time_point started_at{};
  std::chrono::steady_clock::time_point finished_at{};
  /// Success condition (checked once `pending` is empty).
  completion done;
};

struct controller_counters {
  uint64_t commands_sent = 0;
  uint64_t commands_failed = 0;
  uint64_t commands_resent = 0;    ///< by resend_unanswered (lost frames)
  uint64_t replacements = 0;       ///< instances re-placed by service healing
  uint64_t reports_ignored = 0;    ///< from a node that does not host the instance
  uint64_t nodes_healed = 0;       ///< down nodes whose instances healing re-placed
  /// Healing re-placed a role's instances onto a single fault domain while
  /// the role had instances in others (no room left elsewhere): spread lost
  /// until plan_spread_restore moves them back.
  uint64_t fault_domain_spread_lost = 0;
};

class controller {
public:
  /// `images` may be null (then no image name resolves). REQUIRES: `store`
  /// and `images` outlive the controller.
  controller(model_port& store, const image_catalog* images, controller_config cfg = {});
  ~controller();

  // -- node events (from the membership actor) -------------------------------
  void on_node_up(const node_info& n, const std::vector<protocol::held_instance>& held);
  /// Marks its instances unknown (out of rotation) at once; they are
  /// re-placed only once healing is due (heal_due).
  void on_node_down(const std::string& name);
  void on_node_down(const std::string& name, std::chrono::steady_clock::time_point now);
  void on_instance_statuses(const std::string& node,
                            const std::vector<protocol::instance_status>& statuses);
  void on_report(const std::string& peer, const protocol::instance_report& r);
  void on_command_result(const std::string& peer, const protocol::instance_command_result& r);
  /// The restart grace is over: every node the model places an instance on
  /// that has not registered since this controller started is treated as
  /// down (recorded as a down node, its instances healed onto live nodes).
  /// Returns those nodes' names (name order).
  std::vector<std::string> expire_unseen_nodes();
  std::vector<std::string> expire_unseen_nodes(std::chrono::steady_clock::time_point now);
  /// Heals the down nodes whose heal delay has passed (coordinator/healing.hpp;
  /// on_tick calls it); returns their names.
  std::vector<std::string> heal_due(std::chrono::steady_clock::time_point now);
  /// Down nodes waiting for healing, with when they went down.
  const std::map<std::string, std::chrono::steady_clock::time_point>& down_since() const {
    return down_since_;
  }
  /// Sends again every start / migrate_in / remove that has waited for its
  /// result for at least `timeout` (first seen unanswered by an earlier
  /// call), to the node's current peer, unless the node is down or (start,
  /// migrate_in) the model no longer places the instance there. Returns how
  /// many were queued. `now` is any steady clock (the actor's).
  std::size_t resend_unanswered(std::chrono::steady_clock::time_point now,
                                std::chrono::milliseconds timeout);

  // -- API (typed; the edges render) -----------------------------------------
  /// 201: the new service's view; 400 bad name, 409 name taken.
  outcome<service_view> create_service(const create_service_request& r);
  std::vector<service_view> list_services() const;
  outcome<service_view> get_service(const std::string& name) const;
  /// The deleted name; 409 while it has a deployment.
  outcome<std::string> delete_service(const std::string& name);
  /// Every instance merged with its observed state.
  outcome<deployment_view> get_deployment(const std::string& service,
                                          const std::string& slot) const;
  outcome<configuration_view> get_configuration(const std::string& service,
                                                const std::string& slot) const;
  outcome<operation_view> get_operation(const std::string& id) const;
  std::vector<operation_view> list_operations() const;

  /// Plans the operation (plans.hpp) and applies the plan: one commit_all,
  /// then its commands. The refusal changes nothing (409 when the slot is
  /// busy; the plan's error otherwise).
  outcome<operation_accepted> start_operation(const operation_request& r);
  /// What the plans see besides the model (live nodes, images, operations in
  /// progress, the upgrade engine's state, the reboot draw).
  plan_inputs inputs(double reboot_draw = 1.0) const;
  /// Applies a plan of the current model: exactly one commit_all of its
  /// edits (nothing else is committed), then the superseded operations fail,
  /// the upgrade engine takes over, the observed states are forgotten and the
  /// commands are queued. A failed commit changes nothing (500).
  outcome<operation_accepted> apply(op_plan plan);
  /// True when the operation's success condition holds.
  bool completed(const completion& c) const;
  /// The operation in progress on the slot, or null.
  operation* running_operation(const std::string& service, model::slot s);
  operation* find_operation(const std::string& id);

  /// Upgrade work (the actor calls it after reports and API calls, and at
  /// upgrades().next_deadline()): the in-place upgrades in flight
  /// (upgrade_engine.hpp), then operation checks. `now`: the clock below.
  void on_tick(std::chrono::steady_clock::time_point now);
  /// The liveness beat (the actor calls it every liveness_interval(), a
  /// fixed short period, whatever else happens): a gap of more than
  /// config().stall_threshold since the previous beat means the coordinator
  /// itself stalled (healing then waits the restart grace again); down nodes
  /// whose heal delay is over are healed. Upgrade ticks are event- and
  /// deadline-driven, so they cannot serve as this beat.
  void on_liveness(std::chrono::steady_clock::time_point now);
  /// The period of on_liveness: a quarter of the stall threshold, at most
  /// 250 ms.
  std::chrono::milliseconds liveness_interval() const {
    auto quarter = config_.stall_threshold / 4;
    return quarter.count() > 0 && quarter < std::chrono::milliseconds(250)
             ? quarter
             : std::chrono::milliseconds(250);
  }
  /// The clock of operation timestamps (started_at, finished_at) and of the
  /// restart window (healing.hpp), which starts again at the new clock's now:
  /// the controller actor sets its actor clock (CAF's test clock in actor
  /// tests) at spawn, before any event. Default: std::chrono::steady_clock::now.
  void set_clock(std::function<std::chrono::steady_clock::time_point()> clock) {
    clock_ = std::move(clock);
    started_at_ = clock_();
  }
  upgrade_engine& upgrades() { return *upgrades_; }
  const upgrade_engine& upgrades() const { return *upgrades_; }

  // -- for operation functions -------------------------------------------------
  const model::fabric_model& model() const { return store_.model(); }
  status commit(const model::model_edit& edit);
  /// model_port::commit_all: the edits of one step (e.g. the instances of an
  /// upgrade domain) as one durable write.
  status commit_all(const std::vector<model::model_edit>& edits);
  /// Queues a command for the instance's node (when it is up); returns its id,
  /// 0 when the node is not up (nothing sent).
  uint64_t send(const planned_command& c);
  const observed_instance* observed(const std::string& wire) const;
  void forget_observed(const std::string& wire);
  const std::map<std::string, node_info>& nodes() const { return nodes_; }
  std::vector<model::node_capacity> live_capacity() const;
  const image_catalog* images() const { return images_; }
  /// Per-deployment phase durations (the config's, overridden by the
  /// deployment's request; memory only).
  std::map<std::string, uint32_t>& phases_for(const std::string& deployment);
  const controller_config& config() const { return config_; }
  const controller_counters& counters() const { return counters_; }
  /// The seeded RNG (config().seed) the reboot quirk draws from.
  std::mt19937_64& rng() { return rng_; }
  /// Every operation of this run, by id; and every observed state, by wire
  /// name (read-only views for the metrics exporter, coordinator/metrics_bridge.hpp).
  const std::map<std::string, operation>& operations() const { return operations_; }
  const std::map<std::string, observed_instance>& observed_states() const { return observed_; }
  /// The operation kinds, sorted (the metrics create their series at 0 up
  /// front, so the first operation of a kind is counted).
  std::vector<std::string> operation_kinds() const { return coordinator::operation_kinds(); }

  /// True when every instance of the deployment is observed ReadyRole.
  bool all_ready(const std::string& service, model::slot s) const;

  /// The commands queued since the last call.
  std::vector<outbound_command> take_outbound();

private:
  void check_operations();
  upgrade_view upgrade_view_of(const model::deployment& d) const;
  void heal(const std::vector<std::string>& down);
  void record_status(const std::string& node, const std::string& wire, const std::string& state,
                     const std::string& version, const std::string& endpoint);
  std::string node_of_peer(const std::string& peer) const;

  model_port& store_;
  const image_catalog* images_;
  controller_config config_;
  std::map<std::string, node_info> nodes_;
  std::map<std::string, observed_instance> observed_;
  std::map<std::string, std::map<std::string, uint32_t>> phases_;
  std::unique_ptr<upgrade_engine> upgrades_;
  std::map<std::string, operation> operations_;
  std::map<uint64_t, std::string> command_op_;  ///< command id -> operation id
  std::map<uint64_t, std::string> command_node_;  ///< unanswered command id -> node
  struct unanswered_command {
    outbound_command out;
    std::optional<std::chrono::steady_clock::time_point> seen;  ///< by resend_unanswered
  };
  std::map<uint64_t, unanswered_command> unanswered_;  ///< retryable kinds only
  std::vector<outbound_command> outbound_;
  // Healing (coordinator/healing.hpp): when this controller started, when
  // every node the model names had registered, the last stall, down nodes.
  std::chrono::steady_clock::time_point started_at_ = std::chrono::steady_clock::now();
  bool all_registered_ = false;
  std::chrono::steady_clock::time_point all_registered_at_{};
  std::optional<std::chrono::steady_clock::time_point> last_beat_, last_stall_end_;
  std::map<std::string, std::chrono::steady_clock::time_point> down_since_;
  uint64_t next_command_ = 1;
  uint64_t next_op_ = 1;
  controller_counters counters_;
  std::mt19937_64 rng_;
  std::function<std::chrono::steady_clock::time_point()> clock_ = [] {
    return std::chrono::steady_clock::now();
  };
};

} // namespace fabric::coordinator
