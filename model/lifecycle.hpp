#pragma once

// The role instance state machine as one pure transition function: (state,
// event) -> next state plus the effects the instance's actor must carry out,
// in order, or an error when the event is not allowed in that state. Pure;
// thread-safe (no shared state). What the effects do to the disks is
// disk_rule.hpp's business; the effects here name the mechanics.
//
//                deploy (create_vm_from_base, wipe_local_storage)
//                  |
//                  v        vm_created            vm_started
//   reimage ---> CreatingVM ----------> StartingVM ----------> StartingRole <-----------+
//   rebuild        ^                      ^     (start_vm)     |  (start_role)          |
//   upgrade        |                      |                    | role_started /         |
//   relocate ------+                      |                    | role_ready             |
//                                         |                    v                        |
//   start (StoppedVM) --------------------+       role_busy  ReadyRole <-> BusyRole     |
//   abort_restart_elapsed (Aborted) ------+                    |  role_ready            |
//                                                              |                        |
//     reboot / reboot_degenerated / guest_restart              |                        |
//     ReadyRole,BusyRole,... ---------------> RestartingRole --+-- vm_started ----------+
//                                                              |
//     guest_shutdown ----> Aborted (schedule_restart_after_delay)
//     role_crashed  -----> CyclingRole (start_role) -- role_started/role_ready --> ReadyRole
//     start_failed  -----> FailedStartingRole (schedule_restart_after_delay)
//                             -- abort_restart_elapsed --> StartingRole (start_role)
//     vm_start_failed ---> FailedStartingVM   (reboot / reimage / rebuild recover it)
//     heartbeat_lost ----> UnresponsiveRole   (role_ready recovers; reboot by the fabric)
//     node_lost ---------> RoleStateUnknown   (role_ready / vm_started recover; relocate heals)
//
//     stop:  running states --(stop_role)--> StoppingRole --role_stopped (stop_vm)-->
//            StoppingVM --vm_stopped--> StoppedVM --start (start_vm)--> StartingVM
//     delete: any state --> removed (stop_role when running, destroy_vm)
//
// "Running states" below are StartingRole, ReadyRole, BusyRole, CyclingRole,
// FailedStartingRole and UnresponsiveRole: the VM runs and the role host is up.

#include <string>
#include <vector>

#include "model/instance_state.hpp"
#include "model/result.hpp"

namespace fabric::model {

enum class lifecycle_event {
  deploy,                ///< the instance is created (a new deployment, a scale-out)
  vm_created,            ///< the VM exists (differencing disk over the base image)
  vm_started,            ///< the VM booted (also: a reboot finished)
  role_started,          ///< the role host started and serves
  role_busy,             ///< the role reports itself busy
  role_ready,            ///< the role reports itself ready (also: recovery from unknown)
  reboot,                ///< operator reboot (API / console)
  reboot_degenerated,    ///< operator reboot that behaves as a reimage (the field quirk)
  reimage,               ///< operator reimage
  rebuild,               ///< operator rebuild (reimage that wipes local storage too)
  guest_restart,         ///< restart from inside the guest OS
  guest_shutdown,        ///< shutdown from inside the guest OS
  abort_restart_elapsed, ///< the delay of schedule_restart_after_delay elapsed
  stop,                  ///< deployment suspend
  role_stopped,          ///< the role host stopped (during a stop)
  vm_stopped,            ///< the VM shut down (during a stop)
  start,                 ///< deployment resume
  upgrade,               ///< in-place upgrade of this instance
  remove,                ///< the instance is deleted (deployment delete, scale-in)
  node_lost,             ///< the hosting node is unreachable
  relocate,              ///< service healing: recreate on another node
  heartbeat_lost,        ///< the role stopped heartbeating
  role_crashed,          ///< the role host process exited
  start_failed,          ///< the role failed to start
  vm_start_failed,       ///< the VM failed to be created or to boot
};

constexpr int lifecycle_event_count = 25;

/// The enumerator's name, e.g. "guest_shutdown". `remove` is spelled "delete".
const char* to_string(lifecycle_event e);

enum class lifecycle_effect {
  create_vm_from_base,         ///< (re)create the OS differencing layer from the base image
  wipe_local_storage,          ///< every local storage resource starts empty
  wipe_clean_on_recycle_local_storage, ///< wipe the resources with cleanOnRoleRecycle=true
  start_vm,
  stop_vm,                     ///< shut the VM down, disks kept
  start_role,
  stop_role,
  destroy_vm,                  ///< delete the VM with its OS layer and local storage
  schedule_restart_after_delay, ///< fire abort_restart_elapsed later (the fabric's own delay)
};

/// The enumerator's name, e.g. "create_vm_from_base".
const char* to_string(lifecycle_effect e);

struct transition_result {
  instance_state next = instance_state::creating_vm;
  std::vector<lifecycle_effect> effects; ///< to carry out in this order
  bool removed = false; ///< the instance no longer exists (delete); `next` is meaningless
};

/// The transition from `state` on `event`. Errors say which event was refused
/// in which state and why, e.g. "reboot is not allowed in state StoppedVM: the
/// deployment is stopped; start it first".
result<transition_result> transition(instance_state state, lifecycle_event event);

} // namespace fabric::model
