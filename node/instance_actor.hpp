#pragma once

// One actor per role instance on this node: drives the instance through the
// lifecycle of model/lifecycle.hpp (one phase at a time, each lasting the
// spec's phase_durations_ms), carries out every disk effect through
// model::disk_rule mapped onto disk::instance_disks::apply, serves the
// instance's HTTP port while it runs, and reports every state change.
//
//   instance_command (from the instance manager, a request)
//        │ model::transition(state, event)        refused → {ok=false, why}
//        │ disk: model::disk_rule(op) → disk_action → instance_disks::apply
//        ▼
//   state ─(delayed phase_elapsed)→ next state ─ ... → ReadyRole
//        │ every change: report(instance_report), board updated by the caller
//        │ StartingRole/ReadyRole/BusyRole: HTTP port open (http_ports)
//        ▼ otherwise: port closed
//
// Messages the actor handles:
//   protocol::instance_command  -> instance_command_result (accepted or why not)
//   guest_op                    -> guest restart / shutdown (from its HTTP port),
//                                  carried out after phase "guest_op"
//   fence_msg{true}             -> port closed, instance walked to StoppedVM at
//                                  once (the node lost the coordinator)
//   phase_elapsed               -> the current phase is over (self-sent; stale
//                                  ones, from before a later change, are ignored)
//
// Phase names in phase_durations_ms (default in ms): create_vm (10),
// start_vm (10), start_role (10), restart_role (10), stop_role (10),
// stop_vm (10), abort_restart (1000), guest_op (50).
//
// Thread-safety: the actor's state is its own; `instance_shared` is shared
// with the HTTP handler (loop thread of http_ports) and guarded by its mutex.
// The actor never holds that mutex while it opens or closes a port.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <caf/actor_addr.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/stateful_actor.hpp>

#include "model/disk_rule.hpp"
#include "model/instance_state.hpp"
#include "model/lifecycle.hpp"
#include "images/image_store.hpp"
#include "node/disk/instance_disks.hpp"
#include "node/endpoints/http_ports.hpp"
#include "node/lease.hpp"
#include "protocol/messages.hpp"

namespace fabric::node {

/// A guest operation requested from inside the instance (its HTTP port).
/// The actor carries it out `guest_op` ms (phase_durations_ms, default 50)
/// after it arrives: the guest OS takes a moment to go down, and the HTTP
/// answer to the request goes out before the port closes.
struct guest_op {
  bool shutdown = false; ///< false: restart
  bool due = false;      ///< set on the delayed copy the actor sends itself
};

/// The node lost (true) or regained (false) its coordinator.
struct fence_msg {
  bool fenced = false;
};

/// Self-sent when a phase is over.
struct phase_elapsed {
  uint64_t generation = 0;
  model::lifecycle_event event = model::lifecycle_event::vm_created;
};

/// What every instance actor of a node shares. REQUIRES: `ports` (when set)
/// outlives every instance actor; `report` is thread-safe.
struct instance_env {
  std::filesystem::path data_dir;
  std::string host = "127.0.0.1";  ///< where instance ports are bound
  http_ports* ports = nullptr;     ///< null: no HTTP (tests)
  /// Called on every state change, and with state "" when the instance is
  /// removed (the caller forgets it then; nothing goes on the wire for that).
  std::function<void(const protocol::instance_report&)> report;
  /// The node's lease (node/lease.hpp): while it is not valid, every request
  /// on an instance port is answered 503 before the instance sees it (a node
  /// out of contact with the coordinator serves nothing). Null: always serve.
  std::shared_ptr<const lease> serving;
};

/// The part of an instance that its HTTP handler sees. Guarded by `mtx`.
struct instance_shared {
  std::mutex mtx;
  std::optional<disk::instance_disks> disks;
  protocol::instance_spec spec;
  model::instance_state state = model::instance_state::creating_vm;
  bool exists = false;  ///< false before the first command and after remove
  caf::actor_addr actor; ///< where guest operations go
  int open_port = 0;     ///< the actor's thread only (closed when it exits)
};

/// The OS layer and local storage decided by `fate`, as a disk action.
/// `rebase_digest` non-empty: a reset OS layer goes onto that image instead.
/// Only resources the instance has (`present`) are named.
disk::disk_action to_disk_action(const model::disk_fate& fate, const std::string& rebase_digest,
                                 const std::vector<std::string>& present);

/// The role definition model::disk_rule needs, from a wire spec.
model::role_definition role_of(const protocol::instance_spec& spec);

/// phase_durations_ms[name], or `fallback` when absent.
std::chrono::milliseconds phase_duration(const protocol::instance_spec& spec,
                                         const std::string& name,
                                         std::chrono::milliseconds fallback);

/// Where the instance's spec is kept on disk (for what it held after a
/// restart): <data>/specs/<name>.spec (msgpack).
std::filesystem::path spec_file(const std::filesystem::path& data_dir, const std::string& name);
status save_spec(const std::filesystem::path& data_dir, const protocol::instance_spec& spec);
std::optional<protocol::instance_spec> load_spec(const std::filesystem::path& data_dir,
                                                 const std::string& name);

struct instance_actor_state {
  explicit instance_actor_state(caf::local_actor*) {}

