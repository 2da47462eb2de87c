// upgrade_walk_bench: the walk time of an in-place upgrade of a
// 10,000-instance, 20-UD role (issue #4), driven through the real controller
// actor and its upgrade engine.
//
// What is real: the controller actor (coordinator/controller_actor.hpp) in a
// CAF actor_system with 2 scheduler threads, as fabric-coordinator runs it:
// its own ticks (after reports, coalesced) and its own timer at the upgrade
// engine's next deadline (the end of each per-UD wait); the controller and
// its upgrade engine (model::plan_next + model::edits_for, one journaled
// commit per pass through the SQLite model store with sync=full in
// --data-dir); the image catalog; the wire codec (every command is encoded
// by the actor and decoded by the simulated node, every answer encoded and
// decoded again).
// What is simulated: 100 nodes (10 FDs, capacity 200) behind an in-memory
// transport whose send queues the frame (as ZeroMQ's does) for a node thread
// that answers every command at once: an instance_command_result ok and an
// instance_report ReadyRole on the command's version, each handed to the
// controller actor as the ZeroMQ bridge would (peer_message). No VM boot, no
// disk work, no ZeroMQ hop.
// The walk time is the operation's own (started_at .. finished_at on the
// actor clock); the bench polls the operation every 100 ms, an API call like
// any other.
//
// Walk 1: Auto upgrade v1 -> v2 with no per-UD wait; goal <= 2 s.
// Walk 2: Auto upgrade v2 -> v3 with a per-UD wait W; the engine waits W
// after each walked UD that has a next one, so 19 waits for 20 UDs: the lower
// bound is 19*W; goal <= 1.05 x 19*W.
//
// Usage: upgrade_walk_bench [--instances 10000] [--uds 20] [--wait-ms 1000]
//                           [--data-dir DIR] [--threads 2]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <sys/resource.h>

#include <caf/all.hpp>

#include "bench/bench_models.hpp"
#include "coordinator/controller.hpp"
#include "coordinator/controller_actor.hpp"
#include "coordinator/image_catalog.hpp"
#include "coordinator/journal_port.hpp"
#include "coordinator/upgrade_engine.hpp"
#include "coordinator/api_json.hpp"
#include "images/image_store.hpp"
#include "protocol/codec.hpp"
#include "tests/integration/process_harness.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using namespace fabric;

/// An image archive with one file holding `content`.
std::string image_archive(const fs::path& scratch, const std::string& content) {
  fs::create_directories(scratch / "tree" / "bin");
  std::ofstream(scratch / "tree" / "bin" / "app") << content;
  images::image_store store{scratch / "store"};
  auto digest = store.import_directory(scratch / "tree");
  std::ostringstream out;
  if (!digest || !store.export_image(*digest, out).ok())
    return {};
  return out.str();
}

/// The 100 nodes, on a thread of their own (as the nodes are other processes
/// behind ZeroMQ, whose send only queues the frame): every command the
/// controller actor sends is decoded and answered at once (result ok, then
/// ReadyRole on the command's version, except for a remove), each answer
/// encoded, decoded and handed to the controller actor as the bridge does.
class answering_nodes : public fabric::transport::transport {
public:
  answering_nodes() : worker_([this] { run(); }) {}
  ~answering_nodes() override {
    {
      std::lock_guard<std::mutex> g{mtx_};
      stop_ = true;
    }
    cv_.notify_one();
    worker_.join();
  }

  void attach(caf::actor controller) {
    std::lock_guard<std::mutex> g{mtx_};
    controller_ = std::move(controller);
  }

  void send(const fabric::transport::peer_id& to, std::string bytes) override {
    {
      std::lock_guard<std::mutex> g{mtx_};
      ++stats_.frames_sent;
      queue_.emplace_back(to, std::move(bytes));
    }
    cv_.notify_one();
  }
  std::optional<fabric::transport::inbound_frame> receive(std::chrono::milliseconds) override {
    return std::nullopt;
  }
  fabric::transport::transport_stats stats() const override {
    std::lock_guard<std::mutex> g{mtx_};
    return stats_;
  }
  uint64_t commands() const { return commands_.load(); }

private:
  void run() {
    std::vector<std::pair<std::string, std::string>> batch;
    for (;;) {
      caf::actor to;
      {
        std::unique_lock<std::mutex> g{mtx_};
        cv_.wait(g, [&] { return stop_ || !queue_.empty(); });
        if (stop_)
          return;
        batch.swap(queue_);
        to = controller_;
      }
      for (auto& [peer, bytes] : batch)
        answer_command(to, peer, bytes);
      batch.clear();
    }
  }

