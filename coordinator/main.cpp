// fabric-coordinator: the fabric controller process: parses the options,
// opens the journal and catalogs, assembles the actors (assembly.hpp) on
// ZeroMQ, serves the APIs until SIGINT/SIGTERM. See coordinator/README.md.

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "actors/bridge.hpp"
#include "actors/essential.hpp"
#include "actors/stop_signals.hpp"
#include "coordinator/api_server.hpp"
#include "coordinator/assembly.hpp"
#include "coordinator/controller_actor.hpp"
#include "coordinator/image_catalog.hpp"
#include "coordinator/journal_port.hpp"
#include "coordinator/membership_actor.hpp"
#include "coordinator/metrics_bridge.hpp"
#include "monitoring/wire_transport.hpp"
#include "sm_api/server/sm_facade.hpp"
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

/// "create_vm=50,start_vm=50,start_role=50" -> map; false on a bad entry.
bool parse_phases(const std::string& s, std::map<std::string, uint32_t>& out) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto comma = s.find(',', pos);
    auto item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return false;
    try {
      std::size_t used = 0;
      auto v = std::stoul(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1 || v > 600000)
        return false;
      out[item.substr(0, eq)] = static_cast<uint32_t>(v);
    } catch (...) {
      return false;
    }
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  return true;
}