  std::string name;
  std::shared_ptr<const instance_env> env;
  std::shared_ptr<instance_shared> shared = std::make_shared<instance_shared>();
  model::instance_state state = model::instance_state::creating_vm;
  bool exists = false;
  uint64_t generation = 0;
  int port = 0;       ///< open port, 0 when closed
  int last_port = 0;  ///< tried first when the port opens again
  /// Schedules `msg` to self after `d` (set by the behavior).
  std::function<void(std::chrono::milliseconds, phase_elapsed)> schedule;

  /// Carries out a command (the logic behind the actor's handler).
  protocol::instance_command_result on_command(const protocol::instance_command& cmd);
  /// A guest restart (false) or shutdown (true); error when not running.
  status on_guest(bool shutdown);
  /// The end of a phase; stale generations are ignored.
  void on_phase(const phase_elapsed& p);
  /// Fencing: close the port and walk to StoppedVM at once.
  void on_fence();

private:
  status fire(model::lifecycle_event ev, std::optional<model::disk_operation> op,
              const std::string& rebase_digest = {});
  status disk_effect(model::disk_operation op, const std::string& rebase_digest);
  status create_fresh(const protocol::instance_spec& spec, model::disk_operation op);
  status adopt(const protocol::instance_spec& spec);
  void enter(model::instance_state next);
  void schedule_phase();
  void update_port();
  void report();
  std::string endpoint() const;
};

/// Spawn with `sys.spawn(instance_actor, env, name)`.
caf::behavior instance_actor(caf::stateful_actor<instance_actor_state>* self,
                             std::shared_ptr<const instance_env> env, std::string name);

/// The instance's HTTP API (runs on the http_ports loop thread):
///   GET  /role-environment          JSON: ids, role, UD/FD, deployment, settings,
///                                   local resources (path, quota, used)
///   GET  /health                    200 in ReadyRole, 503 otherwise ({"state":..})
///   GET|PUT|DELETE /disk/os/<path>  the OS disk (merged view); GET of a
///                                   directory lists it
///   GET|PUT|DELETE /disk/local/<resource>/<path>
///   POST /guest/restart, /guest/shutdown  202, handed to the actor
/// Errors: 400 bad path (or other refusal), 404 missing file / unknown
/// route, 405 method, 409 guest op not allowed now, 507 local storage quota.
/// Bodies of errors are {"error": message}.
http_response serve_instance(instance_shared& shared, const http_request& req);

} // namespace fabric::node

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::node::guest_op)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::node::fence_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fabric::node::phase_elapsed)
