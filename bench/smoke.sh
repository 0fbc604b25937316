#!/usr/bin/env bash
# bench.smoke: runs evstore-bench briefly (2 s per workload, W4-W6 at tiny
# sizes) against a fresh evstored on an ephemeral port and fails on any
# failed append, incomplete catch-up or missing delivery.
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
# First, while the feed it reads is still empty (then it preloads it).
run --workload=catchup --preload_events=5000 --load_batch=500
run --workload=batched
run --workload=single --transport=session
run --workload=single --transport=unary
# W4-W6 at tiny sizes (compare.sh runs them at full size).
run --workload=growth --duration=1 --warmup=0.2 --growth_events=300000 \
  --growth_settle=0 \
  --server_data_dir="$WORK/data"
run --workload=idle_subscribers --idle_subscriptions=100 --idle_connections=2 \
  --subscribers=10 --rate=500 --producers=8

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
