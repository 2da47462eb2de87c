// fabric-coordinator: the fabric controller process (first version:
// membership and failure detection). See coordinator/README.md.

#include <csignal>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "actors/bridge.hpp"
#include "coordinator/api_server.hpp"
#include "coordinator/membership_actor.hpp"
#include "transport/zmq_transport.hpp"

namespace {

bool split_host_port(const std::string& s, std::string& host, int& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return false;
  host = s.substr(0, colon);
  try {
    port = std::stoi(s.substr(colon + 1));
  } catch (...) {
    return false;
  }
  return port >= 0 && port <= 65535;
}

} // namespace

int main(int argc, char** argv) {
  using namespace fabric;
  CLI::App app{"fabric-coordinator: the fabric controller"};
  std::string nodes_listen;
  std::string api_listen;
  std::string data_dir;
  int heartbeat_ms = 100;
  int missed = 3;
  int threads = 2;
  std::size_t max_frame = 16 * 1024 * 1024;
  std::string log_level = "info";
  app.add_option("--nodes-listen", nodes_listen, "ZeroMQ endpoint for nodes, tcp://HOST:PORT")
    ->required();
  app.add_option("--api-listen", api_listen, "HTTP API address, HOST:PORT")->required();
  app.add_option("--data-dir", data_dir, "directory for the coordinator's state")->required();
  app.add_option("--heartbeat-ms", heartbeat_ms, "heartbeat interval expected from nodes")
    ->check(CLI::Range(1, 60000));
  app.add_option("--missed-heartbeats", missed, "missed heartbeats before a node is down")
    ->check(CLI::Range(1, 1000));
  app.add_option("--threads", threads, "CAF scheduler threads")->check(CLI::Range(1, 64));
  app.add_option("--max-frame-bytes", max_frame, "largest frame accepted from a node");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));

  std::string api_host;
  int api_port = 0;
  if (!split_host_port(api_listen, api_host, api_port)) {
    spdlog::error("--api-listen: expected HOST:PORT, got '{}'", api_listen);
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    spdlog::error("--data-dir {}: {}", data_dir, ec.message());
    return 2;
  }

  // Every thread started from here on inherits the blocked signals; the main
  // thread waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  zmq::context_t zmq_ctx;  // before the actor system: outlives every socket
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  caf::actor_system sys{cfg};

  auto router = transport::zmq_transport::bind_router(zmq_ctx, nodes_listen);
  if (!router) {
    spdlog::error("{}", router.err().message);
    return 1;
  }
  std::shared_ptr<transport::zmq_transport> nodes{std::move(*router)};
  spdlog::info("listening for nodes on {}", nodes->bound_endpoint());

  coordinator::membership_actor_config mcfg;
  mcfg.detector.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  mcfg.detector.missed_heartbeats = missed;
  // Epochs stay increasing across coordinator restarts.
  mcfg.first_epoch = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  auto membership = sys.spawn(coordinator::membership_actor, mcfg, nodes);

  protocol::decode_limits limits;
  limits.max_frame_bytes = max_frame;
  actors::transport_bridge bridge{*nodes, limits};
  // Extension point: route instance_command_result / instance_report /
  // image_request to their actors with bridge.route(type_id, actor).
  bridge.route_default(membership);
  bridge.start();

  coordinator::api_server api{sys, membership, [&] {
                                auto t = nodes->stats();
                                return nlohmann::json{
                                  {"frames", coordinator::bridge_stats_json(bridge.counters())},
                                  {"transport",
                                   {{"sent", t.frames_sent},
                                    {"received", t.frames_received},
                                    {"send_failures", t.send_failures}}}};
                              }};
  if (!api.start(api_host, api_port)) {
    bridge.stop();
    caf::anon_send_exit(membership, caf::exit_reason::user_shutdown);
    return 1;
  }
  spdlog::info("API on http://{}:{}/fabric/v1/", api_host, api_port);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: shutting down", sig);
  api.stop();
  bridge.stop();
  caf::anon_send_exit(membership, caf::exit_reason::user_shutdown);
  sys.await_all_actors_done();
  return 0;
}
