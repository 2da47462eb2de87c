#!/usr/bin/env bash
# fabric in docker-compose: one coordinator, six nodes in three fault domains,
# Prometheus (and Grafana on request).
#
#   compose/cluster.sh build [--from-source] [--force-base]
#                              base image (no registry needed) and the images
#   compose/cluster.sh up [--grafana]   build, start, wait until six nodes are up
#   compose/cluster.sh down [-v]        stop; -v also wipes every disk (volumes)
#   compose/cluster.sh status           containers and the coordinator's node list
#   compose/cluster.sh test             run tests/compose/compose_test.sh
#   compose/cluster.sh compose ARGS...  docker-compose with this project's files
#
# build: by default the images take the binaries of BUILD_DIR/bin (run
# ./fabric.sh build first; compose/Dockerfile.prebuilt), which costs no second
# compile; --from-source builds inside Docker (compose/Dockerfile).
# BASE_IMAGE: FABRIC_BASE_IMAGE (default fabric-base:bookworm, made by
# compose/build-base-image.sh from Debian's mirror; set debian:bookworm-slim to
# use a registry instead).
#
# Environment: BUILD_DIR (build), FABRIC_BIN_DIR (BUILD_DIR/bin),
# FABRIC_IMAGE_TAG (local), FABRIC_COMPOSE_PROJECT (fabric),
# FABRIC_COMPOSE_API_PORT (17070), FABRIC_COMPOSE_PROMETHEUS_PORT (19090),
# FABRIC_HEARTBEAT_MS (200), FABRIC_MISSED_HEARTBEATS (5).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
BIN_DIR=${FABRIC_BIN_DIR:-$BUILD_DIR/bin}
export FABRIC_IMAGE_TAG=${FABRIC_IMAGE_TAG:-local}
export FABRIC_BASE_IMAGE=${FABRIC_BASE_IMAGE:-fabric-base:bookworm}
export FABRIC_COMPOSE_API_PORT=${FABRIC_COMPOSE_API_PORT:-17070}
export FABRIC_COMPOSE_PROMETHEUS_PORT=${FABRIC_COMPOSE_PROMETHEUS_PORT:-19090}
PROJECT=${FABRIC_COMPOSE_PROJECT:-fabric}
API=http://127.0.0.1:$FABRIC_COMPOSE_API_PORT
NODE_COUNT=6

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'cluster.sh: %s\n' "$*" >&2; exit 1; }

require_docker() {
  command -v docker >/dev/null || die "docker is not installed (Debian: apt-get install docker.io docker-compose)"
  docker info >/dev/null 2>&1 || die "the Docker engine does not answer (is dockerd running? may this user use it?)"
}

# docker-compose v1 when installed, else the v2 plugin.
compose() {
  local files=(-f "$HERE/docker-compose.yml")
  if [ "${WITH_GRAFANA:-0}" = 1 ]; then files+=(-f "$HERE/docker-compose.grafana.yml"); fi
  if command -v docker-compose >/dev/null; then
    docker-compose -p "$PROJECT" "${files[@]}" "$@"
  elif docker compose version >/dev/null 2>&1; then
    docker compose -p "$PROJECT" "${files[@]}" "$@"
  else
    die "neither docker-compose nor the docker compose plugin is installed"
  fi
}