  void answer_command(const caf::actor& to, const std::string& peer, const std::string& bytes) {
    auto frame = protocol::decode(bytes);
    auto* cmd = frame ? std::get_if<protocol::instance_command>(&frame->message) : nullptr;
    if (!cmd)
      return;
    commands_.fetch_add(1, std::memory_order_relaxed);
    answer(to, peer, protocol::encode(protocol::instance_command_result{cmd->command_id, true, ""}));
    if (cmd->kind != protocol::command_kind::remove)
      answer(to, peer, protocol::encode(protocol::instance_report{
                         cmd->instance.name, "ReadyRole", cmd->instance.version, "127.0.0.1:1"}));
  }

  static void answer(const caf::actor& to, const std::string& from, const std::string& bytes) {
    auto d = protocol::decode(bytes);
    if (d)
      caf::anon_send(to, actors::peer_message{from, d->version, 0, std::move(d->message)});
  }

  mutable std::mutex mtx_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::pair<std::string, std::string>> queue_;
  caf::actor controller_;
  std::atomic<uint64_t> commands_{0};
  fabric::transport::transport_stats stats_;
  std::thread worker_;  // last: starts after the members above exist
};

/// CPU time of the whole process so far (every thread), in ms.
double cpu_ms() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto ms = [](const timeval& t) { return t.tv_sec * 1000.0 + t.tv_usec / 1000.0; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

struct walk_stats {
  double ms = 0;
  double cpu_ms = 0;  ///< process CPU (controller, simulated nodes, polls)
  uint64_t commands = 0;
  uint64_t passes = 0;
  std::string status;
};

} // namespace

