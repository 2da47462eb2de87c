#include "coordinator/upgrade_ops.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "coordinator/controller.hpp"
#include "coordinator/image_catalog.hpp"
#include "model/change_validation.hpp"
#include "model/service_model_parser.hpp"

namespace fabric::coordinator {

namespace {

using model::slot;

api_result bad(const std::string& message) { return api_error(400, "BadRequest", message); }

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
