#include "coordinator/upgrade_ops.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "coordinator/controller.hpp"
#include "coordinator/image_catalog.hpp"
#include "coordinator/request_limits.hpp"
#include "model/change_validation.hpp"
#include "model/service_model_parser.hpp"

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

api_result bad(const std::string& message) { return api_error(400, "BadRequest", message); }

const slot slots[] = {slot::production, slot::staging};

/// The deployment in the request's slot, or the error to answer.
const model::deployment* find_target(const controller& c, const operation_request& req,
                                     api_result& err) {
  auto svc = c.model().services.find(req.service);
  if (svc == c.model().services.end()) {
    err = api_error(404, "ResourceNotFound", "hosted service '" + req.service + "' does not exist");
    return nullptr;
  }
  auto s = model::parse_slot(req.slot);
  if (!s) {
    err = bad("unknown slot '" + req.slot + "': expected production or staging");
    return nullptr;
  }
  auto& d = svc->second.in(*s);
  if (!d) {
    err = api_error(404, "ResourceNotFound",
                    "no deployment in " + req.service + "/" + model::to_string(*s));
    return nullptr;
  }
  return &*d;
}

std::optional<nlohmann::json> parse_body(const std::string& body, api_result& err) {
  if (body.empty())
    return nlohmann::json::object();
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    err = bad("the request body is not a JSON object");
    return std::nullopt;
  }
  return j;
}

/// The begin_upgrade edit (the planner's begin_upgrade() hides its name).
model::model_edit begin_edit(const std::string& service, slot s, model::upgrade_status st) {
  struct model::begin_upgrade e;
  e.service = service;
  e.in_slot = s;
  e.upgrade = std::move(st);
  return e;
}

