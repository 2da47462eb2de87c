// The plans of the in-place upgrade operations: upgrade, walk, rollback
// (plans.hpp). The walk itself is driven by the upgrade engine
// (upgrade_engine.hpp) from the controller's tick.

#include <algorithm>

#include "coordinator/plan_support.hpp"
#include "coordinator/plans.hpp"
#include "model/change_validation.hpp"
#include "model/service_model_parser.hpp"

namespace fabric::coordinator {

namespace {

using model::slot;

using detail::where;

/// The deployment in the request's slot, or the refusal.
outcome<const model::deployment*> find_target(const model::fabric_model& m,
                                              const slot_target& t, slot& out) {
  auto r = detail::resolve(m, t);
  if (!r)
    return r.err();
  out = r->in_slot;
  return r->dep;
}

/// The begin_upgrade edit (the planner's begin_upgrade() hides its name).
model::model_edit begin_edit(const std::string& service, slot s, model::upgrade_status st) {
  struct model::begin_upgrade e;
  e.service = service;
  e.in_slot = s;
  e.upgrade = std::move(st);
  return e;
}

std::optional<model::timeout_action> parse_timeout_action(const std::string& s) {
  if (s == "pause")
    return model::timeout_action::pause;
  if (s == "roll_back" || s == "rollback")
    return model::timeout_action::roll_back;
  if (s == "proceed")
    return model::timeout_action::proceed;
  return std::nullopt;
}

/// The first operation in progress on the slot, when it is not one of
/// `allowed` kinds: its refusal.
std::optional<request_error> blocked(const plan_inputs& in, const std::string& service, slot s,
                                 std::initializer_list<const char*> allowed) {
  for (auto& op : in.running) {
    if (op.service != service || op.in_slot != s)
      continue;
    for (auto* k : allowed)
      if (op.kind == k)
        return std::nullopt;
    return conflict("operation " + op.id + " (" + op.kind + ") is in progress on "
                    + where(service, s));
  }
  return std::nullopt;
}

std::string list(const std::vector<int>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    out += (i ? "," : "") + std::to_string(v[i]);
  return out + "]";
}

} // namespace

outcome<op_plan> plan_upgrade(const model::fabric_model& m, const upgrade_deployment_request& q,
                              const plan_inputs& in) {
  slot s = slot::production;
  auto found = find_target(m, q.target, s);
  if (!found)
    return found.err();
  const auto* d = *found;
  const auto& service = q.target.service;

  model::upgrade_request r;
  if (q.mode) {
    auto mode = model::parse_upgrade_mode(*q.mode);
    if (!mode)
      return bad_request("unknown mode '" + *q.mode
                         + "': expected auto, manual or simultaneous");
    r.mode = *mode;
  }
  r.role = q.role;
  r.force = q.force;
  r.surge = q.surge;
  if (r.surge)
    return request_error{error_code::not_supported,
                     "surge is not supported by this coordinator: it cannot start replacement "
                     "instances yet; upgrade without --surge"};
  r.order = q.order;
  auto policy = in.upgrade_policy;
  auto domain_wait = in.upgrade_domain_wait;
  if (q.timeout_s) {
    if (!(*q.timeout_s > 0 && *q.timeout_s <= 7 * 24 * 3600))
      return bad_request("member 'timeout_s' must be a number of seconds in (0, 604800]");
    policy.instance_timeout = std::chrono::milliseconds(static_cast<int64_t>(*q.timeout_s * 1000));
  }
  if (q.on_timeout) {
    auto a = parse_timeout_action(*q.on_timeout);
    if (!a)
      return bad_request("unknown on_timeout '" + *q.on_timeout
                         + "': expected pause, roll_back or proceed");
    policy.on_timeout = *a;
  }
  if (q.domain_wait_ms) {
    if (*q.domain_wait_ms > 24ull * 3600 * 1000)
      return bad_request("member 'domain_wait_ms' must be an integer in 0..86400000");
    domain_wait = std::chrono::milliseconds(*q.domain_wait_ms);
  }

  // Image and version: the target.
  r.target_package = d->package;
  if (!q.image.empty()) {
    std::optional<std::string> digest;
    if (in.resolve_image)
      digest = in.resolve_image(q.image);
    if (!digest)
      return bad_request("unknown image '" + q.image
                         + "': upload it first (fabricctl image upload)");
    r.target_package = *digest;
  }
  r.target_version = q.version.empty() ? q.image : q.version;
  if (r.target_version.empty())
    return bad_request("give an 'image' (or a 'version' for a configuration-only upgrade)");

  // A new service model: only changes allowed in place.
  std::optional<model::service_configuration> new_cfg;
  if (q.csdef || q.cscfg) {
    auto def = q.csdef ? model::parse_service_definition(*q.csdef, "ServiceDefinition.csdef")
                       : result<model::service_definition>(d->definition);
    if (!def)
      return bad_request(def.err().to_string());
    auto cfg = q.cscfg
                 ? model::parse_service_configuration(*q.cscfg, "ServiceConfiguration.cscfg")
                 : result<model::service_configuration>(d->configuration);
    if (!cfg)
      return bad_request(cfg.err().to_string());
    if (auto st = model::validate_pair(*def, *cfg); !st)
      return bad_request(st.err().to_string());
    if (auto refused = detail::over_limits(*cfg, in, false))
      return *refused;
    auto report = model::validate_change(d->definition, d->configuration, *def, *cfg, r.force);
    auto& v = report.verdict(model::update_path::in_place);
    if (!v.allowed) {
      std::string why;
      for (auto& f : v.reasons)
        why += (why.empty() ? "" : "; ") + f.code + ": " + f.message;
      bool force_would_do = std::all_of(v.reasons.begin(), v.reasons.end(),
                                        [](auto& f) { return f.in_place_needs_force; });
      return request_error{error_code::change_not_allowed_in_place,
                       "this change is not allowed in an in-place upgrade (" + why + ")"
                         + (force_would_do ? "; give force to allow it (local data is lost)"
                                           : "; use a VIP swap or delete and deploy")};
    }
    for (auto& f : report.findings)
      if (f.code == "instance_count_changed")
        return bad_request("an upgrade cannot change instance counts (" + f.message
                           + "); change the configuration first");
    for (auto& f : report.findings)
      if (f.code != "instance_count_changed" && f.code != "vm_size_changed")
        return bad_request(
          "this coordinator keeps the service definition of a running deployment; '" + f.code
          + "' (" + f.message
          + ") needs delete and deploy here; only configuration settings and the image change "
            "in place");
    if (!(cfg->roles.size() == d->configuration.roles.size()))
      return bad_request("the configuration must name the deployment's roles");
    new_cfg = std::move(*cfg);
  }

  // Conflicts: another operation, or an upgrade in flight that is not stuck.
  if (auto e = blocked(in, service, s, {"upgrade", "walk", "rollback"}))
    return *e;
  std::string stuck_reason;
  if (d->upgrade) {
    if (in.upgrade_paused_reason)
      stuck_reason = in.upgrade_paused_reason(d->name);
    if (stuck_reason.empty())
      return conflict("an upgrade to version " + d->upgrade->target_version
                      + " is already in progress; let it finish or roll it back first");
  }
  // Validate the walk against the deployment as it will be (no upgrade).
  auto probe = *d;
  probe.upgrade.reset();
  auto st = model::begin_upgrade(probe, r);
  if (!st)
    return bad_request(st.err().to_string());

  op_plan p;
  p.kind = "upgrade";
  p.service = service;
  p.in_slot = s;
  if (d->upgrade) {
    // Over a stuck upgrade: that one ends (not completed) in the same commit.
    if (in.upgrade_operation_of)
      if (auto prev = in.upgrade_operation_of(d->name); !prev.empty())
        p.supersedes.push_back({prev, "superseded by upgrade ", " while stuck: " + stuck_reason});
    p.edits.push_back(model::end_upgrade{service, s, false});
  }
  if (new_cfg)
    p.edits.push_back(model::set_configuration{service, s, *new_cfg, 0});
  p.edits.push_back(begin_edit(service, s, *st));
  p.upgrade = upgrade_handover{d->name, policy, domain_wait};
  p.done.what = completion::kind::upgrade_ended;
  p.done.service = service;
  p.done.in_slot = s;
  p.reply.deployment = d->name;
  p.reply.from_version = st->from_version;
  p.reply.target_version = st->target_version;
  p.reply.mode = model::to_string(st->mode);
  p.reply.order = st->order;
  p.log = "upgrade {op} of " + d->name + ": " + st->from_version + " -> " + st->target_version
          + " (" + model::to_string(st->mode) + " mode)";
  return p;
}

outcome<op_plan> plan_walk(const model::fabric_model& m, const walk_request& q,
                           const plan_inputs& in) {
  slot s = slot::production;
  auto found = find_target(m, q.target, s);
  if (!found)
    return found.err();
  const auto* d = *found;
  int ud = q.upgrade_domain;
  if (auto e = blocked(in, q.target.service, s, {"upgrade", "rollback"}))
    return *e;
  auto next = model::walk_upgrade_domain(*d, ud);
  if (!next) {
    bool missing = d->upgrade && d->upgrade->mode == model::upgrade_mode::manual
                   && std::find(d->upgrade->order.begin(), d->upgrade->order.end(), ud)
                        == d->upgrade->order.end();
    return missing ? bad_request(next.err().message) : conflict(next.err().message);
  }
  op_plan p;
  p.kind = "walk";
  p.service = q.target.service;
  p.in_slot = s;
  p.edits.push_back(model::update_upgrade{q.target.service, s, next->current_upgrade_domain,
                                          next->current_state, next->walked, std::nullopt});
  p.done.what = completion::kind::domain_walked;
  p.done.service = q.target.service;
  p.done.in_slot = s;
  p.done.upgrade_domain = ud;
  p.reply.deployment = d->name;
  p.reply.upgrade_domain = ud;
  p.log = "walk {op} of " + d->name + ": UD " + std::to_string(ud);
  return p;
}

outcome<op_plan> plan_rollback(const model::fabric_model& m, const rollback_request& q,
                               const plan_inputs& in) {
  slot s = slot::production;
  auto found = find_target(m, q.target, s);
  if (!found)
    return found.err();
  const auto* d = *found;
  const auto& service = q.target.service;
  if (auto e = blocked(in, service, s, {"upgrade", "walk"}))
    return *e;
  auto mode = d->upgrade ? d->upgrade->mode : model::upgrade_mode::automatic;
  if (q.mode) {
    auto parsed = model::parse_upgrade_mode(*q.mode);
    if (!parsed)
      return bad_request("member 'mode' must be auto, manual or simultaneous");
    mode = *parsed;
  }
  auto rb = model::make_rollback(*d, mode);
  if (!rb)
    return conflict(rb.err().message);
  op_plan p;
  p.kind = "rollback";
  p.service = service;
  p.in_slot = s;
  // The upgrade in flight ends and its rollback begins: one commit.
  p.edits.push_back(model::end_upgrade{service, s, false});
  p.edits.push_back(begin_edit(service, s, *rb));
  if (in.upgrade_operation_of)
    if (auto prev = in.upgrade_operation_of(d->name); !prev.empty())
      p.supersedes.push_back({prev, "rolled back by ", ""});
  // Walk operations waiting for a UD of the forward walk end with it: their
  // UD will never be walked in that walk, and while they run they would
  // block every walk of the rollback (sim seed 97, a Manual rollback).
  for (auto& r : in.running)
    if (r.kind == "walk" && r.service == service && r.in_slot == s)
      p.supersedes.push_back({r.id, "the walk was rolled back by ", ""});
  p.upgrade = upgrade_handover{d->name, std::nullopt, {}};
  p.done.what = completion::kind::upgrade_ended;
  p.done.service = service;
  p.done.in_slot = s;
  p.reply.deployment = d->name;
  p.reply.target_version = rb->target_version;
  p.reply.order = rb->order;
  p.log = "rollback {op} of " + d->name + ": back to " + rb->target_version + " over UDs "
          + list(rb->order);
  return p;
}

} // namespace fabric::coordinator
