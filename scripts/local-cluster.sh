#!/usr/bin/env bash
# A local fabric cluster on loopback: one coordinator and six node agents in
# three fault domains, all data under one directory.
#
#   scripts/local-cluster.sh up [--no-demo]   start (and run the demo: deploy + in-place upgrade)
#   scripts/local-cluster.sh down             stop every process started by `up`
#   scripts/local-cluster.sh status           what runs, and the deployment grid
#
# Environment: FABRIC_HOME (default .fabric in the repository), FABRIC_API_PORT (7070),
# FABRIC_NODES_PORT (7071), FABRIC_METRICS_PORT (9400: the coordinator's /metrics; the nodes
# take the next ports, 9401..9406), BUILD_DIR (build).
#
# Prometheus: `up` writes file_sd target files and a copy of monitoring/prometheus.yml and
# alerts.yml to $FABRIC_HOME/monitoring/; run
#   prometheus --config.file=$FABRIC_HOME/monitoring/prometheus.yml \
#              --storage.tsdb.path=$FABRIC_HOME/prometheus
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BUILD_DIR:-$ROOT/build}/bin
HOME_DIR=${FABRIC_HOME:-$ROOT/.fabric}
API_PORT=${FABRIC_API_PORT:-7070}
NODES_PORT=${FABRIC_NODES_PORT:-7071}
METRICS_PORT=${FABRIC_METRICS_PORT:-9400}
export FABRIC_COORDINATOR=http://127.0.0.1:$API_PORT
SAMPLE=$ROOT/samples/guestbook
NODES=(rack0-a:0 rack0-b:0 rack1-a:1 rack1-b:1 rack2-a:2 rack2-b:2)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# file_sd target files (format of monitoring/targets/*.json.example, without target labels:
# fabric's series carry node, fault_domain and component themselves) next to a copy of
# the repository's Prometheus configuration and rules.
write_targets() {
  local mon=$HOME_DIR/monitoring
  mkdir -p "$mon/targets"
  cp "$ROOT/monitoring/prometheus.yml" "$ROOT/monitoring/alerts.yml" "$mon/"
  printf '[\n  {"targets": ["127.0.0.1:%s"]}\n]\n' "$METRICS_PORT" >"$mon/targets/coordinator.json"
  local list="" i=1
  for _ in "${NODES[@]}"; do
    list+="${list:+, }\"127.0.0.1:$((METRICS_PORT + i))\""
    i=$((i + 1))
  done
  printf '[\n  {"targets": [%s]}\n]\n' "$list" >"$mon/targets/nodes.json"
}

start_process() { # name, command...
  local name=$1
  shift
  "$@" >"$HOME_DIR/logs/$name.log" 2>&1 &
  echo $! >"$HOME_DIR/pids/$name.pid"
}

wait_for() { # description, command...
  local what=$1
  shift
  for _ in $(seq 1 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $what (logs in $HOME_DIR/logs)" >&2
  return 1
}

up() {
  if [ -d "$HOME_DIR/pids" ] && ls "$HOME_DIR/pids"/*.pid >/dev/null 2>&1; then
    log "a cluster seems to run already (pids in $HOME_DIR/pids); stopping it first"
    down
  fi
  mkdir -p "$HOME_DIR/logs" "$HOME_DIR/pids"
  log "starting fabric-coordinator (API 127.0.0.1:$API_PORT, nodes tcp://127.0.0.1:$NODES_PORT)"
  start_process coordinator "$BIN/fabric-coordinator" \
    --nodes-listen "tcp://127.0.0.1:$NODES_PORT" --api-listen "127.0.0.1:$API_PORT" \
    --data-dir "$HOME_DIR/coordinator" --metrics-listen "127.0.0.1:$METRICS_PORT"
  wait_for "the coordinator's API" curl -sf "$FABRIC_COORDINATOR/fabric/v1/nodes"
  local i=1
  for spec in "${NODES[@]}"; do
    local name=${spec%%:*} fd=${spec##*:}
    start_process "$name" "$BIN/fabric-node" --coordinator "tcp://127.0.0.1:$NODES_PORT" \
      --fault-domain "$fd" --name "$name" --data-dir "$HOME_DIR/nodes/$name" \
      --metrics-listen "127.0.0.1:$((METRICS_PORT + i))"
    i=$((i + 1))
  done
  write_targets
  wait_for "six nodes up" bash -c "[ \$(curl -sf $FABRIC_COORDINATOR/fabric/v1/nodes | grep -o '\"up\"' | wc -l) -ge 6 ]"
  "$BIN/fabricctl" nodes
  if [ "${1:-}" != "--no-demo" ]; then demo; fi
  cat <<MSG

The cluster is running.
  coordinator API   $FABRIC_COORDINATOR/fabric/v1/  (fabricctl reads FABRIC_COORDINATOR)
  nodes             ${NODES[*]}
  data and logs     $HOME_DIR
  metrics           http://127.0.0.1:$METRICS_PORT/metrics (coordinator), ports $((METRICS_PORT + 1))..$((METRICS_PORT + ${#NODES[@]})) (nodes)
  Prometheus        prometheus --config.file=$HOME_DIR/monitoring/prometheus.yml --storage.tsdb.path=$HOME_DIR/prometheus
Try:   export FABRIC_COORDINATOR=$FABRIC_COORDINATOR
       $BIN/fabricctl status --service guestbook --slot production
Stop:  ./fabric.sh down
MSG
}

demo() {
  local ctl="$BIN/fabricctl"
  log "uploading base images v1 and v2"
  "$ctl" image upload guestbook-v1 "$SAMPLE/image-v1"
  "$ctl" image upload guestbook-v2 "$SAMPLE/image-v2"
  log "creating hosted service guestbook and deploying to production"
  "$ctl" service create guestbook --label "Guestbook sample" || true
  "$ctl" deploy --service guestbook --slot production --csdef "$SAMPLE/ServiceDefinition.csdef" \
    --cscfg "$SAMPLE/ServiceConfiguration.cscfg" --image guestbook-v1 --name guestbook-1 --wait
  "$ctl" status --service guestbook --slot production
  if "$ctl" upgrade --help >/dev/null 2>&1; then
    log "in-place upgrade to guestbook-v2, Auto mode, one upgrade domain at a time"
    "$ctl" upgrade --service guestbook --slot production --image guestbook-v2 --mode auto --wait
    "$ctl" status --service guestbook --slot production
  fi
}

down() {
  local any=0
  for f in "$HOME_DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    any=1
    local pid
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  if [ $any = 1 ]; then log "stopped (data kept in $HOME_DIR; remove it for a fresh start)"; else log "nothing to stop"; fi
}

status() {
  for f in "$HOME_DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    local name pid
    name=$(basename "$f" .pid)
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then echo "$name running (pid $pid)"; else echo "$name stopped"; fi
  done
  "$BIN/fabricctl" nodes || true
  "$BIN/fabricctl" status --service guestbook --slot production || true
}

cmd=${1:-up}
shift || true
case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  status) status ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
