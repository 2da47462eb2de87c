#pragma once

// The prometheus-cpp sink: one registry per process, an optional HTTP
// exposer (/metrics), and typed handles for the coordinator's and the node
// agent's metric families (names in metric_names.hpp).
//
// Usage (coordinator):
//   fabric::monitoring::metrics_sink sink;
//   fabric::monitoring::coordinator_metrics m{sink, "0.1.0"};
//   if (auto port = sink.serve("0.0.0.0:9400"); !port) log(port.err().to_string());
//   m.export_model(model);                      // after each applied edit
//   m.operation_finished("upgrade", "succeeded", 42.0);
//
// Thread-safety: every method of metrics_sink, coordinator_metrics,
// node_metrics and wire_metrics may be called from any thread (counters and
// histograms are atomic in prometheus-cpp; the replacing setters take a
// mutex). The handles keep references into the sink's registry: the sink
// must outlive them.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/deployment.hpp"
#include "model/result.hpp"
#include "monitoring/aggregation.hpp"

namespace prometheus {
class Registry;
} // namespace prometheus

namespace fabric::monitoring {

/// Histogram bucket boundaries (seconds).
namespace buckets {
inline const std::vector<double> heartbeat_rtt = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
inline const std::vector<double> operation = {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
inline const std::vector<double> walk = {10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400};
inline const std::vector<double> detection = {0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 60};
inline const std::vector<double> journal = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                            0.01,   0.025,   0.05,   0.1,   0.25,   1.0};
} // namespace buckets

/// Owns the registry and, once serve() succeeded, the HTTP exposer.
class metrics_sink {
public:
  metrics_sink();
  ~metrics_sink();
  metrics_sink(const metrics_sink&) = delete;
  metrics_sink& operator=(const metrics_sink&) = delete;

  prometheus::Registry& registry();

  /// Serves GET /metrics on `bind_address` ("host:port", "port", or
  /// "host:0" for any free port). Returns the bound port.
  /// Errors: already serving; the address cannot be bound (port in use,
  /// bad host), with the address and the server's reason in the message.
  result<int> serve(const std::string& bind_address);

  /// The bound port once serve() succeeded.
  std::optional<int> port() const;

  /// The registry in the Prometheus text exposition format (what /metrics answers).
  std::string text() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

enum class wire_direction { in, out };

/// "in" / "out".
const char* to_string(wire_direction d);

/// fabric_wire_messages_total and fabric_wire_frames_dropped_total.
class wire_metrics {
public:
  explicit wire_metrics(metrics_sink& sink);
  ~wire_metrics();

  /// REQUIRES: `type` is a message type name (bounded set), not free text.
  void message(wire_direction d, const std::string& type);
  /// REQUIRES: `reason` is one of a bounded set ("truncated", "bad_envelope", ...).
  void frame_dropped(const std::string& reason);
  /// Adds `count` drops (0 creates the series at 0, so rate() works from the start).
  void frames_dropped(const std::string& reason, std::uint64_t count);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// fabric_nodes{fault_domain,state} = count.
struct node_count_row {
  int fault_domain = 0;
  std::string state; ///< "up", "suspect", "down"
  int count = 0;
};

/// The coordinator's families: model gauges, upgrades, operations,
/// membership, journal, wire.
class coordinator_metrics {
public:
  /// Registers the families in `sink`'s registry, sets
  /// fabric_build_info{component="coordinator",version=`version`} to 1, and
  /// creates at 0 the event series whose labels are known now: the walk
  /// duration of each mode, journal writes (ok, error) and their latency.
  coordinator_metrics(metrics_sink& sink, const std::string& version);
  ~coordinator_metrics();

  /// aggregate(m), then set_gauges() with it.
  void export_model(const model::fabric_model& m);

  /// Replaces every model gauge family (instances, capacity, versions,
  /// upgrade progress) with `g`, and folds the role ratios into
  /// fabric_walk_min_capacity_ratio (update_walk_minimum). Series whose
  /// labels are not in `g` any more are removed.
  void set_gauges(const model_gauges& g);

  /// Replaces the set of fabric_instances series with `rows`.
  void set_instance_counts(const std::vector<instance_count_row>& rows);

  /// Replaces the set of fabric_nodes series with `rows`.
  void set_node_counts(const std::vector<node_count_row>& rows);

  /// Creates the series of operations of each kind at 0:
  /// fabric_operations_total{kind, result="succeeded"|"failed"} and
  /// fabric_operation_duration_seconds{kind}. A counter or histogram series
  /// that appears with its first event hides that event from rate() and
  /// increase() (they need a sample before it), so every series a first
  /// event would create is created up front. Idempotent.
  void declare_operation_kinds(const std::vector<std::string>& kinds);
  /// Creates the per-fault-domain membership series at 0 (missed heartbeats,
  /// node-down detections and their latency, re-placements). Call it when a
  /// fault domain becomes known (its first node registers). Idempotent.
  void declare_fault_domain(int fault_domain);

  void record_heartbeat_rtt(int fault_domain, double seconds);
  void heartbeat_missed(int fault_domain);
  /// Counts a node-down decision and observes its latency (last heartbeat to decision).
  void node_down_detected(int fault_domain, double latency_seconds);
  /// One instance placed again after its node in `fault_domain` was lost.
  void instance_replaced(int fault_domain);

  /// REQUIRES: `kind` and `result` from bounded sets ("upgrade", "swap", ...;
  /// "succeeded", "failed", "cancelled").
  void operation_finished(const std::string& kind, const std::string& result, double seconds);
  /// A walk completed; `mode` is "Auto", "Manual" or "Simultaneous".
  void walk_finished(const std::string& mode, double seconds);
  void journal_write(bool ok, double seconds);

  void wire_message(wire_direction d, const std::string& type);
  void frame_dropped(const std::string& reason);
  void frames_dropped(const std::string& reason, std::uint64_t count);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// fabric_role_instance_state{service,slot,role,role_instance,upgrade_domain,
/// fault_domain,node,state} = 1.
struct instance_state_row {
  std::string service;
  std::string slot;
  std::string role;
  std::string instance; ///< the model name, e.g. "Web_IN_0"
  int upgrade_domain = 0;
  int fault_domain = 0;
  std::string node;
  std::string state;
};

/// The opt-in per-instance family (`--per-instance-metrics`): one series per
/// instance. Only construct it when asked for: without it no series names an
/// instance.
class per_instance_metrics {
public:
  explicit per_instance_metrics(metrics_sink& sink);
  ~per_instance_metrics();

  /// Replaces the set of series with `rows` (removed instances disappear).
  void set_instances(const std::vector<instance_state_row>& rows);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The node agent's families: heartbeat RTT, disks, wire.
class node_metrics {
public:
  /// Registers the families and sets
  /// fabric_build_info{component="node",version=`version`} to 1.
  node_metrics(metrics_sink& sink, const std::string& node, int fault_domain,
               const std::string& version);
  ~node_metrics();

  void record_heartbeat_rtt(double seconds);
  void set_disk_usage(std::int64_t os_layer_bytes, std::int64_t local_storage_used_bytes,
                      std::int64_t local_storage_quota_bytes);

  void wire_message(wire_direction d, const std::string& type);
  void frame_dropped(const std::string& reason);
  void frames_dropped(const std::string& reason, std::uint64_t count);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace fabric::monitoring
