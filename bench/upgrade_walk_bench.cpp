// upgrade_walk_bench: the walk time of an in-place upgrade of a
// 10,000-instance, 20-UD role (issue #4), driven through the real upgrade
// engine.
//
// What is real: coordinator::controller with its upgrade engine
// (upgrade_ops.cpp: model::plan_next on every tick, every model edit through
// the journaled model store, i.e. SQLite with sync=full in --data-dir, as
// fabric-coordinator runs it), the image catalog, and the wire codec: every
// command is msgpack-encoded and decoded, and every answer too.
// What is simulated: 100 nodes (10 FDs, capacity 200) that answer every
// command at once, in the same thread: an instance_command_result ok and an
// instance_report ReadyRole on the command's version (no VM boot, no disk
// work, no ZeroMQ hop, no CAF mailbox). The loop plays the controller actor:
// it ticks right after the answers (the actor's tick_soon) and, when nothing
// happened, sleeps as the actor's periodic tick does: 20 ms, or until the
// per-UD wait ends (+1 ms).
//
// Walk 1: Auto upgrade v1 -> v2 with no per-UD wait; goal <= 2 s.
// Walk 2: Auto upgrade v2 -> v3 with a per-UD wait W; the engine waits W
// after each walked UD that has a next one, so 19 waits for 20 UDs: the lower
// bound is 19*W; goal <= 1.05 x 19*W.
//
// Usage: upgrade_walk_bench [--instances 10000] [--uds 20] [--wait-ms 1000]
//                           [--data-dir DIR]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "bench/bench_models.hpp"
#include "coordinator/api_json.hpp"
#include "coordinator/controller.hpp"
#include "coordinator/image_catalog.hpp"
#include "coordinator/journal_port.hpp"
#include "coordinator/upgrade_ops.hpp"
#include "images/image_store.hpp"
#include "protocol/codec.hpp"
#include "tests/integration/process_harness.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using namespace fabric;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

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

struct walk_stats {
  double ms = 0;
  uint64_t commands = 0;
  uint64_t ticks = 0;
  uint64_t sleeps = 0;
  std::string status;
};

/// Plays the controller actor and the 100 nodes until operation `op_id` ends.
walk_stats run_until_done(coordinator::controller& ctl, const std::string& op_id,
                          clock_type::time_point t0) {
  walk_stats s;
  for (;;) {
    ctl.on_tick(clock_type::now());
    ++s.ticks;
    auto cmds = ctl.take_outbound();
    for (auto& c : cmds) {
      // coordinator -> node
      auto frame = protocol::decode(protocol::encode(c.command));
      auto* cmd = frame ? std::get_if<protocol::instance_command>(&frame->message) : nullptr;
      if (!cmd)
        continue;
      // node -> coordinator, at once
      auto res = protocol::decode(
        protocol::encode(protocol::instance_command_result{cmd->command_id, true, ""}));
      if (res)
        if (auto* r = std::get_if<protocol::instance_command_result>(&res->message))
          ctl.on_command_result(c.peer, *r);
      if (cmd->kind == protocol::command_kind::remove)
        continue;
      auto rep = protocol::decode(protocol::encode(protocol::instance_report{
        cmd->instance.name, "ReadyRole", cmd->instance.version, "127.0.0.1:1"}));
      if (rep)
        if (auto* r = std::get_if<protocol::instance_report>(&rep->message))
          ctl.on_report(c.peer, *r);
    }
    s.commands += cmds.size();
    auto st
      = coordinator::json_api::get_operation(ctl, op_id).body.value("status", std::string());
    if (st != "InProgress") {
      s.status = st;
      break;
    }
    if (cmds.empty()) {  // the actor's periodic tick (arm_tick)
      auto delay = std::chrono::duration_cast<clock_type::duration>(20ms);
      if (auto d = ctl.upgrades().next_deadline())
        delay = std::max(clock_type::duration::zero(),
                         std::min(delay, *d - clock_type::now() + 1ms));
      std::this_thread::sleep_for(delay);
      ++s.sleeps;
    }
  }
  s.ms = ms_since(t0);
  return s;
}

} // namespace