api_result conflict(const std::string& message) {
  return api_error(409, "ConflictError", message);
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

void fail_operation(controller& c, const std::string& id, const std::string& why) {
  if (id.empty())
    return;
  if (auto* op = c.find_operation(id); op && op->status == op_status::in_progress) {
    op->status = op_status::failed;
    op->error = why;
  }
}

/// The running operation on the slot, unless it is one of `allowed` kinds.
const operation* blocking_operation(controller& c, const std::string& service, slot s,
                                    const std::set<std::string>& allowed) {
  auto* op = c.running_operation(service, s);
  return op && !allowed.count(op->kind) ? op : nullptr;
}

/// POST .../upgrade
api_result upgrade(controller& c, operation& op, const operation_request& req) {
  api_result err;
  auto j = parse_body(req.body, err);
  if (!j)
    return err;
  auto* d = find_target(c, req, err);
  if (!d)
    return err;
  auto s = *model::parse_slot(req.slot);
  for (auto k : {"image", "version", "csdef", "cscfg", "mode", "role", "on_timeout"})
    if (j->contains(k) && !(*j)[k].is_string())
      return bad(std::string("member '") + k + "' must be a string");
  for (auto k : {"force", "surge"})
    if (j->contains(k) && !(*j)[k].is_boolean())
      return bad(std::string("member '") + k + "' must be true or false");
  auto str = [&](const char* k) { return j->value(k, std::string()); };

  model::upgrade_request r;
  if (j->contains("mode")) {
    auto m = model::parse_upgrade_mode(str("mode"));
    if (!m)
      return bad("unknown mode '" + str("mode") + "': expected auto, manual or simultaneous");
    r.mode = *m;
  }
  r.role = str("role");
  r.force = j->value("force", false);
  r.surge = j->value("surge", false);
  if (r.surge)
    return api_error(400, "NotSupported",
                     "surge is not supported by this coordinator: it cannot start replacement "
                     "instances yet; upgrade without --surge");
  if (j->contains("order")) {
    auto& o = (*j)["order"];
    if (!o.is_array())
      return bad("member 'order' must be an array of upgrade domains, e.g. [0, 2, 1]");
    for (auto& x : o) {
      if (!x.is_number_integer())
        return bad("member 'order' must be an array of upgrade domains, e.g. [0, 2, 1]");
      r.order.push_back(x.get<int>());
    }
  }
  upgrade_settings settings = c.upgrades().defaults();
  if (j->contains("timeout_s")) {
    auto& t = (*j)["timeout_s"];
    if (!t.is_number() || t.get<double>() <= 0 || t.get<double>() > 7 * 24 * 3600)
      return bad("member 'timeout_s' must be a number of seconds in (0, 604800]");
    settings.policy.instance_timeout
      = std::chrono::milliseconds(static_cast<int64_t>(t.get<double>() * 1000));
  }
  if (j->contains("on_timeout")) {
    auto a = parse_timeout_action(str("on_timeout"));
    if (!a)
      return bad("unknown on_timeout '" + str("on_timeout")
                 + "': expected pause, roll_back or proceed");
    settings.policy.on_timeout = *a;
  }
  if (j->contains("domain_wait_ms")) {
    auto& w = (*j)["domain_wait_ms"];
    if (!w.is_number_unsigned() || w.get<uint64_t>() > 24ull * 3600 * 1000)
      return bad("member 'domain_wait_ms' must be an integer in 0..86400000");
    settings.domain_wait = std::chrono::milliseconds(w.get<uint64_t>());
  }

  // Image and version: the target.
  auto image = str("image");
  r.target_package = d->package;
  if (!image.empty()) {
    std::optional<std::string> digest;
    if (c.images())
      digest = c.images()->resolve(image);
    if (!digest)
      return bad("unknown image '" + image + "': upload it first (fabricctl image upload)");
    r.target_package = *digest;
  }
  r.target_version = str("version");
  if (r.target_version.empty())
    r.target_version = image;
  if (r.target_version.empty())
    return bad("give an 'image' (or a 'version' for a configuration-only upgrade)");

  // A new service model: only changes allowed in place.
  std::optional<model::service_configuration> new_cfg;
  if (j->contains("csdef") || j->contains("cscfg")) {
    auto def = j->contains("csdef") ? model::parse_service_definition(str("csdef"),
                                                                      "ServiceDefinition.csdef")
                                    : result<model::service_definition>(d->definition);
    if (!def)
      return bad(def.err().to_string());
    auto cfg = j->contains("cscfg") ? model::parse_service_configuration(
                                        str("cscfg"), "ServiceConfiguration.cscfg")
                                    : result<model::service_configuration>(d->configuration);
    if (!cfg)
      return bad(cfg.err().to_string());
    if (auto st = model::validate_pair(*def, *cfg); !st)
      return bad(st.err().to_string());
    if (auto refused = refuse_over_limits(c, *cfg, false))
      return *refused;
    auto report = model::validate_change(d->definition, d->configuration, *def, *cfg, r.force);
    auto& v = report.verdict(model::update_path::in_place);
    if (!v.allowed) {
      std::string why;
      for (auto& f : v.reasons)
        why += (why.empty() ? "" : "; ") + f.code + ": " + f.message;
      bool force_would_do = std::all_of(v.reasons.begin(), v.reasons.end(),
                                        [](auto& f) { return f.in_place_needs_force; });
      return api_error(400, "ChangeNotAllowedInPlace",
                       "this change is not allowed in an in-place upgrade ("
                         + why + ")"
                         + (force_would_do ? "; give force to allow it (local data is lost)"
                                           : "; use a VIP swap or delete and deploy"));
    }
    for (auto& f : report.findings)
      if (f.code == "instance_count_changed")
        return bad("an upgrade cannot change instance counts (" + f.message
                   + "); change the configuration first");
    for (auto& f : report.findings)
      if (f.code != "instance_count_changed" && f.code != "vm_size_changed")
        return bad("this coordinator keeps the service definition of a running deployment; '"
                   + f.code + "' (" + f.message
                   + ") needs delete and deploy here; only configuration settings and the "
                     "image change in place");
    if (!(cfg->roles.size() == d->configuration.roles.size()))
      return bad("the configuration must name the deployment's roles");
    new_cfg = std::move(*cfg);
  }

  // Conflicts: another operation, or an upgrade in flight that is not stuck.
  if (auto* other = blocking_operation(c, req.service, s, {"upgrade", "walk", "rollback"}))
    return conflict("operation " + other->id + " (" + other->kind + ") is in progress on "
                    + req.service + "/" + model::to_string(s));
  bool over_stuck = false;
  if (d->upgrade) {
    auto reason = c.upgrades().paused_reason(d->name);
    if (reason.empty())
      return conflict("an upgrade to version " + d->upgrade->target_version
                      + " is already in progress; let it finish or roll it back first");
    over_stuck = true;
  }
  // Validate the walk against the deployment as it will be (no upgrade).
  auto probe = *d;
  probe.upgrade.reset();
  auto st = model::begin_upgrade(probe, r);
  if (!st)
    return bad(st.err().to_string());

  // Act: nothing was changed above.
  auto name = d->name;
  if (over_stuck) {
    fail_operation(c, c.upgrades().operation_of(name),
                   "superseded by upgrade " + op.id + " while stuck: "
                     + c.upgrades().paused_reason(name));
    if (auto e = c.commit(model::end_upgrade{req.service, s, false}); !e)
      return api_error(500, "InternalError", e.err().to_string());
  }
  if (new_cfg)
    if (auto e = c.commit(model::set_configuration{req.service, s, *new_cfg, 0}); !e)
      return api_error(500, "InternalError", e.err().to_string());
  if (auto e = c.commit(begin_edit(req.service, s, *st)); !e)
    return api_error(500, "InternalError", e.err().to_string());
  c.upgrades().track(name, settings, op.id);
  auto service = req.service;
  op.done = [service, s](const controller& ctl) {
    auto& dd = ctl.model().services.at(service).in(s);
    return !dd || !dd->upgrade;
  };
  spdlog::info("upgrade {} of {}: {} -> {} ({} mode)", op.id, name, st->from_version,
               st->target_version, model::to_string(st->mode));
  return {202,
          {{"deployment", name},
           {"from_version", st->from_version},
           {"target_version", st->target_version},
           {"mode", model::to_string(st->mode)},
           {"order", st->order}}};
}

/// POST .../walk {"upgrade_domain": k}
api_result walk(controller& c, operation& op, const operation_request& req) {
  api_result err;
  auto j = parse_body(req.body, err);
  if (!j)
    return err;
  auto* d = find_target(c, req, err);
  if (!d)
    return err;
  auto s = *model::parse_slot(req.slot);
  if (!j->contains("upgrade_domain") || !(*j)["upgrade_domain"].is_number_integer())
    return bad("missing integer member 'upgrade_domain'");
  int ud = (*j)["upgrade_domain"].get<int>();
  if (auto* other = blocking_operation(c, req.service, s, {"upgrade", "rollback"}))
    return conflict("operation " + other->id + " (" + other->kind + ") is in progress on "
                    + req.service + "/" + model::to_string(s));
  auto next = model::walk_upgrade_domain(*d, ud);
  if (!next) {
    bool missing = d->upgrade && d->upgrade->mode == model::upgrade_mode::manual
                   && std::find(d->upgrade->order.begin(), d->upgrade->order.end(), ud)
                        == d->upgrade->order.end();
    return missing ? api_error(400, "BadRequest", next.err().message)
                   : conflict(next.err().message);
  }
  model::update_upgrade e{req.service, s, next->current_upgrade_domain, next->current_state,
                          next->walked, std::nullopt};
  if (auto st = c.commit(e); !st)
    return api_error(500, "InternalError", st.err().to_string());
  auto service = req.service;
  op.done = [service, s, ud](const controller& ctl) {
    auto& dd = ctl.model().services.at(service).in(s);
    if (!dd || !dd->upgrade)
      return true;
    auto& w = dd->upgrade->walked;
    return std::find(w.begin(), w.end(), ud) != w.end();
  };
  spdlog::info("walk {} of {}: UD {}", op.id, d->name, ud);
  return {202, {{"deployment", d->name}, {"upgrade_domain", ud}}};
}

/// POST .../rollback {"mode"?}
api_result rollback(controller& c, operation& op, const operation_request& req) {
  api_result err;
  auto j = parse_body(req.body, err);
  if (!j)
    return err;
  auto* d = find_target(c, req, err);
  if (!d)
    return err;
  auto s = *model::parse_slot(req.slot);
  if (auto* other = blocking_operation(c, req.service, s, {"upgrade", "walk"}))
    return conflict("operation " + other->id + " (" + other->kind + ") is in progress on "
                    + req.service + "/" + model::to_string(s));
  auto mode = d->upgrade ? d->upgrade->mode : model::upgrade_mode::automatic;
  if (j->contains("mode")) {
    auto m = (*j)["mode"].is_string()
               ? model::parse_upgrade_mode((*j)["mode"].get<std::string>())
               : std::nullopt;
    if (!m)
      return bad("member 'mode' must be auto, manual or simultaneous");
    mode = *m;
  }
  auto rb = model::make_rollback(*d, mode);
  if (!rb)
    return conflict(rb.err().message);
  auto name = d->name;
  auto previous = c.upgrades().operation_of(name);
  if (auto st = c.commit(model::end_upgrade{req.service, s, false}); !st)
    return api_error(500, "InternalError", st.err().to_string());
  if (auto st = c.commit(begin_edit(req.service, s, *rb)); !st)
    return api_error(500, "InternalError", st.err().to_string());
  fail_operation(c, previous, "rolled back by " + op.id);
  // Walk ops waiting for a UD of the old walk end with it.
  c.upgrades().reset_walk(name);
  c.upgrades().set_operation(name, op.id);
  auto service = req.service;
  op.done = [service, s](const controller& ctl) {
    auto& dd = ctl.model().services.at(service).in(s);
    return !dd || !dd->upgrade;
  };
  spdlog::info("rollback {} of {}: back to {} over UDs {}", op.id, name, rb->target_version,
               nlohmann::json(rb->order).dump());
  return {202,
          {{"deployment", name}, {"target_version", rb->target_version}, {"order", rb->order}}};
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

// -- status ------------------------------------------------------------------------

nlohmann::json upgrade_status_json(const controller& c, const model::deployment& d) {
  if (!d.upgrade)
    return nullptr;
  auto& u = *d.upgrade;
  auto reason = c.upgrades().paused_reason(d.name);
  std::map<int, std::pair<int, int>> per_ud;  // ud -> (instances, ready on target)
  for (auto& i : d.instances) {
    if (!u.role.empty() && i.role != u.role)
      continue;
    auto& e = per_ud[i.upgrade_domain];
    ++e.first;
    auto* o = c.observed(wire_name(d.name, i.name));
    if (o && o->state == model::instance_state::ready_role && o->version == u.target_version)
      ++e.second;
  }
  auto domains = nlohmann::json::array();
  for (int ud : u.order) {
    std::string phase = "pending";
    if (std::find(u.walked.begin(), u.walked.end(), ud) != u.walked.end())
      phase = "walked";
    else if (u.mode == model::upgrade_mode::simultaneous)
      phase = model::to_string(u.current_state);
    else if (ud == u.current_upgrade_domain)
      phase = model::to_string(u.current_state);
    auto e = per_ud[ud];
    domains.push_back({{"upgrade_domain", ud},
                       {"phase", phase},
                       {"instances", e.first},
                       {"ready_on_target", e.second}});
  }
  return {{"mode", model::to_string(u.mode)},
          {"current_upgrade_domain", u.current_upgrade_domain},
          {"current_state", model::to_string(u.current_state)},
          {"walked", u.walked},
          {"order", u.order},
          {"role", u.role},
          {"from_version", u.from_version},
          {"target_version", u.target_version},
          {"rolling_back", u.rolling_back},
          {"paused", !reason.empty()},
          {"reason", reason},
          {"operation", c.upgrades().operation_of(d.name)},
          {"domains", domains}};
}

void register_upgrade_operations(controller& c) {
  c.register_operation("upgrade", upgrade, true);
  c.register_operation("walk", walk, true);
  c.register_operation("rollback", rollback, true);
}

} // namespace fabric::coordinator
