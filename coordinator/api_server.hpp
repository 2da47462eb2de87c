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

private:
  caf::actor_system& sys_;
  caf::actor membership_;
  std::function<nlohmann::json()> frame_stats_;
  httplib::Server server_;
  std::thread thread_;
};

} // namespace fabric::coordinator
