#pragma once

// The coordinator's JSON API (cpp-httplib), first version:
//   GET /fabric/v1/nodes  -> {"nodes": [{name, fault_domain, state, epoch,
//                             last_heartbeat_age_ms, address, capacity,
//                             protocol_version, instance_count, instances}]}
//   GET /fabric/v1/stats  -> {"frames": {bridge counters},
//                             "transport": {...}, "membership": {...}}
// Handlers ask the membership actor for a snapshot (bounded wait, 503 when it
// does not answer). Others add routes with server().
//
// add_controller_routes() adds the model's routes (each runs as an api_call
// on the controller actor; 503 when it does not answer within 10 s):
//   POST   /fabric/v1/services                        {"name", "label"?, ...}  201
//   GET    /fabric/v1/services                        {"services": [...]}
//   GET    /fabric/v1/services/<svc>
//   DELETE /fabric/v1/services/<svc>                  409 while it has a deployment
//   POST   /fabric/v1/services/<svc>/deployments/<slot>   deploy: 202 {"operation_id"}
//   GET    /fabric/v1/services/<svc>/deployments/<slot>   every instance merged
//   DELETE /fabric/v1/services/<svc>/deployments/<slot>   202 {"operation_id"}
//   POST   /fabric/v1/services/<svc>/swap             VIP swap (plans.hpp)
//   POST   .../deployments/<slot>/status              {"status": "Running"|"Suspended"}
//   POST   .../deployments/<slot>/roleinstances/<i>/reboot|reimage|rebuild
//   PUT    .../deployments/<slot>/configuration       body: .cscfg text; GET: current
//   PUT    .../deployments/<slot>/reboot-quirk        {"probability": p, "instance"?}
//   POST   .../deployments/<slot>/redeploy            delete and deploy in one call
//   GET    /fabric/v1/operations[/<id>]               {"status": InProgress|Succeeded|Failed}
//   POST   /fabric/v1/images/<name>                   body: node/disk transfer archive, 201
//   GET    /fabric/v1/images                          {"images": [{name, digest, size}]}
// Errors everywhere: {"error": {"code", "message"}} with 400/404/409/5xx;
// unknown paths answer 404 in the same form.
//
// Thread-safety: start()/stop() from one thread; handlers run on httplib's
// worker threads.

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "actors/bridge.hpp"
#include "coordinator/membership_actor.hpp"

namespace fabric::coordinator {

class image_catalog;

/// The body of GET /fabric/v1/nodes.
nlohmann::json nodes_json(const membership_snapshot& snap);

/// The "membership" part of GET /fabric/v1/stats.
nlohmann::json membership_stats_json(const membership_snapshot& snap);

nlohmann::json bridge_stats_json(const actors::bridge_counters& c);

class api_server {
public:
  /// `frame_stats` is called per /stats request for the frame counters.
  api_server(caf::actor_system& sys, caf::actor membership,
             std::function<nlohmann::json()> frame_stats);
  ~api_server();

  /// Binds host:port and serves on a background thread. Returns false (with
  /// a log line) when the address cannot be bound.
  bool start(const std::string& host, int port);
  void stop();

  httplib::Server& server() { return server_; }

  /// Adds the routes above. REQUIRES: before start(); `images` outlives the
  /// server (may be null: no image routes).
  void add_controller_routes(caf::actor controller, image_catalog* images);

private:
  caf::actor_system& sys_;
  caf::actor membership_;
  std::function<nlohmann::json()> frame_stats_;
  httplib::Server server_;
  std::thread thread_;
};

} // namespace fabric::coordinator
