#include "sm_api/server/sm_facade.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>
#include <vector>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "coordinator/controller.hpp"
#include "coordinator/controller_actor.hpp"
#include "coordinator/image_catalog.hpp"
#include "coordinator/reconcile.hpp"
#include "model/service_model_parser.hpp"
#include "sm_api/request_id.hpp"
#include "sm_api/requests.hpp"
#include "sm_api/responses.hpp"
#include "sm_api/sm_error.hpp"

namespace fabric::sm_server {

namespace {

using coordinator::api_result;
using coordinator::controller;
using coordinator::error_code;
namespace codes = sm_api::codes;

const char* const not_found_service = "The hosted service does not exist.";
const char* const not_found_deployment = "No deployments were found.";

sm_api::sm_error sm_err(const char* code, std::string message) {
  return {sm_api::http_status_of(code), code, std::move(message)};
}

/// An SM error from a parse error of sm_xml ("<Code>: <Message>").
sm_api::sm_error sm_err(const error& e) { return sm_api::to_sm_error(e); }

/// The SM error of a controller refusal: a code the SM API knows is kept;
/// another (InsufficientCapacity, NotSupported, ...) stays in the message and
/// maps to its class (BadRequest, ResourceNotFound, ConflictError, ServerBusy,
/// InternalError).
sm_api::sm_error from_error(const coordinator::request_error& e) {
  std::string code = coordinator::to_string(e.code);
  if (sm_api::is_known_code(code))
    return {sm_api::http_status_of(code), code, e.message};
  auto message = code + ": " + e.message;
  switch (e.code) {
    case error_code::bad_request:
    case error_code::not_supported:
    case error_code::change_not_allowed_in_place:
    case error_code::unknown_operation:
    case error_code::limit_exceeded: return sm_err(codes::bad_request, message);
    case error_code::not_found: return sm_err(codes::resource_not_found, message);
    case error_code::conflict:
    case error_code::insufficient_capacity: return sm_err(codes::conflict_error, message);
    case error_code::unavailable: return sm_err(codes::server_busy, message);
    case error_code::internal: break;
  }
  return sm_err(codes::internal_error, message);
}

std::string now_utc() {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count();
  return sm_api::format_time_utc(s);
}

bool valid_version_header(const std::string& v) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-')
    return false;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (i != 4 && i != 7 && !std::isdigit(static_cast<unsigned char>(v[i])))
      return false;
  return v >= "2009-10-01";
}

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    auto part = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (!part.empty())
      out.push_back(part);
    if (slash == std::string::npos)
      break;
    pos = slash + 1;
  }
  return out;
}

std::string param(const sm_request& r, const std::string& name) {
  auto i = r.params.find(name);
  return i == r.params.end() ? std::string() : i->second;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// What a request produced: an error, or a status with a body, and the
/// controller operation it started (async) or none.
struct reply {
  int status = 200;
  std::string body;
  std::optional<sm_api::sm_error> err;
  std::string follow_op;      ///< the controller operation to report
  bool succeeded_now = false; ///< async, but Succeeded at once (Manual upgrade)
};

reply fail(sm_api::sm_error e) {
  reply r;
  r.err = std::move(e);
  return r;
}

/// A deployment addressed by slot or by name.
struct target_ref {
  bool by_name = false;
  std::string key; ///< slot text or deployment name
};

/// Per instance: runtime data and whether a mutating operation runs.
struct deployment_snapshot {
  sm_api::instance_runtime_map runtime;
  bool locked = false;
};

struct service_snapshot {
  model::hosted_service svc; ///< instance states replaced by the observed ones
  deployment_snapshot production, staging;
  deployment_snapshot& of(model::slot s) { return s == model::slot::production ? production : staging; }
};

/// Runs on the controller actor: the hosted service with every instance's
/// observed state and endpoint.
service_snapshot snapshot_service(controller& c, const model::hosted_service& s) {
  service_snapshot out;
  out.svc = s;
  for (auto sl : {model::slot::production, model::slot::staging}) {
    auto& d = out.svc.in(sl);
    if (!d)
      continue;
    auto& snap = out.of(sl);
    snap.locked = c.running_operation(s.name, sl) != nullptr;
    bool running = d->status == model::deployment_status::running
                   || d->status == model::deployment_status::running_transitioning
                   || d->status == model::deployment_status::starting;
    for (auto& inst : d->instances) {
      auto* o = c.observed(coordinator::wire_name(d->name, inst.name));
      auto state = o ? o->state : model::instance_state::role_state_unknown;
      // A suspended deployment's instance no node runs yet: stopped.
      if (state == model::instance_state::role_state_unknown && !running)
        state = model::instance_state::stopped_vm;
      inst.state = state;
      if (o && !o->version.empty())
        inst.version = o->version;
      if (!o || o->endpoint.empty())
        continue;
      auto colon = o->endpoint.rfind(':');
      if (colon == std::string::npos)
        continue;
      sm_api::instance_runtime rt;
      rt.ip_address = o->endpoint.substr(0, colon);
      int port = std::atoi(o->endpoint.c_str() + colon + 1);
      if (auto* role = d->definition.find_role(inst.role))
        for (auto& ep : role->endpoints)
          if (ep.kind != model::endpoint_kind::internal && port > 0)
            rt.ports[ep.name] = port;
      snap.runtime[inst.name] = std::move(rt);
    }
  }
  return out;
}

/// Resolves a deployment on the controller; nullopt when found (slot set).
std::optional<sm_api::sm_error> resolve(const controller& c, const std::string& service,
                                        const target_ref& t, model::slot& out) {
  auto svc = c.model().services.find(service);
  if (svc == c.model().services.end())
    return sm_err(codes::resource_not_found, not_found_service);
  if (!t.by_name) {
    auto s = model::parse_slot(t.key);
    if (!s)
      return sm_err(codes::bad_request, "The deployment slot '" + t.key
                                          + "' is not valid; use production or staging.");
    if (!svc->second.in(*s))
      return sm_err(codes::resource_not_found, not_found_deployment);
    out = *s;
    return std::nullopt;
  }
  for (auto s : {model::slot::production, model::slot::staging})
    if (svc->second.in(s) && svc->second.in(s)->name == t.key) {
      out = s;
      return std::nullopt;
    }
  return sm_err(codes::resource_not_found, not_found_deployment);
}

/// The result of starting a controller operation.
struct started {
  std::optional<sm_api::sm_error> err;
  std::string op_id;
  std::string deployment;
  std::string service;
};

/// Starts the controller operation `req` and records in `out` its id, or the
/// platform error its refusal maps to. Returns `out`.
started& start_into(controller& c, started& out, const coordinator::operation_request& req) {
  auto r = c.start_operation(req);
  if (!r)
    out.err = from_error(r.err());
  else
    out.op_id = r->operation_id;
  return out;
}

} // namespace

