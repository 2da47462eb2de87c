#!/usr/bin/env bash
# The compose test (ctest label `compose`): a real fabric cluster in Docker,
# one coordinator and six nodes in three fault domains, plus Prometheus.
#
#   0. the compose files are valid (docker-compose config; also `docker
#      compose config` when the v2 plugin is installed)
#   1. base image (debootstrap, no registry) and the images from FABRIC_BIN_DIR
#   2. docker-compose up -d; six nodes up with the compose names and FDs
#   3. deploy samples/guestbook: every instance ReadyRole, each on one node,
#      every endpoint answers /health inside the network
#   4. in-place upgrade to guestbook-v2 (fabricctl upgrade --wait)
#   5. docker kill both nodes of FD 1: detected down; instances re-placed
#      (healed) off FD 1; the killed containers start again and rejoin without
#      running any instance twice
#   6. docker network disconnect rack2-a: detected down (and healed); reconnect:
#      up again, reconciled, every instance on exactly one node
#   7. docker restart coordinator: the nodes come back up and the deployment
#      is still there (journal on its volume), reconciled
#   8. Prometheus in the cluster: exactly the coordinator, the six nodes and
#      itself as targets, every one up (/api/v1/targets)
#   9. docker-compose down -v (also on failure: trap; and projects that a
#      killed earlier run left behind are removed at the start)
#
# Exit 0 passed, 1 failed, 77 skipped (only with FABRIC_SKIP_COMPOSE=1: a
# machine without Docker fails, it does not pass silently).
# Environment: FABRIC_BIN_DIR (binaries; ctest sets it), FABRIC_SKIP_COMPOSE,
# FABRIC_COMPOSE_KEEP=1 (leave the cluster running after the test, to look),
# FABRIC_COMPOSE_TEST_BUDGET_S (840: the whole test, below ctest's 900 s).
set -uo pipefail
SKIP=77
if [ "${FABRIC_SKIP_COMPOSE:-0}" = 1 ]; then
  echo "skipped: FABRIC_SKIP_COMPOSE=1"
  exit $SKIP
fi

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN_DIR=${FABRIC_BIN_DIR:-$ROOT/build/bin}
CLUSTER=$ROOT/compose/cluster.sh
SAMPLE=$ROOT/samples/guestbook
START=$(date +%s)
DEADLINE=$((START + ${FABRIC_COMPOSE_TEST_BUDGET_S:-840}))   # ctest's TIMEOUT is 900 s
SERVICE=guestbook
SLOT=production

step() { printf '\n\033[1m=== [%4ss] %s\033[0m\n' "$(( $(date +%s) - START ))" "$*"; }
note() { printf '    %s\n' "$*"; }
fail() {
  printf '\nFAILED: %s\n' "$*" >&2
  exit 1
}

command -v docker >/dev/null ||
  fail "docker is not installed: the compose test needs a Docker engine and docker-compose (Debian: apt-get install docker.io docker-compose); set FABRIC_SKIP_COMPOSE=1 to skip it"
docker info >/dev/null 2>&1 ||
  fail "the Docker engine does not answer (dockerd not running, or no permission on its socket); set FABRIC_SKIP_COMPOSE=1 to skip the compose test"
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 ||
  fail "neither docker-compose nor the docker compose plugin is installed; set FABRIC_SKIP_COMPOSE=1 to skip the compose test"
for b in fabric-coordinator fabric-node fabricctl; do
  [ -x "$BIN_DIR/$b" ] || fail "$BIN_DIR/$b is missing (build first; FABRIC_BIN_DIR points at the binaries)"
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A project of its own (containers, network and volumes prefixed with it) and
# free loopback ports, so a user's `cluster.sh up` is not disturbed.
export FABRIC_COMPOSE_PROJECT=fabrictest$$
export FABRIC_COMPOSE_API_PORT=$(free_port)
export FABRIC_COMPOSE_PROMETHEUS_PORT=$(free_port)
export FABRIC_BIN_DIR=$BIN_DIR
# Images tagged for this run only: concurrent runs from other build dirs do
# not swap each other's binaries; cleanup removes the tags (layers stay cached).
export FABRIC_IMAGE_TAG=test$$
API=http://127.0.0.1:$FABRIC_COMPOSE_API_PORT
PROM=http://127.0.0.1:$FABRIC_COMPOSE_PROMETHEUS_PORT
NETWORK=${FABRIC_COMPOSE_PROJECT}_fabric
CTL=("$BIN_DIR/fabricctl" --coordinator "$API")

