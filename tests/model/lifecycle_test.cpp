#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/lifecycle.hpp"

using namespace fabric::model;

namespace {

using st = instance_state;
using ev = lifecycle_event;
using fx = lifecycle_effect;

struct row {
  st from;
  ev event;
  st to;
  std::vector<fx> effects;
};

std::string describe(const std::vector<fx>& effects) {
  std::string out;
  for (auto e : effects)
    out += std::string(out.empty() ? "" : ",") + to_string(e);
  return out;
}

} // namespace

TEST(lifecycle, allowed_transitions) {
  // clang-format off
  const std::vector<row> table = {
    // from                  event                      to                      effects
    {st::creating_vm,        ev::deploy,                st::creating_vm,        {fx::create_vm_from_base, fx::wipe_local_storage}},
    {st::creating_vm,        ev::vm_created,            st::starting_vm,        {fx::start_vm}},
    {st::starting_vm,        ev::vm_started,            st::starting_role,      {fx::start_role}},
    {st::starting_role,      ev::role_started,          st::ready_role,         {}},
    {st::ready_role,         ev::role_busy,             st::busy_role,          {}},
    {st::busy_role,          ev::role_ready,            st::ready_role,         {}},
    // operator reboot: "Stopping (Rebooting)", disks kept
    {st::ready_role,         ev::reboot,                st::restarting_role,    {fx::stop_role, fx::stop_vm, fx::start_vm}},
    {st::busy_role,          ev::reboot,                st::restarting_role,    {fx::stop_role, fx::stop_vm, fx::start_vm}},
    {st::failed_starting_vm, ev::reboot,                st::restarting_role,    {fx::stop_vm, fx::start_vm}},
    {st::restarting_role,    ev::vm_started,            st::starting_role,      {fx::start_role}},
    // the field quirk: the reboot resets the OS layer, local storage kept
    {st::ready_role,         ev::reboot_degenerated,    st::restarting_role,    {fx::stop_role, fx::stop_vm, fx::create_vm_from_base, fx::start_vm}},
    {st::ready_role,         ev::reimage,               st::creating_vm,        {fx::stop_role, fx::stop_vm, fx::create_vm_from_base}},
    {st::unresponsive_role,  ev::reimage,               st::creating_vm,        {fx::stop_role, fx::stop_vm, fx::create_vm_from_base}},
    {st::ready_role,         ev::rebuild,               st::creating_vm,        {fx::stop_role, fx::stop_vm, fx::create_vm_from_base, fx::wipe_local_storage}},
    // from inside the guest
    {st::ready_role,         ev::guest_restart,         st::restarting_role,    {}},
    {st::ready_role,         ev::guest_shutdown,        st::aborted,            {fx::schedule_restart_after_delay}},
    {st::aborted,            ev::abort_restart_elapsed, st::starting_vm,        {fx::start_vm}},
    // deployment stop / start
    {st::ready_role,         ev::stop,                  st::stopping_role,      {fx::stop_role}},
    {st::stopping_role,      ev::role_stopped,          st::stopping_vm,        {fx::stop_vm}},
    {st::stopping_vm,        ev::vm_stopped,            st::stopped_vm,         {}},
    {st::aborted,            ev::stop,                  st::stopping_vm,        {fx::stop_vm}},
    {st::stopped_vm,         ev::stop,                  st::stopped_vm,         {}},
    {st::stopped_vm,         ev::start,                 st::starting_vm,        {fx::start_vm}},
    // in-place upgrade
    {st::ready_role,         ev::upgrade,               st::creating_vm,        {fx::stop_role, fx::stop_vm, fx::create_vm_from_base, fx::wipe_clean_on_recycle_local_storage}},
    {st::aborted,            ev::upgrade,               st::creating_vm,        {fx::create_vm_from_base, fx::wipe_clean_on_recycle_local_storage}},
    // failures
    {st::ready_role,         ev::heartbeat_lost,        st::unresponsive_role,  {}},
    {st::unresponsive_role,  ev::role_ready,            st::ready_role,         {}},
    {st::ready_role,         ev::role_crashed,          st::cycling_role,       {fx::start_role}},
    {st::cycling_role,       ev::role_started,          st::ready_role,         {}},
    {st::starting_role,      ev::start_failed,          st::failed_starting_role, {fx::schedule_restart_after_delay}},
    {st::failed_starting_role, ev::abort_restart_elapsed, st::starting_role,    {fx::start_role}},
    {st::starting_vm,        ev::vm_start_failed,       st::failed_starting_vm, {}},
    {st::ready_role,         ev::node_lost,             st::role_state_unknown, {}},
    {st::stopped_vm,         ev::node_lost,             st::role_state_unknown, {}},
    {st::role_state_unknown, ev::role_ready,            st::ready_role,         {}},
    {st::role_state_unknown, ev::relocate,              st::creating_vm,        {fx::create_vm_from_base, fx::wipe_local_storage}},
  };
  // clang-format on
  for (const auto& r : table) {
    auto res = transition(r.from, r.event);
    std::string label = std::string(to_string(r.from)) + " --" + to_string(r.event) + "-->";
    ASSERT_TRUE(res.ok()) << label << ": " << res.err().message;
    EXPECT_EQ(res->next, r.to) << label << " got " << to_string(res->next);
    EXPECT_EQ(describe(res->effects), describe(r.effects)) << label;
    EXPECT_FALSE(res->removed) << label;
  }
}