// -- state ------------------------------------------------------------------------

struct sm_facade::impl {
  struct sm_operation {
    std::string follow_op;  ///< controller operation; empty = fixed status below
    sm_api::operation_status status = sm_api::operation_status::succeeded;
    int http_status = 200;
    std::string code, message;
  };
  struct deployment_meta {
    std::string service;
    std::string created, modified;
    std::optional<std::string> label, previous_label;
    std::string cscfg, cscfg_canonical;  ///< the client's text; its model rendering
    std::string previous_cscfg, previous_canonical;
  };
  struct service_meta {
    std::string created, modified;
    std::string affinity_group;
  };

  caf::actor_system& sys;
  caf::actor ctl;
  package_catalog& packages;
  const coordinator::image_catalog* images;
  sm_config cfg;

  std::mutex mtx;
  std::mt19937_64 rng;
  std::map<std::string, sm_operation> ops;
  std::deque<std::string> op_order;
  std::map<std::string, deployment_meta> deployments;  ///< by deployment name
  std::map<std::string, service_meta> services;

  impl(caf::actor_system& s, caf::actor c, package_catalog& p, const coordinator::image_catalog* i,
       sm_config conf)
    : sys(s), ctl(std::move(c)), packages(p), images(i), cfg(std::move(conf)) {
    rng.seed(cfg.seed ^ 0x5348a7c1e3d29f17ull);
  }

  std::string next_request_id() {
    static const char* hex = "0123456789abcdef";
    std::lock_guard<std::mutex> lock(mtx);
    std::string id;
    for (int w = 0; w < 2; ++w) {
      auto v = rng();
      for (int i = 0; i < 16; ++i) {
        id.push_back(hex[v & 0xf]);
        v >>= 4;
      }
    }
    return id;
  }

  void remember(const std::string& id, sm_operation op) {
    std::lock_guard<std::mutex> lock(mtx);
    ops[id] = std::move(op);
    op_order.push_back(id);
    while (op_order.size() > cfg.max_remembered_operations) {
      ops.erase(op_order.front());
      op_order.pop_front();
    }
  }

  /// Runs `fn` on the controller actor; nullopt when it did not answer in 10 s.
  template <class T>
  std::optional<T> on_controller(std::function<T(controller&)> fn) {
    auto out = std::make_shared<std::optional<T>>();
    bool answered = false;
    caf::scoped_actor self{sys};
    self
      ->request(ctl, std::chrono::seconds(10), coordinator::api_call{[out, fn](controller& c) {
                  *out = fn(c);
                  return api_result{};
                }})
      .receive([&](api_result&) { answered = true; }, [&](caf::error&) {});
    if (!answered)
      return std::nullopt;
    return std::move(*out);
  }

  /// Builds the controller request for the deployment (on the actor: it may
  /// read the model) addressed by `slot`, or the platform error.
  using request_maker = std::function<result<coordinator::operation_request>(
    const model::deployment&, const coordinator::slot_target&)>;

  // Starts the controller operation `make_request` builds for the deployment
  // `t` of `service`.
  started start(const std::string& service, const target_ref& t, request_maker make_request) {
    auto got = on_controller<started>([service, t, make_request](controller& c) {
      started out;
      out.service = service;
      model::slot s = model::slot::production;
      if (auto e = resolve(c, service, t, s)) {
        out.err = *e;
        return out;
      }
      auto& d = *c.model().services.at(service).in(s);
      out.deployment = d.name;
      auto req = make_request(d, {service, model::to_string(s)});
      if (!req) {
        out.err = sm_err(req.err());
        return out;
      }
      return start_into(c, out, *req);
    });
    if (!got) {
      started s;
      s.err = sm_err(codes::server_busy, "The controller did not answer; try again.");
      return s;
    }
    return *got;
  }

