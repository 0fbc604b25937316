#!/usr/bin/env bash
# Runs evstore-stalled-bench against a fresh evstored (fsync durability, data
# on the real disk) and stops the server afterwards.
# Usage: bench/stalled_bench.sh [BUILD_DIR] [evstore-stalled-bench flags...]
#   BUILD_DIR defaults to ./build; the data directory goes under
#   ${DATA_ROOT:-/var/tmp} (not tmpfs: fsync there costs nothing).
# Example (the full run of BENCHMARKS.md):
#   bench/stalled_bench.sh build --stalled=2000 --events=1000000
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build
if [ $# -gt 0 ] && [ -d "$1" ]; then
  BUILD=$1
  shift
fi
# shellcheck source=bench/evstored_control.sh
. bench/evstored_control.sh

WORK=$(mktemp -d "${DATA_ROOT:-/var/tmp}/evstore-stalled-bench.XXXXXX")
cleanup() {
  stop_evstored || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start_evstored "$BUILD/server/evstored" "$WORK/data" "$WORK/evstored.log"
echo "evstored at $EVSTORED_ADDRESS (pid $EVSTORED_PID)"
status=0
"$BUILD/bench/evstore-stalled-bench" --address="$EVSTORED_ADDRESS" \
  --server_pid="$EVSTORED_PID" "$@" || status=$?
if ! stop_evstored; then
  echo "evstored did not shut down cleanly; its log:" >&2
  cat "$WORK/evstored.log" >&2
  status=1
fi
exit "$status"