compose() { "$CLUSTER" compose "$@"; }
# Container ids, looked up once after `up` (docker-compose v1 takes seconds
# per call on a loaded machine; ids survive docker kill/start).
declare -A CID=()
lookup_containers() {
  local service id
  while read -r service id; do CID[$service]=$id; done < <(
    docker ps -a --filter "label=com.docker.compose.project=$FABRIC_COMPOSE_PROJECT" \
      --format '{{.Label "com.docker.compose.service"}} {{.ID}}')
}
container() {
  [ -n "${CID[$1]:-}" ] || CID[$1]=$(compose ps -q "$1")
  echo "${CID[$1]}"
}

cleanup() {
  local rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne $SKIP ]; then
    echo "--- containers and the last log lines (test failed) ---" >&2
    compose ps >&2 2>/dev/null || true
    compose logs --no-color --tail 25 >&2 2>/dev/null || true
  fi
  if [ "${FABRIC_COMPOSE_KEEP:-0}" = 1 ]; then
    echo "FABRIC_COMPOSE_KEEP=1: project $FABRIC_COMPOSE_PROJECT left running (API $API, Prometheus $PROM);"
    echo "remove it with: FABRIC_COMPOSE_PROJECT=$FABRIC_COMPOSE_PROJECT compose/cluster.sh down -v"
  else
    step "docker-compose down -v"
    "$CLUSTER" down -v >/dev/null 2>&1 || echo "warning: down -v failed" >&2
    if docker volume ls -q | grep -q "^${FABRIC_COMPOSE_PROJECT}_"; then
      echo "warning: volumes of $FABRIC_COMPOSE_PROJECT are left:" >&2
      docker volume ls -q | grep "^${FABRIC_COMPOSE_PROJECT}_" >&2
      [ $rc -eq 0 ] && rc=1
    fi
  fi
  if [ "${FABRIC_COMPOSE_KEEP:-0}" != 1 ]; then
    docker image rm "fabric-coordinator:$FABRIC_IMAGE_TAG" "fabric-node:$FABRIC_IMAGE_TAG" \
      "fabric-prometheus:$FABRIC_IMAGE_TAG" >/dev/null 2>&1 || true
  fi
  printf 'total %s s\n' "$(( $(date +%s) - START ))"
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

remaining() { echo $(( DEADLINE - $(date +%s) )); }

# wait_until DESCRIPTION SECONDS COMMAND...: polls COMMAND every second until
# it succeeds; fails the test after SECONDS (or at the overall deadline).
wait_until() {
  local what=$1 limit=$2 t0
  shift 2
  t0=$(date +%s)
  local until=$(( t0 + limit )) next_report=$(( t0 + 20 )) out
  [ "$until" -gt "$DEADLINE" ] && until=$DEADLINE
  while :; do
    if out=$("$@" 2>&1); then
      note "$what after $(( $(date +%s) - t0 )) s"
      return 0
    fi
    [ "$(date +%s)" -ge "$until" ] && break
    if [ "$(date +%s)" -ge "$next_report" ]; then
      note "still waiting ($(( $(date +%s) - t0 )) s) for $what: $(printf '%s' "$out" | tail -n 1 | cut -c1-160)"
      next_report=$(( next_report + 20 ))
    fi
    sleep 1
  done
  echo "--- last answer of the check ---" >&2
  "$@" >&2 || true
  fail "timed out after $(( $(date +%s) - t0 )) s waiting for: $what"
}

nodes_json() { curl -sf --max-time 3 "$API/fabric/v1/nodes"; }
deployment_json() { curl -sf --max-time 3 "$API/fabric/v1/services/$SERVICE/deployments/$SLOT"; }