  deployment_meta* meta_of(const std::string& deployment) {
    auto i = deployments.find(deployment);
    return i == deployments.end() ? nullptr : &i->second;
  }

  /// The view of one deployment (REQUIRES: mtx held).
  sm_api::deployment_view view_of(model::deployment& d, deployment_snapshot& snap) {
    sm_api::deployment_view v;
    v.locked = snap.locked;
    v.instances = std::move(snap.runtime);
    if (auto* m = meta_of(d.name)) {
      v.created_time = m->created;
      v.last_modified_time = m->modified;
      if (m->label)
        d.label = *m->label;
      if (!m->cscfg.empty()
          && m->cscfg_canonical == sm_api::render_service_configuration(d.configuration))
        v.configuration_text = m->cscfg;
    }
    return v;
  }

  sm_api::hosted_service_view service_view(service_snapshot& s, const std::string& host) {
    sm_api::hosted_service_view v;
    if (!host.empty())
      v.url = "http://" + host + "/" + cfg.subscription_id + "/services/hostedservices/"
              + s.svc.name;
    std::lock_guard<std::mutex> lock(mtx);
    if (auto i = services.find(s.svc.name); i != services.end()) {
      v.date_created = i->second.created;
      v.date_last_modified = i->second.modified;
      v.affinity_group = i->second.affinity_group;
    }
    if (s.svc.production)
      v.production = view_of(*s.svc.production, s.production);
    if (s.svc.staging)
      v.staging = view_of(*s.svc.staging, s.staging);
    return v;
  }

  void touch(const std::string& deployment) {
    std::lock_guard<std::mutex> lock(mtx);
    if (auto* m = meta_of(deployment))
      m->modified = now_utc();
  }

  // -- routes -------------------------------------------------------------------

  reply dispatch(const sm_request& req);
  reply list_services(const sm_request& req);
  reply get_service(const sm_request& req, const std::string& svc);
  reply create_service(const sm_request& req);
  reply delete_service(const std::string& svc);
  reply swap(const sm_request& req, const std::string& svc);
  reply get_deployment(const sm_request& req, const std::string& svc, const target_ref& t);
  reply create_deployment(const sm_request& req, const std::string& svc, const std::string& slot);
  reply delete_deployment(const std::string& svc, const target_ref& t);
  reply deployment_post(const sm_request& req, const std::string& svc, const target_ref& t);
  reply instance_post(const sm_request& req, const std::string& svc, const target_ref& t,
                      const std::string& instance);
  reply delete_instances(const sm_request& req, const std::string& svc, const target_ref& t);
  reply operation_status(const std::string& id);
  reply availability(const std::string& name);
};

namespace {

reply accepted(const started& s, int status = 202) {
  if (s.err)
    return fail(*s.err);
  reply r;
  r.status = status;
  r.follow_op = s.op_id;
  return r;
}

reply bad_verb(const sm_request& req) {
  return fail(sm_err(codes::invalid_http_verb,
                     "The HTTP verb " + req.method + " is not supported for " + req.path + "."));
}

reply no_resource() {
  return fail(sm_err(codes::resource_not_found, "The requested resource does not exist."));
}

} // namespace

reply sm_facade::impl::dispatch(const sm_request& req) {
  auto seg = segments(req.path);
  if (seg.size() < 2)
    return no_resource();
  if (seg[0] != cfg.subscription_id)
    return fail(sm_err(codes::authentication_failed,
                       "The server failed to authenticate the request. Verify that the "
                       "certificate is valid and is associated with this subscription."));
  if (!req.x_ms_version || !valid_version_header(*req.x_ms_version))
    return fail(sm_err(codes::missing_or_incorrect_version_header,
                       "The versioning header is not specified or was specified incorrectly."));
  const auto& m = req.method;
  if (seg[1] == "operations") {
    if (seg.size() != 3)
      return no_resource();
    return m == "GET" ? operation_status(seg[2]) : bad_verb(req);
  }
  if (seg[1] != "services" || seg.size() < 3 || seg[2] != "hostedservices")
    return no_resource();
  if (seg.size() == 3) {
    if (m == "GET")
      return list_services(req);
    if (m == "POST")
      return create_service(req);
    return bad_verb(req);
  }
  if (seg.size() == 6 && seg[3] == "operations" && seg[4] == "isavailable")
    return m == "GET" ? availability(seg[5]) : bad_verb(req);
  const auto& svc = seg[3];
  if (seg.size() == 4) {
    if (m == "GET")
      return get_service(req, svc);
    if (m == "DELETE")
      return delete_service(svc);
    if (m == "POST")
      return swap(req, svc);
    if (m == "PUT")
      return fail(sm_err(codes::bad_request,
                         "Update Hosted Service is not supported by this coordinator."));
    return bad_verb(req);
  }
  if (seg.size() < 6 || (seg[4] != "deploymentslots" && seg[4] != "deployments"))
    return no_resource();
  target_ref t{seg[4] == "deployments", seg[5]};
  if (seg.size() == 6) {
    if (m == "GET")
      return get_deployment(req, svc, t);
    if (m == "DELETE")
      return delete_deployment(svc, t);
    if (m == "POST") {
      if (param(req, "comp").empty() && !t.by_name)
        return create_deployment(req, svc, t.key);
      return deployment_post(req, svc, t);
    }
    return bad_verb(req);
  }
  if (seg[6] != "roleinstances" || seg.size() > 8)
    return no_resource();
  if (m != "POST")
    return bad_verb(req);
  if (seg.size() == 7)
    return delete_instances(req, svc, t);
  return instance_post(req, svc, t, seg[7]);
}

