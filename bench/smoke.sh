#!/usr/bin/env bash
# bench.smoke: runs evstore-bench briefly (2 s per workload) against a fresh
# evstored on an ephemeral port and fails on any failed append.
# Usage: bench/smoke.sh EVSTORED EVSTORE_BENCH
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 EVSTORED EVSTORE_BENCH" >&2
  exit 2
fi
EVSTORED=$1
BENCH=$2
# shellcheck source=bench/evstored_control.sh
. "$(dirname "$0")/evstored_control.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/evstore-bench-smoke.XXXXXX")
cleanup() {
  stop_evstored || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start_evstored "$EVSTORED" "$WORK/data" "$WORK/evstored.log"
echo "evstored at $EVSTORED_ADDRESS (pid $EVSTORED_PID)"

COMMON=(--address="$EVSTORED_ADDRESS" --duration=2 --warmup=0.5
        --server_pid="$EVSTORED_PID")
failed=0
run() {
  echo "== evstore-bench $*"
  if ! "$BENCH" "${COMMON[@]}" "$@"; then
    failed=1
  fi
}
run --workload=batched
run --workload=single --transport=session
run --workload=single --transport=unary

if ! stop_evstored; then
  echo "evstored did not shut down cleanly; its log:" >&2
  cat "$WORK/evstored.log" >&2
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  echo "bench.smoke: FAILED" >&2
  exit 1
fi
echo "bench.smoke: passed"