# check_nodes EXPR: EXPR (python) over `nodes` = {name: node} is true.
check_nodes() {
  nodes_json | python3 -c '
import json, sys
nodes = {n["name"]: n for n in json.load(sys.stdin)["nodes"]}
ok = eval(sys.argv[1])
print({k: v["state"] for k, v in sorted(nodes.items())})
sys.exit(0 if ok else 1)' "$1"
}
six_up() { check_nodes 'len(nodes) == 6 and all(n["state"] == "up" for n in nodes.values())'; }
nodes_down() { # names...
  check_nodes "all(nodes[n][\"state\"] == \"down\" for n in \"$*\".split())"
}
nodes_up() { # names...
  check_nodes "all(nodes[n][\"state\"] == \"up\" for n in \"$*\".split())"
}

ALL_NODES=(rack0-a rack0-b rack1-a rack1-b rack2-a rack2-b)

# {node: [instance directory names]} for the given nodes: the instance disks
# each holds (<data>/instances/<name>). A re-placed instance must have left
# its old node once that node is back (`remove` on reconcile).
disks_json() { # node names...
  local n c first=1
  printf '{'
  for n in "$@"; do
    c=$(container "$n")
    [ $first = 1 ] || printf ','
    first=0
    printf '"%s":[' "$n"
    docker exec "$c" bash -c 'shopt -s nullglob; sep=; for d in /var/lib/fabric/instances/*/; do d=${d%/}; printf "%s\"%s\"" "$sep" "${d##*/}"; sep=,; done'
    printf ']'
  done
  printf '}'
}

# healthy_deployment [EXCLUDED_NODE...]: every instance ReadyRole on an up
# node that is not excluded; instance names unique; and the instance's disks
# exist on exactly that one node among the nodes that are up — no instance is
# held (or runs) twice after healing or reconciling. (A partitioned node keeps
# its disks until it is back: fencing stops its instances meanwhile.)
healthy_deployment() {
  local dep nodes disks up
  dep=$(deployment_json) || { echo "GET deployment failed"; return 1; }
  nodes=$(nodes_json) || { echo "GET nodes failed"; return 1; }
  check_deployment "$dep" "$nodes" '{}' "$*" || return 1
  up=$(printf '%s' "$nodes" | python3 -c 'import json,sys; print(" ".join(n["name"] for n in json.load(sys.stdin)["nodes"] if n["state"] == "up"))')
  # shellcheck disable=SC2086
  disks=$(disks_json $up) || { echo "listing the nodes' disks failed"; return 1; }
  check_deployment "$dep" "$nodes" "$disks" "$*"
}
check_deployment() { # deployment-json nodes-json disks-json|{} excluded
  python3 - "$@" <<'PY'
import collections, json, sys
dep, nodes, disks = json.loads(sys.argv[1]), json.loads(sys.argv[2])["nodes"], json.loads(sys.argv[3])
excluded = sys.argv[4].split()
state = {n["name"]: n["state"] for n in nodes}
problems = []
insts = dep["instances"]
names = [i["name"] for i in insts]
if not insts:
    problems.append("no instances")
if len(names) != len(set(names)):
    problems.append("instance listed twice in the deployment: %s" % [n for n, c in collections.Counter(names).items() if c > 1])
for i in insts:
    node = i.get("node", "")
    if i.get("state") != "ReadyRole":
        problems.append("%s is %s on %s" % (i["name"], i.get("state"), node))
    if state.get(node) != "up":
        problems.append("%s placed on %s (%s)" % (i["name"], node, state.get(node)))
    if node in excluded:
        problems.append("%s still on %s" % (i["name"], node))
# Disk directories may carry the wire name "<deployment>.<instance>".
holders = collections.defaultdict(list)
for node, dirs in disks.items():
    for d in dirs:
        holders[d].append(node)
for i in insts if disks else []:
    held_by = holders.get(dep["name"] + "." + i["name"], []) + holders.get(i["name"], [])
    if held_by != [i.get("node")]:
        problems.append("%s (placed on %s) has disks on %s" % (i["name"], i.get("node"), held_by))
print("%d instances; %s" % (len(insts), "; ".join(problems[:8]) if problems else "all ReadyRole, each on one node"))
sys.exit(1 if problems else 0)
PY
}

# endpoints_serve: from inside the cluster network, GET /health of every
# instance's endpoint (host = its node's container name) answers 200.
endpoints_serve() {
  local eps
  eps=$(deployment_json | python3 -c 'import json,sys; print(" ".join(i["endpoint"] for i in json.load(sys.stdin)["instances"]))') || return 1
  [ -n "$eps" ] || return 1
  docker exec "$(container coordinator)" fabric-entrypoint get-all /health $eps
}

