#pragma once

// The coordinator's metrics wiring (fabric-coordinator --metrics-listen):
// where each family of monitoring/metric_names.hpp gets its numbers.
//
//   model families (instances, capacity, versions, upgrade progress, walk
//   minimum)            model_exporter::refresh, on the controller actor every
//                       refresh interval (default 250 ms): the model merged
//                       with the observed states, monitoring::aggregate,
//                       coordinator_metrics::set_gauges (update_walk_minimum)
//   Event series (counters, histograms) are created at 0 before their first
//   event (operation kinds at the first refresh, per-FD membership series
//   when the FD's first node registers, walk modes and journal at start-up):
//   rate() and increase() only see an increment that follows a sample.
//   operations, walks   the same refresh: operations first seen finished
//                       (duration = finished_at - started_at); a walk ends
//                       when the deployment's upgrade disappears
//   re-placements       the same refresh: instances whose node changed away
//                       from a node that is down, by the FD they left
//   per instance        the same refresh, only with --per-instance-metrics
//   nodes, missed heartbeats, node-down detections and latency
//                       membership_metrics (a membership_observer), after
//                       each failure-detector check
//   journal writes      observe_journal (the journal's latency observer)
//   wire messages       monitoring::counting_transport (wire_transport.hpp)
//   frames dropped      monitoring::dropped_frames (wire_transport.hpp) from
//                       the bridge's counters, every refresh
//   heartbeat RTT       measured by the nodes (node/metrics_bridge.hpp)
//
// Cost: the refresh reuses a copy of each deployment while the model
// revision does not change, and overlays the observed states through a hash
// index (no allocation per instance); see bench/metrics_overhead_bench.cpp.
//
// Thread-safety: model_exporter runs on the controller actor only;
// membership_metrics on the membership actor only. The metrics handles they write to are thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/bridge.hpp"
#include "coordinator/controller.hpp"
#include "coordinator/membership_actor.hpp"
#include "monitoring/metrics.hpp"

namespace fabric::journal {
class journal;
} // namespace fabric::journal

namespace fabric::coordinator {

/// Reads the controller and updates the model, operation, walk, re-placement
/// and (optionally) per-instance families.
class model_exporter {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// `per_instance` may be null (the default: no per-instance series).
  /// REQUIRES: the handles outlive the exporter.
  model_exporter(monitoring::coordinator_metrics& metrics,
                 monitoring::per_instance_metrics* per_instance = nullptr);

  /// The gauge rows of the controller's model with every instance's state
  /// (and version, when reported) taken from the observed states;
  /// RoleStateUnknown where no node reported.
  monitoring::model_gauges gauges(const controller& c);

  /// gauges(), then every family this exporter feeds. `now` is the time of
  /// the refresh (walk durations; operations without a finish stamp).
  void refresh(const controller& c, time_point now);

private:
  struct cached {
    std::string service;
    model::deployment d;                 ///< states/versions overlaid each refresh
    std::vector<std::string> versions;   ///< the model's version per instance
    std::unordered_map<std::string_view, std::size_t> index;  ///< instance name -> position
  };
  void rebuild(const controller& c);
  void overlay(const controller& c);
  void count_replacements(const controller& c);
  void count_operations(const controller& c, time_point now);
  void count_walks(const monitoring::model_gauges& g, time_point now);

  monitoring::coordinator_metrics& metrics_;
  monitoring::per_instance_metrics* per_instance_;
  long long revision_ = -1;
  std::vector<std::unique_ptr<cached>> cache_;
  /// wire name -> (node, fault domain) at the last model revision seen.
  std::unordered_map<std::string, std::pair<std::string, int>> placed_;
  std::set<std::string> reported_ops_;
  std::size_t declared_kinds_ = 0;  ///< operation kinds whose series exist
  /// (service, slot) -> (mode, first seen) of each walk in flight.
  std::map<std::pair<std::string, std::string>, std::pair<std::string, time_point>> walks_;
};

/// fabric_nodes, fabric_heartbeats_missed_total, fabric_node_down_detections_total
/// and fabric_node_down_detection_seconds from the membership table.
///
/// - nodes: every known node counted by fault domain and state: "down"
///   (declared down), "suspect" (up, but at least one heartbeat interval
///   overdue), "up"; every (known FD, state) pair has a series (0 included).
/// - missed heartbeats: for an up node, floor(silence / interval) - 1
///   heartbeats are missed (one interval of jitter tolerated); each counted
///   once per silence.
/// - detections: one per node declared down, latency = its silence at the
///   decision.
class membership_metrics : public membership_observer {
public:
  explicit membership_metrics(monitoring::coordinator_metrics& metrics) : metrics_(metrics) {}
  void checked(const membership& table, const std::vector<std::string>& declared_down,
               steady_time now) override;

private:
  struct silence {
    steady_time last_heard{};
    int64_t counted = 0;
  };
  monitoring::coordinator_metrics& metrics_;
  std::map<std::string, silence> missed_;
  std::set<int> declared_fds_;  ///< fault domains whose event series exist
};

/// Counts every journal append and snapshot in fabric_journal_writes_total
/// (ok / error) and fabric_journal_write_duration_seconds.
/// REQUIRES: not called while the journal is in use by another thread.
void observe_journal(journal::journal& j, monitoring::coordinator_metrics& metrics);

/// Spawn with `sys.spawn(metrics_refresher, controller_actor, exporter, on_tick, every)`:
/// every `every` runs exporter->refresh on the controller actor (through an
/// api_call; a refresh is not sent while the previous one is unanswered) and
/// calls `on_tick` (e.g. monitoring::dropped_frames::update) on this actor.
caf::behavior metrics_refresher(caf::event_based_actor* self, caf::actor controller_actor,
                                std::shared_ptr<model_exporter> exporter,
                                std::function<void()> on_tick, std::chrono::milliseconds every);

} // namespace fabric::coordinator