TEST(lifecycle, refused_transitions_say_why) {
  struct refused {
    st from;
    ev event;
    const char* message;
  };
  const std::vector<refused> table = {
    {st::stopped_vm, ev::reboot,
     "reboot is not allowed in state StoppedVM: the deployment is stopped; start it first"},
    {st::stopped_vm, ev::reimage,
     "reimage is not allowed in state StoppedVM: the deployment is stopped; start it first"},
    {st::restarting_role, ev::reboot,
     "reboot is not allowed in state RestartingRole: a reboot is already in progress"},
    {st::aborted, ev::reboot,
     "reboot is not allowed in state Aborted: the guest shut itself down; the fabric restarts it "
     "after a delay"},
    {st::role_state_unknown, ev::rebuild,
     "rebuild is not allowed in state RoleStateUnknown: the node hosting the instance is "
     "unreachable"},
    {st::creating_vm, ev::reboot,
     "reboot is not allowed in state CreatingVM: the VM is not running yet"},
    {st::ready_role, ev::start, "start is not allowed in state ReadyRole: the instance is not stopped"},
    {st::ready_role, ev::deploy, "deploy is not allowed in state ReadyRole: the instance already exists"},
    {st::stopped_vm, ev::guest_shutdown,
     "guest_shutdown is not allowed in state StoppedVM: the guest OS is not running"},
    {st::ready_role, ev::abort_restart_elapsed,
     "abort_restart_elapsed is not allowed in state ReadyRole: no restart is scheduled"},
    {st::stopped_vm, ev::upgrade,
     "upgrade is not allowed in state StoppedVM: the deployment is stopped; start it first"},
    {st::ready_role, ev::relocate,
     "relocate is not allowed in state ReadyRole: only an unreachable, unresponsive or failed "
     "instance is relocated"},
  };
  for (const auto& r : table) {
    auto res = transition(r.from, r.event);
    ASSERT_FALSE(res.ok()) << to_string(r.from) << " " << to_string(r.event);
    EXPECT_EQ(res.err().message, r.message);
  }
}

TEST(lifecycle, delete_removes_from_every_state) {
  for (int i = 0; i < instance_state_count; ++i) {
    auto s = static_cast<st>(i);
    auto res = transition(s, ev::remove);
    ASSERT_TRUE(res.ok()) << to_string(s);
    EXPECT_TRUE(res->removed) << to_string(s);
    ASSERT_FALSE(res->effects.empty());
    EXPECT_EQ(res->effects.back(), fx::destroy_vm) << to_string(s);
  }
  EXPECT_EQ(describe(transition(st::ready_role, ev::remove)->effects), "stop_role,destroy_vm");
  EXPECT_EQ(describe(transition(st::stopped_vm, ev::remove)->effects), "destroy_vm");
}

TEST(lifecycle, every_pair_either_moves_or_explains) {
  for (int i = 0; i < instance_state_count; ++i)
    for (int j = 0; j < lifecycle_event_count; ++j) {
      auto s = static_cast<st>(i);
      auto e = static_cast<ev>(j);
      auto res = transition(s, e);
      if (!res.ok()) {
        std::string prefix = std::string(to_string(e)) + " is not allowed in state "
                             + to_string(s) + ": ";
        EXPECT_EQ(res.err().message.rfind(prefix, 0), 0u) << res.err().message;
        EXPECT_GT(res.err().message.size(), prefix.size());
      }
    }
}

TEST(lifecycle, a_guest_shutdown_cannot_keep_an_instance_stopped) {
  // Shut down from inside: Aborted, then the fabric brings it back by itself.
  st s = st::ready_role;
  std::vector<ev> events = {ev::guest_shutdown, ev::abort_restart_elapsed, ev::vm_started,
                            ev::role_started};
  for (auto e : events) {
    auto res = transition(s, e);
    ASSERT_TRUE(res.ok()) << res.err().message;
    s = res->next;
  }
  EXPECT_EQ(s, st::ready_role);
}

TEST(lifecycle, reimage_never_touches_local_storage_but_rebuild_does) {
  auto has = [](const std::vector<fx>& v, fx f) {
    for (auto x : v)
      if (x == f)
        return true;
    return false;
  };
  for (auto e : {ev::reboot, ev::reboot_degenerated, ev::reimage, ev::guest_restart,
                 ev::guest_shutdown, ev::stop}) {
    auto res = transition(st::ready_role, e);
    ASSERT_TRUE(res.ok());
    EXPECT_FALSE(has(res->effects, fx::wipe_local_storage)) << to_string(e);
  }
  EXPECT_TRUE(has(transition(st::ready_role, ev::rebuild)->effects, fx::wipe_local_storage));
  EXPECT_FALSE(has(transition(st::ready_role, ev::reboot)->effects, fx::create_vm_from_base));
  EXPECT_FALSE(
    has(transition(st::ready_role, ev::guest_restart)->effects, fx::create_vm_from_base));
}

TEST(lifecycle, names) {
  EXPECT_STREQ(to_string(ev::remove), "delete");
  EXPECT_STREQ(to_string(ev::abort_restart_elapsed), "abort_restart_elapsed");
  EXPECT_STREQ(to_string(fx::schedule_restart_after_delay), "schedule_restart_after_delay");
  EXPECT_STREQ(to_string(ev::vm_start_failed), "vm_start_failed"); // the last enumerator
}