# ---------------------------------------------------------------------------
step "compose files valid (docker-compose config)"
WITH_GRAFANA=1 "$CLUSTER" compose config -q || fail "docker-compose config rejects compose/docker-compose.yml (+ grafana)"
if command -v docker-compose >/dev/null && docker compose version >/dev/null 2>&1; then
  # cluster.sh prefers v1; check the v2 plugin as well when it is there.
  (cd "$ROOT/compose" && docker compose -f docker-compose.yml -f docker-compose.grafana.yml config -q) ||
    fail "docker compose (v2) config rejects the compose files"
  note "valid for docker-compose v1 and docker compose v2"
else
  if command -v docker-compose >/dev/null; then
    note "valid for docker-compose $(docker-compose version --short) (no docker compose v2 plugin installed to check)"
  else
    note "valid for docker compose $(docker compose version --short) (docker-compose v1 is not installed to check)"
  fi
fi

# A run killed by ctest's timeout (SIGKILL: no trap) leaves its project up.
# Remove fabrictest<pid> projects whose pid is gone and whose containers are
# older than any run can last.
reap_stale_projects() {
  local p pid created
  for p in $(docker ps -a --filter label=com.docker.compose.project \
      --format '{{.Label "com.docker.compose.project"}}' | grep -E '^fabrictest[0-9]+$' | sort -u); do
    pid=${p#fabrictest}
    kill -0 "$pid" 2>/dev/null && continue
    created=$(docker ps -a --filter "label=com.docker.compose.project=$p" --format '{{.CreatedAt}}' | head -n 1)
    created=$(date -d "${created% [A-Z]*}" +%s 2>/dev/null) || continue
    [ $(( $(date +%s) - created )) -gt 1200 ] || continue
    note "removing project $p left by an earlier run that did not finish"
    FABRIC_COMPOSE_PROJECT=$p "$CLUSTER" down -v >/dev/null 2>&1 || true
  done
}
reap_stale_projects

step "building the base image and the images (compose/cluster.sh build)"
t=$(date +%s)
timeout "$(remaining)" "$CLUSTER" build || fail "compose/cluster.sh build failed"
note "images built in $(( $(date +%s) - t )) s"

step "docker-compose up -d (project $FABRIC_COMPOSE_PROJECT, API $API, Prometheus $PROM)"
up_limit=$(remaining)
[ "$up_limit" -gt 300 ] && up_limit=300
[ "$up_limit" -gt 0 ] || fail "no time left for docker-compose up"
timeout "$up_limit" "$CLUSTER" compose up -d --no-build || fail "docker-compose up failed"
wait_until "six nodes up" 120 six_up
lookup_containers
for s in coordinator "${ALL_NODES[@]}"; do
  [ -n "${CID[$s]:-}" ] || fail "no container for service $s in project $FABRIC_COMPOSE_PROJECT"
done
check_nodes 'sorted((k, v["fault_domain"]) for k, v in nodes.items()) == [("rack0-a", 0), ("rack0-b", 0), ("rack1-a", 1), ("rack1-b", 1), ("rack2-a", 2), ("rack2-b", 2)]' ||
  fail "the nodes do not carry the names and fault domains of the compose file"

step "deploying samples/guestbook"
"${CTL[@]}" image upload guestbook-v1 "$SAMPLE/image-v1" || fail "image upload guestbook-v1"
"${CTL[@]}" image upload guestbook-v2 "$SAMPLE/image-v2" || fail "image upload guestbook-v2"
"${CTL[@]}" service create "$SERVICE" --label "Guestbook sample" || fail "service create"
"${CTL[@]}" deploy --service "$SERVICE" --slot "$SLOT" --csdef "$SAMPLE/ServiceDefinition.csdef" \
  --cscfg "$SAMPLE/ServiceConfiguration.cscfg" --image guestbook-v1 --name guestbook-1 \
  --wait --timeout 180 || fail "deploy --wait"
wait_until "every instance ReadyRole, each on one node" 120 healthy_deployment
"${CTL[@]}" status --service "$SERVICE" --slot "$SLOT" || true
# Instance endpoints name the node containers (--advertise = hostname).
deployment_json | python3 -c '
import json, sys
bad = [i for i in json.load(sys.stdin)["instances"] if i.get("endpoint") and not i["endpoint"].startswith(i["node"] + ":")]
sys.exit("endpoints not on their node hostname: %s" % [(i["name"], i["node"], i["endpoint"]) for i in bad] if bad else 0)' ||
  fail "instance endpoints do not advertise the node containers"
wait_until "every instance endpoint answers GET /health inside the network" 60 endpoints_serve

step "in-place upgrade to guestbook-v2"
"${CTL[@]}" upgrade --service "$SERVICE" --slot "$SLOT" --image guestbook-v2 --mode auto \
  --wait --wait-timeout 240 || fail "upgrade --wait"
wait_until "every instance ReadyRole after the upgrade" 120 healthy_deployment
deployment_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
old = [(i["name"], i.get("version")) for i in d["instances"] if i.get("version") != "guestbook-v2"]
if d.get("version") != "guestbook-v2": old.append(("deployment", d.get("version")))
sys.exit("not on guestbook-v2: %s" % old if old else 0)' || fail "not every instance runs the new version"

step "docker kill both nodes of fault domain 1"
FD1=(rack1-a rack1-b)
for n in "${FD1[@]}"; do docker kill "$(container "$n")" >/dev/null || fail "docker kill $n"; done
wait_until "rack1-a and rack1-b declared down" 60 nodes_down "${FD1[@]}"
wait_until "instances re-placed off fault domain 1 and ReadyRole" 180 healthy_deployment "${FD1[@]}"
note "starting the killed containers again (their volumes kept their disks)"
for n in "${FD1[@]}"; do docker start "$(container "$n")" >/dev/null || fail "docker start $n"; done
wait_until "rack1-a and rack1-b up again" 90 nodes_up "${FD1[@]}"
wait_until "reconciled after their return: each instance on exactly one node" 120 healthy_deployment

step "docker network disconnect rack2-a"
C=$(container rack2-a)
docker network disconnect "$NETWORK" "$C" || fail "docker network disconnect"
wait_until "rack2-a declared down" 60 nodes_down rack2-a
wait_until "instances re-placed off rack2-a and ReadyRole" 180 healthy_deployment rack2-a
# The compose service name is a network alias: give it back on reconnect.
docker network connect --alias rack2-a "$NETWORK" "$C" || fail "docker network connect"
wait_until "rack2-a up again after the reconnect" 120 nodes_up rack2-a
wait_until "six nodes up" 60 six_up
wait_until "reconciled: no duplicate instance, each on exactly one node" 120 healthy_deployment
wait_until "every instance endpoint answers GET /health" 60 endpoints_serve

step "docker restart coordinator (its journal is on the coordinator-data volume)"
docker restart -t 5 "$(container coordinator)" >/dev/null || fail "docker restart coordinator"
wait_until "six nodes up again with the restarted coordinator" 90 six_up
wait_until "the deployment survived the restart: every instance ReadyRole, each on one node" 120 healthy_deployment

step "Prometheus in the cluster: every target up"
# Exactly these scrape targets (job, host:port), each healthy.
prom_targets() {
  curl -sf --max-time 3 "$PROM/api/v1/targets" | python3 -c '
import json, sys
ts = json.load(sys.stdin)["data"]["activeTargets"]
for t in ts: print("   ", t["labels"]["job"], t["scrapeUrl"], t["health"], t.get("lastError", "")[:80])
want = {("fabric-coordinator", "coordinator:9400"), ("prometheus", "localhost:9090")}
want |= {("fabric-node", "rack%d-%s:9400" % (fd, x)) for fd in range(3) for x in "ab"}
have = {(t["labels"]["job"], t["labels"]["instance"]) for t in ts}
if have != want:
    print("    targets missing: %s; unexpected: %s" % (sorted(want - have), sorted(have - want)))
sys.exit(0 if have == want and all(t["health"] == "up" for t in ts) else 1)'
}
wait_until "every Prometheus target up (coordinator, six nodes, itself)" 90 prom_targets
prom_targets

step "passed"
exit 0
