#include "model/disk_rule.hpp"

namespace fabric::model {

const char* to_string(disk_operation op) {
  switch (op) {
    case disk_operation::reboot: return "reboot";
    case disk_operation::reboot_degenerated_to_reimage: return "reboot_degenerated_to_reimage";
    case disk_operation::reimage: return "reimage";
    case disk_operation::rebuild: return "rebuild";
    case disk_operation::guest_restart: return "guest_restart";
    case disk_operation::guest_shutdown_auto_restart: return "guest_shutdown_auto_restart";
    case disk_operation::stop_start: return "stop_start";
    case disk_operation::in_place_upgrade: return "in_place_upgrade";
    case disk_operation::delete_and_deploy: return "delete_and_deploy";
    case disk_operation::republish: return "republish";
    case disk_operation::node_migration: return "node_migration";
  }
  return "unknown";
}

const char* to_string(os_disk_outcome o) {
  return o == os_disk_outcome::kept ? "kept" : "reset_to_base";
}

const char* to_string(local_storage_outcome o) {
  return o == local_storage_outcome::kept ? "kept" : "wiped";
}

bool disk_fate::any_local_wiped() const {
  for (const auto& l : local_storage)
    if (l.outcome == local_storage_outcome::wiped)
      return true;
  return false;
}

namespace {

struct row {
  os_disk_outcome os;
  const char* os_reason;
  local_storage_outcome local;
  const char* local_reason;
};

row row_of(disk_operation op) {
  using os = os_disk_outcome;
  using ls = local_storage_outcome;
  switch (op) {
    case disk_operation::reboot:
      return {os::kept, "reboot restarts the VM on its existing differencing disk", ls::kept,
              "reboot keeps local storage"};
    case disk_operation::reboot_degenerated_to_reimage:
      return {os::reset_to_base,
              "the reboot degenerated into a reimage: the VM is created afresh from the base "
              "image",
              ls::kept, "a degenerated reboot keeps local storage, as a reimage does"};
    case disk_operation::reimage:
      return {os::reset_to_base, "reimage creates the VM afresh from the base image", ls::kept,
              "reimage keeps local storage"};
    case disk_operation::rebuild:
      return {os::reset_to_base, "rebuild creates the VM afresh from the base image", ls::wiped,
              "rebuild wipes local storage too"};
    case disk_operation::guest_restart:
      return {os::kept, "a restart from inside the guest is a normal OS restart", ls::kept,
              "a restart from inside the guest keeps local storage"};
    case disk_operation::guest_shutdown_auto_restart:
      return {os::kept,
              "after a shutdown from inside the guest the fabric restarts the same VM", ls::kept,
              "the automatic restart after a guest shutdown keeps local storage"};
    case disk_operation::stop_start:
      return {os::kept, "stop then start resumes the deployment with its disks as they were",
              ls::kept, "stop then start keeps local storage"};
    case disk_operation::in_place_upgrade:
      return {os::reset_to_base, "an in-place upgrade recreates the OS layer from the new base "
                                 "image",
              ls::kept, ""}; // per resource, see below
    case disk_operation::delete_and_deploy:
      return {os::reset_to_base, "delete then deploy creates new VMs from the base image",
              ls::wiped, "delete then deploy creates new, empty local storage"};
    case disk_operation::republish:
      return {os::reset_to_base, "re-publishing deletes and recreates the deployment",
              ls::wiped, "re-publishing creates new, empty local storage"};
    case disk_operation::node_migration:
      return {os::reset_to_base,
              "service healing moves the instance to another node: a fresh VM from the base "
              "image",
              ls::wiped, "local storage stays on the old node; the new one starts empty"};
  }
  return {os::kept, "", ls::kept, ""};
}

} // namespace

disk_fate disk_rule(disk_operation op, const role_definition& role) {
  auto r = row_of(op);
  disk_fate out;
  out.os_disk = r.os;
  out.os_reason = r.os_reason;
  for (const auto& ls : role.local_storage) {
    local_storage_fate f;
    f.name = ls.name;
    if (op == disk_operation::in_place_upgrade) {
      if (ls.clean_on_role_recycle) {
        f.outcome = local_storage_outcome::wiped;
        f.reason = "in-place upgrade recycles the role and '" + ls.name
                   + "' has cleanOnRoleRecycle=true";
      } else {
        f.outcome = local_storage_outcome::kept;
        f.reason = "in-place upgrade recycles the role and '" + ls.name
                   + "' has cleanOnRoleRecycle=false";
      }
    } else {
      f.outcome = r.local;
      f.reason = r.local_reason;
    }
    out.local_storage.push_back(std::move(f));
  }
  return out;
}

bool reboot_degenerates(double probability, double uniform_draw) {
  if (probability <= 0.0)
    return false;
  if (probability >= 1.0)
    return true;
  return uniform_draw < probability;
}

} // namespace fabric::model
