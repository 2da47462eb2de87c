#include "coordinator/controller.hpp"

#include <tuple>

#include <spdlog/spdlog.h>

#include "coordinator/image_catalog.hpp"
#include "coordinator/upgrade_ops.hpp"
#include "coordinator/deployment_ops.hpp"

namespace fabric::coordinator {

status memory_model_port::commit(const model::model_edit& edit) {
  return model::apply(model_, edit);
}

api_result api_error(int status, const std::string& code, const std::string& message) {
  return {status, {{"error", {{"code", code}, {"message", message}}}}};
}

const char* to_string(op_status s) {
  switch (s) {
    case op_status::in_progress: return "InProgress";
    case op_status::succeeded: return "Succeeded";
    case op_status::failed: return "Failed";
  }
  return "?";
}

controller::controller(model_port& store, const image_catalog* images, controller_config cfg)
  : store_(store), images_(images), config_(std::move(cfg)),
    upgrades_(std::make_unique<upgrade_engine>(config_)) {
  register_builtin_operations(*this);
  register_upgrade_operations(*this);
  register_deployment_operations(*this);
  rng_.seed(config_.seed);
}

controller::~controller() = default;

void controller::on_tick(std::chrono::steady_clock::time_point now) {
  upgrades_->tick(*this, now);
  check_operations();
}

// -- node events ---------------------------------------------------------------

void controller::on_node_up(const node_info& n, const std::vector<protocol::held_instance>& held) {
  nodes_[n.name] = n;
  nodes_[n.name].up = true;
  for (auto& c : reconcile_node(model(), n.name, held))
    send(c);
  heal({});  // instances left unplaced for want of room may fit now
  check_operations();
}

void controller::on_node_down(const std::string& name) {
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
  heal({name});
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
  }
  heal(out);
  check_operations();
  return out;
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
  auto now = std::chrono::steady_clock::now();
  for (auto& [id, op] : operations_) {
    if (op.status == op_status::in_progress && op.pending.empty() && (!op.done || op.done(*this)))
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

void controller::register_operation(const std::string& kind, operation_fn fn,
                                    bool checks_conflicts) {
  op_table_[kind] = std::move(fn);
  if (checks_conflicts)
    self_checking_ops_.insert(kind);
  else
    self_checking_ops_.erase(kind);
}

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

api_result controller::start_operation(const std::string& kind, const operation_request& req) {
  auto fn = op_table_.find(kind);
  if (fn == op_table_.end())
    return api_error(400, "UnknownOperation", "unknown operation '" + kind + "'");
  operation op;
  op.kind = kind;
  op.service = req.service;
  auto s = model::parse_slot(req.slot);
  if (s) {
    op.in_slot = *s;
    for (auto& [id, other] : operations_)
      if (!self_checking_ops_.count(kind) && other.status == op_status::in_progress
          && other.service == req.service && other.in_slot == *s)
        return api_error(409, "ConflictError",
                         "operation " + id + " (" + other.kind + ") is in progress on "
                           + req.service + "/" + model::to_string(*s));
  }
  op.id = config_.operation_prefix + "-" + std::to_string(next_op_++);
  op.started_at = std::chrono::steady_clock::now();
  auto res = fn->second(*this, op, req);
  if (res.status >= 400)
    return res;
  for (auto id : op.pending)
    command_op_[id] = op.id;
  auto id = op.id;
  operations_[id] = std::move(op);
  check_operations();
  if (res.body.is_null())
    res.body = nlohmann::json::object();
  res.status = 202;
  res.body["operation_id"] = id;
  res.body["status"] = to_string(operations_[id].status);
  return res;
}

api_result controller::get_operation(const std::string& id) const {
  auto i = operations_.find(id);
  if (i == operations_.end())
    return api_error(404, "ResourceNotFound", "no operation '" + id + "'");
  auto& op = i->second;
  nlohmann::json body{{"id", op.id},
                      {"kind", op.kind},
                      {"service", op.service},
                      {"slot", model::to_string(op.in_slot)},
                      {"status", to_string(op.status)},
                      {"pending_commands", op.pending.size()}};
  if (op.status == op_status::failed)
    body["error"] = {{"code", "OperationFailed"}, {"message", op.error}};
  return {200, body};
}

api_result controller::list_operations() const {
  auto arr = nlohmann::json::array();
  for (auto& [id, op] : operations_)
    arr.push_back(get_operation(id).body);
  return {200, {{"operations", arr}}};
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

std::optional<nlohmann::json> parse_object(const std::string& body, api_result& err) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    err = api_error(400, "BadRequest", "the request body is not a JSON object");
    return std::nullopt;
  }
  return j;
}

} // namespace

