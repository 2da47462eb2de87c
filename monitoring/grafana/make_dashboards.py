#!/usr/bin/env python3
"""Writes the Grafana dashboards of monitoring/grafana/dashboards/*.json.

The JSON files are committed; edit this script and run it again
(python3 monitoring/grafana/make_dashboards.py) rather than editing the JSON
by hand, so that the four dashboards stay consistent. Every expression must
use metric names from monitoring/metric_names.hpp only (checked by the ctest
`monitoring_names_in_dashboards`).
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "dashboards")

DS = {"type": "prometheus", "uid": "${datasource}"}

# Label selectors driven by the dashboard variables.
DEP = 'service=~"$service",slot=~"$slot"'
ROLE = DEP + ',role=~"$role"'


class Layout:
    """Places panels left to right, wrapping at 24 columns."""

    def __init__(self):
        self.x = 0
        self.y = 0
        self.row_h = 0
        self.next_id = 1

    def place(self, panel, w, h):
        if self.x + w > 24:
            self.x = 0
            self.y += self.row_h
            self.row_h = 0
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        panel["id"] = self.next_id
        self.next_id += 1
        self.x += w
        self.row_h = max(self.row_h, h)
        return panel


def target(expr, legend="", ref="A", instant=False, fmt="time_series"):
    t = {"datasource": DS, "expr": expr, "refId": ref, "legendFormat": legend or "__auto"}
    if instant:
        t["instant"] = True
        t["range"] = False
    if fmt != "time_series":
        t["format"] = fmt
    return t


def targets(*pairs, **kw):
    refs = "ABCDEFGH"
    return [target(expr, legend, refs[i], **kw) for i, (expr, legend) in enumerate(pairs)]


def panel(kind, title, tgts, description="", unit=None, minv=None, maxv=None, extra=None,
          overrides=None, options=None):
    defaults = {}
    if unit:
        defaults["unit"] = unit
    if minv is not None:
        defaults["min"] = minv
    if maxv is not None:
        defaults["max"] = maxv
    p = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "targets": tgts,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": options or {},
    }
    if extra:
        p.update(extra)
    return p


def timeseries(title, tgts, stack=False, step=False, **kw):
    p = panel("timeseries", title, tgts, **kw)
    custom = {"lineInterpolation": "stepAfter" if step else "linear", "fillOpacity": 10}
    if stack:
        custom["stacking"] = {"mode": "normal", "group": "A"}
        custom["fillOpacity"] = 40
    p["fieldConfig"]["defaults"]["custom"] = custom
    p["options"] = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "min"]},
                    "tooltip": {"mode": "multi", "sort": "desc"}}
    return p


def stat(title, tgts, mappings=None, **kw):
    p = panel("stat", title, tgts, **kw)
    p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "value", "graphMode": "none", "textMode": "value_and_name"}
    if mappings:
        p["fieldConfig"]["defaults"]["mappings"] = mappings
    return p


def bargauge(title, tgts, **kw):
    p = panel("bargauge", title, tgts, **kw)
    p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "orientation": "horizontal", "displayMode": "gradient"}
    return p


def grid_table(title, expr, description):
    """An instant query by (upgrade_domain, fault_domain) shown as a UD x FD matrix."""
    p = panel("table", title, [target(expr, "", instant=True, fmt="table")], description=description)
    p["transformations"] = [
        {"id": "groupingToMatrix",
         "options": {"rowField": "upgrade_domain", "columnField": "fault_domain", "valueField": "Value"}},
    ]
    p["fieldConfig"]["defaults"]["custom"] = {"align": "center", "displayMode": "color-background"}
    p["fieldConfig"]["defaults"]["thresholds"] = {
        "mode": "absolute", "steps": [{"color": "red", "value": None}, {"color": "green", "value": 1}]}
    return p


def variable(name, query, label, multi=True):
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DS,
        "query": {"query": query, "refId": name},
        "definition": query,
        "refresh": 2,
        "includeAll": True,
        "multi": multi,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
    }


def datasource_variable():
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {"selected": False, "text": "Prometheus", "value": "fabric-prometheus"}}


def deployment_variables(with_role=True):
    vs = [datasource_variable(),
          variable("service", "label_values(fabric_role_capacity_ratio, service)", "Service"),
          variable("slot", 'label_values(fabric_role_capacity_ratio{service=~"$service"}, slot)', "Slot")]
    if with_role:
        vs.append(variable("role", 'label_values(fabric_role_capacity_ratio{service=~"$service",slot=~"$slot"}, role)',
                           "Role"))
    return vs


def ud_annotations():
    """Marks each UD step of a walk on every time series panel."""
    return [
        {"name": "UD walked", "datasource": DS, "enable": True, "iconColor": "blue",
         "expr": "changes(fabric_upgrade_domains_walked{" + DEP + "}[1m]) > 0",
         "step": "15s", "titleFormat": "UD walked",
         "textFormat": "{{service}}/{{slot}}: upgrade domain walked", "tagKeys": "service,slot"},
        {"name": "UD starts (During)", "datasource": DS, "enable": True, "iconColor": "orange",
         # A UD starts when the current UD changes (Auto: the next UD is
         # During at once), when During turns on (Manual: the operator walks
         # it), or with the walk itself (the series is new: no sample a minute
         # ago). Before lasts one engine tick in Auto mode, so During alone
         # (changes(during) > 0) never marks an Auto walk.
         "expr": "fabric_upgrade_domain_during{" + DEP + "} == 1 and on (service, slot) ("
                 "changes(fabric_upgrade_current_domain{" + DEP + "}[1m]) > 0"
                 " or changes(fabric_upgrade_domain_during{" + DEP + "}[1m]) > 0"
                 " or (fabric_upgrade_domain_during{" + DEP + "} unless fabric_upgrade_domain_during{" + DEP + "} offset 1m))",
         "step": "15s", "titleFormat": "UD During",
         "textFormat": "{{service}}/{{slot}}: current upgrade domain is being upgraded", "tagKeys": "service,slot"},
    ]


def dashboard(uid, title, description, panels, variables, annotations=(), tags=("fabric",)):
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": list(tags),
        "timezone": "browser",
        "schemaVersion": 38,
        "version": 1,
        "editable": True,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": variables},
        "annotations": {"list": [
            {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
             "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
             "type": "dashboard"}] + list(annotations)},
        "links": [{"type": "dashboards", "tags": ["fabric"], "asDropdown": True, "title": "fabric"}],
        "panels": panels,
    }


PERCENT = dict(unit="percentunit", minv=0, maxv=1)


def overview():
    L = Layout()
    ps = []
    ps.append(L.place(timeseries(
        "Role capacity (ready / desired) with the current UD",
        [target("fabric_role_capacity_ratio{" + ROLE + "}", "{{service}}/{{slot}} {{role}}", "A"),
         target("fabric_walk_min_capacity_ratio{" + ROLE + "}", "walk minimum {{role}}", "B"),
         target("fabric_upgrade_current_domain{" + DEP + "}", "current UD {{service}}/{{slot}}", "C")],
        step=True,
        description="Capacity of each role over time. The step series on the right axis is the current "
                    "upgrade domain of a walk in flight; annotations mark each UD walked and each UD start.",
        overrides=[{"matcher": {"id": "byFrameRefID", "options": "C"},
                    "properties": [{"id": "custom.axisPlacement", "value": "right"},
                                   {"id": "unit", "value": "none"}, {"id": "min", "value": 0},
                                   {"id": "max", "value": 20}, {"id": "decimals", "value": 0},
                                   {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}}]}],
        **PERCENT), 16, 9))
    ps.append(L.place(stat(
        "Nodes", targets(('sum by (state) (fabric_nodes)', "{{state}}"), instant=True),
        description="Nodes by membership state, all fault domains."), 8, 9))
    ps.append(L.place(timeseries(
        "Versions serving at once (mixed-version window when > 1)",
        [target("fabric_role_versions_serving{" + ROLE + "}", "{{service}}/{{slot}} {{role}}")],
        step=True, description="Distinct versions among ReadyRole instances of each role.", minv=0), 12, 8))
    ps.append(L.place(timeseries(
        "Instances per version",
        [target("sum by (role, version) (fabric_role_version_instances{" + ROLE + "})", "{{role}} {{version}}")],
        stack=True, description="Instances of each role by the version they run, any state.", minv=0), 12, 8))
    ps.append(L.place(grid_table(
        "Ready instances: UD (rows) x FD (columns)",
        'sum by (upgrade_domain, fault_domain) (fabric_instances{' + ROLE + ',state="ReadyRole"})',
        "Instances in ReadyRole per upgrade domain and fault domain."), 8, 8))
    ps.append(L.place(grid_table(
        "Not ready instances: UD (rows) x FD (columns)",
        'sum by (upgrade_domain, fault_domain) (fabric_instances{' + ROLE + ',state!="ReadyRole"})',
        "Instances in any state but ReadyRole per upgrade domain and fault domain."), 8, 8))
    ps.append(L.place(panel(
        "table", "Instances by state",
        [target("sum by (role, state) (fabric_instances{" + ROLE + "})", "", instant=True, fmt="table")],
        description="Instance count per role and state, now."), 8, 8))
    ps.append(L.place(timeseries(
        "Capacity per upgrade domain",
        [target("min by (upgrade_domain) (fabric_upgrade_domain_capacity_ratio{" + ROLE + "})", "UD {{upgrade_domain}}")],
        step=True, description="Lowest ready/assigned ratio over the selected roles, per UD.", **PERCENT), 12, 8))
    ps.append(L.place(timeseries(
        "Capacity per fault domain",
        [target("min by (fault_domain) (fabric_fault_domain_capacity_ratio{" + ROLE + "})", "FD {{fault_domain}}")],
        step=True, description="Lowest ready/assigned ratio over the selected roles, per FD.", **PERCENT), 12, 8))
    return dashboard("fabric-overview", "fabric / Overview",
                     "Capacity, mixed versions and the instance grid of the selected deployments.",
                     ps, deployment_variables(), ud_annotations())


def upgrades():
    L = Layout()
    ps = []
    ps.append(L.place(stat(
        "Upgrade in flight", targets(("fabric_upgrade_in_progress{" + DEP + "} == 1", "{{service}}/{{slot}} {{mode}}"),
                                     instant=True),
        description="Deployments with an upgrade in flight, and its mode."), 6, 5))
    ps.append(L.place(stat(
        "Current UD", targets(("fabric_upgrade_current_domain{" + DEP + "}", "{{service}}/{{slot}}"), instant=True),
        description="The upgrade domain the walk is at."), 6, 5))
    ps.append(L.place(stat(
        "Before / During", targets(("fabric_upgrade_domain_during{" + DEP + "}", "{{service}}/{{slot}}"),
                                   instant=True),
        mappings=[{"type": "value", "options": {"0": {"text": "Before", "color": "blue"},
                                                "1": {"text": "During", "color": "orange"}}}],
        description="Whether the current UD waits to start (Before) or is being upgraded (During)."), 6, 5))
    ps.append(L.place(stat(
        "UDs walked", targets(("fabric_upgrade_domains_walked{" + DEP + "} / fabric_upgrade_walk_domains{" + DEP + "}",
                               "{{service}}/{{slot}}"), instant=True),
        description="Share of the walk order done.", **PERCENT), 6, 5))
    ps.append(L.place(bargauge(
        "Per-UD progress (instances on the target version)",
        targets(("avg by (upgrade_domain) (fabric_upgrade_domain_updated_ratio{" + ROLE + "})", "UD {{upgrade_domain}}"),
                instant=True),
        description="For each UD, the share of its instances that run the upgrade's target version.",
        **PERCENT), 8, 9))
    ps.append(L.place(bargauge(
        "UDs walked (1 = done)",
        targets(("max by (upgrade_domain) (fabric_upgrade_domain_walked{" + DEP + "})", "UD {{upgrade_domain}}"),
                instant=True),
        description="Each UD of the walk order: walked (1) or not yet (0).", minv=0, maxv=1), 8, 9))
    ps.append(L.place(bargauge(
        "Per-UD capacity now",
        targets(("min by (upgrade_domain) (fabric_upgrade_domain_capacity_ratio{" + ROLE + "})", "UD {{upgrade_domain}}"),
                instant=True),
        description="Lowest ready/assigned ratio over the selected roles, per UD.", **PERCENT), 8, 9))
    ps.append(L.place(timeseries(
        "Per-UD progress over time",
        [target("avg by (upgrade_domain) (fabric_upgrade_domain_updated_ratio{" + ROLE + "})", "UD {{upgrade_domain}}")],
        step=True, description="Share of each UD's instances on the target version, over time.", **PERCENT), 12, 8))
    ps.append(L.place(timeseries(
        "Role capacity and the minimum of the walk",
        [target("fabric_role_capacity_ratio{" + ROLE + "}", "{{role}} now", "A"),
         target("fabric_walk_min_capacity_ratio{" + ROLE + "}", "{{role}} walk minimum", "B")],
        step=True, description="Capacity of each role and the lowest value it reached since the walk began.",
        **PERCENT), 12, 8))
    ps.append(L.place(timeseries(
        "Versions serving at once",
        [target("fabric_role_versions_serving{" + ROLE + "}", "{{role}}")], step=True,
        description="More than one: the mixed-version window of a rolling upgrade.", minv=0), 12, 8))
    ps.append(L.place(timeseries(
        "Walk duration (completed walks)",
        [target("histogram_quantile(0.5, sum by (le, mode) (rate(fabric_upgrade_walk_duration_seconds_bucket[$__rate_interval])))",
                "p50 {{mode}}", "A"),
         target("histogram_quantile(0.9, sum by (le, mode) (rate(fabric_upgrade_walk_duration_seconds_bucket[$__rate_interval])))",
                "p90 {{mode}}", "B"),
         target("sum by (mode) (increase(fabric_upgrade_walk_duration_seconds_count[$__range]))", "walks in range {{mode}}",
                "C")],
        description="Quantiles of the duration of walks that completed, by mode.", unit="s"), 12, 8))
    return dashboard("fabric-upgrades", "fabric / Upgrades",
                     "Progress of upgrade walks: mode, current UD, Before/During, per-UD progress, capacity.",
                     ps, deployment_variables(), ud_annotations())


def nodes():
    L = Layout()
    ps = []
    ps.append(L.place(stat(
        "Nodes up per FD", targets(('sum by (fault_domain) (fabric_nodes{state="up"})', "FD {{fault_domain}}"),
                                   instant=True),
        description="Nodes the failure detector considers up, per fault domain."), 12, 5))
    ps.append(L.place(stat(
        "Nodes down per FD", targets(('sum by (fault_domain) (fabric_nodes{state="down"})', "FD {{fault_domain}}"),
                                     instant=True),
        description="Nodes declared down, per fault domain."), 12, 5))
    ps.append(L.place(timeseries(
        "Nodes by FD and state",
        [target("sum by (fault_domain, state) (fabric_nodes)", "FD {{fault_domain}} {{state}}")],
        step=True, description="Membership over time.", minv=0), 12, 8))
    ps.append(L.place(timeseries(
        "Heartbeat RTT per FD",
        [target('histogram_quantile(0.5, sum by (le, fault_domain) (rate(fabric_heartbeat_rtt_seconds_bucket[$__rate_interval])))',
                "p50 FD {{fault_domain}}", "A"),
         target('histogram_quantile(0.99, sum by (le, fault_domain) (rate(fabric_heartbeat_rtt_seconds_bucket[$__rate_interval])))',
                "p99 FD {{fault_domain}}", "B")],
        description="Round trip of heartbeats (heartbeat to its ack), measured by the node agents "
                    "of each fault domain.", unit="s"), 12, 8))
    ps.append(L.place(timeseries(
        "Missed heartbeats per FD",
        [target("sum by (fault_domain) (rate(fabric_heartbeats_missed_total[$__rate_interval]))", "FD {{fault_domain}}")],
        description="Heartbeats expected and not received in time, per second.", unit="ops"), 12, 8))
    ps.append(L.place(timeseries(
        "Node-down detections per FD",
        [target("sum by (fault_domain) (increase(fabric_node_down_detections_total[5m]))", "FD {{fault_domain}}")],
        description="Nodes declared down in the last 5 minutes, per fault domain.", minv=0), 12, 8))
    ps.append(L.place(timeseries(
        "Detection latency (last heartbeat to node-down)",
        [target("histogram_quantile(0.5, sum by (le, fault_domain) (rate(fabric_node_down_detection_seconds_bucket[$__rate_interval])))",
                "p50 FD {{fault_domain}}", "A"),
         target("histogram_quantile(0.99, sum by (le, fault_domain) (rate(fabric_node_down_detection_seconds_bucket[$__rate_interval])))",
                "p99 FD {{fault_domain}}", "B")],
        description="How long the failure detector took to declare a node down.", unit="s"), 12, 8))
    ps.append(L.place(timeseries(
        "Instances placed again per FD left",
        [target("sum by (fault_domain) (increase(fabric_instance_replacements_total[5m]))", "from FD {{fault_domain}}")],
        description="Instances moved off lost nodes in the last 5 minutes.", minv=0), 12, 8))
    ps.append(L.place(timeseries(
        "OS layer bytes per node",
        [target("fabric_node_os_layer_bytes", "{{node}} (FD {{fault_domain}})")],
        description="Bytes in the instances' differencing layers.", unit="bytes", minv=0), 12, 8))
    ps.append(L.place(timeseries(
        "Local storage used / quota per node",
        [target("fabric_node_local_storage_used_bytes / fabric_node_local_storage_quota_bytes",
                "{{node}} (FD {{fault_domain}})")],
        description="Share of the local storage quota in use.", **PERCENT), 12, 8))
    ps.append(L.place(panel(
        "table", "Builds running",
        [target("count by (component, version) (fabric_build_info)", "", instant=True, fmt="table")],
        description="Processes per component and version: node agents are upgraded one at a time."), 24, 6))
    return dashboard("fabric-nodes", "fabric / Nodes",
                     "Membership, heartbeats and failure detection per fault domain; node disks.",
                     ps, [datasource_variable()])


def operations():
    L = Layout()
    ps = []
    ps.append(L.place(timeseries(
        "Operations finished by kind and result",
        [target("sum by (kind, result) (rate(fabric_operations_total[$__rate_interval]))", "{{kind}} {{result}}")],
        description="Operations finished per second.", unit="ops"), 12, 8))
    ps.append(L.place(timeseries(
        "Failed share by kind",
        [target('sum by (kind) (rate(fabric_operations_total{result="failed"}[$__rate_interval])) / '
                'sum by (kind) (rate(fabric_operations_total[$__rate_interval]))', "{{kind}}")],
        description="Failed operations over all finished operations.", **PERCENT), 12, 8))
    ps.append(L.place(timeseries(
        "Operation duration by kind",
        [target("histogram_quantile(0.5, sum by (le, kind) (rate(fabric_operation_duration_seconds_bucket[$__rate_interval])))",
                "p50 {{kind}}", "A"),
         target("histogram_quantile(0.95, sum by (le, kind) (rate(fabric_operation_duration_seconds_bucket[$__rate_interval])))",
                "p95 {{kind}}", "B")],
        description="Accepted to finished.", unit="s"), 12, 8))
    ps.append(L.place(panel(
        "table", "Operations in the time range",
        [target("sum by (kind, result) (increase(fabric_operations_total[$__range]))", "", instant=True, fmt="table")],
        description="Count per kind and result over the dashboard's time range."), 12, 8))
    ps.append(L.place(timeseries(
        "Wire messages by direction and type",
        [target("sum by (direction, type) (rate(fabric_wire_messages_total[$__rate_interval]))",
                "{{direction}} {{type}}")],
        description="Protocol messages per second, both processes.", unit="ops"), 12, 8))
    ps.append(L.place(timeseries(
        "Frames dropped by reason",
        [target("sum by (reason) (rate(fabric_wire_frames_dropped_total[$__rate_interval]))", "{{reason}}")],
        description="Malformed or unexpected frames dropped before reaching an actor.", unit="ops"), 12, 8))
    ps.append(L.place(timeseries(
        "Journal writes by result",
        [target("sum by (result) (rate(fabric_journal_writes_total[$__rate_interval]))", "{{result}}")],
        description="Model edits written to the journal per second.", unit="ops"), 12, 8))
    ps.append(L.place(timeseries(
        "Journal write latency",
        [target("histogram_quantile(0.5, sum by (le) (rate(fabric_journal_write_duration_seconds_bucket[$__rate_interval])))",
                "p50", "A"),
         target("histogram_quantile(0.99, sum by (le) (rate(fabric_journal_write_duration_seconds_bucket[$__rate_interval])))",
                "p99", "B")],
        description="Write plus sync of one journal entry.", unit="s"), 12, 8))
    return dashboard("fabric-operations", "fabric / Operations",
                     "Operations by kind and result, wire traffic, journal.", ps, [datasource_variable()])


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, d in (("overview", overview()), ("upgrades", upgrades()), ("nodes", nodes()),
                    ("operations", operations())):
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(d, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
