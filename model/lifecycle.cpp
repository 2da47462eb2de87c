#include "model/lifecycle.hpp"

#include <initializer_list>

namespace fabric::model {

const char* to_string(lifecycle_event e) {
  switch (e) {
    case lifecycle_event::deploy: return "deploy";
    case lifecycle_event::vm_created: return "vm_created";
    case lifecycle_event::vm_started: return "vm_started";
    case lifecycle_event::role_started: return "role_started";
    case lifecycle_event::role_busy: return "role_busy";
    case lifecycle_event::role_ready: return "role_ready";
    case lifecycle_event::reboot: return "reboot";
    case lifecycle_event::reboot_degenerated: return "reboot_degenerated";
    case lifecycle_event::reimage: return "reimage";
    case lifecycle_event::rebuild: return "rebuild";
    case lifecycle_event::guest_restart: return "guest_restart";
    case lifecycle_event::guest_shutdown: return "guest_shutdown";
    case lifecycle_event::abort_restart_elapsed: return "abort_restart_elapsed";
    case lifecycle_event::stop: return "stop";
    case lifecycle_event::role_stopped: return "role_stopped";
    case lifecycle_event::vm_stopped: return "vm_stopped";
    case lifecycle_event::start: return "start";
    case lifecycle_event::upgrade: return "upgrade";
    case lifecycle_event::remove: return "delete";
    case lifecycle_event::node_lost: return "node_lost";
    case lifecycle_event::relocate: return "relocate";
    case lifecycle_event::heartbeat_lost: return "heartbeat_lost";
    case lifecycle_event::role_crashed: return "role_crashed";
    case lifecycle_event::start_failed: return "start_failed";
    case lifecycle_event::vm_start_failed: return "vm_start_failed";
  }
  return "unknown";
}

const char* to_string(lifecycle_effect e) {
  switch (e) {
    case lifecycle_effect::create_vm_from_base: return "create_vm_from_base";
    case lifecycle_effect::wipe_local_storage: return "wipe_local_storage";
    case lifecycle_effect::wipe_clean_on_recycle_local_storage:
      return "wipe_clean_on_recycle_local_storage";
    case lifecycle_effect::start_vm: return "start_vm";
    case lifecycle_effect::stop_vm: return "stop_vm";
    case lifecycle_effect::start_role: return "start_role";
    case lifecycle_effect::stop_role: return "stop_role";
    case lifecycle_effect::destroy_vm: return "destroy_vm";
    case lifecycle_effect::schedule_restart_after_delay: return "schedule_restart_after_delay";
  }
  return "unknown";
}

namespace {

using st = instance_state;
using ev = lifecycle_event;
using fx = lifecycle_effect;

bool in(st s, std::initializer_list<st> set) {
  for (auto x : set)
    if (x == s)
      return true;
  return false;
}

/// The VM runs and the role host is up (or trying to be).
bool running(st s) {
  return in(s, {st::starting_role, st::ready_role, st::busy_role, st::cycling_role,
                st::failed_starting_role, st::unresponsive_role});
}

result<transition_result> to(st next, std::vector<fx> effects = {}) {
  return transition_result{next, std::move(effects), false};
}

/// Why an operator operation cannot run in `s` (for the error message).
const char* why_not_operable(st s) {
  switch (s) {
    case st::stopped_vm: return "the deployment is stopped; start it first";
    case st::stopping_role:
    case st::stopping_vm: return "the deployment is stopping";
    case st::creating_vm:
    case st::starting_vm: return "the VM is not running yet";
    case st::restarting_role: return "a reboot is already in progress";
    case st::aborted: return "the guest shut itself down; the fabric restarts it after a delay";
    case st::role_state_unknown: return "the node hosting the instance is unreachable";
    default: return "the event does not apply in this state";
  }
}

result<transition_result> refuse(st s, ev e, const char* why) {
  return error{std::string(to_string(e)) + " is not allowed in state " + to_string(s) + ": "
               + why};
}

} // namespace

result<transition_result> transition(instance_state s, lifecycle_event e) {
  switch (e) {
    case ev::deploy:
      if (s == st::creating_vm)
        return to(st::creating_vm, {fx::create_vm_from_base, fx::wipe_local_storage});
      return refuse(s, e, "the instance already exists");
    case ev::vm_created:
      if (s == st::creating_vm)
        return to(st::starting_vm, {fx::start_vm});
      return refuse(s, e, "no VM is being created");
    case ev::vm_started:
      if (in(s, {st::starting_vm, st::restarting_role, st::role_state_unknown}))
        return to(st::starting_role, {fx::start_role});
      return refuse(s, e, "no VM is starting");
    case ev::role_started:
      if (in(s, {st::starting_role, st::cycling_role, st::failed_starting_role,
                 st::role_state_unknown}))
        return to(st::ready_role);
      return refuse(s, e, "no role is starting");
    case ev::role_ready:
      if (running(s) || s == st::role_state_unknown)
        return to(st::ready_role);
      return refuse(s, e, "the role is not running");
    case ev::role_busy:
      if (in(s, {st::starting_role, st::ready_role, st::busy_role, st::unresponsive_role,
                 st::role_state_unknown}))
        return to(st::busy_role);
      return refuse(s, e, "the role is not running");
    case ev::reboot:
    case ev::reboot_degenerated:
    case ev::reimage:
    case ev::rebuild: {
      bool role_up = running(s);
      if (!role_up && s != st::failed_starting_vm)
        return refuse(s, e, why_not_operable(s));
      std::vector<fx> effects;
      if (role_up)
        effects.push_back(fx::stop_role);
      effects.push_back(fx::stop_vm);
      if (e == ev::reboot) {
        effects.push_back(fx::start_vm);
        return to(st::restarting_role, std::move(effects));
      }
      effects.push_back(fx::create_vm_from_base);
      if (e == ev::reboot_degenerated) {
        // The portal still shows "Stopping (Rebooting)"; the OS layer is reset.
        effects.push_back(fx::start_vm);
        return to(st::restarting_role, std::move(effects));
      }
      if (e == ev::rebuild)
        effects.push_back(fx::wipe_local_storage);
      return to(st::creating_vm, std::move(effects));
    }
    case ev::guest_restart:
      if (running(s))
        return to(st::restarting_role); // the guest reboots itself; nothing to do
      return refuse(s, e, "the guest OS is not running");
    case ev::guest_shutdown:
      if (running(s))
        return to(st::aborted, {fx::schedule_restart_after_delay});
      return refuse(s, e, "the guest OS is not running");
    case ev::abort_restart_elapsed:
      if (s == st::aborted)
        return to(st::starting_vm, {fx::start_vm});
      if (s == st::failed_starting_role)
        return to(st::starting_role, {fx::start_role});
      return refuse(s, e, "no restart is scheduled");
    case ev::stop:
      if (running(s) || s == st::restarting_role)
        return to(st::stopping_role, {fx::stop_role});
      if (in(s, {st::creating_vm, st::starting_vm, st::failed_starting_vm, st::aborted,
                 st::role_state_unknown}))
        return to(st::stopping_vm, {fx::stop_vm});
      return to(s); // stopping or stopped already: nothing more to do
    case ev::role_stopped:
      if (s == st::stopping_role)
        return to(st::stopping_vm, {fx::stop_vm});
      return refuse(s, e, "the role is not being stopped");
    case ev::vm_stopped:
      if (s == st::stopping_vm)
        return to(st::stopped_vm);
      return refuse(s, e, "the VM is not being stopped");
    case ev::start:
      if (s == st::stopped_vm)
        return to(st::starting_vm, {fx::start_vm});
      return refuse(s, e, "the instance is not stopped");
    case ev::upgrade: {
      if (in(s, {st::stopped_vm, st::stopping_role, st::stopping_vm, st::role_state_unknown}))
        return refuse(s, e, why_not_operable(s));
      std::vector<fx> effects;
      if (running(s) || s == st::restarting_role)
        effects.push_back(fx::stop_role);
      if (s != st::aborted)
        effects.push_back(fx::stop_vm);
      effects.push_back(fx::create_vm_from_base);
      effects.push_back(fx::wipe_clean_on_recycle_local_storage);
      return to(st::creating_vm, std::move(effects));
    }
    case ev::remove: {
      transition_result r;
      r.next = s;
      r.removed = true;
      if (running(s) || s == st::restarting_role)
        r.effects.push_back(fx::stop_role);
      r.effects.push_back(fx::destroy_vm);
      return r;
    }
    case ev::node_lost:
      return to(st::role_state_unknown);
    case ev::relocate:
      if (in(s, {st::role_state_unknown, st::unresponsive_role, st::failed_starting_vm}))
        return to(st::creating_vm, {fx::create_vm_from_base, fx::wipe_local_storage});
      return refuse(s, e, "only an unreachable, unresponsive or failed instance is relocated");
    case ev::heartbeat_lost:
      if (in(s, {st::starting_role, st::ready_role, st::busy_role, st::cycling_role,
                 st::unresponsive_role}))
        return to(st::unresponsive_role);
      return refuse(s, e, "the role is not expected to heartbeat");
    case ev::role_crashed:
      if (in(s, {st::starting_role, st::ready_role, st::busy_role, st::cycling_role,
                 st::unresponsive_role}))
        return to(st::cycling_role, {fx::start_role});
      return refuse(s, e, "the role is not running");
    case ev::start_failed:
      if (in(s, {st::starting_role, st::cycling_role}))
        return to(st::failed_starting_role, {fx::schedule_restart_after_delay});
      return refuse(s, e, "no role is starting");
    case ev::vm_start_failed:
      if (in(s, {st::creating_vm, st::starting_vm, st::restarting_role}))
        return to(st::failed_starting_vm);
      return refuse(s, e, "no VM is being created or started");
  }
  return refuse(s, e, "unknown event");
}

} // namespace fabric::model
