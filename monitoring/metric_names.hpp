#pragma once

// Every metric name and label name fabric exports, in one place.
//
// Prometheus conventions: the `fabric_` prefix, base units in the name
// (`_seconds`, `_bytes`), `_total` on counters, `_ratio` on 0..1 values.
// Histograms add `_bucket`, `_sum` and `_count` to their name on the wire.
//
// Cardinality rule (docs/architecture.md): series are aggregated per
// deployment (service, slot), role, upgrade domain, fault domain, node, state
// and version; never one series per instance.
//
// The dashboards (monitoring/grafana/dashboards/*.json) and the alert rules
// (monitoring/alerts.yml) may only use names from this header; the test
// `monitoring_names_in_dashboards` checks it by reading this file, so keep
// every name a plain string literal here.
//
// Thread-safety: constants only.

#include <cstddef>

namespace fabric::monitoring {

namespace names {

// -- deployment model (coordinator; computed by aggregate(), aggregation.hpp) --

/// gauge {service,slot,role,upgrade_domain,fault_domain,state}: instances in that state.
constexpr const char* instances = "fabric_instances";
/// gauge {service,slot,role}: instances the configuration asks for.
constexpr const char* role_instances_desired = "fabric_role_instances_desired";
/// gauge {service,slot,role}: instances in ReadyRole.
constexpr const char* role_instances_ready = "fabric_role_instances_ready";
/// gauge {service,slot,role}: ready / desired.
constexpr const char* role_capacity_ratio = "fabric_role_capacity_ratio";
/// gauge {service,slot,role,upgrade_domain}: ready / assigned in that UD.
constexpr const char* upgrade_domain_capacity_ratio = "fabric_upgrade_domain_capacity_ratio";
/// gauge {service,slot,role,fault_domain}: ready / assigned in that FD.
constexpr const char* fault_domain_capacity_ratio = "fabric_fault_domain_capacity_ratio";
/// gauge {service,slot,role}: lowest role_capacity_ratio seen since the walk began.
constexpr const char* walk_min_capacity_ratio = "fabric_walk_min_capacity_ratio";
/// gauge {service,slot,role}: distinct versions among the serving (ReadyRole) instances.
constexpr const char* role_versions_serving = "fabric_role_versions_serving";
/// gauge {service,slot,role,version}: instances running that version (any state).
constexpr const char* role_version_instances = "fabric_role_version_instances";

// -- upgrade in flight (coordinator; one deployment = one set) --

/// gauge {service,slot,mode}: 1 for the mode of the upgrade in flight, else 0.
constexpr const char* upgrade_in_progress = "fabric_upgrade_in_progress";
/// gauge {service,slot}: the current upgrade domain (only while upgrading).
constexpr const char* upgrade_current_domain = "fabric_upgrade_current_domain";
/// gauge {service,slot}: 1 while the current UD is During its update (not walked yet), else 0.
constexpr const char* upgrade_domain_during = "fabric_upgrade_domain_during";
/// gauge {service,slot}: upgrade domains walked so far.
constexpr const char* upgrade_domains_walked = "fabric_upgrade_domains_walked";
/// gauge {service,slot}: upgrade domains in the walk order.
constexpr const char* upgrade_walk_domains = "fabric_upgrade_walk_domains";
/// gauge {service,slot,upgrade_domain}: 1 once that UD has been walked.
constexpr const char* upgrade_domain_walked = "fabric_upgrade_domain_walked";
/// gauge {service,slot,role,upgrade_domain}: share of the UD's instances on the target version.
constexpr const char* upgrade_domain_updated_ratio = "fabric_upgrade_domain_updated_ratio";
/// histogram {mode}: duration of completed walks.
constexpr const char* upgrade_walk_duration_seconds = "fabric_upgrade_walk_duration_seconds";

// -- operations (coordinator) --

/// counter {kind,result}: operations finished.
constexpr const char* operations_total = "fabric_operations_total";
/// histogram {kind}: operation duration from accepted to finished.
constexpr const char* operation_duration_seconds = "fabric_operation_duration_seconds";

// -- membership and failure detection --

/// gauge {fault_domain,state}: nodes up / suspect / down.
constexpr const char* nodes = "fabric_nodes";
/// histogram {fault_domain}: heartbeat round trip time.
constexpr const char* heartbeat_rtt_seconds = "fabric_heartbeat_rtt_seconds";
/// counter {fault_domain}: heartbeats expected and not received in time.
constexpr const char* heartbeats_missed_total = "fabric_heartbeats_missed_total";
/// counter {fault_domain}: nodes declared down.
constexpr const char* node_down_detections_total = "fabric_node_down_detections_total";
/// histogram {fault_domain}: last heartbeat to the node-down decision.
constexpr const char* node_down_detection_seconds = "fabric_node_down_detection_seconds";
/// counter {fault_domain}: instances moved off a lost node (the FD they left).
constexpr const char* instance_replacements_total = "fabric_instance_replacements_total";

// -- wire (both processes) --

/// counter {direction,type}: protocol messages received ("in") and sent ("out").
constexpr const char* wire_messages_total = "fabric_wire_messages_total";
/// counter {reason}: frames dropped before reaching an actor.
constexpr const char* wire_frames_dropped_total = "fabric_wire_frames_dropped_total";

// -- disks (node) and journal (coordinator) --

/// gauge {node,fault_domain}: bytes in the instances' OS differencing layers.
constexpr const char* node_os_layer_bytes = "fabric_node_os_layer_bytes";
/// gauge {node,fault_domain}: bytes used in local storage resources.
constexpr const char* node_local_storage_used_bytes = "fabric_node_local_storage_used_bytes";
/// gauge {node,fault_domain}: sum of the local storage quotas.
constexpr const char* node_local_storage_quota_bytes = "fabric_node_local_storage_quota_bytes";
/// counter {result}: journal writes ("ok" / "error").
constexpr const char* journal_writes_total = "fabric_journal_writes_total";
/// histogram: journal write latency (write + sync).
constexpr const char* journal_write_duration_seconds = "fabric_journal_write_duration_seconds";

// -- per instance (coordinator; only with --per-instance-metrics) --

/// gauge {service,slot,role,role_instance,upgrade_domain,fault_domain,node,state}: 1 for
/// each instance, in its current state. Opt-in: one series per instance (10,000 instances =
/// 10,000 series). The instance label is `role_instance`, because Prometheus reserves
/// `instance` for the scrape target.
constexpr const char* role_instance_state = "fabric_role_instance_state";

// -- process --

/// gauge {component,version}: always 1; which build a process runs.
constexpr const char* build_info = "fabric_build_info";

} // namespace names

namespace labels {
constexpr const char* service = "service";
constexpr const char* slot = "slot";
constexpr const char* role = "role";
constexpr const char* upgrade_domain = "upgrade_domain";
constexpr const char* fault_domain = "fault_domain";
constexpr const char* state = "state";
constexpr const char* version = "version";
constexpr const char* mode = "mode";
constexpr const char* kind = "kind";
constexpr const char* result = "result";
constexpr const char* direction = "direction";
constexpr const char* type = "type";
constexpr const char* reason = "reason";
constexpr const char* node = "node";
constexpr const char* component = "component";
constexpr const char* role_instance = "role_instance";
} // namespace labels

enum class metric_type { counter, gauge, histogram };

/// One row of the catalogue: what the README table lists.
struct metric_info {
  const char* name;
  metric_type type;
  const char* help;
};

/// Every metric above, with its type and help text (the sink registers exactly these).
inline constexpr metric_info catalogue[] = {
  {names::instances, metric_type::gauge, "Role instances by service, slot, role, UD, FD and state."},
  {names::role_instances_desired, metric_type::gauge, "Instances the configuration asks for, per role."},
  {names::role_instances_ready, metric_type::gauge, "Instances in ReadyRole, per role."},
  {names::role_capacity_ratio, metric_type::gauge, "Ready instances over desired instances, per role."},
  {names::upgrade_domain_capacity_ratio, metric_type::gauge,
   "Ready instances over instances assigned, per role and upgrade domain."},
  {names::fault_domain_capacity_ratio, metric_type::gauge,
   "Ready instances over instances assigned, per role and fault domain."},
  {names::walk_min_capacity_ratio, metric_type::gauge,
   "Lowest role capacity ratio seen since the upgrade walk in flight began."},
  {names::role_versions_serving, metric_type::gauge,
   "Distinct versions among the serving instances of a role."},
  {names::role_version_instances, metric_type::gauge, "Instances of a role running a version."},
  {names::upgrade_in_progress, metric_type::gauge,
   "1 for the mode of the upgrade in flight on a deployment, else 0."},
  {names::upgrade_current_domain, metric_type::gauge, "The current upgrade domain of the upgrade in flight."},
  {names::upgrade_domain_during, metric_type::gauge,
   "1 while the current upgrade domain is During its update (not walked yet), else 0."},
  {names::upgrade_domains_walked, metric_type::gauge, "Upgrade domains walked by the upgrade in flight."},
  {names::upgrade_walk_domains, metric_type::gauge, "Upgrade domains in the walk order of the upgrade in flight."},
  {names::upgrade_domain_walked, metric_type::gauge, "1 once an upgrade domain has been walked, else 0."},
  {names::upgrade_domain_updated_ratio, metric_type::gauge,
   "Share of an upgrade domain's instances that run the target version."},
  {names::upgrade_walk_duration_seconds, metric_type::histogram, "Duration of completed upgrade walks."},
  {names::operations_total, metric_type::counter, "Operations finished, by kind and result."},
  {names::operation_duration_seconds, metric_type::histogram, "Operation duration, accepted to finished."},
  {names::nodes, metric_type::gauge, "Nodes by fault domain and membership state."},
  {names::heartbeat_rtt_seconds, metric_type::histogram, "Heartbeat round trip time."},
  {names::heartbeats_missed_total, metric_type::counter, "Heartbeats expected and not received in time."},
  {names::node_down_detections_total, metric_type::counter, "Nodes declared down."},
  {names::node_down_detection_seconds, metric_type::histogram,
   "Time from a node's last heartbeat to the node-down decision."},
  {names::instance_replacements_total, metric_type::counter,
   "Instances placed again after their node was lost, by the fault domain they left."},
  {names::wire_messages_total, metric_type::counter, "Protocol messages by direction and type."},
  {names::wire_frames_dropped_total, metric_type::counter, "Frames dropped before reaching an actor, by reason."},
  {names::node_os_layer_bytes, metric_type::gauge, "Bytes in the OS differencing layers of a node."},
  {names::node_local_storage_used_bytes, metric_type::gauge, "Bytes used in local storage on a node."},
  {names::node_local_storage_quota_bytes, metric_type::gauge, "Sum of the local storage quotas on a node."},
  {names::journal_writes_total, metric_type::counter, "Journal writes by result."},
  {names::journal_write_duration_seconds, metric_type::histogram, "Journal write latency."},
  {names::role_instance_state, metric_type::gauge,
   "1 per role instance in its current state (only with --per-instance-metrics)."},
  {names::build_info, metric_type::gauge, "Always 1; the component and version of this process."},
};

inline constexpr std::size_t catalogue_size = sizeof(catalogue) / sizeof(catalogue[0]);

} // namespace fabric::monitoring
