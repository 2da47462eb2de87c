#pragma once

// The role instance states, with the platform's own vocabulary (the strings
// the Service Management API and the portal showed). The transition rules are
// in lifecycle.hpp.

#include <optional>
#include <string_view>

namespace fabric::model {

enum class instance_state {
  creating_vm,           ///< CreatingVM: the VM is being created from the base image
  starting_vm,           ///< StartingVM
  starting_role,         ///< StartingRole: the VM runs, the role is starting
  ready_role,            ///< ReadyRole: serving
  busy_role,             ///< BusyRole: running but reports itself busy
  stopping_role,         ///< StoppingRole
  stopping_vm,           ///< StoppingVM
  stopped_vm,            ///< StoppedVM: deployment suspended, disks kept
  restarting_role,       ///< RestartingRole: reboot in progress ("Stopping (Rebooting)")
  cycling_role,          ///< CyclingRole: the role keeps crashing
  failed_starting_role,  ///< FailedStartingRole
  failed_starting_vm,    ///< FailedStartingVM
  unresponsive_role,     ///< UnresponsiveRole: heartbeats stopped
  role_state_unknown,    ///< RoleStateUnknown: the fabric cannot tell (node lost)
  aborted,               ///< Aborted: the guest shut itself down; the fabric restarts it
};

constexpr int instance_state_count = 15;

/// The platform's name, e.g. "ReadyRole".
const char* to_string(instance_state s);

/// Parses a platform name (exact case). Empty when unknown.
std::optional<instance_state> parse_instance_state(std::string_view name);

/// True for the states in which the instance serves traffic (ReadyRole).
inline bool is_serving(instance_state s) { return s == instance_state::ready_role; }

} // namespace fabric::model
