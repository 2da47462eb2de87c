// The plans of the deployment operations (deploy, delete, swap, status,
// instance reboot/reimage/rebuild, reboot quirk, change configuration,
// redeploy) and the dispatcher. See plans.hpp; the upgrade operations are in
// upgrade_plans.cpp.

#include "coordinator/plans.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "coordinator/plan_support.hpp"
#include "model/change_validation.hpp"
#include "model/disk_rule.hpp"
#include "model/service_model_parser.hpp"

namespace fabric::coordinator {

using protocol::command_kind;
using detail::resolve;
using detail::resolve_slot;
using detail::target;
using detail::where;

bool operator==(const completion& a, const completion& b) {
  return a.what == b.what && a.service == b.service && a.in_slot == b.in_slot
         && a.wire == b.wire && a.upgrade_domain == b.upgrade_domain;
}

const char* to_string(error_code c) {
  switch (c) {
    case error_code::bad_request: return "BadRequest";
    case error_code::not_found: return "ResourceNotFound";
    case error_code::conflict: return "ConflictError";
    case error_code::insufficient_capacity: return "InsufficientCapacity";
    case error_code::not_supported: return "NotSupported";
    case error_code::change_not_allowed_in_place: return "ChangeNotAllowedInPlace";
    case error_code::unknown_operation: return "UnknownOperation";
    case error_code::internal: return "InternalError";
    case error_code::unavailable: return "ServiceUnavailable";
    case error_code::limit_exceeded: return "LimitExceeded";
  }
  return "InternalError";
}

const char* to_string(op_status s) {
  switch (s) {
    case op_status::in_progress: return "InProgress";
    case op_status::succeeded: return "Succeeded";
    case op_status::failed: return "Failed";
  }
  return "?";
}

namespace {

const char* instance_kind(command_kind k) {
  switch (k) {
    case command_kind::reimage: return "reimage_instance";
    case command_kind::rebuild: return "rebuild_instance";
    default: return "reboot_instance";
  }
}

struct kind_visitor {
  std::string operator()(const deploy_request&) const { return "deploy"; }
  std::string operator()(const delete_deployment_request&) const { return "delete_deployment"; }
  std::string operator()(const swap_request&) const { return "swap"; }
  std::string operator()(const set_status_request&) const { return "set_status"; }
  std::string operator()(const instance_request& r) const { return instance_kind(r.kind); }
  std::string operator()(const reboot_quirk_request&) const { return "set_reboot_quirk"; }
  std::string operator()(const change_configuration_request&) const {
    return "change_configuration";
  }
  std::string operator()(const redeploy_request&) const { return "redeploy"; }
  std::string operator()(const upgrade_deployment_request&) const { return "upgrade"; }
  std::string operator()(const walk_request&) const { return "walk"; }
  std::string operator()(const rollback_request&) const { return "rollback"; }
};

} // namespace

std::string kind_of(const operation_request& r) { return std::visit(kind_visitor{}, r); }

std::vector<std::string> operation_kinds() {
  std::vector<std::string> out{"deploy",           "delete_deployment",  "swap",
                               "set_status",       "reboot_instance",    "reimage_instance",
                               "rebuild_instance", "set_reboot_quirk",   "change_configuration",
                               "redeploy",         "upgrade",            "walk",
                               "rollback"};
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

bool node_up(const plan_inputs& in, const std::string& node) {
  for (auto& n : in.live)
    if (n.name == node)
      return true;
  return false;
}

/// Live nodes with their load counted over `m` (not necessarily the model
/// the inputs were taken from).
std::vector<model::node_capacity> capacity_over(const plan_inputs& in,
                                                const model::fabric_model& m) {
  auto live = in.live;
  std::map<std::string, int> load;
  for (auto& [name, svc] : m.services)
    for (auto s : {model::slot::production, model::slot::staging})
      if (auto& d = svc.in(s))
        for (auto& i : d->instances)
          if (!i.node.empty())
            ++load[i.node];
  for (auto& n : live)
    n.load = load[n.name];
  return live;
}

int live_fault_domains(const plan_inputs& in) {
  std::set<int> fds;
  for (auto& n : in.live)
    fds.insert(n.fault_domain);
  return std::max<int>(1, static_cast<int>(fds.size()));
}

bool running(const model::deployment& d) {
  return d.status == model::deployment_status::running
         || d.status == model::deployment_status::running_transitioning
         || d.status == model::deployment_status::starting;
}

/// The shortest text that reads back as `v` (as JSON shows numbers).
std::string shortest(double v) {
  char buf[32];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

bool valid_deployment_name(const std::string& n) {
  if (n.empty() || n.size() > 100)
    return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
      return false;
  return true;
}

outcome<std::string> resolve_image(const plan_inputs& in, const std::string& image) {
  std::optional<std::string> digest;
  if (in.resolve_image)
    digest = in.resolve_image(image);
  if (!digest)
    return bad_request("unknown image '" + image + "': upload it first (fabricctl image upload)");
  return *digest;
}

op_plan new_plan(const char* kind, const std::string& service, model::slot s) {
  op_plan p;
  p.kind = kind;
  p.service = service;
  p.in_slot = s;
  return p;
}

completion when(completion::kind k, const std::string& service, model::slot s) {
  completion c;
  c.what = k;
  c.service = service;
  c.in_slot = s;
  return c;
}

// -- deploy and redeploy: one builder ----------------------------------------------------

/// What a new deployment is made of (deploy, or redeploy's replacement).
struct deployment_spec {
  std::string service;
  model::slot in_slot = model::slot::production;
  std::string name, label, package, version;
  bool start = true;
  model::service_definition definition;
  model::service_configuration configuration;
};

/// The plan of a new deployment in a slot: builds its instances (FDs = the
/// distinct live FDs), places them on the live nodes (loads counted over the
/// model without `replaced`, the deployment the slot held), then one
/// commit of [delete_deployment (when replacing), create_deployment], the old
/// instances `remove`d, the new ones started (unless suspended), done when
/// every instance is ReadyRole.
outcome<op_plan> plan_new_deployment(const char* kind, const model::fabric_model& m,
                                     deployment_spec spec, const plan_inputs& in,
                                     const model::deployment* replaced) {
  auto instances = model::build_instances(spec.definition, spec.configuration, spec.version,
                                          live_fault_domains(in));
  if (!instances)
    return bad_request(instances.err().to_string());
  for (auto& i : *instances)
    i.node.clear();
  std::vector<model::node_capacity> capacity;
  if (replaced) {
    auto copy = m;
    copy.services.at(spec.service).in(spec.in_slot).reset();
    capacity = capacity_over(in, copy);
  } else {
    capacity = capacity_over(in, m);
  }
  auto placed = model::place_instances(*instances, capacity);
  if (!placed)
    return request_error{error_code::insufficient_capacity, placed.err().to_string()};
  for (auto& a : *placed)
    for (auto& i : *instances)
      if (i.name == a.instance) {
        i.node = a.node;
        i.fault_domain = a.fault_domain;
      }
  model::deployment d;
  d.name = spec.name;
  d.label = spec.label;
  d.package = spec.package;
  d.version = spec.version;
  d.in_slot = spec.in_slot;
  d.status = spec.start ? model::deployment_status::running : model::deployment_status::suspended;
  d.definition = std::move(spec.definition);
  d.configuration = std::move(spec.configuration);
  d.instances = std::move(*instances);

  auto p = new_plan(kind, spec.service, spec.in_slot);
  if (replaced) {
    p.edits.push_back(model::delete_deployment{spec.service, spec.in_slot});
    // Every old instance goes, then every new one starts fresh. Commands to
    // one node are carried out in order, so a `start` of a name just removed
    // there creates new disks.
    for (auto& i : replaced->instances) {
      auto wire = wire_name(replaced->name, i.name);
      p.forget.push_back(wire);
      if (!i.node.empty())
        p.commands.push_back({i.node, command_kind::remove, wire, std::nullopt, replaced->name});
    }
  }
  for (auto& i : d.instances) {
    auto wire = wire_name(d.name, i.name);
    p.forget.push_back(wire);
    if (spec.start)
      p.commands.push_back({i.node, command_kind::start, wire,
                            instance_ref{spec.service, spec.in_slot, i.name}, d.name});
  }
  if (spec.start)
    p.done = when(completion::kind::deployment_ready, spec.service, spec.in_slot);
  p.reply.deployment = d.name;
  p.edits.push_back(model::create_deployment{spec.service, spec.in_slot, std::move(d)});
  return p;
}

} // namespace

outcome<op_plan> plan_deploy(const model::fabric_model& m, const deploy_request& r,
                             const plan_inputs& in) {
  auto t = resolve_slot(m, r.target);
  if (!t)
    return t.err();
  const auto& service = r.target.service;
  if (t->dep)
    return conflict("slot " + where(service, t->in_slot) + " already holds deployment '"
                    + t->dep->name + "'");
  for (auto& [k, v] : r.phase_ms)
    if (v > 600000)
      return bad_request("phase_ms." + k + " must be an integer in 0..600000");
  auto def = model::parse_service_definition(r.csdef, "ServiceDefinition.csdef");
  if (!def)
    return bad_request(def.err().to_string());
  auto cfg = model::parse_service_configuration(r.cscfg, "ServiceConfiguration.cscfg");
  if (!cfg)
    return bad_request(cfg.err().to_string());
  if (auto st = model::validate_pair(*def, *cfg); !st)
    return bad_request(st.err().to_string());
  if (auto refused = detail::over_limits(*cfg, in, true))
    return *refused;
  if (auto why = model::text_field_error("label", r.label, model::max_label_chars); !why.empty())
    return bad_request(why);
  auto digest = resolve_image(in, r.image);
  if (!digest)
    return digest.err();
  auto name = r.name.empty() ? service + "-" + model::to_string(t->in_slot) : r.name;
  if (!valid_deployment_name(name))
    return bad_request("bad deployment name '" + name
                       + "': 1..100 characters of A-Z a-z 0-9 - _");
  for (auto& [sname, other] : m.services)
    for (auto os : {model::slot::production, model::slot::staging})
      if (other.in(os) && other.in(os)->name == name)
        return conflict("deployment name '" + name + "' is used by " + sname + "/"
                        + model::to_string(os));
  deployment_spec spec;
  spec.service = service;
  spec.in_slot = t->in_slot;
  spec.name = name;
  spec.label = r.label;
  spec.package = *digest;
  spec.version = r.version.empty() ? r.image : r.version;
  spec.start = r.start;
  spec.definition = std::move(*def);
  spec.configuration = std::move(*cfg);
  auto p = plan_new_deployment("deploy", m, std::move(spec), in, nullptr);
  if (!p)
    return p;
  auto phases = in.default_phases;
  for (auto& [k, v] : r.phase_ms)
    phases[k] = v;
  p->phases = std::make_pair(name, std::move(phases));
  return p;
}

outcome<op_plan> plan_redeploy(const model::fabric_model& m, const redeploy_request& r,
                               const plan_inputs& in) {
  auto t = resolve(m, r.target);
  if (!t)
    return t.err();
  const auto& old = *t->dep;
  if (old.upgrade)
    return conflict("cannot redeploy " + where(r.target.service, t->in_slot)
                    + " while an upgrade is in progress");
  deployment_spec spec;
  spec.service = r.target.service;
  spec.in_slot = t->in_slot;
  spec.name = old.name;
  spec.label = old.label;
  spec.package = old.package;
  spec.version = old.version;
  spec.start = true;
  spec.definition = old.definition;
  spec.configuration = old.configuration;
  if (r.csdef) {
    auto p = model::parse_service_definition(*r.csdef, "ServiceDefinition.csdef");
    if (!p)
      return bad_request(p.err().to_string());
    spec.definition = std::move(*p);
  }
  if (r.cscfg) {
    auto p = model::parse_service_configuration(*r.cscfg, "ServiceConfiguration.cscfg");
    if (!p)
      return bad_request(p.err().to_string());
    spec.configuration = std::move(*p);
  }
  if (auto st = model::validate_pair(spec.definition, spec.configuration); !st)
    return bad_request(st.err().to_string());
  if (auto refused = detail::over_limits(spec.configuration, in, true))
    return *refused;
  if (r.image) {
    auto digest = resolve_image(in, *r.image);
    if (!digest)
      return digest.err();
    spec.package = *digest;
    spec.version = *r.image;
  }
  if (r.version)
    spec.version = *r.version;
  auto version = spec.version;
  auto p = plan_new_deployment("redeploy", m, std::move(spec), in, &old);
  if (p)
    p->reply.version = version;
  return p;
}

outcome<op_plan> plan_delete_deployment(const model::fabric_model& m,
                                        const delete_deployment_request& r, const plan_inputs&) {
  auto t = resolve(m, r.target);
  if (!t)
    return t.err();
  auto& d = *t->dep;
  auto p = new_plan("delete_deployment", r.target.service, t->in_slot);
  p.edits.push_back(model::delete_deployment{r.target.service, t->in_slot});
  // A node that is down gets its remove by reconcile when it registers.
  for (auto& i : d.instances) {
    auto wire = wire_name(d.name, i.name);
    p.forget.push_back(wire);
    if (!i.node.empty())
      p.commands.push_back({i.node, command_kind::remove, wire, std::nullopt, d.name});
  }
  p.reply.deployment = d.name;
  return p;
}

outcome<op_plan> plan_swap(const model::fabric_model& m, const swap_request& r,
                           const plan_inputs& in) {
  auto t = resolve_slot(m, {r.service, "production"});
  if (!t)
    return t.err();
  auto& svc = *t->service;
  if (!svc.production && !svc.staging)
    return conflict("hosted service '" + r.service + "' has no deployment to swap");
  // The common check covered production (the op's slot); the swap changes
  // staging too.
  for (auto& other : in.running)
    if (other.service == r.service && other.in_slot == model::slot::staging)
      return conflict("operation " + other.id + " (" + other.kind + ") is in progress on "
                      + where(r.service, model::slot::staging));
  for (auto s : {model::slot::production, model::slot::staging})
    if (svc.in(s) && svc.in(s)->upgrade)
      return conflict("cannot swap the slots of hosted service '" + r.service
                      + "': an upgrade is in progress in " + where(r.service, s));
  if (svc.production && svc.staging) {
    auto& p = *svc.production;
    auto& s = *svc.staging;
    auto report = model::validate_change(p.definition, p.configuration, s.definition,
                                         s.configuration);
    auto& v = report.verdict(model::update_path::vip_swap);
    if (!v.allowed) {
      std::string why;
      for (auto& f : v.reasons)
        why += (why.empty() ? "" : "; ") + f.code + ": " + f.message;
      return conflict("cannot swap the slots of hosted service '" + r.service + "': " + why
                      + " (a VIP swap cannot change the number or type of endpoints; use an "
                        "in-place upgrade or delete and deploy)");
    }
  }
  auto p = new_plan("swap", r.service, model::slot::production);
  p.edits.push_back(model::swap_slots{r.service});
  p.reply.swapped = true;
  // After the swap, production holds what staging held and vice versa; every
  // instance learns its new slot by update_spec.
  for (auto s : {model::slot::production, model::slot::staging}) {
    auto other = s == model::slot::production ? model::slot::staging : model::slot::production;
    auto& d = svc.in(other);
    (s == model::slot::production ? p.reply.production : p.reply.staging)
      = d ? std::optional<std::string>(d->name) : std::nullopt;
    if (!d)
      continue;
    for (auto& i : d->instances)
      if (!i.node.empty())
        p.commands.push_back({i.node, command_kind::update_spec, wire_name(d->name, i.name),
                              instance_ref{r.service, s, i.name}, d->name});
  }
  p.log = "VIP swap of " + r.service + ": production -> "
          + (p.reply.production ? "\"" + *p.reply.production + "\"" : std::string("null"))
          + ", staging -> "
          + (p.reply.staging ? "\"" + *p.reply.staging + "\"" : std::string("null"));
  return p;
}

outcome<op_plan> plan_set_status(const model::fabric_model& m, const set_status_request& r,
                                 const plan_inputs&) {
  auto t = resolve(m, r.target);
  if (!t)
    return t.err();
  auto parsed = model::parse_deployment_status(r.status);
  if (!parsed
      || (*parsed != model::deployment_status::running
          && *parsed != model::deployment_status::suspended))
    return bad_request("unknown status '" + r.status
                       + "': expected \"Running\" or \"Suspended\"");
  auto& d = *t->dep;
  if (d.upgrade)
    return conflict("cannot change the status of " + where(r.target.service, t->in_slot)
                    + " while an upgrade is in progress");
  auto p = new_plan("set_status", r.target.service, t->in_slot);
  if (d.status != *parsed)
    p.edits.push_back(model::set_deployment_status{r.target.service, t->in_slot, *parsed});
  bool start = *parsed == model::deployment_status::running;
  for (auto& i : d.instances)
    if (!i.node.empty())
      p.commands.push_back({i.node, start ? command_kind::start : command_kind::stop,
                            wire_name(d.name, i.name),
                            instance_ref{r.target.service, t->in_slot, i.name}, d.name});
  p.done = when(start ? completion::kind::deployment_ready : completion::kind::deployment_stopped,
                r.target.service, t->in_slot);
  p.reply.deployment = d.name;
  return p;
}

outcome<op_plan> plan_instance(const model::fabric_model& m, const instance_request& r,
                               const plan_inputs& in) {
  auto t = resolve(m, r.target);
  if (!t)
    return t.err();
  auto& d = *t->dep;
  const auto& name = r.instance;
  auto* inst = d.find_instance(name);
  if (!inst)
    return not_found("no role instance '" + name + "' in deployment '" + d.name + "' ("
                     + where(r.target.service, t->in_slot) + ")");
  if (!running(d))
    return conflict("deployment '" + d.name + "' is " + model::to_string(d.status)
                    + ": start it before a " + protocol::to_string(r.kind) + " of " + name);
  if (inst->node.empty() || !node_up(in, inst->node))
    return conflict("role instance '" + name + "' has no live node"
                    + (inst->node.empty() ? std::string(" (waiting for room)")
                                          : " (node " + inst->node + " is down)")
                    + ": try again once service healing has placed it");
  auto p = new_plan(instance_kind(r.kind), r.target.service, t->in_slot);
  planned_command cmd{inst->node, r.kind, wire_name(d.name, name),
                      instance_ref{r.target.service, t->in_slot, name}, d.name};
  p.reply.deployment = d.name;
  p.reply.instance = name;
  if (r.kind == command_kind::reboot) {
    double prob = d.reboot_reimage_probability;
    if (auto o = d.instance_reboot_reimage_probability.find(name);
        o != d.instance_reboot_reimage_probability.end())
      prob = o->second;
    cmd.reboot_degenerates = model::reboot_degenerates(prob, in.reboot_draw);
    p.reply.reboot_reimage_probability = prob;
    p.reply.reboot_degenerates = cmd.reboot_degenerates;
    if (cmd.reboot_degenerates)
      p.log = "reboot of " + d.name + "." + name + " degenerates into a reimage (p="
              + std::to_string(prob) + ", draw=" + std::to_string(in.reboot_draw) + ")";
  }
  p.done.what = completion::kind::instance_ready;
  p.done.service = r.target.service;
  p.done.in_slot = t->in_slot;
  p.done.wire = cmd.wire;
  p.forget.push_back(cmd.wire);
  p.commands.push_back(std::move(cmd));
  p.commands_required = true;
  return p;
}

outcome<op_plan> plan_reboot_quirk(const model::fabric_model& m, const reboot_quirk_request& r,
                                   const plan_inputs&) {
  auto t = resolve(m, r.target);
  if (!t)
    return t.err();
  if (!(r.probability >= 0.0 && r.probability <= 1.0))
    return bad_request("probability must be between 0 and 1, got " + shortest(r.probability));
  if (!r.instance.empty() && !t->dep->find_instance(r.instance))
    return not_found("no role instance '" + r.instance + "' in deployment '" + t->dep->name
                     + "' (" + where(r.target.service, t->in_slot) + ")");
  auto p = new_plan("set_reboot_quirk", r.target.service, t->in_slot);
  p.edits.push_back(
    model::set_reboot_reimage_probability{r.target.service, t->in_slot, r.instance, r.probability});
  p.reply.deployment = t->dep->name;
  p.reply.probability = r.probability;
  if (!r.instance.empty())
    p.reply.instance = r.instance;
  return p;
}

outcome<op_plan> plan_change_configuration(const model::fabric_model& m,
                                           const change_configuration_request& r,
                                           const plan_inputs& in) {
  auto t = resolve(m, r.target);
  if (!t)
    return t.err();
  const auto& service = r.target.service;
  auto& d = *t->dep;
  if (d.upgrade)
    return conflict("cannot change the configuration of " + where(service, t->in_slot)
                    + " while an upgrade is in progress");
  auto cfg = model::parse_service_configuration(r.cscfg, "ServiceConfiguration.cscfg");
  if (!cfg)
    return bad_request(cfg.err().to_string());
  if (auto st = model::validate_pair(d.definition, *cfg); !st)
    return bad_request(st.err().to_string());
  if (auto refused = detail::over_limits(*cfg, in, false))
    return *refused;
  // Everything on a copy first: the plan's edits are the ones that apply.
  model::set_configuration edit{service, t->in_slot, *cfg, live_fault_domains(in)};
  auto copy = m;
  if (auto st = model::apply(copy, edit); !st)
    return bad_request(st.err().to_string());
  auto p = new_plan("change_configuration", service, t->in_slot);
  p.edits.push_back(edit);
  auto& after = *copy.services.at(service).in(t->in_slot);
  std::set<std::string> before_names;
  for (auto& i : d.instances)
    before_names.insert(i.name);
  std::set<std::string> added;
  for (auto& i : after.instances)
    if (!before_names.count(i.name))
      added.insert(i.name);
  if (!added.empty()) {
    auto placed = model::place_instances(after.instances, capacity_over(in, copy));
    if (!placed)
      return request_error{error_code::insufficient_capacity, placed.err().to_string()};
    for (auto& a : *placed)
      if (added.count(a.instance)) {
        model::place_instance e{service, t->in_slot, a.instance, a.node, a.fault_domain};
        if (auto st = model::apply(copy, e); !st)
          return bad_request(st.err().to_string());
        p.edits.push_back(std::move(e));
      }
  }
  auto& now = *copy.services.at(service).in(t->in_slot);
  bool start = running(now);
  int removed = 0, updated = 0;
  for (auto& i : d.instances) {
    if (now.find_instance(i.name))
      continue;
    ++removed;
    auto wire = wire_name(d.name, i.name);
    p.forget.push_back(wire);
    if (!i.node.empty())
      p.commands.push_back({i.node, command_kind::remove, wire, std::nullopt, d.name});
  }
  for (auto& i : now.instances) {
    auto wire = wire_name(now.name, i.name);
    instance_ref ref{service, t->in_slot, i.name};
    if (i.node.empty())
      continue;
    if (added.count(i.name)) {
      p.forget.push_back(wire);
      if (start)
        p.commands.push_back({i.node, command_kind::start, wire, ref, now.name});
      continue;
    }
    auto* was = d.configuration.find_role(i.role);
    auto* is = now.configuration.find_role(i.role);
    if (was && is && was->settings == is->settings)
      continue;
    ++updated;
    p.commands.push_back({i.node, command_kind::update_spec, wire, ref, now.name});
  }
  if (start)
    p.done = when(completion::kind::deployment_ready, service, t->in_slot);
  p.reply.deployment = now.name;
  p.reply.instances_added = static_cast<int>(added.size());
  p.reply.instances_removed = removed;
  p.reply.instances_updated = updated;
  return p;
}

namespace {

struct plan_visitor {
  const model::fabric_model& m;
  const plan_inputs& in;
  outcome<op_plan> operator()(const deploy_request& r) const { return plan_deploy(m, r, in); }
  outcome<op_plan> operator()(const delete_deployment_request& r) const {
    return plan_delete_deployment(m, r, in);
  }
  outcome<op_plan> operator()(const swap_request& r) const { return plan_swap(m, r, in); }
  outcome<op_plan> operator()(const set_status_request& r) const {
    return plan_set_status(m, r, in);
  }
  outcome<op_plan> operator()(const instance_request& r) const { return plan_instance(m, r, in); }
  outcome<op_plan> operator()(const reboot_quirk_request& r) const {
    return plan_reboot_quirk(m, r, in);
  }
  outcome<op_plan> operator()(const change_configuration_request& r) const {
    return plan_change_configuration(m, r, in);
  }
  outcome<op_plan> operator()(const redeploy_request& r) const { return plan_redeploy(m, r, in); }
  outcome<op_plan> operator()(const upgrade_deployment_request& r) const {
    return plan_upgrade(m, r, in);
  }
  outcome<op_plan> operator()(const walk_request& r) const { return plan_walk(m, r, in); }
  outcome<op_plan> operator()(const rollback_request& r) const { return plan_rollback(m, r, in); }
};

/// The (service, slot text) an operation runs on.
slot_target target_of(const operation_request& r) {
  return std::visit(
    [](auto& x) -> slot_target {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, swap_request>)
        return {x.service, "production"};
      else
        return x.target;
    },
    r);
}

} // namespace

namespace {

/// 409 when an operation is in progress on the slot (not for the upgrade
/// family, which decides itself).
std::optional<request_error> busy(const std::string& kind, const slot_target& t,
                                  const plan_inputs& in) {
  if (kind == "upgrade" || kind == "walk" || kind == "rollback")
    return std::nullopt;
  auto s = model::parse_slot(t.slot);
  if (!s)
    return std::nullopt;
  for (auto& other : in.running)
    if (other.service == t.service && other.in_slot == *s)
      return conflict("operation " + other.id + " (" + other.kind + ") is in progress on "
                      + where(t.service, *s));
  return std::nullopt;
}

} // namespace

std::optional<request_error> target_refusal(const model::fabric_model& m,
                                            const std::string& kind, const slot_target& t,
                                            const plan_inputs& in, bool busy_only) {
  if (kind == "swap") {
    if (auto e = busy(kind, {t.service, "production"}, in))
      return e;
    if (!busy_only && !m.services.count(t.service))
      return not_found("hosted service '" + t.service + "' does not exist");
    return std::nullopt;
  }
  if (auto e = busy(kind, t, in))
    return e;
  if (busy_only)
    return std::nullopt;
  if (kind == "deploy") {
    auto r = resolve_slot(m, t);
    if (!r)
      return r.err();
    if (r->dep)
      return conflict("slot " + where(t.service, r->in_slot) + " already holds deployment '"
                      + r->dep->name + "'");
    return std::nullopt;
  }
  auto r = resolve(m, t);
  if (!r)
    return r.err();
  return std::nullopt;
}

outcome<op_plan> plan_operation(const model::fabric_model& m, const operation_request& r,
                                const plan_inputs& in) {
  if (auto e = busy(kind_of(r), target_of(r), in))
    return *e;
  return std::visit(plan_visitor{m, in}, r);
}

bool needs_reboot_draw(const operation_request& r) {
  auto* i = std::get_if<instance_request>(&r);
  return i && i->kind == command_kind::reboot;
}

} // namespace fabric::coordinator
