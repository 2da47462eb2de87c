#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time; exits non-zero on a crash,
# a leak, a UBSan finding, a timeout (-timeout) or an out-of-memory input.
#
#   run_fuzzer.sh BINARY WORK_DIR SECONDS MAX_RUNS [SEED_DIR...]
#
# WORK_DIR/corpus   inputs the fuzzer found interesting (kept between runs)
# WORK_DIR/seeds    seeds the fuzzer writes itself (FABRIC_FUZZ_WRITE_SEEDS):
#                   encoded protocol frames, request bodies, the test data
# WORK_DIR/crashes  crash-*, leak-*, timeout-*, oom-* artifacts of a failure
# SEED_DIRs (read-only) are fuzz/corpus/<name>: regression inputs, committed.
# Extra libFuzzer flags: FABRIC_FUZZ_FLAGS (e.g. "-jobs=2 -workers=2").
set -euo pipefail
bin=$1 work=$2 seconds=$3 runs=$4
shift 4
mkdir -p "$work/corpus" "$work/seeds" "$work/crashes"
FABRIC_FUZZ_WRITE_SEEDS="$work/seeds" "$bin" >/dev/null
seeds=("$work/seeds")
for d in "$@"; do [ -d "$d" ] && seeds+=("$d"); done
# shellcheck disable=SC2086
exec "$bin" -max_total_time="$seconds" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
  -malloc_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$work/crashes/" ${FABRIC_FUZZ_FLAGS:-} "$work/corpus" "${seeds[@]}"
