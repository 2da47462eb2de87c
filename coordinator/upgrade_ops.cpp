#include "coordinator/upgrade_ops.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "coordinator/controller.hpp"

namespace fabric::coordinator {

namespace {

bool is_instance_action(const model::action& a) {
  return std::holds_alternative<model::upgrade_instance>(a)
         || std::holds_alternative<model::rollback_instance>(a);
}

/// (instance name, target version) of an upgrade_instance / rollback_instance.
std::pair<std::string, std::string> instance_target(const model::action& a) {
  if (auto* up = std::get_if<model::upgrade_instance>(&a))
    return {up->name, up->to_version};
  auto& rb = std::get<model::rollback_instance>(a);
  return {rb.name, rb.to_version};
}

using model::slot;

const slot slots[] = {slot::production, slot::staging};

/// The begin_upgrade edit (the planner's begin_upgrade() hides its name).
model::model_edit begin_edit(const std::string& service, slot s, model::upgrade_status st) {
  struct model::begin_upgrade e;
  e.service = service;
  e.in_slot = s;
  e.upgrade = std::move(st);
  return e;
}

void fail_operation(controller& c, const std::string& id, const std::string& why) {
  if (id.empty())
    return;
  if (auto* op = c.find_operation(id); op && op->status == op_status::in_progress) {
    op->status = op_status::failed;
    op->error = why;
  }
}

} // namespace

// -- engine ---------------------------------------------------------------------

upgrade_engine::upgrade_engine(const controller_config& cfg) {
  defaults_.policy.instance_timeout = cfg.upgrade_timeout;
  defaults_.policy.on_timeout = cfg.upgrade_on_timeout;
  defaults_.domain_wait = cfg.upgrade_domain_wait;
}

upgrade_engine::tracked& upgrade_engine::state_of(const std::string& name) {
  auto i = tracked_.find(name);
  if (i == tracked_.end())
    i = tracked_.emplace(name, tracked{defaults_, {}, {}, {}, {}, {}}).first;
  return i->second;
}

void upgrade_engine::track(const std::string& name, upgrade_settings s, const std::string& op_id) {
  auto& t = state_of(name);
  t.settings = s;
  t.op_id = op_id;
  t.wait_until.reset();
  t.paused_reason.clear();
}

std::string upgrade_engine::operation_of(const std::string& name) const {
  auto i = tracked_.find(name);
  return i == tracked_.end() ? std::string() : i->second.op_id;
}

void upgrade_engine::set_operation(const std::string& name, const std::string& op_id) {
  state_of(name).op_id = op_id;
}

std::string upgrade_engine::paused_reason(const std::string& name) const {
  auto i = tracked_.find(name);
  return i == tracked_.end() ? std::string() : i->second.paused_reason;
}

void upgrade_engine::reset_walk(const std::string& name) {
  auto& t = state_of(name);
  t.wait_until.reset();
  t.paused_reason.clear();
}

std::optional<upgrade_engine::time_point> upgrade_engine::next_deadline() const {
  std::optional<time_point> out;
  for (auto& [name, t] : tracked_)
    if (t.wait_until && (!out || *t.wait_until < *out))
      out = t.wait_until;
  return out;
}

void upgrade_engine::tick(controller& c, time_point now) {
  std::vector<std::pair<std::string, int>> work;
  std::set<std::string> live;
  for (auto& [sname, svc] : c.model().services)
    for (int k = 0; k < 2; ++k)
      if (auto& d = svc.in(slots[k]); d && d->upgrade) {
        work.emplace_back(sname, k);
        live.insert(d->name);
      }
  for (auto& [sname, k] : work)
    drive(c, sname, k, now);
  for (auto i = tracked_.begin(); i != tracked_.end();)
    i = live.count(i->first) ? std::next(i) : tracked_.erase(i);
}

void upgrade_engine::drive(controller& c, const std::string& service, int slot_index,
                           time_point now) {
  auto s = slots[slot_index];
  auto deployment = [&]() -> const model::deployment* {
    auto svc = c.model().services.find(service);
    if (svc == c.model().services.end() || !svc->second.in(s))
      return nullptr;
    return &*svc->second.in(s);
  };
  const auto* d = deployment();
  if (!d || !d->upgrade)
    return;
  auto name = d->name;
  auto& t = state_of(name);
  if (t.wait_until) {
    if (now < *t.wait_until)
      return;
    t.wait_until.reset();
  }

  // The health snapshot: observed states, else the model; commands in flight.
  model::health_snapshot h;
  const auto& role = d->upgrade->role;
  for (auto& inst : d->instances) {
    if (!role.empty() && inst.role != role)
      continue;
    auto* o = c.observed(wire_name(name, inst.name));
    model::instance_health v;
    v.state = o ? o->state : model::instance_state::role_state_unknown;
    v.version = o && !o->version.empty() ? o->version : inst.version;
    auto& seen = t.seen[inst.name];
    if (seen.since == time_point{} || seen.state != v.state)
      seen = {v.state, now};
    v.since = seen.since;
    if (auto f = t.in_flight.find(inst.name); f != t.in_flight.end()) {
      if (model::is_serving(v.state) && v.version == f->second.to_version) {
        t.in_flight.erase(f);
      } else {
        v.upgrade_started = f->second.started;
        v.upgrading_to = f->second.to_version;
      }
    }
    h.instances.emplace(inst.name, std::move(v));
  }
  ++passes_;
  auto actions = model::plan_next(*d, h, t.settings.policy, now);
  std::string paused;

  size_t batched_until = 0;  // actions before it had their version edits committed
  for (size_t i = 0; i < actions.size(); ++i) {
    d = deployment();
    if (!d || !d->upgrade)
      return;
    auto& a = actions[i];
    if (auto* x = std::get_if<model::advance_to_domain>(&a)) {
      model::update_upgrade e{service, s, x->upgrade_domain, x->state, d->upgrade->walked,
                              std::nullopt};
      if (auto st = c.commit(e); !st) {
        spdlog::error("upgrade of {}: {}", name, st.err().to_string());
        return;
      }
      spdlog::info("upgrade of {}: UD {} {}", name, x->upgrade_domain, model::to_string(x->state));
    } else if (auto* x = std::get_if<model::domain_walked>(&a)) {
      auto walked = d->upgrade->walked;
      if (std::find(walked.begin(), walked.end(), x->upgrade_domain) == walked.end())
        walked.push_back(x->upgrade_domain);
      model::update_upgrade e{service, s, d->upgrade->current_upgrade_domain,
                              d->upgrade->current_state, walked, std::nullopt};
      if (auto st = c.commit(e); !st) {
        spdlog::error("upgrade of {}: {}", name, st.err().to_string());
        return;
      }
      spdlog::info("upgrade of {}: UD {} walked", name, x->upgrade_domain);
      bool more = false;
      for (size_t k = i + 1; k < actions.size(); ++k)
        more = more || std::holds_alternative<model::advance_to_domain>(actions[k]);
      if (more && d->upgrade->mode == model::upgrade_mode::automatic
          && t.settings.domain_wait.count() > 0) {
        t.wait_until = now + t.settings.domain_wait;
        break;
      }
    } else if (is_instance_action(a)) {
      // The version edits of this run of instance actions (the instances of
      // one UD, or of every UD in Simultaneous mode) as one durable write.
      if (i >= batched_until) {
        std::vector<model::model_edit> versions;
        for (batched_until = i;
             batched_until < actions.size() && is_instance_action(actions[batched_until]);
             ++batched_until) {
          auto [n, v] = instance_target(actions[batched_until]);
          if (auto* in = d->find_instance(n); in && in->version != v)
            versions.push_back(model::set_instance_version{service, s, n, v});
        }
        if (auto st = c.commit_all(versions); !st)
          spdlog::error("upgrade of {}: {}", name, st.err().to_string());
        // The commit replaced the model (the journaled store applies edits
        // to a copy): `d` points into the old one.
        d = deployment();
        if (!d || !d->upgrade)
          return;
      }
      auto [iname, to] = instance_target(a);
      auto* inst = d->find_instance(iname);
      if (!inst)
        continue;
      if (inst->version != to) {  // only when the batch above failed: one by one
        if (auto st = c.commit(model::set_instance_version{service, s, iname, to}); !st) {
          spdlog::error("upgrade of {}: {}", name, st.err().to_string());
          continue;
        }
        // The commit replaced the model (the journaled store applies each
        // edit to a copy): `d` and `inst` point into the old one.
        d = deployment();
        if (!d || !d->upgrade)
          return;
        inst = d->find_instance(iname);
        if (!inst)
          continue;
      }
      if (inst->node.empty())
        continue;  // unplaced: healing places it (on the target version)
      auto wire = wire_name(name, iname);
      planned_command cmd{inst->node, protocol::command_kind::upgrade, wire,
                          instance_ref{service, s, iname}, name};
      if (c.send(cmd))
        t.in_flight[iname] = {now, to};
    } else if (auto* x = std::get_if<model::pause_upgrade>(&a)) {
      paused = x->reason;
    } else if (auto* x = std::get_if<model::begin_rollback>(&a)) {
      auto rb = model::make_rollback(*d, d->upgrade->mode);
      if (!rb) {
        paused = rb.err().message;
        break;
      }
      if (auto st = c.commit(model::end_upgrade{service, s, false}); !st) {
        spdlog::error("upgrade of {}: {}", name, st.err().to_string());
        return;
      }
      if (auto st = c.commit(begin_edit(service, s, *rb)); !st) {
        spdlog::error("upgrade of {}: {}", name, st.err().to_string());
        return;
      }
      spdlog::warn("upgrade of {} rolls back: {}", name, x->reason);
      fail_operation(c, t.op_id, "rolled back: " + x->reason);
      t.wait_until.reset();
      break;  // the rest was planned for the forward walk
    } else if (std::holds_alternative<model::complete_upgrade>(a)) {
      bool back = d->upgrade->rolling_back;
      auto target = d->upgrade->target_version;
      if (auto st = c.commit(model::end_upgrade{service, s, true}); !st) {
        spdlog::error("upgrade of {}: {}", name, st.err().to_string());
        return;
      }
      spdlog::info("upgrade of {} {}: version {}", name, back ? "rolled back" : "complete",
                   target);
      tracked_.erase(name);
      return;
    }
    // await_walk: an operator walks; surge actions: refused at request time.
  }
  if (paused != t.paused_reason) {
    if (!paused.empty())
      spdlog::warn("upgrade of {} paused: {}", name, paused);
    t.paused_reason = paused;
  }
}

} // namespace fabric::coordinator
