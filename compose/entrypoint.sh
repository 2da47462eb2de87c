#!/usr/bin/env bash
# Entry point of the fabric images (installed as /usr/local/bin/fabric-entrypoint).
# Builds the command line of fabric-coordinator or fabric-node from the
# environment, so that compose files and `docker run` only set variables;
# any further arguments are appended as they are.
#
#   fabric-entrypoint coordinator [EXTRA_ARGS...]
#   fabric-entrypoint node [EXTRA_ARGS...]
#   fabric-entrypoint health coordinator|node     (the images' HEALTHCHECK)
#   fabric-entrypoint get-all PATH HOST:PORT...    (200 from each, or fail)
#   fabric-entrypoint COMMAND...                  (anything else runs as is)
#
# Coordinator: FABRIC_API_LISTEN (0.0.0.0:7070), FABRIC_NODES_LISTEN
#   (tcp://0.0.0.0:7071), FABRIC_DATA_DIR (/var/lib/fabric), FABRIC_PHASE_MS.
# Node: FABRIC_NODE_NAME (default: the container's hostname),
#   FABRIC_FAULT_DOMAIN (required), FABRIC_COORDINATOR (tcp://coordinator:7071),
#   FABRIC_ADVERTISE (default: the hostname, so instance endpoints name the
#   container), FABRIC_CAPACITY, FABRIC_DATA_DIR (/var/lib/fabric),
#   FABRIC_COORDINATOR_API (http://coordinator:7070, used by the health check).
# Both: FABRIC_HEARTBEAT_MS, FABRIC_MISSED_HEARTBEATS, FABRIC_LOG_LEVEL,
#   FABRIC_METRICS_LISTEN (e.g. 0.0.0.0:9400; passed as --metrics-listen only
#   when the binary has that option, so older builds still start).
set -euo pipefail

# Appends "--flag value" to args when the variable is set and non-empty.
args=()
opt() { # flag, value
  if [ -n "${2:-}" ]; then args+=("$1" "$2"); fi
}
has_option() { # binary, --flag
  "$1" --help 2>/dev/null | grep -q -- "$2\b"
}
metrics_opt() { # binary
  if [ -n "${FABRIC_METRICS_LISTEN:-}" ]; then
    if has_option "$1" --metrics-listen; then
      args+=(--metrics-listen "$FABRIC_METRICS_LISTEN")
    else
      echo "fabric-entrypoint: $1 has no --metrics-listen yet; not serving /metrics" >&2
    fi
  fi
}
common_opts() {
  opt --heartbeat-ms "${FABRIC_HEARTBEAT_MS:-}"
  opt --missed-heartbeats "${FABRIC_MISSED_HEARTBEATS:-}"
  opt --log-level "${FABRIC_LOG_LEVEL:-}"
}

# One HTTP/1.0 GET with bash's /dev/tcp (the images carry no curl or wget).
# Prints the body; fails unless the status is 200.
http_get() { # host, port, path
  local status body
  exec 3<>"/dev/tcp/$1/$2"
  printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$3" "$1" >&3
  IFS= read -r status <&3
  body=$(cat <&3)
  exec 3<&-
  case "$status" in *" 200 "*) printf '%s\n' "$body" ;; *) return 1 ;; esac
}

health() {
  case "${1:-}" in
    coordinator)
      # Healthy when the API answers the node list.
      local listen=${FABRIC_API_LISTEN:-0.0.0.0:7070}
      http_get 127.0.0.1 "${listen##*:}" /fabric/v1/nodes | grep -q '"nodes"'
      ;;
    node)
      # Healthy when the coordinator lists this node as up.
      local api=${FABRIC_COORDINATOR_API:-http://coordinator:7070}
      local hostport=${api#http://} name=${FABRIC_NODE_NAME:-$(hostname)}
      hostport=${hostport%%/*}
      http_get "${hostport%:*}" "${hostport##*:}" /fabric/v1/nodes | tr -d ' \n' |
        grep -q "\"name\":\"$name\",[^}]*\"state\":\"up\""
      ;;
    *) echo "usage: fabric-entrypoint health coordinator|node" >&2; return 2 ;;
  esac
}

role=${1:-}
shift || true
case "$role" in
  coordinator)
    opt --api-listen "${FABRIC_API_LISTEN:-0.0.0.0:7070}"
    opt --nodes-listen "${FABRIC_NODES_LISTEN:-tcp://0.0.0.0:7071}"
    opt --data-dir "${FABRIC_DATA_DIR:-/var/lib/fabric}"
    opt --phase-ms "${FABRIC_PHASE_MS:-}"
    common_opts
    metrics_opt fabric-coordinator
    mkdir -p "${FABRIC_DATA_DIR:-/var/lib/fabric}"
    exec fabric-coordinator "${args[@]}" "$@"
    ;;
  node)
    : "${FABRIC_FAULT_DOMAIN:?set FABRIC_FAULT_DOMAIN (the fault domain of this node)}"
    name=${FABRIC_NODE_NAME:-$(hostname)}
    opt --coordinator "${FABRIC_COORDINATOR:-tcp://coordinator:7071}"
    opt --fault-domain "$FABRIC_FAULT_DOMAIN"
    opt --name "$name"
    opt --data-dir "${FABRIC_DATA_DIR:-/var/lib/fabric}"
    opt --advertise "${FABRIC_ADVERTISE:-$(hostname)}"
    opt --capacity "${FABRIC_CAPACITY:-}"
    common_opts
    metrics_opt fabric-node
    mkdir -p "${FABRIC_DATA_DIR:-/var/lib/fabric}"
    exec fabric-node "${args[@]}" "$@"
    ;;
  health) health "$@" ;;
  get-all)
    # fabric-entrypoint get-all PATH HOST:PORT...: GET PATH from each; fails
    # (naming the endpoint) unless every one answers 200.
    path=${1:?usage: fabric-entrypoint get-all PATH HOST:PORT...}
    shift
    for ep in "$@"; do
      http_get "${ep%:*}" "${ep##*:}" "$path" >/dev/null 2>&1 || { echo "GET http://$ep$path failed" >&2; exit 1; }
    done
    ;;
  "") echo "usage: fabric-entrypoint coordinator|node|health ... (or any command)" >&2; exit 2 ;;
  *) exec "$role" "$@" ;;
esac
