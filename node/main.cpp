// fabric-node: one rack / fault domain. Registers with the coordinator,
// heartbeats, and runs the role instances it is told to run (instance
// manager, one actor per instance, real disks, one HTTP port per instance).
// See node/README.md.

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "actors/bridge.hpp"
#include "actors/essential.hpp"
#include "actors/stop_signals.hpp"
#include "node/disk/instance_disks.hpp"
#include "node/endpoints/http_ports.hpp"
#include "node/instance_manager.hpp"
#include "node/metrics_bridge.hpp"
#include "monitoring/wire_transport.hpp"
#include "node/node_actor.hpp"
#include "transport/zmq_transport.hpp"

namespace {

int run(int argc, char** argv) {
  using namespace fabric;
  CLI::App app{"fabric-node: hosts role instances for one fault domain"};
  std::string coordinator;
  std::string name;
  std::string data_dir;
  std::string advertise = "127.0.0.1";
  uint32_t fault_domain = 0;
  std::string instance_host;
  uint32_t capacity = 5000;
  int heartbeat_ms = 100;
  int missed = 3;
  int threads = 2;
  std::string log_level = "info";
  std::string metrics_listen;
  int metrics_refresh_ms = 1000;
  app.add_option("--coordinator", coordinator, "coordinator endpoint, tcp://HOST:PORT")
    ->required();
  app.add_option("--fault-domain", fault_domain, "this node's fault domain")->required();
  app.add_option("--name", name, "node name, unique in the fabric")->required();
  app.add_option("--data-dir", data_dir, "directory for the node's disks")->required();
  app.add_option("--advertise", advertise, "host other parties use to reach this node");
  app.add_option("--capacity", capacity, "max instances on this node");
  app.add_option("--instance-host", instance_host,
                 "host the instance HTTP ports bind to (default: --advertise)");
  app.add_option("--heartbeat-ms", heartbeat_ms,
                 "heartbeat interval until the coordinator sets its own")
    ->check(CLI::Range(1, 60000));
  app.add_option("--missed-heartbeats", missed,
                 "missed acks before the coordinator is presumed lost")
    ->check(CLI::Range(1, 1000));
  app.add_option("--threads", threads, "CAF scheduler threads")->check(CLI::Range(1, 64));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  app.add_option("--metrics-listen", metrics_listen,
                 "serve Prometheus metrics on HOST:PORT/metrics (port 0: any free port)");
  app.add_option("--metrics-refresh-ms", metrics_refresh_ms,
                 "how often the disk usage is measured (default 1000)")
    ->check(CLI::Range(10, 600000));
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("[%H:%M:%S.%e] [" + name + "] [%l] %v");

  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    spdlog::error("--data-dir {}: {}", data_dir, ec.message());
    return 2;
  }
  if (auto st = disk::clean_leftovers(data_dir); !st)
    spdlog::warn("--data-dir {}: {}", data_dir, st.err().message);
  if (instance_host.empty())
    instance_host = advertise.empty() ? "127.0.0.1" : advertise;

  // Thousands of instance ports: as many descriptors as the hard limit allows.
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
      spdlog::warn("cannot raise RLIMIT_NOFILE to {}", static_cast<uint64_t>(lim.rlim_max));
  }

  actors::stop_signals signals;  // before any thread starts (actors/stop_signals.hpp)

  // Metrics (optional): bound first, so a port in use fails fast (exit 2).
  // Declared before the actor system: actors and the bridge write to them.
  monitoring::metrics_sink metrics_sink;
  std::unique_ptr<monitoring::node_metrics> metrics;
  if (!metrics_listen.empty()) {
    metrics = std::make_unique<monitoring::node_metrics>(metrics_sink, name,
                                                         static_cast<int>(fault_domain), "0.1.0");
    auto port = metrics_sink.serve(metrics_listen);
    if (!port) {
      spdlog::error("--metrics-listen: {}", port.err().to_string());
      return 2;
    }
    spdlog::info("metrics on http://{}:{}/metrics", metrics_listen.substr(0, metrics_listen.rfind(':')),
                 *port);
  }

  zmq::context_t zmq_ctx;  // before the actor system: outlives every socket
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  caf::actor_system sys{cfg};

  auto dealer = transport::zmq_transport::connect_dealer(
    zmq_ctx, coordinator,
    static_cast<std::int64_t>(protocol::decode_limits{}.max_frame_bytes));
  if (!dealer) {
    spdlog::error("{}", dealer.err().message);
    return 1;
  }
  std::shared_ptr<transport::transport> link{std::move(*dealer)};
  link = monitoring::count_wire_messages(link, metrics.get());

  // After the actor system: destroyed first, once every actor is done.
  node::http_ports ports;
  auto board = std::make_shared<node::instance_board>();
  auto env = std::make_shared<node::instance_env>();
  env->data_dir = data_dir;
  env->host = instance_host;
  env->ports = &ports;
  auto serving = std::make_shared<node::lease>();  // node_actor renews it, instances check it
  env->serving = serving;
  env->report = [board, link](const protocol::instance_report& r) {
    board->update(r);
    if (!r.state.empty())
      link->send({}, protocol::encode(r));
  };
  node::instance_manager_config mcfg;
  mcfg.env = env;
  mcfg.capacity = capacity;
  mcfg.request_image = [link](const protocol::image_request& r) {
    link->send({}, protocol::encode(r));
  };
  auto manager = sys.spawn(node::instance_manager, std::move(mcfg));

  node::node_actor_config ncfg;
  ncfg.identity = {name, fault_domain, advertise, capacity, "0.1.0"};
  ncfg.detector.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  ncfg.detector.missed_heartbeats = missed;
  ncfg.held = [dir = std::filesystem::path(data_dir)] { return node::held_on_disk(dir); };
  ncfg.instances = [board] { return board->snapshot(); };
  ncfg.commands = manager;
  ncfg.on_fence = [manager](bool fenced) { caf::anon_send(manager, node::fence_msg{fenced}); };
  ncfg.serving_lease = serving;
  if (metrics)
    ncfg.on_heartbeat_rtt = [m = metrics.get()](std::chrono::microseconds rtt) {
      m->record_heartbeat_rtt(std::chrono::duration<double>(rtt).count());
    };
  // Detached (its own thread): heartbeats must not queue behind the work of
  // thousands of instance actors on the scheduler's threads, or a busy node
  // looks dead (bench/README.md, scale_bench).
  auto agent = sys.spawn<caf::detached>(node::node_actor, std::move(ncfg), link);

  // One of these dying takes the process down (exit 70), never a zombie.
  auto watcher = actors::watch_essential(sys, {{"node_agent", agent}, {"instance_manager", manager}});

  actors::transport_bridge bridge{*link};
  bridge.route(protocol::image_chunk::type_id, manager);
  bridge.route_default(agent);
  bridge.start();
  std::unique_ptr<node::node_metrics_refresher> refresher;
  if (metrics) {
    refresher = std::make_unique<node::node_metrics_refresher>(
      *metrics, data_dir, [&bridge] { return bridge.counters(); },
      std::chrono::milliseconds(metrics_refresh_ms));
    refresher->start();
  }
  spdlog::info("node {} (fault domain {}) connecting to {}", name, fault_domain, coordinator);

  int sig = signals.wait();
  spdlog::info("signal {}: shutting down", sig);
  if (refresher)
    refresher->stop();
  bridge.stop();
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
  sys.await_all_actors_done();
  return 0;
}

} // namespace

// No exception ends in std::terminate: a message and exit status 1.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    spdlog::critical("fabric-node: {}", e.what());
    return 1;
  }
}