// -- hosted services -----------------------------------------------------------------

reply sm_facade::impl::list_services(const sm_request& req) {
  auto snaps = on_controller<std::vector<service_snapshot>>([](controller& c) {
    std::vector<service_snapshot> out;
    for (auto& [name, s] : c.model().services)
      out.push_back(snapshot_service(c, s));
    return out;
  });
  if (!snaps)
    return fail(sm_err(codes::server_busy, "The controller did not answer; try again."));
  std::vector<sm_api::hosted_service_entry> entries;
  for (auto& s : *snaps)
    entries.push_back({&s.svc, service_view(s, req.host)});
  reply r;
  r.body = sm_api::render_hosted_services(entries);
  return r;
}

reply sm_facade::impl::get_service(const sm_request& req, const std::string& svc) {
  auto snap = on_controller<std::optional<service_snapshot>>(
    [svc](controller& c) -> std::optional<service_snapshot> {
      auto i = c.model().services.find(svc);
      if (i == c.model().services.end())
        return std::nullopt;
      return snapshot_service(c, i->second);
    });
  if (!snap)
    return fail(sm_err(codes::server_busy, "The controller did not answer; try again."));
  if (!*snap)
    return fail(sm_err(codes::resource_not_found, not_found_service));
  auto& s = **snap;
  bool embed = lower(param(req, "embed-detail")) == "true";
  auto view = service_view(s, req.host);
  reply r;
  r.body = sm_api::render_hosted_service(s.svc, view, embed);
  return r;
}

reply sm_facade::impl::create_service(const sm_request& req) {
  auto parsed = sm_api::parse_create_hosted_service(req.body);
  if (!parsed)
    return fail(sm_err(parsed.err()));
  auto p = *parsed;
  coordinator::create_service_request q{p.service_name, p.label, p.description,
                                        p.location.empty() ? p.affinity_group : p.location};
  auto res = on_controller<std::optional<coordinator::request_error>>(
    [q](controller& c) -> std::optional<coordinator::request_error> {
      auto r = c.create_service(q);
      if (!r)
        return r.err();
      return std::nullopt;
    });
  if (!res)
    return fail(sm_err(codes::server_busy, "The controller did not answer; try again."));
  if (*res) {
    auto e = from_error(**res);
    if (e.http_status == 409)
      e.message = "The specified DNS name is already taken. (" + e.message + ")";
    return fail(e);
  }
  {
    std::lock_guard<std::mutex> lock(mtx);
    auto& m = services[p.service_name];
    m.created = m.modified = now_utc();
    m.affinity_group = p.affinity_group;
  }
  reply r;
  r.status = 201;
  return r;
}

reply sm_facade::impl::delete_service(const std::string& svc) {
  auto res = on_controller<std::optional<coordinator::request_error>>(
    [svc](controller& c) -> std::optional<coordinator::request_error> {
      auto r = c.delete_service(svc);
      if (!r)
        return r.err();
      return std::nullopt;
    });
  if (!res)
    return fail(sm_err(codes::server_busy, "The controller did not answer; try again."));
  if (*res && (*res)->code == error_code::not_found)
    return fail(sm_err(codes::resource_not_found, not_found_service));
  if (*res)
    return fail(from_error(**res));
  std::lock_guard<std::mutex> lock(mtx);
  services.erase(svc);
  return {};
}

reply sm_facade::impl::availability(const std::string& name) {
  auto taken = on_controller<bool>(
    [name](controller& c) { return c.model().services.count(name) > 0; });
  if (!taken)
    return fail(sm_err(codes::server_busy, "The controller did not answer; try again."));
  reply r;
  r.body = sm_api::render_availability(!*taken, *taken ? "The specified DNS name is already taken." : "");
  return r;
}

reply sm_facade::impl::swap(const sm_request& req, const std::string& svc) {
  auto parsed = sm_api::parse_swap(req.body);
  if (!parsed)
    return fail(sm_err(parsed.err()));
  auto p = *parsed;
  auto got = on_controller<started>([svc, p](controller& c) {
    started out;
    auto i = c.model().services.find(svc);
    if (i == c.model().services.end()) {
      out.err = sm_err(codes::resource_not_found, not_found_service);
      return out;
    }
    auto& prod = i->second.production;
    auto& stag = i->second.staging;
    // SourceDeployment names either deployment (the SDK's docs: one in
    // production goes to staging); the swap exchanges both slots.
    bool in_staging = stag && stag->name == p.source_deployment;
    bool in_production = prod && prod->name == p.source_deployment;
    if (!in_staging && !in_production) {
      out.err = sm_err(codes::resource_not_found, not_found_deployment);
      return out;
    }
    // Production names the deployment in production; ignored when that slot
    // is empty (the staging deployment is promoted alone).
    if (prod && !p.production.empty() && prod->name != p.production) {
      out.err = sm_err(codes::conflict_error,
                       "The deployment in production is '" + prod->name + "', not '"
                         + p.production + "'.");
      return out;
    }
    return start_into(c, out, coordinator::swap_request{svc});
  });
  if (!got)
    return fail(sm_err(codes::server_busy, "The controller did not answer; try again."));
  return accepted(*got);
}