int main(int argc, char** argv) {
  int instances = 10000, uds = 20, wait_ms = 1000, threads = 2;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--instances")
      instances = std::stoi(next());
    else if (a == "--uds")
      uds = std::stoi(next());
    else if (a == "--wait-ms")
      wait_ms = std::stoi(next());
    else if (a == "--data-dir")
      dir = next();
    else if (a == "--threads")
      threads = std::stoi(next());
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  bool own_dir = dir.empty();
  if (own_dir)
    dir = testing::temp_dir("fabric-walk");
  std::printf("upgrade_walk_bench: %d instances, %d UDs, 100 simulated nodes (immediate "
              "acks), the controller actor on %d scheduler threads, journal in %s\n",
              instances, uds, threads, dir.c_str());

  auto store = journal::model_store::open(dir + "/coordinator");
  if (!store) {
    std::fprintf(stderr, "journal: %s\n", store.err().to_string().c_str());
    return 1;
  }
  coordinator::journal_model_port port{std::move(*store)};
  coordinator::image_catalog images{dir + "/coordinator"};
  if (!images.load().ok())
    return 1;
  for (auto v : {"v1", "v2", "v3"})
    if (!images.add(v, image_archive(fs::path(dir) / "scratch" / v, v)).ok()) {
      std::fprintf(stderr, "image %s could not be added\n", v);
      return 1;
    }
  coordinator::controller_config cfg;
  cfg.phase_durations_ms = {{"create_vm", 1}, {"start_vm", 1}, {"start_role", 1}};
  auto core = std::make_shared<coordinator::controller>(port, &images, cfg);
  // The nodes and the service, before the actor owns the controller.
  int nodes = 100;
  uint32_t capacity = static_cast<uint32_t>(instances * 2 / nodes + 1);
  for (int n = 0; n < nodes; ++n) {
    auto name = "n" + std::to_string(n);
    core->on_node_up({name, n % 10, static_cast<int>(capacity), "peer-" + name, 1, true}, {});
  }
  if (coordinator::json_api::create_service(*core, R"({"name":"walk"})").status != 201)
    return 1;

  caf::actor_system_config acfg;
  acfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  int rc = 1;
  {
    caf::actor_system sys{acfg};
    auto wire = std::make_shared<answering_nodes>();
    auto ctl = sys.spawn(coordinator::controller_actor, core,
                         std::static_pointer_cast<transport::transport>(wire));
    wire->attach(ctl);
    caf::scoped_actor self{sys};
    using coordinator::api_result;
    auto call = [&](std::function<api_result(coordinator::controller&)> fn) {
      api_result out = coordinator::api_error(503, "NoAnswer", "the controller did not answer");
      self->request(ctl, caf::infinite, coordinator::api_call{std::move(fn)})
        .receive([&](api_result& r) { out = std::move(r); }, [&](caf::error&) {});
      return out;
    };

    // Starts operation `kind` and polls it until it ends; its time is the
    // operation's own (actor clock).
    auto run = [&](const std::string& kind, const nlohmann::json& body) {
      walk_stats s;
      auto passes0 = call([](coordinator::controller& c) {
                       return api_result{200, {{"passes", c.upgrades().passes()}}};
                     }).body.value("passes", uint64_t{0});
      auto commands0 = wire->commands();
      auto cpu0 = cpu_ms();
      auto res = call([kind, b = body.dump()](coordinator::controller& c) {
        return coordinator::json_api::start_operation(c, kind, {"walk", "production", b});
      });
      if (res.status != 202) {
        std::fprintf(stderr, "%s refused: %s\n", kind.c_str(), res.body.dump().c_str());
        s.status = "Refused";
        return s;
      }
      auto id = res.body.value("operation_id", std::string());
      for (;;) {
        std::this_thread::sleep_for(100ms);
        auto st = call([id](coordinator::controller& c) {
          auto& op = c.operations().at(id);
          std::chrono::duration<double, std::milli> ms = op.finished_at - op.started_at;
          return api_result{200,
                            {{"status", coordinator::to_string(op.status)},
                             {"ms", ms.count()},
                             {"passes", c.upgrades().passes()}}};
        });
        s.status = st.body.value("status", std::string("?"));
        if (s.status == "InProgress")
          continue;
        s.ms = st.body.value("ms", 0.0);
        s.passes = st.body.value("passes", uint64_t{0}) - passes0;
        s.commands = wire->commands() - commands0;
        s.cpu_ms = cpu_ms() - cpu0;
        return s;
      }
    };

    auto deploy = run("deploy", {{"csdef", fabric::bench::web_role_csdef("Walk", uds)},
                                 {"cscfg", fabric::bench::web_role_cscfg("Walk", instances)},
                                 {"image", "v1"},
                                 {"name", "walk"}});
    std::printf("deploy of %d instances: %.0f ms (%llu commands), %s\n", instances, deploy.ms,
                static_cast<unsigned long long>(deploy.commands), deploy.status.c_str());
    if (deploy.status == "Succeeded") {
      auto walk = [&](const char* image, int wait) {
        auto s = run("upgrade", {{"image", image}, {"mode", "auto"}, {"domain_wait_ms", wait}});
        std::printf("  upgrade to %s, per-UD wait %d ms: walk %.1f ms, %s; %llu upgrade "
                    "commands, %llu planner passes; process CPU %.1f ms (%.2f ms per UD, "
                    "%.1f us per instance)\n",
                    image, wait, s.ms, s.status.c_str(),
                    static_cast<unsigned long long>(s.commands),
                    static_cast<unsigned long long>(s.passes), s.cpu_ms, s.cpu_ms / uds,
                    s.cpu_ms * 1000.0 / instances);
        return s;
      };

      std::printf("walk 1: Auto, no per-UD wait\n");
      auto w1 = walk("v2", 0);
      std::printf("  walk time %.1f ms; goal 2000 ms: walk/goal = %.2f (%s); %.1f ms per UD, "
                  "%.1f us per instance\n",
                  w1.ms, w1.ms / 2000.0,
                  w1.ms <= 2000 && w1.status == "Succeeded" ? "met" : "NOT met", w1.ms / uds,
                  w1.ms * 1000.0 / instances);

      std::printf("walk 2: Auto, per-UD wait W = %d ms\n", wait_ms);
      auto w2 = walk("v3", wait_ms);
      double bound = static_cast<double>(uds - 1) * wait_ms;
      std::printf("  walk time %.1f ms; lower bound (UDs-1)*W = %d*%d = %.0f ms: walk/bound = "
                  "%.3f; goal <= 1.05 (%s); overhead over the bound %.1f ms (%.1f ms per UD)\n",
                  w2.ms, uds - 1, wait_ms, bound, w2.ms / bound,
                  w2.ms <= 1.05 * bound && w2.status == "Succeeded" ? "met" : "NOT met",
                  w2.ms - bound, (w2.ms - bound) / uds);
      rc = w1.status == "Succeeded" && w2.status == "Succeeded" ? 0 : 1;
    }
    caf::anon_send_exit(ctl, caf::exit_reason::user_shutdown);
  }

  if (own_dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return rc;
}
