#include "coordinator/upgrade_engine.hpp"

#include <set>

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "coordinator/controller.hpp"

namespace fabric::coordinator {

namespace {

void fail_operation(controller& c, const std::string& id, const std::string& why) {
  if (id.empty())
    return;
  if (auto* op = c.find_operation(id); op && op->status == op_status::in_progress) {
    op->status = op_status::failed;
    op->error = why;
  }
}

void earliest(std::optional<upgrade_engine::time_point>& out, upgrade_engine::time_point t) {
  if (!out || t < *out)
    out = t;
}

} // namespace

upgrade_engine::upgrade_engine(const controller_config& cfg) {
  defaults_.policy.instance_timeout = cfg.upgrade_timeout;
  defaults_.policy.on_timeout = cfg.upgrade_on_timeout;
  defaults_.domain_wait = cfg.upgrade_domain_wait;
}

upgrade_engine::tracked& upgrade_engine::state_of(const std::string& name) {
  auto i = tracked_.find(name);
  if (i == tracked_.end())
    i = tracked_.emplace(name, tracked{defaults_, {}, {}, {}, {}, {}, {}}).first;
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
  for (auto& [name, t] : tracked_) {
    if (t.wait_until)
      earliest(out, *t.wait_until);
    if (t.timeout_at)
      earliest(out, *t.timeout_at);
  }
  return out;
}

void upgrade_engine::tick(controller& c, time_point now) {
  std::vector<std::pair<std::string, model::slot>> work;
  std::set<std::string> live;
  for (auto& [sname, svc] : c.model().services)
    for (auto s : {model::slot::production, model::slot::staging})
      if (auto& d = svc.in(s); d && d->upgrade) {
        work.emplace_back(sname, s);
        live.insert(d->name);
      }
  for (auto& [sname, s] : work)
    drive(c, sname, s, now);
  for (auto i = tracked_.begin(); i != tracked_.end();)
    i = live.count(i->first) ? std::next(i) : tracked_.erase(i);
}

void upgrade_engine::drive(controller& c, const std::string& service, model::slot s,
                           time_point now) {
  const model::deployment* d = nullptr;
  if (auto svc = c.model().services.find(service); svc != c.model().services.end())
    if (auto& dd = svc->second.in(s))
      d = &*dd;
  if (!d || !d->upgrade)
    return;
  auto name = d->name;
  auto& t = state_of(name);
  if (t.wait_until) {
    if (now < *t.wait_until)
      return;
    t.wait_until.reset();
  }

  // The health the planner asks for (the instances of the UDs it walks, not
  // the whole deployment): observed states, else RoleStateUnknown on the
  // model's version; the commands in flight. Meanwhile the earliest instance
  // timeout ahead (the planner's rule: from the start of the upgrade, else
  // from entering the state, for an instance moving to or on the target
  // version and not serving).
  const auto timeout = t.settings.policy.instance_timeout;
  const std::string target = d->upgrade->target_version;
  const std::string role = d->upgrade->role;
  t.timeout_at.reset();
  std::string wire = name + ".";  // wire_name(name, instance), one buffer
  const auto prefix = wire.size();
  model::health_snapshot h;
  h.lookup = [&](const model::instance& inst) -> std::optional<model::instance_health> {
    if (!role.empty() && inst.role != role)
      return std::nullopt;
    wire.resize(prefix);
    wire += inst.name;
    auto* o = c.observed(wire);
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
    bool clocked = v.upgrade_started || (v.version == target && !model::is_serving(v.state));
    if (clocked) {
      auto at = v.upgrade_started.value_or(v.since) + timeout;
      if (at > now)
        earliest(t.timeout_at, at);
    }
    return v;
  };
  ++passes_;
  auto actions = model::plan_next(*d, h, t.settings.policy, now);
  auto step = model::edits_for(service, s, *d, actions, t.settings.domain_wait.count() > 0);
  const bool back = d->upgrade->rolling_back;
  d = nullptr;  // the commit replaces the model (the journaled store applies edits to a copy)

  if (auto st = c.commit_all(step.edits); !st) {
    spdlog::error("upgrade of {}: {}", name, st.err().to_string());
    return;  // nothing changed; the next tick plans again
  }
  for (auto& e : step.edits)
    if (auto* x = std::get_if<model::update_upgrade>(&e))
      spdlog::info("upgrade of {}: UD {} {}, walked [{}]", name, x->current_upgrade_domain,
                   model::to_string(x->current_state), fmt::join(x->walked, ", "));
  for (auto& m : step.moves) {
    planned_command cmd{m.node, protocol::command_kind::upgrade, wire_name(name, m.instance),
                        instance_ref{service, s, m.instance}, name};
    if (c.send(cmd)) {
      t.in_flight[m.instance] = {now, m.to_version};
      earliest(t.timeout_at, now + timeout);
    }
  }
  if (step.wait)
    t.wait_until = now + t.settings.domain_wait;
  if (!step.rolled_back.empty()) {
    spdlog::warn("upgrade of {} rolls back: {}", name, step.rolled_back);
    fail_operation(c, t.op_id, "rolled back: " + step.rolled_back);
    t.wait_until.reset();
  }
  if (step.completed) {
    spdlog::info("upgrade of {} {}: version {}", name, back ? "rolled back" : "complete",
                 target);
    tracked_.erase(name);
    return;
  }
  if (step.paused != t.paused_reason) {
    if (!step.paused.empty())
      spdlog::warn("upgrade of {} paused: {}", name, step.paused);
    t.paused_reason = step.paused;
  }
}

} // namespace fabric::coordinator
