// fabric-node: one rack / fault domain. First version: registers with the
// coordinator and heartbeats. See node/README.md.

#include <csignal>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "actors/bridge.hpp"
#include "node/node_actor.hpp"
#include "transport/zmq_transport.hpp"

int main(int argc, char** argv) {
  using namespace fabric;
  CLI::App app{"fabric-node: hosts role instances for one fault domain"};
  std::string coordinator;
  std::string name;
  std::string data_dir;
  std::string advertise = "127.0.0.1";
  uint32_t fault_domain = 0;
  uint32_t capacity = 8;
  int heartbeat_ms = 100;
  int missed = 3;
  int threads = 2;
  std::string log_level = "info";
  app.add_option("--coordinator", coordinator, "coordinator endpoint, tcp://HOST:PORT")
    ->required();
  app.add_option("--fault-domain", fault_domain, "this node's fault domain")->required();
  app.add_option("--name", name, "node name, unique in the fabric")->required();
  app.add_option("--data-dir", data_dir, "directory for the node's disks")->required();
  app.add_option("--advertise", advertise, "host other parties use to reach this node");
  app.add_option("--capacity", capacity, "max instances on this node");
  app.add_option("--heartbeat-ms", heartbeat_ms,
                 "heartbeat interval until the coordinator sets its own")
    ->check(CLI::Range(1, 60000));
  app.add_option("--missed-heartbeats", missed,
                 "missed acks before the coordinator is presumed lost")
    ->check(CLI::Range(1, 1000));
  app.add_option("--threads", threads, "CAF scheduler threads")->check(CLI::Range(1, 64));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("[%H:%M:%S.%e] [" + name + "] [%l] %v");

  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    spdlog::error("--data-dir {}: {}", data_dir, ec.message());
    return 2;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  zmq::context_t zmq_ctx;  // before the actor system: outlives every socket
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  caf::actor_system sys{cfg};

  auto dealer = transport::zmq_transport::connect_dealer(zmq_ctx, coordinator);
  if (!dealer) {
    spdlog::error("{}", dealer.err().message);
    return 1;
  }
  std::shared_ptr<transport::zmq_transport> link{std::move(*dealer)};

  node::node_actor_config ncfg;
  ncfg.identity = {name, fault_domain, advertise, capacity, "0.1.0"};
  ncfg.detector.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  ncfg.detector.missed_heartbeats = missed;
  // Extension points: ncfg.held (disk store), ncfg.instances (instance
  // actors), ncfg.commands (the actor that carries out instance_command).
  auto agent = sys.spawn(node::node_actor, std::move(ncfg), link);

  actors::transport_bridge bridge{*link};
  bridge.route_default(agent);
  bridge.start();
  spdlog::info("node {} (fault domain {}) connecting to {}", name, fault_domain, coordinator);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: shutting down", sig);
  bridge.stop();
  caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
  sys.await_all_actors_done();
  return 0;
}
