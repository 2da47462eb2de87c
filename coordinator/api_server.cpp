#include "coordinator/api_server.hpp"

#include <optional>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "coordinator/api_json.hpp"
#include "coordinator/controller_actor.hpp"
#include "coordinator/http_limits.hpp"
#include "coordinator/image_catalog.hpp"

namespace fabric::coordinator {

namespace {

std::optional<membership_snapshot> ask_snapshot(caf::actor_system& sys, const caf::actor& who) {
  std::optional<membership_snapshot> out;
  caf::scoped_actor self{sys};
  self->request(who, std::chrono::seconds(2), fabric::snapshot_atom_v)
    .receive([&](membership_snapshot& snap) { out = std::move(snap); },
             [&](caf::error&) {});
  return out;
}

void send_json(httplib::Response& res, const nlohmann::json& body) {
  res.set_content(body.dump(2) + "\n", "application/json");
}

void send_result(httplib::Response& res, const api_result& r) {
  res.status = r.status;
  send_json(res, r.body);
}

api_result call(caf::actor_system& sys, const caf::actor& ctl,
                std::function<api_result(controller&)> fn) {
  api_result out = api_error(503, "ServiceUnavailable", "the controller did not answer");
  caf::scoped_actor self{sys};
  self->request(ctl, std::chrono::seconds(10), api_call{std::move(fn)})
    .receive([&](api_result& r) { out = std::move(r); }, [&](caf::error&) {});
  return out;
}

} // namespace

nlohmann::json nodes_json(const membership_snapshot& snap) {
  auto nodes = nlohmann::json::array();
  for (auto& m : snap.members) {
    auto age = std::chrono::duration_cast<std::chrono::milliseconds>(snap.taken_at - m.last_heard);
    auto names = nlohmann::json::array();
    for (auto& i : m.instances)
      names.push_back(i.instance_name);
    if (m.instances.empty())
      for (auto& h : m.held)
        names.push_back(h.instance_name);
    nlohmann::json down_since = nullptr;  // ms since it was declared down
    if (m.state == node_state::down)
      down_since = std::chrono::duration_cast<std::chrono::milliseconds>(snap.taken_at
                                                                         - m.declared_down_at)
                     .count();
    nodes.push_back({{"name", m.name},
                     {"fault_domain", m.fault_domain},
                     {"state", to_string(m.state)},
                     {"epoch", m.epoch},
                     {"last_heartbeat_age_ms", age.count()},
                     {"down_since_ms", down_since},
                     {"address", m.advertise_host},
                     {"capacity", m.capacity},
                     {"protocol_version", m.version.to_string()},
                     {"agent_version", m.agent_version},
                     {"instance_count", names.size()},
                     {"instances", names}});
  }
  return {{"nodes", nodes}};
}

nlohmann::json membership_stats_json(const membership_snapshot& snap) {
  auto& c = snap.counters;
  return {{"registrations", c.registrations},
          {"registrations_refused", c.registrations_refused},
          {"heartbeats_accepted", c.heartbeats_accepted},
          {"heartbeats_unknown_node", c.heartbeats_unknown_node},
          {"heartbeats_stale_epoch", c.heartbeats_stale_epoch},
          {"heartbeats_while_down", c.heartbeats_while_down},
          {"nodes_declared_down", c.nodes_declared_down},
          {"unhandled_messages", snap.unhandled_messages},
          {"heartbeat_interval_ms", snap.detector.heartbeat_interval.count()},
          {"missed_heartbeats", snap.detector.missed_heartbeats}};
}

nlohmann::json bridge_stats_json(const actors::bridge_counters& c) {
  return {{"received", c.frames_in},
          {"forwarded", c.forwarded},
          {"malformed", c.malformed},
          {"oversized", c.oversized},
          {"unknown_type", c.unknown_type},
          {"unsupported_version", c.unsupported_version},
          {"unrouted", c.unrouted}};
}

api_server::api_server(caf::actor_system& sys, caf::actor membership,
                       std::function<nlohmann::json()> frame_stats)
  : sys_(sys), membership_(std::move(membership)), frame_stats_(std::move(frame_stats)) {
  apply_http_limits(server_, {});  // 413 / 411 / read timeouts (http_limits.hpp)
  server_.Get("/fabric/v1/nodes", [this](const httplib::Request&, httplib::Response& res) {
    auto snap = ask_snapshot(sys_, membership_);
    if (!snap) {
      send_result(res, api_error(503, "ServiceUnavailable", "membership actor did not answer"));
      return;
    }
    send_json(res, nodes_json(*snap));
  });
  server_.Get("/fabric/v1/stats", [this](const httplib::Request&, httplib::Response& res) {
    auto snap = ask_snapshot(sys_, membership_);
    nlohmann::json body = frame_stats_ ? frame_stats_() : nlohmann::json::object();
    if (snap)
      body["membership"] = membership_stats_json(*snap);
    send_json(res, body);
  });
}

namespace {

/// Runs on the controller actor: one closure per request.
using run_fn = std::function<void(httplib::Response&, std::function<api_result(controller&)>)>;

/// Operation `kind` on (service, slot) with the request body.
void start_op(const run_fn& run, httplib::Response& res, const std::string& kind,
           json_request r) {
  run(res, [kind, r = std::move(r)](controller& c) {
    return json_api::start_operation(c, kind, r);
  });
}

/// The deployment operations: swap, status, instance reboot/reimage/rebuild,
/// configuration, reboot quirk, redeploy.
void add_deployment_operation_routes(httplib::Server& server, const run_fn& run) {
  const std::string dep = "/fabric/v1/services/([^/]+)/deployments/([^/]+)";
  server.Post("/fabric/v1/services/([^/]+)/swap",
              [run](const httplib::Request& req, httplib::Response& res) {
                start_op(run, res, "swap", {req.matches[1].str(), "production", req.body});
              });
  server.Post(dep + "/status", [run](const httplib::Request& req, httplib::Response& res) {
    start_op(run, res, "set_status", {req.matches[1].str(), req.matches[2].str(), req.body});
  });
  server.Post(dep + "/roleinstances/([^/]+)/(reboot|reimage|rebuild)",
              [run](const httplib::Request& req, httplib::Response& res) {
                static const std::map<std::string, const char*> kinds{
                  {"reboot", "reboot_instance"},
                  {"reimage", "reimage_instance"},
                  {"rebuild", "rebuild_instance"}};
                nlohmann::json body{{"instance", req.matches[3].str()}};
                start_op(run, res, kinds.at(req.matches[4].str()),
                      {req.matches[1].str(), req.matches[2].str(), body.dump()});
              });
  server.Put(dep + "/configuration", [run](const httplib::Request& req, httplib::Response& res) {
    start_op(run, res, "change_configuration",
          {req.matches[1].str(), req.matches[2].str(), req.body});
  });
  server.Get(dep + "/configuration", [run](const httplib::Request& req, httplib::Response& res) {
    run(res, [s = req.matches[1].str(), slot = req.matches[2].str()](controller& c) {
      return json_api::get_configuration(c, s, slot);
    });
  });
  server.Put(dep + "/reboot-quirk", [run](const httplib::Request& req, httplib::Response& res) {
    start_op(run, res, "set_reboot_quirk", {req.matches[1].str(), req.matches[2].str(), req.body});
  });
  server.Post(dep + "/redeploy", [run](const httplib::Request& req, httplib::Response& res) {
    start_op(run, res, "redeploy", {req.matches[1].str(), req.matches[2].str(), req.body});
  });
}

} // namespace

void api_server::add_controller_routes(caf::actor ctl, image_catalog* images) {
  auto* sys = &sys_;
  run_fn run = [sys, ctl](httplib::Response& res, std::function<api_result(controller&)> fn) {
    send_result(res, call(*sys, ctl, std::move(fn)));
  };
  server_.Post("/fabric/v1/services", [run](const httplib::Request& req, httplib::Response& res) {
    run(res, [body = req.body](controller& c) { return json_api::create_service(c, body); });
  });
  server_.Get("/fabric/v1/services", [run](const httplib::Request&, httplib::Response& res) {
    run(res, [](controller& c) { return json_api::list_services(c); });
  });
  server_.Get("/fabric/v1/services/([^/]+)",
              [run](const httplib::Request& req, httplib::Response& res) {
                run(res, [n = req.matches[1].str()](controller& c) {
                  return json_api::get_service(c, n);
                });
              });
  server_.Delete("/fabric/v1/services/([^/]+)",
                 [run](const httplib::Request& req, httplib::Response& res) {
                   run(res, [n = req.matches[1].str()](controller& c) {
                     return json_api::delete_service(c, n);
                   });
                 });
  const std::string dep = "/fabric/v1/services/([^/]+)/deployments/([^/]+)";
  server_.Post(dep, [run](const httplib::Request& req, httplib::Response& res) {
    start_op(run, res, "deploy", {req.matches[1].str(), req.matches[2].str(), req.body});
  });
  server_.Get(dep, [run](const httplib::Request& req, httplib::Response& res) {
    run(res, [s = req.matches[1].str(), slot = req.matches[2].str()](controller& c) {
      return json_api::get_deployment(c, s, slot);
    });
  });
  server_.Delete(dep, [run](const httplib::Request& req, httplib::Response& res) {
    start_op(run, res, "delete_deployment", {req.matches[1].str(), req.matches[2].str(), req.body});
  });
  for (auto kind : {"upgrade", "walk", "rollback"})
    server_.Post(dep + "/" + kind, [run, k = std::string(kind)](const httplib::Request& req,
                                                               httplib::Response& res) {
      start_op(run, res, k, {req.matches[1].str(), req.matches[2].str(), req.body});
    });
  add_deployment_operation_routes(server_, run);
  server_.Get("/fabric/v1/operations", [run](const httplib::Request&, httplib::Response& res) {
    run(res, [](controller& c) { return json_api::list_operations(c); });
  });
  server_.Get("/fabric/v1/operations/([^/]+)",
              [run](const httplib::Request& req, httplib::Response& res) {
                run(res, [id = req.matches[1].str()](controller& c) {
                  return json_api::get_operation(c, id);
                });
              });
  if (images) {
    server_.Get("/fabric/v1/images", [images](const httplib::Request&, httplib::Response& res) {
      auto arr = nlohmann::json::array();
      for (auto& e : images->list())
        arr.push_back({{"name", e.name}, {"digest", e.digest}, {"size", e.size}});
      send_json(res, {{"images", arr}});
    });
    server_.Post("/fabric/v1/images/([^/]+)",
                 [images](const httplib::Request& req, httplib::Response& res) {
                   auto name = req.matches[1].str();
                   auto added = images->add(name, req.body);
                   if (!added) {
                     send_result(res, api_error(400, "BadRequest", added.err().to_string()));
                     return;
                   }
                   spdlog::info("image {} stored: {}", name, added->digest);
                   res.status = 201;
                   send_json(res, {{"name", added->name},
                                   {"digest", added->digest},
                                   {"size", added->size}});
                 });
  }
  server_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty() && res.status == 404)
      send_result(res, api_error(404, "ResourceNotFound", "no route " + req.method + " " + req.path));
  });
  server_.set_exception_handler(
    [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unexpected error";
      try {
        if (ep)
          std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      send_result(res, api_error(500, "InternalError", what));
    });
}

api_server::~api_server() { stop(); }

bool api_server::start(const std::string& host, int port) {
  if (!server_.bind_to_port(host.c_str(), port)) {
    spdlog::error("cannot listen on {}:{} for the API", host, port);
    return false;
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  return true;
}

void api_server::stop() {
  server_.stop();
  if (thread_.joinable())
    thread_.join();
}

} // namespace fabric::coordinator