api_result controller::create_service(const std::string& body) {
  api_result err;
  auto j = parse_object(body, err);
  if (!j)
    return err;
  if (!j->contains("name") || !(*j)["name"].is_string())
    return api_error(400, "BadRequest", "missing string member 'name'");
  auto name = (*j)["name"].get<std::string>();
  if (!valid_service_name(name))
    return api_error(400, "BadRequest",
                     "bad service name '" + name + "': 1..63 characters of A-Z a-z 0-9 - _");
  if (model().services.count(name))
    return api_error(409, "ConflictError", "hosted service '" + name + "' already exists");
  model::create_hosted_service e;
  e.name = name;
  auto str = [&](const char* k) {
    return j->contains(k) && (*j)[k].is_string() ? (*j)[k].get<std::string>() : std::string();
  };
  e.label = str("label");
  e.description = str("description");
  e.location = str("location");
  for (auto [field, value, max] :
       {std::tuple{"label", &e.label, model::max_label_chars},
        std::tuple{"description", &e.description, model::max_description_chars},
        std::tuple{"location", &e.location, model::max_location_chars}})
    if (auto why = model::text_field_error(field, *value, max); !why.empty())
      return api_error(400, "BadRequest", why);
  if (auto st = commit(e); !st)
    return api_error(500, "InternalError", st.err().to_string());
  return {201, get_service(name).body};
}

api_result controller::list_services() const {
  auto arr = nlohmann::json::array();
  for (auto& [name, svc] : model().services)
    arr.push_back(get_service(name).body);
  return {200, {{"services", arr}}};
}

api_result controller::get_service(const std::string& name) const {
  auto i = model().services.find(name);
  if (i == model().services.end())
    return api_error(404, "ResourceNotFound", "hosted service '" + name + "' does not exist");
  auto& svc = i->second;
  nlohmann::json slots = nlohmann::json::object();
  for (auto s : {model::slot::production, model::slot::staging})
    if (auto& d = svc.in(s))
      slots[model::to_string(s)] = {{"name", d->name},
                                    {"status", model::to_string(d->status)},
                                    {"version", d->version},
                                    {"instances", d->instances.size()}};
  return {200,
          {{"name", svc.name},
           {"label", svc.label},
           {"description", svc.description},
           {"location", svc.location},
           {"deployments", slots}}};
}

api_result controller::delete_service(const std::string& name) {
  auto i = model().services.find(name);
  if (i == model().services.end())
    return api_error(404, "ResourceNotFound", "hosted service '" + name + "' does not exist");
  if (i->second.production || i->second.staging)
    return api_error(409, "ConflictError",
                     "hosted service '" + name + "' still has a deployment; delete it first");
  if (auto st = commit(model::delete_hosted_service{name}); !st)
    return api_error(500, "InternalError", st.err().to_string());
  return {200, {{"deleted", name}}};
}

api_result controller::get_deployment(const std::string& service, const std::string& slot) const {
  auto i = model().services.find(service);
  if (i == model().services.end())
    return api_error(404, "ResourceNotFound", "hosted service '" + service + "' does not exist");
  auto s = model::parse_slot(slot);
  if (!s)
    return api_error(400, "BadRequest",
                     "unknown slot '" + slot + "': expected production or staging");
  auto& d = i->second.in(*s);
  if (!d)
    return api_error(404, "ResourceNotFound",
                     "no deployment in " + service + "/" + model::to_string(*s));
  return {200, deployment_json(*this, i->second, *d)};
}

nlohmann::json deployment_json(const controller& c, const model::hosted_service& svc,
                               const model::deployment& d) {
  auto arr = nlohmann::json::array();
  int ready = 0;
  for (auto& i : d.instances) {
    auto* o = c.observed(wire_name(d.name, i.name));
    auto state = o ? o->state : model::instance_state::role_state_unknown;
    if (state == model::instance_state::ready_role)
      ++ready;
    arr.push_back({{"name", i.name},
                   {"role", i.role},
                   {"upgrade_domain", i.upgrade_domain},
                   {"fault_domain", i.fault_domain},
                   {"node", i.node},
                   {"state", model::to_string(state)},
                   {"version", o && !o->version.empty() ? o->version : i.version},
                   {"endpoint", o ? o->endpoint : std::string()}});
  }
  auto roles = nlohmann::json::array();
  for (auto& r : d.configuration.roles)
    roles.push_back({{"name", r.name}, {"instance_count", r.instance_count}});
  return {{"service", svc.name},
          {"slot", model::to_string(d.in_slot)},
          {"name", d.name},
          {"label", d.label},
          {"status", model::to_string(d.status)},
          {"version", d.version},
          {"image_digest", d.package},
          {"upgrade_domain_count", d.definition.upgrade_domain_count},
          {"roles", roles},
          {"ready_instances", ready},
          {"instances", arr},
          {"upgrade", upgrade_status_json(c, d)}};
}

} // namespace fabric::coordinator