// -- deployments ------------------------------------------------------------------------

reply sm_facade::impl::get_deployment(const sm_request&, const std::string& svc,
                                      const target_ref& t) {
  struct found {
    std::optional<sm_api::sm_error> err;
    service_snapshot snap;
    model::slot in_slot = model::slot::production;
  };
  auto got = on_controller<found>([svc, t](controller& c) {
    found out;
    if (auto e = resolve(c, svc, t, out.in_slot)) {
      out.err = *e;
      return out;
    }
    out.snap = snapshot_service(c, c.model().services.at(svc));
    return out;
  });
  if (!got)
    return fail(sm_err(codes::server_busy, "The controller did not answer; try again."));
  if (got->err)
    return fail(*got->err);
  auto& d = *got->snap.svc.in(got->in_slot);
  sm_api::deployment_view view;
  {
    std::lock_guard<std::mutex> lock(mtx);
    view = view_of(d, got->snap.of(got->in_slot));
  }
  reply r;
  r.body = sm_api::render_deployment(d, svc, view);
  return r;
}

reply sm_facade::impl::create_deployment(const sm_request& req, const std::string& svc,
                                         const std::string& slot) {
  auto parsed = sm_api::parse_create_deployment(req.body);
  if (!parsed)
    return fail(sm_err(parsed.err()));
  auto p = std::move(*parsed);
  auto pkg = resolve_package_url(packages, p.package_url);
  if (!pkg)
    return fail(sm_err(codes::bad_request, pkg.err().message));
  coordinator::deploy_request q;
  q.csdef = pkg->csdef;
  q.cscfg = p.configuration.text;
  q.image = pkg->image;
  q.name = p.name;
  q.label = p.label;
  q.start = p.start_deployment;
  auto got = on_controller<started>([svc, slot, q](controller& c) mutable {
    started out;
    if (!c.model().services.count(svc)) {
      out.err = sm_err(codes::resource_not_found, not_found_service);
      return out;
    }
    auto s = model::parse_slot(slot);
    if (!s) {
      out.err = sm_err(codes::bad_request,
                       "The deployment slot '" + slot + "' is not valid; use production or staging.");
      return out;
    }
    q.target = {svc, model::to_string(*s)};
    return start_into(c, out, q);
  });
  if (!got)
    return fail(sm_err(codes::server_busy, "The controller did not answer; try again."));
  if (!got->err) {
    std::lock_guard<std::mutex> lock(mtx);
    deployment_meta m;
    m.service = svc;
    m.created = m.modified = now_utc();
    m.cscfg = p.configuration.text;
    m.cscfg_canonical = sm_api::render_service_configuration(p.configuration.parsed);
    deployments[p.name] = m;
  }
  return accepted(*got);
}

reply sm_facade::impl::delete_deployment(const std::string& svc, const target_ref& t) {
  auto s = start(svc, t,
                 [](const model::deployment&, const coordinator::slot_target& at)
                   -> result<coordinator::operation_request> {
                   return coordinator::operation_request{coordinator::delete_deployment_request{at}};
                 });
  if (!s.err) {
    std::lock_guard<std::mutex> lock(mtx);
    deployments.erase(s.deployment);
  }
  return accepted(s);
}

