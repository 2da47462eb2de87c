#pragma once

// What each operation does to an instance's disks: the table of
// docs/domain.md §4 as one pure function. An instance has an OS disk (its own
// differencing layer over a read-only base image, the "C drive") and the local
// storage resources its role declares. Pure; thread-safe (no shared state).
//
//   operation                      OS differencing layer   local storage
//   reboot                         kept                    kept
//   reboot_degenerated_to_reimage  reset to base           kept   (field quirk)
//   reimage                        reset to base           kept
//   rebuild                        reset to base           wiped  (Rebuild Role Instance)
//   guest_restart                  kept                    kept
//   guest_shutdown_auto_restart    kept                    kept   (Aborted, restarted later)
//   stop_start                     kept                    kept   (whole deployment)
//   in_place_upgrade               reset to new base       per resource: wiped when
//                                                          cleanOnRoleRecycle="true",
//                                                          else kept
//   delete_and_deploy              reset to base           wiped
//   republish                      reset to base           wiped  (delete and create)
//   node_migration                 fresh (reset)           fresh (wiped): service healing
//                                                          moves the instance to another node
//
// The in-place upgrade row is this project's choice: the sources say nothing
// of local storage during an upgrade. The role recycles onto the new image,
// so the OS layer is rebuilt from the new base, and a local storage resource
// survives exactly when its definition asks for it (cleanOnRoleRecycle=false),
// as the platform documented for role recycles.

#include <string>
#include <vector>

#include "model/service_definition.hpp"

namespace fabric::model {

enum class disk_operation {
  reboot,
  reboot_degenerated_to_reimage,
  reimage,
  rebuild,
  guest_restart,
  guest_shutdown_auto_restart,
  stop_start,
  in_place_upgrade,
  delete_and_deploy,
  republish,
  node_migration,
};

/// "reboot", "reboot_degenerated_to_reimage", ... (the enumerator's name).
const char* to_string(disk_operation op);

enum class os_disk_outcome { kept, reset_to_base };
enum class local_storage_outcome { kept, wiped };

/// "kept" / "reset_to_base"; "kept" / "wiped".
const char* to_string(os_disk_outcome o);
const char* to_string(local_storage_outcome o);

struct local_storage_fate {
  std::string name; ///< the LocalStorage resource's name
  local_storage_outcome outcome = local_storage_outcome::kept;
  std::string reason;
};

struct disk_fate {
  os_disk_outcome os_disk = os_disk_outcome::kept;
  std::string os_reason;
  /// One entry per local storage resource of the role, in definition order.
  std::vector<local_storage_fate> local_storage;

  /// True when some resource is wiped.
  bool any_local_wiped() const;
};

/// What `op` does to the disks of an instance of `role`.
disk_fate disk_rule(disk_operation op, const role_definition& role);

/// The field quirk: does this reboot degenerate into a reimage? True when
/// uniform_draw < probability. The caller draws uniform_draw in [0, 1) from its
/// own seeded source (randomness is an input). probability <= 0 never
/// degenerates, probability >= 1 always does.
bool reboot_degenerates(double probability, double uniform_draw);

} // namespace fabric::model
