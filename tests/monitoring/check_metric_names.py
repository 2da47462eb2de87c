#!/usr/bin/env python3
"""Checks that the dashboards and alert rules only use fabric's declared metrics.

Usage:
  check_metric_names.py --header monitoring/metric_names.hpp [--promtool PATH]
                        FILE_OR_DIR...

Every .json file (Grafana dashboard) and .yml/.yaml file (Prometheus rules)
named, or found in a named directory, is read; every PromQL expression in it
(dashboard `expr` fields, `label_values(...)` variable queries, rule `expr`)
is checked:
  - every metric name is declared in metric_names.hpp (histograms may add
    _bucket, _sum or _count; nothing else may);
  - every label name in a matcher or a by/without/on/ignoring/group list is
    declared in metric_names.hpp, or is one Prometheus adds (job, instance,
    le, cluster);
  - with --promtool, all expressions (Grafana variables replaced by
    constants) are written into a rules file and parsed by
    `promtool check rules`, so each is valid PromQL.
Rules files must also give every alert a `for`, labels and annotations.
Prints one line per problem ("FILE: WHAT") and exits 1 when there is any.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

PROMETHEUS_LABELS = {"job", "instance", "le", "cluster", "__name__"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atan2"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def read_header(path):
    text = open(path).read()
    constants = dict(re.findall(r'constexpr const char\* (\w+) = "([^"]+)";', text))
    labels_block = re.search(r"namespace labels \{(.*?)\} // namespace labels", text, re.S)
    if not labels_block:
        raise SystemExit(f"{path}: no `namespace labels` block")
    label_names = set(re.findall(r'= "([^"]+)";', labels_block.group(1)))
    metrics = {v for v in constants.values() if v.startswith("fabric_")}
    types = {}
    for const, kind in re.findall(r"\{names::(\w+), metric_type::(\w+)", text):
        types[constants[const]] = kind
    missing = metrics - set(types)
    if missing:
        raise SystemExit(f"{path}: not in the catalogue: {', '.join(sorted(missing))}")
    return types, label_names


def substitute_variables(expr):
    expr = re.sub(r"\$__\w+", "5m", expr)
    expr = re.sub(r"\$\{\w+(?::\w+)?\}|\$\w+", ".*", expr)
    return expr


def names_in(expr):
    """(metric names, label names) used by a PromQL expression."""
    labels = set()
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\boffset\s+-?(?:\d+(?:ms|[smhdwy]))+", " ", e)  # `offset 30m`: not a name
    for m in re.finditer(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", e):
        labels.update(x.strip() for x in m.group(2).split(",") if x.strip())
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    for m in re.finditer(r"\{([^}]*)\}", e):
        labels.update(re.findall(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)", m.group(1)))
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"(?<![\w.])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", " ", e)
    metrics = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if word.lower() in KEYWORDS or rest.startswith("("):
            continue
        metrics.add(word)
    return metrics, labels


def check_metric(name, types):
    if name in types:
        return None
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and types.get(name[: -len(suffix)]) == "histogram":
            return None
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in types:
            return f"{name}: {name[: -len(suffix)]} is a {types[name[: -len(suffix)]]}, not a histogram"
    return f"{name}: not in metric_names.hpp"


def dashboard_exprs(doc):
    """Every PromQL expression of a dashboard (dicts with `expr`, variable queries)."""
    out = []

    def walk(x):
        if isinstance(x, dict):
            if isinstance(x.get("expr"), str):
                out.append(x["expr"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(doc.get("panels", []))
    walk(doc.get("annotations", {}))
    for var in doc.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        q = var.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", q)
        if m:
            out.append(m.group(1) + " # label " + m.group(2))
        elif q:
            out.append(q)
    return out


def rule_exprs(doc, path, problems):
    out = []
    for group in doc.get("groups", []):
        for rule in group.get("rules", []):
            out.append(rule["expr"])
            if "alert" in rule:
                for key in ("for", "labels", "annotations"):
                    if not rule.get(key):
                        problems.append(f"{path}: alert {rule['alert']} has no `{key}`")
    return out


def files_of(paths):
    for p in paths:
        if os.path.isdir(p):
            for name in sorted(os.listdir(p)):
                if name.endswith((".json", ".yml", ".yaml")):
                    yield os.path.join(p, name)
        else:
            yield p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--header", required=True)
    ap.add_argument("--promtool")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    types, label_names = read_header(args.header)
    allowed_labels = label_names | PROMETHEUS_LABELS
    problems = []
    all_exprs = []
    for path in files_of(args.paths):
        with open(path) as f:
            if path.endswith(".json"):
                exprs = dashboard_exprs(json.load(f))
            else:
                exprs = rule_exprs(yaml.safe_load(f), path, problems)
        if not exprs:
            problems.append(f"{path}: no expression found")
        for expr in exprs:
            label_hint = None
            if " # label " in expr:
                expr, label_hint = expr.split(" # label ")
            concrete = substitute_variables(expr)
            all_exprs.append((path, concrete))
            metrics, labels = names_in(concrete)
            if label_hint:
                labels.add(label_hint)
            if not metrics:
                problems.append(f"{path}: no metric in `{expr}`")
            for m in sorted(metrics):
                err = check_metric(m, types)
                if err:
                    problems.append(f"{path}: {err} (in `{expr}`)")
            for label in sorted(labels - allowed_labels):
                problems.append(f"{path}: label {label}: not in metric_names.hpp (in `{expr}`)")
    if args.promtool and all_exprs:
        rules = {"groups": [{"name": "dashboard-expressions", "rules": [
            {"record": f"check:expr_{i}", "expr": e} for i, (_, e) in enumerate(all_exprs)]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            yaml.safe_dump(rules, f)
            tmp = f.name
        try:
            res = subprocess.run([args.promtool, "check", "rules", tmp], capture_output=True, text=True)
        finally:
            os.unlink(tmp)
        if res.returncode != 0:
            out = res.stdout + res.stderr
            for m in re.finditer(r'rule (\d+), "check:expr_\d+": (.*)', out):
                path, e = all_exprs[int(m.group(1)) - 1]
                problems.append(f"{path}: invalid PromQL `{e}`: {m.group(2)}")
            if not problems:
                problems.append("promtool check rules failed: " + out.strip())
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"ok: {len(all_exprs)} expressions use only declared metrics and labels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