reply sm_facade::impl::deployment_post(const sm_request& req, const std::string& svc,
                                       const target_ref& t) {
  auto comp = lower(param(req, "comp"));
  if (comp == "upgrade") {
    auto parsed = sm_api::parse_upgrade_deployment(req.body);
    if (!parsed)
      return fail(sm_err(parsed.err()));
    auto p = std::move(*parsed);
    auto pkg = resolve_package_url(packages, p.package_url);
    if (!pkg)
      return fail(sm_err(codes::bad_request, pkg.err().message));
    coordinator::upgrade_deployment_request q;
    q.image = pkg->image;
    q.csdef = pkg->csdef;
    q.cscfg = p.configuration.text;
    q.mode = model::to_string(p.mode);
    q.force = p.force;
    q.role = p.role_to_upgrade;
    auto s = start(svc, t, [q](const model::deployment& d, const coordinator::slot_target& at)
                             -> result<coordinator::operation_request> {
      if (!q.role.empty() && !d.definition.find_role(q.role))
        return sm_api::make_error(codes::bad_request,
                                  "RoleToUpgrade '" + q.role + "' is not a role of deployment '"
                                    + d.name + "'.");
      auto out = q;
      out.target = at;
      return coordinator::operation_request{std::move(out)};
    });
    if (s.err)
      return fail(*s.err);
    {
      std::lock_guard<std::mutex> lock(mtx);
      auto& m = deployments[s.deployment];
      m.service = svc;
      m.previous_label = m.label;
      m.label = p.label;
      m.previous_cscfg = m.cscfg;
      m.previous_canonical = m.cscfg_canonical;
      m.cscfg = p.configuration.text;
      m.cscfg_canonical = sm_api::render_service_configuration(p.configuration.parsed);
      m.modified = now_utc();
    }
    auto r = accepted(s);
    // Manual: accepted is done; the client walks each upgrade domain.
    r.succeeded_now = p.mode == model::upgrade_mode::manual;
    return r;
  }
  if (comp == "walkupgradedomain") {
    auto parsed = sm_api::parse_walk_upgrade_domain(req.body);
    if (!parsed)
      return fail(sm_err(parsed.err()));
    int ud = parsed->upgrade_domain;
    auto s = start(svc, t, [ud](const model::deployment& d, const coordinator::slot_target& at)
                             -> result<coordinator::operation_request> {
      if (ud >= d.definition.upgrade_domain_count)
        return sm_api::make_error(codes::bad_request,
                                  "UpgradeDomain " + std::to_string(ud) + " is out of range: the "
                                    "deployment has " + std::to_string(d.definition.upgrade_domain_count)
                                    + " upgrade domains (0-based).");
      return coordinator::operation_request{coordinator::walk_request{at, ud}};
    });
    return accepted(s);
  }
  if (comp == "config") {
    auto parsed = sm_api::parse_change_configuration(req.body);
    if (!parsed)
      return fail(sm_err(parsed.err()));
    auto p = std::move(*parsed);
    auto s = start(svc, t,
                   [text = p.configuration.text](const model::deployment&,
                                                 const coordinator::slot_target& at)
                     -> result<coordinator::operation_request> {
                     return coordinator::operation_request{
                       coordinator::change_configuration_request{at, text}};
                   });
    if (!s.err) {
      std::lock_guard<std::mutex> lock(mtx);
      auto& m = deployments[s.deployment];
      m.service = svc;
      m.cscfg = p.configuration.text;
      m.cscfg_canonical = sm_api::render_service_configuration(p.configuration.parsed);
      m.modified = now_utc();
    }
    return accepted(s);
  }
  if (comp == "status") {
    auto parsed = sm_api::parse_update_deployment_status(req.body);
    if (!parsed)
      return fail(sm_err(parsed.err()));
    auto status = model::to_string(parsed->status);
    auto s = start(svc, t, [status](const model::deployment&, const coordinator::slot_target& at)
                             -> result<coordinator::operation_request> {
      return coordinator::operation_request{coordinator::set_status_request{at, status}};
    });
    if (!s.err)
      touch(s.deployment);
    return accepted(s);
  }
  if (comp == "rollback") {
    auto parsed = sm_api::parse_rollback(req.body);
    if (!parsed)
      return fail(sm_err(parsed.err()));
    auto mode = model::to_string(parsed->mode);
    auto s = start(svc, t, [mode](const model::deployment&, const coordinator::slot_target& at)
                             -> result<coordinator::operation_request> {
      return coordinator::operation_request{coordinator::rollback_request{at, mode}};
    });
    if (!s.err) {
      std::lock_guard<std::mutex> lock(mtx);
      if (auto* m = meta_of(s.deployment)) {
        m->label = m->previous_label;
        m->cscfg = m->previous_cscfg;
        m->cscfg_canonical = m->previous_canonical;
        m->modified = now_utc();
      }
    }
    // The Node SDK requires 200 by name and 202 by slot.
    return accepted(s, t.by_name ? 200 : 202);
  }
  if (comp.empty())
    return fail(sm_err(codes::missing_or_invalid_required_query_parameter,
                       "A POST to a deployment needs the query parameter comp (upgrade, "
                       "walkupgradedomain, config, status or rollback)."));
  return fail(sm_err(codes::missing_or_invalid_required_query_parameter,
                     "The value '" + param(req, "comp") + "' of the query parameter comp is not "
                       "supported here."));
}

reply sm_facade::impl::instance_post(const sm_request& req, const std::string& svc,
                                     const target_ref& t, const std::string& instance) {
  static const std::map<std::string, protocol::command_kind> kinds{
    {"reboot", protocol::command_kind::reboot},
    {"reimage", protocol::command_kind::reimage},
    {"rebuild", protocol::command_kind::rebuild}};
  auto comp = lower(param(req, "comp"));
  auto k = kinds.find(comp);
  if (k == kinds.end())
    return fail(sm_err(codes::missing_or_invalid_required_query_parameter,
                       "A POST to a role instance needs comp=reboot, reimage or rebuild."));
  auto s = start(svc, t, [instance, kind = k->second](const model::deployment&,
                                                      const coordinator::slot_target& at)
                           -> result<coordinator::operation_request> {
    return coordinator::operation_request{coordinator::instance_request{at, instance, kind}};
  });
  return accepted(s);
}