docker_build() { # build args... (quiet unless it fails; says how long it took)
  local out t0=$(date +%s)
  if ! out=$(docker build --force-rm "$@" 2>&1); then
    printf '%s\n' "$out" | tail -n 40 >&2
    die "docker build $* failed"
  fi
  local all="$*"
  all=${all##* -t }
  log "  ${all%% *} in $(( $(date +%s) - t0 )) s"
}

# cache_tag KIND FILE...: fabric-cache:KIND-<hash of the base image id and
# FILEs>. The apt-heavy layers (the runtime libraries, Prometheus) are tagged
# with it as well, so they survive `docker image rm` of a test's images and
# the next build takes them from the cache; a new base image or package list
# makes a new key (and the stale tags of that KIND are removed).
cache_tag() { # kind, files...
  local kind=$1 id
  shift
  id=$(docker image inspect -f '{{.Id}}' "$FABRIC_BASE_IMAGE" 2>/dev/null || echo "$FABRIC_BASE_IMAGE")
  echo "fabric-cache:$kind-$( { echo "$id"; cat "$@"; } | sha256sum | cut -c1-12)"
}
drop_stale_cache() { # kind, current tag
  local t
  for t in $(docker image ls fabric-cache --format '{{.Repository}}:{{.Tag}}' | grep "^fabric-cache:$1-" || true); do
    # Untags only: layers still used by other images stay.
    [ "$t" = "$2" ] || docker image rm "$t" >/dev/null 2>&1 || true
  done
}

build() {
  local from_source=0 force_base=()
  for arg in "$@"; do
    case "$arg" in
      --from-source) from_source=1 ;;
      --force-base) force_base=(--force) ;;
      *) die "build: unknown argument '$arg'" ;;
    esac
  done
  require_docker
  local start=$(date +%s)
  if [ "$FABRIC_BASE_IMAGE" = fabric-base:bookworm ]; then
    "$HERE/build-base-image.sh" "${force_base[@]}"
  fi
  local base_arg=(--build-arg "BASE_IMAGE=$FABRIC_BASE_IMAGE")
  if [ $from_source = 1 ]; then
    log "building fabric-coordinator and fabric-node from source in Docker (compose/Dockerfile)"
    docker_build "${base_arg[@]}" --build-arg "JOBS=${JOBS:-2}" -f "$HERE/Dockerfile" \
      --target coordinator -t "fabric-coordinator:$FABRIC_IMAGE_TAG" "$ROOT"
    docker_build "${base_arg[@]}" --build-arg "JOBS=${JOBS:-2}" -f "$HERE/Dockerfile" \
      --target node -t "fabric-node:$FABRIC_IMAGE_TAG" "$ROOT"
  else
    local b
    for b in fabric-coordinator fabric-node fabricctl; do
      [ -x "$BIN_DIR/$b" ] || die "$BIN_DIR/$b is missing: run ./fabric.sh build first (or: build --from-source)"
    done
    log "building fabric-coordinator and fabric-node images from $BIN_DIR (compose/Dockerfile.prebuilt)"
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/fabric-compose-context.XXXXXX")
    trap 'rm -rf "$ctx"' EXIT
    mkdir -p "$ctx/bin"
    for b in fabric-coordinator fabric-node fabricctl; do
      # Without debug info: a smaller context and image; the host keeps the full binaries.
      if command -v strip >/dev/null; then
        strip --strip-debug -o "$ctx/bin/$b" "$BIN_DIR/$b"
      else
        cp "$BIN_DIR/$b" "$ctx/bin/$b"
      fi
    done
    cp "$HERE/entrypoint.sh" "$ctx/bin/fabric-entrypoint"
    "$HERE/runtime-packages.sh" "$ctx"/bin/fabric-coordinator "$ctx"/bin/fabric-node "$ctx"/bin/fabricctl \
      >"$ctx/runtime-packages.txt"
    # The apt layer alone first (a context without the binaries), kept under a cache tag.
    local libs_ctx=$ctx/libs libs_tag
    mkdir -p "$libs_ctx"
    cp "$ctx/runtime-packages.txt" "$libs_ctx/"
    libs_tag=$(cache_tag runtime "$libs_ctx/runtime-packages.txt" "$HERE/Dockerfile.prebuilt")
    docker_build "${base_arg[@]}" -f "$HERE/Dockerfile.prebuilt" --target libs -t "$libs_tag" "$libs_ctx"
    drop_stale_cache runtime "$libs_tag"
    rm -rf "$libs_ctx"
    docker_build "${base_arg[@]}" -f "$HERE/Dockerfile.prebuilt" --target coordinator \
      -t "fabric-coordinator:$FABRIC_IMAGE_TAG" "$ctx"
    docker_build "${base_arg[@]}" -f "$HERE/Dockerfile.prebuilt" --target node \
      -t "fabric-node:$FABRIC_IMAGE_TAG" "$ctx"
    rm -rf "$ctx"
  fi
  log "building fabric-prometheus (Debian's prometheus package)"
  local prom_cache
  prom_cache=$(cache_tag prometheus "$HERE/prometheus.Dockerfile")
  docker_build "${base_arg[@]}" -f "$HERE/prometheus.Dockerfile" -t "$prom_cache" \
    -t "fabric-prometheus:$FABRIC_IMAGE_TAG" "$HERE"
  drop_stale_cache prometheus "$prom_cache"
  log "images ready in $(( $(date +%s) - start )) s"
  docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E '^fabric-' >&2 || true
}

# Number of nodes the coordinator reports in the given state (0 when it does not answer).
nodes_in_state() { # state
  curl -sf --max-time 2 "$API/fabric/v1/nodes" 2>/dev/null |
    python3 -c 'import json,sys; print(sum(n["state"] == sys.argv[1] for n in json.load(sys.stdin)["nodes"]))' "$1" \
    2>/dev/null || echo 0
}

wait_nodes_up() { # count, timeout seconds
  local want=$1 deadline=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(nodes_in_state up)" -ge "$want" ] && return 0
    sleep 1
  done
  return 1
}

up() {
  for arg in "$@"; do
    case "$arg" in
      --grafana) export WITH_GRAFANA=1 ;;
      *) die "up: unknown argument '$arg'" ;;
    esac
  done
  build
  log "starting project $PROJECT (coordinator API $API, Prometheus http://127.0.0.1:$FABRIC_COMPOSE_PROMETHEUS_PORT)"
  compose up -d --no-build
  log "waiting for $NODE_COUNT nodes up"
  if ! wait_nodes_up "$NODE_COUNT" 120; then
    compose ps >&2 || true
    compose logs --tail 20 >&2 || true
    die "timed out waiting for $NODE_COUNT nodes up at $API/fabric/v1/nodes"
  fi
  status
  cat <<MSG

The compose cluster runs (project $PROJECT).
  coordinator API   $API/fabric/v1/   export FABRIC_COORDINATOR=$API; $BIN_DIR/fabricctl nodes
  Prometheus        http://127.0.0.1:$FABRIC_COMPOSE_PROMETHEUS_PORT/targets
MSG
  if [ "${WITH_GRAFANA:-0}" = 1 ]; then
    echo "  Grafana           http://127.0.0.1:${FABRIC_COMPOSE_GRAFANA_PORT:-13000}/ (folder fabric)"
  fi
  echo "Stop:  compose/cluster.sh down      (down -v also wipes the disks)"
}

down() {
  require_docker
  # Grafana's override is included so that its container goes too, if it ran.
  WITH_GRAFANA=1 compose down --remove-orphans "$@"
}

status() {
  require_docker
  compose ps
  echo
  curl -sf --max-time 2 "$API/fabric/v1/nodes" | python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    print("%-10s FD %s  %-8s %s instances" % (n["name"], n["fault_domain"], n["state"], n["instance_count"]))' ||
    echo "the coordinator API at $API does not answer"
}

cmd=${1:-help}
shift || true
case "$cmd" in
  build) build "$@" ;;
  up) up "$@" ;;
  down) down "$@" ;;
  status) status ;;
  test) exec "$ROOT/tests/compose/compose_test.sh" "$@" ;;
  compose) require_docker; compose "$@" ;;
  *) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; [ "$cmd" = help ] ;;
esac
