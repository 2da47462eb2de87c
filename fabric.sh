#!/usr/bin/env bash
# fabric's one entry script.
#
#   ./fabric.sh up      install, build the three programs, start a local cluster on the embedded sample
#   ./fabric.sh down    stop the local cluster started by `up`
#   ./fabric.sh test    install, build and run every test (what .ci/run runs)
#   ./fabric.sh build   install and build everything (programs, tests, benchmarks) only
#   ./fabric.sh deps    install the Debian packages only
#
# Environment: BUILD_DIR (default build), JOBS (default nproc),
# FABRIC_TEST_LABELS (a ctest -L regex, default: every test).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-$(nproc)}

APT_PACKAGES=(
  cmake ninja-build g++ pkg-config
  libcaf-dev libzmq3-dev cppzmq-dev libmsgpack-cxx-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpugixml-dev libevent-dev libsqlite3-dev libcpp-httplib-dev nlohmann-json3-dev libcli11-dev libspdlog-dev
  libssl-dev
  clang-14 libclang-rt-14-dev  # fuzz/: libFuzzer targets (skipped when absent)
  python3 python3-yaml curl
  python3-venv python3-pip  # tests/sm_sdk: a venv with the legacy Azure SDK from PyPI
  prometheus  # promtool: tests/monitoring checks the config, rules and exposition
  debootstrap  # tests/compose: compose/build-base-image.sh makes the base image without a registry
  docker-compose  # tests/compose: the client only (no recommends: the Docker engine is the machine's)
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs what is missing, and nothing when all is there (no network needed then).
deps() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# tests/sm_sdk drive the coordinator with the real Service Management SDK,
# azure-servicemanagement-legacy from PyPI, in a venv of the build directory
# (FABRIC_SM_PYTHON in tests/sm_sdk/CMakeLists.txt). Nothing is fetched when
# it is there already.
SM_SDK_PACKAGE=azure-servicemanagement-legacy==0.20.8
sm_sdk_venv() {
  local venv=$BUILD_DIR/sm-venv
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import azure.servicemanagement' 2>/dev/null; then
    return
  fi
  log "installing $SM_SDK_PACKAGE into $venv"
  mkdir -p "$BUILD_DIR"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$SM_SDK_PACKAGE"
}

# The programs `up` runs; `up` builds only these (about half of the compile
# steps of a full build, and none of the heavy test binaries).
PROGRAMS=(fabric-coordinator fabric-node fabricctl)

build() { # [target...]: everything when none is given
  deps
  log "configuring in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  log "building ${*:-everything} with $JOBS jobs"
  cmake --build "$BUILD_DIR" -j "$JOBS" ${1:+--target "$@"}
}

run_tests() {
  build
  sm_sdk_venv  # only the tests need PyPI; `up` and `build` do not
  log "running tests"
  local args=(--test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 600)
  if [ -n "${FABRIC_TEST_LABELS:-}" ]; then args+=(-L "$FABRIC_TEST_LABELS"); fi
  ctest "${args[@]}"
}

cmd=${1:-help}
shift || true
case "$cmd" in
  deps) deps ;;
  build) build ;;
  test) run_tests ;;
  up) build "${PROGRAMS[@]}"; exec "$ROOT/scripts/local-cluster.sh" up "$@" ;;
  down) exec "$ROOT/scripts/local-cluster.sh" down "$@" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; [ "$cmd" = help ] ;;
esac