reply sm_facade::impl::delete_instances(const sm_request& req, const std::string& svc,
                                        const target_ref& t) {
  if (lower(param(req, "comp")) != "delete")
    return fail(sm_err(codes::missing_or_invalid_required_query_parameter,
                       "A POST to roleinstances needs comp=delete."));
  auto parsed = sm_api::parse_delete_role_instances(req.body);
  if (!parsed)
    return fail(sm_err(parsed.err()));
  auto names = parsed->names;
  auto text = std::make_shared<std::string>();
  auto s = start(svc, t,
                 [names, text](const model::deployment& d, const coordinator::slot_target& at)
                   -> result<coordinator::operation_request> {
                   // Deleting instances = scaling the role in: this coordinator
                   // removes the highest-numbered instances of a role.
                   std::map<std::string, std::set<int>> per_role;
                   for (auto& n : names) {
                     auto* inst = d.find_instance(n);
                     if (!inst)
                       return sm_api::make_error(codes::resource_not_found,
                                                 "The role instance '" + n + "' does not exist.");
                     per_role[inst->role].insert(inst->index);
                   }
                   auto cfg = d.configuration;
                   for (auto& [role, idx] : per_role) {
                     auto insts = d.role_instances(role);
                     int count = static_cast<int>(insts.size());
                     int keep = count - static_cast<int>(idx.size());
                     if (keep < 1)
                       return sm_api::make_error(codes::bad_request,
                                                 "Every instance of role '" + role
                                                   + "' would be deleted; keep at least one.");
                     for (int i = keep; i < count; ++i)
                       if (!idx.count(insts[i]->index))
                         return sm_api::make_error(
                           codes::bad_request,
                           "This coordinator deletes only the highest-numbered instances of a "
                           "role (a scale in): name the last " + std::to_string(idx.size())
                             + " instance(s) of role '" + role + "'.");
                     if (auto* rc = cfg.find_role(role))
                       rc->instance_count = keep;
                   }
                   *text = sm_api::render_service_configuration(cfg);
                   return coordinator::operation_request{
                     coordinator::change_configuration_request{at, *text}};
                 });
  if (!s.err) {
    std::lock_guard<std::mutex> lock(mtx);
    auto& m = deployments[s.deployment];
    m.service = svc;
    m.cscfg = *text;
    m.cscfg_canonical = *text;
    m.modified = now_utc();
  }
  return accepted(s);
}

// -- operations ----------------------------------------------------------------------------

reply sm_facade::impl::operation_status(const std::string& raw) {
  auto id = sm_api::normalise_request_id(raw);
  std::optional<sm_operation> op;
  if (id) {
    std::lock_guard<std::mutex> lock(mtx);
    if (auto i = ops.find(*id); i != ops.end())
      op = i->second;
  }
  if (!op)
    return fail(sm_err(codes::resource_not_found,
                       "The operation request id '" + raw + "' was not found."));
  sm_api::operation_view v;
  v.request_id = *id;
  v.status = op->status;
  v.http_status_code = op->http_status;
  v.error_code = op->code;
  v.error_message = op->message;
  if (!op->follow_op.empty()) {
    struct state {
      bool found = false;
      coordinator::op_status status = coordinator::op_status::in_progress;
      std::string error;
    };
    auto st = on_controller<state>([cid = op->follow_op](controller& c) {
      state s;
      if (auto* o = c.find_operation(cid)) {
        s.found = true;
        s.status = o->status;
        s.error = o->error;
      }
      return s;
    });
    if (!st)
      return fail(sm_err(codes::server_busy, "The controller did not answer; try again."));
    if (!st->found) {
      v.status = sm_api::operation_status::failed;
      v.error_code = codes::internal_error;
      v.error_message = "The operation is no longer known to the coordinator.";
      v.http_status_code = 500;
    } else if (st->status == coordinator::op_status::in_progress) {
      v.status = sm_api::operation_status::in_progress;
    } else if (st->status == coordinator::op_status::succeeded) {
      v.status = sm_api::operation_status::succeeded;
      v.http_status_code = 200;
    } else {
      v.status = sm_api::operation_status::failed;
      auto lowered = lower(st->error);
      v.error_code = lowered.find("rolled back") != std::string::npos
                         || lowered.find("superseded") != std::string::npos
                       ? codes::conflict_error
                     : lowered.find("timed out") != std::string::npos
                         || lowered.find("timeout") != std::string::npos
                       ? codes::operation_timed_out
                       : codes::internal_error;
      v.error_message = st->error.empty() ? "The operation failed." : st->error;
      v.http_status_code = sm_api::http_status_of(v.error_code);
    }
  }
  reply r;
  r.body = sm_api::render_operation(v);
  return r;
}

// -- facade --------------------------------------------------------------------------------

sm_facade::sm_facade(caf::actor_system& sys, caf::actor controller, package_catalog& packages,
                     const coordinator::image_catalog* images, sm_config cfg)
  : impl_(std::make_unique<impl>(sys, std::move(controller), packages, images, cfg)),
    cfg_(std::move(cfg)) {}

sm_facade::~sm_facade() = default;

