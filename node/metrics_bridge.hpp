#pragma once

// The node agent's metrics wiring (fabric-node --metrics-listen):
//
//   heartbeat RTT        node_actor_config::on_heartbeat_rtt (each acked
//                        heartbeat) -> node_metrics::record_heartbeat_rtt
//   wire messages        monitoring::counting_transport around the DEALER
//   frames dropped       monitoring::dropped_frames from the bridge's counters
//   disks                scan_disk_usage every refresh: OS layer bytes, local
//                        storage used and the sum of the quotas
//
// The refresher is a plain thread (the disk scan is blocking file I/O; it
// must not hold a CAF scheduler thread).
//
// Thread-safety: scan_disk_usage may run beside the instance actors (it only
// reads; a file removed while it is summed is skipped). node_metrics_refresher:
// start()/stop() from one thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "actors/bridge.hpp"
#include "monitoring/metrics.hpp"

namespace fabric::node {

struct disk_usage {
  std::uint64_t os_layer_bytes = 0;     ///< files in every <instance>/os/layer
  std::uint64_t local_used_bytes = 0;   ///< files in every <instance>/local/<resource>
  std::uint64_t local_quota_bytes = 0;  ///< sum of sizeInMB * 1 MiB of every resource
  std::size_t instances = 0;            ///< instances with a disks.meta
};

/// Sums the disks of every instance under `<data_dir>/instances`. Instances
/// whose metadata cannot be read (being created or destroyed) are skipped.
disk_usage scan_disk_usage(const std::filesystem::path& data_dir);

/// Every `every`: the disk usage into `metrics`, and the bridge's dropped
/// frames (from `counters`).
class node_metrics_refresher {
public:
  /// REQUIRES: `metrics` outlives the refresher; `counters` callable from
  /// the refresher's thread.
  node_metrics_refresher(monitoring::node_metrics& metrics, std::filesystem::path data_dir,
                         std::function<actors::bridge_counters()> counters,
                         std::chrono::milliseconds every);
  ~node_metrics_refresher();
  node_metrics_refresher(const node_metrics_refresher&) = delete;
  node_metrics_refresher& operator=(const node_metrics_refresher&) = delete;

  /// One refresh now, on the caller's thread (also what the thread does).
  void refresh_once();
  void start();
  /// Stops and joins (idempotent).
  void stop();

private:
  monitoring::node_metrics& metrics_;
  std::filesystem::path data_dir_;
  std::function<actors::bridge_counters()> counters_;
  std::chrono::milliseconds every_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  struct dropped_state;
  std::unique_ptr<dropped_state> dropped_;
};

} // namespace fabric::node