int main(int argc, char** argv) {
  int instances = 10000, uds = 20, wait_ms = 1000;
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
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  bool own_dir = dir.empty();
  if (own_dir)
    dir = testing::temp_dir("fabric-walk");
  std::printf("upgrade_walk_bench: %d instances, %d UDs, 100 simulated nodes (immediate "
              "acks), journal in %s\n",
              instances, uds, dir.c_str());

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
  coordinator::controller ctl{port, &images, cfg};
  int nodes = 100;
  uint32_t capacity = static_cast<uint32_t>(instances * 2 / nodes + 1);
  for (int n = 0; n < nodes; ++n) {
    auto name = "n" + std::to_string(n);
    ctl.on_node_up({name, n % 10, static_cast<int>(capacity), "peer-" + name, 1, true}, {});
  }
  if (coordinator::json_api::create_service(ctl, R"({"name":"walk"})").status != 201)
    return 1;

  auto start = [&](const std::string& kind, const nlohmann::json& body) -> std::string {
    auto res
      = coordinator::json_api::start_operation(ctl, kind, {"walk", "production", body.dump()});
    if (res.status != 202) {
      std::fprintf(stderr, "%s refused: %s\n", kind.c_str(), res.body.dump().c_str());
      return {};
    }
    return res.body.value("operation_id", std::string());
  };

  auto t0 = clock_type::now();
  auto deploy_op = start("deploy", {{"csdef", fabric::bench::web_role_csdef("Walk", uds)},
                                    {"cscfg", fabric::bench::web_role_cscfg("Walk", instances)},
                                    {"image", "v1"},
                                    {"name", "walk"}});
  if (deploy_op.empty())
    return 1;
  auto deploy = run_until_done(ctl, deploy_op, t0);
  std::printf("deploy of %d instances: %.0f ms (%llu commands), %s\n", instances, deploy.ms,
              static_cast<unsigned long long>(deploy.commands), deploy.status.c_str());
  if (deploy.status != "Succeeded")
    return 1;

  auto walk = [&](const char* image, int wait) {
    auto passes0 = ctl.upgrades().passes();
    auto t = clock_type::now();
    auto op = start("upgrade", {{"image", image}, {"mode", "auto"}, {"domain_wait_ms", wait}});
    if (op.empty())
      return walk_stats{};
    auto s = run_until_done(ctl, op, t);
    std::printf("  upgrade to %s, per-UD wait %d ms: walk %.1f ms, %s; %llu upgrade commands, "
                "%llu planner passes, %llu ticks (%llu idle ticks)\n",
                image, wait, s.ms, s.status.c_str(),
                static_cast<unsigned long long>(s.commands),
                static_cast<unsigned long long>(ctl.upgrades().passes() - passes0),
                static_cast<unsigned long long>(s.ticks),
                static_cast<unsigned long long>(s.sleeps));
    return s;
  };

  std::printf("walk 1: Auto, no per-UD wait\n");
  auto w1 = walk("v2", 0);
  std::printf("  walk time %.1f ms; goal 2000 ms: walk/goal = %.2f (%s); %.1f ms per UD, "
              "%.1f us per instance\n",
              w1.ms, w1.ms / 2000.0, w1.ms <= 2000 && w1.status == "Succeeded" ? "met" : "NOT met",
              w1.ms / uds, w1.ms * 1000.0 / instances);

  std::printf("walk 2: Auto, per-UD wait W = %d ms\n", wait_ms);
  auto w2 = walk("v3", wait_ms);
  double bound = static_cast<double>(uds - 1) * wait_ms;
  std::printf("  walk time %.1f ms; lower bound (UDs-1)*W = %d*%d = %.0f ms: walk/bound = %.3f; "
              "goal <= 1.05 (%s); overhead over the bound %.1f ms\n",
              w2.ms, uds - 1, wait_ms, bound, w2.ms / bound,
              w2.ms <= 1.05 * bound && w2.status == "Succeeded" ? "met" : "NOT met",
              w2.ms - bound);

  if (own_dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return w1.status == "Succeeded" && w2.status == "Succeeded" ? 0 : 1;
}