sm_response sm_facade::handle(const sm_request& req) {
  sm_response res;
  res.request_id = impl_->next_request_id();
  reply r;
  try {
    r = impl_->dispatch(req);
  } catch (const std::exception& e) {
    r = fail(sm_err(codes::internal_error, std::string("unexpected error: ") + e.what()));
  }
  impl::sm_operation op;
  if (r.err) {
    res.status = r.err->http_status;
    res.body = sm_api::render_error(*r.err);
    op.status = sm_api::operation_status::failed;
    op.http_status = r.err->http_status;
    op.code = r.err->code;
    op.message = r.err->message;
  } else {
    res.status = r.status;
    res.body = std::move(r.body);
    op.http_status = 200;  // the operation's outcome (Create Hosted Service answered 201)
    if (!r.succeeded_now)
      op.follow_op = r.follow_op;
  }
  impl_->remember(res.request_id, std::move(op));
  if (res.status >= 400)
    spdlog::info("SM {} {}: {} {}", req.method, req.path, res.status,
                 r.err ? r.err->code : std::string());
  else
    spdlog::debug("SM {} {}: {}", req.method, req.path, res.status);
  return res;
}

void sm_facade::add_routes(httplib::Server& server) {
  auto h = [this](const httplib::Request& req, httplib::Response& res) {
    sm_request r;
    r.method = req.method;
    r.path = req.path;
    for (auto& [k, v] : req.params)
      r.params.emplace(k, v);
    if (req.has_header("x-ms-version"))
      r.x_ms_version = req.get_header_value("x-ms-version");
    r.host = req.get_header_value("Host");
    r.body = req.body;
    auto out = handle(r);
    res.status = out.status;
    res.set_header("x-ms-request-id", out.request_id);
    if (!out.body.empty())
      res.set_content(out.body, "application/xml; charset=utf-8");
  };
  const std::string sm_paths = R"(/[^/]+/(services|operations)(/.*)?)";
  server.Get(sm_paths, h);
  server.Post(sm_paths, h);
  server.Put(sm_paths, h);
  server.Delete(sm_paths, h);
  server.Patch(sm_paths, h);

  auto json_reply = [](httplib::Response& res, int status, const nlohmann::json& body) {
    res.status = status;
    res.set_content(body.dump(2) + "\n", "application/json");
  };
  auto json_error = [json_reply](httplib::Response& res, int status, const std::string& code,
                                 const std::string& message) {
    json_reply(res, status, {{"error", {{"code", code}, {"message", message}}}});
  };
  auto summary = [](const package& p) {
    nlohmann::json roles = nlohmann::json::array();
    int uds = 0;
    if (auto def = model::parse_service_definition(p.csdef, "ServiceDefinition.csdef")) {
      for (auto& r : def->roles)
        roles.push_back(r.name);
      uds = def->upgrade_domain_count;
    }
    return nlohmann::json{{"name", p.name}, {"image", p.image}, {"roles", roles},
                          {"upgrade_domain_count", uds}};
  };
  auto* catalog = &impl_->packages;
  auto* images = impl_->images;
  server.Post("/fabric/v1/packages/([^/]+)", [=](const httplib::Request& req,
                                                  httplib::Response& res) {
    auto name = req.matches[1].str();
    if (!valid_package_name(name))
      return json_error(res, 400, "BadRequest",
                        "bad package name '" + name + "': 1..100 characters of A-Z a-z 0-9 . _ -");
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("csdef") || !j["csdef"].is_string()
        || !j.contains("image") || !j["image"].is_string())
      return json_error(res, 400, "BadRequest",
                        "the body must be a JSON object with string members 'csdef' (the .csdef "
                        "text) and 'image' (an uploaded image name)");
    package p{name, j["image"].get<std::string>(), j["csdef"].get<std::string>()};
    std::optional<std::string> digest;
    if (images)
      digest = images->resolve(p.image);
    if (!digest)
      return json_error(res, 400, "BadRequest",
                        "unknown image '" + p.image + "': upload it first (fabricctl image upload)");
    if (auto st = catalog->put(p); !st)
      return json_error(res, 400, "BadRequest", st.err().to_string());
    spdlog::info("package {} stored (image {})", name, p.image);
    auto body = summary(p);
    body["image_digest"] = *digest;
    json_reply(res, 201, body);
  });
  server.Get("/fabric/v1/packages", [=](const httplib::Request&, httplib::Response& res) {
    auto arr = nlohmann::json::array();
    for (auto& p : catalog->list())
      arr.push_back(summary(p));
    json_reply(res, 200, {{"packages", arr}});
  });
  server.Get("/fabric/v1/packages/([^/]+)", [=](const httplib::Request& req,
                                                 httplib::Response& res) {
    auto p = catalog->find(req.matches[1].str());
    if (!p)
      return json_error(res, 404, "ResourceNotFound",
                        "no package '" + req.matches[1].str() + "'");
    auto body = summary(*p);
    body["csdef"] = p->csdef;
    json_reply(res, 200, body);
  });
  server.Delete("/fabric/v1/packages/([^/]+)", [=](const httplib::Request& req,
                                                    httplib::Response& res) {
    if (!catalog->remove(req.matches[1].str()))
      return json_error(res, 404, "ResourceNotFound",
                        "no package '" + req.matches[1].str() + "'");
    json_reply(res, 200, {{"deleted", req.matches[1].str()}});
  });
}

} // namespace fabric::sm_server