int run(int argc, char** argv) {
  using namespace fabric;
  CLI::App app{"fabric-coordinator: the fabric controller"};
  std::string nodes_listen;
  std::string api_listen;
  std::string data_dir;
  int heartbeat_ms = 100;
  int missed = 3;
  int threads = 2;
  int heal_delay_ms = 30000;
  int restart_grace_ms = 5000;
  std::size_t max_frame = 16 * 1024 * 1024;
  std::string log_level = "info";
  std::string phase_ms;
  std::string metrics_listen;
  bool per_instance_metrics = false;
  int metrics_refresh_ms = 250;
  // The reboot-quirk RNG seed; default from the clock, printed at start so a
  // run can be repeated.
  uint64_t seed = static_cast<uint64_t>(
    std::chrono::steady_clock::now().time_since_epoch().count());
  double upgrade_timeout_s = 1800;
  int upgrade_domain_wait_ms = 0;
  std::string upgrade_on_timeout = "proceed";
  std::string subscription_id = sm_server::default_subscription_id;
  model::count_limits ccfg_limits;
  app.add_option("--nodes-listen", nodes_listen, "ZeroMQ endpoint for nodes, tcp://HOST:PORT")
    ->required();
  app.add_option("--api-listen", api_listen, "HTTP API address, HOST:PORT")->required();
  app.add_option("--data-dir", data_dir, "directory for the coordinator's state")->required();
  app.add_option("--heartbeat-ms", heartbeat_ms, "heartbeat interval expected from nodes")
    ->check(CLI::Range(1, 60000));
  app.add_option("--missed-heartbeats", missed, "missed heartbeats before a node is down")
    ->check(CLI::Range(1, 1000));
  app.add_option("--heal-delay-ms", heal_delay_ms,
                 "service healing: re-place a down node's instances (fresh disks) only after it "
                 "has been down this long; a node back sooner keeps them (default 30000)")
    ->check(CLI::Range(0, 86400000));
  app.add_option("--restart-grace-ms", restart_grace_ms,
                 "after a start, no healing until every node the journal places instances on "
                 "has registered or this time has passed (default 5000)")
    ->check(CLI::Range(0, 3600000));
  app.add_option("--threads", threads, "CAF scheduler threads")->check(CLI::Range(1, 64));
  app.add_option("--max-frame-bytes", max_frame, "largest frame accepted from a node");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  app.add_option("--phase-ms", phase_ms,
                 "default phase durations sent to nodes, e.g. create_vm=50,start_vm=50,start_role=50");
  app.add_option("--upgrade-timeout-s", upgrade_timeout_s,
                 "in-place upgrade: per-instance timeout, seconds (default 1800)")
    ->check(CLI::Range(0.001, 604800.0));
  app.add_option("--upgrade-domain-wait-ms", upgrade_domain_wait_ms,
                 "in-place upgrade, Auto mode: wait between two upgrade domains (default 0)")
    ->check(CLI::Range(0, 86400000));
  app.add_option("--upgrade-on-timeout", upgrade_on_timeout,
                 "in-place upgrade: pause, roll_back or proceed when an instance times out")
    ->check(CLI::IsMember({"pause", "roll_back", "proceed"}));
  app.add_option("--max-role-instances", ccfg_limits.max_role_instances,
                 "most instances one role may have (default 10000); more is a 400")
    ->check(CLI::Range(1, 1000000));
  app.add_option("--max-deployment-instances", ccfg_limits.max_deployment_instances,
                 "most instances one deployment may have (default 20000); more is a 400")
    ->check(CLI::Range(1, 1000000));
  app.add_option("--seed", seed, "seed of the reboot-quirk RNG (default: from the clock)");
  app.add_option("--metrics-listen", metrics_listen,
                 "serve Prometheus metrics on HOST:PORT/metrics (port 0: any free port)");
  app.add_flag("--per-instance-metrics", per_instance_metrics,
               "also export fabric_role_instance_state: one series per instance");
  app.add_option("--metrics-refresh-ms", metrics_refresh_ms,
                 "how often the model gauges are recomputed (default 250)")
    ->check(CLI::Range(10, 600000));
  app.add_option("--subscription-id", subscription_id,
                 "the one subscription id the Service Management API answers for under "
                 "/<id>/services and /<id>/operations (default "
                   + std::string(sm_server::default_subscription_id) + ")");
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

  coordinator::controller_config ccfg;
  ccfg.upgrade_timeout
    = std::chrono::milliseconds(static_cast<int64_t>(upgrade_timeout_s * 1000));
  ccfg.upgrade_domain_wait = std::chrono::milliseconds(upgrade_domain_wait_ms);
  ccfg.limits = ccfg_limits;
  ccfg.upgrade_on_timeout = upgrade_on_timeout == "pause"       ? model::timeout_action::pause
                            : upgrade_on_timeout == "roll_back" ? model::timeout_action::roll_back
                                                                : model::timeout_action::proceed;
  if (!phase_ms.empty() && !parse_phases(phase_ms, ccfg.phase_durations_ms)) {
    spdlog::error("--phase-ms: expected NAME=MS[,NAME=MS...], got '{}'", phase_ms);
    return 2;
  }
  auto store = journal::model_store::open(data_dir);
  if (!store) {
    spdlog::error("{}", store.err().to_string());
    return 1;
  }
  spdlog::info("model loaded from {}: revision {}, {} service(s), {} edit(s) replayed", data_dir,
               store->model().revision, store->model().services.size(),
               store->replayed_on_open());
  coordinator::journal_model_port model_port{std::move(*store)};
  coordinator::image_catalog images{data_dir};
  if (auto st = images.load(); !st) {
    spdlog::error("{}", st.err().to_string());
    return 1;
  }
  sm_server::package_catalog packages{(std::filesystem::path(data_dir) / "packages").string()};
  if (auto st = packages.load(); !st) {
    spdlog::error("{}", st.err().to_string());
    return 1;
  }
  if (subscription_id.empty() || subscription_id.find('/') != std::string::npos
      || subscription_id == "fabric") {
    spdlog::error("--subscription-id: '{}' cannot be a path segment of its own", subscription_id);
    return 2;
  }

  actors::stop_signals signals;  // before any thread starts (actors/stop_signals.hpp)

  // Metrics (optional): bound first, so a port in use fails fast (exit 2).
  // Declared before the actor system: every actor may write to them.
  monitoring::metrics_sink metrics_sink;
  std::unique_ptr<monitoring::coordinator_metrics> metrics;
  std::unique_ptr<monitoring::per_instance_metrics> per_instance;
  if (!metrics_listen.empty()) {
    metrics = std::make_unique<monitoring::coordinator_metrics>(metrics_sink, "0.1.0");
    if (per_instance_metrics)
      per_instance = std::make_unique<monitoring::per_instance_metrics>(metrics_sink);
    auto port = metrics_sink.serve(metrics_listen);
    if (!port) {
      spdlog::error("--metrics-listen: {}", port.err().to_string());
      return 2;
    }
    spdlog::info("metrics on http://{}:{}/metrics", metrics_listen.substr(0, metrics_listen.rfind(':')),
                 *port);
    coordinator::observe_journal(model_port.store().journal_ref(), *metrics);
  }

  zmq::context_t zmq_ctx;  // before the actor system: outlives every socket
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  caf::actor_system sys{cfg};

  // A frame over --max-frame-bytes drops its sender's connection before it
  // is read (transport/zmq_transport.hpp).
  auto router = transport::zmq_transport::bind_router(zmq_ctx, nodes_listen,
                                                      static_cast<std::int64_t>(max_frame));
  if (!router) {
    spdlog::error("{}", router.err().message);
    return 1;
  }
  std::shared_ptr<transport::zmq_transport> nodes{std::move(*router)};
  spdlog::info("listening for nodes on {}", nodes->bound_endpoint());
  // With metrics, every frame in and out is counted by type on its way.
  std::shared_ptr<transport::transport> wire =
    monitoring::count_wire_messages(nodes, metrics.get());

  coordinator::membership_actor_config mcfg;
  mcfg.detector.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  mcfg.detector.missed_heartbeats = missed;
  // Epochs stay increasing across coordinator restarts.
  mcfg.first_epoch = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  ccfg.operation_prefix = "op" + std::to_string(mcfg.first_epoch);
  // Detection is not healing (coordinator/healing.hpp): nodes the model names
  // get the restart grace to register again (ZeroMQ reconnects with a backoff
  // of up to 1 s, a node resends its registration every k*H), never less
  // than the detection timeout; healing waits the heal delay after that.
  ccfg.unseen_node_grace = std::max(std::chrono::milliseconds(restart_grace_ms),
                                    mcfg.detector.heartbeat_interval * (missed + 1));
  ccfg.heal_delay = std::chrono::milliseconds(heal_delay_ms);
  // A tick (every 20 ms) later than this: the coordinator itself stalled.
  ccfg.stall_threshold = std::max(std::chrono::milliseconds(1000),
                                  mcfg.detector.heartbeat_interval * missed);
  // A command whose frame or result was lost is sent again (20*H, >= 2 s).
  ccfg.command_retry = std::max(std::chrono::milliseconds(2000),
                                mcfg.detector.heartbeat_interval * 20);
  ccfg.seed = seed;
  spdlog::info("reboot-quirk RNG seed {} (repeat a run with --seed {})", seed, seed);
  auto core = std::make_shared<coordinator::controller>(model_port, &images, ccfg);
  coordinator::assembly_config acfg;
  acfg.membership = mcfg;
  if (metrics)
    acfg.membership.observer = std::make_shared<coordinator::membership_metrics>(*metrics);
  // Membership and image server detached (coordinator/assembly.hpp).
  acfg.dedicated_threads = true;
  auto spawned = coordinator::spawn_coordinator_actors(sys, core, &images, wire, acfg);
  const auto& controller = spawned.controller;
  const auto& membership = spawned.membership;

  protocol::decode_limits limits;
  limits.max_frame_bytes = max_frame;
  actors::transport_bridge bridge{*wire, limits};
  spawned.route(bridge);
  bridge.start();
  caf::actor refresher;
  if (metrics) {
    auto exporter = std::make_shared<coordinator::model_exporter>(*metrics, per_instance.get());
    auto dropped = std::make_shared<monitoring::dropped_frames>(
      [m = metrics.get()](const std::string& reason, uint64_t n) { m->frames_dropped(reason, n); });
    refresher = sys.spawn(
      coordinator::metrics_refresher, controller, exporter,
      [dropped, &bridge] { dropped->update(bridge.counters()); },
      std::chrono::milliseconds(metrics_refresh_ms));
  }

  coordinator::api_server api{sys, membership, [&] {
                                auto t = nodes->stats();
                                return nlohmann::json{
                                  {"frames", coordinator::bridge_stats_json(bridge.counters())},
                                  {"transport",
                                   {{"sent", t.frames_sent},
                                    {"received", t.frames_received},
                                    {"send_failures", t.send_failures}}}};
                              }};
  api.add_controller_routes(controller, &images);
  // The legacy Service Management API on the same listener (sm_api/server).
  sm_server::sm_config smcfg;
  smcfg.subscription_id = subscription_id;
  smcfg.seed = seed;
  sm_server::sm_facade sm{sys, controller, packages, &images, smcfg};
  sm.add_routes(api.server());
  // One of these dying takes the process down (exit 70), never a zombie.
  auto watcher = actors::watch_essential(sys, {{"controller", controller},
                                               {"membership", membership},
                                               {"image_server", spawned.image_server},
                                               {"metrics_refresher", refresher}});
  auto stop_actors = [&] {
    if (watcher)  // first: the shutdown below is not a failure
      caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
    spawned.stop();
    if (refresher)
      caf::anon_send_exit(refresher, caf::exit_reason::user_shutdown);
  };
  if (!api.start(api_host, api_port)) {
    bridge.stop();
    stop_actors();
    return 1;
  }
  spdlog::info("API on http://{}:{}/fabric/v1/", api_host, api_port);
  spdlog::info("Service Management API on http://{}:{}/{}/services/hostedservices", api_host,
               api_port, subscription_id);

  int sig = signals.wait();
  spdlog::info("signal {}: shutting down", sig);
  api.stop();
  bridge.stop();
  stop_actors();
  sys.await_all_actors_done();
  return 0;
}

} // namespace

// No exception ends in std::terminate: a message and exit status 1.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    spdlog::critical("fabric-coordinator: {}", e.what());
    return 1;
  }
}
