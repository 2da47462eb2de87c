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
// Operations are a table (register_operation): an operation function
// validates its request WITHOUT changing anything (an api_result >= 400 is
// returned as is), then commits edits (commit()), queues commands (send())
// whose ids it adds to op.pending, and sets op.done, the success predicate
// checked after every report and command result. A failed command result
// fails the operation with the node's error. At most one operation in
// progress per (service, slot): another gets 409.
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

#include <nlohmann/json.hpp>

#include "coordinator/reconcile.hpp"
#include "model/edit.hpp"
#include "model/limits.hpp"
#include "model/result.hpp"
#include "model/upgrade_planner.hpp"
#include "protocol/messages.hpp"

namespace fabric::coordinator {

class image_catalog;
class upgrade_engine;  // upgrade_ops.hpp

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

private:
  model::fabric_model model_;
};

/// What the API answers: an HTTP status and a JSON body.
struct api_result {
  int status = 200;
  nlohmann::json body;
};

/// {"error": {"code": code, "message": message}} with `status`.
api_result api_error(int status, const std::string& code, const std::string& message);

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
  /// After a coordinator (re)start, a node the model places instances on
  /// that has not registered within this time is treated as down (its
  /// instances are healed); 0: never. fabric-coordinator sets the detection
  /// timeout (k+1)*H. The controller actor arms it once, at spawn.
  std::chrono::milliseconds unseen_node_grace{0};
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
  /// Instance counts one request may ask for (coordinator/request_limits.hpp).
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

enum class op_status { in_progress, succeeded, failed };

/// "InProgress", "Succeeded", "Failed".
const char* to_string(op_status s);

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
  /// Success predicate (checked once `pending` is empty); null: success as
  /// soon as `pending` is empty.
  std::function<bool(const controller&)> done;
};

/// The request of an operation.
struct operation_request {
  std::string service;
  std::string slot;          ///< as given in the URL (validated by the op)
  std::string body;          ///< raw request body
};

struct controller_counters {
  uint64_t commands_sent = 0;
  uint64_t commands_failed = 0;
  uint64_t commands_resent = 0;    ///< by resend_unanswered (lost frames)
  uint64_t replacements = 0;       ///< instances re-placed by service healing
  uint64_t reports_ignored = 0;    ///< from a node that does not host the instance
};

class controller {
public:
  using operation_fn
    = std::function<api_result(controller&, operation&, const operation_request&)>;

  /// `images` may be null (then no image name resolves). REQUIRES: `store`
  /// and `images` outlive the controller.
  controller(model_port& store, const image_catalog* images, controller_config cfg = {});
  ~controller();

  // -- node events (from the membership actor) -------------------------------
  void on_node_up(const node_info& n, const std::vector<protocol::held_instance>& held);
  void on_node_down(const std::string& name);
  void on_instance_statuses(const std::string& node,
                            const std::vector<protocol::instance_status>& statuses);
  void on_report(const std::string& peer, const protocol::instance_report& r);
  void on_command_result(const std::string& peer, const protocol::instance_command_result& r);
  /// The restart grace is over: every node the model places an instance on
  /// that has not registered since this controller started is treated as
  /// down (recorded as a down node, its instances healed onto live nodes).
  /// Returns those nodes' names (name order).
  std::vector<std::string> expire_unseen_nodes();
  /// Sends again every start / migrate_in / remove that has waited for its
  /// result for at least `timeout` (first seen unanswered by an earlier
  /// call), to the node's current peer, unless the node is down or (start,
  /// migrate_in) the model no longer places the instance there. Returns how
  /// many were queued. `now` is any steady clock (the actor's).
  std::size_t resend_unanswered(std::chrono::steady_clock::time_point now,
                                std::chrono::milliseconds timeout);

  // -- API --------------------------------------------------------------------
  api_result create_service(const std::string& body);
  api_result list_services() const;
  api_result get_service(const std::string& name) const;
  api_result delete_service(const std::string& name);
  api_result get_deployment(const std::string& service, const std::string& slot) const;
  api_result get_operation(const std::string& id) const;
  api_result list_operations() const;

  /// Runs operation `kind` from the table: 202 {"operation_id": ...}, or the
  /// op's error (nothing changed), 409 when the slot is busy, 400 for an
  /// unknown kind.
  api_result start_operation(const std::string& kind, const operation_request& req);
  /// `checks_conflicts`: the op itself decides whether it may run beside an
  /// operation in progress on the slot (rollback, walk, an upgrade over a
  /// stuck one); start_operation then skips its 409 check.
  void register_operation(const std::string& kind, operation_fn fn,
                          bool checks_conflicts = false);
  /// The operation in progress on the slot, or null.
  operation* running_operation(const std::string& service, model::slot s);
  operation* find_operation(const std::string& id);

  /// Periodic work (the actor calls it every ~20 ms and after reports): the
  /// in-place upgrades in flight (upgrade_ops.hpp), then operation checks.
  void on_tick(std::chrono::steady_clock::time_point now);
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
  /// The kinds of the operation table, sorted (the metrics create their
  /// series at 0 up front, so the first operation of a kind is counted).
  std::vector<std::string> operation_kinds() const {
    std::vector<std::string> out;
    for (auto& [kind, fn] : op_table_)
      out.push_back(kind);
    return out;
  }

  /// True when every instance of the deployment is observed ReadyRole.
  bool all_ready(const std::string& service, model::slot s) const;

  /// The commands queued since the last call.
  std::vector<outbound_command> take_outbound();

private:
  void check_operations();
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
  std::map<std::string, operation_fn> op_table_;
  std::set<std::string> self_checking_ops_;
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
  uint64_t next_command_ = 1;
  uint64_t next_op_ = 1;
  controller_counters counters_;
  std::mt19937_64 rng_;
};

/// Registers the built-in operations: "deploy" and "delete_deployment".
/// (controller_ops.cpp; further operations go beside them.)
void register_builtin_operations(controller& c);

/// The GET body of one deployment (the model merged with observed states).
nlohmann::json deployment_json(const controller& c, const model::hosted_service& svc,
                               const model::deployment& d);

} // namespace fabric::coordinator
