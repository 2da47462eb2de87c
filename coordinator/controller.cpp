#include "coordinator/controller.hpp"

#include <algorithm>
#include <random>
#include <tuple>

#include <spdlog/spdlog.h>

#include "coordinator/image_catalog.hpp"
#include "coordinator/plan_support.hpp"
#include "coordinator/upgrade_engine.hpp"

namespace fabric::coordinator {

status memory_model_port::commit(const model::model_edit& edit) {
  return model::apply(model_, edit);
}

status memory_model_port::commit_all(const std::vector<model::model_edit>& edits) {
  auto copy = model_;
  for (auto& e : edits)
    if (auto st = model::apply(copy, e); !st)
      return st;
  model_ = std::move(copy);
  return ok_status();
}

controller::controller(model_port& store, const image_catalog* images, controller_config cfg)
  : store_(store), images_(images), config_(std::move(cfg)),
    upgrades_(std::make_unique<upgrade_engine>(config_)) {
  rng_.seed(config_.seed);
}

controller::~controller() = default;

void controller::on_tick(std::chrono::steady_clock::time_point now) {
  upgrades_->tick(*this, now);
  heal_due(now);
  check_operations();
}

void controller::on_liveness(std::chrono::steady_clock::time_point now) {
  if (config_.stall_threshold.count() > 0 && last_beat_ && now - *last_beat_ > config_.stall_threshold) {
    spdlog::warn("the coordinator stalled for {} ms: no healing for the restart grace",
                 std::chrono::duration_cast<std::chrono::milliseconds>(now - *last_beat_).count());
    last_stall_end_ = now;
  }
  last_beat_ = now;
  heal_due(now);
  check_operations();
}

// -- node events ---------------------------------------------------------------

void controller::on_node_up(const node_info& n, const std::vector<protocol::held_instance>& held) {
  nodes_[n.name] = n;
  nodes_[n.name].up = true;
  if (down_since_.erase(n.name))  // back within the heal delay: keeps its instances
    spdlog::info("node {} is back before its instances were healed: reconciled in place", n.name);
  for (auto& c : reconcile_node(model(), n.name, held))
    send(c);
  heal({});  // instances left unplaced for want of room may fit now
  check_operations();
}

void controller::on_node_down(const std::string& name) {
  on_node_down(name, std::chrono::steady_clock::now());
}

void controller::on_node_down(const std::string& name, std::chrono::steady_clock::time_point now) {
  auto i = nodes_.find(name);
  if (i == nodes_.end() || !i->second.up)
    return;
  i->second.up = false;
  // Its instances: state unknown until they run somewhere else.
  for (auto& [sname, svc] : model().services)
    for (auto s : {model::slot::production, model::slot::staging})
      if (auto& d = svc.in(s))
        for (auto& inst : d->instances)
          if (inst.node == name) {
            auto& o = observed_[wire_name(d->name, inst.name)];
            o.state = model::instance_state::role_state_unknown;
            o.endpoint.clear();
          }
  // Commands to it will not be answered: the operations stop waiting for them
  // (healing re-sends what is needed to the new nodes).
  for (auto it = command_node_.begin(); it != command_node_.end();) {
    if (it->second != name) {
      ++it;
      continue;
    }
    auto op = command_op_.find(it->first);
    if (op != command_op_.end()) {
      if (auto o = operations_.find(op->second); o != operations_.end())
        o->second.pending.erase(it->first);
      command_op_.erase(op);
    }
    unanswered_.erase(it->first);
    it = command_node_.erase(it);
  }
  // Detection is not healing: re-placed once the heal delay has passed.
  down_since_[name] = now;
  heal_due(now);
  check_operations();
}

std::size_t controller::resend_unanswered(std::chrono::steady_clock::time_point now,
                                          std::chrono::milliseconds timeout) {
  std::size_t n = 0;
  for (auto it = unanswered_.begin(); it != unanswered_.end();) {
    auto& u = it->second;
    if (!u.seen) {
      u.seen = now;
      ++it;
      continue;
    }
    if (now - *u.seen < timeout) {
      ++it;
      continue;
    }
    auto node = nodes_.find(u.out.node);
    bool still_here = true;
    if (u.out.command.kind != protocol::command_kind::remove) {
      auto ref = locate(model(), u.out.command.instance.name);
      auto* inst = ref ? model().services.at(ref->service).in(ref->in_slot)->find_instance(
                           ref->instance)
                       : nullptr;
      still_here = inst && inst->node == u.out.node;
    }
    if (node == nodes_.end() || !node->second.up || !still_here) {
      it = unanswered_.erase(it);  // healing or reconcile takes over
      continue;
    }
    u.out.peer = node->second.peer;
    u.seen = now;
    outbound_.push_back(u.out);
    ++counters_.commands_resent;
    ++n;
    ++it;
  }
  if (n > 0)
    spdlog::info("{} command(s) without a result sent again", n);
  return n;
}

std::vector<std::string> controller::expire_unseen_nodes() {
  return expire_unseen_nodes(std::chrono::steady_clock::now());
}

std::vector<std::string> controller::expire_unseen_nodes(std::chrono::steady_clock::time_point now) {
  std::set<std::string> unseen;
  for (auto& [sname, svc] : model().services)
    for (auto s : {model::slot::production, model::slot::staging})
      if (auto& d = svc.in(s))
        for (auto& inst : d->instances)
          if (!inst.node.empty() && !nodes_.count(inst.node))
            unseen.insert(inst.node);
  std::vector<std::string> out(unseen.begin(), unseen.end());
  if (out.empty())
    return out;
  for (auto& name : out) {
    node_info n;
    n.name = name;
    n.up = false;
    nodes_[name] = n;
    spdlog::warn("node {} has not registered since the coordinator started: treated as down",
                 name);
    down_since_[name] = now;  // the heal delay runs from the end of the grace
  }
  heal_due(now);
  check_operations();
  return out;
}

std::vector<std::string> controller::heal_due(std::chrono::steady_clock::time_point now) {
  // Only while the restart window is open (it ends at the grace anyway).
  if (!all_registered_ && now < started_at_ + config_.unseen_node_grace) {
    bool all = true;
    for (auto& [sname, svc] : model().services)
      for (auto s : {model::slot::production, model::slot::staging})
        if (auto& d = svc.in(s))
          for (auto& inst : d->instances)
            if (!inst.node.empty()) {
              auto n = nodes_.find(inst.node);
              all = all && n != nodes_.end() && n->second.up;
            }
    if (all) {
      all_registered_ = true;
      all_registered_at_ = now;
    }
  }
  if (down_since_.empty())
    return {};
  restart_window window{started_at_, all_registered_, all_registered_at_, last_stall_end_};
  auto decision = decide_healing(down_since_, window, now,
                                 {config_.heal_delay, config_.unseen_node_grace});
  if (decision.heal_now.empty())
    return {};
  for (auto& name : decision.heal_now) {
    down_since_.erase(name);
    spdlog::warn("node {} is still down after the heal delay ({} ms): healing its instances",
                 name, config_.heal_delay.count());
  }
  counters_.nodes_healed += decision.heal_now.size();
  heal(decision.heal_now);
  return decision.heal_now;
}

void controller::heal(const std::vector<std::string>& down) {
  auto plan = plan_healing(model(), down, live_capacity());
  for (auto& e : plan.edits)
    if (auto st = commit(e); !st)
      spdlog::error("healing: cannot commit {}: {}", model::edit_name(e), st.err().to_string());
  for (auto& c : plan.commands) {
    forget_observed(c.wire);
    send(c);
    ++counters_.replacements;
  }
  if (!plan.commands.empty())
    spdlog::info("service healing: {} instance(s) re-placed", plan.commands.size());
  if (!plan.unplaced.empty())
    spdlog::warn("service healing: {} instance(s) wait for room", plan.unplaced.size());
  for (auto& role : plan.spread_lost) {
    ++counters_.fault_domain_spread_lost;
    spdlog::warn("service healing: role {} now runs in a single fault domain (no room in the "
                 "others): it needs moving back once another fault domain has room "
                 "(plan_spread_restore)",
                 role);
  }
}

std::string controller::node_of_peer(const std::string& peer) const {
  for (auto& [name, n] : nodes_)
    if (n.peer == peer && n.up)
      return name;
  return {};
}

void controller::record_status(const std::string& node, const std::string& wire,
                               const std::string& state, const std::string& version,
                               const std::string& endpoint) {
  auto ref = locate(model(), wire);
  if (!ref) {
    ++counters_.reports_ignored;
    return;
  }
  auto& d = *model().services.at(ref->service).in(ref->in_slot);
  auto* inst = d.find_instance(ref->instance);
  if (!inst || inst->node != node) {
    ++counters_.reports_ignored;  // a stale copy on a node it left
    return;
  }
  auto parsed = model::parse_instance_state(state);
  auto& o = observed_[wire];
  o.state = parsed ? *parsed : model::instance_state::role_state_unknown;
  o.version = version;
  o.endpoint = endpoint;
  o.node = node;
}

void controller::on_instance_statuses(const std::string& node,
                                      const std::vector<protocol::instance_status>& statuses) {
  for (auto& s : statuses)
    record_status(node, s.instance_name, s.state, s.version, s.endpoint);
  check_operations();
}

void controller::on_report(const std::string& peer, const protocol::instance_report& r) {
  auto node = node_of_peer(peer);
  if (node.empty()) {
    ++counters_.reports_ignored;
    return;
  }
  record_status(node, r.instance_name, r.state, r.version, r.endpoint);
  check_operations();
}

void controller::on_command_result(const std::string&, const protocol::instance_command_result& r) {
  command_node_.erase(r.command_id);
  unanswered_.erase(r.command_id);
  auto i = command_op_.find(r.command_id);
  if (!r.ok) {
    ++counters_.commands_failed;
    spdlog::warn("command {} failed: {}", r.command_id, r.error);
  }
  if (i == command_op_.end())
    return;
  auto op = operations_.find(i->second);
  command_op_.erase(i);
  if (op == operations_.end())
    return;
  op->second.pending.erase(r.command_id);
  if (!r.ok && op->second.status == op_status::in_progress) {
    op->second.status = op_status::failed;
    op->second.error = r.error.empty() ? "a node refused a command" : r.error;
  }
  check_operations();
}

void controller::check_operations() {
  auto now = clock_();
  for (auto& [id, op] : operations_) {
    if (op.status == op_status::in_progress && op.pending.empty() && completed(op.done))
      op.status = op_status::succeeded;
    if (op.status != op_status::in_progress && op.finished_at == decltype(now){})
      op.finished_at = now;
  }
}

// -- helpers -------------------------------------------------------------------

status controller::commit(const model::model_edit& edit) { return store_.commit(edit); }
status controller::commit_all(const std::vector<model::model_edit>& edits) {
  return store_.commit_all(edits);
}

uint64_t controller::send(const planned_command& c) {
  auto n = nodes_.find(c.node);
  if (n == nodes_.end() || !n->second.up)
    return 0;
  protocol::instance_command cmd;
  cmd.command_id = next_command_++;
  cmd.kind = c.kind;
  cmd.reboot_degenerates = c.reboot_degenerates;
  if (c.ref && locate(model(), c.wire)) {
    auto& d = *model().services.at(c.ref->service).in(c.ref->in_slot);
    cmd.instance = make_spec(model(), *c.ref, phases_for(d.name));
  } else {
    cmd.instance.name = c.wire;
    cmd.instance.deployment = c.deployment_name;
  }
  command_node_[cmd.command_id] = c.node;
  if (config_.command_retry.count() > 0
      && (cmd.kind == protocol::command_kind::start || cmd.kind == protocol::command_kind::migrate_in
          || cmd.kind == protocol::command_kind::remove))
    unanswered_[cmd.command_id] = {{n->second.peer, c.node, cmd}, std::nullopt};
  outbound_.push_back({n->second.peer, c.node, std::move(cmd)});
  ++counters_.commands_sent;
  return outbound_.back().command.command_id;
}

const observed_instance* controller::observed(const std::string& wire) const {
  auto i = observed_.find(wire);
  return i == observed_.end() ? nullptr : &i->second;
}

void controller::forget_observed(const std::string& wire) { observed_.erase(wire); }

std::vector<model::node_capacity> controller::live_capacity() const {
  std::vector<model::node_capacity> out;
  for (auto& [name, n] : nodes_)
    if (n.up)
      out.push_back({name, n.fault_domain, n.capacity, 0});
  std::map<std::string, int> load;
  for (auto& [sname, svc] : model().services)
    for (auto s : {model::slot::production, model::slot::staging})
      if (auto& d = svc.in(s))
        for (auto& i : d->instances)
          ++load[i.node];
  for (auto& n : out)
    n.load = load[n.name];
  return out;
}

std::map<std::string, uint32_t>& controller::phases_for(const std::string& deployment) {
  auto i = phases_.find(deployment);
  if (i == phases_.end())
    i = phases_.emplace(deployment, config_.phase_durations_ms).first;
  return i->second;
}

bool controller::all_ready(const std::string& service, model::slot s) const {
  auto svc = model().services.find(service);
  if (svc == model().services.end() || !svc->second.in(s))
    return false;
  auto& d = *svc->second.in(s);
  for (auto& i : d.instances) {
    auto* o = observed(wire_name(d.name, i.name));
    if (!o || o->state != model::instance_state::ready_role)
      return false;
  }
  return true;
}

std::vector<outbound_command> controller::take_outbound() {
  std::vector<outbound_command> out;
  out.swap(outbound_);
  return out;
}

// -- operations ----------------------------------------------------------------

operation* controller::running_operation(const std::string& service, model::slot s) {
  for (auto& [id, op] : operations_)
    if (op.status == op_status::in_progress && op.service == service && op.in_slot == s)
      return &op;
  return nullptr;
}

operation* controller::find_operation(const std::string& id) {
  auto i = operations_.find(id);
  return i == operations_.end() ? nullptr : &i->second;
}

plan_inputs controller::inputs(double reboot_draw) const {
  plan_inputs in;
  in.live = live_capacity();
  const auto* images = images_;
  in.resolve_image = [images](const std::string& name) -> std::optional<std::string> {
    if (!images)
      return std::nullopt;
    return images->resolve(name);
  };
  for (auto& [id, op] : operations_)
    if (op.status == op_status::in_progress)
      in.running.push_back({op.id, op.kind, op.service, op.in_slot});
  in.default_phases = config_.phase_durations_ms;
  const auto* engine = upgrades_.get();
  in.upgrade_operation_of = [engine](const std::string& d) { return engine->operation_of(d); };
  in.upgrade_paused_reason = [engine](const std::string& d) { return engine->paused_reason(d); };
  in.upgrade_policy = engine->defaults().policy;
  in.upgrade_domain_wait = engine->defaults().domain_wait;
  in.reboot_draw = reboot_draw;
  in.limits = config_.limits;
  return in;
}

outcome<operation_accepted> controller::start_operation(const operation_request& r) {
  // The reboot quirk's draw comes from the seeded RNG; a refused request
  // does not consume it (the RNG advances only when the plan is applied).
  auto rng = rng_;
  double draw = 1.0;
  if (needs_reboot_draw(r))
    draw = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  auto plan = plan_operation(model(), r, inputs(draw));
  if (!plan)
    return plan.err();
  auto accepted = apply(std::move(*plan));
  if (accepted && needs_reboot_draw(r))
    rng_ = rng;
  return accepted;
}

outcome<operation_accepted> controller::apply(op_plan plan) {
  if (!plan.edits.empty())
    if (auto st = commit_all(plan.edits); !st)
      return request_error{error_code::internal, st.err().to_string()};
  operation op;
  op.kind = plan.kind;
  op.service = plan.service;
  op.in_slot = plan.in_slot;
  op.id = config_.operation_prefix + "-" + std::to_string(next_op_++);
  op.started_at = clock_();
  op.done = plan.done;
  for (auto& s : plan.supersedes)
    if (auto* other = find_operation(s.op_id); other && other->status == op_status::in_progress) {
      other->status = op_status::failed;
      other->error = s.reason_before + op.id + s.reason_after;
    }
  if (plan.upgrade) {
    auto& h = *plan.upgrade;
    if (h.policy) {
      upgrade_settings settings;
      settings.policy = *h.policy;
      settings.domain_wait = h.domain_wait;
      upgrades_->track(h.deployment, settings, op.id);
    } else {
      upgrades_->reset_walk(h.deployment);
      upgrades_->set_operation(h.deployment, op.id);
    }
  }
  if (plan.phases)
    phases_for(plan.phases->first) = plan.phases->second;
  for (auto& w : plan.forget)
    forget_observed(w);
  for (auto& c : plan.commands) {
    auto id = send(c);
    if (id != 0) {
      op.pending.insert(id);
      continue;
    }
    if (plan.commands_required)  // only plans without edits: nothing changed
      return request_error{error_code::unavailable, "node " + c.node + " did not take the command"};
  }
  if (!plan.log.empty()) {
    auto line = plan.log;
    if (auto at = line.find("{op}"); at != std::string::npos)
      line.replace(at, 4, op.id);
    spdlog::info("{}", line);
  }
  for (auto id : op.pending)
    command_op_[id] = op.id;
  auto id = op.id;
  operations_[id] = std::move(op);
  check_operations();
  return operation_accepted{id, operations_[id].status, std::move(plan.reply)};
}

bool controller::completed(const completion& c) const {
  auto deployment = [&]() -> const model::deployment* {
    auto svc = model().services.find(c.service);
    if (svc == model().services.end() || !svc->second.in(c.in_slot))
      return nullptr;
    return &*svc->second.in(c.in_slot);
  };
  switch (c.what) {
    case completion::kind::commands_answered: return true;
    case completion::kind::deployment_ready: return all_ready(c.service, c.in_slot);
    case completion::kind::deployment_stopped: {
      auto* d = deployment();
      if (!d)
        return false;
      for (auto& i : d->instances) {
        auto n = nodes_.find(i.node);
        if (n == nodes_.end() || !n->second.up)
          continue;
        auto* o = observed(wire_name(d->name, i.name));
        if (!o || o->state != model::instance_state::stopped_vm)
          return false;
      }
      return true;
    }
    case completion::kind::instance_ready: {
      auto* o = observed(c.wire);
      return o && o->state == model::instance_state::ready_role;
    }
    case completion::kind::upgrade_ended: {
      auto* d = deployment();
      return !d || !d->upgrade;
    }
    case completion::kind::domain_walked: {
      auto* d = deployment();
      if (!d || !d->upgrade)
        return true;
      auto& w = d->upgrade->walked;
      return std::find(w.begin(), w.end(), c.upgrade_domain) != w.end();
    }
  }
  return false;
}

outcome<operation_view> controller::get_operation(const std::string& id) const {
  auto i = operations_.find(id);
  if (i == operations_.end())
    return not_found("no operation '" + id + "'");
  auto& op = i->second;
  operation_view v;
  v.id = op.id;
  v.kind = op.kind;
  v.service = op.service;
  v.in_slot = op.in_slot;
  v.status = op.status;
  v.pending_commands = op.pending.size();
  if (op.status == op_status::failed)
    v.error = op.error;
  return v;
}

std::vector<operation_view> controller::list_operations() const {
  std::vector<operation_view> out;
  for (auto& [id, op] : operations_)
    out.push_back(*get_operation(id));
  return out;
}

// -- hosted services -------------------------------------------------------------

namespace {

bool valid_service_name(const std::string& n) {
  if (n.empty() || n.size() > 63)
    return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
      return false;
  return true;
}

} // namespace

outcome<service_view> controller::create_service(const create_service_request& r) {
  if (!valid_service_name(r.name))
    return bad_request("bad service name '" + r.name
                       + "': 1..63 characters of A-Z a-z 0-9 - _");
  if (model().services.count(r.name))
    return conflict("hosted service '" + r.name + "' already exists");
  model::create_hosted_service e;
  e.name = r.name;
  e.label = r.label;
  e.description = r.description;
  e.location = r.location;
  for (auto [field, value, max] :
       {std::tuple{"label", &e.label, model::max_label_chars},
        std::tuple{"description", &e.description, model::max_description_chars},
        std::tuple{"location", &e.location, model::max_location_chars}})
    if (auto why = model::text_field_error(field, *value, max); !why.empty())
      return bad_request(why);
  if (auto st = commit(e); !st)
    return request_error{error_code::internal, st.err().to_string()};
  return get_service(r.name);
}

std::vector<service_view> controller::list_services() const {
  std::vector<service_view> out;
  for (auto& [name, svc] : model().services)
    out.push_back(*get_service(name));
  return out;
}

outcome<service_view> controller::get_service(const std::string& name) const {
  auto i = model().services.find(name);
  if (i == model().services.end())
    return not_found("hosted service '" + name + "' does not exist");
  auto& svc = i->second;
  service_view v;
  v.name = svc.name;
  v.label = svc.label;
  v.description = svc.description;
  v.location = svc.location;
  for (auto s : {model::slot::production, model::slot::staging})
    if (auto& d = svc.in(s))
      v.deployments.push_back({s, d->name, d->status, d->version, d->instances.size()});
  return v;
}

outcome<std::string> controller::delete_service(const std::string& name) {
  auto i = model().services.find(name);
  if (i == model().services.end())
    return not_found("hosted service '" + name + "' does not exist");
  if (i->second.production || i->second.staging)
    return conflict("hosted service '" + name + "' still has a deployment; delete it first");
  if (auto st = commit(model::delete_hosted_service{name}); !st)
    return request_error{error_code::internal, st.err().to_string()};
  return name;
}

namespace {

/// The deployment in service/slot, or the refusal (404 service, 400 slot,
/// 404 no deployment), as the operations resolve it.
outcome<const model::deployment*> find_deployment(const model::fabric_model& m,
                                                  const std::string& service,
                                                  const std::string& slot) {
  auto r = detail::resolve(m, {service, slot});
  if (!r)
    return r.err();
  return r->dep;
}

} // namespace

outcome<deployment_view> controller::get_deployment(const std::string& service,
                                                    const std::string& slot) const {
  auto found = find_deployment(model(), service, slot);
  if (!found)
    return found.err();
  auto& d = **found;
  deployment_view v;
  v.service = service;
  v.in_slot = d.in_slot;
  v.name = d.name;
  v.label = d.label;
  v.status = d.status;
  v.version = d.version;
  v.image_digest = d.package;
  v.upgrade_domain_count = d.definition.upgrade_domain_count;
  for (auto& r : d.configuration.roles)
    v.roles.emplace_back(r.name, r.instance_count);
  v.instances.reserve(d.instances.size());
  for (auto& i : d.instances) {
    auto* o = observed(wire_name(d.name, i.name));
    instance_view iv;
    iv.name = i.name;
    iv.role = i.role;
    iv.upgrade_domain = i.upgrade_domain;
    iv.fault_domain = i.fault_domain;
    iv.node = i.node;
    iv.state = o ? o->state : model::instance_state::role_state_unknown;
    iv.version = o && !o->version.empty() ? o->version : i.version;
    iv.endpoint = o ? o->endpoint : std::string();
    if (iv.state == model::instance_state::ready_role)
      ++v.ready_instances;
    v.instances.push_back(std::move(iv));
  }
  if (d.upgrade)
    v.upgrade = upgrade_view_of(d);
  return v;
}

upgrade_view controller::upgrade_view_of(const model::deployment& d) const {
  auto& u = *d.upgrade;
  upgrade_view v;
  v.status = u;
  v.paused_reason = upgrades_->paused_reason(d.name);
  v.operation = upgrades_->operation_of(d.name);
  std::map<int, std::pair<int, int>> per_ud;  // ud -> (instances, ready on target)
  for (auto& i : d.instances) {
    if (!u.role.empty() && i.role != u.role)
      continue;
    auto& e = per_ud[i.upgrade_domain];
    ++e.first;
    auto* o = observed(wire_name(d.name, i.name));
    if (o && o->state == model::instance_state::ready_role && o->version == u.target_version)
      ++e.second;
  }
  for (int ud : u.order) {
    std::string phase = "pending";
    if (std::find(u.walked.begin(), u.walked.end(), ud) != u.walked.end())
      phase = "walked";
    else if (u.mode == model::upgrade_mode::simultaneous)
      phase = model::to_string(u.current_state);
    else if (ud == u.current_upgrade_domain)
      phase = model::to_string(u.current_state);
    auto e = per_ud[ud];
    v.domains.push_back({ud, phase, e.first, e.second});
  }
  return v;
}

outcome<configuration_view> controller::get_configuration(const std::string& service,
                                                          const std::string& slot) const {
  auto found = find_deployment(model(), service, slot);
  if (!found)
    return found.err();
  auto& d = **found;
  configuration_view v;
  v.service = service;
  v.in_slot = d.in_slot;
  v.deployment = d.name;
  v.configuration = d.configuration;
  v.reboot_reimage_probability = d.reboot_reimage_probability;
  v.instance_reboot_reimage_probability
    = {d.instance_reboot_reimage_probability.begin(), d.instance_reboot_reimage_probability.end()};
  return v;
}

} // namespace fabric::coordinator
